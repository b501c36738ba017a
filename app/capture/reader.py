"""Reading capture files back, including ones cut short by ``kill -9``.

A capture's last line may be torn (the process died while writing it): it is
skipped and flagged, never an error. A bad line in the middle is skipped and
reported in :attr:`Capture.problems`; the rest is read.

A capture the recorder went on writing in numbered parts (``x.jsonl``,
``x.1.jsonl``, ``x.2.jsonl``...: :mod:`app.capture.format`) is read as one
session, given any of its parts: :func:`capture_parts` finds them, the first
part's header stands for the session, and the parts' own headers are left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

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


class Line(NamedTuple):
    """Where a record is: its line (the header is line 1) in part ``part`` of
    the session, the file ``name``. Reads ``line 17``, or ``x.1.jsonl line 17``
    for a part after the first; sorts in session order."""

    part: int
    number: int
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} line {self.number}" if self.part else f"line {self.number}"


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


def _read_header(path: Path) -> Record:
    """A file's header (checked), the file read no further."""
    with open(path, "rb") as stream:
        for record, _, _ in _scan_file(stream, os.fspath(path), None):
            return record
    raise CaptureError(f"not a qiterm capture: {path}")  # pragma: no cover - _scan_file raises


def _part_number(header: Record) -> int:
    part = header.get(fmt.PART)
    return part if isinstance(part, int) and not isinstance(part, bool) and part > 0 else 0


def capture_parts(path: str | os.PathLike[str], problems: list[str] | None = None) -> list[Path]:
    """Every file of the session ``path`` is a part of, in order, the first first.

    ``path`` may be any part: a part's header says its number, and its first file
    is found by name (:func:`app.capture.format.first_part`). Parts follow while
    the next numbered file is there and continues the same session (the same
    ``started``, url and ``session``). When the first part is missing the session is read
    from ``path`` on, and ``problems`` says so. Raises CaptureError when ``path``
    is not a capture, OSError when it cannot be read."""
    given = Path(path)
    header = _read_header(given)
    number = _part_number(header)
    first, start = given, number
    if number:
        base = fmt.first_part(given, number)
        try:
            if base is not None and _same_session(_read_header(base), header):
                first, start = base, 0
        except (OSError, CaptureError):
            pass
        if start and problems is not None:
            problems.append(
                f"{given.name} is part {number} of a session whose first file "
                f"({base.name if base else '?'}) is missing or another session's: "
                "read from this part on"
            )
    parts = [given] if start else [first]
    n = start + 1
    while True:
        candidate = fmt.part_path(first, n) if not start else _nth_from(given, number, n)
        if candidate is None:
            break
        try:
            head = _read_header(candidate)
        except FileNotFoundError:
            break
        except (OSError, CaptureError) as exc:
            if problems is not None:
                problems.append(f"{candidate.name}: not read ({exc})")
            break
        if _part_number(head) != n or not _same_session(head, header):
            break
        parts.append(candidate)
        n += 1
    return parts


def _nth_from(given: Path, number: int, n: int) -> Path | None:
    """Part ``n``'s file when only part ``number`` (``given``) is known."""
    base = fmt.first_part(given, number)
    return None if base is None else fmt.part_path(base, n)


def _same_session(a: Record, b: Record) -> bool:
    """Two headers of one session: the same start, url and session name."""
    return all(a.get(key) == b.get(key) for key in ("started", "url", fmt.SESSION))


def _scan_file(
    stream: BinaryIO, where: str, problems: list[str] | None, label: str = ""
) -> Iterator[tuple[Record, bool, int]]:
    """Yield (record, is_header, line number) for each good line of one file,
    header first.

    Bad lines go to ``problems`` as ``"line N: why"`` (``label`` before it: the
    part's name); an unreadable last line with no newline (a write cut short)
    goes there last as ``"line N: torn"``.
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
            problems.append(f"{label}line {lineno}: {why}")


def _scan(
    path: str | os.PathLike[str], problems: list[str] | None
) -> Iterator[tuple[Record, bool, Line]]:
    """Yield (record, is_header, where) for every good line of the session's
    parts: the first part's header first, then the records, the later parts'
    headers left out. A torn line is only the session's end when it ends the
    last part (one in an earlier part is a bad line there)."""
    found: list[str] = []
    parts = capture_parts(path, found)
    for index, part in enumerate(parts):
        label = f"{part.name} " if index else ""
        local: list[str] = []
        with open(part, "rb") as stream:
            for record, is_header, lineno in _scan_file(stream, os.fspath(part), local, label):
                if is_header and index:
                    continue
                yield record, is_header, Line(index, lineno, part.name)
        if index < len(parts) - 1 and local and local[-1].endswith(": torn"):
            local[-1] = local[-1][: -len("torn")] + "cut off (a write failed part-way)"
        found += local
    if problems is not None:
        # The session's own problems first, a torn last line last.
        torn = found[-1:] if found and found[-1].endswith(": torn") else []
        problems += found[: len(found) - len(torn)] + torn


def iter_records(
    path: str | os.PathLike[str], *, problems: list[str] | None = None
) -> Iterator[Record]:
    """Stream a capture's records, header first, without holding the file in
    memory; all its parts as one session. Bad lines are skipped (and described
    in ``problems`` when given; a torn last line appears there as
    ``"line N: torn"``)."""
    for record, _, _ in _scan(path, problems):
        yield record


def iter_numbered(
    path: str | os.PathLike[str], *, problems: list[str] | None = None
) -> Iterator[tuple[Line, Record]]:
    """:func:`iter_records` with where each record is (:class:`Line`: the line
    in its part, the header of the first being line 1), so a caller can name
    the line a record came from."""
    for record, _, where in _scan(path, problems):
        yield where, record


def read_capture(path: str | os.PathLike[str]) -> Capture:
    """Read a whole capture (all its parts). Raises CaptureError when it is not
    one, OSError when it cannot be read."""
    found: list[str] = []
    header: Record | None = None
    records: list[Record] = []
    for record, is_header, _ in _scan(path, found):
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
    "Line",
    "capture_parts",
    "iter_numbered",
    "iter_records",
    "read_capture",
    "record_bytes",
    "rx_stream",
    "tx_stream",
]
