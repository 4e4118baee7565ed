"""No name, birth date, comment or raw patient id survives ingestion; pseudonyms are stable.

The identifier values are read from the files with the csv module and searched for in every
output table (isolates, AST results, issues, the report) and, once stored, in every text column
of every table of the store.
"""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amrwatch.errors import InputError
from amrwatch.ingest import find_identifiers, read_upload
from amrwatch.ingest.deidentify import pseudonymise_file
from amrwatch.ingest.pseudonymise import key_path, load_or_create_key
from amrwatch.ingest.report import as_json

CORPUS = Path(__file__).parent / "fixtures" / "bad_inputs"
MESSAGES = Path(__file__).parent / "fixtures" / "messages"
KEY = b"0123456789abcdef0123456789abcdef"
WHONET_IDENTIFIERS = ("FIRST_NAME", "LAST_NAME", "DATE_BIRTH", "COMMENT", "PATIENT_ID",
                      "First name", "Last name", "Date of birth", "Comment",
                      "Identification number")


def identifier_values(path: Path, delimiter: str) -> set[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    return {r[c].strip() for r in rows for c in WHONET_IDENTIFIERS if r.get(c, "").strip()}


def texts_of(table: pa.Table) -> set[str]:
    return {v for c in table.columns if pa.types.is_string(c.type) for v in c.to_pylist() if v}


def assert_absent(values: set[str], result) -> None:
    found = texts_of(result.isolates) | texts_of(result.ast_results) | texts_of(result.issues)
    report = as_json(result.report(), result.issues)
    for value in values:
        assert value not in found
        assert all(value not in text for text in found), value
        assert value not in report, value


@pytest.mark.shared
def test_whonet_sample_identifiers_absent(whonet_dir):
    path = whonet_dir / "SampleInputFile.txt"
    values = identifier_values(path, "|")
    with open(path, newline="", encoding="utf-8") as handle:
        specimens = {r["SPEC_NUM"] for r in csv.DictReader(handle, delimiter="|")}
    result = read_upload(path, lab="TST", country="ARG", key=KEY)
    assert values  # the patient ids; the sample's name and birth-date columns are empty
    # The sample masks every id the same way (_NNNNNNNNNN_), so one patient id equals another
    # row's specimen number; specimen numbers are kept (they are the lab's isolate ids).
    assert_absent(values - specimens, result)


@pytest.mark.shared
def test_amr_whonet_names_absent(amr_r_dir):
    path = amr_r_dir / "WHONET.tsv"
    values = identifier_values(path, "\t")
    result = read_upload(path, lab="TST", country="BEL", key=KEY)
    assert len(values) > 300  # distinct names and ids of 500 isolates
    # Initials such as "B." are too short to search for in free text; match them exactly.
    long_values = {v for v in values if len(v) > 3}
    assert_absent(long_values, result)
    assert not (values & (texts_of(result.isolates) | texts_of(result.ast_results)))


def test_names_birth_dates_and_comments_dropped():
    path = CORPUS / "with_names.txt"
    values = identifier_values(path, "|")
    # the birth dates also must not appear rewritten as ISO dates
    values |= {"1961-03-12", "1950-11-30"}
    result = read_upload(path, lab="TST", country="PER", key=KEY)
    assert_absent(values, result)
    ages = dict(zip(result.isolates["source_row"].to_pylist(),
                    result.isolates["age_years"].to_pylist()))
    # completed years at the specimen date: born 12/3/1961, sampled 14/3/2024 -> 63;
    # born 30/11/1950, sampled 2/4/2024 -> 73
    assert ages == {1: 63.0, 2: 73.0, 3: 63.0}


def test_same_patient_same_key_same_pseudonym_across_formats():
    fhir = read_upload(MESSAGES / "micro_bundle.json", lab="TST", country="ARG", key=KEY)
    hl7 = read_upload(MESSAGES / "oru_r01.hl7", lab="TST", country="ARG", key=KEY)
    other = read_upload(MESSAGES / "oru_r01.hl7", lab="TST", country="ARG", key=b"x" * 32)
    assert fhir.isolates["patient_key"][0] == hl7.isolates["patient_key"][0]
    assert hl7.isolates["patient_key"][0] != other.isolates["patient_key"][0]
    # The FHIR example's Patient has no name; the HL7 example's PID-5 is DOE^JANE.
    for result, fields in ((fhir, set()), (hl7, {"first_name", "last_name"})):
        assert_absent({"PAT123", "DOE", "JANE", "1960-01-01", "19600101"}, result)
        dropped = result.issues.filter(pc.equal(result.issues["reason"], "identifier_removed"))
        assert fields | {"birth_date", "patient_id"} == set(dropped["column"].to_pylist())


def test_fhir_patient_name_is_dropped(tmp_path):
    bundle = json.loads((MESSAGES / "micro_bundle.json").read_text())
    bundle["entry"][0]["resource"]["name"] = [{"family": "Quispe", "given": ["Rosa", "Elena"]}]
    path = tmp_path / "named.json"
    path.write_text(json.dumps(bundle))
    result = read_upload(path, lab="TST", country="ARG", key=KEY)
    assert_absent({"Quispe", "Rosa", "Elena"}, result)
    assert result.isolates.num_rows == 1


@pytest.mark.parametrize("name", ["micro_bundle.json", "oru_r01.hl7"])
def test_strict_mode_refuses_messages_with_names(name):
    with pytest.raises(InputError) as caught:
        read_upload(MESSAGES / name, lab="TST", country="ARG", key=KEY, strict=True)
    assert caught.value.context["reason"] == "identifiers_present"


def test_key_created_once_outside_the_store_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path / "home"))
    path = key_path("AR-001")
    assert path == tmp_path / "home" / "keys" / "AR-001.key"
    key, created = load_or_create_key(path)
    again, created_again = load_or_create_key(path)
    assert created and not created_again and key == again and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_strict_mode_rejects_identifiers_and_accepts_pseudonymised_copy(tmp_path):
    path = CORPUS / "with_names.txt"
    with pytest.raises(InputError) as caught:
        read_upload(path, lab="TST", country="PER", key=KEY, strict=True)
    assert caught.value.context["reason"] == "identifiers_present"
    out = tmp_path / "clean.txt"
    done = pseudonymise_file(path, KEY, out)
    assert done.rows_written == 3 and done.pseudonymised == "PATIENT_ID"
    assert sorted(done.dropped) == ["COMMENT", "DATE_BIRTH", "FIRST_NAME", "LAST_NAME"]
    text = out.read_text(encoding="utf-8")
    for value in identifier_values(path, "|"):
        assert value not in text
    # The hub (another key) keeps the lab's pseudonyms: the same as ingesting with the lab key.
    clean = read_upload(out, lab="TST", country="PER", key=b"hub-key-" * 4, strict=True)
    direct = read_upload(path, lab="TST", country="PER", key=KEY)
    assert clean.isolates["patient_key"].to_pylist() == direct.isolates["patient_key"].to_pylist()
    assert clean.isolates["age_years"].to_pylist() == [63.0, 73.0, 63.0]


