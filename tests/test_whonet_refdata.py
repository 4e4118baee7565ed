"""Importing a user's WHONET AMRIE folder, and what amrwatch does with it.

Expected values are read from the WHONET text files themselves with the csv module, never from
the code under test. Skips (fails in CI) when ../shared is absent.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from amrwatch.codes import antimicrobial_properties, organism_properties, resolve_organisms
from amrwatch.errors import InputError
from amrwatch.refdata.whonet import FILES, import_whonet, load

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def imported(whonet_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    target = tmp_path_factory.mktemp("home") / "whonet"
    manifest = import_whonet(whonet_dir, target)
    return manifest, load(target)


def test_import_records_source_checksums_and_row_counts(imported, whonet_dir):
    manifest, tables = imported
    for name, entry in manifest["tables"].items():
        source = whonet_dir / FILES[name][0]
        assert entry["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert entry["rows"] == len(_rows(source)) == tables.table(name).num_rows
    assert manifest["source_path"] == str(whonet_dir.resolve())


def test_typed_accessors(imported, whonet_dir):
    _, tables = imported
    breakpoints = tables.breakpoints()
    assert breakpoints.schema.field("S").type == pa.float64()
    assert breakpoints.schema.field("YEAR").type == pa.int32()
    first = _rows(whonet_dir / "Breakpoints.txt")[0]
    row = breakpoints.slice(0, 1).to_pylist()[0]
    assert row["WHONET_TEST"] == first["WHONET_TEST"]
    assert row["S"] == (float(first["S"]) if first["S"] else None)
    current = [r for r in _rows(whonet_dir / "Organisms.txt") if r["TAXONOMIC_STATUS"] == "C"]
    assert tables.organisms().num_rows == len(current)
    assert tables.expert_rules().num_rows == len(_rows(whonet_dir / "ExpertInterpretationRules.txt"))


def test_case_collisions_include_the_documented_ones(imported):
    _, tables = imported
    # refdata README trap 7: asa/ASA, ali/ALI, aus/AUS
    assert {"ASA", "ALI", "AUS"} <= tables.case_collisions()
    assert "ECO" not in tables.case_collisions()  # SEROVAR_GROUP ECO contains eco


def test_bad_folders_are_refused_and_keep_the_previous_import(imported, whonet_dir, tmp_path):
    target = tmp_path / "whonet"
    import_whonet(whonet_dir, target)
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(whonet_dir / "Organisms.txt", partial)
    with pytest.raises(InputError, match="incomplete"):
        import_whonet(partial, target)
    broken = tmp_path / "broken"
    shutil.copytree(whonet_dir, broken, ignore=shutil.ignore_patterns("QC_Ranges.txt", "Sample*"))
    (broken / "Breakpoints.txt").write_text("NOT\tTHE\tRIGHT\tHEADER\r\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks required columns"):
        import_whonet(broken, target)
    assert load(target).breakpoints().num_rows == len(_rows(whonet_dir / "Breakpoints.txt"))
    with pytest.raises(InputError, match="not found"):
        import_whonet(tmp_path / "absent", target)


def test_load_without_import_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path))
    assert load() is None


def test_whonet_codes_resolve_to_the_same_species_as_the_amr_tables(imported):
    from amrwatch.codes.whonet_map import concordance_report

    _, tables = imported
    report = concordance_report(tables)
    assert report["amrwatch_agreement"] >= 0.99
    assert report["amr_code_agreement"] >= 0.97  # AMR's own code table alone; exceptions listed
    committed = (ROOT / "docs" / "whonet-organism-concordance.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \|", committed, flags=re.MULTILINE))
    assert listed == {row["code"] for row in report["exceptions"]}, \
        "regenerate: amrwatch codes whonet-concordance --out docs/whonet-organism-concordance.md"


def test_lower_case_codes_use_whonet_definitions(imported, whonet_dir):
    _, tables = imported
    saa = next(r for r in _rows(whonet_dir / "Organisms.txt")
               if r["WHONET_ORG_CODE"] == "saa" and r["TAXONOMIC_STATUS"] == "C")
    expected = resolve_organisms([saa["ORGANISM"]], whonet=None)["mo"][0].as_py()
    assert resolve_organisms(["saa"], whonet=tables)["mo"][0].as_py() == expected


def test_properties_carry_whonet_group_codes(imported, whonet_dir):
    _, tables = imported
    eco = next(r for r in _rows(whonet_dir / "Organisms.txt")
               if r["WHONET_ORG_CODE"] == "eco" and r["TAXONOMIC_STATUS"] == "C")
    row = organism_properties(["B_ESCHR_COLI"], whonet=tables).to_pylist()[0]
    assert (row["whonet_org_code"], row["whonet_family_code"], row["whonet_serovar_group"],
            row["whonet_subkingdom_code"]) == ("eco", eco["FAMILY_CODE"], eco["SEROVAR_GROUP"],
                                               eco["SUBKINGDOM_CODE"])
    cro = next(r for r in _rows(whonet_dir / "Antibiotics.txt") if r["WHONET_ABX_CODE"] == "CRO")
    drug = antimicrobial_properties(["CRO"], whonet=tables).to_pylist()[0]
    assert (drug["whonet_class"], drug["whonet_prof_class"]) == (cro["CLASS"], cro["PROF_CLASS"])


def test_aware_file_agrees_with_whonet_who_aware(whonet_dir):
    """Cross-check only: amrwatch's own AWaRe 2023 transcription against WHONET's column."""
    from amrwatch.codes import resolve_antimicrobials

    aware = {}
    for row in _rows(whonet_dir / "Antibiotics.txt"):
        if row["WHO_AWARE"]:
            aware.setdefault(row["WHONET_ABX_CODE"], row["WHO_AWARE"])
    codes = sorted(aware)
    abs_ = resolve_antimicrobials(codes, coding="whonet")["ab"].to_pylist()
    ours = antimicrobial_properties(abs_, whonet=None)["aware"].to_pylist()
    both = [(code, aware[code], mine) for code, mine in zip(codes, ours, strict=True) if mine]
    assert len(both) >= 150
    assert [pair for pair in both if pair[1] != pair[2]] == []
