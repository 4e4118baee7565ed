"""Where wild-type and resistant MICs and zones lie, taken from the published tables.

Takes the organism and panel data files and the vendored AMR `clinical_breakpoints` table; gives,
per organism × antimicrobial × method × guideline family, the centre of the wild-type population
(from the EUCAST ECOFF row when there is one, else below the lowest susceptible breakpoint), the
centre of the resistant population (beyond the highest resistant breakpoint of any guideline
year a lab may use) and the disk potency; and per guideline year the S/R breakpoints a lab applies
to report its own S/I/R.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from amrwatch.refdata import table
from amrwatch.synth.geography import data_frame

#: Guideline years a synthetic lab may apply (specimen years 2021-2025 minus a lag of up to 3).
FIRST_YEAR = 2016
#: EUCAST "no S category" sentinels (refdata README §5 trap 3) are not a place for a population.
SENTINEL_MIC = 0.002


def _organism_keys() -> pd.DataFrame:
    """One row per organism × breakpoint key with its rank (0 = the most specific key)."""
    organisms = data_frame("organisms.tsv")
    rows = [(o, key, rank) for o, keys in zip(organisms.organism, organisms.breakpoint_keys,
                                              strict=True)
            for rank, key in enumerate(keys.split(";"))]
    return pd.DataFrame(rows, columns=["organism", "mo", "key_rank"])


def _breakpoint_rows(kind: str) -> pd.DataFrame:
    rows = table("clinical_breakpoints").to_pandas()
    rows = rows[rows.type == kind].copy()
    rows["family"] = rows.guideline.str.split(" ").str[0]
    rows["year"] = rows.guideline.str.split(" ").str[1].astype(int)
    return rows[rows.year >= FIRST_YEAR]


@cache
def lab_breakpoints() -> pd.DataFrame:
    """S and R per organism, antimicrobial, method and guideline (e.g. "CLSI 2019").

    The most specific organism key wins; among its rows, non-UTI and site-less rows first, as the
    refdata README §4.2 describes for AMR's selection.
    """
    rows = _breakpoint_rows("human").merge(_organism_keys(), on="mo")
    rows["site_rank"] = rows.site.isna().map({True: 0, False: 1}) + rows.uti.fillna(False) * 2
    rows = rows.sort_values(["organism", "ab", "method", "guideline", "key_rank", "site_rank"])
    best = rows.drop_duplicates(["organism", "ab", "method", "guideline"])
    return best[["organism", "ab", "method", "guideline", "family", "year", "disk_dose",
                 "breakpoint_S", "breakpoint_R"]].reset_index(drop=True)


def _first_resistant(rows: pd.DataFrame) -> pd.Series:
    """Lowest MIC that is R: EUCAST R is "> R" (next dilution), CLSI R is "≥ R" (trap 1)."""
    r = rows.breakpoint_R.fillna(rows.breakpoint_S * 2)
    return np.where(rows.family == "EUCAST", r * 2, r)


def _mic_centres(bp: pd.DataFrame, ecoff: pd.DataFrame) -> pd.DataFrame:
    mic = bp[bp.method == "MIC"].assign(first_r=lambda d: _first_resistant(d))
    real_s = mic[mic.breakpoint_S >= SENTINEL_MIC]
    grouped = mic.groupby(["organism", "ab"]).first_r.max().rename("r_mic").to_frame()
    grouped["s_mic"] = real_s.groupby(["organism", "ab"]).breakpoint_S.min()
    grouped = grouped.join(ecoff[ecoff.method == "MIC"].groupby(["organism", "ab"])
                           .breakpoint_S.min().rename("ecoff_mic"))
    s_based = np.log2(grouped.s_mic) - 2.5
    ecoff_based = np.log2(grouped.ecoff_mic) - 1.5
    grouped["wt_log2"] = np.fmin(ecoff_based.fillna(s_based), s_based.fillna(ecoff_based))
    grouped["r_log2"] = np.log2(grouped.r_mic) + 1.5
    # Low-level resistance (one gyrA mutation, qnr) sits just above the lowest S breakpoint, where
    # guideline versions disagree (e.g. CLSI 2018 S <= 1 vs EUCAST R > 0.5 for ciprofloxacin).
    grouped["low_log2"] = np.log2(grouped.s_mic.fillna(grouped.r_mic / 4)) + 2.0
    return grouped.reset_index()


def _disk_centres(bp: pd.DataFrame, ecoff: pd.DataFrame) -> pd.DataFrame:
    disk = bp[(bp.method == "DISK") & bp.disk_dose.notna()].copy()
    # First resistant zone: EUCAST R is "< R" (R - 1 mm), CLSI "≤ R" (trap 1).
    disk["first_r"] = np.where(disk.family == "EUCAST", disk.breakpoint_R - 1, disk.breakpoint_R)
    keys = ["organism", "ab", "family", "disk_dose"]
    grouped = disk.groupby(keys).agg(s_zone=("breakpoint_S", "max"), r_zone=("first_r", "min"))
    ecoff_zone = ecoff[ecoff.method == "DISK"].groupby(["organism", "ab", "disk_dose"]) \
        .breakpoint_S.max().rename("ecoff_zone")
    grouped = grouped.reset_index().merge(ecoff_zone.reset_index(), how="left",
                                          on=["organism", "ab", "disk_dose"])
    grouped["s_zone"] = grouped.s_zone.where(grouped.s_zone < 50)  # 50 mm = "no S" sentinel
    grouped["wt_zone"] = np.fmax(grouped.s_zone, grouped.ecoff_zone.fillna(0)) + 6
    grouped["wt_zone"] = grouped.wt_zone.fillna(grouped.r_zone + 12)
    grouped["r_zone"] = grouped.r_zone.fillna(grouped.s_zone - 4) - 4
    grouped["low_zone"] = (grouped.wt_zone + grouped.r_zone) / 2
    latest = disk.sort_values("year").drop_duplicates(["organism", "ab", "family"], keep="last")
    return grouped.merge(latest[["organism", "ab", "family", "disk_dose"]],
                         on=["organism", "ab", "family", "disk_dose"])


@cache
def population_centres() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(MIC centres per organism × drug, disk centres per organism × drug × guideline family)."""
    bp = lab_breakpoints()
    ecoff = _breakpoint_rows("ECOFF").merge(_organism_keys(), on="mo")
    return _mic_centres(bp, ecoff), _disk_centres(bp, ecoff)


def potency(disk_dose: pd.Series) -> pd.Series:
    """Disk content as a lab writes it in a WHONET column name: "30 mcg" → "30", "1.25/23.75" → "1.25"."""
    return disk_dose.str.replace(" mcg", "", regex=False).str.split("/").str[0]
