"""SQL over the store's own tables: the one place the web service knows their names and columns.

Each query yields columns the data-access layer filters with the caller's scope (`country`,
`lab_code`), so a change in the store's schema (store/migrations/) is absorbed here only.
"""

from __future__ import annotations

#: One row per interpreted AST result under one interpretation policy (parameter 1), with the
#: isolate's country, lab, date and organism.
RESULTS = (
    "SELECT i.country, i.lab_code, i.specimen_date, i.mo, k.ab, t.guideline, t.sir "
    "FROM interpretation t JOIN ast_entry r ON r.ast_id = t.ast_id "
    "JOIN ast_reading k ON k.reading_key = r.reading_key "
    "JOIN isolate i ON i.isolate_key = r.isolate_key "
    "WHERE t.policy = ?"
)

#: The store's change marker: a new upload, reinterpretation or sharing decision changes it.
VERSION = ("SELECT (SELECT count(*) FROM upload) AS uploads, "
           "(SELECT count(*) FROM interpretation) AS interpretations, "
           "(SELECT count(*) FROM lab) AS labs, "
           "(SELECT count(*) FROM lab WHERE sharing = 'aggregate') AS aggregate_labs")

#: Country → sharing policy: a country is aggregate-only if any of its labs is.
POLICIES = (
    "SELECT country, CASE WHEN bool_or(sharing = 'aggregate') THEN 'aggregate' "
    "ELSE 'isolate' END AS sharing FROM lab GROUP BY country")

#: Labs with their country and sharing policy (`isolate` | `aggregate`).
LABS = "SELECT lab_code, country, name, sharing FROM lab"

#: Uploads with their counts and data-quality score (the store keeps 0–1; pages show %).
UPLOADS = ("SELECT u.upload_id, u.lab_code, l.country, u.file_name, u.reader, u.received_at, "
           "u.isolates_received, u.isolates_stored, u.duplicate_isolates, u.ast_received, "
           "u.ast_stored, 100 * u.quality_score AS quality "
           "FROM upload u JOIN lab l USING (lab_code)")

#: One upload's validation report (JSON text, as ingestion wrote it).
UPLOAD_REPORT = ("SELECT u.upload_id, u.lab_code, l.country, u.report FROM upload u "
                 "JOIN lab l USING (lab_code) WHERE u.upload_id = ?")

#: Isolate-level rows (never shown to the region for aggregate-only countries).
ISOLATES = ("SELECT lab_code, country, isolate_id, specimen_date, specimen_type, origin, "
            "age_years, sex, mo FROM isolate")

#: Interpreted results of one country under one guideline (parameters: country, guideline,
#: policy), in the long shape `amrwatch.analyse.mdro` classifies.
COUNTRY_RESULTS = (
    "SELECT i.country, i.lab_code, i.isolate_id, i.mo, k.ab, t.sir "
    "FROM interpretation t JOIN ast_entry a ON a.ast_id = t.ast_id "
    "JOIN ast_reading k ON k.reading_key = a.reading_key "
    "JOIN isolate i ON i.isolate_key = a.isolate_key "
    "WHERE i.country = ? AND t.guideline = ? AND t.policy = ?"
)

#: Whether the store has the alert stage's tables yet (a store made before migration 0003).
HAS_ALERTS = ("SELECT count(*) AS n FROM information_schema.tables "
              "WHERE table_name IN ('alert', 'signal', 'alert_event')")
