"""The command line speaks to users: a version, help that reads well, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

import amrwatch


def amrwatch_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # check=False: tests assert the exit code themselves, failing ones included.
    return subprocess.run(
        [sys.executable, "-m", "amrwatch", *args], capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_version() -> None:
    result = amrwatch_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"amrwatch {amrwatch.__version__}"


def test_help_lists_command_groups() -> None:
    result = amrwatch_cli("--help")
    assert result.returncode == 0
    assert "Antimicrobial resistance surveillance" in result.stdout
    assert "refdata" in result.stdout


def test_unknown_command_is_an_error_without_traceback() -> None:
    result = amrwatch_cli("no-such-command")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout


def test_amrwatch_error_becomes_message_and_exit_code(tmp_path) -> None:
    result = amrwatch_cli("refdata", "build", "--source", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 3
    assert "No AMR reference TSV files found" in result.stderr
    assert "Traceback" not in result.stderr
