"""The one error hierarchy of amrwatch.

    AmrwatchError                 every error a user can cause or fix
     ├── InputError               a file, row, column or value is wrong
     ├── ReferenceDataError       a reference table is missing, corrupt or inconsistent
     ├── ConfigurationError       a setting has a value outside its allowed set
     ├── StoreError               the store cannot be opened, migrated or written
     └── PermissionDenied         the caller's role or country does not allow the action

Each error carries its context (file, row, column, value, setting) and a hint saying what to do;
the CLI prints them without a traceback and exits non-zero, the API maps them to one JSON shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AmrwatchError(Exception):
    """Base class: a message, where it happened, and what the user can do next."""

    message: str
    context: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None

    exit_code = 2
    http_status = 400
    code = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in self.context.items() if v is not None)
        text = self.message + (f" ({where})" if where else "")
        return text + (f"\nWhat to do: {self.hint}" if self.hint else "")

    def to_json(self) -> dict[str, Any]:
        """The JSON error shape shared by the API and `--json` CLI output."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "context": {k: v for k, v in self.context.items() if v is not None},
                "hint": self.hint,
            }
        }


class InputError(AmrwatchError):
    code = "invalid_input"


class ReferenceDataError(AmrwatchError):
    code = "reference_data"
    exit_code = 3
    http_status = 500


class ConfigurationError(AmrwatchError):
    code = "configuration"


class StoreError(AmrwatchError):
    code = "store"
    exit_code = 4
    http_status = 503


class PermissionDenied(AmrwatchError):
    code = "permission_denied"
    exit_code = 5
    http_status = 403
