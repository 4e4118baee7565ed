"""The `Store`: one object over either engine, used by ingest, analysis, export and the web app.

Takes a location (DuckDB file or PostgreSQL URL); gives labs, atomic idempotent uploads,
interpretations per guideline version, counts, Arrow query results and an audit log.
"""

from __future__ import annotations

import getpass
import json
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import StoreError
from amrwatch.schemas import AST_RESULT, ISOLATE
from amrwatch.store import reinterpret as ri
from amrwatch.store import upload as up
from amrwatch.store.backend import Backend, Params
from amrwatch.store.migrate import current_version, migrate

SHARING = ("isolate", "aggregate")


class Store:
    """The hub store. Use as a context manager; not shared between threads."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    @property
    def location(self) -> str:
        """Where the store is, printable (no password)."""
        return self.backend.location

    def transaction(self) -> AbstractContextManager[None]:
        """All-or-nothing block for other stages' writes (alerts, web users) with their audit."""
        return self.backend.transaction()

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run a data-changing statement (placeholders `?`) on the store's engine."""
        self.backend.execute(sql, params)

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; the versions applied."""
        return [m.version for m in migrate(self.backend)]

    def schema_version(self) -> int:
        return current_version(self.backend)

    # --- labs and the audit log ------------------------------------------------------------

    def register_lab(self, code: str, country: str, name: str | None = None,
                     sharing: str | None = None) -> None:
        """Add a lab, or update its name and sharing policy; its country never changes.

        `sharing` is 'isolate' (the default for a new lab) or 'aggregate'; None keeps it.
        """
        if sharing not in (None, *SHARING):
            raise StoreError("Unknown sharing policy", {"sharing": sharing},
                             hint="use 'isolate' or 'aggregate'")
        with self.backend.transaction():
            self._ensure_lab(code, country, name, sharing)
            self.audit(None, "lab.register", code,
                       {"country": country, "name": name, "sharing": sharing})

    def _ensure_lab(self, code: str, country: str, name: str | None = None,
                    sharing: str | None = None) -> None:
        known = self.backend.query("SELECT country FROM lab WHERE lab_code = ?", [code])
        if not known.num_rows:
            if not re.fullmatch(r"[A-Z]{3}", country or ""):
                raise StoreError("A lab's country must be an ISO 3166-1 alpha-3 code",
                                 {"lab": code, "country": country},
                                 hint="e.g. ARG, BRA, MEX, JAM")
            self.backend.execute(
                "INSERT INTO lab (lab_code, country, name, sharing, registered_at) "
                "VALUES (?, ?, ?, ?, ?)", [code, country, name, sharing or "isolate", up.now()])
            return
        if known["country"][0].as_py() != country:
            raise StoreError("This lab code is registered in another country",
                             {"lab": code, "registered_country": known["country"][0].as_py(),
                              "given_country": country},
                             hint="check --lab and --country; lab codes are unique in the hub")
        if name is not None or sharing is not None:
            self.backend.execute(
                "UPDATE lab SET name = coalesce(?, name), sharing = coalesce(?, sharing) "
                "WHERE lab_code = ?", [name, sharing, code])

    def audit(self, actor: str | None, action: str, target: str | None,
              details: dict[str, Any] | None = None) -> None:
        """Append one row to the audit log (who did what to what, when, with which details)."""
        self.backend.execute(
            "INSERT INTO audit (logged_at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            [up.now(), actor or getpass.getuser(), action, target,
             json.dumps(details or {}, ensure_ascii=False, default=str)])

    # --- uploads ---------------------------------------------------------------------------

    def add_upload(self, lab_code: str, country: str, file_name: str | None,
                   content_sha256: str, reader: str, isolates: pa.Table, ast_results: pa.Table,
                   report: dict[str, Any], actor: str | None = None) -> up.UploadOutcome:
        """Store one upload atomically and idempotently; see docs/store.md for the rules."""
        isolates = up.conform(isolates, ISOLATE, "isolate")
        ast_results = up.conform(ast_results, AST_RESULT, "ast_result")
        up.check_all_equal(isolates, "lab_code", lab_code, "isolate")
        up.check_all_equal(isolates, "country", country, "isolate")
        up.check_all_equal(ast_results, "lab_code", lab_code, "AST result")
        if isolates["isolate_id"].null_count:
            raise StoreError("Some isolates have no isolate_id", {"lab": lab_code},
                             hint="reject rows without a specimen/isolate number before storing")
        positions = up.isolate_positions(ast_results, isolates)
        with self.backend.transaction():
            self.backend.lock_uploads()
            earlier = self.backend.scalar(
                "SELECT upload_id FROM upload WHERE lab_code = ? AND content_sha256 = ?",
                [lab_code, content_sha256])
            if earlier is not None:
                self.audit(actor, "upload.skip", f"upload:{earlier}",
                           {"file": file_name, "reason": "already ingested"})
                return up.UploadOutcome("already_ingested", earlier, lab_code, content_sha256)
            self._ensure_lab(lab_code, country)  # a new lab starts with isolate-level sharing
            outcome = self._write(lab_code, file_name, content_sha256, reader, isolates,
                                  ast_results, positions, report)
            self.audit(actor, "upload.store", f"upload:{outcome.upload_id}",
                       {"file": file_name, "sha256": content_sha256,
                        "isolates": outcome.isolates_stored, "ast_results": outcome.ast_stored,
                        "duplicate_isolates": outcome.duplicate_isolates})
            return outcome

    def _write(self, lab_code: str, file_name: str | None, content_sha256: str, reader: str,
               isolates: pa.Table, ast: pa.Table, positions: np.ndarray,
               report: dict[str, Any]) -> up.UploadOutcome:
        """Isolates new to the lab and their AST results, under integer store keys: isolate_key
        per isolate, reading_key per distinct reading, ast_id per result (migration 0004)."""
        db = self.backend
        upload_id = int(db.scalar("SELECT nextval('upload_id_seq')"))
        first = up.first_rows(db, isolates)
        kept, in_upload = isolates.filter(pa.array(first)), isolates.filter(pa.array(~first))
        stored = up.already_stored(db, lab_code)
        written = first.copy()
        if stored.num_rows:
            written &= ~pc.is_in(isolates["isolate_id"], value_set=stored["isolate_id"]).to_numpy(
                zero_copy_only=False)
        new = isolates.filter(pa.array(written))
        keys, result_keys = up.isolate_keys(isolates, first, written, self._next("isolate_key",
                                                                                "isolate"))
        result_keys = result_keys[positions]
        keep = (result_keys >= 0) & ~up.results_of_repeated_rows(ast, positions, isolates, first)
        if not keep.all():
            ast, result_keys = ast.filter(pa.array(keep)), result_keys[keep]
        outcome = up.UploadOutcome(
            "stored", upload_id, lab_code, content_sha256, isolates.num_rows, new.num_rows,
            len(positions), ast.num_rows, up.duplicate_rows(upload_id, in_upload, stored, kept))
        # Numbering the readings is Arrow and NumPy work that releases the GIL: it runs on the
        # second core while the engine writes the isolates (docs/store.md, "Write speed").
        with ThreadPoolExecutor(1) as worker, self.backend.unordered_writes():
            readings = worker.submit(up.ast_readings, ast)
            self._write_isolates(outcome, file_name, reader, report, new, keys)
            self._write_results(upload_id, ast, result_keys, *readings.result())
        return outcome

    def _write_isolates(self, outcome: up.UploadOutcome, file_name: str | None, reader: str,
                        report: dict[str, Any], new: pa.Table, keys: np.ndarray) -> None:
        """The upload row, its new patients and isolates."""
        db, upload_id, lab_code = self.backend, outcome.upload_id, outcome.lab_code
        db.execute(
            "INSERT INTO upload (upload_id, lab_code, file_name, content_sha256, reader, "
            "received_at, isolates_received, isolates_stored, duplicate_isolates, ast_received, "
            "ast_stored, quality_score, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [upload_id, lab_code, file_name, outcome.content_sha256, reader, up.now(),
             outcome.isolates_received, outcome.isolates_stored, outcome.duplicate_isolates,
             outcome.ast_received, outcome.ast_stored,
             up.quality_score(report), up.report_json(report)])
        self._add_patients(lab_code, upload_id, new)
        db.append("isolate", new.add_column(0, "isolate_key", pa.array(keys))
                  .add_column(0, "upload_id", up.constant(upload_id, new.num_rows)))

    def _write_results(self, upload_id: int, ast: pa.Table, result_keys: np.ndarray,
                       readings: pa.Table, reading_of_result: np.ndarray) -> None:
        """The upload's readings and one integer row per AST result."""
        db = self.backend
        first_reading = self._next("reading_key", "ast_reading")
        db.append("ast_reading", readings.add_column(0, "reading_key", pa.array(
            np.arange(first_reading, first_reading + readings.num_rows, dtype=np.int64)))
            .add_column(0, "upload_id", up.constant(upload_id, readings.num_rows)))
        first_ast = self._next("ast_id", "ast_entry")
        db.append("ast_entry", pa.table({
            "ast_id": pa.array(np.arange(first_ast, first_ast + ast.num_rows, dtype=np.int64)),
            "upload_id": up.constant(upload_id, ast.num_rows),
            "isolate_key": pa.array(result_keys),
            "reading_key": pa.array(np.add(reading_of_result, first_reading, dtype=np.int64)),
            "source_row": ast["source_row"]}))

    def _next(self, key: str, table: str) -> int:
        """The next free value of a store key (writers hold the upload lock)."""
        return int(self.backend.scalar(f"SELECT coalesce(max({key}), 0) + 1 FROM {table}"))

    def _add_patients(self, lab_code: str, upload_id: int, isolates: pa.Table) -> None:
        self.backend.stage("incoming_patient", isolates.select(["patient_key"]))
        self.backend.execute(
            "INSERT INTO patient (lab_code, patient_key, first_upload_id) "
            "SELECT DISTINCT ?, n.patient_key, ? FROM incoming_patient n "
            "WHERE n.patient_key IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM patient p WHERE p.lab_code = ? AND p.patient_key = n.patient_key)",
            [lab_code, upload_id, lab_code])

    # --- reading ---------------------------------------------------------------------------

    def query(self, sql: str, params: Params = ()) -> pa.Table:
        """Run a read-only SQL query (placeholders `?`) and return an Arrow table."""
        return self.backend.query(sql, params)

    def isolate_results(self, guideline: str | None = None, country: str | None = None,
                        policy: str = "default") -> pa.Table:
        """One flat row per AST result with its isolate, lab and interpretation.

        `guideline=None` takes the most recently computed guideline of `policy`; AST results
        without an interpretation under it keep null sir/reason (a LEFT JOIN, nothing dropped).
        """
        if guideline is None:
            guideline = self.backend.scalar(
                "SELECT guideline FROM interpretation WHERE policy = ? "
                "ORDER BY computed_at DESC LIMIT 1", [policy])
        where, params = ("WHERE i.country = ?", [country]) if country else ("", [])
        return self.backend.query(
            f"{RESULTS_SQL} {where} ORDER BY a.ast_id", [guideline, policy, *params])

    def status(self) -> dict[str, Any]:
        """Counts a data manager checks after an ingest (printed by `amrwatch status --json`)."""
        counts = {
            name: int(self.backend.scalar(f"SELECT count(*) FROM {table}"))
            for name, table in (("labs", "lab"), ("uploads", "upload"), ("patients", "patient"),
                                ("isolates", "isolate"), ("ast_results", "ast_entry"))
        }
        by_guideline = self.backend.query(
            "SELECT guideline, policy, count(*) AS rows, max(computed_at) AS computed_at "
            "FROM interpretation GROUP BY guideline, policy ORDER BY guideline, policy")
        return {
            "store": self.location, "backend": self.backend.dialect,
            "schema_version": self.schema_version(), **counts,
            "interpretations": {
                f"{row['guideline']}" + ("" if row["policy"] == "default" else
                                         f" ({row['policy']})"): row["rows"]
                for row in by_guideline.to_pylist()},
            "interpretation_runs": [
                {**row, "computed_at": row["computed_at"].isoformat()}
                for row in by_guideline.to_pylist()],
        }

    # --- interpretation --------------------------------------------------------------------

    def reinterpret(self, guideline: str, policy: str = "default",
                    upload_id: int | None = None, actor: str | None = None) -> dict[str, Any]:
        """Interpret every stored AST result (or one upload's) under `guideline` and `policy`.

        Earlier interpretations under other guideline versions or policies stay side by side;
        this guideline+policy's rows are replaced in one transaction.
        """
        computed_at = up.now()
        with self.backend.transaction():
            summary = ri.run(self.backend, guideline, policy, upload_id, computed_at)
            summary |= {"upload_id": upload_id, "computed_at": computed_at.isoformat()}
            self.audit(actor, "reinterpret", summary["guideline"], summary)
        return summary


RESULTS_SQL = """
SELECT i.country, i.lab_code, l.sharing, i.isolate_id, i.patient_key, i.specimen_date,
       i.specimen_type, i.origin, i.age_years, i.sex, i.ward_type, i.organism_raw, i.mo,
       rd.antimicrobial_raw, rd.ab, rd.method, rd.value_raw, rd.potency, rd.lab_sir,
       rd.lab_guideline, r.sir, r.reason, r.breakpoint_id, r.guideline, r.policy, a.upload_id,
       a.ast_id
FROM ast_entry a
JOIN ast_reading rd ON rd.reading_key = a.reading_key
JOIN isolate i ON i.isolate_key = a.isolate_key
JOIN lab l ON l.lab_code = i.lab_code
LEFT JOIN interpretation r ON r.ast_id = a.ast_id AND r.guideline = ? AND r.policy = ?
"""
