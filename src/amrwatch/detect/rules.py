"""Rules as data: first occurrences, exceptional phenotypes and confirmation requests.

Takes interpreted isolate results, one row per isolate × antimicrobial (`country`, `lab_code`,
`isolate_id`, `specimen_date`, `mo`, `ab`, `sir`; isolates identified but not tested may have a
null `ab`), and a rule file (default `data/rules.yaml`, described in its header); gives SIGNAL
rows. Each phenotype becomes one DuckDB query over all isolates; first occurrences are a window
function per scope; ids hash the rule, the scope and the place (first occurrence) or the isolate
(every-isolate rules), so evaluating the whole history again after an upload yields the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from amrwatch import refdata
from amrwatch.detect.signals import signal_id_sql
from amrwatch.errors import InputError, ReferenceDataError
from amrwatch.schemas import SIGNAL

LANGUAGES = ("es", "pt", "en", "fr")
SEVERITIES = ("critical", "high", "medium", "low")
SCOPES = {"lab": ["country", "lab_code"], "country": ["country"], "region": []}
TAXONOMY = ("mo", "kingdom", "order", "family", "genus", "species")
REQUIRED = ("country", "lab_code", "isolate_id", "specimen_date", "mo", "ab", "sir")


@dataclass(frozen=True)
class RuleSet:
    version: str
    sources: dict[str, str]
    phenotypes: dict[str, dict[str, Any]]
    rules: list[dict[str, Any]]
    monitoring: dict[str, Any]

    def describe(self, rule_id: str, language: str = "en") -> str:
        """The rule's description in one of es, pt, en, fr."""
        rule = next(r for r in self.rules if r["id"] == rule_id)
        return rule["description"][language]


def _fail(message: str, where: str, path: Path | str) -> None:
    raise ReferenceDataError(message, {"file": str(path), "entry": where},
                             hint="correct the rule file; see the comments at its top")


def _check_phenotype(name: str, spec: dict[str, Any], path: Path | str) -> None:
    known = set(refdata.table("antimicrobials").column("ab").to_pylist())
    if set(spec["label"]) != set(LANGUAGES):
        _fail("phenotype label must be given in es, pt, en and fr", name, path)
    for selector in spec.get("organisms", []):
        if not set(selector) <= set(TAXONOMY):
            _fail(f"organism selector keys must be among {TAXONOMY}", name, path)
    unknown = [ab for ab in spec.get("resistant_to_any", []) if ab not in known]
    if unknown:
        _fail(f"unknown antimicrobial code(s) {unknown}", name, path)


