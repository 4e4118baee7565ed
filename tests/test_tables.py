"""User tables round-trip through TSV, CSV and Parquet with raw values kept as text."""

from __future__ import annotations

import pyarrow as pa
import pytest

from amrwatch.errors import InputError
from amrwatch.tables import read_table, write_table


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".parquet"])
def test_round_trip_keeps_text_and_nulls(tmp_path, suffix: str) -> None:
    table = pa.table({"value": ["<=0.25", "012", None], "organism name": ["E. coli", None, "x"]})
    write_table(table, tmp_path / f"t{suffix}")
    assert read_table(tmp_path / f"t{suffix}").to_pylist() == table.to_pylist()


def test_unknown_extension_and_missing_file_are_input_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="Unsupported table format"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="File not found"):
        read_table(tmp_path / "missing.csv")
