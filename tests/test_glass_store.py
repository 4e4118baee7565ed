"""GLASS export and analyses read from a real store (DuckDB file) holding interpreted results."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amrwatch.export.glass_validate import validate_folder
from amrwatch.tables import read_table


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[str, int]:
    from amrwatch.store import open_store
    from amrwatch.store.workload import upload_tables

    path = str(tmp_path_factory.mktemp("store") / "hub.duckdb")
    isolates, ast = upload_tables(2000, seed=7, lab_code="AR-001", country="ARG", first_isolate=0)
    with open_store(path) as hub:
        hub.add_upload("AR-001", "ARG", "export.txt", "sha-glass", "whonet", isolates, ast,
                       {"rows": isolates.num_rows})
        hub.reinterpret("EUCAST 2025")
    years = collections.Counter(d.year for d in isolates.column("specimen_date").to_pylist() if d)
    return path, years.most_common(1)[0][0]


def test_export_from_the_store_passes_the_glass_checks(store, tmp_path: Path) -> None:
    from amrwatch.cli.main import app

    path, year = store
    done = CliRunner().invoke(app, ["export", "glass", "--db", path, "--country", "ARG", "--year",
                                    str(year), "--out", str(tmp_path), "--module", "ris",
                                    "--module", "sample", "--module", "amr-i"])
    assert done.exit_code == 0, done.output
    assert validate_folder(tmp_path).num_rows == 0
    ris = read_table(tmp_path / f"RIS_ARG_{year}_DS1.csv")
    assert ris.num_rows > 0
    counts = ["RESISTANT", "INTERMEDIATE", "NONSUSCEPTIBLE", "SUSCEPTIBLE", "UNKNOWN_NO_AST",
              "UNKNOWN_NO_BREAKPOINTS"]
    totals = [sum(int(row[c]) for c in counts) for row in ris.to_pylist()]
    assert min(totals) >= 1


def test_resistance_and_mdro_read_the_store(store, tmp_path: Path) -> None:
    from amrwatch.cli.main import app

    path, _ = store
    runner = CliRunner()
    done = runner.invoke(app, ["resistance", "--db", path, "--by", "country,year", "-o",
                               str(tmp_path / "r.tsv"), "--first", "episode-based"])
    assert done.exit_code == 0, done.output
    assert set(read_table(tmp_path / "r.tsv").column("country").to_pylist()) == {"ARG"}
    done = runner.invoke(app, ["mdro", "--db", path, "-o", str(tmp_path / "m.parquet")])
    assert done.exit_code == 0, done.output
