"""Properties of resolved codes: what breakpoint lookup, expert rules and analysis need.

Takes arrays of AMR `mo` or `ab` codes (as `resolve_*` give them); gives tables aligned with the
input (schemas ORGANISM_PROPERTIES / ANTIMICROBIAL_PROPERTIES), computed once per distinct code.
WHONET columns are filled only when the user imported their WHONET tables.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from amrwatch.codes.data import read_terms
from amrwatch.codes.drugs import drug_vocabulary
from amrwatch.codes.taxonomy import vocabulary
from amrwatch.codes.terms import distinct
from amrwatch.codes.traits import traits
from amrwatch.refdata import table
from amrwatch.schemas import ANTIMICROBIAL_PROPERTIES, ORGANISM_PROPERTIES

_RANKS = ("genus", "family", "order", "class")


@cache
def _higher_taxa() -> dict[tuple[str, str, str], str]:
    """(kingdom, rank, name) -> mo of that accepted higher taxon (e.g. order Enterobacterales)."""
    index: dict[tuple[str, str, str], str] = {}
    for mo, row in vocabulary().rows.items():
        if row["rank"] in _RANKS + ("species",) and row["status"] != "synonym":
            name = row["fullname"]
            index.setdefault((row["kingdom"], row["rank"], name), mo)
    return index


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    """member mo -> the species groups / complexes (microorganisms.groups) it belongs to."""
    members: dict[str, list[str]] = {}
    data = table("microorganisms.groups")
    for group, member in zip(data["mo_group"].to_pylist(), data["mo"].to_pylist(), strict=True):
        members.setdefault(member, []).append(group)
    return {member: tuple(groups) for member, groups in members.items()}


def _organism_row(mo: str | None, whonet_rows: dict[str, dict]) -> dict:
    vocab = vocabulary()
    if mo is None or mo.upper() not in vocab.rows:
        return {}
    accepted = vocab.accepted[mo.upper()]
    info = dict(traits(accepted))
    higher = _higher_taxa()
    for rank in _RANKS:
        info[f"{rank}_mo"] = higher.get((info["kingdom"], rank, info[rank])) if info[rank] else None
    species = f"{info['genus']} {info['species']}" if info["species"] else None
    info["species_mo"] = higher.get((info["kingdom"], "species", species)) if species else None
    groups = list(_groups().get(accepted, ()))
    if info["species_mo"] and info["species_mo"] != accepted:
        groups += [g for g in _groups().get(info["species_mo"], ()) if g not in groups]
    info["groups"] = groups
    info["breakpoint_keys"] = _breakpoint_keys(accepted, info)
    info.update(_whonet_columns(whonet_rows.get(accepted) or whonet_rows.get(info["species_mo"] or "")))
    return info


def _breakpoint_keys(mo: str, info: dict) -> list[str]:
    """AMR's candidate clinical_breakpoints.mo keys, most specific first (refdata README §4.2)."""
    keys = [mo, info["species_mo"], *info["groups"], info["genus_mo"], info["family_mo"],
            info["order_mo"], info["class_mo"]]
    if info["gram_stain"] == "Gram-negative":
        keys.append("B_GRAMN")
    elif info["gram_stain"] == "Gram-positive":
        keys.append("B_GRAMP")
    if info["anaerobe"]:
        side = {"Gram-negative": "B_ANAER-NEG", "Gram-positive": "B_ANAER-POS"}
        keys += [side.get(info["gram_stain"] or ""), "B_ANAER"]
    return list(dict.fromkeys(key for key in keys if key))


def _whonet_columns(row: dict | None) -> dict:
    row = row or {}
    return {
        "whonet_org_code": row.get("WHONET_ORG_CODE"),
        "whonet_serovar_group": row.get("SEROVAR_GROUP"),
        "whonet_species_group": row.get("SPECIES_GROUP"),
        "whonet_genus_code": row.get("GENUS_CODE"),
        "whonet_genus_group": row.get("GENUS_GROUP"),
        "whonet_family_code": row.get("FAMILY_CODE"),
        "whonet_subkingdom_code": row.get("SUBKINGDOM_CODE"),
        "whonet_anaerobe": (row.get("ANAEROBE") == "X") if row else None,
    }


def _whonet(whonet: object) -> object:
    if whonet == "auto":
        from amrwatch.refdata import whonet as whonet_module

        return whonet_module.load()
    return whonet


