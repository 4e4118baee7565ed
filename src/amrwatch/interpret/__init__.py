"""Interpretation: raw MICs and zone diameters -> S/SDD/I/R/NS/NI/WT/NWT with a reason per row.

Takes AST rows (schema AST_INPUT: organism, antimicrobial, method, value, optional potency, uti,
site, host, breakpoint_type) and a guideline version such as "EUCAST 2025"; gives the same rows
with `sir`, `reason` (closed set, `amrwatch.interpret.reasons`), `breakpoint_id` and `guideline`
(schema INTERPRETATION). Breakpoints come from the bundled AMR 3.0.0 table or a user's WHONET
AMRIE folder; policies (data/policies.yaml) say how the engine differs from AMR's as.sir().
See docs/interpretation.md.
"""

from __future__ import annotations

from amrwatch.interpret.engine import interpret
from amrwatch.interpret.reasons import REASONS

__all__ = ["REASONS", "interpret"]
