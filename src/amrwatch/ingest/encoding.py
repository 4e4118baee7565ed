"""Turning the bytes a lab sends into text: BOMs, UTF-16 from Windows, Latin-1/Windows-1252.

Takes the raw bytes of an upload; gives `Decoded(text, encoding)` or raises `InputError` with
reason `not_text` for binary content (images, zip files, databases) and `empty_file` for a file
with nothing in it. Order of trust: a BOM says it all; UTF-16 without a BOM shows itself by NUL
bytes in every other position; strict UTF-8 next; then Windows-1252, which WHONET and Excel on
Spanish/Portuguese Windows write (a superset of Latin-1 for printable text).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from amrwatch.errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Share of control characters above which a "text" is really binary.
_MAX_CONTROL_SHARE = 0.01
_SAMPLE = 65536
#: Anything but blanks, NULs and byte-order-mark bytes: a file without it is empty.
_CONTENT = re.compile(rb"[^ \t\r\n\x00\xef\xbb\xbf\xff\xfe]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def decode(raw: bytes, file: str) -> Decoded:
    """Decode an upload; raise InputError(reason=empty_file | not_text) when it is no text."""
    if _CONTENT.search(raw) is None:  # a search, not a strip: no copy of a large file
        raise InputError(
            "The file is empty", {"file": file, "reason": "empty_file"},
            hint="export the data again; the file has no header and no rows",
        )
    encoding = _bom_encoding(raw) or _utf16_without_bom(raw)
    text = None
    if encoding is None:
        if b"\x00" in raw[:_SAMPLE]:
            raise _not_text(file)
        encoding, text = _utf8_or_cp1252(raw)
    if text is None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            # cp1252 leaves five bytes undefined; Latin-1 maps every byte, so it never fails.
            encoding = "latin-1"
            text = raw.decode(encoding)
    if _control_share(text[:_SAMPLE]) > _MAX_CONTROL_SHARE:
        raise _not_text(file)
    return Decoded(text.lstrip("\ufeff"), encoding)


def _utf8_or_cp1252(raw: bytes) -> tuple[str, str | None]:
    """UTF-8 when the whole file decodes as UTF-8 (with its text, decoded once); else cp1252,
    the Windows code page of Latin American LIS exports."""
    try:
        return "utf-8", raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252", None


def _bom_encoding(raw: bytes) -> str | None:
    return next((name for bom, name in _BOMS if raw.startswith(bom)), None)


def _utf16_without_bom(raw: bytes) -> str | None:
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16 has a NUL in (nearly) every high byte.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)


def _not_text(file: str) -> InputError:
    return InputError(
        "The file is not a text export (it looks like a binary file)",
        {"file": file, "reason": "not_text"},
        hint="export the data from WHONET or the LIS as text (CSV, tab or pipe delimited), "
        "Excel (.xlsx), FHIR JSON or HL7 v2",
    )
