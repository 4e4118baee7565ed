"""Published breakpoints -> published categories, at, just below and just above each breakpoint.

Every expected category is written by hand from the published table (EUCAST Clinical Breakpoint
Tables, CLSI M100) as the AMR 3.0.0 `clinical_breakpoints.tsv` row cited next to it encodes it;
none is computed by amrwatch. Both policies must agree on these rows (no site or PK/PD choice).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from amrwatch.interpret import interpret

# (guideline, organism, antimicrobial, method, {value: category}, source row / published table)
CASES = [
    # EUCAST v9.0 (2019) Enterobacteriaceae ciprofloxacin S<=0.25 R>0.5; row #13035
    ("EUCAST 2019", "Escherichia coli", "CIP", "MIC",
     {"0.125": "S", "0.25": "S", "0.5": "I", "1": "R"}, "clinical_breakpoints#13035"),
    # EUCAST 2019 ciprofloxacin 5 ug zone S>=25 R<22; row #13034
    ("EUCAST 2019", "Escherichia coli", "CIP", "DISK",
     {"26": "S", "25": "S", "24": "I", "22": "I", "21": "R"}, "clinical_breakpoints#13034"),
    # EUCAST v13.0 (2023) Enterobacterales, non-meningitis: S<=0.25 R>0.5; row #6426
    ("EUCAST 2023", "Klebsiella pneumoniae", "CIP", "MIC",
     {"0.125": "S", "0.25": "S", "0.5": "I", "1": "R"}, "clinical_breakpoints#6426"),
    ("EUCAST 2023", "Klebsiella pneumoniae", "CIP", "DISK",
     {"25": "S", "24": "I", "22": "I", "21": "R"}, "clinical_breakpoints#6425"),
    # EUCAST v15.0 (2025) Enterobacterales, non-meningitis; rows #2855 (MIC), #2854 (5 ug disk)
    ("EUCAST 2025", "B_ESCHR_COLI", "CIP", "MIC",
     {"0.25": "S", "0.5": "I", "1": "R", "0.064": "S"}, "clinical_breakpoints#2855"),
    ("EUCAST 2025", "B_ESCHR_COLI", "CIP", "DISK",
     {"25": "S", "24": "I", "22": "I", "21": "R"}, "clinical_breakpoints#2854"),
    # EUCAST 2025 Pseudomonas meropenem, non-meningitis: MIC S<=2 R>8, 10 ug zone S>=20 R<14
    ("EUCAST 2025", "Pseudomonas aeruginosa", "MEM", "MIC",
     {"2": "S", "4": "I", "8": "I", "16": "R"}, "clinical_breakpoints#1755"),
    ("EUCAST 2025", "Pseudomonas aeruginosa", "MEM", "DISK",
     {"20": "S", "19": "I", "14": "I", "13": "R"}, "clinical_breakpoints#1753"),
    # EUCAST 2019 Staphylococcus aureus vancomycin S<=2 R>2 (no I); row #12858
    ("EUCAST 2019", "Staphylococcus aureus", "VAN", "MIC",
     {"1": "S", "2": "S", "4": "R"}, "clinical_breakpoints#12858"),
    # CLSI M100 Ed29 (2019) P. aeruginosa ceftazidime MIC S<=8 I 16 R>=32; 30 ug S>=18 R<=14
    ("CLSI 2019", "Pseudomonas aeruginosa", "CAZ", "MIC",
     {"4": "S", "8": "S", "16": "I", "32": "R"}, "clinical_breakpoints#32011"),
    ("CLSI 2019", "Pseudomonas aeruginosa", "CAZ", "DISK",
     {"18": "S", "17": "I", "15": "I", "14": "R"}, "clinical_breakpoints#32010"),
    # CLSI 2019 S. aureus vancomycin S<=2 I 4-8 R>=16; row #32275
    ("CLSI 2019", "Staphylococcus aureus", "VAN", "MIC",
     {"2": "S", "4": "I", "8": "I", "16": "R"}, "clinical_breakpoints#32275"),
    # CLSI M100 Ed33 (2023) Enterobacterales ciprofloxacin S<=0.25 I 0.5 R>=1; 5 ug S>=26 R<=21
    ("CLSI 2023", "Escherichia coli", "CIP", "MIC",
     {"0.25": "S", "0.5": "I", "1": "R", "0.12": "S"}, "clinical_breakpoints#25945"),
    ("CLSI 2023", "Escherichia coli", "CIP", "DISK",
     {"26": "S", "25": "I", "22": "I", "21": "R"}, "clinical_breakpoints#25944"),
    # CLSI 2023 cefepime Enterobacterales S<=2 R>=16: the gap is I before 2024 (trap 4)
    ("CLSI 2023", "Escherichia coli", "FEP", "MIC",
     {"2": "S", "4": "I", "8": "I", "16": "R"}, "clinical_breakpoints#25994"),
    # CLSI M100 Ed34 (2024): the same gap is SDD (is_SDD = TRUE); MIC #23783, 30 ug disk #23782
    ("CLSI 2024", "Escherichia coli", "FEP", "MIC",
     {"2": "S", "4": "SDD", "8": "SDD", "16": "R"}, "clinical_breakpoints#23783"),
    ("CLSI 2024", "Escherichia coli", "FEP", "DISK",
     {"25": "S", "24": "SDD", "19": "SDD", "18": "R"}, "clinical_breakpoints#23782"),
    # CLSI M100 Ed35 (2025) Enterobacterales ciprofloxacin; rows #21099 and #21098
    ("CLSI 2025", "Escherichia coli", "CIP", "MIC",
     {"0.25": "S", "0.5": "I", "1": "R", "2": "R"}, "clinical_breakpoints#21099"),
    ("CLSI 2025", "Escherichia coli", "CIP", "DISK",
     {"26": "S", "25": "I", "22": "I", "21": "R"}, "clinical_breakpoints#21098"),
    # CLSI 2025 P. aeruginosa meropenem MIC S<=2 I 4 R>=8; 10 ug S>=19 R<=15
    ("CLSI 2025", "Pseudomonas aeruginosa", "MEM", "MIC",
     {"2": "S", "4": "I", "8": "R"}, "clinical_breakpoints#20187"),
    ("CLSI 2025", "Pseudomonas aeruginosa", "MEM", "DISK",
     {"19": "S", "18": "I", "16": "I", "15": "R"}, "clinical_breakpoints#20186"),
]


def _rows(guideline: str, organism: str, drug: str, method: str, values: dict[str, str]):
    return pa.table({
        "organism": [organism] * len(values), "antimicrobial": [drug] * len(values),
        "method": [method] * len(values), "value": list(values),
    })


@pytest.mark.parametrize("policy", ["default", "amr"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}-{c[1]}" for c in CASES])
def test_published_category(case, policy) -> None:
    guideline, organism, drug, method, expected, row = case
    result = interpret(_rows(guideline, organism, drug, method, expected), guideline=guideline,
                       policy=policy)
    assert dict(zip(expected, result.column("sir").to_pylist())) == expected
    assert set(result.column("reason").to_pylist()) == {"interpreted"}
    assert set(result.column("breakpoint_id").to_pylist()) == {f"amr-3.0.0/{row}"}
    assert set(result.column("guideline").to_pylist()) == {guideline}


def test_off_dilution_mic_rounds_up_to_the_next_dilution() -> None:
    """Trap 2: 12 mg/L is read as 16. EUCAST 2025 P. aeruginosa MEM R>8 (row #1755) -> R;
    a gradient 0.19 is 0.25, 0.75 is 1, 1.5 is 2 (S<=2 -> S)."""
    values = {"12": "R", "0.19": "S", "0.75": "S", "1.5": "S", "3": "I", "6": "I"}
    result = interpret(_rows("EUCAST 2025", "Pseudomonas aeruginosa", "MEM", "MIC", values),
                       guideline="EUCAST 2025")
    assert dict(zip(values, result.column("sir").to_pylist())) == values


def test_site_default_is_non_meningitis_in_default_policy_and_table_order_in_amr() -> None:
    """CLSI 2025 S. pneumoniae penicillin: non-meningitis S<=2 R>=8 (row #20888), meningitis
    S<=0.06 R>=0.12 (row #20887). AMR 3.0.0 takes the first row (meningitis; spec item 4)."""
    rows = _rows("CLSI 2025", "Streptococcus pneumoniae", "PEN", "MIC", {"2": "", "0.06": ""})
    default = interpret(rows, guideline="CLSI 2025")
    assert default.column("sir").to_pylist() == ["S", "S"]
    assert default.column("breakpoint_id")[0].as_py().endswith("#20888")
    amr = interpret(rows, guideline="CLSI 2025", policy="amr")
    assert amr.column("sir").to_pylist() == ["R", "S"]
    meningitis = interpret(rows.append_column("site", pa.array(["Meningitis"] * 2)),
                           guideline="CLSI 2025")
    assert meningitis.column("sir").to_pylist() == ["R", "S"]
