"""One chunk of the synthetic dataset: isolates and AST rows for a block of consecutive days.

Takes the chunk's specimen dates, the lab registry, the seeded events and a random generator;
gives two pandas frames: `isolates` (one row per isolate, in the lab's words: lab code, isolate
id, patient id, names, sex, age, dates, specimen, ward, organism, event) and `ast` (one row per
result: isolate row, antimicrobial, method, potency, raw value, guideline, lab S/I/R, truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from amrwatch.synth import events
from amrwatch.synth.geography import countries, data_frame
from amrwatch.synth.phenotype import Prevalence, draw_traits, probabilities, traits
from amrwatch.synth.population import Columns, draw_isolates
from amrwatch.synth.readings import Readings, read_panels

#: Synthetic surnames and given names (no real patients): identifiers the hub must drop.
SURNAMES = np.array(["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Pérez",
                     "Gómez", "Silva", "Santos", "Oliveira", "Souza", "Joseph", "Pierre", "Baptiste",
                     "Smith", "Williams", "Muñoz", "Rojas", "Díaz", "Núñez", "Peña"], dtype=object)
GIVEN = np.array(["María", "José", "Ana", "Juan", "Luis", "Carmen", "João", "Francisca", "Jean",
                  "Marie", "Sofía", "Andrés", "Inés", "Ángel", "Camila", "Kevin"], dtype=object)


@dataclass
class Chunk:
    isolates: pd.DataFrame
    ast: Readings


def _concat(a: Columns, b: Columns) -> Columns:
    merged = {k: np.concatenate([a[k], b[k]]) for k in a}
    order = np.argsort(merged["date"], kind="stable")
    return {k: v[order] for k, v in merged.items()}


def _ward(iso: Columns, ward_event: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    icu = iso["hospital"] & (rng.random(len(iso["date"])) < 0.25)
    ward = np.where(iso["hospital"], np.where(icu, "icu", "inx"),
                    np.where(iso["inpatient"], "eme", "out")).astype(object)
    return np.where(ward_event != "", ward_event, ward)


def _identities(iso: Columns, labs: pd.DataFrame, counters: np.ndarray) -> dict[str, np.ndarray]:
    """Lab isolate ids (year + running number per lab) and patient ids, as labs write them."""
    lab = iso["lab"]
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], lab[order], side="left")
    rank = np.empty(len(lab), np.int64)
    rank[order] = np.arange(len(lab)) - starts
    sequence = counters[lab] + rank + 1
    np.add.at(counters, lab, 1)
    year = (iso["date"].astype("datetime64[Y]").astype(int) + 1970).astype(str).astype(object)
    number = pd.Series(sequence).astype(str).str.zfill(6).to_numpy(object)
    patient = pd.Series(iso["patient"]).astype(str).str.zfill(7).to_numpy(object)
    code = labs.lab_code.to_numpy(object)[lab]
    return {"isolate_id": year + "-" + number, "patient_id": "P" + patient,
            "lab_code": code, "country": labs.country.to_numpy(object)[lab]}


def build_chunk(first: np.datetime64, end: np.datetime64, dates: np.ndarray, labs: pd.DataFrame,
                patients: np.ndarray, seeded: events.Seeded, prevalence: Prevalence,
                counters: np.ndarray, rng: np.random.Generator) -> Chunk:
    """Isolates of the bulk and of the events in [first, end), their traits and AST rows."""
    iso = _concat(draw_isolates(dates, labs, patients, rng),
                  seeded.between(first, end, labs, patients, rng))
    organisms, specimens = data_frame("organisms.tsv"), data_frame("specimens.tsv")
    country = labs.country.map({c: i for i, c in enumerate(countries().iso3)}) \
        .to_numpy()[iso["lab"]]
    p = probabilities(iso, country, prevalence)
    events.adjust_probabilities(p, iso, country)
    resistant = draw_traits(p, organisms.panel.to_numpy(object)[iso["organism"]], rng)
    events.force_phenotypes(resistant, iso["event"])
    family, year = events.guidelines(iso, labs)
    pan = [d["id"] for d in events.definitions() if d.get("all_tested_resistant")]
    ast = read_panels(iso, labs, resistant, family, year, rng, keep=iso["event"] != "",
                      everything=np.isin(iso["event"], pan))
    ward_event = np.array([""] * len(iso["date"]), dtype=object)
    for definition in events.definitions():
        ward_event[iso["event"] == definition["id"]] = definition.get("ward", "")
    ids = _identities(iso, labs, counters)
    n = len(iso["date"])
    isolates = pd.DataFrame({
        **ids, "lab": iso["lab"],
        "first_name": GIVEN[rng.integers(0, len(GIVEN), n)],
        "last_name": SURNAMES[rng.integers(0, len(SURNAMES), n)],
        "sex": iso["sex"], "age": iso["age"],
        "specimen_date": iso["date"], "admission_date": np.where(
            iso["inpatient"], iso["admission"], np.datetime64("NaT")).astype("datetime64[D]"),
        "specimen": specimens.specimen.to_numpy(object)[iso["specimen"]],
        "ward_type": _ward(iso, ward_event, rng),
        "organism": organisms.organism.to_numpy(object)[iso["organism"]],
        "event": iso["event"], "hospital_onset": iso["hospital"],
        "carbapenemase": resistant[:, _trait("CARB")] & (organisms.panel.to_numpy()[
            iso["organism"]] == "enterobacterales"),
        "esbl": resistant[:, _trait("ESC")] & (organisms.panel.to_numpy()[
            iso["organism"]] == "enterobacterales"),
    })
    return Chunk(isolates, ast)


def _trait(name: str) -> int:
    return traits().index(name)
