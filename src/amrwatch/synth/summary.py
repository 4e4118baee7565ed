"""Summary statistics of a generated dataset, next to the published ranges they should match.

Takes a generated folder (its `truth/` Parquet files); gives per-country isolate counts and, for
the GLASS pathogen × specimen × antimicrobial combinations of `glass_combinations.tsv`, the number
tested, the %R the isolates truly carry, the %R the labs reported under their own guidelines, and
the published band (`resistance.tsv`, with its source) the true %R is expected to fall in.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from amrwatch.errors import InputError
from amrwatch.synth.geography import data_frame


def _truth(folder: Path, name: str) -> str:
    path = Path(folder) / "truth" / f"{name}.parquet"
    if not path.is_file():
        raise InputError("Not a generated dataset: truth file missing", {"file": str(path)},
                         hint="generate one with `amrwatch synth --isolates N --out DIR`")
    return str(path)


def country_counts(folder: Path) -> pd.DataFrame:
    """Isolates, labs and first/last specimen date per country."""
    return duckdb.connect().execute(f"""
        SELECT country, count(*) AS isolates, count(DISTINCT lab_code) AS labs,
               min(specimen_date) AS first_date, max(specimen_date) AS last_date
        FROM read_parquet('{_truth(folder, "isolates")}') GROUP BY country ORDER BY country
    """).df()


def expected_bands() -> pd.DataFrame:
    """Published band of %R per organism × antimicrobial where the drug follows its trait fully."""
    organisms = data_frame("organisms.tsv")[["organism", "panel", "glass_pathogen"]]
    panels = data_frame("panels.tsv")
    exact = panels[(panels.penetrance == 1) & (panels.background == 0)]
    bands = organisms.merge(exact[["panel", "ab", "trait"]], on="panel").merge(
        data_frame("resistance.tsv"), on=["organism", "trait"])
    return bands[["organism", "glass_pathogen", "ab", "trait", "low", "high", "source"]]


def glass_resistance(folder: Path) -> pd.DataFrame:
    """%R per GLASS combination over the whole dataset (truth and lab-reported)."""
    organisms = data_frame("organisms.tsv")[["organism", "glass_pathogen"]]
    combos = data_frame("glass_combinations.tsv")
    con = duckdb.connect()
    con.register("organisms", organisms)
    con.register("combos", combos)
    result = con.sql(f"""
        SELECT c.glass_pathogen, c.specimen, c.ab, count(*) AS tested,
               round(100 * avg(a.resistant::INT), 1) AS true_pct_r,
               round(100 * avg((a.lab_sir = 'R')::INT), 1) AS lab_pct_r
        FROM read_parquet('{_truth(folder, "ast")}') a
        JOIN read_parquet('{_truth(folder, "isolates")}') i USING (lab_code, isolate_id)
        JOIN organisms o ON o.organism = i.organism
        JOIN combos c ON c.glass_pathogen = o.glass_pathogen AND c.specimen = i.specimen
                      AND c.ab = a.ab
        WHERE i.event = ''
        GROUP BY ALL ORDER BY c.glass_pathogen, c.specimen, c.ab
    """).df()
    bands = expected_bands().groupby(["glass_pathogen", "ab"]).agg(
        low=("low", "min"), high=("high", "max"), source=("source", "first")).reset_index()
    return result.merge(bands, how="left", on=["glass_pathogen", "ab"])
