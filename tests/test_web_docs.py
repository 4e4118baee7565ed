"""docs/web.md lists every API endpoint the app serves (so the documentation cannot drift)."""

from __future__ import annotations

import re

from conftest import ROOT


def test_every_api_route_is_documented(tmp_path):
    from amrwatch.api import create_app
    from amrwatch.store import open_store

    with open_store(tmp_path / "docs.duckdb") as store:
        app = create_app(store)
    documented = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    # `{country}` in the code is written `{ISO3}` in the docs, `{action}` as the action names.
    spelled = {"{country}": "{ISO3}", "{lab_code}": "{code}", "{upload_id}": "{id}",
               "{alert_id}": "{id}", "{username}": "{u}",
               "{action}": "{acknowledge,escalate,close}"}
    missing = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api"):
            continue
        for code, doc in spelled.items():
            path = path.replace(code, doc)
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            if not re.search(rf"{method}[^|]*`?{re.escape(path)}", documented):
                missing.append(f"{method} {path}")
    assert not missing, f"undocumented in docs/web.md: {missing}"
