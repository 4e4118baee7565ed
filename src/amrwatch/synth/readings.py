"""The AST rows of a chunk: what each lab's instrument or ruler reads for each isolate.

Takes the isolates of a chunk, their resistance traits and each isolate's lab guideline; gives a
dict of numpy arrays, one entry per AST result: isolate row, antimicrobial, method (MIC, DISK or
GRADIENT), potency, raw value string (capped at the lab's dilution range: `<=0.25`, `>=32`,
`>16`), the lab's own S/I/R under its guideline, and the true resistance flag.
"""

from __future__ import annotations

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

Columns = dict[str, np.ndarray]
LABELS = {style: dilution_labels(style) for style in ("CLSI", "EUCAST")}


def _mic_strings(k: np.ndarray, low: np.ndarray, high: np.ndarray, style: np.ndarray,
                 family: np.ndarray) -> np.ndarray:
    """Dilution k (log2) as the instrument prints it, capped at its range [low, high]."""
    labels = np.where(family == "EUCAST", LABELS["EUCAST"][np.clip(k, K_MIN, K_MAX) - K_MIN],
                      LABELS["CLSI"][np.clip(k, K_MIN, K_MAX) - K_MIN])
    low_label = np.where(family == "EUCAST", LABELS["EUCAST"][low - K_MIN],
                         LABELS["CLSI"][low - K_MIN])
    high_label = np.where(family == "EUCAST", LABELS["EUCAST"][high - K_MIN],
                          LABELS["CLSI"][high - K_MIN])
    # Vitek-style ">=top" covers MICs at or above the top well; ">top" covers those above it.
    over_ge = (style == ">=") & (k >= high)
    over_gt = (style == ">") & (k > high)
    value = np.where(k <= low, "<=" + low_label, labels)
    value = np.where(over_ge, ">=" + high_label, value)
    return np.where(over_gt, ">" + high_label, value)


def _lab_sir(rows: pd.DataFrame) -> np.ndarray:
    """The lab's own S/I/R under its guideline year, as its LIS would print it ("" = none)."""
    bp = lab_breakpoints()
    keyed = rows[["organism", "ab", "bp_method", "guideline", "number"]].merge(
        bp.rename(columns={"method": "bp_method"}), how="left",
        on=["organism", "ab", "bp_method", "guideline"])
    s, r, x = keyed.breakpoint_S.to_numpy(), keyed.breakpoint_R.to_numpy(), keyed.number.to_numpy()
    eucast = keyed.family.to_numpy() == "EUCAST"
    disk = keyed.bp_method.to_numpy() == "DISK"
    with np.errstate(invalid="ignore"):
        susceptible = np.where(disk, x >= s, x <= s)
        resistant = np.where(disk, np.where(eucast, x < r, x <= r), np.where(eucast, x > r, x >= r))
    sir = np.where(susceptible, "S", np.where(resistant, "R", "I"))
    sir = np.where(np.isnan(r) & ~susceptible, "NS", sir)
    return np.where(np.isnan(s), "", sir).astype(object)


def _one_drug(row: pd.Series, iso: Columns, labs: pd.DataFrame, resistant: np.ndarray,
              guideline: np.ndarray, families: np.ndarray,
              rng: np.random.Generator) -> pd.DataFrame | None:
    index = np.flatnonzero(iso["organism"] == row.organism_index)
    if not len(index):
        return None
    lab = iso["lab"][index]
    disk_lab = labs.method.to_numpy()[lab] == "disk"
    method = np.where(disk_lab, {"disk": "DISK", "gradient": "GRADIENT"}.get(row.disk_labs, ""),
                      "MIC" if row.mic_labs == "mic" else "")
    true_r = resistant[index, int(row.trait_index)] & (rng.random(len(index)) < row.penetrance)
    true_r |= rng.random(len(index)) < row.background
    low = ~true_r & (rng.random(len(index)) < row.low_share)
    frame = pd.DataFrame({"row": index, "lab": lab, "method": method, "family": families[index],
                          "guideline": guideline[index], "resistant": true_r, "low": low})
    frame = frame[frame.method != ""]
    frame["organism"], frame["ab"] = row.organism, row.ab
    return frame


def _mic_values(frame: pd.DataFrame, row: pd.Series, labs: pd.DataFrame,
                rng: np.random.Generator) -> None:
    centre = np.where(frame.resistant, row.r_log2, np.where(frame.low, row.low_log2, row.wt_log2))
    spread = np.where(frame.resistant, 0.9, np.where(frame.low, 0.5, 0.7))
    log2 = rng.normal(centre, spread)
    gradient = frame.method.to_numpy() == "GRADIENT"
    k = np.rint(log2).astype(int)
    profile = data_yaml("lab_profile.yaml")
    reference = labs.kind.to_numpy()[frame.lab] == "reference"
    low = np.where(reference, int(np.log2(profile["reference_range"][0])),
                   int(np.log2(row.mic_low)) + labs.range_offset.to_numpy()[frame.lab])
    high = np.where(reference, int(np.log2(profile["reference_range"][1])), int(np.log2(row.mic_high)))
    values = _mic_strings(k, low, high, labs.capped_style.to_numpy()[frame.lab],
                          frame.family.to_numpy())
    half = np.rint(log2 * 2).astype(int)
    frame["value"] = np.where(gradient, gradient_label(half), values)
    frame["number"] = np.where(gradient, 2.0 ** (np.clip(half, -12, 16) / 2),
                               2.0 ** np.clip(k, low, high))
    frame["potency"] = ""
    frame["bp_method"] = "MIC"


def _disk_values(frame: pd.DataFrame, disks: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    frame = frame.merge(disks[["organism", "ab", "family", "potency", "wt_zone", "r_zone",
                               "low_zone"]], on=["organism", "ab", "family"], how="inner")
    centre = np.where(frame.resistant, frame.r_zone, np.where(frame.low, frame.low_zone,
                                                              frame.wt_zone))
    zone = np.clip(np.rint(rng.normal(centre, np.where(frame.resistant, 3.0, 2.2))), 6, 50)
    frame["number"] = zone
    frame["value"] = zone.astype(int).astype(str).astype(object)
    frame["bp_method"] = "DISK"
    return frame


def read_panels(iso: Columns, labs: pd.DataFrame, resistant: np.ndarray, guideline: np.ndarray,
                rng: np.random.Generator, keep_untestable: np.ndarray) -> pd.DataFrame:
    """All AST rows of a chunk, ordered by isolate then panel order (deterministic).

    A lab tests only what its guideline has breakpoints for (its panel follows its tables), except
    isolates in `keep_untestable` (event isolates sent on to the reference lab with a full panel).
    """
    disks = disk_table()
    families = pd.Series(guideline).str.split(" ").str[0].to_numpy(object)
    parts = []
    for position, row in enumerate(panel_table().itertuples(index=False)):  # ~150 organism × drug
        frame = _one_drug(pd.Series(row._asdict()), iso, labs, resistant, guideline, families, rng)
        if frame is None or frame.empty:
            continue
        frame["panel_order"] = position
        mic = frame[frame.method != "DISK"].copy()
        if len(mic):
            _mic_values(mic, pd.Series(row._asdict()), labs, rng)
            parts.append(mic)
        disk = frame[frame.method == "DISK"]
        if len(disk):
            parts.append(_disk_values(disk, disks, rng))
    ast = pd.concat(parts, ignore_index=True)
    ast["lab_sir"] = _lab_sir(ast)
    ast = ast[(ast.lab_sir != "") | keep_untestable[ast.row.to_numpy()]]
    return ast.sort_values(["row", "panel_order"], kind="stable").reset_index(drop=True)
