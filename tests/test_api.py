"""The JSON API: every endpoint as every role, country isolation, aggregate-only countries.

Expected numbers come from the hand-written fixture in tests/webdata.py (e.g. Brazil E. coli
ciprofloxacin 2024: 10 of 40 resistant; Argentina shares only aggregates and has 6 E. coli
isolates, below the suppression threshold of 10).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import webdata
from fastapi.testclient import TestClient

from amrwatch.api import Settings, create_app, demo_users

ROLES = ["lab", "epi", "analyst", "responder", "admin"]  # demo_users: lab BR-A / epi BRA
PASSWORD = "amrwatch-demo"
ECOLI_CIP = {"mo": webdata.ECOLI, "ab": "CIP"}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def store(request, tmp_path_factory):
    """The fixture store on the embedded engine and on the PostgreSQL hub (schema per module)."""
    if request.param == "postgres":
        from conftest import postgres_schema

        schema = postgres_schema(request.getfixturevalue("postgres_url"))
        location = next(schema)
        request.addfinalizer(lambda: next(schema, None))
    else:
        location = tmp_path_factory.mktemp("api") / "api.duckdb"
    with pytest.MonkeyPatch.context() as patch:  # the hub's lab keys go to a scratch folder
        patch.setenv("AMRWATCH_HOME", str(tmp_path_factory.mktemp("home")))
        store = webdata.open_test_store(location)
        webdata.build(store)
        webdata.raise_fixture_alerts(store)
        demo_users(store, PASSWORD)
        yield store
        store.close()


@pytest.fixture(scope="module")
def app(store):
    # The hand-checked store holds exactly the alerts webdata seeds, so uploads made by these
    # tests do not run detection; test_an_upload_reruns_detection covers that, on its own store.
    return create_app(store, Settings(detect_after_upload=False))


@pytest.fixture(scope="module")
def clients(app) -> dict[str, TestClient]:
    made = {}
    for role in ROLES:
        client = TestClient(app, raise_server_exceptions=False)
        answer = client.post("/api/session", json={"username": role, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        made[role] = client
    made["anonymous"] = TestClient(app, raise_server_exceptions=False)
    return made


# Expected status per role for every GET endpoint: (path, params, {role: status}).
ALL_OK = {r: 200 for r in ROLES}
NOT_LAB = {**ALL_OK, "lab": 403}
REGION_ONLY = {**NOT_LAB, "epi": 403}
ADMIN_ONLY = {r: 403 for r in ROLES} | {"admin": 200}
MATRIX = [
    ("/api/me", {}, ALL_OK),
    ("/api/options", {}, ALL_OK),
    ("/api/overview", ECOLI_CIP, NOT_LAB),
    ("/api/countries/BRA/trend", ECOLI_CIP, NOT_LAB),
    ("/api/countries/MEX/trend", ECOLI_CIP, REGION_ONLY),
    ("/api/countries/BRA/antibiogram", {}, NOT_LAB),
    ("/api/countries/ARG/antibiogram", {}, REGION_ONLY),
    ("/api/countries/BRA/labs", {}, NOT_LAB),
    ("/api/countries/MEX/labs", {}, REGION_ONLY),
    ("/api/countries/BRA/isolates", {}, NOT_LAB),
    ("/api/countries/MEX/isolates", {}, REGION_ONLY),
    ("/api/countries/ARG/isolates", {}, ADMIN_ONLY),  # aggregate-only: the region sees counts
    ("/api/labs/BR-A", {}, ALL_OK),
    ("/api/labs/BR-B", {}, NOT_LAB),
    ("/api/labs/MX-A", {}, REGION_ONLY),
    ("/api/labs/AR-A", {}, ADMIN_ONLY),
    ("/api/labs/BR-A/uploads", {}, ALL_OK),
    ("/api/labs/MX-A/uploads", {}, REGION_ONLY),
    ("/api/labs/AR-A/uploads", {}, ADMIN_ONLY),
    ("/api/users", {}, ADMIN_ONLY),
    ("/api/alerts", {}, ALL_OK),
    ("/api/alerts/1", {}, ALL_OK),  # Brazil, lab BR-A
    ("/api/alerts/2", {}, REGION_ONLY),  # Argentina
    ("/api/countries/PER/mdro", {}, REGION_ONLY),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "params", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_every_endpoint_as_every_role(clients, role, path, params, expected):
    answer = clients[role].get(path, params=params)
    assert answer.status_code == expected[role], (role, path, answer.text)
    if answer.status_code == 403:
        assert answer.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("path", "params", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_every_endpoint_refuses_anonymous_callers(clients, path, params, expected):
    answer = clients["anonymous"].get(path, params=params)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


def _by_country(answer) -> dict[str, dict]:
    return {row["country"]: row for row in answer.json()["countries"]}


def test_overview_counts_and_intervals_for_the_region(clients):
    rows = _by_country(clients["analyst"].get("/api/overview", params={**ECOLI_CIP, "year": 2024}))
    assert (rows["BRA"]["n"], rows["BRA"]["n_r"], rows["BRA"]["pct_r"]) == (40, 10, 25.0)
    # Wilson 95 % interval for 10/40: 0.1419-0.4019 (Newcombe 1998, method 3).
    assert rows["BRA"]["ci_low"] == pytest.approx(14.19, abs=0.01)
    assert rows["BRA"]["ci_high"] == pytest.approx(40.19, abs=0.01)
    assert (rows["MEX"]["n"], rows["MEX"]["n_r"], rows["MEX"]["insufficient"]) == (12, 6, True)


def test_aggregate_only_country_is_suppressed_below_the_threshold(clients):
    for role in ("analyst", "responder"):
        argentina = _by_country(clients[role].get("/api/overview", params=ECOLI_CIP))["ARG"]
        assert argentina["suppressed"] is True
        assert argentina["n"] is None and argentina["n_r"] is None and argentina["pct_r"] is None
    admin = _by_country(clients["admin"].get("/api/overview", params=ECOLI_CIP))["ARG"]
    assert (admin["n"], admin["n_r"], admin["suppressed"]) == (6, 3, False)


def test_aggregate_only_country_shows_cells_at_or_above_the_threshold(clients):
    cells = clients["analyst"].get("/api/countries/ARG/antibiogram").json()["cells"]
    by_pair = {(c["mo"], c["ab"]): c for c in cells}
    assert (by_pair[(webdata.KPNEU, "MEM")]["n"], by_pair[(webdata.KPNEU, "MEM")]["n_r"]) == (20, 5)
    assert by_pair[(webdata.ECOLI, "CIP")]["suppressed"] is True


def test_suppression_threshold_is_configurable(store):
    client = TestClient(create_app(store, Settings(suppress_below=5)))
    client.post("/api/session", json={"username": "analyst", "password": PASSWORD})
    argentina = _by_country(client.get("/api/overview", params=ECOLI_CIP))["ARG"]
    assert (argentina["n"], argentina["suppressed"]) == (6, False)


def test_national_epidemiologist_sees_only_their_country(clients):
    rows = _by_country(clients["epi"].get("/api/overview", params=ECOLI_CIP))
    assert set(rows) == {"BRA"}
    assert (rows["BRA"]["n"], rows["BRA"]["n_r"]) == (60, 12)  # 2023 + 2024
    assert clients["epi"].get("/api/options").json()["country"] == ["BRA"]
    isolates = clients["epi"].get("/api/countries/BRA/isolates", params={"limit": 1000}).json()
    assert len(isolates["isolates"]) == 60
    assert {row["country"] for row in isolates["isolates"]} == {"BRA"}


def test_lab_submitter_sees_only_their_lab(clients):
    options = clients["lab"].get("/api/options").json()
    assert options["country"] == ["BRA"] and options["year"] == [2024]
    uploads = clients["lab"].get("/api/labs/BR-A/uploads").json()["uploads"]
    assert [u["lab_code"] for u in uploads] == ["BR-A"]
    cells = clients["lab"].get("/api/labs/BR-A").json()["cells"]
    assert [(c["n"], c["n_r"]) for c in cells] == [(40, 10)]


def test_regional_analyst_reads_isolates_of_sharing_countries(clients):
    rows = clients["analyst"].get("/api/countries/MEX/isolates").json()["isolates"]
    assert len(rows) == 12 and {r["lab_code"] for r in rows} == {"MX-A"}
    assert "patient_key" not in rows[0]


def test_upload_reports_follow_the_lab_scope(clients, store):
    ids = dict(zip(*store.query("SELECT lab_code, max(upload_id) AS id FROM upload GROUP BY 1",
                                []).to_pydict().values()))
    assert clients["lab"].get(f"/api/uploads/{ids['BR-A']}").status_code == 200
    assert clients["lab"].get(f"/api/uploads/{ids['BR-B']}").status_code == 403
    assert clients["epi"].get(f"/api/uploads/{ids['MX-A']}").status_code == 403
    assert clients["analyst"].get(f"/api/uploads/{ids['AR-A']}").status_code == 403
    assert clients["admin"].get(f"/api/uploads/{ids['AR-A']}").status_code == 200


def test_administrators_add_users_and_issue_tokens(clients, app):
    new = {"username": "mx-epi", "password": "long-enough", "role": "national_epidemiologist",
           "country": "MEX"}
    for role in ("lab", "epi", "analyst", "responder"):
        assert clients[role].post("/api/users", json=new).status_code == 403
        assert clients[role].post("/api/users/lab/tokens").status_code == 403
    assert clients["admin"].post("/api/users", json=new).status_code == 201
    token = clients["admin"].post("/api/users/mx-epi/tokens").json()["token"]
    system = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert set(_by_country(system.get("/api/overview", params=ECOLI_CIP))) == {"MEX"}
    assert system.get("/api/countries/BRA/trend", params=ECOLI_CIP).status_code == 403
    wrong = TestClient(app, headers={"Authorization": "Bearer amrw_not-a-token"})
    assert wrong.get("/api/me").status_code == 401


def test_wrong_password_is_refused_with_the_error_shape(app):
    answer = TestClient(app).post("/api/session", json={"username": "admin", "password": "nope"})
    assert answer.status_code == 403
    assert set(answer.json()["error"]) == {"code", "message", "context", "hint"}


def test_browser_writes_need_the_csrf_token(app):
    client = TestClient(app)
    client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    new = {"username": "x-user", "password": "long-enough", "role": "regional_analyst"}
    refused = client.post("/api/users", json=new)
    assert refused.status_code == 400 and refused.json()["error"]["context"] == {"check": "csrf"}


def test_invalid_parameters_use_the_error_shape(clients):
    answer = clients["analyst"].get("/api/overview", params={"mo": "B_ESCHR_COLI"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_input"
    assert answer.json()["error"]["context"]["field"] == "query.ab"


def test_unexpected_failures_have_no_stack_trace(store, monkeypatch):
    app = create_app(store)
    client = TestClient(app, raise_server_exceptions=False)
    client.post("/api/session", json={"username": "admin", "password": PASSWORD})

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app.state.access, "options", broken)
    answer = client.get("/api/options")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "secret internal detail" not in answer.text and "Traceback" not in answer.text


def test_security_headers_on_every_response(clients):
    for answer in (clients["analyst"].get("/api/me"), clients["anonymous"].get("/api/me"),
                   clients["anonymous"].get("/login")):
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


def test_request_size_limit(store):
    client = TestClient(create_app(store, max_upload_mb=1))
    answer = client.post("/api/session", content=b"x" * (1024 * 1024 + 1),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


def test_rate_limit(store):
    client = TestClient(create_app(store, rate_per_minute=5))
    codes = [client.get("/api/health").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2


@pytest.fixture(scope="module")
def whonet_file(whonet_dir, tmp_path_factory) -> bytes:
    """The WHONET sample export, pseudonymised at the 'lab' as amrwatch pseudonymise does."""
    from amrwatch.ingest.deidentify import pseudonymise_file

    out = tmp_path_factory.mktemp("whonet") / "SampleInputFile.txt"
    pseudonymise_file(whonet_dir / "SampleInputFile.txt", b"k" * 32, out)
    return out.read_bytes()


def test_upload_endpoint_by_role(clients, whonet_file, store):
    files = {"file": ("SampleInputFile.txt", whonet_file, "text/plain")}
    for role in ("epi", "analyst", "responder"):
        answer = clients[role].post("/api/uploads", files=files, data={"lab": "BR-A"})
        assert answer.status_code == 403, role
    assert clients["lab"].post("/api/uploads", files=files,
                               data={"lab": "BR-B"}).status_code == 403  # not their lab
    before = store.query("SELECT count(*) AS n FROM isolate", []).to_pylist()[0]["n"]
    answer = clients["lab"].post("/api/uploads", files=files)
    assert answer.status_code == 201, answer.text
    done = answer.json()
    stored = done["outcome"]["isolates_stored"]
    after = store.query("SELECT count(*) AS n FROM isolate", []).to_pylist()[0]["n"]
    assert stored > 0 and after - before == stored
    assert done["report"]["counts"]["isolates_accepted"] == done["outcome"]["isolates_received"]
    report = clients["lab"].get(f"/api/uploads/{done['outcome']['upload_id']}").json()["report"]
    assert report["file"] == "SampleInputFile.txt" and report["reader"] == "whonet"
    again = clients["lab"].post("/api/uploads", files=files).json()
    assert again["outcome"]["status"] == "already_ingested"


def test_upload_refuses_files_with_identifiers(clients, whonet_dir, store):
    raw = (whonet_dir / "SampleInputFile.txt").read_bytes()
    before = store.query("SELECT count(*) AS n FROM upload", []).to_pylist()[0]["n"]
    answer = clients["admin"].post("/api/uploads", data={"lab": "MX-A"},
                                   files={"file": ("export.txt", raw, "text/plain")})
    assert answer.status_code == 400
    assert answer.json()["error"]["context"]["reason"] == "identifiers_present"
    assert store.query("SELECT count(*) AS n FROM upload", []).to_pylist()[0]["n"] == before


def test_multidrug_resistance_shares(clients):
    rows = clients["analyst"].get("/api/countries/PER/mdro").json()["organisms"]
    assert [(r["mo"], r["isolates"], r["n"], r["n_mdr"], r["n_xdr"]) for r in rows] == [
        (webdata.KPNEU, webdata.PANEL_ISOLATES, webdata.MDR_ISOLATES, webdata.MDR_ISOLATES, 0)]
    assert clients["epi"].get("/api/countries/PER/mdro").status_code == 403
    assert clients["lab"].get("/api/countries/BRA/mdro").status_code == 403


def _alert_ids(client) -> list[int]:
    return [a["alert_id"] for a in client.get("/api/alerts").json()["alerts"]]


def test_alert_inbox_scope_and_evidence(clients):
    assert _alert_ids(clients["epi"]) == [1] and _alert_ids(clients["lab"]) == [1]
    assert sorted(_alert_ids(clients["analyst"])) == [1, 2]
    # Argentina shares only aggregates: the region sees the alert but not the isolates behind it.
    assert clients["responder"].get("/api/alerts/2").json()["evidence"] is None
    assert clients["admin"].get("/api/alerts/2").json()["evidence"] == {"isolates": ["AR-A-1"]}
    assert clients["analyst"].get("/api/alerts/1").json()["evidence"] == {"isolates": ["BR-A-1"]}
    assert clients["responder"].get("/api/alerts", params={"severity": "critical"}).json()[
        "alerts"][0]["alert_id"] == 2


def test_alert_workflow_by_role(clients):
    for role in ("lab", "analyst"):
        answer = clients[role].post("/api/alerts/1/acknowledge")
        assert answer.status_code == 403, role
    assert clients["epi"].post("/api/alerts/2/acknowledge").status_code == 403  # not theirs
    done = clients["epi"].post("/api/alerts/1/acknowledge", json={"note": "lab called"}).json()
    assert done["status"] == "acknowledged"
    assert [(e["actor"], e["to_status"], e["note"]) for e in done["events"]][-1] == \
        ("epi", "acknowledged", "lab called")
    assert clients["epi"].post("/api/alerts/1/close").status_code == 403  # responders close
    assert clients["responder"].post("/api/alerts/1/close").json()["status"] == "closed"
    assert clients["responder"].get("/api/alerts/1").json()["actions"] == []


def test_lis_csv_upload_uses_the_labs_mapping_on_the_hub(clients, amr_r_dir, tmp_path):
    """The hub keeps MX-A's settings (CSV export + the shipped mapping for AMR's unclean example);
    the lab pseudonymised its 50-row export with the same mapping before sending it."""
    import os

    from amrwatch.ingest.deidentify import pseudonymise_file
    from amrwatch.ingest.mapping import load_mapping, shipped_mapping

    mapping = shipped_mapping("amr_example_isolates_unclean")
    settings = Path(os.environ["AMRWATCH_HOME"]) / "labs" / "MX-A.yaml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(f"format: csv\nmapping: {mapping}\n")
    lines = (amr_r_dir / "example_isolates_unclean.tsv").read_text(encoding="utf-8").splitlines()
    export = tmp_path / "export.tsv"
    export.write_text("\n".join(lines[:51]) + "\n", encoding="utf-8")
    pseudonymise_file(export, b"k" * 32, tmp_path / "sent.tsv", load_mapping(mapping))
    content = (tmp_path / "sent.tsv").read_bytes()
    answer = clients["admin"].post("/api/uploads", data={"lab": "MX-A"},
                                   files={"file": ("lis-export.tsv", content, "text/plain")})
    assert answer.status_code == 201, answer.text
    done = answer.json()
    assert done["report"]["reader"] == "csv"
    assert done["report"]["counts"]["rows_read"] == 50
    assert done["outcome"]["isolates_received"] == done["report"]["counts"]["isolates_accepted"]


def test_an_upload_reruns_detection_and_alerts_once(whonet_file, tmp_path, monkeypatch):
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path / "home"))
    store = webdata.open_test_store(tmp_path / "fresh.duckdb")
    webdata.build(store)
    demo_users(store, PASSWORD)
    client = TestClient(create_app(store), raise_server_exceptions=False)
    login = client.post("/api/session", json={"username": "lab", "password": PASSWORD}).json()
    client.headers["X-CSRF-Token"] = login["csrf_token"]
    done = client.post("/api/uploads", files={"file": ("SampleInputFile.txt", whonet_file)})
    assert done.status_code == 201, done.text
    detection = done.json()["detection"]
    stored = store.query("SELECT count(*) AS n FROM alert", []).to_pylist()[0]["n"]
    assert detection["signals"] >= detection["alerts_raised"] and stored >= detection["alerts_raised"]
    from amrwatch.alert.detection import detect_and_alert

    assert detect_and_alert(store).alerts == 0  # the same events are never alerted twice
    store.close()
