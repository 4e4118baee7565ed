"""Exports for international reporting: WHO GLASS-AMR RIS, SAMPLE and AMR-I files, and their checks.

Takes the long results table of the store (`Store.isolate_results()`) or of a plain file; gives
GLASS CSV files named as the GLASS bulk upload expects (`glass.py`), and a validator that applies
the GLASS platform's upload checks with its own error texts (`glass_validate.py`). Codes,
allow-list and message texts are data: `data/glass.yaml`.
"""
