"""Spark jobs over Parquet archives: interpret every AST row, then count categories by stratum.

Takes paths and settings; gives Parquet folders written by Spark. Each task calls the local engine
on an Arrow batch, so Spark adds scale, not a second implementation of the clinical rules.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.schemas import INTERPRETATION

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

#: Categories counted as tested; SDD is counted with I as in the GLASS RIS file.
CATEGORIES = ("S", "I", "R", "NS")


@contextmanager
def spark_session(master: str = "local[*]") -> Iterator[SparkSession]:
    """A Spark session whose Python workers run this interpreter (so they can import amrwatch)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - pyspark is a declared dependency
        raise ConfigurationError(
            "Apache Spark (pyspark) is not installed", hint="pip install 'amrwatch[spark]'"
        ) from error
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # Local runs stay on the loopback interface; a cluster sets its own address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master(master)
        .appName("amrwatch")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def _read(session: SparkSession, source: Path) -> DataFrame:
    if not Path(source).exists():
        raise InputError("Archive folder not found", {"folder": str(source)})
    frame = session.read.parquet(str(source))
    missing = {"organism", "antimicrobial", "method", "value"} - set(frame.columns)
    if missing:
        raise InputError(
            "The archive lacks columns the interpretation needs",
            {"folder": str(source), "missing": ", ".join(sorted(missing))},
            hint="AST rows need organism, antimicrobial, method and value",
        )
    return frame


def interpret_archive(session: SparkSession, source: Path, target: Path, guideline: str,
                      policy: str = "default", capped_mic_handling: str = "standard") -> int:
    """Interpret every row of the Parquet archive `source` into `target`; returns the row count."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_type

    frame = _read(session, source)
    # Fail fast on a bad guideline or policy in the driver, not in every task.
    _interpret_batch(pa.table({c: pa.array([], pa.string()) for c in
                               ("organism", "antimicrobial", "method", "value")}),
                     guideline, policy, capped_mic_handling)
    inputs = [pa.field(f.name, to_arrow_type(f.dataType)) for f in frame.schema.fields]
    # The engine's answer columns are dictionary-encoded strings; Spark declares them as plain
    # strings, so each batch is decoded to the declared schema before it goes back to the JVM.
    declared = pa.schema(inputs + [pa.field(f.name, f.type.value_type) for f in INTERPRETATION])
    schema = from_arrow_schema(declared)

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            result = _interpret_batch(pa.Table.from_batches([batch]), guideline, policy,
                                      capped_mic_handling)
            yield from result.cast(declared).to_batches()

    result = frame.mapInArrow(task, schema)
    result.write.mode("overwrite").parquet(str(target))
    return session.read.parquet(str(target)).count()


def _interpret_batch(table: pa.Table, guideline: str, policy: str,
                     capped_mic_handling: str) -> pa.Table:
    from amrwatch.interpret import interpret

    return interpret(table, guideline=guideline, policy=policy,
                     capped_mic_handling=capped_mic_handling)


def resistance_counts(session: SparkSession, source: Path, target: Path,
                      by: list[str]) -> pa.Table:
    """n_tested, n_S, n_I, n_R, n_NS per stratum × antimicrobial of an interpreted archive."""
    from pyspark.sql import functions as F

    frame = session.read.parquet(str(source))
    unknown = [column for column in [*by, "antimicrobial", "sir"] if column not in frame.columns]
    if unknown:
        raise InputError("Unknown columns to count by", {"folder": str(source),
                                                         "columns": ", ".join(unknown)})
    category = F.when(F.col("sir") == "SDD", F.lit("I")).otherwise(F.col("sir"))
    tested = frame.withColumn("category", category).where(F.col("category").isin(*CATEGORIES))
    counts = tested.groupBy(*by, "antimicrobial").agg(
        F.count(F.lit(1)).alias("n_tested"),
        *[F.sum((F.col("category") == c).cast("long")).alias(f"n_{c}") for c in CATEGORIES],
    ).orderBy(*by, "antimicrobial")
    counts.write.mode("overwrite").parquet(str(target))
    return counts.toArrow() if hasattr(counts, "toArrow") else pa.Table.from_pandas(
        counts.toPandas(), preserve_index=False)
