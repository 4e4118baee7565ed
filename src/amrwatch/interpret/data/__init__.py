"""Versioned data of the interpretation engine: reasons, policies, expert rules, AMR MIC levels."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def read_yaml(name: str) -> Any:
    """One YAML file of this folder, parsed once per process."""
    text = (resources.files("amrwatch.interpret.data") / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
