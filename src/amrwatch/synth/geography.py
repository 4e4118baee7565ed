"""Countries, cities and laboratories of the synthetic region.

Takes the CELAC country and city tables in `synth/data/` and a seed; gives the lab registry: one
national reference laboratory in each capital plus hospital laboratories spread over the
country's cities, each with coordinates, file format, method, instrument, guideline and habits.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

DATA_DIR = Path(str(resources.files("amrwatch.synth") / "data"))


@cache
def data_frame(name: str) -> pd.DataFrame:
    """A TSV data file of the generator by file name, e.g. ``organisms.tsv`` (codes stay text)."""
    return pd.read_csv(DATA_DIR / name, sep="\t", keep_default_na=False, na_values=[""],
                       dtype={"snomed": str, "loinc": str})


@cache
def data_yaml(name: str) -> dict[str, Any]:
    """A YAML data file of the generator, e.g. ``lab_profile.yaml``."""
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def countries() -> pd.DataFrame:
    """The 33 CELAC member states (reference table) with the guideline the generator gives each."""
    from amrwatch import refdata

    facts = refdata.countries().to_pandas().astype({"population": int, "capital_lat": float,
                                                     "capital_lon": float})
    return facts.merge(data_frame("country_guidelines.tsv"), on="iso3", validate="one_to_one")


def _sites(country: pd.Series, n_hospitals: int) -> list[tuple[str, float, float]]:
    """Cities of the hospitals of one country: the capital first, then its other cities in turn."""
    cities = data_frame("cities.tsv")
    others = cities[cities.iso3 == country.iso3]
    places = [(country.capital, country.capital_lat, country.capital_lon)]
    places += list(zip(others.city, others.lat, others.lon, strict=True))
    return [places[i % len(places)] for i in range(n_hospitals)]


def _hospital_count(population: int, profile: dict[str, Any]) -> int:
    rule = profile["hospitals_per_country"]
    count = 1 + round(rule["slope"] * np.log10(max(population / rule["base"], 1.0)))
    return int(min(count, rule["max"]))


def _name(language: str, kind: str, country: str, city: str, pick: int) -> str:
    names = data_frame("lab_names.tsv")
    options = names[(names.language == language) & (names.kind == kind)].template.tolist()
    return options[pick % len(options)].format(country=country, city=city)


def _country_labs(country: pd.Series, profile: dict[str, Any]) -> list[dict[str, Any]]:
    name_column = f"name_{country.language}" if country.language in ("es", "pt", "fr") else "name_en"
    display = country[name_column]
    rows = [{"lab_code": f"{country.iso3}-NRL", "kind": "reference", "city": country.capital,
             "lat": country.capital_lat, "lon": country.capital_lon,
             "name": _name(country.language, "reference", display, country.capital, 0)}]
    sites = _sites(country, _hospital_count(country.population, profile))
    for number, (city, lat, lon) in enumerate(sites, start=1):
        rows.append({"lab_code": f"{country.iso3}-H{number:02d}", "kind": "hospital",
                     "city": city, "lat": lat, "lon": lon,
                     "name": _name(country.language, "hospital", display, city, number - 1)})
    for row in rows:
        row.update(country=country.iso3, language=country.language, guideline=country.guideline)
    return rows


def _habits(labs: pd.DataFrame, profile: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Draw each lab's format, method, instrument and export habits (all from `lab_profile.yaml`)."""
    n = len(labs)
    reference = (labs.kind == "reference").to_numpy()
    formats = list(profile["format_share"])
    labs["format"] = np.where(reference, profile["reference_lab_format"],
                              rng.choice(formats, n, p=list(profile["format_share"].values())))
    labs["method"] = np.where(~reference & (rng.random(n) < profile["disk_share"]), "disk", "mic")
    instruments = profile["instruments"]
    drawn = rng.choice(list(instruments), n, p=[v[0] for v in instruments.values()])
    labs["instrument"] = np.where(reference, profile["reference_instrument"],
                                  np.where(labs.method == "disk", "Disk diffusion", drawn))
    labs["range_offset"] = [instruments.get(i, [0, 0])[1] for i in labs.instrument]
    labs["capped_style"] = [instruments.get(i, [0, 0, ">"])[2] for i in labs.instrument]
    labs["guideline_lag"] = np.where(reference, 0, rng.choice(profile["guideline_lag_years"], n))
    latin = labs.language.isin(["es", "pt", "fr"]).to_numpy()
    labs["encoding"] = np.where(latin & (rng.random(n) < profile["latin1_share"]), "latin-1", "utf-8")
    labs["delimiter"] = rng.choice(profile["whonet_delimiters"], n)
    labs["header"] = np.where(rng.random(n) < profile["whonet_header_names_share"], "names", "codes")
    labs["date_style"] = np.where(rng.random(n) < profile["day_first_share"], "dmy", "iso")
    labs["volume"] = np.where(reference, 0.6, rng.lognormal(0.0, 0.5, n))
    return labs


def laboratories(seed: int) -> pd.DataFrame:
    """The lab registry for a seed: same seed, same labs, formats and habits."""
    profile = data_yaml("lab_profile.yaml")
    rows = [row for _, country in countries().iterrows() for row in _country_labs(country, profile)]
    labs = pd.DataFrame(rows)
    rng = np.random.default_rng([seed, 1])
    jitter = rng.normal(0.0, 0.03, size=(len(labs), 2))  # hospitals of one city are not on one spot
    labs["lat"] = (labs.lat + np.where(labs.kind == "hospital", jitter[:, 0], 0.0)).round(4)
    labs["lon"] = (labs.lon + np.where(labs.kind == "hospital", jitter[:, 1], 0.0)).round(4)
    return _habits(labs, profile, rng)
