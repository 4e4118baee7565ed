"""The engine's policies, settings, errors and input shapes.

Expected values come from the AMR 3.0.0 breakpoint rows cited (clinical_breakpoints.tsv) and from
the observed AMR 3.0.0 behaviour listed in shared/specs/amr-as-sir-behaviour.md (item numbers).
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.interpret import interpret


def ast(organism, drug, method, values, **extra) -> pa.Table:
    n = len(values)
    columns = {"organism": [organism] * n, "antimicrobial": [drug] * n, "method": [method] * n,
               "value": list(values)}
    columns.update({k: v if isinstance(v, list) else [v] * n for k, v in extra.items()})
    return pa.table(columns)


def sir(table, **options) -> list:
    return interpret(table, **options)["sir"].to_pylist()


def reasons(table, **options) -> list:
    return interpret(table, **options)["reason"].to_pylist()


def test_eucast_pkpd_rows_are_dropped_from_2024_in_default_policy_only() -> None:
    """EUCAST v14 (2024) removed the PK/PD table; AMR 3.0.0 still uses it (spec item 6).
    C. striatum has no cefotaxime row; PK/PD CTX S<=1 R>2: EUCAST 2024 row #5050, 2023 #6564."""
    rows = ast("Corynebacterium striatum", "CTX", "MIC", ["1", "4"])
    assert reasons(rows, guideline="EUCAST 2024") == ["no_breakpoint"] * 2
    assert sir(rows, guideline="EUCAST 2024", policy="amr") == ["S", "R"]
    result = interpret(rows, guideline="EUCAST 2023")
    assert result["sir"].to_pylist() == ["S", "R"]
    assert result["breakpoint_id"][0].as_py() == "amr-3.0.0/clinical_breakpoints#6564"


def test_s_only_clsi_rows_give_ns_by_default_and_nothing_under_amr() -> None:
    """CLSI 2025 S. pneumoniae linezolid has only S<=2 (row #20872): 4 is NS; AMR gives NA (item 8)."""
    rows = ast("Streptococcus pneumoniae", "LNZ", "MIC", ["2", "4"])
    assert sir(rows, guideline="CLSI 2025") == ["S", "NS"]
    result = interpret(rows, guideline="CLSI 2025", policy="amr")
    assert result["sir"].to_pylist() == ["S", None]
    assert result["reason"].to_pylist() == ["interpreted", "no_r_breakpoint"]


def test_disk_potency_must_match_the_breakpoint_disk() -> None:
    """EUCAST tests cefotaxime with a 5 ug disk (Enterobacterales), CLSI with 30 ug (trap 11)."""
    rows = ast("Escherichia coli", "CTX", "DISK", ["25", "25", "25"], potency=["30", "5 µg", None])
    assert reasons(rows, guideline="EUCAST 2025") == ["potency_mismatch", "interpreted", "interpreted"]
    clsi = ast("Escherichia coli", "CTX", "DISK", ["26", "26"], potency=["30 mcg", "5"])
    assert reasons(clsi, guideline="CLSI 2025") == ["interpreted", "potency_mismatch"]


def test_expected_resistance_comes_first_in_default_policy() -> None:
    """K. pneumoniae is intrinsically resistant to ampicillin (EUCAST Expected Resistant
    Phenotypes v1.2, AMR intrinsic_resistant); AMR's as.sir() default reads the value."""
    rows = ast("Klebsiella pneumoniae", "AMP", "MIC", ["2", ""])
    result = interpret(rows, guideline="EUCAST 2025")
    assert result["sir"].to_pylist() == ["R", None]
    assert result["reason"].to_pylist() == ["expected_resistance", "missing_value"]
    assert sir(rows, guideline="EUCAST 2025", policy="amr") == ["S", None]


