"""A lab's own reading settings, kept beside its key: date order, guideline, mapping, format.

Takes a lab code; gives the settings in `$AMRWATCH_HOME/labs/<lab>.yaml` (every one optional),
validated, or defaults when the file does not exist. `amrwatch ingest` uses them where the command
line says nothing, so a lab whose WHONET writes day/month/year says so once:

    # ~/.amrwatch/labs/AR-001.yaml
    date_order: dmy
    guideline: CLSI 2023
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from amrwatch.errors import ConfigurationError
from amrwatch.ingest.pseudonymise import home, key_path


class LabSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_order: Literal["dmy", "mdy", "ymd"] | None = None
    guideline: str | None = None  # the guideline the lab reports S/I/R under, e.g. "CLSI 2023"
    mapping: Path | None = None  # the LIS mapping file, relative to the settings file
    format: Literal["whonet", "csv", "excel", "fhir", "hl7"] | None = None


def settings_path(lab_code: str) -> Path:
    key_path(lab_code)  # the same rule for safe lab codes
    return home() / "labs" / f"{lab_code}.yaml"


def lab_settings(lab_code: str) -> LabSettings:
    """The lab's settings file, or all-default settings when it has none."""
    path = settings_path(lab_code)
    if not path.exists():
        return LabSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        settings = LabSettings.model_validate(data)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError("The lab settings file cannot be read",
                                 {"setting": "lab settings", "value": str(path)}) from error
    except ValidationError as error:
        first = error.errors()[0]
        raise ConfigurationError(
            f"The lab settings file has an invalid setting: {first['msg']}",
            {"setting": ".".join(str(p) for p in first["loc"]),
             "value": str(first.get("input"))[:80], "file": str(path)},
            hint="allowed settings: date_order (dmy|mdy|ymd), guideline, mapping, format",
        ) from error
    if settings.mapping is not None and not settings.mapping.is_absolute():
        settings.mapping = path.parent / settings.mapping
    return settings
