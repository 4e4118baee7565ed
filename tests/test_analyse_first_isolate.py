"""First isolates and MDRO classes against the AMR R package 3.0.0 on its own example_isolates.

Expected values are AMR's outputs stored in tests/fixtures/analyse (see its README for the R calls).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from amrwatch import refdata
from amrwatch.analyse.first_isolate import episode_starts, first_isolates
from amrwatch.analyse.isolates import to_long
from amrwatch.errors import ConfigurationError, InputError
from amrwatch.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
CALLS = {
    "isolate_based": {"method": "isolate-based"},
    "patient_based": {"method": "patient-based"},
    "episode_based": {"method": "episode-based"},
    "episode_based_30": {"method": "episode-based", "episode_days": 30},
    "phenotype_based": {"method": "phenotype-based"},
    "phenotype_keyab": {"method": "phenotype-based", "phenotype_type": "keyantimicrobials"},
}


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return read_table(FIXTURES / "first_isolate.tsv")


@pytest.mark.parametrize("column", sorted(CALLS))
def test_first_isolate_flags_equal_amr(reference: pa.Table, column: str) -> None:
    out = first_isolates(refdata.table("example_isolates"), **CALLS[column])
    expected = [value == "TRUE" for value in reference.column(column).to_pylist()]
    assert out.column("first_isolate").to_pylist() == expected


def test_long_input_gives_the_same_flags_per_isolate() -> None:
    wide = refdata.table("example_isolates")
    long = to_long(wide)  # isolates without any result have no rows in a long table
    tested = sorted({int(i) - 1 for i in long.column("isolate_id").to_pylist()})
    expected = first_isolates(wide.take(tested), method="episode-based")
    out = first_isolates(long, method="episode-based")
    flags = dict(zip(out.column("isolate_id").to_pylist(), out.column("first_isolate").to_pylist()))
    assert [flags[str(i + 1)] for i in tested] == expected.column("first_isolate").to_pylist()
    assert out.num_rows == long.num_rows


def test_episode_numbers_count_episodes_per_patient_and_species() -> None:
    table = pa.table({
        "date": ["2020-01-01", "2020-06-01", "2021-01-01", "2021-01-02", "2020-03-01"],
        "patient": ["p1", "p1", "p1", "p1", "p2"],
        "mo": ["B_ESCHR_COLI"] * 5,
    })
    out = first_isolates(table, method="episode-based", episode_days=365)
    # 2021-01-01 is 366 days after 2020-01-01: a new episode (>= 365 days, AMR get_episode())
    assert out.column("first_isolate").to_pylist() == [True, False, True, False, True]
    assert out.column("episode").to_pylist() == [1, 1, 2, 2, 1]


def test_episode_chain_restarts_from_episode_start_not_last_isolate() -> None:
    gid = [0, 0, 0, 0]
    days = [0, 20, 40, 60]  # every 20 days, 30-day episodes: starts at day 0 and day 40
    import numpy as np

    starts = episode_starts(np.array(gid), np.array(days), 30)
    assert starts.tolist() == [True, False, True, False]


def test_unknown_organisms_are_never_first() -> None:
    table = pa.table({"date": ["2020-01-01"] * 2, "patient": ["a", "b"], "mo": ["UNKNOWN", None]})
    assert first_isolates(table, method="episode-based").column("first_isolate").to_pylist() == [
        False, False]


def test_bad_method_and_bad_dates_are_clear_errors() -> None:
    table = pa.table({"date": ["2020-13-45"], "patient": ["a"], "mo": ["B_ESCHR_COLI"]})
    with pytest.raises(ConfigurationError, match="Unknown first-isolate method"):
        first_isolates(table, method="weekly")
    with pytest.raises(InputError, match="Dates cannot be read"):
        first_isolates(table, method="episode-based")
