"""Countries, cities and laboratories of the synthetic region.

Takes the CELAC country and city tables in `synth/data/`; gives the lab registry: one national
reference laboratory in each capital plus hospital laboratories spread over the country's cities,
each with coordinates, the guideline it reports under, its file format and its instrument.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa

from amrwatch.tables import read_table

DATA_DIR = Path(str(resources.files("amrwatch.synth") / "data"))


@cache
def data_table(name: str) -> pa.Table:
    """A data file of the generator by file name, e.g. ``countries.tsv``."""
    return read_table(DATA_DIR / name)


def countries() -> pa.Table:
    """The 33 CELAC member states with names in four languages, population and capital."""
    return data_table("countries.tsv")
