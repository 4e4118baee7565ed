"""Realistic mess at a controlled rate: what real lab files contain and ingest must survive.

Takes an export frame, the column names to disturb and a rate; gives the disturbed frame and the
count of each kind of mess, which the generator records in `ground_truth.json` per file:
duplicated rows, missing sex/age, missing specimen dates, misspelled or unknown organisms, unknown
antimicrobials.
"""

from __future__ import annotations

import numpy as np

UNKNOWN_ORGANISM = "xyz"
UNKNOWN_ANTIMICROBIAL = "Antibiotico experimental 7"


def misspell(words: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap two neighbouring letters or drop one: `Klebsiella` → `Klebsiela` (few rows: a loop)."""
    result = words.copy()
    for i, word in enumerate(words):
        if not isinstance(word, str) or len(word) < 4:
            continue
        at = int(rng.integers(1, len(word) - 2))
        if rng.random() < 0.5:
            result[i] = word[:at] + word[at + 1] + word[at] + word[at + 2:]
        else:
            result[i] = word[:at] + word[at + 1:]
    return result


def _pick(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    return rng.random(n) < rate


def disturb(frame: dict[str, np.ndarray], columns: dict[str, str], rate: float,
            rng: np.random.Generator, organism_style: str
            ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Apply each kind of mess to `frame` (file column → values; `columns` maps field → column)."""
    counts: dict[str, int] = {}
    frame = {name: values.copy() for name, values in frame.items()}
    n = len(next(iter(frame.values()))) if frame else 0
    for field in ("sex", "age"):
        chosen = _pick(n, rate, rng)
        frame[columns[field]][chosen] = ""
        counts[f"missing_{field}"] = int(chosen.sum())
    chosen = _pick(n, rate / 10, rng)
    frame[columns["specimen_date"]][chosen] = ""
    counts["missing_specimen_date"] = int(chosen.sum())
    organism = frame[columns["organism"]]
    chosen = _pick(n, rate / 5 if organism_style == "code" else rate, rng)
    if organism_style == "code":
        organism[chosen] = UNKNOWN_ORGANISM
        counts["unknown_organism"] = int(chosen.sum())
    else:
        organism[chosen] = misspell(organism[chosen], rng)
        counts["misspelled_organism"] = int(chosen.sum())
    if "antimicrobial" in columns:
        chosen = _pick(n, rate / 10, rng)
        frame[columns["antimicrobial"]][chosen] = UNKNOWN_ANTIMICROBIAL
        counts["unknown_antimicrobial"] = int(chosen.sum())
    duplicated = np.flatnonzero(_pick(n, rate / 2, rng))
    counts["duplicated_rows"] = len(duplicated)
    order = np.sort(np.concatenate([np.arange(n), duplicated]), kind="stable")
    return {name: values[order] for name, values in frame.items()}, counts
