"""Ingested files in the store (DuckDB and PostgreSQL): accepted rows only, no identifiers.

Scans every text column of every table of the store (uploads' reports and the audit log
included) for the names, birth dates, comments and patient ids of the input files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ingest_bad_inputs import CORPUS, READ_FILES
from test_ingest_privacy import identifier_values

from amrwatch.ingest import read_upload
from amrwatch.store import open_store

KEY = b"0123456789abcdef0123456789abcdef"




def store_texts(store) -> set[str]:
    """Every distinct non-null value of every text column of every table."""
    postgres = store.location.startswith("postgresql")
    columns = store.query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE "
        + ("table_schema = current_schema() AND data_type IN ('text', 'character varying')"
           if postgres else "data_type = 'VARCHAR'"))
    texts: set[str] = set()
    for table, column in zip(columns["table_name"].to_pylist(), columns["column_name"].to_pylist()):
        values = store.query(f'SELECT DISTINCT "{column}" AS v FROM "{table}"')["v"]
        texts |= {v for v in values.to_pylist() if v}
    return texts


def ingest(store, path: Path, lab: str, country: str = "ARG"):
    result = read_upload(path, lab=lab, country=country, key=KEY)
    outcome = store.add_upload(lab, country, result.file, result.sha256, result.reader,
                               result.isolates, result.ast_results, result.report())
    return result, outcome


@pytest.mark.shared
def test_no_identifier_reaches_the_store(store_url, whonet_dir, amr_r_dir):
    sample = whonet_dir / "SampleInputFile.txt"
    named = CORPUS / "with_names.txt"
    amr = amr_r_dir / "WHONET.tsv"
    with open_store(store_url) as store:
        ingest(store, sample, "WHO-TST")
        ingest(store, named, "PE-001", "PER")
        ingest(store, amr, "BE-001", "BEL")
        texts = store_texts(store)
    specimen_numbers = {t.split("/")[0] for t in texts}
    forbidden = (identifier_values(sample, "|") - specimen_numbers) | identifier_values(named, "|")
    forbidden |= {v for v in identifier_values(amr, "\t") if len(v) > 3}
    forbidden |= {"1961-03-12", "1950-11-30"}
    assert forbidden and not any(value in text for value in forbidden for text in texts)


def test_bad_inputs_change_the_store_by_their_accepted_rows_only(store_url):
    with open_store(store_url) as store:
        before = store.status()
        for number, name in enumerate(sorted(READ_FILES)):
            isolates, results, _ = READ_FILES[name]
            if isolates == 0:
                continue  # nothing accepted: `amrwatch ingest` refuses to store (see CLI test)
            _, outcome = ingest(store, CORPUS / name, f"LAB-{number}")
            assert (outcome.isolates_stored, outcome.ast_stored) == (isolates, results)
        after = store.status()
        expected = sum(v[0] for v in READ_FILES.values())
        assert after["isolates"] - before["isolates"] == expected
        assert after["ast_results"] - before["ast_results"] == sum(
            v[1] for v in READ_FILES.values())
        # the same file again changes nothing
        lab = f"LAB-{sorted(READ_FILES).index('truncated.txt')}"
        _, again = ingest(store, CORPUS / "truncated.txt", lab)
        assert again.already_ingested
        assert store.status()["isolates"] == after["isolates"]
