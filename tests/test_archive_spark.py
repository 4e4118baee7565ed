"""Spark runs the same clinical rules as the local engine: identical rows, identical counts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from amrwatch.interpret import interpret
from amrwatch.interpret.benchmark import workload

pytest.importorskip("pyspark", reason="pyspark is installed by `make test`")


@pytest.fixture(scope="module")
def session():
    from amrwatch.archive.spark import spark_session

    with spark_session("local[2]") as spark:
        yield spark


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, pa.Table]:
    rows = workload(1200, seed=7)
    rows = rows.append_column("country", pa.array(["BRA", "ARG", "CHL"] * 400))
    rows = rows.append_column("row_no", pa.array(range(rows.num_rows)))
    folder = tmp_path_factory.mktemp("archive") / "ast"
    ds.write_dataset(rows, folder, format="parquet", partitioning=["country"],
                     partitioning_flavor="hive")
    return folder, rows


@pytest.fixture(scope="module")
def interpreted(session, archive, tmp_path_factory) -> tuple[Path, int]:
    from amrwatch.archive.spark import interpret_archive

    target = tmp_path_factory.mktemp("interpreted") / "out"
    return target, interpret_archive(session, archive[0], target, "CLSI 2024")


def test_spark_interpretation_equals_local_engine(archive, interpreted) -> None:
    _, rows = archive
    folder, written = interpreted
    assert written == rows.num_rows
    spark_rows = pq.read_table(folder).sort_by("row_no")
    local = interpret(rows, guideline="CLSI 2024").sort_by("row_no")
    for column in ("sir", "reason", "breakpoint_id", "guideline"):
        assert spark_rows.column(column).to_pylist() == local.column(column).to_pylist(), column


def test_spark_counts_equal_a_direct_count(session, interpreted, tmp_path) -> None:
    from amrwatch.archive.spark import resistance_counts

    counts = resistance_counts(session, interpreted[0], tmp_path / "counts", ["country"])
    con = duckdb.connect()
    con.register("rows", pq.read_table(interpreted[0]))
    expected = con.sql(
        "SELECT country, antimicrobial, count(*) AS n, "
        "count(*) FILTER (WHERE sir = 'R') AS r FROM rows "
        "WHERE sir IN ('S','SDD','I','R','NS') GROUP BY ALL ORDER BY ALL").fetchall()
    got = sorted(zip(counts["country"].to_pylist(), counts["antimicrobial"].to_pylist(),
                     counts["n_tested"].to_pylist(), counts["n_R"].to_pylist()))
    assert got == expected


def test_missing_columns_are_reported(session, tmp_path) -> None:
    from amrwatch.archive.spark import interpret_archive
    from amrwatch.errors import InputError

    pq.write_table(pa.table({"organism": ["eco"]}), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="lacks columns"):
        interpret_archive(session, tmp_path, tmp_path / "out", "CLSI 2024")
