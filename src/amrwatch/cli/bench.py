"""`amrwatch bench`: benchmarks that print throughput and peak memory.

Each stage registers its own benchmark on `bench_app` from its CLI module.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks: print rows/s, time and peak memory for each stage.")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
