"""Files of every lab, appended chunk by chunk in the lab's format, encoding and delimiter.

Takes the output folder, the lab registry, the mess rate and the seed; `write(chunk, number)`
appends each lab's share of a chunk to its file (WHONET text, LIS CSV + mapping YAML, one FHIR
bundle per chunk, HL7 v2 messages), and `close()` gives the number of files per format.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

from amrwatch.synth import fhir, hl7, lis, whonet
from amrwatch.synth.chunk import Chunk
from amrwatch.synth.mess import disturb
from amrwatch.synth.readings import Readings

FOLDERS = {"whonet": "whonet", "lis": "lis", "fhir": "fhir", "hl7": "hl7"}


def _csv_bytes(columns: dict[str, np.ndarray], delimiter: str, header: bool, quoting: str) -> bytes:
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(
        include_header=header, delimiter=delimiter, quoting_style=quoting,
        quoting_header=quoting))
    return buffer.getvalue()


def _encode(data: bytes, encoding: str) -> bytes:
    return data if encoding == "utf-8" else data.decode("utf-8").encode(encoding, "replace")


class LabFiles:
    def __init__(self, out: Path, labs: pd.DataFrame, mess: float, seed: int) -> None:
        self.out, self.labs, self.mess, self.seed = out, labs.set_index("lab_code"), mess, seed
        self.started: set[Path] = set()
        self.mess_counts: dict[str, dict[str, int]] = {}
        self.whonet_columns = {code: whonet.lab_columns(row) for code, row in self.labs.iterrows()
                               if row.format == "whonet"}
        for folder in FOLDERS.values():
            (out / folder).mkdir(parents=True, exist_ok=True)

    def _append(self, path: Path, data: bytes) -> None:
        mode = "ab" if path in self.started else "wb"
        self.started.add(path)
        with path.open(mode) as handle:
            handle.write(data)

    def _count(self, path: Path, counts: dict[str, int]) -> None:
        name = str(path.relative_to(self.out))
        total = self.mess_counts.setdefault(name, {})
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value

    def write(self, chunk: Chunk, number: int) -> None:
        """Append each lab's isolates of the chunk to its file (labs in registry order)."""
        rng = np.random.default_rng([self.seed, 20, number])
        isolates, ast = chunk.isolates, chunk.ast
        whonet.prepare(isolates)
        lis.prepare(isolates)
        iso_lab = isolates.lab.to_numpy()
        iso_order = np.argsort(iso_lab, kind="stable")
        ast_lab = iso_lab[ast.row]
        ast_order = np.argsort(ast_lab, kind="stable")
        edges = np.arange(len(self.labs) + 1)
        iso_bounds = np.searchsorted(iso_lab[iso_order], edges)
        ast_bounds = np.searchsorted(ast_lab[ast_order], edges)
        for index, (code, lab) in enumerate(self.labs.iterrows()):
            if iso_bounds[index] == iso_bounds[index + 1]:
                continue
            lab = lab.copy()
            lab["lab_code"] = code
            mine = isolates.iloc[iso_order[iso_bounds[index]:iso_bounds[index + 1]]]
            theirs = ast.take(ast_order[ast_bounds[index]:ast_bounds[index + 1]])
            getattr(self, f"_{lab.format}")(mine, theirs, lab, number, rng)

    def _whonet(self, isolates: pd.DataFrame, ast: Readings, lab: pd.Series, number: int,
                rng: np.random.Generator) -> None:
        path = self.out / "whonet" / f"{lab.lab_code}.txt"
        columns = self.whonet_columns[lab.lab_code]
        frame = whonet.export_rows(isolates, ast, lab, columns)
        fields = {"sex": "SEX", "age": "AGE", "specimen_date": "SPEC_DATE", "organism": "ORGANISM"}
        frame, counts = disturb(frame, fields, self.mess, rng, organism_style="code")
        frame = dict(zip(whonet.header(lab, columns), frame.values(), strict=True))
        self._count(path, counts)
        data = _csv_bytes(frame, lab.delimiter, path not in self.started, "none")
        self._append(path, _encode(data, lab.encoding))

    def _lis(self, isolates: pd.DataFrame, ast: Readings, lab: pd.Series, number: int,
             rng: np.random.Generator) -> None:
        path = self.out / "lis" / f"{lab.lab_code}.csv"
        frame = lis.export_rows(isolates, ast, lab)
        names = dict(zip(lis.COLUMNS, frame, strict=True))
        frame, counts = disturb(frame, names, self.mess, rng, organism_style="name")
        self._count(path, counts)
        if path not in self.started:
            mapping = lis.mapping(lab, path.name)
            (path.with_suffix(".mapping.yaml")).write_text(
                yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
        data = _csv_bytes(frame, lis.delimiter(lab), path not in self.started, "needed")
        self._append(path, _encode(data, lab.encoding))

    def _fhir(self, isolates: pd.DataFrame, ast: Readings, lab: pd.Series, number: int,
              rng: np.random.Generator) -> None:
        folder = self.out / "fhir" / lab.lab_code
        folder.mkdir(exist_ok=True)
        path = folder / f"bundle-{number:04d}.json"
        self._append(path, fhir.bundle(isolates, ast, lab, number).encode("utf-8"))

    def _hl7(self, isolates: pd.DataFrame, ast: Readings, lab: pd.Series, number: int,
             rng: np.random.Generator) -> None:
        path = self.out / "hl7" / f"{lab.lab_code}.hl7"
        self._append(path, hl7.messages(isolates, ast, lab).encode("utf-8"))

    def close(self) -> dict[str, int]:
        counts = {name: 0 for name in FOLDERS}
        for path in self.started:
            counts[path.relative_to(self.out).parts[0]] += 1
        return counts
