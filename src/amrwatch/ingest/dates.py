"""Dates as labs write them -> calendar dates, with the day/month order fixed per upload.

Takes a column of date texts (`2/1/1995 12:00:00 AM`, `2005-01-30`, `20250112083000-0300`,
`14-Apr-00`) and a date order (`dmy`, `mdy`, `ymd`); gives a date32 column and, aligned with it, a
reason for every value that is not a usable date (`unparseable_date`, `impossible_date`,
`date_order_conflict`, `date_in_future`). Each DISTINCT text is parsed once (a file of a million
isolates has a few thousand distinct dates) and the answers are taken back to every row.
Ambiguous day/month order is never guessed (whonet-export.md §1): `infer_order` reads it from
values such as 25/1/1995, and refuses when every value fits both orders.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import InputError

ORDERS = ("dmy", "mdy", "ymd")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\d{2,6}(?:\.\d+)?)?(?:[+-]\d{4})?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:\s.*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:\s.*)?$")
_NAMED = re.compile(r"^(\d{1,2})[- /]([^\W\d_]{3,})\.?[- /](\d{4}|\d{2})$")
#: Month abbreviations in EN/ES/PT/FR (first three letters, accents removed).
_MONTHS = {
    **dict.fromkeys(("jan", "ene", "jan", "janv"), 1), **dict.fromkeys(("feb", "fev", "fév"), 2),
    "mar": 3, **dict.fromkeys(("apr", "abr", "avr"), 4), **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "jui"), 6), "jul": 7, **dict.fromkeys(("aug", "ago", "aoû", "aou"), 8),
    **dict.fromkeys(("sep", "set"), 9), **dict.fromkeys(("oct", "out"), 10), "nov": 11,
    **dict.fromkeys(("dec", "dic", "dez", "déc"), 12),
}
#: Earliest plausible specimen or birth date.
EARLIEST = dt.date(1900, 1, 1)


def infer_order(*columns: pa.ChunkedArray | pa.Array) -> str | None:
    """'dmy' or 'mdy' from day-first/month-first evidence in d/m/y texts; None if none are d/m/y.

    Raises InputError(reason=ambiguous_date_order) when the values fit both orders or contradict
    each other, because guessing would silently swap months and days.
    """
    first_big = second_big = slashed = False
    for column in columns:
        for text in pc.unique(column).to_pylist():
            match = _SLASHED.match(text) if text else None
            if match:
                slashed = True
                first_big |= int(match.group(1)) > 12
                second_big |= int(match.group(2)) > 12
    if not slashed:
        return None
    if first_big != second_big:
        return "dmy" if first_big else "mdy"
    raise InputError(
        "The day/month order of the dates cannot be told from the file",
        {"reason": "ambiguous_date_order"},
        hint="pass --date-order dmy (day/month/year) or mdy (month/day/year), or set date_order "
        "in the mapping",
    )


def parse_dates(column: pa.ChunkedArray | pa.Array, order: str | None, today: dt.date,
                date_format: str | None = None) -> tuple[pa.Array, pa.Array]:
    """Dates and, aligned, the reason each non-null text is not a usable date (else null)."""
    encoded = pc.dictionary_encode(pa.chunked_array([column]) if isinstance(column, pa.Array)
                                   else column).combine_chunks()
    answers = [_parse(text, order, today, date_format) for text in encoded.dictionary.to_pylist()]
    dates = pa.array([a[0] for a in answers], pa.date32())
    reasons = pa.array([a[1] for a in answers], pa.string())
    return dates.take(encoded.indices), reasons.take(encoded.indices)


def _parse(text: str, order: str | None, today: dt.date,
           date_format: str | None) -> tuple[dt.date | None, str | None]:
    parts = _parts(text.strip(), order, date_format)
    if parts is None:
        return None, "unparseable_date"
    if parts == "conflict":
        return None, "date_order_conflict"
    try:
        value = dt.date(*parts)
    except ValueError:
        return None, "impossible_date"
    if value < EARLIEST:
        return None, "impossible_date"
    if value > today:
        return None, "date_in_future"
    return value, None


def _parts(text: str, order: str | None, date_format: str | None):
    if date_format:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            return None
        return parsed.year, parsed.month, parsed.day
    for pattern in (_ISO, _COMPACT, _YMD):
        if match := pattern.match(text):
            return tuple(int(g) for g in match.groups())
    if match := _NAMED.match(text):
        month = _MONTHS.get(match.group(2)[:3].lower())
        return None if month is None else (_year(match.group(3)), month, int(match.group(1)))
    if match := _SLASHED.match(text):
        a, b, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if order not in ("dmy", "mdy"):
            return None
        day, month = (a, b) if order == "dmy" else (b, a)
        if month > 12 and day <= 12:
            return "conflict"
        return year, month, day
    return None


def _year(text: str) -> int:
    """Four-digit year; two digits pivot on the current year (00-today's yy = 2000s)."""
    year = int(text)
    if len(text) == 4:
        return year
    return 2000 + year if year <= dt.date.today().year % 100 else 1900 + year
