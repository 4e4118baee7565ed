"""Resistance of each isolate, then the raw MIC or zone each lab would read for it.

Takes a chunk's isolates, the prevalence bands of `resistance.tsv`, the panels of `panels.tsv` and
the population centres of `distributions`; gives the AST rows of the chunk: antimicrobial, method,
potency, the raw value string as the lab's instrument prints it, the lab's own S/I/R under its
guideline, and whether the isolate truly carries the resistance (the ground truth).

Resistance traits (ESC, CARB, FQ, ...) are drawn together with a Gaussian copula, so each trait
keeps its prevalence while co-resistance appears as it does in surveillance data (ESBL producers
are more often ciprofloxacin-resistant, GB14 in docs/synthetic-data.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.special import ndtri

from amrwatch.synth.distributions import population_centres, potency
from amrwatch.synth.geography import countries, data_frame

Columns = dict[str, np.ndarray]
#: Correlation of the latent resistance of one isolate across traits (co-resistance strength).
CO_RESISTANCE = 0.45
K_MIN, K_MAX = -10, 11  # log2 dilutions kept: 0.001 to 2048 mg/L


@cache
def traits() -> list[str]:
    return sorted(set(data_frame("panels.tsv").trait) | set(data_frame("resistance.tsv").trait))


@dataclass
class Prevalence:
    """Per organism × country × trait resistance probability for a seed, and its yearly trend."""

    base: np.ndarray  # (organisms, countries, traits), NaN where the trait does not apply
    trend: np.ndarray  # relative change per year, same shape
    fixed: np.ndarray  # True where the band is [1, 1] (expected resistance)
    lab_factor: np.ndarray  # (labs,) multiplicative lab effect

    @classmethod
    def draw(cls, n_labs: int, seed: int) -> Prevalence:
        organisms = data_frame("organisms.tsv").organism.tolist()
        n_countries = len(countries())
        bands = data_frame("resistance.tsv")
        rng = np.random.default_rng([seed, 2])
        shape = (len(organisms), n_countries, len(traits()))
        base, fixed = np.full(shape, np.nan), np.zeros(shape, bool)
        position = rng.beta(2.0, 2.0, shape)  # where in the published band each country lies
        for row in bands.itertuples():  # ~130 band rows: a loop over data-file rows
            o, t = organisms.index(row.organism), traits().index(row.trait)
            base[o, :, t] = row.low + (row.high - row.low) * position[o, :, t]
            fixed[o, :, t] = row.low >= 1.0
        trend = rng.uniform(-0.03, 0.05, shape)
        return cls(base, trend, fixed, rng.lognormal(0.0, 0.15, n_labs))


def probabilities(iso: Columns, country: np.ndarray, prevalence: Prevalence) -> np.ndarray:
    """(isolates × traits) probability of resistance: country band, trend, origin and lab."""
    year = iso["date"].astype("datetime64[Y]").astype(int) + 1970
    base = np.nan_to_num(prevalence.base[iso["organism"], country])
    trend = prevalence.trend[iso["organism"], country] * (year - 2023)[:, None]
    origin = np.where(iso["hospital"], 1.2, 0.85)[:, None]  # hospital-onset isolates more resistant
    p = base * (1 + trend) * origin * prevalence.lab_factor[iso["lab"]][:, None]
    return np.where(prevalence.fixed[iso["organism"], country], 1.0, np.clip(p, 0.0, 1.0))


def draw_traits(p: np.ndarray, panel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean (isolates × traits) resistance with shared latent factor; mechanisms imply others."""
    shared = rng.standard_normal(len(p))[:, None]
    own = rng.standard_normal(p.shape)
    latent = np.sqrt(CO_RESISTANCE) * shared + np.sqrt(1 - CO_RESISTANCE) * own
    resistant = latent < ndtri(np.clip(p, 1e-12, 1 - 1e-12))
    resistant &= p > 0
    names = traits()
    entero = panel == "enterobacterales"
    esc, carb, amp, amc = (names.index(t) for t in ("ESC", "CARB", "AMP", "AMC"))
    # Carbapenemases hydrolyse cephalosporins and penicillins; ESBLs hydrolyse ampicillin.
    resistant[:, esc] |= entero & resistant[:, carb]
    resistant[:, amc] |= entero & resistant[:, carb]
    resistant[:, amp] |= entero & resistant[:, esc]
    return resistant


def dilution_labels(style: str) -> np.ndarray:
    """Printed doubling dilutions from 2^K_MIN to 2^K_MAX; CLSI tables print 0.12, EUCAST 0.125."""
    clsi = {-6: "0.015", -5: "0.03", -4: "0.06", -3: "0.12"}
    eucast = {-6: "0.016", -5: "0.032", -4: "0.064", -3: "0.125"}
    short = clsi if style == "CLSI" else eucast
    labels = [short.get(k, f"{2.0 ** k:g}") for k in range(K_MIN, K_MAX + 1)]
    return np.array(labels, dtype=object)


#: Gradient strips print half-dilution steps (refdata README §5 trap 2).
GRADIENT_STEPS = {-13: "0.012", -11: "0.023", -9: "0.047", -7: "0.094", -5: "0.19", -3: "0.38",
                  -1: "0.75", 1: "1.5", 3: "3", 5: "6", 7: "12", 9: "24", 11: "48", 13: "96",
                  15: "192"}


def gradient_label(half_steps: np.ndarray) -> np.ndarray:
    """Strip reading for 2^(half_steps / 2) mg/L, within the usual 0.016-256 strip range."""
    half_steps = np.clip(half_steps, -12, 16)
    table = {h: GRADIENT_STEPS.get(h, f"{2.0 ** (h / 2):g}") for h in range(-12, 17)}
    table[-12] = "0.016"
    lookup = np.array([table[h] for h in range(-12, 17)], dtype=object)
    return lookup[half_steps + 12]


@cache
def panel_table() -> pd.DataFrame:
    """Panel rows joined to organisms and population centres (one row per organism × drug)."""
    organisms = data_frame("organisms.tsv").reset_index(names="organism_index")
    rows = organisms[["organism", "organism_index", "panel"]].merge(data_frame("panels.tsv"),
                                                                   on="panel")
    mic, _ = population_centres()
    rows = rows.merge(mic, on=["organism", "ab"], how="left")
    rows["trait_index"] = rows.trait.map({t: i for i, t in enumerate(traits())})
    return rows.dropna(subset=["wt_log2"]).reset_index(drop=True)


@cache
def disk_table() -> pd.DataFrame:
    _, disk = population_centres()
    disk = disk.copy()
    disk["potency"] = potency(disk.disk_dose)
    return disk