def organism_properties(mo_values: object, *, whonet: object = "auto") -> pa.Table:
    """Aligned ORGANISM_PROPERTIES rows for AMR `mo` codes (unknown / null -> all-null row).

    Columns: mo (accepted, renames followed), fullname, rank, kingdom ... species (names),
    gram_stain ("Gram-negative"/"Gram-positive"/null for non-bacteria), anaerobe (oxygen
    tolerance "anaerobe", data/gram_stain.yaml), oxygen_tolerance, species_mo / genus_mo /
    family_mo / order_mo / class_mo (mo ids of the higher taxa), groups (list of
    microorganisms.groups mo_group it, or its species, belongs to), breakpoint_keys (candidate
    clinical_breakpoints.mo keys: itself, species, groups, genus, family, order, class,
    B_GRAMN/B_GRAMP, B_ANAER-NEG/POS and B_ANAER for anaerobes; PK/PD `UNKNOWN` is left to the
    caller), and whonet_* group codes from the user's WHONET Organisms.txt (null if not imported).
    """
    from amrwatch.codes.whonet_map import whonet_rows_by_mo

    tables = _whonet(whonet)
    by_mo = whonet_rows_by_mo(tables) if tables is not None else {}
    texts, indices = distinct(mo_values)
    rows = [_organism_row(text, by_mo) for text in texts]
    columns = {name: [row.get(name) for row in rows] for name in ORGANISM_PROPERTIES.names}
    return pa.table(columns, schema=ORGANISM_PROPERTIES).take(indices)


@cache
def aware() -> dict[str, dict[str, str]]:
    """ab -> AWaRe 2023 row (data/aware_2023.tsv, names matched to AMR codes with certainty)."""
    from amrwatch.codes.antimicrobials import match_drug

    found: dict[str, dict[str, str]] = {}
    for row in read_terms("aware_2023.tsv"):
        match = match_drug(row["antibiotic"], coding="amr")
        if match.code and not match.uncertain:
            found.setdefault(match.code, row)
    return found


@cache
def _whonet_code_of() -> dict[str, str]:
    return {ab: code for code, ab in drug_vocabulary().whonet.items()}


def _antimicrobial_row(ab: str | None, whonet_drugs: dict[str, dict]) -> dict:
    vocab = drug_vocabulary()
    if ab is None or (ab not in vocab.rows and ab not in vocab.whonet_names):
        return {}
    row = vocab.rows.get(ab) or {"ab": ab, "name": vocab.whonet_names[ab]}
    atc = sorted((row.get("atc") or "").split("|"), key=lambda code: (code[:1] != "J", code[:1] == "Q"))
    whonet_code = _whonet_code_of().get(ab, ab)
    drug = whonet_drugs.get(whonet_code, {})
    return {
        "ab": ab, "name": row["name"], "drug_class": row.get("group"),
        "atc": [code for code in atc if code], "atc_group1": row.get("atc_group1"),
        "atc_group2": row.get("atc_group2"), "aware": aware().get(ab, {}).get("category"),
        "oral_ddd": row.get("oral_ddd"), "oral_units": row.get("oral_units"),
        "iv_ddd": row.get("iv_ddd"), "iv_units": row.get("iv_units"),
        "loinc": [code for code in (row.get("loinc") or "").split("|") if code],
        "whonet_code": whonet_code, "whonet_class": drug.get("CLASS"),
        "whonet_prof_class": drug.get("PROF_CLASS"),
    }


def antimicrobial_properties(ab_values: object, *, whonet: object = "auto") -> pa.Table:
    """Aligned ANTIMICROBIAL_PROPERTIES rows for AMR `ab` codes (unknown / null -> all-null row).

    Columns: ab, name, drug_class (AMR group), atc (list, human J codes before veterinary Q),
    atc_group1/2, aware (WHO AWaRe 2023: Access/Watch/Reserve; route notes in
    data/aware_2023.tsv), oral/iv DDD and units (WHO, via AMR), loinc (list), whonet_code,
    whonet_class / whonet_prof_class (from the user's WHONET Antibiotics.txt, if imported).
    """
    tables = _whonet(whonet)
    drugs: dict[str, dict] = {}
    if tables is not None:
        for row in tables.antibiotics().to_pylist():  # type: ignore[attr-defined]
            drugs.setdefault(row["WHONET_ABX_CODE"], row)
    texts, indices = distinct(ab_values)
    rows = [_antimicrobial_row(text, drugs) for text in texts]
    columns = {name: [row.get(name) for row in rows] for name in ANTIMICROBIAL_PROPERTIES.names}
    return pa.table(columns, schema=ANTIMICROBIAL_PROPERTIES).take(indices)