def _check_rule(rule: dict[str, Any], ruleset: RuleSet, path: Path | str) -> None:
    where = rule.get("id", "?")
    phenotypes = rule["phenotype"] if isinstance(rule["phenotype"], list) else [rule["phenotype"]]
    if any(p not in ruleset.phenotypes for p in phenotypes):
        _fail(f"rule uses an undefined phenotype {phenotypes}", where, path)
    if rule["kind"] == "first_occurrence":
        if len(phenotypes) != 1 or not set(rule["scopes"]) <= set(SCOPES):
            _fail("first_occurrence needs one phenotype and scopes among lab/country/region", where, path)
        severities = list(rule["scopes"].values())
    elif rule["kind"] == "every_isolate":
        severities = [rule["severity"]]
    else:
        _fail("kind must be first_occurrence or every_isolate", where, path)
    if any(s not in SEVERITIES for s in severities):
        _fail(f"severity must be one of {SEVERITIES}", where, path)
    if rule["source"] not in ruleset.sources or set(rule["description"]) != set(LANGUAGES):
        _fail("rule needs a known source and a description in es, pt, en, fr", where, path)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Read and validate a rule file (default: the packaged `data/rules.yaml`)."""
    if path is None:
        return _packaged()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"Cannot read rule file: {error}", {"file": str(path)}) from error
    return _ruleset(data, path)


@cache
def _packaged() -> RuleSet:
    text = resources.files("amrwatch.detect").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    return _ruleset(yaml.safe_load(text), "amrwatch/detect/data/rules.yaml")


def _ruleset(data: dict[str, Any], path: Path | str) -> RuleSet:
    try:
        ruleset = RuleSet(str(data["version"]), data["sources"], data["phenotypes"], data["rules"],
                          data.get("monitoring", {}))
        for name, spec in ruleset.phenotypes.items():
            _check_phenotype(name, spec, path)
        for rule in ruleset.rules:
            _check_rule(rule, ruleset, path)
    except (KeyError, TypeError, AttributeError) as error:
        raise ReferenceDataError(f"Rule file is missing or misshapes {error}", {"file": str(path)},
                                 hint="see the comments at the top of the packaged rules.yaml") from error
    ids = [rule["id"] for rule in ruleset.rules]
    if len(ids) != len(set(ids)):
        _fail("rule ids must be unique", ", ".join(ids), path)
    return ruleset


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _in(values: list[str]) -> str:
    return "(" + ", ".join(_literal(v) for v in values) + ")"


def _organism_sql(selectors: list[dict[str, str]]) -> str:
    """Any selector matches; within one selector every taxonomy field must match."""
    if not selectors:
        return "TRUE"
    each = [" AND ".join(f't."{key}" = {_literal(value)}' for key, value in s.items()) for s in selectors]
    return "(" + " OR ".join(f"({clause})" for clause in each) + ")"


def _condition_sql(spec: dict[str, Any]) -> tuple[str, str]:
    """(row flag marking the evidence agents, isolate-level HAVING condition)."""
    if "resistant_to_any" in spec:
        flag = f"r.ab IN {_in(spec['resistant_to_any'])} AND r.sir IN {_in(spec.get('categories', ['R']))}"
        return flag, f"bool_or({flag})"
    if "nonsusceptible_to_all_tested" in spec:
        least = int(spec["nonsusceptible_to_all_tested"]["min_tested"])
        having = (f"count(DISTINCT r.ab) FILTER (WHERE r.sir IN ('S','SDD','I','R')) >= {least} "
                  "AND count(*) FILTER (WHERE r.sir IN ('S','SDD')) = 0")
        return "r.sir IN ('I','R')", having
    return "FALSE", "TRUE"


def _phenotype_sql(name: str, spec: dict[str, Any]) -> str:
    flag, having = _condition_sql(spec)
    intrinsic = ("LEFT JOIN intrinsic i ON i.mo = r.mo AND i.ab = r.ab", "AND i.ab IS NULL") \
        if spec.get("exclude_intrinsic") else ("", "")
    return f"""
        SELECT {_literal(name)} AS phenotype, r.country, r.lab_code, r.isolate_id,
               min(r.specimen_date) AS specimen_date, any_value(r.mo) AS mo,
               any_value(r.patient_key) AS patient_key,
               coalesce(list_sort(list(DISTINCT r.ab) FILTER (WHERE {flag})), []) AS agents
        FROM results r JOIN taxa t ON t.mo = r.mo {intrinsic[0]}
        WHERE {_organism_sql(spec.get('organisms', []))} {intrinsic[1]}
        GROUP BY r.country, r.lab_code, r.isolate_id
        HAVING {having}"""


def _evidence_sql(rule: dict[str, Any], ruleset: RuleSet, scope: str) -> str:
    return (f"json_object('rule', {_literal(rule['id'])}, 'rule_version', {_literal(ruleset.version)}, "
            f"'source', {_literal(ruleset.sources[rule['source']])}, 'scope', {_literal(scope)}, "
            "'isolates', [json_object('country', country, 'lab_code', lab_code, 'isolate_id', "
            "isolate_id, 'specimen_date', specimen_date, 'mo', mo, 'agents', agents)])::VARCHAR")


def _first_occurrence_sql(rule: dict[str, Any], ruleset: RuleSet) -> list[str]:
    queries = []
    for scope, severity in rule["scopes"].items():
        keys = SCOPES[scope]
        partition = ", ".join(["phenotype", *keys])
        ident = signal_id_sql([_literal(rule["id"]), _literal(scope), *keys])
        queries.append(f"""
            SELECT {ident} AS signal_id, 'rule' AS kind, {_literal(rule['id'])} AS detector,
                   {_literal(severity)} AS severity,
                   {'country' if keys else 'NULL'} AS country,
                   {'lab_code' if scope == 'lab' else 'NULL'} AS lab_code, mo, phenotype,
                   specimen_date AS window_start, specimen_date AS window_end,
                   {_evidence_sql(rule, ruleset, scope)} AS evidence
            FROM ({_first_sql(rule, keys, partition)})
            WHERE specimen_date >= since + INTERVAL {int(rule.get('min_history_days', 0))} DAY""")
    return queries


def _first_sql(rule: dict[str, Any], keys: list[str], partition: str) -> str:
    """The first isolate with the phenotype per scope, with the scope's first data (`since`):
    a lab that joins the hub with the phenotype already present has no *new* occurrence."""
    scope = ", ".join(keys)
    since = (f"(SELECT {scope}, min(specimen_date) AS since FROM results GROUP BY {scope}) s"
             if keys else "(SELECT min(specimen_date) AS since FROM results) s")
    join = f"JOIN {since} USING ({scope})" if keys else f"CROSS JOIN {since}"
    return f"""
        SELECT h.*, s.since FROM hits h {join}
        WHERE phenotype = {_literal(rule['phenotype'])}
        QUALIFY row_number() OVER (PARTITION BY {partition}
                                   ORDER BY specimen_date, lab_code, isolate_id) = 1"""


def _every_isolate_sql(rule: dict[str, Any], ruleset: RuleSet) -> list[str]:
    phenotypes = rule["phenotype"] if isinstance(rule["phenotype"], list) else [rule["phenotype"]]
    ident = signal_id_sql([_literal(rule["id"]), "phenotype", "country", "lab_code", "isolate_id"])
    return [f"""
        SELECT {ident} AS signal_id, 'rule' AS kind, {_literal(rule['id'])} AS detector,
               {_literal(rule['severity'])} AS severity, country, lab_code, mo, phenotype,
               specimen_date AS window_start, specimen_date AS window_end,
               {_evidence_sql(rule, ruleset, 'isolate')} AS evidence
        FROM hits WHERE phenotype IN {_in(phenotypes)}"""]


def _check_results(results: pa.Table) -> pa.Table:
    absent = [c for c in REQUIRED if c not in results.column_names]
    if absent:
        raise InputError(f"Isolate results lack column(s) {', '.join(absent)}",
                         {"columns": ", ".join(results.column_names)},
                         hint="give interpreted results with " + ", ".join(REQUIRED))
    if "patient_key" not in results.column_names:
        results = results.append_column("patient_key", pa.nulls(results.num_rows, pa.string()))
    return results.select([*REQUIRED, "patient_key"])


def phenotypes_of(ruleset: RuleSet) -> set[str]:
    """Names of the phenotypes the rules use."""
    return {p for r in ruleset.rules
            for p in (r["phenotype"] if isinstance(r["phenotype"], list) else [r["phenotype"]])}


def _connect(results: pa.Table, phenotypes: dict[str, dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """A DuckDB session holding `results` and the isolate-level `hits` of every phenotype."""
    con = duckdb.connect()
    con.register("results_in", _check_results(results))
    con.execute("CREATE TEMP TABLE results AS SELECT country, lab_code, isolate_id, "
                "TRY_CAST(specimen_date AS DATE) AS specimen_date, mo, ab, upper(sir) AS sir, "
                "patient_key FROM results_in")
    con.register("taxa", refdata.table("microorganisms").select(list(TAXONOMY)))
    con.register("intrinsic", refdata.table("intrinsic_resistant"))
    hits = " UNION ALL ".join(_phenotype_sql(n, phenotypes[n]) for n in sorted(phenotypes))
    con.execute(f"CREATE TEMP TABLE hits AS {hits}")
    return con


def phenotype_hits(results: pa.Table, phenotypes: dict[str, dict[str, Any]]) -> pa.Table:
    """One row per isolate and phenotype it has: phenotype, country, lab_code, isolate_id,
    specimen_date, mo, patient_key, agents (the antimicrobials that made it)."""
    with _connect(results, phenotypes) as con:
        return con.sql("SELECT * FROM hits ORDER BY specimen_date, lab_code, isolate_id, phenotype"
                       ).to_arrow_table()


def evaluate_rules(results: pa.Table, ruleset: RuleSet | None = None) -> pa.Table:
    """All rule signals over the isolate results (the whole history: ids make re-runs idempotent)."""
    ruleset = ruleset or load_rules()
    used = {name: ruleset.phenotypes[name] for name in phenotypes_of(ruleset)}
    queries = [q for rule in ruleset.rules for q in (
        _first_occurrence_sql(rule, ruleset) if rule["kind"] == "first_occurrence"
        else _every_isolate_sql(rule, ruleset))]
    sql = " UNION ALL ".join(queries) + " ORDER BY window_start, detector, signal_id"
    with _connect(results, used) as con:
        return con.sql(sql).to_arrow_table().cast(SIGNAL)
