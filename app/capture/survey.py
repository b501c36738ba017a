"""The report's first pass: what a reader asks first, read from a capture as a stream.

:func:`survey` reads the capture once, record by record (never the whole file
in memory), replays it (:class:`~app.capture.replay.Replayer`) and gathers the
:class:`Summary` the report's header shows: the module and its firmware, the
port, when and how long, the commands by who asked, the bytes both ways, the
sockets with their peers (from the :mod:`~app.capture.timeline`), the errors
with their decoded result codes (chapter 3, Table 2), the ping, NTP and DNS
results, the notes and markers (the table of contents), and what the report
folds. It also learns the identifiers ``--mask`` hides (:mod:`~app.capture.mask`).

``--from``/``--to`` (:func:`parse_bound`, :func:`resolve_slice`) pick a part of
the capture: a marker (its number, or words of its text), a time since the
start (``+90``, ``+1:30``, ``+2m``), a clock time (``14:03:20``, local time, as
the console shows it) or a date and time (``2026-12-02T07:04:18Z``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.capture import format as fmt
from app.capture.format import Record
from app.capture.mask import Masker
from app.capture.reader import iter_numbered
from app.capture.replay import Replayer, clean_text, initial_state
from app.capture.timeline import GAP_S, Timeline, TimelineBuilder
from app.link.results import (
    CommandFinished,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Rx,
)
from app.model.details import about_the_module
from app.model.module_view import summary_rows
from app.model.render import escape_invisible
from app.protocol import events as ev
from app.protocol.codes import describe

#: The most rows the errors and the ping/NTP/DNS tables list (the transcript has all).
TABLE_ROWS = 1_000
#: Tags whose lines the report folds unless ``--all``: what each is called.
#: The console's own commands (its polling, start-up reading and re-synchronisation),
#: folded in a report unless --all.
FOLDED_TAGS = {
    "poll": "polling",
    "init": "start-up queries",
    "sync": "re-synchronisation",
    "module": "Module pane reads",
}
#: Folded tags the header names only when the capture has some.
SOMETIMES_TAGS = frozenset({"sync", "module"})


# -- reading ----------------------------------------------------------------------------


def _bad_bytes(record: Record) -> str:
    """Why an rx/tx record's bytes cannot be read ("" when they can)."""
    if record.get("type") not in (fmt.RX, fmt.TX):
        return ""
    if "x" in record:
        digits = record["x"]
        if not isinstance(digits, str):
            return 'its "x" field is not a string of hex digits'
        try:
            bytes.fromhex(digits)
        except ValueError:
            return f'its "x" field is not hex ({shown(digits[:20])})'
    elif "d" in record and not isinstance(record["d"], str):
        return 'its "d" field is not text'
    return ""


def checked_records(path: str | os.PathLike[str], warnings: list[str]) -> Iterator[Record]:
    """The capture's records, header first, streamed. A line that is not a
    record, or a record whose bytes cannot be read (``"x":"zz"``), is skipped
    with a warning naming its line (``warnings`` gets them once the file is read)."""
    problems: list[str] = []
    skipped: list[tuple[tuple[int, int], str]] = []
    parts: dict[str, int] = {}  # a part's file name -> its index, to sort the problems
    for where, record in iter_numbered(path, problems=problems):
        if where.part:
            parts.setdefault(where.name, where.part)
        why = _bad_bytes(record)
        if why:
            skipped.append(((where.part, where.number), f"{where}: {why}; record skipped"))
            continue
        yield record
    for problem in problems:
        number = re.match(r"(?:(.+) )?line (\d+): (.*)", problem)
        if number is None:
            skipped.append(((0, 0), problem))
            continue
        key = (parts.get(number.group(1) or "", 0), int(number.group(2)))
        if number.group(3) == "torn":
            line = problem[: problem.index(": torn")]
            skipped.append((key, f"{line}: cut off (qiterm stopped while writing it); skipped"))
        else:
            skipped.append((key, f"{problem}; line skipped"))
    warnings.extend(text for _, text in sorted(skipped))


def shown(text: object) -> str:
    """Free text from a capture as one safe line (controls, bidi and other
    invisible characters escaped)."""
    return escape_invisible(clean_text(text if isinstance(text, str) else str(text)))


def record_time(record: Record, origin: float) -> float | None:
    """A record's time in seconds since ``origin`` (None when it has none)."""
    t = record.get("t")
    return t / 1_000_000 - origin if isinstance(t, int) and not isinstance(t, bool) else None


