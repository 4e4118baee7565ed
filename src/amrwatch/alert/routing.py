"""Routing as data: which recipients hear of an alert, over which channel, in which language.

Takes the routing file (`data/routing.yaml`, or the hub's own copy named by `--routing` or
AMRWATCH_ROUTING) and an alert's fields (severity, country, organism, phenotype, kind, detector);
gives the delivery targets, the escalation deadline, the workflow permissions and the message
texts. Nothing about who is told what is written in code.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from amrwatch.errors import ConfigurationError

ENV_VAR = "AMRWATCH_ROUTING"
WHEN_KEYS = ("severity", "min_severity", "country", "organism", "phenotype", "kind", "detector")
SECTIONS = ("version", "severities", "channels", "retry", "recipients", "rules", "escalation",
            "workflow", "messages", "links")


@dataclass(frozen=True)
class Target:
    """One message to send: a recipient (e.g. `national_focal_point:ARG`) over one channel."""

    recipient: str
    channel: str
    address: str
    language: str


@dataclass(frozen=True)
class Routing:
    path: str
    data: dict[str, Any]

    @property
    def severities(self) -> list[str]:
        return self.data["severities"]

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        return self.data["channels"]

    @property
    def workflow(self) -> dict[str, dict[str, Any]]:
        return self.data["workflow"]

    def messages(self, language: str) -> dict[str, Any]:
        return self.data["messages"].get(language) or self.data["messages"]["en"]

    def link(self, alert_id: int) -> str:
        return f"{self.data['links']['base_url'].rstrip('/')}/alerts/{alert_id}"

    def route(self, alert: dict[str, Any]) -> list[Target]:
        """Targets of every rule whose `when` matches the alert, each (channel, address) once."""
        sends = [send for rule in self.data["rules"] if self._matches(rule.get("when", {}), alert)
                 for send in rule["send"]]
        return self.targets(sends, alert)

    def escalation_targets(self, alert: dict[str, Any]) -> list[Target]:
        return self.targets(self.data["escalation"].get("notify", []), alert)

    def escalate_after(self, severity: str) -> dt.timedelta | None:
        """How long an alert of `severity` may stay unacknowledged (None: never escalates)."""
        hours = self.data["escalation"].get("acknowledge_within_hours", {}).get(severity)
        return None if hours is None else dt.timedelta(hours=float(hours))

    def backoff(self, attempts: int) -> dt.timedelta:
        """Wait before the next try after `attempts` failed ones: exponential, capped."""
        retry = self.data["retry"]
        seconds = float(retry["first_delay_seconds"]) * float(retry["factor"]) ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, float(retry["max_delay_seconds"])))

    def targets(self, sends: list[dict[str, Any]], alert: dict[str, Any]) -> list[Target]:
        found: dict[tuple[str, str], Target] = {}
        for send in sends:
            for contact_id, contact in self._contacts(send["recipient"], alert):
                for channel in send["channels"]:
                    address = contact.get(self.channels[channel]["type"])
                    if address:
                        found.setdefault((channel, address), Target(
                            contact_id, channel, address, contact.get("language", "en")))
        return list(found.values())

    def _contacts(self, name: str, alert: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        recipient = self.data["recipients"][name]
        if not recipient.get("per_country"):
            return [(name, recipient)]
        contacts = []
        for country in alert.get("countries") or [alert.get("country")]:
            if not country:
                continue
            merged = {**recipient, **recipient.get("countries", {}).get(country, {})}
            filled = {k: v.format(country=country, country_lower=country.lower())
                      if isinstance(v, str) else v for k, v in merged.items()}
            contacts.append((f"{name}:{country}", filled))
        return contacts

    def _matches(self, when: dict[str, Any], alert: dict[str, Any]) -> bool:
        for key, wanted in when.items():
            if key == "min_severity":
                order = self.severities
                if order.index(alert["severity"]) > order.index(wanted):
                    return False
                continue
            if not any(_match_one(v, wanted) for v in _values(key, alert)):
                return False
        return True


def _values(key: str, alert: dict[str, Any]) -> list[Any]:
    """What a `when` key is compared with: every country an event concerns, `mo` for organism."""
    if key == "country":
        return alert.get("countries") or [alert.get("country")]
    return [alert.get("mo" if key == "organism" else key)]


def _match_one(value: Any, wanted: Any) -> bool:
    patterns = wanted if isinstance(wanted, list) else [wanted]
    for pattern in patterns:
        if pattern == "*" or value == pattern:
            return True
        if isinstance(pattern, str) and pattern.endswith("*") and isinstance(value, str) \
                and value.startswith(pattern[:-1]):
            return True
    return False


def load_routing(path: str | Path | None = None) -> Routing:
    """The routing file at `path`, else $AMRWATCH_ROUTING, else the packaged example."""
    chosen = path or os.environ.get(ENV_VAR)
    if chosen is None:
        return _packaged()
    return _read(Path(chosen))


@cache
def _packaged() -> Routing:
    source = resources.files("amrwatch.alert").joinpath("data", "routing.yaml")
    return _checked(yaml.safe_load(source.read_text(encoding="utf-8")), "amrwatch/alert/data/routing.yaml")


def _read(path: Path) -> Routing:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError("Cannot read the routing file", {"file": str(path)},
                                 hint=f"check the path given to --routing or {ENV_VAR}") from error
    except yaml.YAMLError as error:
        raise ConfigurationError(f"The routing file is not valid YAML: {error}", {"file": str(path)},
                                 hint="compare it with amrwatch/alert/data/routing.yaml") from error
    return _checked(data, str(path))


def _fail(message: str, path: str, entry: str, hint: str) -> None:
    raise ConfigurationError(message, {"file": path, "entry": entry}, hint=hint)


def _checked(data: Any, path: str) -> Routing:
    """Refuse a routing file that would lose or misdirect alerts, naming the entry at fault."""
    if not isinstance(data, dict):
        _fail("The routing file must be a mapping", path, "(top)", "start from the packaged example")
    for section in SECTIONS:
        if section not in data:
            _fail(f"The routing file lacks the section {section!r}", path, section,
                  "copy the section from amrwatch/alert/data/routing.yaml")
    _check_rules(data, path)
    if "en" not in data["messages"]:
        _fail("Messages need at least English", path, "messages", "add messages.en")
    return Routing(path, data)


def _check_rules(data: dict[str, Any], path: str) -> None:
    from amrwatch.alert.channels import CHANNEL_TYPES

    for name, channel in data["channels"].items():
        if channel.get("type") not in CHANNEL_TYPES:
            _fail(f"Channel {name!r} has an unknown type {channel.get('type')!r}", path,
                  f"channels.{name}", "use one of: " + ", ".join(sorted(CHANNEL_TYPES)))
    sends = [(f"rules.{r.get('id')}", s) for r in data["rules"] for s in r.get("send", [])]
    sends += [("escalation.notify", s) for s in data["escalation"].get("notify", [])]
    for entry, send in sends:
        if send.get("recipient") not in data["recipients"]:
            _fail(f"Unknown recipient {send.get('recipient')!r}", path, entry,
                  "define it under `recipients`")
        for channel in send.get("channels", []):
            if channel not in data["channels"]:
                _fail(f"Unknown channel {channel!r}", path, entry, "define it under `channels`")
    for rule in data["rules"]:
        unknown = set(rule.get("when", {})) - set(WHEN_KEYS)
        if unknown:
            _fail(f"Unknown condition(s) {', '.join(sorted(unknown))}", path,
                  f"rules.{rule.get('id')}", "conditions: " + ", ".join(WHEN_KEYS))
        for key in ("min_severity",):
            if key in rule.get("when", {}) and rule["when"][key] not in data["severities"]:
                _fail(f"Unknown severity {rule['when'][key]!r}", path, f"rules.{rule.get('id')}",
                      "use one of: " + ", ".join(data["severities"]))

