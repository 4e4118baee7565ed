"""A user's own WHONET AMRIE tables: import once into the user data folder, then load as Arrow.

Takes a WHONET AMRIE folder (Organisms.txt, Antibiotics.txt, Breakpoints.txt,
ExpectedResistancePhenotypes.txt, ExpertInterpretationRules.txt, optionally QC_Ranges.txt; UTF-8,
TAB, CRLF, no quoting, blank = empty; shared/refdata/README.md §2.1). Gives zstd Parquet copies and
`MANIFEST.json` (source path, sha256, rows, import time) in `$AMRWATCH_HOME/whonet`, and
`load()` -> `WhonetTables` with one typed accessor per table, so the interpretation engine can use
WHONET breakpoints as a second source. These tables are never shipped with amrwatch: their licence
is unclear (README §1), so each user imports their own copy.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amrwatch.errors import InputError, ReferenceDataError
from amrwatch.refdata.build import file_sha256

#: Table name -> (file name, columns that must be present, required?).
FILES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "organisms": ("Organisms.txt", ("WHONET_ORG_CODE", "ORGANISM", "TAXONOMIC_STATUS",
                                    "SUBKINGDOM_CODE", "FAMILY_CODE", "GENUS_GROUP", "GENUS_CODE",
                                    "SPECIES_GROUP", "SEROVAR_GROUP", "ANAEROBE"), True),
    "antibiotics": ("Antibiotics.txt", ("WHONET_ABX_CODE", "ANTIBIOTIC", "ATC_CODE", "CLASS",
                                        "PROF_CLASS"), True),
    "breakpoints": ("Breakpoints.txt", ("GUIDELINES", "YEAR", "TEST_METHOD", "ORGANISM_CODE",
                                        "ORGANISM_CODE_TYPE", "BREAKPOINT_TYPE", "WHONET_ABX_CODE",
                                        "WHONET_TEST", "R", "S"), True),
    "expected_resistance": ("ExpectedResistancePhenotypes.txt",
                            ("GUIDELINE", "ORGANISM_CODE", "ORGANISM_CODE_TYPE", "ABX_CODE",
                             "ABX_CODE_TYPE"), True),
    "expert_rules": ("ExpertInterpretationRules.txt", ("RULE_CODE", "ORGANISM_CODE",
                                                       "RULE_CRITERIA", "AFFECTED_ANTIBIOTICS"), True),
    "qc_ranges": ("QC_Ranges.txt", ("GUIDELINE", "YEAR", "STRAIN", "WHONET_ABX_CODE"), False),
}

#: Numeric columns (everything else stays text: codes keep their case and leading zeros).
NUMERIC = {
    "breakpoints": {"YEAR": pa.int32(), "R": pa.float64(), "S": pa.float64(),
                    "ECV_ECOFF": pa.float64()},
    "qc_ranges": {"YEAR": pa.int32()},
}

#: Organisms.txt columns that hold upper-case group codes (refdata README §4.1).
GROUP_COLUMNS = ("SEROVAR_GROUP", "SPECIES_GROUP", "GENUS_CODE", "GENUS_GROUP", "FAMILY_CODE")


def home() -> Path:
    """The user data folder: $AMRWATCH_HOME, by default ~/.local/share/amrwatch."""
    return Path(os.environ.get("AMRWATCH_HOME", Path.home() / ".local" / "share" / "amrwatch"))


def default_dir() -> Path:
    return home() / "whonet"


def _header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        return first.decode("utf-8-sig").rstrip("\r\n").split("\t")
    except UnicodeDecodeError as error:
        raise InputError(f"{path.name} is not UTF-8 text", {"file": str(path)},
                         hint="export the WHONET tables again as UTF-8") from error


def read_whonet_file(name: str, path: Path) -> pa.Table:
    """Read one AMRIE text table exactly: text columns, blank -> null, numbers where declared."""
    file_name, required, _ = FILES[name]
    header = _header(path)
    missing = [column for column in required if column not in header]
    if missing:
        raise InputError(
            f"{file_name} lacks required columns", {"file": str(path), "missing": ", ".join(missing)},
            hint="point to an unmodified WHONET AMRIE folder",
        )
    types = {column: pa.string() for column in header}
    types.update({c: t for c, t in NUMERIC.get(name, {}).items() if c in types})
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf-8", block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""],
                                                 strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise InputError(f"{file_name} cannot be read: {error}", {"file": str(path)},
                         hint="check that it is the TAB-separated AMRIE table, not edited in Excel") from error


def import_whonet(source: Path, target: Path | None = None) -> dict:
    """Convert a WHONET AMRIE folder into Parquet + MANIFEST.json under `target` (atomically)."""
    source, target = Path(source), Path(target or default_dir())
    if not source.is_dir():
        raise InputError("WHONET folder not found", {"folder": str(source)},
                         hint="give the folder that holds Organisms.txt and Breakpoints.txt")
    absent = [f for f, _, needed in FILES.values() if needed and not (source / f).is_file()]
    if absent:
        raise InputError("WHONET folder is incomplete", {"folder": str(source),
                                                         "missing": ", ".join(absent)},
                         hint="copy the AMRIE tables folder as WHONET ships it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whonet-import-", dir=target.parent))
    try:
        manifest = _convert(source, staging)
        _replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _convert(source: Path, out: Path) -> dict:
    tables = {}
    for name, (file_name, _, _) in FILES.items():
        path = source / file_name
        if not path.is_file():
            continue
        data = read_whonet_file(name, path)
        pq.write_table(data, out / f"{name}.parquet", compression="zstd")
        tables[name] = {"file": f"{name}.parquet", "source_file": file_name,
                        "source_sha256": file_sha256(path), "rows": data.num_rows}
    manifest = {
        "source": "WHONET AMR Interpretation Engine (AMRIE) tables, user's own copy",
        "source_path": str(source.resolve()),
        "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "licence": "as stated by the user's copy; not redistributed by amrwatch",
        "tables": tables,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _replace(staging: Path, target: Path) -> None:
    """Swap the new import in with renames, so a failed import leaves the previous one intact."""
    old = target.with_name(target.name + ".previous")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    load_cached.cache_clear()


@dataclass(eq=False)  # identity-hashed: caches key on the loaded object
class WhonetTables:
    """An imported WHONET folder; each accessor reads its Parquet table once."""

    folder: Path
    manifest: dict
    _cache: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pa.Table:
        if name not in self.manifest["tables"]:
            raise ReferenceDataError(f"WHONET table {name!r} was not imported",
                                     {"folder": str(self.folder)},
                                     hint="run `amrwatch refdata import-whonet DIR` again")
        if name not in self._cache:
            self._cache[name] = pq.read_table(self.folder / self.manifest["tables"][name]["file"])
        return self._cache[name]

    def organisms(self, current_only: bool = True) -> pa.Table:
        """Organisms.txt; by default only TAXONOMIC_STATUS=C rows (README §2.1: use C rows)."""
        data = self.table("organisms")
        return data.filter(pc.equal(data["TAXONOMIC_STATUS"], "C")) if current_only else data

    def antibiotics(self) -> pa.Table:
        return self.table("antibiotics")

    def breakpoints(self) -> pa.Table:
        return self.table("breakpoints")

    def expected_resistance(self) -> pa.Table:
        return self.table("expected_resistance")

    def expert_rules(self) -> pa.Table:
        return self.table("expert_rules")

    def qc_ranges(self) -> pa.Table | None:
        return self.table("qc_ranges") if "qc_ranges" in self.manifest["tables"] else None

    def case_collisions(self) -> frozenset[str]:
        """Upper-case codes whose lower case is a species code but which WHONET ALSO uses as a
        group code not containing that species (trap 7: `ASA` = Asaccharospora, `asa` =
        Aeromonas salmonicida)."""
        if "_collisions" not in self._cache:
            self._cache["_collisions"] = _collisions(self.organisms().to_pylist())  # type: ignore[assignment]
        return self._cache["_collisions"]  # type: ignore[return-value]


def _collisions(rows: list[dict]) -> frozenset[str]:
    species = {row["WHONET_ORG_CODE"] for row in rows if row["WHONET_ORG_CODE"]}
    members: dict[str, set[str]] = {}
    for row in rows:
        for column in GROUP_COLUMNS:
            if row[column]:
                members.setdefault(row[column], set()).add(row["WHONET_ORG_CODE"])
    return frozenset(code for code, orgs in members.items()
                     if code.lower() in species and code.lower() not in orgs)


def load(folder: Path | str | None = None) -> WhonetTables | None:
    """The imported WHONET tables, or None when the user has not imported any."""
    path = Path(folder) if folder is not None else default_dir()
    manifest = path / "MANIFEST.json"
    if not manifest.is_file():
        return None
    return load_cached(str(path.resolve()), manifest.stat().st_mtime_ns)


@cache
def load_cached(path: str, stamp: int) -> WhonetTables:
    try:
        manifest = json.loads((Path(path) / "MANIFEST.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReferenceDataError("The imported WHONET tables are unreadable", {"folder": path},
                                 hint="run `amrwatch refdata import-whonet DIR` again") from error
    return WhonetTables(Path(path), manifest)
