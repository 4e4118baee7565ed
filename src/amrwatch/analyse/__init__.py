"""Analyses microbiologists trust: first isolates, resistance with intervals, antibiograms, MDRO, trends.

Takes a plain Arrow table of isolates and their results, either wide (one row per isolate, one
column per antimicrobial, as the AMR R package's `example_isolates`) or long (one row per
isolate × antimicrobial with `ab` and `sir`, as `Store.isolate_results()` gives). Gives Arrow
tables: first-isolate flags and episode numbers, %R/%I/%S/%NS with Wilson and Clopper–Pearson
intervals (cells under the minimum n marked insufficient), traditional / combination / syndromic /
WISCA antibiograms, Magiorakos 2012 MDR/XDR/PDR classes and GLASS/EARS-Net indicator flags, and
trends by year or quarter. Clinical definitions live in `data/` with their provenance.
"""