def test_strict_mode_sees_unmapped_name_columns(tmp_path):
    """A LIS column 'Apellido' that no mapping uses still blocks a network upload."""
    path = tmp_path / "lis.tsv"
    path.write_text("patient_id\thospital\tdate\tbacteria\tAMX\tAMC\tCIP\tGEN\tApellido\n"
                    + "a" * 64 + "\tA\t2024-01-05\tE. coli\tR\tS\tS\tS\tQuispe\n",
                    encoding="utf-8")
    from amrwatch.ingest.mapping import shipped_mapping

    with pytest.raises(InputError) as caught:
        read_upload(path, mapping=shipped_mapping("amr_example_isolates_unclean"), lab="TST",
                    country="PER", key=KEY, strict=True)
    assert "Apellido" in caught.value.context["columns"]
    relaxed = read_upload(path, mapping=shipped_mapping("amr_example_isolates_unclean"),
                          lab="TST", country="PER", key=KEY)
    assert_absent({"Quispe"}, relaxed)


def test_find_identifiers_on_a_lab_table():
    table = pa.table({"FIRST_NAME": ["Ana", None], "Last name": [None, None],
                      "PATIENT_ID": ["a" * 64, "HC-1"], "ORGANISM": ["eco", "kpn"],
                      "Fecha_de_Nacimiento": ["1/2/1960", None]})
    findings = find_identifiers(table)
    assert [(f.column, f.field, f.values) for f in findings] == [
        ("FIRST_NAME", "first_name", 1), ("PATIENT_ID", "patient_id", 1),
        ("Fecha_de_Nacimiento", "birth_date", 1)]


def test_report_json_is_valid_and_names_each_issue():
    result = read_upload(CORPUS / "impossible_values.txt", lab="TST", country="ARG", key=KEY)
    data = json.loads(as_json(result.report(), result.issues))
    assert data["counts"]["isolates_accepted"] == 2
    assert {"file", "row", "column", "value", "severity", "reason", "message"} <= set(
        data["issues"][0])
