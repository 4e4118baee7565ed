"""The dashboard in Spanish, Portuguese, English and French.

Takes a request's `?lang=` switch, `lang` cookie or Accept-Language header; gives a `Language`
with gettext for the page strings (Babel catalogues under `locales/`, compiled from the committed
.po files in memory at start-up) and number, percent and date formatting from the CLDR data Babel
ships, and country names from the CELAC country table.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from amrwatch import refdata

LANGUAGES = ("es", "pt", "en", "fr")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locales"
#: The locale used for number/date formats of each language: the region's own variants.
FORMAT_LOCALES = {"es": "es_419", "pt": "pt_BR", "en": "en", "fr": "fr"}


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """Compile `locales/<lang>/LC_MESSAGES/messages.po` to a translations object (once)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(handle, locale=lang))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def atlas_ids() -> dict[str, str]:
    """ISO3 → ISO 3166-1 numeric, the key of the world-atlas TopoJSON features."""
    table = refdata.countries()
    return dict(zip(table["iso3"].to_pylist(), table["numeric"].to_pylist()))


@cache
def country_names(lang: str) -> dict[str, str]:
    """ISO3 → the CELAC member's name in `lang` (reference table `refdata/countries.tsv`)."""
    table = refdata.countries()
    return dict(zip(table["iso3"].to_pylist(), table[f"name_{lang}"].to_pylist()))


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES[code])


@cache
def _pattern(kind: str, digits: int) -> numbers.NumberPattern:
    """A parsed CLDR number pattern; parsed once because pages format hundreds of numbers."""
    decimals = "." + "0" * digits if digits else ""
    return numbers.parse_pattern("#,##0" + decimals + (" %" if kind == "percent" else ""))


@dataclass(frozen=True)
class Language:
    code: str

    @property
    def locale(self) -> Locale:
        return _locale(self.code)

    def gettext(self, message: str) -> str:
        return catalogue(self.code).gettext(message)

    def number(self, value: float | None, digits: int = 0) -> str:
        if not isinstance(value, int | float):  # None, or a field the report does not have
            return "–"
        return _pattern("number", digits).apply(value, self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        """`value` is already in percent (0–100)."""
        if not isinstance(value, int | float):
            return "–"
        return _pattern("percent", digits).apply(value / 100, self.locale)

    def date(self, value: date | None) -> str:
        return dates.format_date(value, format="medium", locale=self.locale) if value else "–"

    def datetime(self, value) -> str:
        return dates.format_datetime(value, format="medium", locale=self.locale) if value else "–"

    def country(self, iso3: str | None) -> str:
        """The country's name in this language, falling back to the ISO3 code."""
        return country_names(self.code).get(iso3 or "", iso3 or "–")


def negotiate(query_lang: str | None, cookie_lang: str | None, accept: str | None) -> Language:
    """Pick the language: an explicit switch, then the cookie, then the browser's preference."""
    for choice in (query_lang, cookie_lang):
        if choice in LANGUAGES:
            return Language(choice)
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in (accept or "").split(",")]
    best = Locale.negotiate([w for w in wanted if w], list(LANGUAGES), sep="_")
    return Language(best.language if best and best.language in LANGUAGES else DEFAULT)
