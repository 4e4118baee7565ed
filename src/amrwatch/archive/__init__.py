"""Archive-scale jobs: the same interpretation and resistance counts, run on Apache Spark.

Takes a folder of (partitioned) Parquet files of AST rows (columns of `schemas.AST_INPUT`, plus any
strata such as country and year); gives Parquet folders of interpreted rows and of resistance counts.
The work inside each Spark task is the ordinary `amrwatch.interpret.interpret` over one Arrow
batch (`mapInArrow`), so a result is the same on one laptop and on a cluster; Spark only spreads
the batches over cores or machines. See docs/archive.md.
"""
