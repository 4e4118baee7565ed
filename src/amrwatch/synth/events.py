"""Seeded events (`events.yaml`): extra isolates, changed probabilities, changed guidelines.

Takes the event definitions, the lab registry and a seed; gives, for any date range, the isolates
the events add there, the phenotype each event forces, the resistance-probability changes of an
emergence, the guideline each lab applies on each date, and the ground truth of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from amrwatch.synth.geography import countries, data_frame, data_yaml
from amrwatch.synth.phenotype import traits
from amrwatch.synth.population import Columns, draw_isolates


def definitions() -> list[dict[str, Any]]:
    return data_yaml("events.yaml")["events"]


def _wave_labs(wave: dict[str, Any], labs: pd.DataFrame) -> np.ndarray:
    """Labs of the wave's city (hospital labs when asked), in registry order."""
    chosen = (labs.country == wave["country"]) & (labs.city == wave["city"])
    if "lab_kind" in wave:
        chosen &= labs.kind == wave["lab_kind"]
    if not chosen.any():
        raise ValueError(f"events.yaml: no laboratory in {wave['city']}, {wave['country']}")
    return np.flatnonzero(chosen.to_numpy())


@dataclass
class Seeded:
    """The isolates every event adds, drawn once per seed; chunks take those in their dates."""

    date: np.ndarray
    lab: np.ndarray
    specimen: np.ndarray
    event: np.ndarray
    organism: np.ndarray
    ward: np.ndarray

    @classmethod
    def draw(cls, labs: pd.DataFrame, seed: int) -> Seeded:
        rng = np.random.default_rng([seed, 3])
        organisms = data_frame("organisms.tsv").organism.tolist()
        specimens = data_frame("specimens.tsv").specimen.tolist()
        parts: list[tuple] = []
        for event in definitions():
            for wave in event.get("waves", []):  # a handful of waves: per-event loop
                n = wave["isolates"]
                start = np.datetime64(wave["start"])
                dates = np.sort(start + rng.integers(0, wave["days"], n).astype("timedelta64[D]"))
                lab = rng.choice(_wave_labs(wave, labs), n)
                specimen = rng.choice([specimens.index(s) for s in wave["specimens"]], n)
                parts.append((dates, lab, specimen, [event["id"]] * n,
                              [organisms.index(event["organism"])] * n,
                              [event.get("ward", "")] * n))
        columns = [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(6)]
        order = np.argsort(columns[0], kind="stable")
        day, lab, specimen, kind, organism, ward = (c[order] for c in columns)
        return cls(day, lab, specimen, kind, organism, ward)

    def between(self, first: np.datetime64, end: np.datetime64, labs: pd.DataFrame,
                patients: np.ndarray, rng: np.random.Generator) -> Columns:
        """Event isolates with specimen dates in [first, end), with the attributes they force."""
        take = (self.date >= first) & (self.date < end)
        iso = draw_isolates(self.date[take], labs, patients, rng)
        iso["lab"] = self.lab[take].astype(np.int32)
        iso["specimen"] = self.specimen[take].astype(np.int8)
        iso["organism"] = self.organism[take].astype(np.int16)
        iso["event"] = self.event[take].astype(object)
        iso["hospital"] = np.ones(take.sum(), bool)
        iso["inpatient"] = np.ones(take.sum(), bool)
        iso["admission"] = iso["date"] - rng.integers(4, 30, take.sum()).astype("timedelta64[D]")
        return iso


def force_phenotypes(resistant: np.ndarray, event: np.ndarray) -> None:
    """Set the traits each event defines (e.g. the outbreak clone's antibiogram) in place."""
    names = traits()
    for definition in definitions():
        rows = event == definition["id"]
        if rows.any():
            for trait, value in definition.get("phenotype", {}).items():
                resistant[rows, names.index(trait)] = bool(value)


def adjust_probabilities(p: np.ndarray, iso: Columns, country: np.ndarray) -> None:
    """Emergence events: raise a trait's probability linearly from its start to its end date."""
    organisms = data_frame("organisms.tsv").organism.tolist()
    country_codes = countries().iso3.tolist()
    for definition in definitions():
        if definition["kind"] != "emergence":
            continue
        start, end = np.datetime64(definition["start"]), np.datetime64(definition["end"])
        span = (end - start) / np.timedelta64(1, "D")
        progress = np.clip((iso["date"] - start) / np.timedelta64(1, "D") / span, 0, 1)
        rows = (country == country_codes.index(definition["country"])) & (iso["date"] >= start)
        rows &= np.isin(iso["organism"], [organisms.index(o) for o in definition["organisms"]])
        column = traits().index(definition["trait"])
        raised = progress * definition["final_prevalence"]
        p[rows, column] = np.maximum(p[rows, column], raised[rows])


def guidelines(iso: Columns, labs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Guideline each isolate's lab applies on its specimen date: (family code, year).

    Family code 0 = CLSI, 1 = EUCAST (`readings.FAMILIES`); the year is the specimen year minus
    the lab's lag, or the artefact event's fixed version for its country.
    """
    year = iso["date"].astype("datetime64[Y]").astype(int) + 1970
    lab = iso["lab"]
    applied = np.clip(year - labs.guideline_lag.to_numpy()[lab], 2016, 2025)
    family = (labs.guideline.to_numpy() == "EUCAST").astype(np.int8)[lab]
    for definition in definitions():
        if definition["kind"] != "artefact":
            continue
        in_country = labs.country.to_numpy()[lab] == definition["country"]
        after = iso["date"] >= np.datetime64(definition["start"])
        for chosen, version in ((in_country & ~after, definition["before"]),
                                (in_country & after, definition["after"])):
            name, version_year = version.split(" ")
            family = np.where(chosen, int(name == "EUCAST"), family)
            applied = np.where(chosen, int(version_year), applied)
    return family.astype(np.int8), applied


def ground_truth(labs: pd.DataFrame, seen: pd.DataFrame) -> dict[str, Any]:
    """Each event with where, when and what; `seen` lists the event isolates actually written."""
    events = []
    for definition in definitions():
        entry = {k: v for k, v in definition.items() if k not in ("waves",)}
        for key in ("start", "end"):
            if isinstance(entry.get(key), date):
                entry[key] = entry[key].isoformat()
        mine = seen[seen.event == definition["id"]]
        if "waves" in definition:
            entry["where"] = [_wave_place(w, labs) for w in definition["waves"]]
            entry["first_specimen_date"] = str(mine.specimen_date.min()) if len(mine) else None
            entry["last_specimen_date"] = str(mine.specimen_date.max()) if len(mine) else None
            entry["isolates"] = mine[["lab_code", "isolate_id", "specimen_date"]].astype(str) \
                .to_dict("records")
        else:
            entry["where"] = [{"country": definition["country"],
                               "labs": labs[labs.country == definition["country"]].lab_code.tolist()}]
        events.append(entry)
    return {"provenance": data_yaml("events.yaml")["provenance"], "events": events}


def _wave_place(wave: dict[str, Any], labs: pd.DataFrame) -> dict[str, Any]:
    chosen = labs.iloc[_wave_labs(wave, labs)]
    return {"country": wave["country"], "city": wave["city"], "labs": chosen.lab_code.tolist(),
            "lat": float(chosen.lat.mean()), "lon": float(chosen.lon.mean()),
            "start": str(wave["start"]), "days": wave["days"], "isolates": wave["isolates"]}
