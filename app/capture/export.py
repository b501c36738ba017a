"""``qiterm export``: a capture as a report (HTML, text, Markdown) or as clean JSON Lines.

The report (:mod:`app.capture.report`) reads the capture as a stream, twice
(a summary first, then the transcript), and is written as it is read: a
capture of hundreds of megabytes never sits in memory. ``--format jsonl``
writes the header and every readable record again, one per line.

Options (the same for every format unless said): ``--all`` keeps the polling
and start-up lines the report folds; ``--mask`` replaces the IMEI, IMSI,
ICCID and the module's address by placeholders everywhere (:mod:`.mask`);
``--from``/``--to`` export a slice (a marker's number or words, a time).

The output is never the capture itself (refused, whatever name it goes by),
never written through a symbolic link, and is created readable by its owner
only (it may hold identifiers): it is written to a new private file beside
the target and renamed over it once complete, so a failure leaves the target
as it was. A record that cannot be read (bad JSON, ``"x":"zz"``) is skipped
with a warning naming its line; characters that would hide or reorder text
(bidi controls, zero-width) are written escaped in every format.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from app.capture.format import Record
from app.capture.mask import Masker
from app.capture.reader import CaptureError, capture_parts
from app.capture.report import Report, ReportError, ReportOptions, describe_error, prepare
from app.capture.report_html import write_html
from app.capture.report_text import write_markdown, write_text
from app.capture.survey import checked_records, record_time
from app.model.render import escape_invisible

FORMATS = ("html", "text", "md", "jsonl")
#: Bytes gathered before each write to the output.
BUFFER = 1 << 20

Writer = Callable[[Report, Callable[[str], None]], None]
WRITERS: dict[str, Writer] = {"text": write_text, "md": write_markdown, "html": write_html}


class ExportError(Exception):
    """The export cannot be written as asked; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# -- JSON Lines -------------------------------------------------------------------------


def _json_escape_invisible(line: str) -> str:
    """A JSON text with every invisible or reordering character as a ``\\u`` escape
    (they can only sit inside strings there, so the JSON means the same)."""
    shown = escape_invisible(line)
    if shown == line:
        return line
    out = []
    for ch in line:
        if len(escape_invisible(ch)) == 1:
            out.append(ch)
            continue
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def json_line(record: Record) -> bytes:
    """One record as a line of JSON (UTF-8, invisible characters escaped)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return _json_escape_invisible(text).encode("utf-8", "backslashreplace") + b"\n"


def _masked(value: object, masker: Masker, key: str = "") -> object:
    if isinstance(value, str):
        if key == "x":
            try:
                return masker.mask_bytes(bytes.fromhex(value)).hex()
            except ValueError:
                return value
        return masker.mask(value)
    if isinstance(value, list):
        return [_masked(v, masker) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, masker, k) for k, v in value.items()}
    return value


def write_jsonl(report: Report, write: Callable[[bytes], None]) -> None:
    """The header and every readable record in the slice, one per line."""
    piece = report.summary.slice
    masker = report.masker
    records = checked_records(report.path, [])
    for index, record in enumerate(records):
        if index:
            seq = record.get("seq")
            t = record_time(record, report.origin)
            if not isinstance(seq, int) or not piece.contains(seq, t):
                if isinstance(seq, int) and piece.past(seq, t):
                    break
                continue
        write(json_line(_masked(record, masker) if masker else record))  # type: ignore[arg-type]


# -- the output ---------------------------------------------------------------------------


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _capture_files(log: str) -> list[os.stat_result]:
    """The capture's files: every part of its session (just ``log`` when it is
    no capture: the report says so)."""
    try:
        parts = capture_parts(log)
    except (CaptureError, OSError):
        parts = [Path(log)]
    found = [os.stat(log)]
    for part in parts:
        with contextlib.suppress(OSError):
            found.append(os.stat(part))
    return found


def check_output(log: str, output: str | None) -> None:
    """Refuse an output that is the capture (any of its parts), a symbolic link
    or a directory."""
    sources = _capture_files(log)
    if output is None:
        try:
            out = os.fstat(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            return
        if stat.S_ISREG(out.st_mode) and any(_same_file(out, s) for s in sources):
            raise ExportError(f"standard output is the capture {log} itself; not writing over it")
        return
    target = Path(output)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise ExportError(
            f"{output} is a symbolic link; qiterm does not write through one "
            "(remove it or choose another name)"
        )
    if stat.S_ISDIR(info.st_mode):
        raise ExportError(f"{output} is a directory; give a file name")
    if any(_same_file(info, s) for s in sources):
        raise ExportError(
            f"{output} is the capture {log} itself (or a part of it); choose another output name "
            "(the capture is left as it is)"
        )


class PrivateFile:
    """A new file beside ``target``, readable by its owner only (0600), created
    without following links; :meth:`commit` renames it over ``target``."""

    def __init__(self, target: str) -> None:
        self.target = Path(target)
        self.tmp = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.tmp, flags, 0o600)
        self.stream: BinaryIO = os.fdopen(fd, "wb", buffering=BUFFER)

    def commit(self) -> None:
        self.stream.close()
        os.chmod(self.tmp, 0o600)  # whatever the umask said
        os.replace(self.tmp, self.target)

    def discard(self) -> None:
        try:
            self.stream.close()
        except OSError:
            pass
        try:
            self.tmp.unlink()
        except OSError:
            pass


@dataclass(frozen=True)
class ExportRequest:
    log: str
    fmt: str = "html"
    output: str | None = None
    options: ReportOptions = field(default_factory=ReportOptions)


def run_export(request: ExportRequest, warn: Callable[[str], None]) -> None:
    """Export as asked (ExportError, CaptureError, ReportError or OSError when
    it cannot be done)."""
    if request.fmt not in FORMATS:
        raise ExportError(f"unknown format {request.fmt!r} (choose one of: {', '.join(FORMATS)})")
    check_output(request.log, request.output)
    options = request.options
    report = prepare(request.log, options, survey=request.fmt != "jsonl" or options.mask)
    for warning in report.summary.warnings:
        warn(f"warning: {request.log}: {warning}")
    try:
        if request.output is None:
            stream = getattr(sys.stdout, "buffer", None)
            sys.stdout.flush()
            _write(report, request.fmt, stream if stream is not None else _StrStream(sys.stdout))
            if stream is not None:
                stream.flush()
            return
        try:
            private = PrivateFile(request.output)
        except FileExistsError:
            raise ExportError(
                f"cannot write {request.output}: a leftover temporary file is in the way", 1
            ) from None
        try:
            _write(report, request.fmt, private.stream)
            private.commit()
        except BaseException:
            private.discard()
            raise
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.filename is not None and os.fspath(exc.filename) == request.log:
            raise  # reading the capture failed
        where = request.output or "standard output"
        raise ExportError(f"cannot write {where}: {exc.strerror or exc}", 1) from None


class _StrStream:
    """Bytes to a text stream (a standard output with no bytes buffer)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, data: bytes) -> int:
        self.target.write(data.decode("utf-8", "backslashreplace"))
        return len(data)


