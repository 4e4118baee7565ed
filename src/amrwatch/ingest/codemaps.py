"""Lab codes for sex, specimen type and origin -> amrwatch's closed value sets.

Takes a column of codes as the lab wrote them and the lab's own value map (from its mapping
file, which wins); gives the canonical value (sex M/F/U, GLASS specimen type, origin
community/hospital/unknown) and a flag for codes found in neither. Matching ignores case,
accents and surrounding spaces; each distinct code is looked up once.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.codes.terms import fold
from amrwatch.ingest.data import rows

#: field -> (data file, its code column, its value column, value for an unknown code)
CODE_TABLES = {
    "sex": ("sex_codes.tsv", "code", "sex", "U"),
    "specimen_type": ("specimen_types.tsv", "code", "specimen_type", None),
    "origin": ("origin_codes.tsv", "code", "origin", "unknown"),
    "patient_type": ("patient_types.tsv", "code", "patient_type", None),
}


@cache
def default_map(field: str) -> dict[str, str]:
    name, key, value, _ = CODE_TABLES[field]
    return {fold(row[key]): row[value] for row in rows(name)}


def map_codes(column: pa.ChunkedArray | pa.Array, field: str,
              lab_map: dict[str, str] | None = None) -> tuple[pa.Array, pa.Array]:
    """Canonical values, and True where a non-null code is unknown (given its fallback value)."""
    table = {**default_map(field), **{fold(str(k)): v for k, v in (lab_map or {}).items()}}
    fallback = CODE_TABLES[field][3]
    chunked = pa.chunked_array([column]) if isinstance(column, pa.Array) else column
    encoded = pc.dictionary_encode(chunked.cast(pa.string())).combine_chunks()
    texts = encoded.dictionary.to_pylist()
    found = [table.get(fold(text)) for text in texts]
    values = pa.array([v if v is not None else fallback for v in found], pa.string())
    unknown = pa.array([v is None for v in found], pa.bool_())
    # Only an empty cell (a null index) takes a null here unless the fallback is null too.
    mapped = values.take(encoded.indices)
    if fallback is not None and mapped.null_count:
        mapped = pc.fill_null(mapped, pa.scalar(fallback, pa.string()))
    unknown = unknown.take(encoded.indices)
    return mapped, pc.fill_null(unknown, False) if unknown.null_count else unknown
