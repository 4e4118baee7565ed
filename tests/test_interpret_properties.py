"""Properties every interpretation must have, whatever the values (hypothesis).

* a higher MIC never gives a more susceptible category, a larger zone never a less susceptible one;
* the same input gives the same output; row order and chunking (batch size) change nothing;
* every row comes back with a reason from the closed set, and bad values never raise.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amrwatch.interpret import REASONS, interpret

#: susceptibility order of categories; NI and empty results carry no order.
ORDER = {"S": 0, "WT": 0, "SDD": 1, "I": 1, "NS": 2, "R": 2, "NWT": 2}
PAIRS = [  # organism, antimicrobial, guideline: rows used in test_interpret_published.py
    ("Escherichia coli", "CIP", "EUCAST 2025"), ("Escherichia coli", "CIP", "CLSI 2025"),
    ("Escherichia coli", "FEP", "CLSI 2024"), ("Pseudomonas aeruginosa", "MEM", "EUCAST 2025"),
    ("Pseudomonas aeruginosa", "CAZ", "CLSI 2019"), ("Staphylococcus aureus", "VAN", "CLSI 2019"),
    ("Streptococcus pneumoniae", "PEN", "CLSI 2025"), ("Streptococcus pneumoniae", "LNZ", "CLSI 2025"),
]
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
mics = st.lists(st.one_of(st.integers(-9, 9).map(lambda k: 2.0 ** k),
                          st.floats(0.001, 512, allow_nan=False)), min_size=2, max_size=25)
zones = st.lists(st.integers(6, 50), min_size=2, max_size=25)


def _ast(organism: str, drug: str, method: str, values: list[str]) -> pa.Table:
    n = len(values)
    return pa.table({"organism": [organism] * n, "antimicrobial": [drug] * n,
                     "method": [method] * n, "value": values})


def _never_less_resistant(numbers: list[float], categories: list[str | None], rising: bool) -> None:
    ranked = sorted((x if rising else -x, ORDER[c]) for x, c in zip(numbers, categories)
                    if c in ORDER)
    ranks = [rank for _, rank in ranked]
    assert ranks == sorted(ranks), list(zip(numbers, categories))


@FAST
@given(pair=st.sampled_from(PAIRS), values=mics, policy=st.sampled_from(["default", "amr"]))
def test_higher_mic_is_never_more_susceptible(pair, values, policy) -> None:
    organism, drug, guideline = pair
    texts = [f"{v:g}" for v in values]
    result = interpret(_ast(organism, drug, "MIC", texts), guideline=guideline, policy=policy)
    _never_less_resistant([float(t) for t in texts], result["sir"].to_pylist(), rising=True)


@FAST
@given(pair=st.sampled_from(PAIRS[:6]), values=zones, policy=st.sampled_from(["default", "amr"]))
def test_larger_zone_is_never_less_susceptible(pair, values, policy) -> None:
    organism, drug, guideline = pair
    result = interpret(_ast(organism, drug, "DISK", [str(v) for v in values]),
                       guideline=guideline, policy=policy)
    _never_less_resistant([float(v) for v in values], result["sir"].to_pylist(), rising=False)


values_any = st.one_of(st.none(), st.text(max_size=12),
                       st.sampled_from(["<=0.25", ">8", "≥16", "=<2", "0,5", "12", "25", "<6"]))
rows = st.lists(st.tuples(st.sampled_from([p[0] for p in PAIRS] + ["Nonexistus bogus", "", None]),
                          st.sampled_from(["CIP", "MEM", "VAN", "FEP", "zzz", None]),
                          st.sampled_from(["MIC", "DISK", "Etest", "disc", "PCR", None]),
                          values_any), min_size=1, max_size=40)


def _table(drawn) -> pa.Table:
    names = ["organism", "antimicrobial", "method", "value"]
    return pa.table({n: pa.array([r[i] for r in drawn], pa.string()) for i, n in enumerate(names)})


@FAST
@given(drawn=rows, policy=st.sampled_from(["default", "amr"]))
def test_every_row_keeps_its_place_and_gets_a_known_reason(drawn, policy) -> None:
    table = _table(drawn)
    result = interpret(table, guideline="EUCAST 2025", policy=policy)
    assert result.num_rows == table.num_rows
    assert result.select(table.column_names).equals(table)
    assert set(result["reason"].to_pylist()) <= set(REASONS)
    assert result["reason"].null_count == 0


@FAST
@given(drawn=rows, seed=st.randoms(use_true_random=False), chunk=st.integers(1, 7))
def test_result_does_not_depend_on_row_order_or_chunking(drawn, seed, chunk) -> None:
    table = _table(drawn)
    once = interpret(table, guideline="CLSI 2025")
    assert interpret(table, guideline="CLSI 2025").equals(once)
    order = list(range(table.num_rows))
    seed.shuffle(order)
    shuffled = interpret(table.take(order), guideline="CLSI 2025")
    assert shuffled.equals(once.take(order))
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=chunk))
    assert interpret(chunked, guideline="CLSI 2025").combine_chunks().equals(once.combine_chunks())
