"""The alert: what a signal says to a person, in their language, and the message sent about it.

Takes a SIGNAL row (amrwatch.schemas), the detection rule set (rule descriptions and phenotype
labels in es/pt/en/fr) and the routing file's message texts; gives the alert's title, the
countries it concerns, and the payload of each outbox row with its idempotency key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from amrwatch.alert.routing import Routing, Target

if TYPE_CHECKING:  # importing amrwatch.detect loads scipy and statsmodels: only when detecting
    from amrwatch.detect.rules import RuleSet

STATUSES = ("new", "acknowledged", "escalated", "closed")
#: Events that send messages: the alert's first notice and its escalation.
RAISED, ESCALATED = "raised", "escalated"


def evidence_of(signal: dict[str, Any]) -> dict[str, Any]:
    text = signal.get("evidence")
    return json.loads(text) if isinstance(text, str) and text else dict(text or {})


def countries_of(signal: dict[str, Any]) -> list[str]:
    """The countries an event concerns: its own, else those of its isolates (a first occurrence
    in the region names none itself, but its isolate has a country)."""
    if signal.get("country"):
        return [signal["country"]]
    isolates = evidence_of(signal).get("isolates") or []
    return sorted({i["country"] for i in isolates if isinstance(i, dict) and i.get("country")})


def phenotype_label(ruleset: RuleSet, phenotype: str | None, language: str) -> str:
    label = ruleset.phenotypes.get(phenotype or "", {}).get("label", {})
    return label.get(language) or label.get("en") or phenotype or ""


def title(signal: dict[str, Any], ruleset: RuleSet, routing: Routing, language: str = "en") -> str:
    """One line saying what happened: the rule's own description for rule signals."""
    texts = routing.messages(language)
    if signal["kind"] == "rule" and any(r["id"] == signal["detector"] for r in ruleset.rules):
        text = ruleset.describe(signal["detector"], language if language in ("es", "pt", "en", "fr") else "en")
        values = fields(signal, ruleset, routing, language)
        what = values["phenotype"]
        text = f"{text} ({what})" if what and what not in text else text
        return f"{text.rstrip('.')} — {values['place']}"
    template = texts.get(signal["kind"], "{detector}: {phenotype}")
    return template.format(**fields(signal, ruleset, routing, language))


def fields(signal: dict[str, Any], ruleset: RuleSet, routing: Routing, language: str) -> dict[str, Any]:
    """The values message templates may use."""
    texts = routing.messages(language)
    place = ", ".join(filter(None, [signal.get("lab_code"), *countries_of(signal)])) or texts["region"]
    return {
        "place": place, "lab_code": signal.get("lab_code") or "", "mo": signal.get("mo") or "",
        "phenotype": phenotype_label(ruleset, signal.get("phenotype"), language),
        "detector": signal.get("detector") or "", "severity": signal["severity"],
        "severity_label": texts.get("severity", {}).get(signal["severity"], signal["severity"]),
        "window_start": signal.get("window_start") or "", "window_end": signal.get("window_end") or "",
    }


def routing_view(signal: dict[str, Any]) -> dict[str, Any]:
    """The fields routing rules match on."""
    return {"severity": signal["severity"], "country": signal.get("country"),
            "countries": countries_of(signal), "mo": signal.get("mo"),
            "phenotype": signal.get("phenotype"), "kind": signal["kind"],
            "detector": signal["detector"]}


def idempotency_key(signal_id: str, event: str, target: Target) -> str:
    """Derived from what the message is (event of which alert, to whom, how), never from when it
    is sent, so every retry — and a re-created outbox row — carries the same key."""
    text = f"{signal_id}|{event}|{target.channel}|{target.address}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def without_isolates(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence as a country with `aggregate` sharing lets it leave: counts, no isolate rows
    (docs/store.md, sharing policies; the same rule as the web service's)."""
    if "isolates" not in evidence:
        return evidence
    rest = {k: v for k, v in evidence.items() if k != "isolates"}
    return {**rest, "isolate_count": len(evidence["isolates"] or []), "isolates_withheld": True}


def private_to(signal: dict[str, Any], target: Target,
               aggregate_countries: AbstractSet[str]) -> bool:
    """Whether isolate rows must stay out of a message: the event's country shares only
    aggregates and the recipient is not that country's own contact (`name:ISO3`)."""
    countries = set(countries_of(signal)) & aggregate_countries
    return any(not target.recipient.endswith(f":{country}") for country in countries)


def payload(alert_id: int, signal: dict[str, Any], event: str, target: Target,
            ruleset: RuleSet, routing: Routing,
            aggregate_countries: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """The message about one alert event for one target: subject and text in the target's
    language, plus the alert's data (for webhooks) and a link to the inbox. Isolate rows of a
    country that shares only aggregates go to that country's own contacts only."""
    evidence = evidence_of(signal)
    if private_to(signal, target, aggregate_countries):
        evidence = without_isolates(evidence)
    texts = routing.messages(target.language)
    values = {**fields(signal, ruleset, routing, target.language), "alert_id": alert_id,
              "title": title(signal, ruleset, routing, target.language),
              "link": routing.link(alert_id)}
    subject = texts["escalated_subject" if event == ESCALATED else "subject"].format(**values)
    return {
        "event": event, "subject": subject, "text": texts["body"].format(**values),
        "language": target.language, "recipient": target.recipient, "link": values["link"],
        "alert": {
            "alert_id": alert_id, "signal_id": signal["signal_id"], "title": values["title"],
            "severity": signal["severity"], "kind": signal["kind"], "detector": signal["detector"],
            "country": signal.get("country"), "countries": countries_of(signal),
            "lab_code": signal.get("lab_code"), "mo": signal.get("mo"),
            "phenotype": signal.get("phenotype"),
            "window_start": _iso(signal.get("window_start")),
            "window_end": _iso(signal.get("window_end")),
            "evidence": evidence,
        },
    }


def _iso(value: Any) -> str | None:
    return None if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
