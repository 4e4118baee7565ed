"""The closed set of reason codes an interpreted row can carry (defined in data/reasons.yaml).

Takes nothing; gives `REASONS` (code -> English description), `INTERPRETED` (codes whose row
has a category) and `describe(code, language)` in Spanish, Portuguese, English or French. Tests
check that the engine never emits a code outside this set.
"""

from __future__ import annotations

from amrwatch.interpret.data import read_yaml

_CATALOGUE: dict[str, dict] = read_yaml("reasons.yaml")["reasons"]
LANGUAGES = ("es", "pt", "en", "fr")

#: reason code -> English description (docs/interpretation.md lists them with examples).
REASONS: dict[str, str] = {code: entry["en"] for code, entry in _CATALOGUE.items()}

#: reason codes that come with a category in `sir`.
INTERPRETED: frozenset[str] = frozenset(c for c, e in _CATALOGUE.items() if e["interpreted"])


def describe(code: str, language: str = "en") -> str:
    """What a reason means, in one of LANGUAGES (English for any other language)."""
    entry = _CATALOGUE[code]
    return entry.get(language if language in LANGUAGES else "en", entry["en"])
