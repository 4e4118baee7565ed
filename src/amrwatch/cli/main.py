"""Entry point of the `amrwatch` command: builds the Typer app and turns errors into messages.

Takes command-line arguments; gives exit code 0 on success, the error's own non-zero code for an
`AmrwatchError` (printed as a message with its context and hint), and 70 for an unexpected bug
(printed without a traceback unless AMRWATCH_DEBUG=1).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer
from rich.console import Console
from typer.models import CommandInfo, TyperInfo

import amrwatch
from amrwatch.errors import AmrwatchError

err_console = Console(stderr=True)

app = typer.Typer(
    name="amrwatch",
    help=(
        "Antimicrobial resistance surveillance for Latin America and the Caribbean.\n\n"
        "Ingest lab results, re-interpret MICs and zones under one guideline, analyse resistance, "
        "detect emerging threats and alert the people who must act."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool | None) -> None:
    if value:
        typer.echo(f"amrwatch {amrwatch.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Antimicrobial resistance surveillance for Latin America and the Caribbean."""


def _register_command_groups() -> None:
    import amrwatch.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name == "main" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"amrwatch.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


#: Help panels in pipeline order, so `amrwatch --help` reads as the work flows.
PANELS = {
    "Get started": ("demo", "synth", "status"),
    "Ingest": ("ingest", "pseudonymise", "codes", "db"),
    "Interpret": ("interpret", "reinterpret", "refdata", "archive"),
    "Analyse": ("first-isolate", "resistance", "antibiogram", "mdro", "trends"),
    "Detect and alert": ("detect", "alerts", "evaluate"),
    "Report and serve": ("export", "validate", "serve", "users"),
    "Tools": ("bench",),
}


def _arrange_help_panels() -> None:
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}
    order = {name: i for i, name in enumerate(panel_of)}
    entries: list[CommandInfo | TyperInfo] = [*app.registered_commands, *app.registered_groups]
    for entry in entries:
        entry.rich_help_panel = panel_of.get(entry.name or "", "Tools")
    app.registered_commands.sort(key=lambda c: order.get(c.name or "", len(order)))
    app.registered_groups.sort(key=lambda g: order.get(g.name or "", len(order)))


_register_command_groups()
_arrange_help_panels()


def run() -> None:
    """Console-script entry point."""
    try:
        app(standalone_mode=False)
    except AmrwatchError as error:
        err_console.print(f"[bold red]Error:[/] {error}", highlight=False)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("Interrupted; nothing was half-written.")
        sys.exit(130)
    except Exception as error:  # the last line of defence against tracebacks
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if os.environ.get("AMRWATCH_DEBUG"):
            raise
        err_console.print(
            f"[bold red]Internal error:[/] {type(error).__name__}: {error}\n"
            "This is a bug in amrwatch. Re-run with AMRWATCH_DEBUG=1 for details and report it."
        )
        sys.exit(70)


if __name__ == "__main__":
    run()
