"""The data-access layer: every query the API and dashboard make, filtered by the caller's scope.

Takes a `Caller` and the question (organism, antimicrobial, year, guideline, country, lab); gives
rows the caller may see. Country isolation is enforced here, in the SQL, not in templates:
`scope_filter` turns the caller into a WHERE clause that every query carries, explicit country
and lab arguments are checked against the caller, and aggregate-only countries leave this layer
only as counts with small cells suppressed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from statsmodels.stats.proportion import proportion_confint

from amrwatch.api import queries
from amrwatch.api.roles import Caller, Role
from amrwatch.api.summary import ResistanceCounts
from amrwatch.errors import InputError, PermissionDenied

#: Issue 7: cells with fewer isolates than this are "insufficient", never shown as 0 %.
MINIMUM_N = 30


@dataclass(frozen=True)
class Settings:
    suppress_below: int = 10  # small-cell suppression threshold for aggregate-only countries
    minimum_n: int = MINIMUM_N
    policy: str = "default"  # interpretation policy whose results the pages show
    detect_after_upload: bool = True  # rerun detection and raise alerts after every upload


def scope_filter(caller: Caller, alias: str = "") -> tuple[str, list]:
    """The WHERE clause (on `country`, `lab_code` of `alias`) that limits rows to the caller."""
    at = f"{alias}." if alias else ""
    if caller.role is Role.LAB_SUBMITTER:
        return f"({at}country = ? AND {at}lab_code = ?)", [caller.country, caller.lab_code]
    if caller.role is Role.NATIONAL_EPIDEMIOLOGIST:
        return f"({at}country = ?)", [caller.country]
    return "(TRUE)", []


def where_equal(**wanted) -> tuple[str, list]:
    """AND-clauses for the non-empty arguments (column = value)."""
    clauses = [f"{column} = ?" for column, value in wanted.items() if value not in (None, "")]
    values = [v for v in wanted.values() if v not in (None, "")]
    return "".join(f" AND {c}" for c in clauses), values


class DataAccess:
    """Scoped queries over the store and over the warm resistance counts."""

    def __init__(self, store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.counts = ResistanceCounts(store, queries.RESULTS, self.settings.policy)

    # --- sharing policies -----------------------------------------------------------------------
    def policies(self) -> dict[str, str]:
        """Country → `isolate` | `aggregate`; a country is aggregate-only if any of its labs is."""
        return self.counts.policies()

    # --- aggregates -----------------------------------------------------------------------------
    def _aggregate(self, caller: Caller, by: list[str], where: str, params: list) -> list[dict]:
        scope, scope_params = scope_filter(caller)
        keys = ", ".join(by)
        sql = (f"SELECT {keys}, sum(n)::BIGINT AS n, sum(n_r)::BIGINT AS n_r, "
               f"sum(n_i)::BIGINT AS n_i, sum(n_s)::BIGINT AS n_s FROM counts "
               f"WHERE {scope}{where} GROUP BY {keys} ORDER BY {keys}")
        table = self.counts.select(sql, scope_params + params)
        return self._finish(caller, table)

    def _finish(self, caller: Caller, table: pa.Table) -> list[dict]:
        """Add %R with Wilson 95 % intervals, the minimum-n flag, and small-cell suppression."""
        n = np.asarray(table["n"].to_numpy(zero_copy_only=False), dtype=float)
        r = np.asarray(table["n_r"].to_numpy(zero_copy_only=False), dtype=float)
        safe = np.where(n > 0, n, 1)
        low, high = proportion_confint(r, safe, alpha=0.05, method="wilson")
        rows = table.to_pylist()
        policies = self.policies() if caller.role is not Role.ADMINISTRATOR else {}
        for row, share, lo, hi in zip(rows, r / safe, low, high):
            row.update(pct_r=100 * share, ci_low=100 * lo, ci_high=100 * hi,
                       insufficient=row["n"] < self.settings.minimum_n, suppressed=False)
            country = row.get("country", caller.country)
            policy = policies.get(country, "aggregate")
            if country and caller.suppresses(country, policy) and \
                    row["n"] < self.settings.suppress_below:
                row.update(n=None, n_r=None, n_i=None, n_s=None, pct_r=None, ci_low=None,
                           ci_high=None, suppressed=True)
        return rows

    def resistance_by_country(self, caller: Caller, mo: str, ab: str, year: int | None,
                              guideline: str | None) -> list[dict]:
        """%R per country for one organism–antimicrobial pair: the regional map."""
        caller.require(set(Role) - {Role.LAB_SUBMITTER}, "see the regional overview")
        where, params = where_equal(mo=mo, ab=ab, year=year, guideline=guideline)
        return self._aggregate(caller, ["country"], where, params)

    def trend(self, caller: Caller, country: str, mo: str, ab: str,
              guideline: str | None) -> list[dict]:
        """%R per year in one country: the country page's trend with its interval band."""
        self._require_country(caller, country)
        where, params = where_equal(country=country, mo=mo, ab=ab, guideline=guideline)
        return self._aggregate(caller, ["country", "year"], where, params)

    def antibiogram(self, caller: Caller, country: str, year: int | None,
                    guideline: str | None) -> list[dict]:
        """Counts and %R for every organism × antimicrobial tested in a country."""
        self._require_country(caller, country)
        where, params = where_equal(country=country, year=year, guideline=guideline)
        return self._aggregate(caller, ["country", "mo", "ab"], where, params)

    def lab_resistance(self, caller: Caller, lab_code: str, guideline: str | None) -> list[dict]:
        """Counts and %R per organism × antimicrobial of one lab."""
        self.lab_in_detail(caller, lab_code)
        where, params = where_equal(lab_code=lab_code, guideline=guideline)
        return self._aggregate(caller, ["country", "mo", "ab"], where, params)

    def mdro_shares(self, caller: Caller, country: str, guideline: str | None) -> list[dict]:
        """Magiorakos 2012 MDR/XDR/PDR counts per organism, computed inside the country's scope.

        Classifying isolates takes seconds for a large country, so the counts are remembered
        until the store changes; only these aggregates leave this layer.
        """
        self._require_country(caller, country)
        guideline = guideline or (self.options(caller)["guideline"] or [None])[-1]
        scope, params = scope_filter(caller)
        counts = self.counts.remember(("mdro", country, guideline, scope, tuple(params)),
                                      lambda: self._mdro_counts(country, guideline))
        return self._suppress_small(caller, country, counts.to_pylist())

    def _mdro_counts(self, country: str, guideline: str | None) -> pa.Table:
        from amrwatch.analyse.mdro import mdro

        results = self.store.query(queries.COUNTRY_RESULTS,
                                   [country, guideline, self.settings.policy])
        classes = mdro(results, organism="mo")
        engine = duckdb.connect()
        engine.register("classes", classes)
        return engine.sql(
            "SELECT mo, count(*) AS isolates, count(*) FILTER (WHERE mdro IS NOT NULL) AS n, "
            "count(*) FILTER (WHERE mdro IN ('MDR', 'XDR', 'PDR')) AS n_mdr, "
            "count(*) FILTER (WHERE mdro IN ('XDR', 'PDR')) AS n_xdr, "
            "count(*) FILTER (WHERE mdro = 'PDR') AS n_pdr "
            "FROM classes GROUP BY mo ORDER BY mo").to_arrow_table()

    def _suppress_small(self, caller: Caller, country: str, rows: list[dict]) -> list[dict]:
        policy = self.policies().get(country, "aggregate")
        for row in rows:
            row["suppressed"] = caller.suppresses(country, policy) and \
                row["isolates"] < self.settings.suppress_below
            if row["suppressed"]:
                row.update(isolates=None, n=None, n_mdr=None, n_xdr=None, n_pdr=None)
        return rows

    def most_tested(self, caller: Caller, mo: str | None = None) -> tuple[str | None, str | None]:
        """The organism–antimicrobial pair with most results in scope (for `mo`, if given)."""
        scope, params = scope_filter(caller)
        where, extra = where_equal(mo=mo)
        table = self.counts.select(
            f"SELECT mo, ab FROM counts WHERE {scope}{where} GROUP BY mo, ab "
            "ORDER BY sum(n) DESC, mo, ab LIMIT 1", params + extra)
        rows = table.to_pylist()
        return (rows[0]["mo"], rows[0]["ab"]) if rows else (mo, None)

    def options(self, caller: Caller) -> dict:
        """Organisms, antimicrobials, years and guidelines present in the caller's scope."""
        scope, params = scope_filter(caller)
        pick = {}
        for column in ("mo", "ab", "year", "guideline", "country"):
            table = self.counts.select(
                f"SELECT DISTINCT {column} AS v FROM counts WHERE {scope} ORDER BY v", params)
            pick[column] = [v for v in table["v"].to_pylist() if v is not None]
        return pick

    # --- countries, labs and isolate-level rows ------------------------------------------------
    def _require_country(self, caller: Caller, country: str) -> None:
        caller.require_country(country)
        if caller.role is Role.LAB_SUBMITTER:
            raise PermissionDenied("Lab submitters see their own lab's page only",
                                   {"user": caller.username, "country": country},
                                   hint=f"Open /labs/{caller.lab_code}.")

    def labs(self, caller: Caller, country: str | None = None) -> list[dict]:
        scope, params = scope_filter(caller)
        where, extra = where_equal(country=country)
        sql = (f"SELECT * FROM ({queries.LABS}) l "
               f"WHERE {scope}{where} ORDER BY country, lab_code")
        return self.counts.store_query(sql, params + extra).to_pylist()

    def lab(self, caller: Caller, lab_code: str) -> dict:
        rows = [r for r in self.labs(caller) if r["lab_code"] == lab_code]
        if not rows:
            raise PermissionDenied("You may not see this lab, or it does not exist",
                                   {"user": caller.username, "lab": lab_code},
                                   hint="Pick a lab from your country's page.")
        return rows[0]

    def lab_overview(self, caller: Caller, country: str) -> list[dict]:
        """Labs of a country with their number of uploads and mean data-quality score."""
        self._require_country(caller, country)
        scope, params = scope_filter(caller, "l")
        sql = (f"SELECT l.lab_code, l.country, l.name, l.sharing, count(u.upload_id) AS uploads, "
               f"avg(u.quality) AS quality FROM ({queries.LABS}) l "
               f"LEFT JOIN ({queries.UPLOADS}) u ON u.lab_code = l.lab_code "
               f"WHERE {scope} "
               f"AND l.country = ? GROUP BY l.lab_code, l.country, l.name, l.sharing "
               f"ORDER BY l.lab_code")
        rows = self.counts.store_query(sql, params + [country]).to_pylist()
        for row in rows:
            row["link"] = caller.sees_isolates_of(country, row["sharing"])
        return rows

    def uploads(self, caller: Caller, lab_code: str) -> list[dict]:
        """The lab's uploads, newest first (the lab page)."""
        self.lab_in_detail(caller, lab_code)
        scope, params = scope_filter(caller)
        sql = (f"SELECT * FROM ({queries.UPLOADS}) u WHERE {scope} AND lab_code = ? "
               f"ORDER BY received_at DESC")
        return self.counts.store_query(sql, params + [lab_code]).to_pylist()

    def upload_report(self, caller: Caller, upload_id: int) -> dict:
        """One upload's validation report, if the caller may see the uploading lab."""
        rows = self.store.query(queries.UPLOAD_REPORT, [upload_id]).to_pylist()
        if not rows:
            raise InputError("No such upload", {"upload": upload_id},
                             hint="Pick an upload from the lab page.")
        self.lab_in_detail(caller, rows[0]["lab_code"])  # refuses labs outside the scope
        report = json.loads(rows[0]["report"] or "{}")
        return {"upload_id": upload_id, "lab_code": rows[0]["lab_code"],
                "country": rows[0]["country"], "report": report}

    def lab_in_detail(self, caller: Caller, lab_code: str) -> dict:
        """The lab, if the caller may see its own figures and uploads (not only national ones)."""
        lab = self.lab(caller, lab_code)
        policy = self.policies().get(lab["country"], "aggregate")
        if caller.role is not Role.LAB_SUBMITTER and not caller.sees_isolates_of(lab["country"],
                                                                                 policy):
            raise PermissionDenied("This country shares only national aggregates",
                                   {"lab": lab_code, "country": lab["country"]},
                                   hint="Open the country page for its aggregates.")
        return lab

    def isolates(self, caller: Caller, country: str, limit: int = 100) -> list[dict]:
        """Isolate-level rows: refused for aggregate-only countries outside their own scope."""
        self._require_country(caller, country)
        if not caller.sees_isolates_of(country, self.policies().get(country, "aggregate")):
            raise PermissionDenied("This country shares only aggregates with the region",
                                   {"country": country},
                                   hint="Use the country page's aggregated figures.")
        if not 1 <= limit <= 10_000:
            raise InputError("limit must be between 1 and 10000", {"value": limit})
        scope, params = scope_filter(caller)
        sql = (f"SELECT * FROM ({queries.ISOLATES}) i WHERE {scope} AND country = ? "
               f"ORDER BY specimen_date DESC, isolate_id LIMIT {int(limit)}")
        return self.store.query(sql, params + [country]).to_pylist()

