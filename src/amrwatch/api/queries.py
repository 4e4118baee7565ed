"""SQL over the store's own tables: the one place the web service knows their names and columns.

Each query yields columns the data-access layer filters with the caller's scope (`country`,
`lab_code`), so a change in the store's schema is absorbed here and nowhere else.
"""

from __future__ import annotations

#: One row per interpreted AST result with the isolate's country, lab, date and organism.
RESULTS = (
    "SELECT i.country, i.lab_code, i.specimen_date, i.mo, r.ab, t.guideline, t.sir "
    "FROM isolate i JOIN ast_result r ON r.lab_code = i.lab_code AND r.isolate_id = i.isolate_id "
    "JOIN interpretation t ON t.ast_id = r.ast_id"
)

#: The store's change marker: a new upload or a reinterpretation changes it.
VERSION = "SELECT (SELECT count(*) FROM upload) AS uploads, (SELECT count(*) FROM interpretation) AS interpretations"

#: Labs with their country and sharing policy (`isolate` | `aggregate`).
LABS = "SELECT code AS lab_code, country, name, sharing FROM lab"

#: Uploads per lab with their data-quality score (0–100).
UPLOADS = ("SELECT u.upload_id, u.lab_code, l.country, u.file_name, u.received_at, u.rows_accepted, "
           "u.rows_rejected, u.quality FROM upload u JOIN lab l ON l.code = u.lab_code")

#: Isolate-level rows (never shown to the region for aggregate-only countries).
ISOLATES = ("SELECT lab_code, country, isolate_id, specimen_date, specimen_type, origin, "
            "age_years, sex, mo FROM isolate")
