"""Detection after an upload: rules, aberrations and clusters over the whole stored history.

Takes interpreted isolate results (e.g. `Store.isolate_results()`), the lab registry with
coordinates and the rule set; gives every signal (SIGNAL schema) together with the weekly series
and the clusters behind them. What is watched is data: the `monitoring` section of the rule file.
Signal ids identify events, so running this after each upload and keeping ids not yet stored
never alerts twice on one event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from amrwatch.detect.rules import RuleSet, evaluate_rules, load_rules, phenotype_hits
from amrwatch.detect.runner import scan_groups
from amrwatch.detect.scan import SpaceTimeScan
from amrwatch.detect.series import detect_aberrations, detector
from amrwatch.detect.signals import aberration_signals, continue_clusters
from amrwatch.detect.weekly import first_per_patient, weekly_series
from amrwatch.errors import ConfigurationError


@dataclass(frozen=True)
class Detected:
    signals: pa.Table
    series: pa.Table
    clusters: pa.Table


def monitored_phenotypes(ruleset: RuleSet) -> dict[str, dict[str, Any]]:
    """Definitions of the watched phenotypes: the rule file's, else amrwatch.analyse's indicators."""
    from amrwatch.analyse.mdro import definitions

    indicators = definitions("resistance_indicators")["indicators"]
    found = {}
    for name in ruleset.monitoring.get("phenotypes", []):
        spec = ruleset.phenotypes.get(name) or indicators.get(name)
        if spec is None:
            raise ConfigurationError("Monitored phenotype is not defined", {"phenotype": name},
                                     hint="define it under `phenotypes` in the rule file")
        found[name] = spec
    return found


def cases(results: pa.Table, ruleset: RuleSet) -> pa.Table:
    """Isolates with a watched phenotype, first per patient when the rule file asks for it."""
    hits = phenotype_hits(results, monitored_phenotypes(ruleset))
    return first_per_patient(hits) if ruleset.monitoring.get("one_per_patient") else hits


def aberrations(hits: pa.Table, ruleset: RuleSet, end: dt.date | None = None) -> tuple[pa.Table, pa.Table]:
    config = ruleset.monitoring.get("aberrations", {})
    series = weekly_series(hits, config.get("by", ["country"]), end=end)
    if series.num_rows == 0:
        return series, pa.table({})
    algorithm = config.get("algorithm", "farrington")
    found = detect_aberrations(series, detector(algorithm, **config.get("parameters", {})))
    return found, aberration_signals(found, algorithm, config.get("severity", "medium"))


def scan_params(ruleset: RuleSet, **overrides: Any) -> SpaceTimeScan:
    return SpaceTimeScan(**{**ruleset.monitoring.get("scan", {}).get("parameters", {}), **overrides})


def detect_signals(results: pa.Table, labs: pa.Table, ruleset: RuleSet | None = None,
                   end: dt.date | None = None, known: pa.Table | None = None) -> Detected:
    """Every signal on the data up to `end` (default: the last specimen date).

    `known` are signals stored by earlier runs: a cluster that continues one of them keeps its id.
    """
    ruleset = ruleset or load_rules()
    hits = cases(results, ruleset)
    series, series_signals = aberrations(hits, ruleset, end)
    by = ruleset.monitoring.get("scan", {}).get("by", ["phenotype"])
    clusters, cluster_signals = scan_groups(hits.select(["lab_code", "specimen_date", *by]), labs,
                                            scan_params(ruleset), by, end)
    parts = [evaluate_rules(results, ruleset), series_signals, continue_clusters(cluster_signals, known)]
    signals = pa.concat_tables([p for p in parts if p.num_rows], promote_options="default") \
        if any(p.num_rows for p in parts) else parts[0]
    return Detected(signals, series, clusters)
