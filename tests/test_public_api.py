"""The public Python surface: everything in `amrwatch.__all__` is importable and does its job."""

from __future__ import annotations

import amrwatch


def test_every_public_name_resolves() -> None:
    for name in amrwatch.__all__:
        assert getattr(amrwatch, name) is not None, name


def test_four_codings_of_e_coli_give_one_organism() -> None:
    # "E. coli", WHONET code, AMR code and SNOMED CT 112283007 (Escherichia coli)
    found = amrwatch.resolve_organisms(["E. coli", "eco", "B_ESCHR_COLI", "112283007"])
    assert set(found["mo"].to_pylist()) == {"B_ESCHR_COLI"}
