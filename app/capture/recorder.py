"""The session recorder: every link event, note and marker to a JSON Lines file.

:class:`CaptureRecorder` is the serial worker's ``Recorder``: ``record`` runs on
the worker thread for every event, in order, and writes and flushes one line
per record at once, so a frozen or killed UI loses nothing and a ``kill -9``
loses at most the line being written. Notes and markers come from the UI
thread; a lock keeps the file's lines whole and ``seq`` in file order.

A write that fails (a full disk: ENOSPC, a quota, an I/O error) never stops the
link: the record is counted as lost and :attr:`CaptureRecorder.problem` says so
(the console shows it in its header, and the exit says the capture is
incomplete). Writing is tried again with each record; the first that goes
through is preceded by a note saying how many records are missing, so the gap
is in the file itself.

**Parts.** With ``max_size`` the capture goes on in ``x.1.jsonl``, ``x.2.jsonl``...
(:func:`app.capture.format.part_path`) when the next line would take the file
past that size; each part opens with a header saying which part it is, and seq
goes on across them. A part that cannot be created is a failed write like a full
disk: the record is lost and counted, and the next record tries again.

**Polling.** ``polls`` says what is kept of the console's own polling (records
tagged ``poll`` or ``module``): ``"all"``; ``"changes"``, a poll (its command,
echo, answer and result) only when its answer differs from the previous poll of
the same command, so every change of state is in the file and an idle link does
not fill the disk; or ``"none"``. A poll is held until its result comes; any
other record arriving meanwhile writes it first, so the file keeps the order
things happened in. The header says which policy was used.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import __version__
from app.capture import format as fmt
from app.capture.format import Record
from app.config.files import create_private
from app.config.paths import capture_dir
from app.link.results import LinkEvent
from app.model.journal import POLL_TAGS

log = logging.getLogger(__name__)

Listener = Callable[[Record], None]
#: How many recent events :meth:`CaptureRecorder.seq_of` remembers.
SEQ_MEMORY = 50_000
#: What the recorder keeps of the polling (see the module's docstring).
POLL_POLICIES = ("changes", "all", "none")


@dataclass
class _Held:
    """One poll held until its result says whether it changed anything."""

    #: The command line sent (the tx record's bytes), the poll's identity.
    key: str
    #: (id of the link event, type, wall, monotonic, fields) in arrival order.
    records: list[tuple[int, str, float | None, float | None, Record]] = field(default_factory=list)
    #: Written before its result came (another record came in between).
    written: bool = False


def _answer(records: list[tuple[int, str, float | None, float | None, Record]]) -> Any:
    """What a poll's answer was, times and command ids left out: two polls with
    the same answer are the same state."""
    out: list[tuple[Any, ...]] = []
    for _, rtype, _, _, fields in records:
        if rtype == fmt.RX:
            out.append((fields.get("kind"), fields.get("role"), fields.get("d"), fields.get("x")))
        elif rtype == fmt.RESULT:
            out.append((fields.get("outcome"), fields.get("code"), fields.get("message")))
    return tuple(out)


def default_capture_path(now: datetime | None = None) -> Path:
    """``qiterm-YYYYMMDD-HHMMSS.jsonl`` in the user log directory (local time).

    When that name is taken (two sessions in the same second) a ``-2``, ``-3``...
    suffix keeps the earlier capture.
    """
    now = now or datetime.now()
    folder = capture_dir()
    stem = f"qiterm-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.jsonl"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.jsonl"
        n += 1
    return path


class CaptureRecorder:
    """Writes one session to ``path``, a new file, mode 0600 (app/config/files.py:
    never through a link, never over an existing file unless ``replace``; its
    folder must exist unless ``make_folder``). The header is written at once."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        url: str,
        baud: int,
        replace: bool = False,
        make_folder: bool = False,
        max_size: int | None = None,
        polls: str = "all",
    ) -> None:
        if polls not in POLL_POLICIES:
            raise ValueError(f"polls: expected one of {', '.join(POLL_POLICIES)}, got {polls!r}")
        #: The session's first file (its name names the session).
        self.path = Path(path)
        #: Every file written so far, the first one first.
        self.parts: list[Path] = [self.path]
        self.max_size = max_size or None
        self.polls = polls
        #: Polls left out (the same answer as the one before, or ``polls="none"``).
        self.polls_left_out = 0
        self._held: _Held | None = None
        self._last_answer: dict[str, Any] = {}
        self._folded: dict[str, int] = {}
        self._replace = replace
        self._part_bytes = 0
        self._part_records = 0
        #: Records written, to be given to the listeners once the lock is let go.
        self._outbox: list[Record] = []
        if make_folder:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.records_written = 0
        self.last_seq = -1
        self._url = url
        self._safe_url = fmt.redact_url(url)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._markers = 0
        self._seq = 0
        #: id(link event) -> its record's seq, for the most recent events, so the
        #: console can attach a note to the log line a person selected.
        self._seq_of: OrderedDict[int, int] = OrderedDict()
        self._closed = False
        #: A write failed part-way: the next line starts with a newline so the
        #: broken piece stays a line of its own and later records stay readable.
        self._broken_line = False
        #: Why records are not being written now (None while all is well).
        self.error: OSError | None = None
        #: Records not written since the capture began (each failed write).
        self.lost = 0
        #: Records lost in the current run of failures (noted in the file once it heals).
        self._gap = 0
        self._last_error: OSError | None = None
        self._file = os.fdopen(create_private(self.path, replace=replace), "wb", buffering=0)
        wall = time.time()
        started = datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")
        header: Record = {
            "format": fmt.FORMAT,
            "version": fmt.VERSION,
            "qiterm": __version__,
            "url": self._safe_url,
            "baud": baud,
            "started": started.replace("+00:00", "Z"),
            fmt.POLLS: polls,
        }
        if self.max_size:
            header[fmt.MAX_SIZE] = self.max_size
            # Names the session in every part (two sessions may start in the same ms).
            # What secrets.token_hex(8) returns, without importing secrets (it loads
            # hmac and hashlib, a few ms of the console's start).
            header[fmt.SESSION] = os.urandom(8).hex()
        self._header_fields = header
        try:
            with self._lock:
                self._write_locked(fmt.HEADER, header, wall, time.monotonic())
                self._outbox.clear()
                self._part_records = 0  # a part holds at least one record past its header
        except BaseException:
            self._file.close()
            raise
        #: The header record as written (readers that follow the capture live).
        self.header: Record = {"seq": 0, "type": fmt.HEADER, "t": fmt.to_us(wall), **header}

    # ------------------------------------------------------------------ API

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def problem(self) -> str:
        """What is wrong with the capture now, in a few words ("" while all is well)."""
        error = self.error
        if error is None:
            return ""
        why = error.strerror or str(error) or type(error).__name__
        lost = self._gap
        return f"not recording: {why} ({lost} record{'s' if lost != 1 else ''} lost)"

    @property
    def current_path(self) -> Path:
        """The file being written now (the last part)."""
        return self.parts[-1]

    def _where(self) -> str:
        """The capture's file, and its parts when it went on in more."""
        if len(self.parts) == 1:
            return str(self.path)
        return f"{self.path} and {len(self.parts) - 1} more part(s) up to {self.parts[-1].name}"

    def summary(self) -> str:
        """What to say about the capture when the session ends: the truth."""
        if self.complete:
            return f"session captured in {self._where()}"
        why = self.error or self._last_error
        reason = f" ({why.strerror or why})" if why is not None else ""
        still = "; writes were still failing at the end" if self.error is not None else ""
        return (
            f"the capture {self._where()} is INCOMPLETE: {self.lost} record(s) could not be "
            f"written{reason}{still}"
        )

    @property
    def complete(self) -> bool:
        """Every record was written (nothing lost to a failed write)."""
        return self.lost == 0

    def record(self, item: LinkEvent) -> None:
        """The worker's Recorder hook (worker thread). Ignored after close."""
        described = fmt.event_fields(item)
        if described is None:
            log.debug("not recorded: %r", item)
            return
        rtype, wall, mono, fields = described
        if "url" in fields:
            fields["url"] = self._safe_url
            if self._safe_url != self._url:
                fields["message"] = fields["message"].replace(self._url, self._safe_url)
        if self.polls != "all" and fields.get("tag") in POLL_TAGS and rtype != fmt.LINK:
            with self._lock:
                if not self._closed:
                    self._poll_locked(id(item), rtype, wall, mono, fields)
            self._drain()
            return
        with self._lock:
            if self._closed:
                return
            self._write_guarded(rtype, fields, wall, mono, item=id(item))
        self._drain()

    def _poll_locked(
        self, item: int, rtype: str, wall: float | None, mono: float | None, fields: Record
    ) -> None:
        """A record of the polling under the ``changes`` or ``none`` policy: held
        until the poll's result, then written or left out."""
        if self.polls == "none":
            if rtype == fmt.RESULT:
                self.polls_left_out += 1
            return
        entry = (item, rtype, wall, mono, fields)
        if rtype == fmt.TX:
            self._release_locked()  # a poll that never got its result: kept
            self._held = _Held(str(fields.get("d", fields.get("x", ""))), [entry])
            return
        held = self._held
        if held is None:  # a line of a poll already decided (late): kept
            self._write_guarded(rtype, fields, wall, mono, item=item)
            return
        held.records.append(entry)
        if held.written:  # written already (something came in between): goes on
            self._write_guarded(rtype, fields, wall, mono, item=item)
        if rtype != fmt.RESULT:
            return
        self._held = None
        answer = _answer(held.records)
        if held.written or self._last_answer.get(held.key) != answer:
            self._last_answer[held.key] = answer
            self._write_held(held)
            return
        self.polls_left_out += 1
        self._folded[held.key] = self._folded.get(held.key, 0) + 1

    def _release_locked(self) -> None:
        """Write the poll held now, before another record (the file keeps the
        order); the rest of its lines are written as they come."""
        if self._held is not None:
            self._write_held(self._held)

    def _write_held(self, held: _Held) -> None:
        """Write a held poll's records (once), the first saying how many polls of
        the same command with the same answer were left out before it."""
        if held.written:
            return
        held.written = True
        folded = self._folded.pop(held.key, 0)
        for index, (item, rtype, wall, mono, fields) in enumerate(held.records):
            if index == 0 and folded:
                fields = {**fields, "folded": folded}
            self._write_guarded(rtype, fields, wall, mono, item=item)

    def _remember(self, item: int, seq: int) -> None:
        self._seq_of[item] = seq
        if len(self._seq_of) > SEQ_MEMORY:
            self._seq_of.popitem(last=False)

    def seq_of(self, item: LinkEvent) -> int | None:
        """The seq of the record written for ``item`` (a recent, still-live event)."""
        with self._lock:
            return self._seq_of.get(id(item))

    def note(self, text: str, ref: int | None = None) -> int:
        """An annotation (optionally about record ``ref``); returns its seq."""
        fields: Record = {"text": text}
        if ref is not None:
            fields["ref"] = ref
        return self._write(fmt.NOTE, fields)

    def marker(self, text: str = "") -> int:
        """A numbered marker; returns its number (1, 2, 3... in this file)."""
        with self._lock:
            number = self._markers + 1
            fields: Record = {"n": number}
            if text:
                fields["text"] = text
            self._write_guarded(fmt.MARKER, fields, None, None)
            self._markers = number
        self._drain()
        return number

    def screenshot(self, path: str | os.PathLike[str]) -> int:
        """Note a saved screenshot file; returns the record's seq."""
        return self._write(fmt.SCREENSHOT, {"path": os.fspath(path)})

    def event(self, what: str, text: str) -> int:
        """One of qiterm's own events (an automatic answer fired, a cyclic send
        started or stopped, local echo switched): ``what`` names the kind, ``text``
        says it for a person. Returns the record's seq (-1 when not written)."""
        return self._write(fmt.EVENT, {"what": what, "text": text}, quiet_if_closed=True)

    def add_listener(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(record)`` after each record is written (on the writing
        thread: the worker's for link events). Returns a function that removes it.
        A listener that raises is logged and skipped; recording goes on."""
        with self._lock:
            self._listeners.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return remove

    def close(self) -> None:
        """Write a poll still held (its answer never came), then close the file."""
        with self._lock:
            if self._closed:
                return
            self._release_locked()
            self._closed = True
            self._file.close()
        self._drain()

    def __enter__(self) -> CaptureRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CaptureRecorder({str(self.path)!r}, records={self.records_written})"

    # ------------------------------------------------------------ internals

    def _write(
        self,
        rtype: str,
        fields: Record,
        wall: float | None = None,
        mono: float | None = None,
        *,
        quiet_if_closed: bool = False,
    ) -> int:
        with self._lock:
            if self._closed and quiet_if_closed:
                return -1
            record = self._write_guarded(rtype, fields, wall, mono)
        self._drain()
        return -1 if record is None else int(record["seq"])

    def _write_guarded(
        self,
        rtype: str,
        fields: Record,
        wall: float | None,
        mono: float | None,
        *,
        item: int | None = None,
    ) -> Record | None:
        """Write one record (a poll held first, so the file keeps the order);
        a failed write is counted and kept in :attr:`error` (None returned).
        After failures, the first write that works is preceded by a note with
        the number of records missing. ``item``: the link event's id, for
        :meth:`seq_of`. Written records wait in the outbox for :meth:`_drain`."""
        if self._held is not None and not self._held.written:
            self._release_locked()
        try:
            if self.error is not None:
                why = self.error.strerror or str(self.error)
                gap = self._gap
                self._write_locked(
                    fmt.NOTE,
                    {
                        "text": f"capture: {gap} record{'s' if gap != 1 else ''} missing here "
                        f"(not written: {why})"
                    },
                    None,
                    None,
                )
                log.warning("capture %s writes again after %d lost records", self.path, gap)
                self.error, self._gap = None, 0
            record = self._write_locked(rtype, fields, wall, mono)
        except OSError as exc:
            if self.error is None:
                log.error("capture %s: write failed: %s", self.path, exc)
            self.error = self._last_error = exc
            self._gap += 1
            self.lost += 1
            return None
        if item is not None:
            self._remember(item, int(record["seq"]))
        return record

    def _write_locked(
        self, rtype: str, fields: Record, wall: float | None, mono: float | None
    ) -> Record:
        if self._closed:
            raise ValueError(f"the capture {self.path} is closed")
        record: Record = {
            "seq": self._seq,
            "type": rtype,
            "t": fmt.to_us(time.time() if wall is None else wall),
            "m": fmt.to_us(time.monotonic() if mono is None else mono),
        }
        record.update(fields)
        line = fmt.encode_line(record)
        if (
            self.max_size is not None
            and self._part_records
            and self._part_bytes + len(line) > self.max_size
        ):
            self._next_part()  # its header takes this seq: the record gets the next
            record["seq"] = self._seq
            line = fmt.encode_line(record)
        if self._broken_line:
            line = b"\n" + line
        view = memoryview(line)
        try:
            # Normally one write() of the whole line: the file is unbuffered, so
            # the bytes are in the OS at once (no fsync: a killed process loses
            # nothing the OS already has).
            while view:
                written = self._file.write(view)
                if written is None:  # pragma: no cover - non-blocking files only
                    raise BlockingIOError("capture file not ready")
                view = view[written:]
        except OSError:
            if len(view) != len(line):  # part of the line reached the file
                self._broken_line = True
            raise
        self._broken_line = False
        self._seq += 1
        self.last_seq = record["seq"]
        self.records_written += 1
        self._part_bytes += len(line)
        self._part_records += 1
        self._outbox.append(record)
        return record

    def _next_part(self) -> None:
        """Go on in the next numbered file, opened with a header saying which
        part of the session it is (it takes the next seq). OSError when it cannot
        be created or its header cannot be written: the file is not switched (a
        half-made part is removed, so the next record tries again afresh)."""
        number = len(self.parts)
        path = fmt.part_path(self.path, number)
        fd = create_private(path, replace=self._replace)
        new = os.fdopen(fd, "wb", buffering=0)
        now = time.time()
        header: Record = {
            "seq": self._seq,
            "type": fmt.HEADER,
            "t": fmt.to_us(now),
            "m": fmt.to_us(time.monotonic()),
            **self._header_fields,
            fmt.PART: number,
        }
        line = fmt.encode_line(header)
        try:
            if new.write(line) != len(line):
                raise OSError(errno.EIO, "the part's header was cut short", str(path))
        except OSError:
            new.close()
            path.unlink(missing_ok=True)
            raise
        self._file.close()
        self._file = new
        self.parts.append(path)
        self._broken_line = False
        self._seq += 1
        self.records_written += 1
        self._part_bytes, self._part_records = len(line), 0
        log.info("capture goes on in %s", path)

    def _drain(self) -> None:
        """Give the records written to the listeners (outside the lock: a
        listener may take its time or write a record of its own)."""
        with self._lock:
            records, self._outbox = self._outbox, []
            listeners = list(self._listeners)
        for record in records:
            for listener in listeners:
                try:
                    listener(record)
                except Exception:  # a listener must not stop recording
                    log.exception("capture listener failed")


def capture_open_error(path: Path, exc: OSError) -> str:
    """Why the capture ``path`` could not be created, and what to do about it."""
    if isinstance(exc, FileExistsError):
        return f"the capture {path} exists already; nothing was overwritten (--force replaces it)"
    if isinstance(exc, FileNotFoundError):
        return f"cannot write the capture {path}: the folder {path.parent} does not exist"
    if exc.errno == errno.ELOOP:
        return f"cannot write the capture {path}: it is a symbolic link (not followed)"
    return f"cannot write the capture {path}: {exc.strerror or exc}"


__all__ = ["POLL_POLICIES", "CaptureRecorder", "capture_open_error", "default_capture_path"]
