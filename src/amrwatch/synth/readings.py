"""The AST rows of a chunk: what each lab's instrument or ruler reads for each isolate.

Takes the isolates of a chunk, their resistance traits and each isolate's lab guideline (family
and year codes); gives `Readings`, numpy arrays with one entry per AST result: isolate row, panel
row (organism × antimicrobial), method (MIC, DISK or GRADIENT), raw value string (capped at the
lab's dilution range: `<=0.25`, `>=32`, `>16`), the lab's own S/I/R under its guideline and the
true resistance flag. Strings come from small lookup tables, so no per-result Python runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache

import numpy as np
import pandas as pd

from amrwatch.synth.distributions import lab_breakpoints
from amrwatch.synth.geography import data_yaml
from amrwatch.synth.phenotype import (
    K_MAX,
    K_MIN,
    dilution_labels,
    disk_table,
    gradient_label,
    panel_table,
)

FAMILIES = ("CLSI", "EUCAST")
METHODS = ("MIC", "DISK", "GRADIENT")
SIR = np.array(["", "S", "I", "R", "NS"], dtype=object)
FIRST_YEAR, LAST_YEAR = 2011, 2025
PREFIXES = ("", "<=", ">=", ">")


@dataclass
class Readings:
    row: np.ndarray  # isolate row in the chunk
    panel: np.ndarray  # row of panel_table()
    method: np.ndarray  # index into METHODS
    family: np.ndarray  # index into FAMILIES
    year: np.ndarray  # guideline year
    value: np.ndarray  # raw value text (object)
    prefix: np.ndarray  # index into PREFIXES (the comparator of a capped MIC)
    bare: np.ndarray  # the value text without its comparator (object)
    number: np.ndarray  # the value as a number (capped values at their bound)
    sir: np.ndarray  # index into SIR (the lab's own category)
    resistant: np.ndarray  # the truth

    def take(self, index: np.ndarray) -> Readings:
        return Readings(*(getattr(self, f.name)[index] for f in fields(self)))

    def __len__(self) -> int:
        return len(self.row)

    def text(self, name: str) -> np.ndarray:
        """Object array of a coded column: ab, organism, method, family, guideline, lab_sir, potency."""
        t = tables()
        if name in ("ab", "organism"):
            return t.panels[name].to_numpy(object)[self.panel]
        if name == "method":
            return np.array(METHODS, dtype=object)[self.method]
        if name == "family":
            return np.array(FAMILIES, dtype=object)[self.family]
        if name == "guideline":
            return t.guideline_text[self.family, self.year.astype(int) - FIRST_YEAR]
        if name == "lab_sir":
            return SIR[self.sir]
        if name == "potency":
            return np.where(self.method == 1, t.potency[self.panel, self.family], "")
        raise KeyError(name)


@dataclass
class Tables:
    panels: pd.DataFrame
    s: np.ndarray  # (panel, MIC/DISK, family, year) susceptible breakpoint, NaN = none
    r: np.ndarray  # same, resistant breakpoint (NaN = S-only row)
    has_row: np.ndarray  # a breakpoint row exists
    disk: np.ndarray  # (panel, family, 3): wild-type, resistant and low-level zone centres
    potency: np.ndarray  # (panel, family) disk content text
    labels: np.ndarray  # (prefix, family, k) MIC text
    guideline_text: np.ndarray  # (family, year)


@cache
def tables() -> Tables:
    """Lookup arrays built once from the panels and the published breakpoints."""
    panels = panel_table()
    years = LAST_YEAR - FIRST_YEAR + 1
    shape = (len(panels), 2, 2, years)
    s, r, has_row = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, bool)
    keyed = panels.reset_index(names="p")[["p", "organism", "ab"]].merge(
        lab_breakpoints(), on=["organism", "ab"])
    keyed = keyed[keyed.method.isin(["MIC", "DISK"]) & keyed.year.between(FIRST_YEAR, LAST_YEAR)]
    at = (keyed.p.to_numpy(), (keyed.method == "DISK").to_numpy(int),
          (keyed.family == "EUCAST").to_numpy(int), keyed.year.to_numpy() - FIRST_YEAR)
    s[at], r[at], has_row[at] = keyed.breakpoint_S, keyed.breakpoint_R, True
    disk = np.full((len(panels), 2, 3), np.nan)
    potency = np.full((len(panels), 2), "", dtype=object)
    zones = panels.reset_index(names="p")[["p", "organism", "ab"]].merge(
        disk_table(), on=["organism", "ab"])
    at2 = (zones.p.to_numpy(), (zones.family == "EUCAST").to_numpy(int))
    disk[at2] = zones[["wt_zone", "r_zone", "low_zone"]].to_numpy()
    potency[at2] = zones.potency.to_numpy(object)
    labels = np.empty((len(PREFIXES), 2, K_MAX - K_MIN + 1), dtype=object)
    for f, family in enumerate(FAMILIES):  # 4 × 2 small label tables
        for p, prefix in enumerate(PREFIXES):
            labels[p, f] = prefix + dilution_labels(family)
    text = np.array([[f"{family} {year}" for year in range(FIRST_YEAR, LAST_YEAR + 1)]
                     for family in FAMILIES], dtype=object)
    return Tables(panels, s, r, has_row, disk, potency, labels, text)


def _lab_sir(t: Tables, panel: int, method: np.ndarray, family: np.ndarray, year: np.ndarray,
             x: np.ndarray) -> np.ndarray:
    """The lab's own S/I/R (EUCAST R is ">"/"<", CLSI R "≥"/"≤": refdata README trap 1)."""
    disk = (method == 1).astype(int)
    at = (panel, disk, family, year.astype(int) - FIRST_YEAR)
    s, r, known = t.s[at], t.r[at], t.has_row[at]
    eucast = family == 1
    with np.errstate(invalid="ignore"):
        susceptible = np.where(disk == 1, x >= s, x <= s)
        resistant = np.where(disk == 1, np.where(eucast, x < r, x <= r),
                             np.where(eucast, x > r, x >= r))
    sir = np.where(susceptible, 1, np.where(resistant, 3, np.where(np.isnan(r), 4, 2)))
    return np.where(known & ~np.isnan(s), sir, 0).astype(np.int8)


