"""The YAML mapping that tells amrwatch how to read one LIS's CSV or Excel export.

Takes a YAML file (examples in `amrwatch/ingest/mappings/`, explained in docs/ingest.md); gives a
validated `Mapping`, or a ConfigurationError naming the setting, the allowed values and the value
given. A mapping names which lab column feeds which amrwatch field, maps the lab's own codes for
sex, specimen type and origin, fixes the date order or format, and says whether results are
wide (one column per antimicrobial) or long (one row per test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from amrwatch.errors import ConfigurationError
from amrwatch.ingest.registry import FIELDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WideResults(_Strict):
    columns: list[str] | None = None  # None = every column not mapped or ignored
    coding: Literal["auto", "whonet", "amr"] = "auto"
    method: Literal["MIC", "DISK", "GRADIENT"] | None = None
    guideline: str | None = None


class LongResults(_Strict):
    antimicrobial: str  # column holding the drug
    value: str | None = None  # column holding the measurement (or the category)
    interpretation: str | None = None  # column holding the lab's S/I/R
    method: str | None = None  # column holding the method
    potency: str | None = None
    guideline: str | None = None  # a column, or a fixed text such as "CLSI 2023"
    coding: Literal["auto", "whonet", "amr"] = "auto"
    methods: dict[str, Literal["MIC", "DISK", "GRADIENT"]] = Field(default_factory=dict)


class Mapping(_Strict):
    name: str
    description: str | None = None
    layout: Literal["wide", "long"] = "wide"
    delimiter: str | None = None
    sheet: str | None = None
    date_order: Literal["dmy", "mdy", "ymd"] | None = None
    date_format: str | None = None
    columns: dict[str, str]  # lab column -> amrwatch field
    ignore: list[str] = Field(default_factory=list)
    defaults: dict[str, str] = Field(default_factory=dict)
    values: dict[Literal["sex", "specimen_type", "origin"], dict[str, str]] = Field(
        default_factory=dict)
    antimicrobials: WideResults = Field(default_factory=WideResults)
    results: LongResults | None = None

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns.values()) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; allowed: {', '.join(FIELDS)}")
        return columns

    def field_columns(self) -> dict[str, str]:
        """amrwatch field -> lab column."""
        return {field: column for column, field in self.columns.items()}


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError("The mapping file cannot be read",
                                 {"setting": "--mapping", "value": str(path)},
                                 hint="give the path of a YAML mapping file") from error
    except yaml.YAMLError as error:
        raise ConfigurationError(f"The mapping file is not valid YAML: {error}",
                                 {"setting": "--mapping", "value": str(path)}) from error
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(
            f"The mapping file has an invalid setting {where!r}: {first['msg']}",
            {"setting": where, "value": str(first.get("input"))[:80], "file": str(path)},
            hint="see docs/ingest.md (LIS mappings) and the examples in amrwatch/ingest/mappings",
        ) from error
    if mapping.layout == "long" and mapping.results is None:
        raise ConfigurationError("A long-layout mapping needs a 'results' section",
                                 {"setting": "results", "file": str(path)})
    return mapping


def shipped_mapping(name: str) -> Path:
    """Path of a mapping shipped with amrwatch, e.g. `shipped_mapping("amr_example_isolates")`."""
    from importlib import resources

    return Path(str(resources.files("amrwatch.ingest") / "mappings" / f"{name}.yaml"))
