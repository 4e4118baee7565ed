"""Who was sampled, where and when: the isolate rows of one chunk, drawn with numpy.

Takes the lab registry, the specimen and organism mixes (`specimens.tsv`, `organisms.tsv`), a
chunk's specimen dates and a random generator; gives a dict of equal-length numpy arrays, one
entry per isolate (lab, specimen, organism, origin, age, sex, patient number, admission date).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from amrwatch.synth.geography import countries, data_frame, data_yaml

Columns = dict[str, np.ndarray]
EPOCH = np.datetime64("1970-01-01")


def study_days() -> np.ndarray:
    """Every day of the generated period as datetime64[D] (years from `lab_profile.yaml`)."""
    first, last = data_yaml("lab_profile.yaml")["years"]
    return np.arange(np.datetime64(date(first, 1, 1)), np.datetime64(date(last + 1, 1, 1)))


def daily_weights(days: np.ndarray) -> np.ndarray:
    """Relative isolate volume per day: austral-summer peak, quiet weekends, growing coverage."""
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    weekday = (days.astype(int) + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (day_of_year - 30) / 365.25)
    weekend = np.where(weekday >= 5, 0.45, 1.0)
    growth = 1.0 + 0.06 * (days - days[0]).astype(int) / 365.25  # networks enrol labs over time
    weights = season * weekend * growth
    return weights / weights.sum()


def lab_weights(labs: pd.DataFrame) -> np.ndarray:
    """Share of the region's isolates each lab sends: population^0.75 per country, split by volume."""
    population = labs.country.map(countries().set_index("iso3").population)
    country_share = population.to_numpy(float) ** 0.75
    per_country = labs.groupby("country").volume.transform("sum").to_numpy()
    weights = country_share * labs.volume.to_numpy() / per_country
    return weights / weights.sum()


def _organisms_given_specimen(specimen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    organisms = data_frame("organisms.tsv")
    specimens = data_frame("specimens.tsv").specimen.tolist()
    result = np.empty(len(specimen), dtype=np.int16)
    for index, name in enumerate(specimens):  # five specimen types: a loop over categories
        chosen = specimen == index
        weights = organisms[name].to_numpy(float)
        result[chosen] = rng.choice(len(organisms), chosen.sum(), p=weights / weights.sum())
    return result


def draw_isolates(dates: np.ndarray, labs: pd.DataFrame, patients: np.ndarray,
                  rng: np.random.Generator) -> Columns:
    """Isolates for the given specimen dates (one per date), all attributes drawn at once.

    `patients` is each lab's patient pool size: isolates share a patient by drawing the same
    number, so repeat isolates of one patient occur at a realistic rate whatever the chunking.
    """
    n = len(dates)
    specimens = data_frame("specimens.tsv")
    lab = rng.choice(len(labs), n, p=lab_weights(labs)).astype(np.int32)
    specimen = rng.choice(len(specimens), n, p=specimens.share.to_numpy()).astype(np.int8)
    organism = _organisms_given_specimen(specimen, rng)
    reference = (labs.kind.to_numpy() == "reference")[lab]
    hospital_share = np.where(reference, 0.8, specimens.hospital_share.to_numpy()[specimen])
    hospital = rng.random(n) < hospital_share
    female = rng.random(n) < specimens.female_share.to_numpy()[specimen]
    age = rng.normal(specimens.age_mean.to_numpy()[specimen], specimens.age_sd.to_numpy()[specimen])
    child = rng.random(n) < specimens.child_share.to_numpy()[specimen]
    age = np.where(child, rng.gamma(1.2, 3.0, n), age)
    stay = np.where(hospital, rng.integers(2, 25, n), rng.integers(0, 2, n))
    return {
        "lab": lab, "specimen": specimen, "organism": organism, "hospital": hospital,
        "sex": np.where(female, "F", "M").astype(object),
        "age": np.clip(age, 0.02, 99).astype(np.float32),
        "date": dates, "admission": dates - stay.astype("timedelta64[D]"),
        "inpatient": hospital | (rng.random(n) < 0.3),
        "patient": (rng.random(n) * patients[lab]).astype(np.int64),
        "event": np.full(n, "", dtype=object),
    }
