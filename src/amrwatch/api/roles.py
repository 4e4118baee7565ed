"""Who is calling and what they may see: roles, the caller's scope, and sharing policies.

Takes a user's role, country and lab; gives the `Caller` every data query receives. The rules
live here once, so that the data-access layer (`amrwatch.api.access`) and nothing else decides
which countries, labs and levels of detail a caller gets.

    role                       countries            isolate-level rows          aggregates
    lab_submitter              its lab's country    its own lab only            its own lab only
    national_epidemiologist    its own country      its own country             its own country
    regional_analyst           all                  countries sharing isolates  all (suppressed*)
    responder                  all                  countries sharing isolates  all (suppressed*)
    administrator              all                  all                         all

*A country with sharing policy `aggregate` shows the region only aggregates, and cells with fewer
isolates than the suppression threshold (default 10) are blanked (GLASS/ECDC small-cell practice).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from amrwatch.errors import ConfigurationError, PermissionDenied


class Role(StrEnum):
    LAB_SUBMITTER = "lab_submitter"
    NATIONAL_EPIDEMIOLOGIST = "national_epidemiologist"
    REGIONAL_ANALYST = "regional_analyst"
    RESPONDER = "responder"
    ADMINISTRATOR = "administrator"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            raise ConfigurationError(
                f"Unknown role {value!r}",
                {"setting": "role", "value": value},
                hint="Use one of: " + ", ".join(r.value for r in cls),
            ) from None


SHARING_POLICIES = ("isolate", "aggregate")
REGION_WIDE = {Role.REGIONAL_ANALYST, Role.RESPONDER, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Caller:
    """The authenticated user or lab system behind a request."""

    username: str
    role: Role
    country: str | None = None  # ISO3; required for national epidemiologists and lab submitters
    lab_code: str | None = None  # required for lab submitters

    def __post_init__(self) -> None:
        if self.role in (Role.NATIONAL_EPIDEMIOLOGIST, Role.LAB_SUBMITTER) and not self.country:
            raise ConfigurationError(
                f"A {self.role.value} needs a country", {"user": self.username},
                hint="Give --country ISO3 when adding the user.",
            )
        if self.role is Role.LAB_SUBMITTER and not self.lab_code:
            raise ConfigurationError(
                "A lab submitter needs a lab", {"user": self.username},
                hint="Give --lab CODE when adding the user.",
            )

    @property
    def region_wide(self) -> bool:
        return self.role in REGION_WIDE

    def require(self, allowed: set[Role], action: str) -> None:
        """Refuse the action unless the caller's role is one of `allowed`."""
        if self.role not in allowed:
            raise PermissionDenied(
                f"Your role ({self.role.value}) may not {action}",
                {"user": self.username, "action": action},
                hint="Ask an administrator for a role that allows it.",
            )

    def may_see_country(self, country: str) -> bool:
        return self.region_wide or self.country == country

    def require_country(self, country: str) -> None:
        if not self.may_see_country(country):
            raise PermissionDenied(
                "You may not see data of this country",
                {"user": self.username, "country": country},
                hint="National users see only their own country.",
            )

    def sees_isolates_of(self, country: str, policy: str) -> bool:
        """Isolate-level rows: own country, or a country that shares isolates with the region."""
        if self.role is Role.ADMINISTRATOR or self.role is Role.NATIONAL_EPIDEMIOLOGIST:
            return self.country == country or self.role is Role.ADMINISTRATOR
        if self.role is Role.LAB_SUBMITTER:
            return False  # lab submitters reach their own lab's rows through the lab scope
        return policy == "isolate"

    def suppresses(self, country: str, policy: str) -> bool:
        """Whether small aggregate cells of `country` must be blanked for this caller."""
        return policy == "aggregate" and not self.sees_isolates_of(country, policy)
