"""Reading capture files back, including ones cut short by ``kill -9``.

A capture's last line may be torn (the process died while writing it): it is
skipped and flagged, never an error. A bad line in the middle is skipped and
reported in :attr:`Capture.problems`; the rest is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from app.capture import format as fmt
from app.capture.format import Record, decode_bytes


class CaptureError(ValueError):
    """The file is not a qiterm capture (or a version this qiterm cannot read)."""


@dataclass
class Capture:
    header: Record
    #: Every record after the header, in file order.
    records: list[Record] = field(default_factory=list)
    #: The last line was incomplete or unreadable and was skipped.
    torn: bool = False
    #: Lines skipped in the middle of the file ("line 17: not JSON").
    problems: list[str] = field(default_factory=list)
    path: Path | None = None

    def of_type(self, *types: str) -> list[Record]:
        return [r for r in self.records if r.get("type") in types]


def _parse(line: bytes) -> Record | str:
    """A record, or why the line is not one."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(value, dict):
        return "not a JSON object"
    if not isinstance(value.get("type"), str) or not isinstance(value.get("seq"), int):
        return "not a capture record (no type/seq)"
    return value


def _check_header(first: Record | str, where: str) -> Record:
    if not isinstance(first, dict):
        why = f"first line is {first}"
        raise CaptureError(f"not a qiterm capture: {where} ({why})")
    if first.get("type") != fmt.HEADER or first.get("format") != fmt.FORMAT:
        raise CaptureError(f"not a qiterm capture: {where} (no qiterm-capture header)")
    version = first.get("version")
    if version != fmt.VERSION:
        raise CaptureError(
            f"{where}: capture format version {version!r} is not supported "
            f"(this qiterm reads version {fmt.VERSION})"
        )
    return first


#: A header line is far shorter; a longer first line is not a capture.
_HEADER_LIMIT = 64 * 1024


def _scan(
    stream: BinaryIO, where: str, problems: list[str] | None
) -> Iterator[tuple[Record, bool, int]]:
    """Yield (record, is_header, line number) for each good line, header first.

    Bad lines go to ``problems`` as ``"line N: why"``; an unreadable last line
    with no newline (a write cut short) goes there last as ``"line N: torn"``.
    """
    first = stream.readline(_HEADER_LIMIT)
    if not first.strip():
        why = "empty file" if not first else "first line is empty"
        raise CaptureError(f"not a qiterm capture: {where} ({why})")
    parsed = _parse(first.strip())
    if not first.endswith(b"\n") and not isinstance(parsed, dict):
        why = "first line too long" if len(first) >= _HEADER_LIMIT else "header line is incomplete"
        raise CaptureError(f"not a qiterm capture: {where} ({why})")
    yield _check_header(parsed, where), True, 1
    lineno = 1
    for line in stream:
        lineno += 1
        body = line.strip()
        if not body:
            continue
        parsed = _parse(body)
        if isinstance(parsed, dict):
            yield parsed, False, lineno
        elif problems is not None:
            why = parsed if line.endswith(b"\n") else "torn"
            problems.append(f"line {lineno}: {why}")


def iter_records(
    path: str | os.PathLike[str], *, problems: list[str] | None = None
) -> Iterator[Record]:
    """Stream a capture's records, header first, without holding the file in
    memory. Bad lines are skipped (and described in ``problems`` when given;
    a torn last line appears there as ``"line N: torn"``)."""
    where = os.fspath(path)
    with open(path, "rb") as stream:
        for record, _, _ in _scan(stream, where, problems):
            yield record


def iter_numbered(
    path: str | os.PathLike[str], *, problems: list[str] | None = None
) -> Iterator[tuple[int, Record]]:
    """:func:`iter_records` with each record's line number in the file (the
    header is line 1), so a caller can name the line a record came from."""
    where = os.fspath(path)
    with open(path, "rb") as stream:
        for record, _, lineno in _scan(stream, where, problems):
            yield lineno, record


def read_capture(path: str | os.PathLike[str]) -> Capture:
    """Read a whole capture. Raises CaptureError when it is not one, OSError
    when it cannot be read."""
    where = os.fspath(path)
    found: list[str] = []
    header: Record | None = None
    records: list[Record] = []
    with open(path, "rb") as stream:
        for record, is_header, _ in _scan(stream, where, found):
            if is_header:
                header = record
            else:
                records.append(record)
    assert header is not None  # _scan raises when there is none
    torn = bool(found) and found[-1].endswith(": torn")
    problems = found[:-1] if torn else found
    return Capture(header, records, torn, problems, Path(path))


def record_bytes(record: Record) -> bytes:
    """The bytes an rx/tx record holds."""
    return decode_bytes(record)


def _stream(capture: Capture, rtype: str) -> bytes:
    return b"".join(decode_bytes(r) for r in capture.records if r.get("type") == rtype)


def rx_stream(capture: Capture) -> bytes:
    """Every byte received, in order."""
    return _stream(capture, fmt.RX)


def tx_stream(capture: Capture) -> bytes:
    """Every byte written, in order."""
    return _stream(capture, fmt.TX)


__all__ = [
    "Capture",
    "CaptureError",
    "iter_numbered",
    "iter_records",
    "read_capture",
    "record_bytes",
    "rx_stream",
    "tx_stream",
]