def test_uti_false_quirk_only_in_amr_policy() -> None:
    """Spec item 2: K. pneumoniae CIP MIC 1, CLSI 2025, uti = FALSE gives S in AMR (a Gram-negative
    row); the Enterobacterales row #21099 (S<=0.25 R>=1) gives R."""
    rows = ast("Klebsiella pneumoniae", "CIP", "MIC", ["1", "1"], uti=[False, None])
    assert sir(rows, guideline="CLSI 2025", policy="amr") == ["S", "R"]
    assert sir(rows, guideline="CLSI 2025") == ["R", "R"]


def test_uti_true_without_uti_breakpoint() -> None:
    """Spec item 3: AMR gives NA; the default policy falls back to the general row."""
    rows = ast("Escherichia coli", "CIP", "MIC", ["1"], uti=True)
    assert reasons(rows, guideline="CLSI 2025", policy="amr") == ["uti_breakpoint_missing"]
    assert sir(rows, guideline="CLSI 2025") == ["R"]


CAPPED = ["<=0.25", "<=0.5", ">0.25", ">=1", "<2", ">0.5", "0.5"]


@pytest.mark.parametrize("handling, expected", [
    # EUCAST 2025 Enterobacterales ciprofloxacin S<=0.25 R>0.5 (row #2855)
    ("standard", ["S", "NI", "NI", "R", "NI", "R", "I"]),
    ("conservative", ["S", "NI", "R", "R", "S", "R", "I"]),
    ("lenient", ["S", "I", "R", "R", "S", "R", "I"]),
    ("none", ["S", "I", "I", "R", "R", "R", "I"]),  # "<2" is "<=1", ">0.25" is ">=0.5"
])
def test_capped_mic_handling_default_policy(handling, expected) -> None:
    rows = ast("Escherichia coli", "CIP", "MIC", CAPPED)
    assert sir(rows, guideline="EUCAST 2025", capped_mic_handling=handling) == expected


def test_capped_mic_handling_amr_policy_follows_as_sir() -> None:
    """Spec item 11: <=R is NI, <1 is read as 1, ">0.25" is just above S (I)."""
    rows = ast("Escherichia coli", "CIP", "MIC", CAPPED)
    assert sir(rows, guideline="EUCAST 2025", policy="amr") == ["S", "NI", "I", "R", "R", "R", "I"]


def test_ecoff_rows_give_wild_type_categories() -> None:
    """EUCAST E. coli ciprofloxacin ECOFF 0.064 mg/L (ECOFF rows: S = R = ECOFF)."""
    rows = ast("Escherichia coli", "CIP", "MIC", ["0.064", "0.125"], breakpoint_type="ECOFF")
    assert sir(rows, guideline="EUCAST 2025") == ["WT", "NWT"]
    assert sir(rows, guideline="EUCAST 2025", policy="amr") == ["S", "R"]


def test_gradient_methods_use_mic_rows_and_unknown_methods_are_reported() -> None:
    table = pa.table({"organism": ["Escherichia coli"] * 3, "antimicrobial": ["CIP"] * 3,
                      "method": ["Etest", "PCR", None], "value": ["1", "1", "1"]})
    result = interpret(table, guideline="EUCAST 2025")
    assert result["sir"].to_pylist() == ["R", None, None]
    assert result["reason"].to_pylist() == ["interpreted", "unknown_method", "unknown_method"]


def test_values_as_labs_write_them() -> None:
    rows = ast("Escherichia coli", "CIP", "MIC",
               ["0,25", "≤0.25", "=<0.25", "0.25 mg/L", " 1 ", "abc", "", None, "0", "-1"])
    result = interpret(rows, guideline="EUCAST 2025")
    assert result["sir"].to_pylist() == ["S", "S", "S", "S", "R", None, None, None, None, None]
    assert result["reason"].to_pylist()[5:] == ["unparseable_value", "missing_value",
                                                "missing_value", "value_out_of_range",
                                                "unparseable_value"]


def test_unresolved_codes_get_their_own_reasons() -> None:
    table = pa.table({"organism": ["Nonexistus bogus", "Escherichia coli"],
                      "antimicrobial": ["CIP", "not a drug"], "method": ["MIC", "MIC"],
                      "value": ["1", "1"]})
    assert reasons(table, guideline="EUCAST 2025") == ["unresolved_organism",
                                                       "unresolved_antimicrobial"]


