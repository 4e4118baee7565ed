"""Bad input never raises: it comes back unresolved (or uncertain) with a reason."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amrwatch.codes import resolve_antimicrobials, resolve_organisms
from amrwatch.codes.antimicrobials import REASONS as DRUG_REASONS
from amrwatch.codes.organisms import REASONS as ORGANISM_REASONS

anything = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.binary(max_size=60),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=180, max_size=400),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(anything, max_size=8))
def test_any_values_give_aligned_rows_with_a_known_reason(values):
    for resolve, reasons, code in ((resolve_organisms, ORGANISM_REASONS, "mo"),
                                   (resolve_antimicrobials, DRUG_REASONS, "ab")):
        result = resolve(values)
        assert result.num_rows == len(values)
        for row in result.to_pylist():
            assert row["reason"] in reasons
            assert (row[code] is None) == row["reason"].startswith("unresolved")
            assert 0.0 <= row["score"] <= 1.0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "unresolved_empty"),
        ("   ", "unresolved_empty"),
        (None, "unresolved_missing"),
        ("NA", "unresolved_missing"),
        ("NaN", "unresolved_missing"),
        ("sin dato", "unresolved_missing"),
        ("12.5", "unresolved_number"),
        ("-3", "unresolved_number"),
        ("x" * 10_000, "unresolved_too_long"),
        ("?!#%", "unresolved_invalid"),
        ("Sin crecimiento", "unresolved_not_organism"),
        ("\x00\x01eco", "unresolved_invalid"),
    ],
)
def test_bad_organism_values(value, reason):
    row = resolve_organisms([value]).to_pylist()[0]
    assert (row["mo"], row["reason"]) == (None, reason)


@pytest.fixture(autouse=True)
def _no_user_whonet_tables(tmp_path, monkeypatch):
    """AMR tables only: a developer's own WHONET import must not change these expectations."""
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path))


def test_mixed_encodings_in_one_column():
    latin1 = "Escherichia coli".encode("latin-1")
    garbled = "Estafilococo áureo".encode("latin-1")  # not valid UTF-8
    mojibake = "Estafilococo Ã¡ureo"  # UTF-8 read as Latin-1
    good = "Estafilococo áureo".encode()
    result = resolve_organisms([latin1, garbled, mojibake, good, b"\xff\xfe\xfa"])
    assert result["mo"].to_pylist()[:4] == ["B_ESCHR_COLI"] + ["B_STPHY_AURS"] * 3
    assert result["mo"][4].as_py() is None


def test_binary_arrow_input():
    values = pa.array([b"eco", b"\xe9\xff", None], type=pa.binary())
    assert resolve_organisms(values)["mo"].to_pylist() == ["B_ESCHR_COLI", None, None]


def test_ten_kilobytes_of_garbage_in_a_large_column():
    garbage = "".join(chr(0x20 + (i * 7919) % 0x2000) for i in range(10_000))
    result = resolve_antimicrobials([garbage, "AMC"] * 1000)
    assert result["reason"].to_pylist()[:2] == ["unresolved_too_long", "resolved"]