def _mic(row: pd.Series, lab: np.ndarray, family: np.ndarray, gradient: np.ndarray,
         state: np.ndarray, labs: dict[str, np.ndarray], rng: np.random.Generator):
    centre = np.choose(state, [row.wt_log2, row.low_log2, row.r_log2])
    log2 = rng.normal(centre, np.choose(state, [0.7, 0.5, 0.9]))
    k = np.rint(log2).astype(int)
    low = np.where(labs["reference"][lab], labs["ref_low"],
                   int(np.log2(row.mic_low)) + labs["offset"][lab])
    high = np.where(labs["reference"][lab], labs["ref_high"], int(np.log2(row.mic_high)))
    ge = labs["ge_style"][lab]
    # Vitek-style ">=top" covers MICs at or above the top well; ">top" covers those above it.
    prefix = np.where(k <= low, 1, np.where(ge & (k >= high), 2, np.where(~ge & (k > high), 3, 0)))
    shown = np.clip(k, low, high)
    t = tables()
    value = t.labels[prefix, family, shown - K_MIN]
    bare = t.labels[0, family, shown - K_MIN]
    number = 2.0 ** shown
    half = np.rint(log2 * 2).astype(int)
    strip = gradient_label(half)
    value, bare = np.where(gradient, strip, value), np.where(gradient, strip, bare)
    number = np.where(gradient, 2.0 ** (np.clip(half, -12, 16) / 2), number)
    return value, bare, np.where(gradient, 0, prefix).astype(np.int8), number


