"""Turning what a lab wrote into a comparable key, and telling bad input apart from real terms.

Takes any Python value or Arrow array a lab file may hold (str, bytes in an unknown encoding,
numbers, None); gives one clean string per distinct value plus, for hopeless input, the reason it
cannot be a code or a name. Used by both the organism and the antimicrobial resolver.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.codes.data import read_terms

#: Longest text we try to resolve; longer values are pasted paragraphs or corrupt cells.
MAX_LENGTH = 200

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
# Double-encoded UTF-8 read as Latin-1 ("Ã¡" for "á") shows these lead characters.
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]")


def as_text(value: object) -> str | None:
    """A value from a lab file as text: bytes decoded (UTF-8, else Latin-1), mojibake repaired."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("latin-1")
    elif isinstance(value, float) and math.isnan(value):  # NaN from pandas
        return None
    text = str(value)
    if _MOJIBAKE.search(text):
        try:
            text = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    # Lone surrogates (from `surrogateescape` readers) cannot be encoded: replace them.
    return text.encode("utf-8", "replace").decode("utf-8")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced key: 'Ácido  Clavulánico ' -> 'acido clavulanico'."""
    if text.isascii():  # the common case, 20x faster than decomposing
        return _SPACES.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", plain.casefold()).strip()


@cache
def missing_terms() -> dict[str, str]:
    """Folded text that means 'no value' or 'no organism' -> reason (data/missing_terms.tsv)."""
    return {fold(row["term"]): row["reason"] for row in read_terms("missing_terms.tsv")}


@cache
def exact_missing_terms() -> frozenset[str]:
    """The markers exactly as listed (case included): "NaN" is missing, "nan" may be a code."""
    return frozenset(row["term"] for row in read_terms("missing_terms.tsv"))


def bad_input_reason(text: str | None) -> str | None:
    """Why `text` cannot be a term at all (closed set below), or None when it is worth resolving."""
    if text is None:
        return "unresolved_missing"
    stripped = text.strip()
    if not stripped:
        return "unresolved_empty"
    if len(stripped) > MAX_LENGTH:
        return "unresolved_too_long"
    if not any(ch.isalnum() for ch in stripped):
        return "unresolved_invalid"
    if "\ufffd" in stripped or any(unicodedata.category(ch) == "Cc" for ch in stripped):
        return "unresolved_invalid"
    return missing_terms().get(fold(stripped))


def looks_numeric(text: str) -> bool:
    """True for '12', '3.5', '1e3': a number where a code or name was expected."""
    return bool(_NUMBER.match(text.strip()))


def distinct(values: object) -> tuple[list[str | None], pa.Array]:
    """Distinct texts of `values` and, per input position, the index of its text in that list.

    Arrow string input is dictionary-encoded in C++; only the distinct values pass through Python.
    """
    array = _as_arrow(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array, null_encoding="encode")
    indices, dictionary = encoded.indices, encoded.dictionary
    texts = [as_text(v) for v in dictionary.to_pylist()]
    return texts, indices


def _as_arrow(values: object) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            return values
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            return values
        if pa.types.is_dictionary(values.type):
            return values.cast(values.type.value_type)
        return pc.cast(values, pa.string())
    if isinstance(values, str | bytes):
        values = [values]
    items = list(values)  # type: ignore[call-overload]
    try:
        return pa.array(items, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        # A list mixing str, bytes, numbers and None: give every item one text form first.
        return pa.array([as_text(v) for v in items], type=pa.string())