def _write(report: Report, fmt: str, stream: BinaryIO | _StrStream) -> None:
    def write(data: bytes) -> None:
        stream.write(data)

    if fmt == "jsonl":
        write_jsonl(report, write)
    else:
        WRITERS[fmt](report, lambda text: write(text.encode("utf-8", "backslashreplace")))


def report_string(
    log: str | os.PathLike[str], fmt: str = "text", options: ReportOptions | None = None
) -> str:
    """The export of ``log`` as one string (tests, small captures: a big one
    belongs in a file, written as it is read)."""
    options = options or ReportOptions()
    report = prepare(log, options, survey=fmt != "jsonl" or options.mask)
    pieces: list[str] = []
    if fmt == "jsonl":
        write_jsonl(report, lambda data: pieces.append(data.decode("utf-8")))
    else:
        WRITERS[fmt](report, pieces.append)
    return "".join(pieces)


def _error(message: str) -> None:
    print(f"qiterm export: {message}", file=sys.stderr)


def export_main(
    log: str,
    fmt: str = "html",
    output: str | None = None,
    *,
    keep_all: bool = False,
    mask: bool = False,
    start: str | None = None,
    stop: str | None = None,
) -> int:
    """``qiterm export LOG ...``; returns the exit code: 0 done, 1 the output
    could not be written, 2 bad input or a refused output."""
    options = ReportOptions(keep_all=keep_all, mask=mask, start=start, stop=stop)
    try:
        run_export(ExportRequest(log, fmt, output, options), _error)
    except ExportError as exc:
        _error(str(exc))
        return exc.code
    except (CaptureError, ReportError) as exc:
        _error(describe_error(exc))
        return 2
    except BrokenPipeError:
        # `qiterm export x | head`: the reader went away; not an error. Point
        # stdout at devnull so the interpreter's final flush stays quiet.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except OSError as exc:
        _error(describe_error(exc))
        return 2
    return 0


__all__ = [
    "FORMATS",
    "ExportError",
    "ExportRequest",
    "PrivateFile",
    "check_output",
    "export_main",
    "json_line",
    "report_string",
    "run_export",
    "write_jsonl",
]