def _disk(panel: int, family: np.ndarray, state: np.ndarray, rng: np.random.Generator):
    centres = tables().disk[panel, family]  # (n, 3): wild type, resistant, low level
    centre = np.choose(state, [centres[:, 0], centres[:, 2], centres[:, 1]])
    zone = np.clip(np.rint(rng.normal(centre, np.where(state == 2, 3.0, 2.2))), 6, 50)
    return ZONES[np.nan_to_num(zone, nan=6).astype(int)], zone


ZONES = np.array([str(z) for z in range(51)], dtype=object)


def _lab_arrays(labs: pd.DataFrame) -> dict[str, np.ndarray]:
    profile = data_yaml("lab_profile.yaml")
    return {"disk": labs.method.to_numpy() == "disk",
            "reference": labs.kind.to_numpy() == "reference",
            "offset": labs.range_offset.to_numpy(int), "ge_style": labs.capped_style.to_numpy() == ">=",
            "ref_low": int(np.log2(profile["reference_range"][0])),
            "ref_high": int(np.log2(profile["reference_range"][1]))}


METHOD_CODE = {"mic": 0, "disk": 1, "gradient": 2, "none": -1}


def _one_drug(p: int, row: pd.Series, iso: dict[str, np.ndarray], labs: dict[str, np.ndarray],
              resistant: np.ndarray, family: np.ndarray, year: np.ndarray, keep: np.ndarray,
              everything: np.ndarray, rng: np.random.Generator) -> Readings | None:
    index = np.flatnonzero(iso["organism"] == row.organism_index)
    lab = iso["lab"][index]
    method = np.where(labs["disk"][lab], METHOD_CODE[row.disk_labs], METHOD_CODE[row.mic_labs])
    truth = resistant[index, int(row.trait_index)] & (rng.random(len(index)) < row.penetrance)
    truth |= (rng.random(len(index)) < row.background) | everything[index]
    low = ~truth & (rng.random(len(index)) < row.low_share)
    state = np.where(truth, 2, np.where(low, 1, 0))
    fam, yr = family[index], year[index]
    value, bare, prefix, number = _mic(row, lab, fam, method == 2, state, labs, rng)
    if (method == 1).any():
        zone_text, zone = _disk(p, fam, state, rng)
        disk = method == 1
        value, bare = np.where(disk, zone_text, value), np.where(disk, zone_text, bare)
        number, prefix = np.where(disk, zone, number), np.where(disk, 0, prefix).astype(np.int8)
    sir = _lab_sir(tables(), p, method, fam, yr, number)
    # A lab tests what its guideline has breakpoints for (its panel follows its tables), except
    # isolates in `keep` (event isolates sent on to the reference lab with a full panel).
    chosen = (method >= 0) & ((sir > 0) | keep[index]) & ~((method == 1) & np.isnan(number))
    if not chosen.any():
        return None
    n = int(chosen.sum())
    return Readings(index[chosen], np.full(n, p, dtype=np.int16), method[chosen].astype(np.int8),
                    fam[chosen], yr[chosen].astype(np.int16), value[chosen], prefix[chosen],
                    bare[chosen], number[chosen], sir[chosen], truth[chosen])


def read_panels(iso: dict[str, np.ndarray], labs: pd.DataFrame, resistant: np.ndarray,
                family: np.ndarray, year: np.ndarray, rng: np.random.Generator,
                keep: np.ndarray, everything: np.ndarray) -> Readings:
    """All AST rows of a chunk, ordered by isolate then panel order (deterministic).

    `keep` marks isolates tested with the full panel; `everything` those resistant to every drug
    tested (a pan-resistant event).
    """
    lab_arrays = _lab_arrays(labs)
    parts = []
    for p, row in enumerate(tables().panels.itertuples(index=False)):  # ~150 organism × drug
        part = _one_drug(p, pd.Series(row._asdict()), iso, lab_arrays, resistant, family, year,
                         keep, everything, rng)
        if part is not None:
            parts.append(part)
    merged = Readings(*(np.concatenate([getattr(part, f.name) for part in parts])
                        for f in fields(Readings)))
    return merged.take(np.lexsort((merged.panel, merged.row)))
