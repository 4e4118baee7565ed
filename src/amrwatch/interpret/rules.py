"""Expert rules (data/expert_rules.yaml), applied across the results of one isolate."""

from __future__ import annotations

import pyarrow as pa


def apply_expert_rules(result: pa.Table, run) -> pa.Table:
    return result
