"""The vendored AMR tables match their source, as recorded in shared/refdata/MANIFEST.tsv."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from amrwatch import refdata


def _shared_manifest(shared_dir: Path) -> dict[str, dict[str, str]]:
    with (shared_dir / "refdata" / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_every_vendored_table_matches_source_checksum_and_rows(shared_dir: Path) -> None:
    expected = _shared_manifest(shared_dir)
    tables = refdata.manifest()["tables"]
    assert len(tables) == 14
    for name, entry in tables.items():
        source = expected[f"amr-r/{entry['source_file']}"]
        assert entry["source_sha256"] == source["sha256"], name
        assert entry["rows"] == int(source["data_rows"]), name
        assert refdata.table(name).num_rows == int(source["data_rows"]), name


def test_manifest_records_source_version_and_licence() -> None:
    source = refdata.manifest()["source"]
    assert source["version"] == "3.0.0"
    assert source["licence"] == "GPL-2"
    assert (refdata.AMR_R_DIR / "LICENSE").read_text().startswith("GNU GENERAL PUBLIC LICENSE")


def test_breakpoints_keep_numeric_thresholds_and_row_ids() -> None:
    bp = refdata.table("clinical_breakpoints").to_pylist()
    # shared/refdata/README.md §3.2: CIP in Enterobacterales, EUCAST 2024, MIC 0.25/0.5.
    row = next(
        r for r in bp
        if r["guideline"] == "EUCAST 2024" and r["mo"] == "B_[ORD]_ENTRBCTR" and r["ab"] == "CIP"
        and r["method"] == "MIC" and r["type"] == "human" and r["site"] == "Non-meningitis"
    )
    assert (row["breakpoint_S"], row["breakpoint_R"]) == (0.25, 0.5)
    assert row["breakpoint_id"].startswith("amr-3.0.0/clinical_breakpoints#")
    assert len({r["breakpoint_id"] for r in bp}) == len(bp)


def test_importing_amrwatch_loads_no_reference_table() -> None:
    code = (
        "import sys, amrwatch; "
        "assert 'amrwatch.refdata' not in sys.modules; "
        "import amrwatch.refdata as r; assert r.table.cache_info().currsize == 0; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_rebuild_is_reproducible(amr_r_dir: Path, tmp_path: Path) -> None:
    from amrwatch.refdata.build import build

    rebuilt = build(amr_r_dir, tmp_path)
    assert rebuilt == refdata.manifest()
    for name in ("clinical_breakpoints", "antimicrobials"):
        assert (tmp_path / f"{name}.parquet").read_bytes() == (
            refdata.AMR_R_DIR / f"{name}.parquet"
        ).read_bytes()
