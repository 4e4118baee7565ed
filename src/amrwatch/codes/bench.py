"""Realistic organism columns for `amrwatch bench codes` (no timing here, just the data).

Takes a number of distinct terms; gives a deterministic mix of what labs write: accepted names of
clinically common species, lab/WHONET codes, "G. species" abbreviations in several cases, and
misspelt names that need fuzzy matching (the slow path), then spreads them over N cells.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from amrwatch.refdata import table


def sample_terms(count: int, seed: int = 20261123) -> list[str]:
    """`count` distinct terms: 40 % names, 30 % codes, 20 % abbreviations, 10 % misspellings."""
    rng = np.random.default_rng(seed)
    species = table("microorganisms").filter(
        pa.compute.and_(pa.compute.equal(table("microorganisms")["rank"], "species"),
                        pa.compute.equal(table("microorganisms")["prevalence"], 1.0)))
    names = rng.permutation(species["fullname"].to_numpy(zero_copy_only=False)).tolist()
    codes = rng.permutation(table("microorganisms.codes")["code"].to_numpy(zero_copy_only=False)).tolist()
    abbreviations = [f"{n[0]}. {n.split(' ')[1]}" for n in names[count:]]
    misspelt = [n[:-2] + n[-1] + n[-2] for n in names[2 * count:]]  # last two letters swapped
    mix = (names[: count * 4 // 10] + [c.lower() for c in codes[: count * 3 // 10]]
           + abbreviations[: count * 2 // 10] + misspelt[: count // 10])
    unique = list(dict.fromkeys(mix))
    return unique[:count]


def spread(terms: list[str], values: int, seed: int = 7) -> pa.Array:
    """A column of `values` cells drawing from `terms` with a skewed (Zipf-like) frequency."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(terms) + 1)
    picks = rng.choice(len(terms), size=values, p=weights / weights.sum())
    return pa.array(terms, pa.string()).take(pa.array(picks))
