"""Linking a user's WHONET organism codes to AMR organisms, both ways.

Takes imported `WhonetTables`; gives, per current WHONET organism (TAXONOMIC_STATUS=C), the AMR
`mo` its code resolves to (through AMR's `microorganisms.codes`) and the one its name resolves to,
so `organism_properties` can report WHONET group codes and the concordance check can compare them.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from amrwatch.codes.organisms import match_term
from amrwatch.codes.taxonomy import vocabulary


def concordance(tables: object) -> pa.Table:
    """One row per current WHONET organism: code, name, mo by code, mo by name, agreement."""
    return _concordance(tables)


@cache
def _concordance(tables: object) -> pa.Table:
    rows = tables.organisms().to_pylist()  # type: ignore[attr-defined]
    codes = vocabulary().codes
    by_code = [codes.get(row["WHONET_ORG_CODE"].upper()) for row in rows]
    by_name = [match_term(row["ORGANISM"]) for row in rows]
    return pa.table({
        "whonet_org_code": [row["WHONET_ORG_CODE"] for row in rows],
        "organism": [row["ORGANISM"] for row in rows],
        "organism_type": [row.get("ORGANISM_TYPE") for row in rows],
        "mo_by_code": by_code,
        "mo_by_name": [m.code for m in by_name],
        "name_reason": [m.reason for m in by_name],
        "name_uncertain": [m.uncertain for m in by_name],
    })


def whonet_rows_by_mo(tables: object) -> dict[str, dict]:
    """accepted mo -> its WHONET Organisms.txt row (name match preferred, then code match)."""
    return _rows_by_mo(tables)


@cache
def _rows_by_mo(tables: object) -> dict[str, dict]:
    rows = tables.organisms().to_pylist()  # type: ignore[attr-defined]
    links = concordance(tables).to_pylist()
    found: dict[str, dict] = {}
    for row, link in zip(rows, links, strict=True):
        if link["mo_by_name"] and not link["name_uncertain"]:
            found.setdefault(link["mo_by_name"], row)
    for row, link in zip(rows, links, strict=True):
        if link["mo_by_code"]:
            found.setdefault(link["mo_by_code"], row)
    return found


def species_codes(tables: object) -> tuple[tuple[str, str], ...]:
    """WHONET's lower-case species code -> accepted mo, from its current Organisms.txt rows whose
    name the AMR taxonomy knows with certainty; REPLACED_BY codes follow their replacement."""
    return _species_codes(tables)


@cache
def _species_codes(tables: object) -> tuple[tuple[str, str], ...]:
    links = {row["whonet_org_code"]: row for row in concordance(tables).to_pylist()}
    found = {code: row["mo_by_name"] for code, row in links.items()
             if row["mo_by_name"] and not row["name_uncertain"]}
    for row in tables.organisms(current_only=False).to_pylist():  # type: ignore[attr-defined]
        target = row.get("REPLACED_BY")
        if target and target in found and row["WHONET_ORG_CODE"] not in found:
            found[row["WHONET_ORG_CODE"]] = found[target]
    return tuple(sorted(found.items()))


#: WHONET ORGANISM_TYPE letters (refdata README §2.1), to say why a name is not in the AMR taxonomy.
ORGANISM_TYPES = {"v": "virus", "w": "parasite", "i": "insect or arthropod", "o": "not an organism (result code)",
                  "f": "fungus", "+": "Gram-positive bacterium", "-": "Gram-negative bacterium",
                  "a": "anaerobe", "m": "mycobacterium", "b": "other bacterium"}


def _species(mos: list[str | None]) -> list[str | None]:
    from amrwatch.codes.properties import organism_properties

    rows = organism_properties(mos, whonet=None).to_pylist()
    return [row["species_mo"] or row["mo"] for row in rows]


def concordance_report(tables: object) -> dict:
    """Agreement of WHONET's current organism codes with the AMR tables, and every exception.

    `amr_code_agreement`: among codes whose WHONET name the AMR taxonomy knows with certainty,
    the share that AMR's own code table (microorganisms.codes) puts on the same species.
    `amrwatch_agreement`: the same share for amrwatch's resolution of the code with the WHONET
    tables imported (WHONET defines its lower-case codes). `exceptions`: every other code + reason.
    """
    from amrwatch.codes.organisms import resolve_organisms

    links = concordance(tables).to_pylist()
    codes = [row["whonet_org_code"] for row in links]
    resolved = resolve_organisms(codes, whonet=tables)["mo"].to_pylist()
    by_code, by_name, ours = (_species([row["mo_by_code"] for row in links]),
                              _species([row["mo_by_name"] for row in links]), _species(resolved))
    known = [i for i, row in enumerate(links) if row["mo_by_name"] and not row["name_uncertain"]]
    exceptions = [_exception(links[i], by_code[i], by_name[i]) for i in range(len(links))
                  if i not in set(known) or by_code[i] != by_name[i]]
    return {
        "current_codes": len(links),
        "names_known_to_amr": len(known),
        "amr_code_agreement": sum(by_code[i] == by_name[i] for i in known) / len(known),
        "amrwatch_agreement": sum(ours[i] == by_name[i] for i in known) / len(known),
        "exceptions": exceptions,
    }


def _exception(link: dict, code_species: str | None, name_species: str | None) -> dict:
    kind = ORGANISM_TYPES.get(link["organism_type"] or "", "unknown type")
    if not link["mo_by_name"]:
        reason = f"name not in the AMR 3.0.0 taxonomy ({kind})"
    elif link["name_uncertain"]:
        reason = f"name matches the AMR taxonomy only approximately ({link['name_reason']})"
    elif link["mo_by_code"] is None:
        reason = "code missing from AMR microorganisms.codes; resolved through WHONET's name"
    else:
        reason = "AMR microorganisms.codes gives another species; WHONET's definition is used"
    return {"code": link["whonet_org_code"], "organism": link["organism"],
            "amr_code_table": link["mo_by_code"], "amr_name": link["mo_by_name"], "reason": reason}


def concordance_markdown(report: dict, manifest: dict) -> str:
    """The report as Markdown: the two agreement figures, then one table row per exception."""
    sha = manifest["tables"]["organisms"]["source_sha256"]
    lines = [
        "# WHONET organism codes versus the AMR tables",
        "",
        ("Generated by `amrwatch codes whonet-concordance --out docs/whonet-organism-concordance.md` "
         f"from a user's WHONET `Organisms.txt` (sha256 `{sha[:16]}…`) and the vendored AMR 3.0.0 "
         "tables. Only current codes (`TAXONOMIC_STATUS=C`) are compared, at species level "
         "(a subspecies counts as its species). See docs/codes.md for the method."),
        "",
        f"* current WHONET codes: {report['current_codes']:,}",
        f"* codes whose WHONET name the AMR taxonomy knows with certainty: {report['names_known_to_amr']:,}",
        ("* of those, same species through AMR's own code table (`microorganisms.codes`): "
         f"**{report['amr_code_agreement']:.2%}**"),
        ("* of those, same species as resolved by amrwatch with the WHONET tables imported "
         f"(WHONET defines its lower-case codes): **{report['amrwatch_agreement']:.2%}**"),
        "",
        "## Exceptions",
        "",
        "| code | WHONET organism | AMR code table | AMR name match | reason |",
        "|---|---|---|---|---|",
    ]
    for row in sorted(report["exceptions"], key=lambda e: (e["reason"], e["code"])):
        organism = row["organism"].replace("|", "/")
        lines.append(f"| `{row['code']}` | {organism} | {row['amr_code_table'] or '—'} | "
                     f"{row['amr_name'] or '—'} | {row['reason']} |")
    return "\n".join(lines) + "\n"
