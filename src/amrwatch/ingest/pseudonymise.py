"""Keyed pseudonyms for patient identifiers, and the lab's key that makes them.

Takes patient identifiers and a lab's secret key; gives HMAC-SHA256 pseudonyms (64 hex digits):
the same patient with the same key always gets the same pseudonym (so first-isolate rules work
across years), and without the key nobody can recompute one from a guessed identifier, which a
plain hash would allow. The key is created on first use, 32 random bytes in hex, in a file only
its owner can read ($AMRWATCH_HOME/keys/<lab>.key, default ~/.amrwatch), never in the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import ConfigurationError

#: What a pseudonym looks like; such values are kept as they are (the lab pseudonymised already).
PSEUDONYM = r"^[0-9a-f]{64}$"
_PSEUDONYM = re.compile(PSEUDONYM)
#: SHA-256's block size in bytes, the length of HMAC's padded key (RFC 2104 §2).
BLOCK = 64
_LAB_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def home() -> Path:
    return Path(os.environ.get("AMRWATCH_HOME", Path.home() / ".amrwatch"))


def key_path(lab_code: str) -> Path:
    if not _LAB_CODE.match(lab_code):
        raise ConfigurationError(
            "A laboratory code may only contain letters, digits, '.', '_' and '-'",
            {"setting": "--lab", "value": lab_code},
        )
    return home() / "keys" / f"{lab_code}.key"


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The key in `path`, creating it (mode 0600, folder 0700) when absent; (key, created)."""
    path = Path(path)
    if path.exists():
        return read_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_hex(32)
    # O_EXCL: two processes racing to create the key must not overwrite each other's key.
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key(path), False
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    return bytes.fromhex(secret), True


def read_key(path: Path) -> bytes:
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            "The pseudonymisation key file cannot be read", {"setting": "key file",
                                                             "value": str(path)},
            hint="restore the lab's key from its backup; a new key would give every patient a "
            "new pseudonym",
        ) from error
    if len(key) < 16:
        raise ConfigurationError("The pseudonymisation key is too short (under 16 bytes)",
                                 {"setting": "key file", "value": str(path)})
    return key


def pseudonymise(ids: pa.ChunkedArray | pa.Array, key: bytes) -> pa.Array:
    """One pseudonym per identifier (null stays null); each distinct identifier is hashed once.

    HMAC-SHA256 (RFC 2104) written out over DuckDB's `sha256`, H((K^opad) || H((K^ipad) || m)),
    so half a million distinct ids are hashed in parallel, not one Python call each.
    """
    from amrwatch.ingest.duplicates import in_memory_duckdb

    column = pa.chunked_array([ids]) if isinstance(ids, pa.Array) else ids
    encoded = pc.dictionary_encode(column).combine_chunks()
    inner, outer = _pads(key)
    con = in_memory_duckdb()
    con.register("ids", pa.table({"id": pc.utf8_trim_whitespace(encoded.dictionary)}))
    digests = con.sql(f"""
        SELECT CASE WHEN regexp_full_match(t, '{PSEUDONYM[1:-1]}') THEN t
               ELSE sha256($outer || unhex(sha256($inner || encode(t)))) END AS pseudonym
        FROM (SELECT nfc_normalize(id) AS t FROM ids)""",
        params={"inner": inner, "outer": outer}).to_arrow_table()["pseudonym"]
    con.close()
    return digests.combine_chunks().take(encoded.indices)


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC key XOR ipad and XOR opad (RFC 2104 §2; keys over 64 bytes are hashed first)."""
    block = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def is_pseudonym(ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    """True where a value already is a pseudonym (null where the value is null)."""
    return pc.match_substring_regex(ids, PSEUDONYM)
