"""Arrow schemas of the tables that pass between pipeline stages, declared once.

Stages meet only through these tables: a reader yields ISOLATE + AST_RESULT rows, the resolver
gives ORGANISM_MATCH / ANTIMICROBIAL_MATCH, the interpreter adds INTERPRETATION columns.
A stage may add columns of its own, but never renames or retypes one declared here.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

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

#: Columns the interpretation engine appends to its input. Dictionary-encoded strings: a few
#: distinct answers repeat over millions of rows, so each row holds an int32 index, not a copy.
INTERPRETATION = pa.schema(
    [
        ("sir", pa.dictionary(pa.int32(), pa.string())),  # S, SDD, I, R, NS, NI, WT, NWT or null
        ("reason", pa.dictionary(pa.int32(), pa.string())),  # closed set: interpret.reasons
        ("breakpoint_id", pa.dictionary(pa.int32(), pa.string())),  # row used; null when none
        ("guideline", pa.dictionary(pa.int32(), pa.string())),  # e.g. "EUCAST 2025"
    ]
)

# --- ingestion → store (amrwatch.ingest, amrwatch.store) -------------------------------------

#: One row per isolate (organism isolated from a specimen) as a reader yields it.
#: No name, birth date or raw patient id ever appears here: `patient_key` is already a pseudonym.
ISOLATE = pa.schema(
    [
        ("lab_code", pa.string()),
        ("country", pa.string()),  # ISO 3166-1 alpha-3
        ("isolate_id", pa.string()),  # the lab's own id, unique within the lab (specimen + isolate no.)
        ("patient_key", pa.string()),  # HMAC-SHA256 pseudonym (hex), see amrwatch.ingest.pseudonymise
        ("specimen_date", pa.date32()),
        ("specimen_type", pa.string()),  # GLASS specimen: BLOOD, URINE, STOOL, GENITAL, OTHER
        ("specimen_type_raw", pa.string()),
        ("origin", pa.string()),  # community | hospital | unknown (GLASS ORIGIN: C, H, UNK)
        ("age_years", pa.float32()),
        ("sex", pa.string()),  # M | F | U (GLASS GENDER)
        ("ward_type", pa.string()),
        ("organism_raw", pa.string()),
        ("mo", pa.string()),  # canonical organism id; null when unresolved
        ("organism_score", pa.float64()),
        ("source_row", pa.int64()),  # 1-based data row in the submitted file
    ]
)

#: Dictionary-encoded text: an int32 index per row into a small table of distinct values.
CODED = pa.dictionary(pa.int32(), pa.string())

#: One row per antimicrobial test of an isolate, keeping the raw value as the lab reported it.
#: Every text column is CODED: a WHONET column is one drug, method and potency for a million
#: isolates and holds a few dozen distinct values, so results carry indices, not 10 M copies
#: (docs/ingest.md, "Speed"). `isolate_id`'s dictionary is normally the upload's ISOLATE
#: `isolate_id` column itself, its indices the isolate's position there.
AST_RESULT = pa.schema(
    [
        ("lab_code", CODED),
        ("isolate_id", CODED),
        ("antimicrobial_raw", CODED),  # e.g. "AMP_ND10", "Ciprofloxacin"
        ("ab", CODED),  # canonical antimicrobial code; null when unresolved
        ("method", CODED),  # MIC | DISK | GRADIENT
        ("value_raw", CODED),  # "0.5", "<=0.25", ">8", "12", or an S/I/R letter
        ("potency", CODED),  # disk content, e.g. "10" (µg), "1.25/23.75"
        ("lab_sir", CODED),  # the lab's own S/I/R if reported
        ("lab_guideline", CODED),  # guideline the lab reported under, e.g. "CLSI 2019"
        ("source_row", pa.int64()),
        ("source_column", CODED),
    ]
)


def one_array(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array: its only chunk as it is, or its chunks joined."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def coded(column: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """One CODED array with the values of a text or dictionary column (chunks and their
    dictionaries unified); a column that is one CODED chunk already is returned as it is."""
    if isinstance(column, pa.ChunkedArray):
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        elif column.num_chunks > 1:
            column = pa.table({"c": column}).unify_dictionaries().column("c")
        column = one_array(column)
    elif not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    return column if column.type == CODED else column.cast(CODED)


#: One row per problem found while validating an upload.
VALIDATION_ISSUE = pa.schema(
    [
        ("file", pa.string()),
        ("row", pa.int64()),  # 1-based data row; null for file-level problems
        ("column", pa.string()),
        ("value", pa.string()),
        ("severity", pa.string()),  # error (row rejected) | warning (row kept)
        ("reason", pa.string()),  # closed set: amrwatch.ingest.report.REASONS
        ("message", pa.string()),
    ]
)

# --- what breakpoint lookup and analysis need about a resolved code (amrwatch.codes) ---------

#: One row per organism `mo`: taxonomy, Gram stain, anaerobe flag, groups and breakpoint keys.
ORGANISM_PROPERTIES = pa.schema(
    [
        ("mo", pa.string()),  # accepted mo (renames followed); null when the input is no known mo
        ("fullname", pa.string()),
        ("rank", pa.string()),
        ("kingdom", pa.string()),
        ("phylum", pa.string()),
        ("class", pa.string()),
        ("order", pa.string()),
        ("family", pa.string()),
        ("genus", pa.string()),
        ("species", pa.string()),
        ("gram_stain", pa.string()),
        ("anaerobe", pa.bool_()),
        ("oxygen_tolerance", pa.string()),
        ("species_mo", pa.string()),  # the species of a subspecies; itself for a species
        ("genus_mo", pa.string()),
        ("family_mo", pa.string()),
        ("order_mo", pa.string()),
        ("class_mo", pa.string()),
        ("groups", pa.list_(pa.string())),  # microorganisms.groups mo_group ids it belongs to
        ("breakpoint_keys", pa.list_(pa.string())),  # AMR clinical_breakpoints.mo candidates, most specific first
        ("whonet_org_code", pa.string()),  # the rest: from the user's imported WHONET Organisms.txt
        ("whonet_serovar_group", pa.string()),
        ("whonet_species_group", pa.string()),
        ("whonet_genus_code", pa.string()),
        ("whonet_genus_group", pa.string()),
        ("whonet_family_code", pa.string()),
        ("whonet_subkingdom_code", pa.string()),
        ("whonet_anaerobe", pa.bool_()),
    ]
)

#: One row per antimicrobial `ab`: class, ATC, WHO AWaRe category and DDDs.
ANTIMICROBIAL_PROPERTIES = pa.schema(
    [
        ("ab", pa.string()),
        ("name", pa.string()),
        ("drug_class", pa.string()),  # AMR antimicrobials.group, e.g. "Carbapenems"
        ("atc", pa.list_(pa.string())),  # ATC codes, human (J...) first; veterinary Q codes too
        ("atc_group1", pa.string()),
        ("atc_group2", pa.string()),
        ("aware", pa.string()),  # Access | Watch | Reserve | Not recommended | null (not classified)
        ("oral_ddd", pa.float64()),
        ("oral_units", pa.string()),
        ("iv_ddd", pa.float64()),
        ("iv_units", pa.string()),
        ("loinc", pa.list_(pa.string())),
        ("whonet_code", pa.string()),  # WHONET's code for this drug (trap 8)
        ("whonet_class", pa.string()),  # from the user's imported WHONET Antibiotics.txt
        ("whonet_prof_class", pa.string()),
    ]
)

#: One row per isolate the store did not store because the same lab isolate id is already there:
#: earlier in the same file (`in_upload`) or in an earlier upload (`already_stored`).
DUPLICATE_ISOLATE = pa.schema(
    [
        ("isolate_id", pa.string()),
        ("source_row", pa.int64()),  # the row in this upload that was not stored
        ("kind", pa.string()),  # in_upload | already_stored
        ("stored_upload_id", pa.int64()),  # the upload holding the copy that was kept
    ]
)

# --- detection (amrwatch.detect) --------------------------------------------------------------

#: One row per space-time cluster found by the prospective permutation scan (amrwatch.detect.scan).
CLUSTER = pa.schema(
    [
        ("rank", pa.int32()),  # 1 = most likely cluster; others share no lab with a better one
        ("centre_lab", pa.string()),
        ("labs", pa.list_(pa.string())),  # the centre and its nearest labs in the circle
        ("radius_km", pa.float64()),
        ("window_start", pa.date32()),
        ("window_end", pa.date32()),  # prospective: always the last day of the study period
        ("observed", pa.int64()),
        ("expected", pa.float64()),
        ("relative_risk", pa.float64()),
        ("llr", pa.float64()),  # log likelihood ratio (Poisson approximation)
        ("p_value", pa.float64()),  # Monte Carlo: rank among replications + 1
        ("recurrence_days", pa.float64()),  # analysis interval / p
        ("signal", pa.bool_()),  # recurrence interval ≥ the configured threshold
        ("total_cases", pa.int64()),
        ("replications", pa.int32()),
    ]
)

#: One row per detected event, whatever found it (rule, aberration detector, scan). `signal_id`
#: is a hash of what identifies the event (not of when it was found), so re-running detection
#: after each upload gives the same id and the store keeps one row.
SIGNAL = pa.schema(
    [
        ("signal_id", pa.string()),  # sha256 hex (first 32) of the event key
        ("kind", pa.string()),  # rule | aberration | cluster
        ("detector", pa.string()),  # rule id, or farrington / ears-c1 / … / cusum / scan
        ("severity", pa.string()),  # critical | high | medium | low
        ("country", pa.string()),  # ISO 3166-1 alpha-3; null for region-wide events
        ("lab_code", pa.string()),  # null for country or region events
        ("mo", pa.string()),
        ("phenotype", pa.string()),  # e.g. CRE, VRSA, COL-R; null for organism-only events
        ("window_start", pa.date32()),
        ("window_end", pa.date32()),
        ("evidence", pa.string()),  # JSON: isolates, series values, scan window, rule source
    ]
)

# --- synthetic data ground truth (amrwatch.synth) ---------------------------------------------

#: One row per generated isolate, as the generator knows it (truth/isolates.parquet).
SYNTH_ISOLATE = pa.schema(
    [
        ("lab_code", pa.string()),
        ("isolate_id", pa.string()),  # the lab's own id, as written in its files
        ("patient_id", pa.string()),  # the lab's raw patient id (synthetic, never a real person)
        ("country", pa.string()),
        ("sex", pa.string()),
        ("age", pa.float32()),
        ("specimen_date", pa.date32()),
        ("admission_date", pa.date32()),  # null for outpatients
        ("specimen", pa.string()),  # blood | urine | stool | genital | respiratory
        ("ward_type", pa.string()),
        ("organism", pa.string()),  # generator organism key (synth/data/organisms.tsv)
        ("event", pa.string()),  # seeded event id, "" for background isolates
        ("hospital_onset", pa.bool_()),
        ("carbapenemase", pa.bool_()),
        ("esbl", pa.bool_()),
    ]
)

#: One row per generated AST result with the truth behind it (truth/ast.parquet).
SYNTH_AST = pa.schema(
    [
        ("lab_code", pa.string()),
        ("isolate_id", pa.string()),
        ("organism", pa.string()),
        ("ab", pa.string()),
        ("method", pa.string()),  # MIC | DISK | GRADIENT
        ("potency", pa.string()),
        ("value", pa.string()),  # raw value as written in the lab file
        ("guideline", pa.string()),  # guideline the lab applied, e.g. "CLSI 2019"
        ("lab_sir", pa.string()),  # the lab's own category under that guideline
        ("resistant", pa.bool_()),  # the isolate truly carries the resistance
    ]
)
