"""WHONET AMRIE breakpoints as a second source behind the same interface.

Uses the user's copy in ../shared/refdata/whonet-amrie (never vendored; licence unclear). Expected
categories are the published ones (EUCAST v14.0 and CLSI M100 Ed34, 2024), which both sources must
give despite their different R conventions (refdata README trap 1).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from amrwatch.errors import ReferenceDataError
from amrwatch.interpret import interpret

CASES = {  # (guideline, method): {value: published category}, E. coli ciprofloxacin
    ("EUCAST 2024", "MIC"): {"0.25": "S", "0.5": "I", "1": "R"},  # S<=0.25 R>0.5
    ("EUCAST 2024", "DISK"): {"25": "S", "22": "I", "21": "R"},  # 5 ug: S>=25 R<22
    ("CLSI 2024", "MIC"): {"0.25": "S", "0.5": "I", "1": "R"},  # S<=0.25 R>=1
    ("CLSI 2024", "DISK"): {"26": "S", "22": "I", "21": "R"},  # 5 ug: S>=26 R<=21
}


@pytest.mark.parametrize("guideline, method", list(CASES))
def test_whonet_and_amr_sources_agree_on_published_values(whonet_dir, guideline, method) -> None:
    expected = CASES[(guideline, method)]
    rows = pa.table({"organism": ["Escherichia coli"] * 3, "antimicrobial": ["CIP"] * 3,
                     "method": [method] * 3, "value": list(expected)})
    whonet = interpret(rows, guideline=guideline, source=whonet_dir)
    assert whonet["sir"].to_pylist() == list(expected.values())
    assert whonet["breakpoint_id"][0].as_py().startswith("whonet/Breakpoints.txt#")
    assert interpret(rows, guideline=guideline)["sir"].to_pylist() == list(expected.values())


def test_whonet_blocker_rows_win_and_give_no_interpretation(whonet_dir) -> None:
    """CLSI: aminoglycosides are not reported for Salmonella (WHONET blocker row keyed to SAL)."""
    rows = pa.table({"organism": ["Salmonella enterica"], "antimicrobial": ["GEN"],
                     "method": ["MIC"], "value": ["1"]})
    result = interpret(rows, guideline="CLSI 2024", source=whonet_dir)
    assert result["reason"].to_pylist() == ["blocked_by_guideline"]
    assert result["sir"].to_pylist() == [None]
    assert result["breakpoint_id"][0].as_py().startswith("whonet/")


def test_a_folder_without_whonet_tables_is_a_clear_error(tmp_path) -> None:
    rows = pa.table({"organism": ["Escherichia coli"], "antimicrobial": ["CIP"],
                     "method": ["MIC"], "value": ["1"]})
    with pytest.raises(ReferenceDataError, match="No WHONET breakpoint tables"):
        interpret(rows, guideline="CLSI 2024", source=tmp_path)


def test_whonet_expected_resistance_covers_clsi_and_its_exceptions(whonet_dir) -> None:
    """ExpectedResistancePhenotypes.txt: Klebsiella is ampicillin R (CLSI and EUCAST);
    Enterobacterales azithromycin R except Salmonella and Shigella (EXCEPTION_ORGANISM_CODE)."""
    rows = pa.table({"organism": ["Klebsiella pneumoniae", "Escherichia coli", "Salmonella enterica"],
                     "antimicrobial": ["AMP", "AZM", "AZM"], "method": ["MIC"] * 3,
                     "value": ["2"] * 3})
    result = interpret(rows, guideline="CLSI 2024", source=whonet_dir)
    assert result["reason"].to_pylist()[:2] == ["expected_resistance"] * 2
    assert result["sir"].to_pylist()[:2] == ["R", "R"]
    assert result["reason"][2].as_py() != "expected_resistance"
    # the bundled table (EUCAST Expected Resistant Phenotypes v1.2, Table 1: Klebsiella
    # pneumoniae is ampicillin-resistant) is applied under CLSI too, and says where R came from
    bundled = interpret(rows, guideline="CLSI 2024")
    assert bundled["reason"][0].as_py() == "expected_resistance"
    assert "EUCAST Expected Resistant Phenotypes" in bundled["breakpoint_id"][0].as_py()
