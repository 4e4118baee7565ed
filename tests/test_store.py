"""The hub store on both engines: schema, atomic idempotent uploads, duplicates, reads, errors.

Every test runs against an embedded DuckDB file and against the PostgreSQL server (a fresh
schema per test; skipped with a message when the server is missing, failed in CI).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amrwatch.errors import StoreError
from amrwatch.schemas import AST_RESULT, ISOLATE
from amrwatch.store import open_store
from amrwatch.store.migrate import available
from amrwatch.store.workload import TESTS_PER_ISOLATE, upload_tables


def small_upload(n: int = 20, lab: str = "AR-001", first: int = 0):
    return upload_tables(n, seed=first + 7, lab_code=lab, country="ARG", first_isolate=first)


def add(store, isolates, ast, sha="sha-1", lab="AR-001", country="ARG"):
    return store.add_upload(lab, country, "export.txt", sha, "whonet", isolates, ast,
                            {"rows": isolates.num_rows, "quality": {"score": 0.75},
                             "file": "exportación.txt"})


def counts(store) -> dict:
    status = store.status()
    return {k: status[k] for k in ("labs", "uploads", "patients", "isolates", "ast_results")}


# --- schema --------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["duckdb", "postgresql"])
def test_migrations_are_numbered_from_one_without_gaps(dialect) -> None:
    versions = [m.version for m in available(dialect)]
    assert versions == list(range(1, len(versions) + 1))


def test_new_store_is_at_latest_version_and_reopening_applies_nothing(store_url) -> None:
    with open_store(store_url) as store:
        latest = available(store.backend.dialect)[-1].version
        assert store.schema_version() == latest
    with open_store(store_url, migrate=False) as store:
        assert store.migrate() == []
        recorded = store.query("SELECT version FROM schema_migration ORDER BY version")
        assert recorded["version"].to_pylist() == list(range(1, latest + 1))


def test_store_from_a_newer_amrwatch_is_refused(store_url) -> None:
    with open_store(store_url) as store:
        store.backend.execute(
            "INSERT INTO schema_migration VALUES (999, 'future', current_timestamp)")
    with pytest.raises(StoreError, match="newer amrwatch"):
        open_store(store_url)


# --- uploads -------------------------------------------------------------------------------

def test_upload_stores_exactly_the_columns_it_was_given(store_url) -> None:
    isolates, ast = small_upload()
    # Values that engines like to mangle: empty text vs null, float32, dates, '%' and quotes.
    isolates = isolates.set_column(ISOLATE.get_field_index("ward_type"), "ward_type",
                                   pa.array(["", None, 'a "b", c%'] + ["x"] * 17))
    with open_store(store_url) as store:
        outcome = add(store, isolates, ast)
        back = store.query(f"SELECT {', '.join(ISOLATE.names)} FROM isolate ORDER BY source_row")
        back_ast = store.query(f"SELECT {', '.join(AST_RESULT.names)} FROM ast_result "
                               "ORDER BY ast_id")
    assert outcome.status == "stored" and outcome.upload_id == 1
    assert back.cast(ISOLATE).equals(isolates)
    # the store gives text where AST_RESULT has dictionary-encoded text: compare the values
    text = pa.schema([(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                      for f in AST_RESULT])
    assert back_ast.cast(text).equals(ast.cast(text))


def test_status_counts_what_was_stored(store_url) -> None:
    isolates, ast = small_upload(30)
    with open_store(store_url) as store:
        add(store, isolates, ast)
        status = store.status()
    assert status["labs"] == 1 and status["uploads"] == 1
    assert status["isolates"] == 30 and status["ast_results"] == 30 * TESTS_PER_ISOLATE
    assert status["patients"] == pc.count_distinct(isolates["patient_key"]).as_py()
    assert status["interpretations"] == {}
    json.dumps(status)  # `amrwatch status --json` prints it as is


def test_upload_row_keeps_file_reader_report_and_quality(store_url) -> None:
    isolates, ast = small_upload(4)
    with open_store(store_url) as store:
        add(store, isolates, ast, sha="abc123")
        row = store.query("SELECT * FROM upload").to_pylist()[0]
    assert row["lab_code"] == "AR-001" and row["content_sha256"] == "abc123"
    assert row["file_name"] == "export.txt" and row["reader"] == "whonet"
    assert row["isolates_received"] == row["isolates_stored"] == 4
    assert row["quality_score"] == 0.75
    assert json.loads(row["report"]) == {"rows": 4, "quality": {"score": 0.75},
                                         "file": "exportación.txt"}


def test_an_upload_with_every_row_rejected_is_recorded_with_its_report(store_url) -> None:
    isolates, ast = small_upload(3)
    with open_store(store_url) as store:
        outcome = add(store, isolates.slice(0, 0), ast.slice(0, 0), sha="all-rejected")
        status = store.status()
    assert (outcome.status, outcome.isolates_stored, outcome.ast_stored) == ("stored", 0, 0)
    assert (status["uploads"], status["isolates"], status["ast_results"]) == (1, 0, 0)


def test_same_content_again_changes_nothing_and_says_so(store_url) -> None:
    isolates, ast = small_upload()
    with open_store(store_url) as store:
        first = add(store, isolates, ast)
        before = counts(store)
        again = add(store, isolates, ast)
        assert counts(store) == before
        actions = store.query("SELECT action FROM audit ORDER BY audit_id")["action"].to_pylist()
    assert again.already_ingested and again.upload_id == first.upload_id
    assert "already ingested" in again.message()
    assert actions == ["upload.store", "upload.skip"]


def test_duplicate_isolate_rows_in_one_file_are_stored_once(store_url) -> None:
    isolates, ast = small_upload(10)
    # Row 11 repeats isolate 3 (a lab exported it twice), with its own AST results.
    repeat = isolates.slice(2, 1).set_column(ISOLATE.get_field_index("source_row"),
                                             "source_row", pa.array([11], pa.int64()))
    repeat_ast = ast.filter(pc.equal(ast["source_row"], 3))
    repeat_ast = repeat_ast.set_column(AST_RESULT.get_field_index("source_row"), "source_row",
                                       pa.array([11] * repeat_ast.num_rows, pa.int64()))
    with open_store(store_url) as store:
        outcome = add(store, pa.concat_tables([isolates, repeat]),
                      pa.concat_tables([ast, repeat_ast]))
        stored = counts(store)
        rows = store.query("SELECT DISTINCT source_row FROM ast_result WHERE isolate_id = ?",
                           [isolates["isolate_id"][2].as_py()])
    assert outcome.isolates_received == 11 and outcome.isolates_stored == 10
    assert outcome.duplicates.to_pylist() == [{
        "isolate_id": isolates["isolate_id"][2].as_py(), "source_row": 11, "kind": "in_upload",
        "stored_upload_id": outcome.upload_id}]
    assert stored["isolates"] == 10 and stored["ast_results"] == 10 * TESTS_PER_ISOLATE
    assert rows["source_row"].to_pylist() == [3]


def test_isolates_already_stored_are_reported_not_stored_twice(store_url) -> None:
    old_isolates, old_ast = small_upload(10)
    new_isolates, new_ast = small_upload(5, first=10)
    # A cumulative export: the 10 isolates of January again, plus 5 new ones.
    with open_store(store_url) as store:
        first = add(store, old_isolates, old_ast, sha="january")
        second = add(store, pa.concat_tables([old_isolates, new_isolates]),
                     pa.concat_tables([old_ast, new_ast]), sha="january+february")
        stored = counts(store)
    assert second.isolates_stored == 5 and second.ast_stored == 5 * TESTS_PER_ISOLATE
    assert second.duplicate_isolates == 10
    assert set(second.duplicates["kind"].to_pylist()) == {"already_stored"}
    assert set(second.duplicates["stored_upload_id"].to_pylist()) == {first.upload_id}
    assert stored["isolates"] == 15 and stored["ast_results"] == 15 * TESTS_PER_ISOLATE


def test_concurrent_uploads_of_overlapping_files_store_each_isolate_once(store_url) -> None:
    from concurrent.futures import ThreadPoolExecutor

    isolates, ast = small_upload(300)
    n = TESTS_PER_ISOLATE
    # Two API workers receive overlapping exports of one lab at the same moment.
    parts = [(isolates.slice(0, 200), ast.slice(0, 200 * n), "jan-feb"),
             (isolates.slice(100, 200), ast.slice(100 * n, 200 * n), "feb-mar")]
    open_store(store_url).close()

    def send(part):
        with open_store(store_url) as store:
            return add(store, part[0], part[1], sha=part[2])

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(send, parts))
    with open_store(store_url) as store:
        status = store.status()
        ids = store.query("SELECT count(DISTINCT ast_id) AS n FROM ast_result")["n"][0].as_py()
    assert sorted(o.isolates_stored for o in outcomes) == [100, 200]
    assert sorted(o.duplicate_isolates for o in outcomes) == [0, 100]
    assert status["isolates"] == 300 and status["ast_results"] == ids == 300 * n


def test_same_isolate_id_at_two_labs_is_two_isolates(store_url) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(5, lab="AR-001"), sha="x")
        outcome = add(store, *small_upload(5, lab="AR-002"), sha="x", lab="AR-002")
        assert outcome.isolates_stored == 5 and counts(store)["isolates"] == 10


def test_a_failure_inside_the_transaction_changes_nothing(store_url, monkeypatch) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(10), sha="first")
        before = counts(store)
        real_append = store.backend.append

        def crash_after_isolates(table: str, data: pa.Table) -> None:
            real_append(table, data)
            if table == "isolate":  # isolates are written; the AST results never arrive
                raise StoreError("disk full (simulated)")

        monkeypatch.setattr(store.backend, "append", crash_after_isolates)
        with pytest.raises(StoreError, match="disk full"):
            add(store, *small_upload(10, first=100), sha="second")
        monkeypatch.undo()
        assert counts(store) == before
        assert store.query("SELECT action FROM audit")["action"].to_pylist() == ["upload.store"]
        # The same file can be sent again: it was never half-ingested.
        assert add(store, *small_upload(10, first=100), sha="second").isolates_stored == 10


def test_a_stage_transaction_around_store_calls_is_all_or_nothing(store_url) -> None:
    with open_store(store_url) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.register_lab("MX-001", "MEX", "Lab")
            add(store, *upload_tables(3, lab_code="MX-001", country="MEX"), lab="MX-001",
                country="MEX")
            store.audit("alice", "alert.open", "alert:1", {"why": "test"})
            raise RuntimeError("the alert stage failed after writing")
        assert counts(store) == dict.fromkeys(counts(store), 0)
        assert store.query("SELECT count(*) AS n FROM audit")["n"].to_pylist() == [0]


@pytest.mark.parametrize("broken, message", [
    ("orphan", "name an isolate that is not in the upload"),
    ("other_lab", "not 'AR-001'"),
    ("no_id", "no isolate_id"),
    ("missing_column", "lacks columns"),
])
def test_inconsistent_upload_is_refused_before_writing(store_url, broken, message) -> None:
    isolates, ast = small_upload(10)
    if broken == "orphan":
        isolates = isolates.slice(1)
    elif broken == "other_lab":
        isolates = isolates.set_column(0, "lab_code", pa.array(["AR-009"] * 10))
    elif broken == "no_id":
        isolates = isolates.set_column(2, "isolate_id", pa.array([None] * 10, pa.string()))
        ast = ast.slice(0, 0)
    else:
        isolates = isolates.drop_columns(["specimen_date"])
    with open_store(store_url) as store:
        with pytest.raises(StoreError, match=message):
            add(store, isolates, ast)
        assert counts(store) == dict.fromkeys(counts(store), 0)


def test_lab_registration_and_country_mismatch(store_url) -> None:
    with open_store(store_url) as store:
        store.register_lab("BR-007", "BRA", "Lab Central", sharing="aggregate")
        with pytest.raises(StoreError, match="another country"):
            store.add_upload("BR-007", "ARG", "f", "s", "whonet", *small_upload(3, lab="BR-007"),
                             {})
        with pytest.raises(StoreError, match="ISO 3166-1 alpha-3"):
            store.register_lab("BR-008", "Brasil")
        store.register_lab("BR-007", "BRA")  # registering again keeps name and sharing
        with pytest.raises(StoreError, match="sharing policy"):
            store.register_lab("BR-008", "BRA", sharing="everything")
        labs = store.query("SELECT lab_code, country, name, sharing FROM lab").to_pylist()
    assert labs == [{"lab_code": "BR-007", "country": "BRA", "name": "Lab Central",
                     "sharing": "aggregate"}]


# --- reading -------------------------------------------------------------------------------

def test_isolate_results_is_one_flat_row_per_ast_result(store_url) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(6, lab="AR-001"), sha="a")
        store.add_upload("CL-001", "CHL", "f", "b", "whonet",
                         *upload_tables(4, lab_code="CL-001", country="CHL"), {})
        everything = store.isolate_results()
        chile = store.isolate_results(country="CHL")
    assert everything.num_rows == 10 * TESTS_PER_ISOLATE
    assert chile.num_rows == 4 * TESTS_PER_ISOLATE
    assert set(chile["country"].to_pylist()) == {"CHL"}
    for column in ("country", "lab_code", "isolate_id", "patient_key", "specimen_date",
                   "specimen_type", "origin", "age_years", "sex", "mo", "ab", "method",
                   "value_raw", "sir", "reason", "guideline"):
        assert column in everything.column_names
    assert everything["sir"].null_count == everything.num_rows  # nothing interpreted yet


def test_query_takes_question_mark_parameters_on_both_engines(store_url) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(5))
        result = store.query(
            "SELECT count(*) AS n, '100% sure?' AS literal FROM isolate WHERE lab_code = ?",
            ["AR-001"])
    assert result.to_pylist() == [{"n": 5, "literal": "100% sure?"}]


# --- errors --------------------------------------------------------------------------------

def test_unreachable_postgresql_names_the_url_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://hub:s3cret@127.0.0.1:9/amr")
    text = str(caught.value)
    assert "s3cret" not in text
    assert "postgresql://hub:***@127.0.0.1:9/amr" in text
    assert "What to do" in text and "--db" in text


def test_a_file_that_is_not_a_store_is_refused(tmp_path) -> None:
    garbage = tmp_path / "notes.duckdb"
    garbage.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError, match="Cannot open the DuckDB store"):
        open_store(garbage)
    assert garbage.read_bytes().startswith(b"these are my notes")
    with pytest.raises(StoreError, match="folder"):
        open_store(tmp_path)


def test_reading_commands_do_not_create_a_store(tmp_path) -> None:
    with pytest.raises(StoreError, match="No store found"):
        open_store(tmp_path / "missing.duckdb", create=False)
    assert not (tmp_path / "missing.duckdb").exists()


# --- interpretation ------------------------------------------------------------------------

def engine_reference(store, guideline: str, policy: str) -> list[tuple]:
    """What the interpretation engine says when called directly on the stored rows."""
    from amrwatch.interpret import interpret

    rows = store.query(
        "SELECT a.ast_id, a.lab_code || '|' || a.isolate_id AS isolate_id, i.mo AS organism, "
        "a.ab AS antimicrobial, a.method, a.value_raw AS value, a.potency, "
        "coalesce(i.specimen_type = 'URINE', false) AS uti FROM ast_result a "
        "JOIN isolate i ON i.lab_code = a.lab_code AND i.isolate_id = a.isolate_id")
    result = interpret(rows, guideline=guideline, policy=policy).sort_by("ast_id")
    return list(zip(*(result[c].to_pylist() for c in ("ast_id", "sir", "reason",
                                                       "breakpoint_id")), strict=True))


def stored(store, guideline: str, policy: str) -> list[tuple]:
    table = store.query("SELECT ast_id, sir, reason, breakpoint_id FROM interpretation "
                        "WHERE guideline = ? AND policy = ? ORDER BY ast_id", [guideline, policy])
    return list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))


@pytest.mark.parametrize("policy", ["default", "amr"])
def test_reinterpret_stores_what_the_engine_says_for_every_result(store_url, policy) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(15))
        summary = store.reinterpret("EUCAST 2025", policy=policy)
        assert summary["interpretations"] == 15 * TESTS_PER_ISOLATE
        assert stored(store, "EUCAST 2025", policy) == engine_reference(store, "EUCAST 2025",
                                                                         policy)


def test_guideline_versions_live_side_by_side(store_url) -> None:
    with open_store(store_url) as store:
        add(store, *small_upload(8))
        store.reinterpret("EUCAST 2025")
        store.reinterpret("CLSI 2024")
        first = stored(store, "EUCAST 2025", "default")
        store.reinterpret("EUCAST 2025")  # again: replaces its own rows only
        status = store.status()
        flat = store.isolate_results(guideline="CLSI 2024")
        actions = store.query("SELECT action, target FROM audit WHERE action = 'reinterpret'")
    n = 8 * TESTS_PER_ISOLATE
    assert status["interpretations"] == {"CLSI 2024": n, "EUCAST 2025": n}
    assert stored_rows_equal(first, n)
    assert set(flat["guideline"].to_pylist()) == {"CLSI 2024"} and flat.num_rows == n
    assert actions["target"].to_pylist() == ["EUCAST 2025", "CLSI 2024", "EUCAST 2025"]


def stored_rows_equal(rows: list[tuple], n: int) -> bool:
    return len(rows) == n and len({row[0] for row in rows}) == n


def test_reinterpreting_one_upload_leaves_the_others(store_url) -> None:
    with open_store(store_url) as store:
        first = add(store, *small_upload(5), sha="a")
        second = add(store, *small_upload(5, first=50), sha="b")
        store.reinterpret("EUCAST 2025")
        before = store.query("SELECT ast_id, computed_at FROM interpretation "
                             "WHERE ast_id IN (SELECT ast_id FROM ast_result WHERE upload_id = ?)"
                             " ORDER BY ast_id", [first.upload_id])
        store.reinterpret("EUCAST 2025", upload_id=second.upload_id)
        after = store.query("SELECT ast_id, computed_at FROM interpretation "
                            "WHERE ast_id IN (SELECT ast_id FROM ast_result WHERE upload_id = ?)"
                            " ORDER BY ast_id", [first.upload_id])
        total = store.status()["interpretations"]["EUCAST 2025"]
    assert after.equals(before)
    assert total == 10 * TESTS_PER_ISOLATE


def test_unknown_guideline_changes_nothing(store_url) -> None:
    from amrwatch.errors import ConfigurationError

    with open_store(store_url) as store:
        add(store, *small_upload(5))
        store.reinterpret("EUCAST 2025")
        with pytest.raises(ConfigurationError):
            store.reinterpret("EUCAST 1850")
        assert store.status()["interpretations"] == {"EUCAST 2025": 5 * TESTS_PER_ISOLATE}


def test_a_duckdb_store_in_use_by_another_process_is_named_with_what_to_do(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "busy.duckdb"
    open_store(path).close()
    hold = ("import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
            "print('open', flush=True); sys.stdin.read()")
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="another amrwatch process is using this store"):
            open_store(path)
    finally:
        holder.communicate("", timeout=30)


def test_results_given_as_plain_text_are_stored_as_their_distinct_readings(store_url) -> None:
    """A caller may give AST_RESULT text undecoded and isolate ids by value: the store finds the
    isolates by id and keeps one ast_reading per distinct test, value and category."""
    isolates, _ = small_upload(2)
    ids = isolates["isolate_id"].to_pylist()
    rows = [  # (isolate, drug, method, value, potency, lab S/I/R)
        (ids[1], "AMP", "DISK", "12", "10", "R"),
        (ids[0], "AMP", "DISK", "12", "10", "R"),  # the same reading as the first row
        (ids[0], "CIP", "MIC", "0.5", None, None),
        (ids[1], "CIP", "MIC", "0.5", None, "S"),  # same value, another category: new reading
    ]
    ast = pa.table({
        "lab_code": ["AR-001"] * 4, "isolate_id": [r[0] for r in rows],
        "antimicrobial_raw": [r[1] for r in rows], "ab": [r[1] for r in rows],
        "method": [r[2] for r in rows], "value_raw": [r[3] for r in rows],
        "potency": [r[4] for r in rows], "lab_sir": [r[5] for r in rows],
        "lab_guideline": ["CLSI 2024"] * 4, "source_row": [2, 1, 1, 2],
        "source_column": [f"{r[1]}_N{r[2][0]}" for r in rows]})
    with open_store(store_url) as store:
        add(store, isolates, ast)
        readings = store.query("SELECT count(*) AS n FROM ast_reading")["n"][0].as_py()
        back = store.query("SELECT isolate_id, ab, method, value_raw, potency, lab_sir "
                           "FROM ast_result ORDER BY ast_id")
    assert readings == 3
    assert [tuple(r.values()) for r in back.to_pylist()] == rows


def test_failed_upload_leaves_duckdb_reading_in_insertion_order(tmp_path) -> None:
    """Uploads are written without insertion order; a statement that fails inside one (the
    transaction is then aborted and refuses even RESET) must not leave that setting behind."""
    with open_store(str(tmp_path / "hub.duckdb")) as store:
        db = store.backend
        with pytest.raises(StoreError), db.transaction(), db.unordered_writes():
            db.execute("INSERT INTO lab VALUES ('AR-001', 'ARG', NULL, 'isolate', now())")
            db.execute("INSERT INTO lab VALUES ('AR-001', 'ARG', NULL, 'isolate', now())")
        setting = db.scalar("SELECT current_setting('preserve_insertion_order')")
    assert setting is True
