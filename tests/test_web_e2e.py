"""The dashboard in a real browser: Debian Chromium driven by Playwright, one browser per session.

Logs in, reads the map and changes the pathogen, switches to Spanish and Portuguese, uses the
keyboard, and saves screenshots under test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import webdata
from conftest import ROOT, missing
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "amrwatch-demo"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing("chromium", "Debian chromium not installed (scripts/system-packages.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The real app on a free loopback port, served by uvicorn in a thread."""
    import uvicorn

    from amrwatch.api import Settings, create_app, demo_users
    from amrwatch.api.loadtest import free_port

    patch = pytest.MonkeyPatch()
    patch.setenv("AMRWATCH_HOME", str(tmp_path_factory.mktemp("home")))  # the hub's lab keys
    store = webdata.open_test_store(tmp_path_factory.mktemp("e2e") / "e2e.duckdb")
    webdata.build(store)
    webdata.raise_fixture_alerts(store)
    demo_users(store, PASSWORD)
    port = free_port()
    # the hand-checked store keeps exactly the alerts webdata seeds (see tests/test_api.py)
    app = create_app(store, Settings(detect_after_upload=False))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)
    store.close()
    patch.undo()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def login(browser, server, user: str, **context):
    page = browser.new_page(**context)
    page.goto(f"{server}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    return page


def wait_for_chart(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-rendered='true'] svg", timeout=20_000)


def test_log_in_read_the_map_and_change_the_pathogen(browser, server):
    page = login(browser, server, "analyst", viewport={"width": 1280, "height": 900})
    assert page.url.startswith(f"{server}/overview")
    wait_for_chart(page, "#map")
    # 33 CELAC members drawn as grey base shapes, coloured where there are data.
    assert page.locator("#map svg path").count() >= 33
    brazil = page.get_by_role("row", name="Brazil").inner_text()
    assert "\t60\t12\t20.0 %" in brazil  # all years: 12 of 60 resistant
    argentina = page.get_by_role("row", name="Argentina")
    assert "Suppressed" in argentina.inner_text()
    shot(page, "overview-en")

    page.get_by_label("Pathogen").select_option(webdata.KPNEU)  # submits the form
    page.wait_for_url("**mo=B_KLBSL_PNMN**")
    page.get_by_label("Antimicrobial").select_option("MEM")
    page.wait_for_url("**ab=MEM**")
    wait_for_chart(page, "#map")
    assert page.get_by_label("Pathogen").input_value() == webdata.KPNEU
    assert "Klebsiella pneumoniae" in page.locator("#map-caption").inner_text()
    row = page.get_by_role("row", name="Argentina").inner_text()
    assert "20" in row and "25.0 %" in row  # 5 of 20 resistant: shown as an aggregate
    shot(page, "overview-klebsiella")
    page.close()


def test_switch_language_to_spanish_and_portuguese(browser, server):
    page = login(browser, server, "epi", viewport={"width": 1280, "height": 900})
    page.get_by_role("link", name="Español").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Panorama regional"
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
    wait_for_chart(page, "#map")
    shot(page, "overview-es")

    page.get_by_role("link", name="Português").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "pt"
    page.get_by_role("link", name="Brasil").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Brasil"
    assert page.get_by_role("heading", name="Laboratórios").is_visible()
    wait_for_chart(page, "#trend")
    # 2024: 10 of 40 resistant, written the Brazilian way.
    assert "25,0 %" in page.get_by_role("row", name="2024").inner_text()
    page.wait_for_selector("#mdro[data-rendered='true']", timeout=20_000)
    assert page.get_by_role("heading", name="Multirresistência (Magiorakos 2012)").is_visible()
    shot(page, "country-pt")
    page.close()


def test_keyboard_and_phone_screen(browser, server):
    page = login(browser, server, "analyst", viewport={"width": 375, "height": 812})
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    wait_for_chart(page, "#map")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, "the page scrolls sideways on a phone"
    shot(page, "overview-phone")
    page.close()


def test_upload_a_whonet_file_and_see_its_report(browser, server, whonet_dir, tmp_path):
    from amrwatch.ingest.deidentify import pseudonymise_file

    export = tmp_path / "SampleInputFile.txt"  # as the lab sends it: pseudonymised
    pseudonymise_file(whonet_dir / "SampleInputFile.txt", b"k" * 32, export)
    page = login(browser, server, "lab", viewport={"width": 1280, "height": 900})
    assert page.url.endswith("/labs/BR-A")
    page.get_by_role("link", name="Upload a file").first.click()
    page.get_by_label("Format").select_option("whonet")
    page.get_by_label("File").set_input_files(str(export))
    page.get_by_role("button", name="Upload and validate").click()
    page.wait_for_url("**/uploads/*")
    assert page.locator("h1").inner_text() == "Validation report"
    assert page.get_by_role("status").inner_text().startswith("The file was received")
    assert "SampleInputFile.txt" in page.locator(".lead").first.inner_text()
    assert page.get_by_role("heading", name="Problems found").is_visible()
    shot(page, "upload-report")
    page.get_by_role("link", name="All uploads of this lab").click()
    page.wait_for_url("**/labs/BR-A")
    expect(page.get_by_role("cell", name="SampleInputFile.txt")).to_be_visible()
    page.goto(f"{server}/countries/MEX")
    assert "Something went wrong" in page.locator("h1").inner_text()
    page.close()


def test_acknowledge_an_alert(browser, server):
    page = login(browser, server, "responder", viewport={"width": 1280, "height": 900})
    page.get_by_role("link", name="Alerts").first.click()
    page.wait_for_url("**/alerts")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert "critical" in rows.first.inner_text()  # most urgent first
    shot(page, "alerts-inbox")
    page.get_by_role("row", name="Brazil").get_by_role("link").click()
    page.wait_for_url("**/alerts/1")
    assert "BR-A-1" in page.locator(".evidence").inner_text()
    page.get_by_label("Note (optional)").fill("Called the lab; isolate sent to the NRL")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#alert-status")).to_have_text("acknowledged")
    history = page.get_by_role("row", name="responder").inner_text()
    assert "Called the lab" in history
    shot(page, "alert-acknowledged")
    page.goto(f"{server}/alerts/2?lang=es")  # aggregate-only Argentina: no isolates shown
    assert page.locator(".evidence").count() == 0
    assert "solo agregados" in page.get_by_role("region", name="Evidencia").inner_text()
    page.close()


AXE = Path(__file__).parent / "fixtures" / "web" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("path", ["/login", "/overview", "/countries/BRA", "/labs/BR-A",
                                  "/upload", "/alerts", "/alerts/2"])
def test_pages_pass_the_wcag_checks_of_axe_core(browser, server, path):
    """WCAG 2.1 A and AA rules of axe-core (contrast, labels, landmarks, names, language)."""
    context = browser.new_context(bypass_csp=True)  # to inject the checker, tests only
    page = context.new_page()
    if path != "/login":
        page.goto(f"{server}/login")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    problems = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]]
    assert not problems, problems
    context.close()
