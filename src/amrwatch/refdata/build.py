"""Build step: converts the AMR R package TSV exports into the vendored zstd Parquet tables.

Takes the folder `../shared/refdata/amr-r` (TSV, UTF-8, no quoting, empty field = NA, list columns
joined with `|`; see shared/refdata/README.md §2.2 and §8). Gives one Parquet file per table plus
`MANIFEST.json` (source, version, licence, input sha256, row counts) and the source's LICENSE.
Run it with `amrwatch refdata build` (or `make refdata`); its output is committed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amrwatch.errors import ReferenceDataError

SOURCE = {
    "name": "AMR (R package for antimicrobial resistance data analysis)",
    "version": "3.0.0",
    "released": "2025-06-01",
    "origin": "CRAN release, git mirror cran/AMR commit 84e1d9c698ef871b9bb1caba5402aa14e9c91a57",
    "conversion": ".rda loaded in R 4.2.2 and written as TSV (shared/refdata/README.md §8)",
    "licence": "GPL-2",
    "authors": "Berends MS, Luz CF, Friedrich AW, Sinha BNM, Albers CJ, Glasner C, et al.",
    "citation": "Berends MS et al. (2022). AMR: An R Package for Working with Antimicrobial "
    "Resistance Data. Journal of Statistical Software, 104(3), 1-31. doi:10.18637/jss.v104.i03",
}

#: Non-string columns per table; every other column stays a string (codes keep leading zeros).
COLUMN_TYPES: dict[str, dict[str, pa.DataType]] = {
    "clinical_breakpoints": {
        "rank_index": pa.float64(),
        "breakpoint_S": pa.float64(),
        "breakpoint_R": pa.float64(),
        "uti": pa.bool_(),
        "is_SDD": pa.bool_(),
    },
    "microorganisms": {"prevalence": pa.float64()},
    "antimicrobials": {"oral_ddd": pa.float64(), "iv_ddd": pa.float64()},
    "antivirals": {"oral_ddd": pa.float64(), "iv_ddd": pa.float64()},
    "example_isolates": {"age": pa.int32()},
}

#: Tables that get a stable row id, so every interpretation can cite the exact row it used.
ROW_IDS = {"clinical_breakpoints": "breakpoint_id"}


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (provenance of every imported table)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_tsv(path: Path) -> pa.Table:
    """Read one AMR TSV export exactly as written: every field a string, empty = null."""
    header = path.open(encoding="utf-8").readline().rstrip("\n").split("\t")
    types = {column: pa.string() for column in header}
    types.update(COLUMN_TYPES.get(path.stem, {}))
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            true_values=["TRUE"],
            false_values=["FALSE"],
        ),
    )


def _with_row_id(name: str, data: pa.Table) -> pa.Table:
    column = ROW_IDS.get(name)
    if column is None:
        return data
    # Id = source table + 1-based data row of the source file: stable for a given AMR release.
    numbers = pc.cast(pa.array(range(1, data.num_rows + 1)), pa.string())
    ids = pc.binary_join_element_wise(f"amr-{SOURCE['version']}/{name}", numbers, "#")
    return data.add_column(0, column, ids)


def build(source: Path, out: Path) -> dict:
    """Convert every `*.tsv` of `source` into `out/*.parquet` and write `out/MANIFEST.json`."""
    tsvs = sorted(source.glob("*.tsv"))
    if not tsvs:
        raise ReferenceDataError(
            "No AMR reference TSV files found",
            {"folder": str(source)},
            hint="point --source at shared/refdata/amr-r",
        )
    out.mkdir(parents=True, exist_ok=True)
    tables = {}
    for path in tsvs:
        data = _with_row_id(path.stem, read_tsv(path))
        target = out / f"{path.stem}.parquet"
        pq.write_table(data, target, compression="zstd", compression_level=9)
        tables[path.stem] = {
            "file": target.name,
            "source_file": path.name,
            "source_sha256": file_sha256(path),
            "rows": data.num_rows,
            "columns": data.column_names,
        }
    licence = source / "LICENSE"
    if licence.exists():
        shutil.copyfile(licence, out / "LICENSE")
    manifest = {"source": SOURCE, "tables": tables}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