# -- slices -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One end of ``--from``/``--to``: a marker (``number`` or ``words``), or a
    time (``offset`` seconds since the start, or ``clock``/``when`` wall time)."""

    spec: str
    number: int | None = None
    words: str | None = None
    offset: float | None = None
    clock: tuple[int, int, float] | None = None
    when: datetime | None = None


_OFFSET = re.compile(
    r"^\+(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$|^\+(?:(\d+(?:\.\d*)?)h)?(?:(\d+(?:\.\d*)?)m)?"
    r"(?:(\d+(?:\.\d*)?)s)?$"
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")


def parse_bound(spec: str) -> Bound:
    """Read a ``--from``/``--to`` value; ValueError says what is expected."""
    text = spec.strip()
    if not text:
        raise ValueError("empty value")
    if text.isdigit():
        return Bound(spec, number=int(text))
    if text.startswith("+"):
        m = _OFFSET.match(text)
        if m is None or text == "+":
            raise ValueError(
                f"{spec!r}: a time since the start is +SECONDS, +M:SS, +H:MM:SS or +1h2m3s"
            )
        if m.group(3) is not None:
            hours, minutes = int(m.group(1) or 0), int(m.group(2) or 0)
            seconds = hours * 3600 + minutes * 60 + float(m.group(3))
        else:
            h, mi, s = (float(g) if g else 0.0 for g in m.group(4, 5, 6))
            seconds = h * 3600 + mi * 60 + s
        return Bound(spec, offset=seconds)
    clock = _CLOCK.match(text)
    if clock is not None:
        hours, minutes = int(clock.group(1)), int(clock.group(2))
        seconds = float(clock.group(3) or 0)
        if hours > 23 or minutes > 59 or seconds >= 60:
            raise ValueError(f"{spec!r}: not a time of day")
        return Bound(spec, clock=(hours, minutes, seconds))
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text):
        try:
            return Bound(spec, when=datetime.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{spec!r}: not an ISO 8601 date and time") from None
    return Bound(spec, words=text)


@dataclass(frozen=True)
class MarkerInfo:
    n: int
    text: str
    seq: int
    t: float


@dataclass
class Slice:
    """The records to export: seq from ``start_seq`` (inclusive) to ``stop_seq``
    (exclusive), times from ``start_t`` to ``stop_t`` (inclusive), seconds since
    the start. Unbounded ends are None."""

    start_seq: int | None = None
    stop_seq: int | None = None
    start_t: float | None = None
    stop_t: float | None = None
    label: str = ""

    @property
    def whole(self) -> bool:
        return not self.label

    def contains(self, seq: int, t: float | None) -> bool:
        if self.start_seq is not None and seq < self.start_seq:
            return False
        if self.stop_seq is not None and seq >= self.stop_seq:
            return False
        if t is not None:
            if self.start_t is not None and t < self.start_t:
                return False
            if self.stop_t is not None and t > self.stop_t:
                return False
        return True

    def past(self, seq: int, t: float | None) -> bool:
        """The slice ended before this record (nothing after it is in it)."""
        if self.stop_seq is not None and seq >= self.stop_seq:
            return True
        return self.stop_t is not None and t is not None and t > self.stop_t


def needs_markers(*bounds: Bound | None) -> bool:
    return any(b is not None and (b.number is not None or b.words) for b in bounds)


def scan_markers(path: str | os.PathLike[str]) -> tuple[Record, list[MarkerInfo]]:
    """The header and every marker of a capture (a quick pass: markers only)."""
    markers: list[MarkerInfo] = []
    records = iter_numbered(path)
    _, header = next(records)
    origin = record_time(header, 0.0) or 0.0
    for _, record in records:
        if record.get("type") == fmt.MARKER:
            n = record.get("n")
            text = record.get("text")
            markers.append(
                MarkerInfo(
                    n if isinstance(n, int) else 0,
                    text if isinstance(text, str) else "",
                    int(record["seq"]),
                    record_time(record, origin) or 0.0,
                )
            )
    return header, markers


def _marker(bound: Bound, markers: list[MarkerInfo], after: int | None = None) -> MarkerInfo:
    """The marker ``bound`` names: by number, or the marker whose text is the
    words, else the first whose text holds them (for ``--to``, the first such
    after the start)."""
    if bound.number is not None:
        found = next((m for m in markers if m.n == bound.number), None)
    else:
        words = (bound.words or "").casefold()
        later = [m for m in markers if after is None or m.seq > after]
        found = (
            next((m for m in later if m.text.casefold() == words), None)
            or next((m for m in later if words in m.text.casefold()), None)
            or next((m for m in markers if m.text.casefold() == words), None)
            or next((m for m in markers if words in m.text.casefold()), None)
        )
    if found is None:
        have = ", ".join(f"{m.n}" + (f" ({m.text})" if m.text else "") for m in markers)
        what = f"marker {bound.number}" if bound.number is not None else f"marker {bound.words!r}"
        raise ValueError(
            f"no {what} in the capture" + (f" (it has: {have})" if have else " (it has no markers)")
        )
    return found


def _time(bound: Bound, origin: float) -> float:
    """A time bound in seconds since ``origin`` (the capture's start, Unix time)."""
    if bound.offset is not None:
        return bound.offset
    if bound.when is not None:
        when = bound.when
        stamp = when.timestamp()  # naive: local time, as the console's clock shows it
        return stamp - origin
    assert bound.clock is not None
    hours, minutes, seconds = bound.clock
    start = datetime.fromtimestamp(origin)
    at = start.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    at += timedelta(seconds=seconds)
    if at.timestamp() < origin - 1:
        at += timedelta(days=1)  # a clock time before the start: the next day
    return at.timestamp() - origin


def resolve_slice(
    start: Bound | None, stop: Bound | None, origin: float, markers: list[MarkerInfo]
) -> Slice:
    """The slice ``--from start --to stop`` names (ValueError when a marker is
    missing or the slice is empty)."""
    piece = Slice()
    words: list[str] = []
    if start is not None:
        if start.number is not None or start.words:
            m = _marker(start, markers)
            piece.start_seq = m.seq
            words.append(f"from marker {m.n}" + (f" ({m.text})" if m.text else ""))
        else:
            piece.start_t = _time(start, origin)
            words.append(f"from {start.spec}")
    if stop is not None:
        if stop.number is not None or stop.words:
            m = _marker(stop, markers, after=piece.start_seq)
            piece.stop_seq = m.seq
            words.append(f"to marker {m.n}" + (f" ({m.text})" if m.text else ""))
        else:
            piece.stop_t = _time(stop, origin)
            words.append(f"to {stop.spec}")
    if (
        piece.start_seq is not None
        and piece.stop_seq is not None
        and piece.stop_seq <= piece.start_seq
    ) or (piece.start_t is not None and piece.stop_t is not None and piece.stop_t < piece.start_t):
        raise ValueError(f"the slice {' '.join(words)} is empty: its end comes before its start")
    piece.label = " ".join(words)
    return piece


# -- the summary ------------------------------------------------------------------------


@dataclass
class Section:
    """A note (level 2) or a marker (level 1): a heading, an anchor, a TOC entry."""

    anchor: str
    level: int
    title: str
    t: float
    seq: int


@dataclass
class ErrorRow:
    t: float
    what: str
    answer: str
    meaning: str = ""
    tag: str = ""


@dataclass
class ServiceRow:
    """One ping, NTP or DNS exchange: what was asked and what came back."""

    t: float
    service: str
    target: str
    answer: str
    ok: bool


@dataclass
class Summary:
    path: str
    header: Record
    origin: float
    slice: Slice
    identity: str = ""
    revision: str = ""
    #: Seconds since the origin of the first and last record exported.
    first_t: float | None = None
    last_t: float | None = None
    records: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    wire_sent: int = 0
    wire_received: int = 0
    #: The first :data:`TABLE_ROWS` errors and ping/NTP/DNS results; the counts
    #: are of them all.
    errors: list[ErrorRow] = field(default_factory=list)
    services: list[ServiceRow] = field(default_factory=list)
    error_count: int = 0
    service_count: int = 0
    sections: list[Section] = field(default_factory=list)
    notes: int = 0
    markers: int = 0
    #: Lines and commands the report folds, by tag.
    folded_lines: Counter[str] = field(default_factory=Counter)
    folded_commands: Counter[str] = field(default_factory=Counter)
    folded_names: dict[str, list[str]] = field(default_factory=dict)
    #: Polls the recorder itself left out (the same answer as the poll before:
    #: the tx records' ``folded`` counts), under its ``changes`` policy.
    polls_not_recorded: int = 0
    #: Records that notes refer to (their lines get anchors).
    refs: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    module_ip: str = ""
    imei: str = ""
    timeline: Timeline = field(default_factory=Timeline)
    #: The Module pane's summary at the end of the capture (or slice): rows of
    #: (label, words) for registration, signal and power saving, as read.
    module: list[tuple[str, str]] = field(default_factory=list)

    @property
    def duration(self) -> float:
        if self.first_t is None or self.last_t is None:
            return 0.0
        return max(0.0, self.last_t - self.first_t)


def _outcome_answer(item: CommandFinished) -> tuple[str, str]:
    """(what the module answered, the result code's meaning) for a failed command."""
    result = item.result
    code = result.result_code
    meaning = describe(code) if code is not None and code != 0 else ""
    for event in reversed(result.deferred):
        if getattr(event, "result", 0) or getattr(event, "finresult", 0):
            return event.text, meaning
    if result.outcome is Outcome.OK:
        return (result.final.text if result.final is not None else "OK"), meaning
    if result.final is not None and result.outcome in (Outcome.ERROR, Outcome.SEND_FAIL):
        return result.final.text, meaning
    words = {
        Outcome.TIMEOUT: "no final result in time",
        Outcome.DEFERRED_TIMEOUT: "OK, but the deferred result never came",
        Outcome.CANCELLED: "data mode cancelled (Esc)",
        Outcome.LINK_LOST: "the link went away",
        Outcome.REBOOTED: "the module rebooted (RDY)",
        Outcome.NOT_SENT: "not sent",
    }
    return words.get(result.outcome, result.outcome.value), meaning


def _service(item: CommandFinished, t: float) -> ServiceRow | None:
    """A ping, NTP or DNS result, when the command was one (§2.3.5-§2.3.7)."""
    result = item.result
    cmd = result.command
    v = cmd.values
    code = result.result_code
    failed = result.outcome is not Outcome.OK or (code is not None and code != 0)
    why = describe(code) if code not in (None, 0) else ""
    if cmd.key == "qping.write":
        target = str(v.get("host", "?"))
        summary = next((e for e in result.deferred if isinstance(e, ev.QPingSummary)), None)
        replies = [e for e in result.deferred if isinstance(e, ev.QPingReply) and e.result == 0]
        if summary is not None and summary.finresult == 0:
            answer = (
                f"{summary.sent} sent, {summary.rcvd} received, {summary.lost} lost; "
                f"round trip min {summary.min} / avg {summary.avg} / max {summary.max} ms"
            )
        elif replies:
            answer = f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'}"
        else:
            answer = why or _outcome_answer(item)[0]
        return ServiceRow(t, "ping", target, answer, not failed)
    if cmd.key == "qntp.write":
        target = str(v.get("server", "?"))
        if v.get("port") is not None:
            target += f":{v.get('port')}"
        ntp = next((e for e in result.deferred if isinstance(e, ev.QNtpResult)), None)
        if ntp is not None and ntp.result == 0:
            answer = f"time {ntp.time}"
        else:
            answer = why or _outcome_answer(item)[0]
        return ServiceRow(t, "NTP", target, answer, not failed)
    if cmd.key == "qidnsgip.write":
        target = str(v.get("hostname", "?"))
        addresses = [e.address for e in result.deferred if isinstance(e, ev.QiDnsGipAddress)]
        if addresses and not failed:
            answer = ", ".join(addresses)
        else:
            answer = why or _outcome_answer(item)[0]
        return ServiceRow(t, "DNS", target, answer, not failed)
    return None


class Surveyor:
    """The first pass, one record at a time (:meth:`feed`)."""

    def __init__(
        self,
        path: str,
        header: Record,
        piece: Slice,
        *,
        keep_all: bool = False,
        masker: Masker | None = None,
        gap_s: float = GAP_S,
    ) -> None:
        origin = record_time(header, 0.0) or 0.0
        self.summary = Summary(path, header, origin, piece)
        self.keep_all = keep_all
        self.masker = masker
        self.replayer = Replayer()
        #: The module as the console saw it, up to the end of the slice.
        self.state = initial_state(header)
        self.timeline = TimelineBuilder(origin, gap_s)
        if piece.whole:  # the whole capture: from its header on
            self.summary.first_t = 0.0
            self.timeline.span(0.0)

    def feed(self, record: Record) -> None:
        s = self.summary
        rtype = record.get("type")
        seq = record.get("seq")
        t = record_time(record, s.origin)
        steps = self.replayer.steps(record)
        if self.masker is not None:
            for step in steps:
                if step.event is not None:
                    self.masker.learn_event(step.event)
                for entry in step.entries:
                    self.masker.scan(entry.text)
        if isinstance(seq, int) and not s.slice.past(seq, t):
            for step in steps:
                if step.event is not None and about_the_module(step.event):
                    self.state.apply(step.event)
        for step in steps:
            if isinstance(step.event, ModuleIdentity) and not s.identity:
                s.identity, s.revision = step.event.identity, step.event.revision
            if isinstance(step.event, Rx) and isinstance(
                step.event.event, ev.PdpAddress | ev.IpAddress
            ):
                s.module_ip = step.event.event.address or s.module_ip
            if isinstance(step.event, CommandFinished) and step.event.result.command.name in (
                "+CGSN",
                "+GSN",
            ):
                for line in step.event.result.lines:
                    # +CGSN: <IMEI> (AT+CGSN=1), or the bare number (AT+CGSN, AT+GSN).
                    words = line.text.replace("+CGSN:", " ").split()
                    if len(words) == 1:
                        s.imei = words[0]
        if not isinstance(seq, int) or not s.slice.contains(seq, t):
            return
        if t is not None:
            s.first_t = t if s.first_t is None else s.first_t
            s.last_t = t
            self.timeline.span(t)
        s.records += 1
        tag = record.get("tag")
        folded = isinstance(tag, str) and tag in FOLDED_TAGS and not self.keep_all
        if rtype == fmt.TX:
            size = len(fmt.decode_bytes(record))
            s.wire_sent += size
            left_out = record.get("folded")
            if isinstance(left_out, int) and not isinstance(left_out, bool):
                s.polls_not_recorded += left_out
            if record.get("what") == "command":
                s.commands[tag if isinstance(tag, str) else "other"] += 1
                if folded:
                    assert isinstance(tag, str)
                    s.folded_commands[tag] += 1
                    names = s.folded_names.setdefault(tag, [])
                    name = shown(fmt.decode_bytes(record).decode("utf-8", "replace").strip())
                    if name not in names and len(names) < 8:
                        names.append(name)
        elif rtype == fmt.RX:
            s.wire_received += len(fmt.decode_bytes(record))
        elif rtype == fmt.NOTE:
            s.notes += 1
            ref = record.get("ref")
            if isinstance(ref, int):
                s.refs.add(ref)
            s.sections.append(
                Section(f"note-{seq}", 2, shown(record.get("text", "")), t or 0.0, seq)
            )
        elif rtype == fmt.MARKER:
            s.markers += 1
            n = record.get("n")
            title = f"marker {n if isinstance(n, int) else '?'}"
            if record.get("text"):
                title += f": {shown(record.get('text'))}"
            anchor = f"marker-{n}" if isinstance(n, int) else f"marker-s{seq}"
            s.sections.append(Section(anchor, 1, title, t or 0.0, seq))
        for step in steps:
            if folded:
                assert isinstance(tag, str)
                s.folded_lines[tag] += len(step.entries)
            if step.event is not None and t is not None:
                self.timeline.feed(step.event, t)
            self._errors(step.event, t or 0.0, tag if isinstance(tag, str) else "")

    def _errors(self, item: object, t: float, tag: str) -> None:
        s = self.summary
        if isinstance(item, CommandFinished):
            service = _service(item, t)
            if service is not None:
                s.service_count += 1
                if len(s.services) < TABLE_ROWS:
                    s.services.append(service)
            result = item.result
            if result.ok or result.outcome in (Outcome.NOT_SENT, Outcome.CANCELLED):
                return
            answer, meaning = _outcome_answer(item)
            self._error(ErrorRow(t, shown(result.command.line), answer, meaning, tag))
        elif isinstance(item, ModuleRebooted):
            self._error(ErrorRow(t, "module rebooted", "RDY", "every socket closed"))
        elif isinstance(item, LinkStatus) and item.state is LinkState.DISCONNECTED:
            self._error(ErrorRow(t, "link lost", shown(item.message)))

    def _error(self, row: ErrorRow) -> None:
        s = self.summary
        s.error_count += 1
        if len(s.errors) < TABLE_ROWS:
            s.errors.append(row)

    def finish(self) -> Summary:
        self.summary.timeline = self.timeline.finish()
        self.summary.module = summary_rows(self.state)
        return self.summary


def read_timeline(path: str | os.PathLike[str], gap_s: float = GAP_S) -> Timeline:
    """The socket timeline of a whole capture, read as a stream (the console's
    and the viewer's timeline screen; unreadable records are skipped)."""
    records = checked_records(path, [])
    header = next(records)
    origin = record_time(header, 0.0) or 0.0
    builder = TimelineBuilder(origin, gap_s)
    builder.span(0.0)
    replayer = Replayer()
    for record in records:
        t = record_time(record, origin)
        steps = replayer.steps(record)
        if t is None:
            continue
        builder.span(t)
        for step in steps:
            if step.event is not None:
                builder.feed(step.event, t)
    return builder.finish()


__all__ = [
    "FOLDED_TAGS",
    "Bound",
    "ErrorRow",
    "MarkerInfo",
    "Section",
    "ServiceRow",
    "Slice",
    "Summary",
    "Surveyor",
    "checked_records",
    "needs_markers",
    "parse_bound",
    "read_timeline",
    "record_time",
    "resolve_slice",
    "scan_markers",
    "shown",
]
