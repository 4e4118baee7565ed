"""Result cells and ages as labs write them -> measurement, category and number, column-wise.

Takes Arrow string columns; gives parsed columns computed with Arrow regular expressions (no loop
over rows). A result cell holds a measurement (`06` mm, `<=0.25`, `>8`, `≤0.5` mg/L), a category
(`S`, `I`, `R`, `SDD`, `NS`), or both (`< 0.5 S`, as in AMR's example_isolates_unclean). An age is
years, or a number with a unit (`6m`, `3w`, `2d`, `1y`) or `NB` (newborn) (whonet-export.md §2).
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.data import rows

_RESULT = (
    r"^\s*(?P<comparator><=|>=|=<|=>|≤|≥|<|>|=)?\s*"
    r"(?P<number>[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)?\s*"
    r"(?P<category>(?i:SDD|S-DD|NS|NI|NWT|WT|S|I|R))?\s*$"
)
_COMPARATORS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}
_AGE = (r"^\s*(?P<number>[0-9]+(?:[.,][0-9]+)?)\s*"
        r"(?P<unit>(?i:[ydwm]|years?|a(?:ños|nos)?|months?|meses|weeks?|semanas|days?|d[ií]as))?"
        r"\s*$")
_AGE_UNIT = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25, "a": 1.0, "s": 7 / 365.25}
MAX_AGE = 120.0


def parse_results(cells: pa.ChunkedArray | pa.Array) -> pa.Table:
    """measurement ('<=0.25', '06', null), number (float), category ('S', null), ok (bool)."""
    parts = pc.extract_regex(cells, _RESULT)
    comparator = pc.struct_field(parts, "comparator")
    for written, canonical in _COMPARATORS.items():
        comparator = pc.replace_substring(comparator, written, canonical)
    comparator = pc.if_else(pc.equal(comparator, "="), "", comparator)
    number = pc.replace_substring(pc.struct_field(parts, "number"), ",", ".")
    category = pc.utf8_upper(pc.struct_field(parts, "category"))
    category = pc.if_else(pc.equal(category, "S-DD"), "SDD", category)
    number = _null_if_empty(number)
    category = _null_if_empty(category)
    measurement = pc.if_else(pc.is_valid(number),
                             pc.binary_join_element_wise(pc.fill_null(comparator, ""), number, ""),
                             pa.scalar(None, pa.string()))
    ok = pc.and_(pc.is_valid(parts), pc.or_(pc.is_valid(number), pc.is_valid(category)))
    return pa.table({
        "measurement": measurement,
        "number": pc.cast(number, pa.float64()),
        "category": category,
        "ok": pc.fill_null(ok, False),
    })


def parse_ages(cells: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, pa.Array]:
    """Age in years (float) and whether each non-null text could be read; NB (newborn) = 0.
    A file of a million isolates has a hundred distinct ages: each is parsed once."""
    column = pa.chunked_array([cells]) if isinstance(cells, pa.Array) else cells
    encoded = pc.dictionary_encode(column.cast(pa.string())).combine_chunks()
    years, readable = _parse_ages(encoded.dictionary)
    return years.take(encoded.indices), pc.fill_null(readable.take(encoded.indices), True)


def _parse_ages(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
    newborn = pc.equal(pc.utf8_upper(pc.utf8_trim_whitespace(cells)), "NB")
    parts = pc.extract_regex(cells, _AGE)
    number = pc.cast(pc.replace_substring(pc.struct_field(parts, "number"), ",", "."), pa.float64())
    unit = pc.utf8_slice_codeunits(pc.utf8_lower(pc.struct_field(parts, "unit")), 0, 1)
    factor = pc.fill_null(_unit_factor(unit), 1.0)
    years = pc.if_else(newborn, 0.0, pc.multiply(number, factor))
    readable = pc.or_(pc.fill_null(newborn, False), pc.is_valid(parts))
    return years, pc.or_(readable, pc.is_null(cells))


def _unit_factor(unit: pa.Array) -> pa.Array:
    keys = pa.array(list(_AGE_UNIT))
    values = pa.array(list(_AGE_UNIT.values()), pa.float64())
    return values.take(pc.index_in(unit, keys))


def _null_if_empty(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)


@cache
def method_ranges() -> dict[str, tuple[float, float]]:
    """Plausible value range per method (data/method_ranges.tsv, from AMRIE Constants.cs)."""
    return {r["method"]: (float(r["low"]), float(r["high"])) for r in rows("method_ranges.tsv")}


def out_of_range(method: pa.Array, number: pa.Array) -> pa.Array:
    """True where a number lies outside its method's range (false when either is unknown)."""
    ranges = method_ranges()
    # Millions of results name a handful of methods: look each distinct method up once.
    methods = pc.dictionary_encode(method)
    methods = methods.combine_chunks() if isinstance(methods, pa.ChunkedArray) else methods
    index = pc.index_in(methods.dictionary, pa.array(list(ranges)))
    low = pa.array([r[0] for r in ranges.values()], pa.float64()).take(index).take(methods.indices)
    high = pa.array([r[1] for r in ranges.values()], pa.float64()).take(index).take(
        methods.indices)
    outside = pc.or_(pc.less(number, low), pc.greater(number, high))
    return pc.fill_null(outside, False)
