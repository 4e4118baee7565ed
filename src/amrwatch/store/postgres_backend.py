"""The hub store: PostgreSQL through psycopg 3, bulk writes by COPY of Arrow-written CSV.

Reads also go through COPY and Arrow's CSV parser, typed from the query's own column types, so
a million-row result is parsed in C rather than built row by row in Python.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from amrwatch.errors import StoreError
from amrwatch.store.backend import Backend, Params
from amrwatch.store.location import redact

# PostgreSQL type name → Arrow type for reading results; anything else is read as text.
ARROW_TYPES = {
    "int8": pa.int64(), "int4": pa.int32(), "int2": pa.int16(), "oid": pa.int64(),
    "float8": pa.float64(), "float4": pa.float32(), "numeric": pa.float64(),
    "bool": pa.bool_(), "date": pa.date32(),
    "timestamptz": pa.timestamp("us", tz="UTC"), "timestamp": pa.timestamp("us"),
}
# Arrow type → PostgreSQL column type for staged (temporary) tables.
SQL_TYPES = {
    pa.string(): "text", pa.large_string(): "text", pa.int64(): "bigint", pa.int32(): "integer",
    pa.float64(): "double precision", pa.float32(): "real", pa.bool_(): "boolean",
    pa.date32(): "date",
}
COPY_BATCH_ROWS = 200_000
# Quote every non-null value so that COPY reads an unquoted empty field as NULL and "" as ''.
CSV_OUT = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
# A table without text needs no quotes, and the server parses its rows faster without them.
CSV_NUMBERS = pacsv.WriteOptions(include_header=False, quoting_style="needed")
# A table of integers without nulls (ast_entry: 10 M rows of keys per large upload) goes in
# PostgreSQL's binary COPY format, built with NumPy: no text to write or parse (PostgreSQL
# documentation, COPY, "Binary Format": signature, flags, header extension; per row a 16-bit
# field count, then per field a 32-bit length and the big-endian value; -1 ends the data).
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
BINARY_TRAILER = (-1).to_bytes(2, "big", signed=True)


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.location = redact(url)
        try:
            self.con = psycopg.connect(url, autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            raise StoreError(
                f"Cannot connect to the PostgreSQL store: {_first_line(error)}",
                {"store": self.location},
                hint="check that the PostgreSQL server is running and that the host, port, "
                "database and user in the URL are right (set it with --db or AMRWATCH_DB), "
                "or use an embedded DuckDB file instead: --db amrwatch.duckdb",
            ) from error
        self.con.execute("SET TIME ZONE 'UTC'")
        if self.scalar("SELECT current_schema()") is None:
            path = self.scalar("SHOW search_path")
            raise StoreError("The PostgreSQL schema for the store does not exist",
                             {"store": self.location, "search_path": path},
                             hint="create it first (CREATE SCHEMA …) or fix the search_path "
                             "in the URL's options")

    def execute(self, sql: str, params: Params = ()) -> None:
        try:
            if params:
                self.con.execute(pyformat(sql), list(params))
            else:
                self.con.execute(sql.encode())  # bytes: a script, no placeholder parsing
        except psycopg.Error as error:
            raise self._failed(error, sql) from error

    def insert(self, sql: str, params: Params = ()) -> int:
        try:
            return self.con.execute(pyformat(sql), list(params)).rowcount
        except psycopg.Error as error:
            raise self._failed(error, sql) from error

    def scalar(self, sql: str, params: Params = ()) -> Any:
        try:
            row = self.con.execute(pyformat(sql), list(params)).fetchone()
        except psycopg.Error as error:
            raise self._failed(error, sql) from error
        return row[0] if row else None

    def query(self, sql: str, params: Params = ()) -> pa.Table:
        sql = sql.strip().rstrip(";")
        statement = pyformat(sql) if params else sql
        try:
            with self.con.cursor() as cursor:
                cursor.execute(f"SELECT * FROM ({statement}) AS q LIMIT 0", list(params) or None)
                schema = self._schema(cursor.description or [])
                buffer = io.BytesIO()
                with cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)",
                                 list(params) or None) as copy:
                    for chunk in copy:
                        buffer.write(chunk)
        except psycopg.Error as error:
            raise self._failed(error, sql) from error
        return _read_csv(buffer.getvalue(), schema)

    def append(self, table: str, data: pa.Table) -> None:
        columns = ", ".join(data.column_names)
        binary = data.num_rows and all(pa.types.is_int64(f.type) for f in data.schema) and \
            not any(column.null_count for column in data.columns)
        text = any(pa.types.is_string(f.type) or pa.types.is_dictionary(f.type)
                   or pa.types.is_large_string(f.type) for f in data.schema)
        options = CSV_OUT if text else CSV_NUMBERS
        try:
            with (self.con.cursor() as cursor,
                  cursor.copy(f"COPY {table} ({columns}) FROM STDIN "
                              f"(FORMAT {'binary' if binary else 'csv'})") as copy):
                if binary:
                    copy.write(BINARY_HEADER)
                for batch in data.to_batches(max_chunksize=COPY_BATCH_ROWS):
                    if binary:
                        copy.write(_binary_rows(batch))
                        continue
                    out = io.BytesIO()
                    pacsv.write_csv(batch, out, write_options=options)
                    copy.write(out.getbuffer())
                if binary:
                    copy.write(BINARY_TRAILER)
        except psycopg.Error as error:
            raise self._failed(error, f"COPY {table}") from error

    def stage(self, name: str, data: pa.Table) -> None:
        columns = ", ".join(f"{f.name} {SQL_TYPES.get(f.type, 'text')}" for f in data.schema)
        self.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
        self.append(name, data)
        self.execute(f"ANALYZE {name}")  # so the planner knows its size and picks hash joins

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.con.transaction():
                yield
        except psycopg.Error as error:
            raise self._failed(error, "COMMIT") from error

    def lock_uploads(self) -> None:
        # One upload at a time per schema: duplicate detection and id blocks need a stable view.
        self.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.upload'))", [])

    def close(self) -> None:
        self.con.close()

    def _schema(self, description: list) -> pa.Schema:
        types = self.con.adapters.types
        fields = []
        for column in description:
            info = types.get(column.type_code)
            fields.append(pa.field(column.name, ARROW_TYPES.get(info.name if info else "",
                                                                pa.string())))
        return pa.schema(fields)

    def _failed(self, error: psycopg.Error, sql: str) -> StoreError:
        return StoreError(f"The store refused a statement: {_first_line(error)}",
                          {"store": self.location, "statement": " ".join(sql.split())[:120]},
                          hint="this is a bug if it happened during a normal command; "
                          "please report it")


def pyformat(sql: str) -> str:
    """Rewrite `?` placeholders as psycopg's `%s`, leaving quoted text and identifiers alone."""
    out, quote = [], None
    for char in sql:
        if quote:
            quote = None if char == quote else quote
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        else:
            out.append({"?": "%s", "%": "%%"}.get(char, char))
    return "".join(out)


def _read_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    if not data:
        return schema.empty_table()
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )


def _binary_rows(batch: pa.RecordBatch) -> bytes:
    """The rows of a batch of int64 columns without nulls in binary COPY format (bigint)."""
    layout = [("fields", ">i2")]
    for name in batch.schema.names:
        layout += [(f"{name}_length", ">i4"), (name, ">i8")]
    rows = np.empty(batch.num_rows, dtype=np.dtype(layout))
    rows["fields"] = batch.num_columns
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        rows[f"{name}_length"] = 8
        rows[name] = column.to_numpy()
    return rows.tobytes()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
