"""Bytes to text: a file's encoding found (UTF-8, BOMs, old cp1252), empty and binary files refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO


class FileProblem(Exception):
    """A whole file cannot be read; the message is the ``LoadError`` reason."""


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v") + b"\x7f"


def check_bytes(head: bytes) -> None:
    """Raise for an empty or binary file, judged from its first bytes."""
    if not head.strip():
        raise FileProblem("empty file")
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return
    sample = head[:8192]
    if b"\x00" in sample or sum(sample.count(b) for b in _CONTROL_BYTES) > len(sample) * 0.05:
        raise FileProblem("binary file (not text)")


def decode(data: bytes) -> str:
    """Text of a whole file with LF line ends: UTF-8 (with or without BOM), UTF-16/32 with BOM, or cp1252."""
    return _read_text(data).replace("\r\n", "\n").replace("\r", "\n")


def _read_text(data: bytes) -> str:
    check_bytes(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise FileProblem(f"not valid {encoding.upper()} text; re-save the file as UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252")  # old Windows files; strict, so truly mixed bytes still fail
        except UnicodeDecodeError:
            raise FileProblem(
                f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start});"
                " re-save the file as UTF-8"
            ) from None


def decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of a file read as a stream, each decoded on its own (UTF-8, else cp1252)."""
    head = stream.read(8192)
    check_bytes(head)
    stream.seek(0)
    for number, raw in enumerate(stream):
        if number == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")
