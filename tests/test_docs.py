"""Docs cannot drift: every command is shown in the README, every docs page linked from it."""

from __future__ import annotations

from pathlib import Path

from amrwatch.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_appears_in_the_readme() -> None:
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    missing = [name for name in names if f"amrwatch {name}" not in README]
    assert not missing, f"commands not shown in README.md: {missing}"


def test_every_docs_page_is_listed_in_the_readme() -> None:
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    missing = [page for page in pages if f"docs/{page}" not in README]
    assert not missing, f"docs pages not linked from README.md: {missing}"
