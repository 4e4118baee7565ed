"""Writing one upload: checks, duplicate isolates, ids, all in one transaction.

Takes ISOLATE and AST_RESULT tables from a reader; gives an `UploadOutcome`. Everything below is
column-wise Arrow work: no Python loop touches an isolate or an AST result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import StoreError
from amrwatch.schemas import DUPLICATE_ISOLATE, coded, one_array
from amrwatch.store.backend import Backend


@dataclass
class UploadOutcome:
    """What `Store.add_upload` did, in numbers a data manager can check against the file."""

    status: str  # stored | already_ingested
    upload_id: int
    lab_code: str
    content_sha256: str
    isolates_received: int = 0
    isolates_stored: int = 0
    ast_received: int = 0
    ast_stored: int = 0
    duplicates: pa.Table = field(default_factory=DUPLICATE_ISOLATE.empty_table)

    @property
    def already_ingested(self) -> bool:
        return self.status == "already_ingested"

    @property
    def duplicate_isolates(self) -> int:
        return self.duplicates.num_rows

    def message(self) -> str:
        if self.already_ingested:
            return (f"This file was already ingested (upload {self.upload_id}); "
                    "nothing was changed.")
        text = (f"Upload {self.upload_id}: stored {self.isolates_stored:,} of "
                f"{self.isolates_received:,} isolates and {self.ast_stored:,} of "
                f"{self.ast_received:,} AST results.")
        if self.duplicate_isolates:
            text += (f" {self.duplicate_isolates:,} duplicate isolates were not stored again "
                     "(see the report).")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "upload_id": self.upload_id, "lab_code": self.lab_code,
            "content_sha256": self.content_sha256, "isolates_received": self.isolates_received,
            "isolates_stored": self.isolates_stored, "ast_received": self.ast_received,
            "ast_stored": self.ast_stored, "duplicate_isolates": self.duplicates.to_pylist(),
        }


def conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """Exactly the columns of `schema`, in its order and types, or a StoreError saying why not."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise StoreError(f"The {what} table lacks columns the store needs",
                         {"missing": ", ".join(missing)},
                         hint=f"give a table with the columns of amrwatch.schemas.{what.upper()}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise StoreError(f"The {what} table has a column of the wrong type: {error}",
                         hint=f"cast to amrwatch.schemas.{what.upper()}") from error


def check_all_equal(table: pa.Table, column: str, expected: str, what: str) -> None:
    """Every row of `column` equals `expected` (e.g. all isolates belong to the uploading lab)."""
    values = table[column]
    if pa.types.is_dictionary(values.type) and values.null_count == 0:
        used = coded(values)  # compare the dictionary values the rows use, not every row
        if pc.all(pc.equal(used.dictionary.take(pc.unique(used.indices)), expected)).as_py():
            return
    same = pc.fill_null(pc.equal(values, expected), False)
    wrong = table.num_rows - pc.sum(same).as_py() if table.num_rows else 0
    if wrong:
        example = table.filter(pc.invert(same))[column][0].as_py()
        raise StoreError(f"{wrong:,} {what} rows have {column} {example!r}, not {expected!r}",
                         {"column": column, "expected": expected},
                         hint="an upload holds the rows of one lab; split the file by lab")


def first_rows(backend: Backend, isolates: pa.Table) -> np.ndarray:
    """Per isolate row: True for the first row (lowest source_row) of its isolate_id; a later
    row with the same id is an in-upload duplicate and is not stored. Stages the upload's ids
    as `incoming_isolate` for `already_stored`."""
    backend.stage("incoming_isolate", isolates.select(["isolate_id"]))
    first = np.ones(isolates.num_rows, dtype=bool)
    repeated = backend.scalar("SELECT count(*) FROM (SELECT isolate_id FROM incoming_isolate "
                              "GROUP BY isolate_id HAVING count(*) > 1) r")
    if not repeated:  # the engine counts in parallel; readers number repeats, so this is usual
        return first
    order = pc.sort_indices(isolates, [("isolate_id", "ascending"), ("source_row", "ascending")])
    sorted_ids = isolates["isolate_id"].take(order)
    previous = pa.concat_arrays([pa.nulls(1, pa.string()),
                                 sorted_ids.combine_chunks().slice(0, len(sorted_ids) - 1)])
    first_sorted = pc.fill_null(pc.not_equal(sorted_ids, previous), True).to_numpy(
        zero_copy_only=False)
    first[order.to_numpy()] = first_sorted
    return first