@pytest.mark.parametrize("options, setting", [
    ({"guideline": "EUCAST 1999"}, "guideline"), ({"guideline": "WHO 2020"}, "guideline"),
    ({"policy": "lax"}, "policy"), ({"capped_mic_handling": "maybe"}, "capped_mic_handling"),
])
def test_bad_settings_name_the_setting(options, setting) -> None:
    with pytest.raises(ConfigurationError) as error:
        interpret(ast("Escherichia coli", "CIP", "MIC", ["1"]), **options)
    assert error.value.context["setting"] == setting
    assert error.value.hint


def test_bad_tables_are_input_errors() -> None:
    with pytest.raises(InputError, match="required columns"):
        interpret(pa.table({"organism": ["x"], "value": ["1"]}))
    with pytest.raises(InputError, match="interpretation columns"):
        interpret(ast("Escherichia coli", "CIP", "MIC", ["1"], sir="S"))


def test_pandas_and_polars_frames_and_bare_guideline() -> None:
    frame = {"organism": ["Escherichia coli"] * 2, "antimicrobial": ["CIP"] * 2,
             "method": ["MIC"] * 2, "value": [0.25, 1.0], "lab": ["a", "b"]}
    for data in (pd.DataFrame(frame), pl.DataFrame(frame)):
        result = interpret(data, guideline="EUCAST")
        assert result.column_names == ["organism", "antimicrobial", "method", "value", "lab",
                                       "sir", "reason", "breakpoint_id", "guideline"]
        assert result["sir"].to_pylist() == ["S", "R"]
        assert result["guideline"].to_pylist() == ["EUCAST 2025"] * 2


def test_empty_table() -> None:
    empty = ast("x", "y", "MIC", [])
    assert interpret(empty).num_rows == 0


def test_dictionary_encoded_input_gives_the_same_result() -> None:
    """Parquet read with read_dictionary (and the store) hand over dictionary columns."""
    rows = ast("Escherichia coli", "CIP", "MIC", ["0.25", "1", "<=0.5", "abc"])
    encoded = pa.table({name: rows[name].dictionary_encode() for name in rows.column_names})
    plain = interpret(rows, guideline="EUCAST 2025")
    result = interpret(encoded, guideline="EUCAST 2025")
    assert result.select(["sir", "reason", "breakpoint_id"]).equals(
        plain.select(["sir", "reason", "breakpoint_id"]))


def test_amr_policy_ignores_the_site_column() -> None:
    """AMR 3.0.0 as.sir() has no site argument: CLSI 2025 S. pneumoniae penicillin always takes the
    first row (meningitis, row #20887), whatever the site says."""
    rows = ast("Streptococcus pneumoniae", "PEN", "MIC", ["2", "2"], site=["Non-meningitis", None])
    assert sir(rows, guideline="CLSI 2025", policy="amr") == ["R", "R"]
    assert sir(rows, guideline="CLSI 2025") == ["S", "S"]


def test_animal_breakpoints_follow_the_host() -> None:
    """CLSI VET01 (2024) enrofloxacin, Enterobacterales: cats S<=0.5 R>=4 (row #23771), dogs
    S<=0.06 R>=0.5 (row #23772); poultry E. coli S<=0.25 R>=2 (row #22000)."""
    rows = ast("Escherichia coli", "ENR", "MIC", ["0.5", "0.5", "0.5", "0.5"],
               breakpoint_type="animal", host=["cat", "perro", "chicken", None])
    result = interpret(rows, guideline="CLSI 2024")
    assert result["sir"].to_pylist() == ["S", "R", "I", None]
    assert result["reason"].to_pylist()[3] == "unknown_breakpoint_type"
    assert result["breakpoint_id"].to_pylist()[:3] == [
        "amr-3.0.0/clinical_breakpoints#23771", "amr-3.0.0/clinical_breakpoints#23772",
        "amr-3.0.0/clinical_breakpoints#22000"]
