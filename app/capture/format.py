"""The capture file format, version 1: one JSON object per line (JSON Lines).

Every record has ``seq`` (0, 1, 2... with no gaps), ``type``, ``t`` (wall clock,
integer microseconds since the Unix epoch) and ``m`` (monotonic clock, integer
microseconds). The first record is always the ``header``.

======== ==========================================================================
type     fields
======== ==========================================================================
header   format ("qiterm-capture"), version (1), qiterm, url, baud, started (ISO UTC),
         [polls], [max_size], [session], [part]
                                          polls: what the recorder kept of the polling
                                          ("all", "changes", "none"; absent: all);
                                          max_size: the size a file grows to before the
                                          session goes on in the next part; session: a
                                          random name its parts share; part: this
                                          file's number when it continues a session
rx       kind, role, cmd, d|x, [flags], [tag]  bytes received, one record per frame
tx       what, cmd, d|x, [tag], [folded]  bytes written ([tag]: who asked: user, poll...;
                                          what "raw": bytes sent past the AT checks;
                                          folded: polls of this command with the same
                                          answer left out since the last one kept)
link     state, message, url, baud, dtr, rts, framing, flow, ending, [change]
                                          LinkStatus (framing "8N1", flow "RTS/CTS"...,
                                          ending "CR"; change: "dtr", "rts", "break",
                                          "baud", "serial", "line_ending" on a link that
                                          stays up)
datamode active, cmd, line, input         DataModeChanged (input: waits for typed data)
dataformat send_hex, recv_hex, show_ra    DataFormatChanged
reboot                                    ModuleRebooted
result   cmd, tag, line, outcome, message, code, elapsed_ms   CommandFinished
identity identity, revision               ModuleIdentity
note     text, [ref]                      an annotation (ref: seq it is about)
marker   n, [text]                        a numbered marker (1, 2, 3... per file)
screenshot path                           a saved screenshot
event    what, text                       qiterm's own event: an automatic answer fired,
                                          a cyclic send started or stopped, a view setting
                                          (local echo) changed
======== ==========================================================================

Version 1 readers skip fields they do not know, so the link record's framing,
flow and ending fields, the event record and the header's polls, max_size and
part came without a new version.

**Parts.** A recorder given a ``max_size`` goes on in a new file when the next
line would take the file past it: ``x.jsonl`` is followed by ``x.1.jsonl``,
``x.2.jsonl``... (:func:`part_path`). Each part opens with a header of its own
(the first part's fields, the same ``started`` and ``session``, and ``part``:
its number), and
``seq`` goes on across the parts (the header of a part takes the next seq), so
the parts read in order are one session: every record once, seq 0, 1, 2...
with no gaps counting the parts' headers. The reader (:mod:`app.capture.reader`)
reads the parts as one session from any of them.

Bytes are stored as ``"d"`` (the text, when they decode as UTF-8) or ``"x"``
(lowercase hex otherwise), so the exact bytes always come back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.link.results import (
    CommandFinished,
    DataFormatChanged,
    DataModeChanged,
    LinkEvent,
    LinkStatus,
    ModuleIdentity,
    ModuleRebooted,
    Rx,
    Tx,
)
from app.protocol import events as ev

FORMAT = "qiterm-capture"
VERSION = 1

HEADER = "header"
RX = "rx"
TX = "tx"
LINK = "link"
DATAMODE = "datamode"
DATAFORMAT = "dataformat"
REBOOT = "reboot"
RESULT = "result"
IDENTITY = "identity"
NOTE = "note"
MARKER = "marker"
SCREENSHOT = "screenshot"
EVENT = "event"

RECORD_TYPES = frozenset(
    {
        HEADER,
        RX,
        TX,
        LINK,
        DATAMODE,
        DATAFORMAT,
        REBOOT,
        RESULT,
        IDENTITY,
        NOTE,
        MARKER,
        SCREENSHOT,
        EVENT,
    }
)

Record = dict[str, Any]

#: Header fields: what the recorder kept of the polling, the size limit, the part number.
POLLS = "polls"
MAX_SIZE = "max_size"
PART = "part"
SESSION = "session"


def part_path(first: Path, n: int) -> Path:
    """The file of part ``n`` of the session whose first file is ``first``:
    ``x.jsonl`` (part 0), ``x.1.jsonl``, ``x.2.jsonl``..."""
    if n == 0:
        return first
    name = f"{first.stem}.{n}{first.suffix}" if first.suffix else f"{first.name}.{n}"
    return first.with_name(name)


def first_part(path: Path, n: int) -> Path | None:
    """The first file of the session when ``path`` is its part ``n`` (None when
    the name is not one :func:`part_path` gives)."""
    if n == 0:
        return path
    name, mark = path.name, f".{n}"
    if name.endswith(mark) and len(name) > len(mark):  # x.2 -> x
        return path.with_name(name[: -len(mark)])
    stem, suffix = path.stem, path.suffix
    if suffix and stem.endswith(mark) and len(stem) > len(mark):  # x.2.jsonl -> x.jsonl
        return path.with_name(stem[: -len(mark)] + suffix)
    return None


def to_us(seconds: float) -> int:
    """Seconds (float) -> integer microseconds."""
    return round(seconds * 1_000_000)


def encode_bytes(data: bytes) -> dict[str, str]:
    """``{"d": text}`` when ``data`` is valid UTF-8, else ``{"x": lowercase hex}``."""
    try:
        return {"d": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"x": data.hex()}


def decode_bytes(record: Record) -> bytes:
    """The bytes of an rx/tx record (``b""`` when it has none)."""
    if "d" in record:
        text = record["d"]
        return text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
    if "x" in record:
        digits = record["x"]
        return bytes.fromhex(digits) if isinstance(digits, str) else b""
    return b""


def encode_line(record: Record) -> bytes:
    """One record as one line of UTF-8 JSON, ending in ``\\n``.

    Lone surrogates (from odd user text) become ``\\udcxx`` JSON escapes, so
    the line is always valid UTF-8 and valid JSON.
    """
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace") + b"\n"


def redact_url(url: str) -> str:
    """Hide a password in ``scheme://user:password@host`` (nothing else changes)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        netloc = f"{parts.username or ''}:***@{host}"
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url