def already_stored(backend: Backend, lab_code: str) -> pa.Table:
    """(isolate_id, upload_id) of the staged `incoming_isolate` ids an earlier upload stored."""
    return backend.query(
        "SELECT s.isolate_id, s.upload_id FROM isolate s WHERE s.lab_code = ? "
        "AND s.isolate_id IN (SELECT isolate_id FROM incoming_isolate)", [lab_code])


def duplicate_rows(upload_id: int, in_upload: pa.Table, stored: pa.Table,
                   isolates: pa.Table) -> pa.Table:
    """One DUPLICATE_ISOLATE row per isolate row that is not stored."""
    earlier = isolates.join(stored, "isolate_id", join_type="inner")
    return pa.concat_tables([
        pa.table({"isolate_id": in_upload["isolate_id"], "source_row": in_upload["source_row"],
                  "kind": pa.array(["in_upload"] * in_upload.num_rows, pa.string()),
                  "stored_upload_id": pa.array(np.full(in_upload.num_rows, upload_id))},
                 schema=DUPLICATE_ISOLATE),
        pa.table({"isolate_id": earlier["isolate_id"], "source_row": earlier["source_row"],
                  "kind": pa.array(["already_stored"] * earlier.num_rows, pa.string()),
                  "stored_upload_id": earlier["upload_id"]}, schema=DUPLICATE_ISOLATE),
    ])


def isolate_positions(ast: pa.Table, isolates: pa.Table) -> np.ndarray:
    """Per AST result, the row of `isolates` that holds its isolate; a StoreError when a result
    names an isolate that is not in the upload.

    A reader's AST_RESULT `isolate_id` is dictionary-encoded over the upload's own isolate_id
    column (amrwatch.schemas), so its indices are the rows; any other table is matched by id.
    """
    ids = coded(ast["isolate_id"])
    own = one_array(isolates["isolate_id"])
    if ids.dictionary.equals(own):
        if ids.null_count == 0:
            return ids.indices.to_numpy()
        rows = np.arange(len(own), dtype=np.int64)
    else:
        rows = pc.fill_null(pc.index_in(ids.dictionary, value_set=own), -1).to_numpy()
    rows = np.append(rows.astype(np.int64), -1)  # a null isolate_id takes the last slot: -1
    positions = rows[pc.fill_null(ids.indices, len(rows) - 1).to_numpy()]
    orphans = np.flatnonzero(positions < 0)
    if len(orphans):
        first = int(orphans[0])
        raise StoreError(
            f"{len(orphans):,} AST results name an isolate that is not in the upload",
            {"isolate_id": ast["isolate_id"][first].as_py(),
             "source_row": ast["source_row"][first].as_py()},
            hint="drop AST results of rejected isolates before storing (reader bug)",
        )
    return positions


def isolate_keys(isolates: pa.Table, first: np.ndarray, stored: np.ndarray,
                 first_key: int) -> tuple[np.ndarray, np.ndarray]:
    """The store keys of the rows written now (`stored`: first rows of ids not stored before),
    consecutive from `first_key`; and per isolate row, the key its AST results go to: its id's
    first row's key, or -1 where the isolate is not written now."""
    written = first_key + np.arange(int(stored.sum()), dtype=np.int64)
    keys = np.full(isolates.num_rows, -1, dtype=np.int64)
    keys[stored] = written
    if not first.all():  # repeated ids: each row's results follow the id's first row
        ids = one_array(isolates["isolate_id"])
        first_of_id = np.flatnonzero(first)[pc.index_in(ids, value_set=ids.filter(first))
                                            .to_numpy()]
        keys = keys[first_of_id]
    return written, keys


