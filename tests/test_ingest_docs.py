"""docs/ingest.md documents every reason code, every shipped mapping and every reader."""

from __future__ import annotations

from pathlib import Path

from amrwatch.ingest.mapping import load_mapping
from amrwatch.ingest.registry import READERS, reader
from amrwatch.ingest.report import LANGUAGES, reasons, what_to_do

DOC = (Path(__file__).resolve().parents[1] / "docs" / "ingest.md").read_text(encoding="utf-8")
MAPPINGS = Path(__file__).resolve().parents[1] / "src" / "amrwatch" / "ingest" / "mappings"


def test_every_reason_is_documented_with_its_severity():
    for name, row in reasons().items():
        assert f"| `{name}` | {row['level']} | {row['severity']} |" in DOC, name


def test_every_shipped_mapping_is_valid_and_documented():
    shipped = sorted(MAPPINGS.glob("*.yaml"))
    assert shipped
    for path in shipped:
        load_mapping(path)
        assert path.name in DOC


def test_every_reader_is_documented():
    reader("whonet")  # registers the built-in readers
    for name in READERS:
        assert f"`{name}`" in DOC


def test_every_reason_has_advice_in_every_language():
    for name in reasons():
        advice = {language: what_to_do(name, language) for language in LANGUAGES}
        assert all(advice.values()), name
        assert len(set(advice.values())) >= 2, name  # translated, not copied


def test_every_command_option_is_documented():
    import typer

    from amrwatch.cli.main import app

    command = typer.main.get_command(app)
    for name in ("ingest", "pseudonymise"):
        for param in command.commands[name].params:  # type: ignore[attr-defined]
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert option in DOC, f"{name} {option}"
