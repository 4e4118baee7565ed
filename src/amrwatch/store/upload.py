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
from amrwatch.schemas import DUPLICATE_ISOLATE
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
    same = pc.fill_null(pc.equal(table[column], expected), False)
    wrong = table.num_rows - pc.sum(same).as_py() if table.num_rows else 0
    if wrong:
        example = table.filter(pc.invert(same))[column][0].as_py()
        raise StoreError(f"{wrong:,} {what} rows have {column} {example!r}, not {expected!r}",
                         {"column": column, "expected": expected},
                         hint="an upload holds the rows of one lab; split the file by lab")


def split_in_upload_duplicates(isolates: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Keep the first row (lowest source_row) of each isolate_id; return (kept, the others)."""
    ids = isolates["isolate_id"]
    if pc.count_distinct(ids).as_py() == isolates.num_rows:
        return isolates, isolates.schema.empty_table()
    order = pc.sort_indices(isolates, [("isolate_id", "ascending"), ("source_row", "ascending")])
    sorted_ids = ids.take(order)
    previous = pa.concat_arrays([pa.nulls(1, pa.string()),
                                 sorted_ids.combine_chunks().slice(0, len(sorted_ids) - 1)])
    first_sorted = pc.fill_null(pc.not_equal(sorted_ids, previous), True).to_numpy(
        zero_copy_only=False)
    first = np.empty(isolates.num_rows, dtype=bool)
    first[order.to_numpy()] = first_sorted
    return isolates.filter(pa.array(first)), isolates.filter(pa.array(~first))


def already_stored(backend: Backend, lab_code: str, isolates: pa.Table) -> pa.Table:
    """(isolate_id, upload_id) of this upload's isolates that an earlier upload stored."""
    backend.stage("incoming_isolate", isolates.select(["isolate_id"]))
    return backend.query(
        "SELECT s.isolate_id, s.upload_id FROM isolate s "
        "JOIN incoming_isolate n ON s.isolate_id = n.isolate_id WHERE s.lab_code = ?",
        [lab_code],
    )


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


def ast_to_store(ast: pa.Table, in_upload: pa.Table, stored_ids: pa.Array) -> pa.Table:
    """AST rows minus those of isolates not stored.

    A repeated isolate row brings its own AST rows (same source_row in a wide WHONET file):
    those go with it. An isolate stored by an earlier upload keeps its earlier results.
    """
    if len(stored_ids):
        ast = ast.filter(pc.invert(pc.is_in(ast["isolate_id"], value_set=stored_ids)))
    if in_upload.num_rows:
        ast = ast.join(in_upload.select(["isolate_id", "source_row"]),
                       ["isolate_id", "source_row"], join_type="left anti")
    return ast


def check_no_orphans(ast: pa.Table, isolates: pa.Table) -> None:
    """Every AST result belongs to an isolate of the same upload."""
    known = pc.is_in(ast["isolate_id"], value_set=isolates["isolate_id"])
    orphans = ast.filter(pc.invert(known))
    if orphans.num_rows:
        raise StoreError(
            f"{orphans.num_rows:,} AST results name an isolate that is not in the upload",
            {"isolate_id": orphans["isolate_id"][0].as_py(),
             "source_row": orphans["source_row"][0].as_py()},
            hint="drop AST results of rejected isolates before storing (reader bug)",
        )


def with_store_keys(table: pa.Table, upload_id: int, first_ast_id: int | None = None) -> pa.Table:
    """Prefix the store's own keys: upload_id, and consecutive ast_id for AST results."""
    table = table.add_column(0, "upload_id", pa.array(np.full(table.num_rows, upload_id)))
    if first_ast_id is not None:
        ids = np.arange(first_ast_id, first_ast_id + table.num_rows, dtype=np.int64)
        table = table.add_column(0, "ast_id", pa.array(ids))
    return table


def quality_score(report: dict[str, Any]) -> float | None:
    """The upload's data-quality score from the ingest report (`quality.score`), if any."""
    quality = report.get("quality")
    score = quality.get("score") if isinstance(quality, dict) else report.get("quality_score")
    return float(score) if isinstance(score, int | float) else None


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, default=str)


def now() -> datetime:
    return datetime.now(UTC)

