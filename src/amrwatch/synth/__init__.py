"""Synthetic CELAC surveillance data with seeded, known events.

Takes a number of isolates and a seed; gives lab files in the formats labs really send (WHONET
exports, LIS CSV with a mapping, FHIR R4 bundles, HL7 v2.5.1 messages) with raw MICs and zone
diameters, a lab registry, and a ground-truth file of the seeded events. Same seed, same bytes.
Distributions and prevalence ranges are data files under `synth/data/` with their sources.
"""