def results_of_repeated_rows(ast: pa.Table, positions: np.ndarray, isolates: pa.Table,
                             first: np.ndarray) -> np.ndarray:
    """Per AST result: True when it was written on an in-upload duplicate isolate row (same
    isolate_id and source_row); such results go with their row and are not stored."""
    repeats = isolates.filter(pa.array(~first)).select(["isolate_id", "source_row"])
    on_repeat = np.zeros(ast.num_rows, dtype=bool)
    if repeats.num_rows == 0:
        return on_repeat
    repeated_id = pc.is_in(isolates["isolate_id"], value_set=repeats["isolate_id"]).to_numpy(
        zero_copy_only=False)
    candidates = np.flatnonzero(repeated_id[positions])
    pairs = pa.table({
        "isolate_id": one_array(isolates["isolate_id"]).take(pa.array(positions[candidates])),
        "source_row": ast["source_row"].take(pa.array(candidates)),
        "result": pa.array(candidates),
    })
    hits = pairs.join(repeats, ["isolate_id", "source_row"], join_type="inner")["result"]
    on_repeat[hits.to_numpy()] = True
    return on_repeat


#: The AST_RESULT columns of a reading: the test (drug, method, potency, guideline, column) and
#: what the lab wrote. A 10 M-result WHONET upload has a few hundred distinct readings.
READING_COLUMNS = ("antimicrobial_raw", "ab", "method", "potency", "lab_guideline",
                   "source_column", "value_raw", "lab_sir")


def ast_readings(ast: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The distinct readings of the results (READING_COLUMNS, one row each, in order of first
    use) and each result's reading number, found from the columns' dictionary indices without
    comparing any text: the indices make one integer code per result, and the codes are
    numbered by a hash of integers."""
    columns = [coded(ast[name]) for name in READING_COLUMNS]
    code = np.zeros(ast.num_rows, dtype=np.int64)
    span = 1
    for column in columns:
        if column.null_count == len(column) or (len(column.dictionary) == 1
                                                 and column.null_count == 0):
            continue  # one value (or none) for every result: tells no reading apart
        size = len(column.dictionary) + 1  # the last slot stands for null
        if span * size >= 1 << 62:  # renumber the codes so far before the product overflows
            number, span = _numbered(code)
            code = number.astype(np.int64)
        code *= size
        indices = column.indices
        code += (pc.fill_null(indices, size - 1) if indices.null_count else indices).to_numpy()
        span *= size
    number, readings = _numbered(code)
    first = np.full(readings, ast.num_rows, dtype=np.int64)
    np.minimum.at(first, number, np.arange(ast.num_rows, dtype=np.int64))
    take = pa.array(first)
    table = pa.table({name: column.take(take).cast(pa.string())
                      for name, column in zip(READING_COLUMNS, columns, strict=True)})
    return table, number


def _numbered(code: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes -> numbers 0..k-1 (int32) in order of first appearance, and k."""
    encoded = pc.dictionary_encode(pa.array(code))
    return encoded.indices.to_numpy(), len(encoded.dictionary)


def constant(value: int, size: int) -> pa.Array:
    """A store key repeated on every row (upload_id)."""
    return pa.array(np.full(size, value, dtype=np.int64))


def quality_score(report: dict[str, Any]) -> float | None:
    """The upload's data-quality score from the ingest report (`quality.score`), if any."""
    quality = report.get("quality")
    score = quality.get("score") if isinstance(quality, dict) else report.get("quality_score")
    return float(score) if isinstance(score, int | float) else None


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, default=str)


def now() -> datetime:
    return datetime.now(UTC)
