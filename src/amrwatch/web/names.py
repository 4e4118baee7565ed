"""Display names of organisms and antimicrobials, from the vendored AMR reference tables."""

from __future__ import annotations

from functools import cache

from amrwatch.refdata import table


@cache
def organism_names() -> dict[str, str]:
    t = table("microorganisms")
    return dict(zip(t["mo"].to_pylist(), t["fullname"].to_pylist()))


@cache
def antimicrobial_names() -> dict[str, str]:
    t = table("antimicrobials")
    return dict(zip(t["ab"].to_pylist(), t["name"].to_pylist()))


def organism(mo: str | None) -> str:
    return organism_names().get(mo or "", mo or "–")


def antimicrobial(ab: str | None) -> str:
    return antimicrobial_names().get(ab or "", ab or "–")
