"""`amrwatch bench`: benchmarks that print throughput and peak memory.

Each stage registers its own benchmark on `bench_app` from its CLI module.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks: print rows/s, time and peak memory for each stage.")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
