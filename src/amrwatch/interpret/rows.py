"""The distinct rows of an AST table, and the way back from them to every row.

Takes an Arrow table with the AST_INPUT columns; gives one representative row per distinct
combination of those columns plus, for every input row, the number of its combination. Each
column becomes integer codes (its own dictionary when already dictionary-encoded, else a hash
encoding; Arrow keeps one dictionary across the chunks of a column, so codes agree between
chunks), the codes fold into one integer per row, and that integer is encoded once more; each
distinct integer unfolds back into its column codes, so the distinct rows are read from the small
column dictionaries, not from the rows. Cost is a few passes over integer arrays, whatever the
strings.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.schemas import AST_INPUT, INTERPRETATION

REQUIRED = ("organism", "antimicrobial", "method", "value")
OPTIONAL = tuple(name for name in AST_INPUT.names if name not in REQUIRED)
_KEY_LIMIT = 1 << 62
ANSWER = INTERPRETATION.field("sir").type  # dictionary<int32, string>, as every answer column


def _row_memory() -> pa.MemoryPool:
    """Arrow memory for the arrays with one entry per row. jemalloc keeps freed pages for the
    next call, where the default mimalloc pool returns them to the kernel and faults them in again:
    a first call at 10 M rows took 0.67-1.08 s (0.37-0.71 s in the kernel) with mimalloc,
    0.59-0.64 s (0.15-0.17 s) with jemalloc. Builds without jemalloc use the default pool."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - the Linux and macOS wheels include it
        return pa.default_memory_pool()


ROW_MEMORY = _row_memory()


def distinct_rows(data: pa.Table) -> tuple[pa.Table, pa.ChunkedArray]:
    """The distinct rows of `data` (one representative each) and, per row, its distinct row."""
    names = [n for n in (*REQUIRED, *OPTIONAL) if n in data.column_names]
    # Arrow keeps one dictionary across the chunks of a column, so codes agree between chunks.
    with ThreadPoolExecutor(min(len(names), os.cpu_count() or 1)) as pool:
        encoded = list(pool.map(_codes, [data.column(n) for n in names]))
    codes, dictionaries = zip(*encoded, strict=True)
    sizes = [max(len(d), 1) for d in dictionaries]
    key, decodable = _fold(codes, sizes)
    combo = pc.dictionary_encode(pa.array(key), memory_pool=ROW_MEMORY)
    if decodable:  # each distinct key spells its codes in mixed radix: no pass over the rows
        column_codes = _unfold(combo.dictionary.to_numpy(), sizes)
        rows = pa.table([d.take(c) for d, c in zip(dictionaries, column_codes, strict=True)],
                        names=names)
    else:
        representative = np.empty(len(combo.dictionary), dtype=np.int64)
        representative[combo.indices.to_numpy()] = np.arange(len(key))
        rows = data.select(names).take(representative)
    columns = {n: (rows.column(n) if n == "uti" else as_text(rows.column(n))) for n in names}
    columns["combo_id"] = pa.array(np.arange(rows.num_rows, dtype=np.int64))
    return pa.table(columns), _rechunk(combo.indices, data.column(names[0]))


def _fold(codes: tuple[np.ndarray, ...], sizes: list[int]) -> tuple[np.ndarray, bool]:
    """One int64 per row from the column codes (mixed radix); False when the product of the
    column cardinalities overflowed and the key had to be re-encoded (then it does not unfold)."""
    key, cardinality, decodable = codes[0].astype(np.int64), sizes[0], True
    for column, size in zip(codes[1:], sizes[1:], strict=True):
        if cardinality * size >= _KEY_LIMIT:
            key, cardinality = _compact(key)
            decodable = False
        key *= size  # in place: at 10 million rows every extra array is 80 MB of memory traffic
        key += column
        cardinality *= size
    return key, decodable


def _unfold(keys: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """The column codes spelt by each key of `_fold` (first column most significant)."""
    codes = []
    for size in reversed(sizes):
        keys, code = np.divmod(keys, size)
        codes.append(code)
    return codes[::-1]


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of a column and the values they stand for: its own dictionary indices when
    it is already dictionary-encoded (Parquet read with read_dictionary, the store), else a hash
    encoding. Nulls get a code."""
    if pa.types.is_dictionary(column.type) and column.null_count:
        column = column.cast(column.type.value_type)  # null indices would get no code
    if pa.types.is_dictionary(column.type):
        encoded = column.unify_dictionaries()
    else:
        encoded = pc.dictionary_encode(column, null_encoding="encode", memory_pool=ROW_MEMORY)
    chunks = encoded.chunks
    if not chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], encoded.type.value_type)
    codes = [c.indices.to_numpy() for c in chunks]  # zero copy: these indices have no nulls
    return (codes[0] if len(codes) == 1 else np.concatenate(codes)), chunks[-1].dictionary


def _rechunk(indices: pa.Array, like: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cut `indices` into the chunk lengths of `like`, so output columns line up with input."""
    offsets = np.cumsum([0] + [len(c) for c in like.chunks])
    return pa.chunked_array([indices.slice(a, b - a) for a, b in pairwise(offsets)],
                            type=indices.type)


def spread(answers: pa.Table, combo_of_row: pa.ChunkedArray) -> dict[str, pa.ChunkedArray]:
    """Every column of `answers` (one row per combination) taken to every row as a dictionary
    array (INTERPRETATION): each column's few distinct answers are the dictionary, and each row
    gets an int32 index, so no string is copied per row (writing 40 million strings at 10 million
    rows cost ~0.8 s of CPU). Nulls are null indices, so null counts and is_null stay right; the
    dictionary is sorted, so equal answers are equal arrays whatever the row order or chunking."""
    def one(name: str) -> pa.ChunkedArray:
        column = answers.column(name).combine_chunks()
        values = pc.unique(column.drop_null())
        values = values.take(pc.array_sort_indices(values))
        index_of_combo = pc.index_in(column, value_set=values)
        return pa.chunked_array(
            [pa.DictionaryArray.from_arrays(_take_index(index_of_combo, chunk, len(values)), values)
             for chunk in combo_of_row.chunks], type=ANSWER)

    with ThreadPoolExecutor(min(answers.num_columns, os.cpu_count() or 1)) as pool:
        return dict(zip(answers.column_names, pool.map(one, answers.column_names), strict=True))


def _take_index(index_of_combo: pa.Array, combo: pa.Array, missing: int) -> pa.Array:
    """`index_of_combo.take(combo)`, nulls kept. A take with nulls costs ~2x one without (0.05 s
    vs 0.03 s at 10 M rows), so nulls become the out-of-range index `missing`, are taken as a
    plain integer, and one comparison gives the validity bitmap."""
    if index_of_combo.null_count == 0:
        return pc.take(index_of_combo, combo, memory_pool=ROW_MEMORY)
    taken = pc.take(index_of_combo.fill_null(missing), combo, memory_pool=ROW_MEMORY)
    valid = pc.less(taken, missing, memory_pool=ROW_MEMORY)
    return pa.Array.from_buffers(pa.int32(), len(taken), [valid.buffers()[1], taken.buffers()[1]])


def unique_text(combos: pa.Table, name: str) -> pa.Array:
    return pc.unique(combos.column(name).combine_chunks())


def _compact(key: np.ndarray) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(pa.array(key))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Values as strings: a pandas float column 0.5 becomes "0.5"; dictionaries are decoded."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    return column.cast(pa.string())