def _flags(event: ev.Event) -> list[str]:
    flags: list[str] = []
    if isinstance(event, ev.OverlongLine):
        for name in ("truncated", "continued", "unterminated"):
            if getattr(event, name):
                flags.append(name)
    elif isinstance(event, ev.QiUrcRecv) and event.length_mismatch:
        flags.append("length_mismatch")
    return flags


def event_fields(item: LinkEvent) -> tuple[str, float | None, float | None, Record] | None:
    """(type, wall seconds or None, monotonic seconds or None, fields) for a link
    event; None for an object this format does not know.

    The times are the event's own (rx/tx); None means "take the time now".
    """
    if isinstance(item, Rx):
        event = item.event
        fields: Record = {
            "kind": event.kind,
            "role": item.role.value,
            "cmd": item.command_id,
            **encode_bytes(event.raw),
        }
        flags = _flags(event)
        if flags:
            fields["flags"] = flags
        if item.tag:
            fields["tag"] = item.tag
        return RX, item.wall, item.mono, fields
    if isinstance(item, Tx):
        fields = {"what": item.what.value, "cmd": item.command_id, **encode_bytes(item.data)}
        if item.tag:
            fields["tag"] = item.tag
        return TX, item.wall, item.mono, fields
    if isinstance(item, LinkStatus):
        fields = {
            "state": item.state.value,
            "message": item.message,
            "url": item.url,
            "baud": item.baudrate,
            "dtr": item.dtr,
            "rts": item.rts,
            "framing": item.framing,
            "flow": item.flow,
            "ending": item.line_ending,
        }
        if item.change:
            fields["change"] = item.change
        return LINK, None, None, fields
    if isinstance(item, DataModeChanged):
        fields = {
            "active": item.active,
            "cmd": item.command_id,
            "line": item.line,
            "input": item.awaiting_input,
        }
        return DATAMODE, None, None, fields
    if isinstance(item, DataFormatChanged):
        fields = {"send_hex": item.send_hex, "recv_hex": item.recv_hex, "show_ra": item.show_ra}
        return DATAFORMAT, None, None, fields
    if isinstance(item, ModuleRebooted):
        return REBOOT, None, None, {}
    if isinstance(item, CommandFinished):
        result = item.result
        fields = {
            "cmd": result.command_id,
            "tag": result.tag,
            "line": result.command.line,
            "outcome": result.outcome.value,
            "message": result.message,
            "code": result.result_code,
            "elapsed_ms": round(result.elapsed * 1000, 1),
        }
        return RESULT, None, None, fields
    if isinstance(item, ModuleIdentity):
        return IDENTITY, None, None, {"identity": item.identity, "revision": item.revision}
    return None


__all__ = [
    "FORMAT",
    "MAX_SIZE",
    "PART",
    "POLLS",
    "RECORD_TYPES",
    "SESSION",
    "VERSION",
    "Record",
    "decode_bytes",
    "encode_bytes",
    "encode_line",
    "event_fields",
    "first_part",
    "part_path",
    "redact_url",
    "to_us",
]
