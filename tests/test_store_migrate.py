"""A store written by amrwatch before schema version 4 (one wide ast_result table) is upgraded
in place: every AST result keeps its ast_id, values and interpretations, on both engines."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from amrwatch.store import open_store
from amrwatch.store.migrate import migrate
from amrwatch.store.workload import upload_tables

WHEN = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
# Rows as version 3 stored them: (ast_id, upload_id, lab, isolate, antimicrobial_raw, ab, method,
# value_raw, potency, lab_sir, lab_guideline, source_row, source_column). Results 1 and 3 are the
# same reading in two uploads; 2 has no potency and an unresolved drug (nulls must match).
OLD_RESULTS = [
    (1, 1, "AR-001", "S1/eco", "AMP_ND10", "AMP", "DISK", "12", "10", "R", "CLSI", 1, "AMP_ND10"),
    (2, 1, "AR-001", "S1/eco", "XYZ_NM", None, "MIC", "<=0.25", None, None, "CLSI", 1, "XYZ_NM"),
    (3, 2, "AR-001", "S2/kpn", "AMP_ND10", "AMP", "DISK", "12", "10", "R", "CLSI", 1, "AMP_ND10"),
    (4, 2, "AR-001", "S2/kpn", "CIP_NM", "CIP", "MIC", "0.5", None, "S", "CLSI", 1, "CIP_NM"),
]
COLUMNS = ("ast_id, upload_id, lab_code, isolate_id, antimicrobial_raw, ab, method, value_raw, "
           "potency, lab_sir, lab_guideline, source_row, source_column")


def _version_3_store(url: str) -> None:
    with open_store(url, migrate=False) as store:
        assert [m.version for m in migrate(store.backend, target=3)] == [1, 2, 3]
        db = store.backend
        db.execute("INSERT INTO lab VALUES ('AR-001', 'ARG', NULL, 'isolate', ?)", [WHEN])
        for upload, isolate, mo in ((1, "S1/eco", "B_ESCHR_COLI"), (2, "S2/kpn", "B_KLBSL_PNMN")):
            assert db.scalar("SELECT nextval('upload_id_seq')") == upload
            db.execute("INSERT INTO upload VALUES (?, 'AR-001', 'f.txt', ?, 'whonet', ?, 1, 1, 0, "
                       "2, 2, 1.0, '{}')", [upload, f"sha{upload}", WHEN])
            db.execute("INSERT INTO isolate (upload_id, lab_code, country, isolate_id, mo, "
                       "source_row) VALUES (?, 'AR-001', 'ARG', ?, ?, 1)", [upload, isolate, mo])
        for row in OLD_RESULTS:
            db.execute(f"INSERT INTO ast_result ({COLUMNS}) VALUES "
                       f"({', '.join('?' * len(row))})", list(row))
        db.execute("INSERT INTO interpretation VALUES (4, 'EUCAST 2025', 'default', 'S', 'ok', "
                   "'b1', ?)", [WHEN])


def test_version_3_store_is_upgraded_with_every_result_and_interpretation(store_url) -> None:
    _version_3_store(store_url)
    with open_store(store_url) as store:
        assert store.schema_version() == 5
        back = store.query(f"SELECT {COLUMNS} FROM ast_result ORDER BY ast_id")
        assert [tuple(row.values()) for row in back.to_pylist()] == OLD_RESULTS
        readings = store.query("SELECT count(*) AS n FROM ast_reading")["n"][0].as_py()
        assert readings == 4  # one per upload and distinct reading: results 1 and 3 differ by upload
        keys = store.query("SELECT isolate_id, isolate_key FROM isolate ORDER BY isolate_key")
        assert keys["isolate_id"].to_pylist() == ["S1/eco", "S2/kpn"]
        flat = store.isolate_results(guideline="EUCAST 2025")
        assert flat["sir"].to_pylist() == [None, None, None, "S"]
        assert flat["ab"].to_pylist() == ["AMP", None, "AMP", "CIP"]


def test_upgraded_store_takes_new_uploads_after_its_keys(store_url) -> None:
    _version_3_store(store_url)
    isolates, ast = upload_tables(5, seed=3, lab_code="AR-001")
    with open_store(store_url) as store:
        outcome = store.add_upload("AR-001", "ARG", "new.txt", "sha-new", "whonet", isolates,
                                   ast, {})
        new = store.query("SELECT min(ast_id) AS a, count(*) AS n FROM ast_result "
                          "WHERE upload_id = ?", [outcome.upload_id])
        assert new["a"][0].as_py() == 5 and new["n"][0].as_py() == ast.num_rows
        keys = store.query("SELECT count(DISTINCT isolate_key) AS k, count(*) AS n FROM isolate")
        assert keys["k"][0].as_py() == keys["n"][0].as_py() == 2 + isolates.num_rows
        assert pa.compute.min(store.query(
            "SELECT isolate_key FROM isolate WHERE upload_id = ?",
            [outcome.upload_id])["isolate_key"]).as_py() == 3
