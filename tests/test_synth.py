"""The synthetic data generator: determinism, ground truth, formats, mess, plausibility.

Expected %R bands come from `synth/data/resistance.tsv` (published figures with their sources);
the generated raw MICs are interpreted by amrwatch's interpretation engine under EUCAST 2025, not
by the generator, so a drift in either shows up here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import hl7
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from amrwatch.cli.main import app
from amrwatch.synth.generator import generate
from amrwatch.synth.geography import countries, data_frame, laboratories


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    generate(out, 12_000, seed=11, chunk_size=6_500)
    return out


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", 1_500, seed=5, chunk_size=700)
    generate(tmp_path / "b", 1_500, seed=5, chunk_size=700)
    generate(tmp_path / "c", 1_500, seed=6, chunk_size=700)
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(first) > 20 and first == second
    assert _digests(tmp_path / "c") != first


def test_region_has_33_celac_countries_with_reference_and_hospital_labs() -> None:
    table = countries()
    assert len(table) == 33 and table.iso3.is_unique
    assert {"BRA", "MEX", "ARG", "HTI", "KNA", "SUR"} <= set(table.iso3)
    assert table[["name_es", "name_pt", "name_en", "name_fr"]].notna().all().all()
    labs = laboratories(1)
    per_country = labs.groupby("country").kind.agg(set)
    assert len(per_country) == 33
    assert all(kinds == {"reference", "hospital"} for kinds in per_country)
    assert labs.lat.between(-56, 33).all() and labs.lon.between(-118, -34).all()


def test_every_country_and_five_years_are_generated(dataset: Path) -> None:
    isolates = pd.read_parquet(dataset / "truth" / "isolates.parquet")
    assert isolates.country.nunique() == 33
    years = pd.to_datetime(isolates.specimen_date).dt.year
    assert sorted(years.unique()) == [2021, 2022, 2023, 2024, 2025]
    glass = data_frame("organisms.tsv").set_index("organism").glass_pathogen.notna()
    assert isolates.organism.map(glass).mean() > 0.75  # GLASS priority pathogens dominate
    assert set(isolates.specimen) == {"blood", "urine", "stool", "genital", "respiratory"}


def test_ground_truth_lists_each_event_with_where_when_what(dataset: Path) -> None:
    truth = json.loads((dataset / "ground_truth.json").read_text(encoding="utf-8"))
    events = {e["id"]: e for e in truth["events"]}
    assert set(events) == {"kpc-border-cluster", "colistin-emergence", "first-candida-auris",
                           "mrsa-hospital-outbreak", "pan-resistant-acinetobacter",
                           "peru-guideline-change"}
    for event in events.values():
        assert event["what"] and event["where"]
        assert event.get("first_specimen_date") or event.get("start")
    cluster = events["kpc-border-cluster"]
    assert {w["country"] for w in cluster["where"]} == {"COL", "VEN"}
    assert len(cluster["isolates"]) == 50
    isolates = pd.read_parquet(dataset / "truth" / "isolates.parquet")
    auris = isolates[isolates.organism == "crs"]
    assert set(auris.event) == {"first-candida-auris"} and set(auris.country) == {"GTM"}
    listed = {(i["lab_code"], i["isolate_id"]) for i in cluster["isolates"]}
    stored = isolates[isolates.event == "kpc-border-cluster"]
    assert listed == set(zip(stored.lab_code, stored.isolate_id, strict=True))
    assert stored.carbapenemase.all()


def test_event_phenotypes_are_in_the_raw_values(dataset: Path) -> None:
    ast = pd.read_parquet(dataset / "truth" / "ast.parquet")
    isolates = pd.read_parquet(dataset / "truth" / "isolates.parquet")
    pan = isolates[isolates.event == "pan-resistant-acinetobacter"]
    tested = ast.merge(pan[["lab_code", "isolate_id"]])
    assert len(tested) and tested.resistant.all()
    assert {"COL", "MEM"} <= set(tested.ab)


def test_generated_resistance_lies_inside_the_published_bands(dataset: Path) -> None:
    from amrwatch.interpret import interpret
    from amrwatch.synth.summary import expected_bands

    ast = pd.read_parquet(dataset / "truth" / "ast.parquet")
    isolates = pd.read_parquet(dataset / "truth" / "isolates.parquet")
    ast = ast.merge(isolates[["lab_code", "isolate_id", "event"]])
    ast = ast[(ast.event == "") & (ast.method != "DISK")]
    mo = data_frame("organisms.tsv").set_index("organism").mo
    rows = pd.DataFrame({"organism": ast.organism.map(mo).to_numpy(), "antimicrobial": ast.ab,
                         "method": "MIC", "value": ast.value})

    table = pa.Table.from_pandas(rows, preserve_index=False)
    interpreted = interpret(table, guideline="EUCAST 2025")
    ast["sir"] = interpreted.column("sir").to_pylist()
    # A capped value below R on an I-only row ("<=0.5", EUCAST S = 0.001) is NI under the standard
    # capped-MIC policy: not interpretable as S or I, but certainly not R, so it stays in the
    # denominator of %R.
    ast = ast[ast.sir.isin(["S", "I", "R", "NI"])]
    observed = ast.groupby(["organism", "ab"]).sir.agg(n="size", r=lambda s: (s == "R").mean())
    bands = expected_bands().set_index(["organism", "ab"])
    checked = observed.join(bands, how="inner")
    checked = checked[checked.n >= 150]
    assert len(checked) >= 20
    tolerance = 3 * (checked.r * (1 - checked.r) / checked.n) ** 0.5 + 0.03
    outside = checked[(checked.r < checked.low - tolerance) | (checked.r > checked.high + tolerance)]
    assert outside.empty, outside


def test_files_parse_in_their_formats_and_latin1_files_are_latin1(dataset: Path) -> None:
    bundle = next((dataset / "fhir").glob("*/*.json"))
    assert json.loads(bundle.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    text = next((dataset / "hl7").glob("*.hl7")).read_text(encoding="utf-8")
    message = hl7.parse(text.split("\r\n")[0])
    assert str(message.segment("MSH")[9]) == "ORU^R01^ORU_R01"
    labs = laboratories(11).set_index("lab_code")
    latin = [p for p in (dataset / "whonet").glob("*.txt") if labs.loc[p.stem].encoding == "latin-1"]
    assert latin
    raw = b"".join(p.read_bytes() for p in latin)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "ñ" in raw.decode("latin-1") or "í" in raw.decode("latin-1")


def test_lis_mappings_are_valid_for_the_ingest_reader(dataset: Path) -> None:
    from amrwatch.ingest.mapping import load_mapping

    mappings = sorted((dataset / "lis").glob("*.mapping.yaml"))
    assert mappings
    for path in mappings:
        assert load_mapping(path).layout == "long"


def test_mess_is_recorded_per_file(dataset: Path) -> None:
    mess = json.loads((dataset / "ground_truth.json").read_text(encoding="utf-8"))["mess"]
    totals = pd.DataFrame(mess.values()).sum()
    for kind in ("duplicated_rows", "missing_sex", "missing_age", "unknown_organism",
                 "misspelled_organism"):
        assert totals[kind] > 0, kind


def test_summary_command_prints_countries_and_glass_resistance(dataset: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "summary", str(dataset)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "KNA" in result.output and "KLEPNE" in result.output and "WHO19" in result.output


def test_out_of_range_size_is_a_clear_error(tmp_path: Path) -> None:
    from amrwatch.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="out of range"):
        generate(tmp_path, 5, seed=1)
