"""Arrow schemas of the tables that pass between pipeline stages, declared once.

Stages meet only through these tables: a reader yields ISOLATE + AST_RESULT rows, the resolver
gives ORGANISM_MATCH / ANTIMICROBIAL_MATCH, the interpreter adds INTERPRETATION columns.
A stage may add columns of its own, but never renames or retypes one declared here.
"""

from __future__ import annotations

import pyarrow as pa

# --- code resolution (amrwatch.codes) -------------------------------------------------------

#: One row per distinct input term: what an organism text became.
ORGANISM_MATCH = pa.schema(
    [
        ("input", pa.string()),  # the text as the lab wrote it
        ("mo", pa.string()),  # canonical AMR organism id (accepted name), null if unresolved
        ("fullname", pa.string()),
        ("rank", pa.string()),  # species, genus, subspecies, ...
        ("kingdom", pa.string()),
        ("genus", pa.string()),
        ("family", pa.string()),
        ("order", pa.string()),
        ("gram_stain", pa.string()),  # "Gram-negative" / "Gram-positive" / null (not bacteria)
        ("anaerobe", pa.bool_()),
        ("score", pa.float64()),  # 1.0 exact code/name; lower for fuzzy matches
        ("uncertain", pa.bool_()),  # a match a data manager should confirm
        ("matched_on", pa.string()),  # which vocabulary matched: mo, name, synonym, whonet, snomed ...
        ("reason", pa.string()),  # resolved | renamed | fuzzy | unresolved_empty | unresolved_unknown ...
    ]
)

#: One row per distinct input term: what an antimicrobial text became.
ANTIMICROBIAL_MATCH = pa.schema(
    [
        ("input", pa.string()),
        ("ab", pa.string()),  # canonical AMR antimicrobial code, null if unresolved
        ("name", pa.string()),
        ("drug_class", pa.string()),
        ("atc", pa.string()),
        ("score", pa.float64()),
        ("uncertain", pa.bool_()),
        ("matched_on", pa.string()),
        ("reason", pa.string()),
    ]
)

# --- AST results and their interpretation (amrwatch.interpret) ------------------------------

#: Input of the interpretation engine. Only organism, antimicrobial, method and value are required.
AST_INPUT = pa.schema(
    [
        ("organism", pa.string()),
        ("antimicrobial", pa.string()),
        ("method", pa.string()),  # MIC | DISK (gradient / Etest use MIC rows)
        ("value", pa.string()),  # raw string: "0.5", "<=0.25", ">8", "12", "≥16"
        ("potency", pa.string()),  # disk content as written by the lab, e.g. "30", "5 µg"
        ("uti", pa.bool_()),
        ("site", pa.string()),
        ("host", pa.string()),
        ("breakpoint_type", pa.string()),  # human (default) | animal | ECOFF
    ]
)

#: Columns the interpretation engine appends to its input.
INTERPRETATION = pa.schema(
    [
        ("sir", pa.string()),  # S, SDD, I, R, NS, NI, WT, NWT or null
        ("reason", pa.string()),  # closed set: amrwatch.interpret.reasons
        ("breakpoint_id", pa.string()),  # id of the breakpoint row used, null when none
        ("guideline", pa.string()),  # e.g. "EUCAST 2025"
    ]
)
