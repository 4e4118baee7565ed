"""The dashboard in four languages: complete catalogues, negotiation, locale formats, pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import webdata
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from amrwatch.api import create_app, demo_users
from amrwatch.web.i18n import LOCALE_DIR, Language, negotiate

WEB = Path(LOCALE_DIR).parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _messages() -> set[str]:
    methods = [("templates/**.html", "jinja2"), ("**.py", "python")]
    found = extract_from_dir(str(WEB), method_map=methods,
                             keywords={"_": None, "gettext": None, "N_": None})
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("lang", ["es", "pt", "fr"])
def test_every_string_is_translated(lang):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id}
    missing = sorted(m for m in _messages() if not translated.get(m))
    assert not missing, f"untranslated in {lang}: {missing}"
    for msgid, text in translated.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid


def test_language_negotiation():
    assert negotiate(None, None, "pt-BR,pt;q=0.9,en;q=0.8").code == "pt"
    assert negotiate(None, None, "es-MX,es;q=0.9").code == "es"
    assert negotiate(None, None, "fr-CA").code == "fr"
    assert negotiate(None, None, "de-DE,de").code == "en"  # not offered: English
    assert negotiate(None, "fr", "es").code == "fr"  # the switch's cookie beats the browser
    assert negotiate("pt", "fr", "es").code == "pt"  # an explicit ?lang= beats both


def test_numbers_dates_and_country_names_per_locale():
    # CLDR conventions: pt-BR groups with '.', French with a narrow no-break space (U+202F).
    assert Language("pt").number(1234567) == "1.234.567"
    assert Language("fr").number(1234567) == "1\u202f234\u202f567"
    assert Language("en").percent(12.345) == "12.3 %"
    assert Language("pt").percent(12.345) == "12,3 %"
    assert Language("es").date(date(2024, 3, 5)) == "5 mar 2024"
    assert Language("pt").country("BRA") == "Brasil"
    assert Language("fr").country("BRA") == "Brésil"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = webdata.open_test_store(tmp_path_factory.mktemp("i18n") / "i18n.duckdb")
    webdata.build(store)
    demo_users(store)
    client = TestClient(create_app(store))
    client.post("/api/session", json={"username": "analyst", "password": "amrwatch-demo"})
    yield client
    store.close()


@pytest.mark.parametrize(("lang", "title", "number"), [
    ("es", "Panorama regional", "Aislamientos probados"),
    ("pt", "Panorama regional", "Isolados testados"),
    ("fr", "Vue régionale", "Isolats testés"),
    ("en", "Regional overview", "Isolates tested"),
])
def test_pages_in_each_language(client, lang, title, number):
    page = client.get("/overview", params={"lang": lang})
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert f"<h1>{title}</h1>" in page.text and number in page.text
    assert page.cookies.get("lang") == lang or client.cookies.get("lang") == lang


def test_browser_language_is_used_without_a_switch(client):
    client.cookies.clear()
    client.post("/api/session", json={"username": "analyst", "password": "amrwatch-demo"})
    page = client.get("/overview", headers={"accept-language": "pt-BR,pt;q=0.9"})
    assert '<html lang="pt">' in page.text
