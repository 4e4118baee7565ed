"""Detection: turns counts and interpreted isolates into signals.

Takes weekly count series (`series_id, week_index, observed[, population]`), daily case lists of
labs with coordinates, and interpreted isolate results; gives the series with `expected`,
`upperbound` and `alarm` added (aberration detectors, one contract: `amrwatch.detect.series`),
space-time clusters (`amrwatch.detect.scan`) and rule hits (`amrwatch.detect.rules`), all of
which become rows of the SIGNAL schema with ids derived from the event, so re-running detection
after each upload never signals the same event twice (`amrwatch.detect.pipeline`).
"""

from amrwatch.detect.cusum import Cusum
from amrwatch.detect.ears import EarsC
from amrwatch.detect.farrington import Farrington
from amrwatch.detect.pipeline import Detected, detect_signals
from amrwatch.detect.rules import RuleSet, evaluate_rules, load_rules
from amrwatch.detect.scan import SpaceTimeScan, scan
from amrwatch.detect.series import DETECTORS, Detector, detect_aberrations, detector

__all__ = [
    "DETECTORS", "Cusum", "Detected", "Detector", "EarsC", "Farrington", "RuleSet",
    "SpaceTimeScan", "detect_aberrations", "detect_signals", "detector", "evaluate_rules",
    "load_rules", "scan",
]
