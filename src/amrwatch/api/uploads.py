"""Receiving a lab's file over the network: validate, store atomically, interpret, report.

Takes the caller, the lab, the file's name and bytes (spooled to disk by the web server while it
streams in) and an optional format; gives the store's outcome plus the validation report.
A file that still carries personal identifiers is refused (issue 5: the hub's rule for files
received over the network); rows the report rejects are listed, never stored. The lab's settings
file on the hub (date order, guideline, LIS mapping, format) applies as for `amrwatch ingest`.
"""

from __future__ import annotations

from amrwatch.api.access import DataAccess
from amrwatch.api.roles import Caller, Role
from amrwatch.errors import PermissionDenied

UPLOADERS = {Role.LAB_SUBMITTER, Role.ADMINISTRATOR}
#: Formats the upload form offers; LIS CSV/Excel exports are read with the mapping named in the
#: lab's settings file on the hub (`amrwatch.ingest.labsettings`).
WEB_FORMATS = ("whonet", "csv", "excel", "fhir", "hl7")


def receive(access: DataAccess, caller: Caller, lab_code: str | None, file_name: str,
            content: bytes, format: str | None = None) -> dict:
    """Ingest one upload for `lab_code` (a lab submitter's own lab by default)."""
    from amrwatch.ingest import read_upload
    from amrwatch.ingest.labsettings import lab_settings

    caller.require(UPLOADERS, "upload files")
    lab_code = lab_code or caller.lab_code
    if caller.role is Role.LAB_SUBMITTER and lab_code != caller.lab_code:
        raise PermissionDenied("You may upload only for your own laboratory",
                               {"user": caller.username, "lab": lab_code},
                               hint=f"Choose {caller.lab_code}.")
    lab = access.lab(caller, lab_code or "")
    saved = lab_settings(lab["lab_code"])  # date order, guideline, mapping the hub keeps
    result = read_upload(file_name, format or saved.format, saved.mapping, lab=lab["lab_code"],
                         country=lab["country"], date_order=saved.date_order,
                         lab_guideline=saved.guideline, strict=True, content=content)
    store = access.store
    outcome = store.add_upload(result.lab_code, result.country, result.file, result.sha256,
                               result.reader, result.isolates, result.ast_results,
                               result.report(), actor=caller.username)
    access.counts.invalidate()  # the uploader's next page shows the new upload
    interpreted, detection = [], None
    if not outcome.already_ingested:
        for guideline in _guidelines_in_use(store, access.settings.policy):
            interpreted.append(store.reinterpret(guideline, access.settings.policy,
                                                 upload_id=outcome.upload_id,
                                                 actor=caller.username))
        if interpreted and access.settings.detect_after_upload:
            # detection reruns after every upload; an event already alerted is never re-alerted
            from amrwatch.alert.detection import detect_and_alert

            found = detect_and_alert(store)
            detection = {"signals": found.signals, "alerts_raised": found.alerts}
        access.counts.invalidate()
    return {"outcome": {k: v for k, v in outcome.to_dict().items() if k != "duplicate_isolates"},
            "duplicate_isolates": outcome.duplicate_isolates, "message": outcome.message(),
            "interpretations": interpreted, "detection": detection, "report": result.report(),
            "issues": result.issues.slice(0, 1000).to_pylist()}


def _guidelines_in_use(store, policy: str) -> list[str]:
    """Interpret a new upload under every guideline the store is already read under."""
    rows = store.query("SELECT DISTINCT guideline FROM interpretation WHERE policy = ? "
                       "ORDER BY guideline", [policy])
    return rows["guideline"].to_pylist()
