"""Interpretation policies (data/policies.yaml) and the guideline/capped-MIC settings, validated.

Takes a policy name, a guideline text such as "CLSI 2024" and a capped-MIC handling word; gives a
`Settings` object, or a ConfigurationError naming the setting, the value and the allowed values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from amrwatch.errors import ConfigurationError
from amrwatch.interpret.data import read_yaml

#: AMR 3.0.0 names the fourth mode "inverse"; the issue calls it "lenient": both are accepted.
CAPPED_MIC_HANDLING = {"none": "none", "conservative": "conservative", "standard": "standard",
                       "lenient": "inverse", "inverse": "inverse"}

_GUIDELINE = re.compile(r"^\s*(CLSI|EUCAST)\s*(\d{4})?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """Everything one interpretation run depends on, besides the input rows."""

    policy_name: str
    policy: dict[str, Any]
    organisation: str  # CLSI | EUCAST
    year: int
    capped: str  # none | conservative | standard | inverse

    @property
    def guideline(self) -> str:
        return f"{self.organisation} {self.year}"

    def __getitem__(self, key: str) -> Any:
        return self.policy[key]


def policies() -> dict[str, dict[str, Any]]:
    return read_yaml("policies.yaml")["policies"]


def parse_guideline(text: str, available: dict[str, list[int]]) -> tuple[str, int]:
    """'CLSI 2024' -> ('CLSI', 2024); a bare 'EUCAST' means its latest year in the source."""
    match = _GUIDELINE.match(str(text or ""))
    if not match:
        raise ConfigurationError(
            "Unknown guideline", {"setting": "guideline", "value": text},
            hint='write the organisation and year, e.g. "EUCAST 2025" or "CLSI 2024"',
        )
    organisation = match.group(1).upper()
    years = available.get(organisation, [])
    year = int(match.group(2)) if match.group(2) else max(years, default=0)
    if year not in years:
        raise ConfigurationError(
            f"No {organisation} {year} breakpoints in this breakpoint source",
            {"setting": "guideline", "value": text},
            hint=f"available {organisation} years: {', '.join(map(str, sorted(years)))}",
        )
    return organisation, year


def settings(guideline: str, policy: str, capped_mic_handling: str,
             available: dict[str, list[int]]) -> Settings:
    known = policies()
    if policy not in known:
        raise ConfigurationError(
            "Unknown interpretation policy", {"setting": "policy", "value": policy},
            hint=f"choose one of: {', '.join(known)}",
        )
    capped = CAPPED_MIC_HANDLING.get(str(capped_mic_handling).lower())
    if capped is None:
        raise ConfigurationError(
            "Unknown capped MIC handling", {"setting": "capped_mic_handling",
                                            "value": capped_mic_handling},
            hint="choose one of: none, conservative, standard, lenient",
        )
    organisation, year = parse_guideline(guideline, available)
    return Settings(policy, known[policy], organisation, year, capped)
