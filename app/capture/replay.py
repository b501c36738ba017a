"""Capture records -> link events and log entries again, for ``qiterm view``.

The recorder writes one record per link event (see :mod:`app.capture.format`);
this turns each record back into the event it stood for, so the viewer can
feed the same :class:`~app.model.journal.Journal` and :class:`~app.model.state.ModuleState`
the live console feeds:

* ``rx`` -> :class:`Rx`: the record's bytes are one frame; they are framed and
  parsed again with a fresh :class:`~app.protocol.StreamDecoder`.
* ``tx``, ``link``, ``datamode``, ``dataformat``, ``reboot``, ``identity`` ->
  :class:`Tx`, :class:`LinkStatus`, ... field for field.
* ``result`` -> :class:`CommandFinished`: the command line is classified again
  and the solicited lines, final result and deferred results are gathered from
  the ``rx`` records carrying the same command id, so the socket rules of
  ModuleState (QISTATE answers, SEND OK counts, CLOSE OK) see what they saw
  live. The recorded message is kept as it was.
* ``note``, ``marker``, ``screenshot``, ``event`` -> journal entries only (no event).

Pure: no I/O, no Textual. A record this module does not know, or one with odd
fields, is skipped or read with defaults; it never raises.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import TypeVar

import msgspec

from app.capture import format as fmt
from app.capture.format import Record, decode_bytes
from app.link.results import (
    CommandFinished,
    CommandResult,
    DataFormatChanged,
    DataModeChanged,
    LinkEvent,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.model.journal import Category, LogEntry, entries_for
from app.model.state import ModuleState
from app.protocol import StreamDecoder
from app.protocol import events as ev
from app.protocol.commands import AtCommand, classify
from app.protocol.syntax import AtSyntaxError, Form
from app.protocol.text import escape_bytes

E = TypeVar("E", bound=Enum)

#: How many recent records' wall times are kept to describe a note's ``ref``.
REF_MEMORY = 50_000
#: Command ids whose rx lines are kept while waiting for their ``result`` record.
PENDING_MEMORY = 1_000


@dataclass(slots=True)
class Step:
    """What one capture record stands for. An ``rx`` record normally gives one
    step; a record whose bytes frame as several lines gives one step per line,
    all with the record's ``seq``."""

    seq: int
    rtype: str
    event: LinkEvent | None
    entries: list[LogEntry]


@dataclass
class ReplayedResult(CommandResult):
    """A command's result rebuilt from a capture: everything ModuleState reads,
    and the message exactly as it was recorded."""

    recorded_message: str = ""

    @property
    def message(self) -> str:
        return self.recorded_message or super().message


@dataclass
class _Gathered:
    """The rx lines of one command id, waiting for its ``result`` record."""

    lines: list[ev.Event] = field(default_factory=list)
    final: ev.Event | None = None
    deferred: list[ev.Event] = field(default_factory=list)


def _enum(kind: type[E], value: object, default: E) -> E:
    try:
        return kind(value)
    except ValueError:
        return default


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _tag(record: Record) -> str | None:
    """Who asked for the command ("user", "poll"...), when the record says."""
    tag = record.get("tag")
    return tag if isinstance(tag, str) else None


def _bytes(record: Record) -> bytes:
    """An rx/tx record's bytes; none when its ``x`` is not hex."""
    try:
        return decode_bytes(record)
    except ValueError:
        return b""


def clean_text(text: str) -> str:
    """Free text from a capture (notes, markers) as one safe display line."""
    parts = text.encode("utf-8", "surrogatepass").splitlines() or [b""]
    return " ⏎ ".join(escape_bytes(p, show_line_endings=False) for p in parts)


@lru_cache(maxsize=4096)
def command_of(line: str) -> AtCommand:
    """The command a ``result`` record names, classified as the engine did;
    a line that is not an AT command at all still gets a bare description.
    Remembered per line (a capture repeats its polling command thousands of
    times); the description is shared, so callers only read it."""
    try:
        return classify(line)
    except AtSyntaxError as exc:
        return AtCommand(line=clean_text(line), name="", form=Form.EXECUTE, problem=str(exc))


class Replayer:
    """Turns capture records into :class:`Step` s, one record at a time, in file
    order. It keeps what it needs across records: the recv dataformat (for
    payload display), whether the last frame was the ``>`` prompt, and the rx
    lines of commands not finished yet."""

    def __init__(self) -> None:
        self.recv_hex = False
        self._after_prompt = False
        self._gathered: OrderedDict[int, _Gathered] = OrderedDict()
        self._walls: OrderedDict[int, float] = OrderedDict()
        self._previous_seq: int | None = None
        self._wall = 0.0
        self._mono = 0.0

    def copy(self) -> Replayer:
        """An independent copy to replay on from here. It starts with no memory
        of earlier records' times (which only word the notes' ``ref``)."""
        twin = Replayer()
        twin.recv_hex = self.recv_hex
        twin._after_prompt = self._after_prompt
        twin._gathered = copy.deepcopy(self._gathered)
        twin._previous_seq = self._previous_seq
        twin._wall, twin._mono = self._wall, self._mono
        return twin

    def steps(self, record: Record) -> list[Step]:
        """The steps of one record (none for the header and unknown types)."""
        rtype = record.get("type")
        seq = _int(record.get("seq"))
        if not isinstance(rtype, str) or seq is None or rtype == fmt.HEADER:
            return []
        t, m = _int(record.get("t")), _int(record.get("m"))
        if t is not None:
            self._wall = t / 1_000_000
        if m is not None:
            self._mono = m / 1_000_000
        previous, self._previous_seq = self._previous_seq, seq
        self._walls[seq] = self._wall
        if len(self._walls) > REF_MEMORY:
            self._walls.popitem(last=False)
        if rtype in (fmt.NOTE, fmt.MARKER, fmt.SCREENSHOT):
            return [Step(seq, rtype, None, [self._annotation(record, rtype, seq, previous)])]
        if rtype == fmt.EVENT:
            text = clean_text(_str(record.get("text"))) or _str(record.get("what"))
            return [
                Step(
                    seq,
                    rtype,
                    None,
                    [LogEntry(self._wall, "app", Category.APP, text, capture_seq=seq)],
                )
            ]
        if rtype == fmt.RX:
            events: list[LinkEvent] = list(self._rx(record))
        else:
            event = self._event(record, rtype)
            events = [] if event is None else [event]
        steps: list[Step] = []
        for item in events:
            entries = entries_for(item, self.recv_hex)
            for entry in entries:
                # entries_for stamps events without a time of their own with "now".
                entry.wall = self._wall
                entry.capture_seq = seq
            if isinstance(item, DataFormatChanged):
                self.recv_hex = item.recv_hex
            steps.append(Step(seq, rtype, item, entries))
        return steps

    # -- rx ----------------------------------------------------------------------

    def _rx(self, record: Record) -> list[Rx]:
        raw = _bytes(record)
        decoder = StreamDecoder()
        if self._after_prompt:
            # The space of "> " opens the next frame: let a fresh framer know a
            # prompt came just before, as the live one did.
            decoder.feed(b">")
        events = decoder.feed(raw) + decoder.flush()
        if not events:
            return []
        flags = record.get("flags")
        if isinstance(flags, list) and len(events) == 1 and isinstance(events[0], ev.OverlongLine):
            # Framed again on its own, a piece of an overlong line only looks
            # unterminated: the record says how the live framer cut it.
            events = [
                msgspec.structs.replace(
                    events[0],
                    truncated="truncated" in flags,
                    continued="continued" in flags,
                    unterminated="unterminated" in flags,
                )
            ]
        self._after_prompt = isinstance(events[-1], ev.Prompt)
        role = _enum(Role, record.get("role"), Role.URC)
        cmd = _int(record.get("cmd"))
        tag = _tag(record)
        if cmd is not None and role in (Role.RESPONSE, Role.FINAL, Role.DEFERRED):
            gathered = self._gathered.get(cmd)
            if gathered is None:
                gathered = self._gathered[cmd] = _Gathered()
                if len(self._gathered) > PENDING_MEMORY:
                    self._gathered.popitem(last=False)
            for event in events:
                if role is Role.RESPONSE:
                    gathered.lines.append(event)
                elif role is Role.FINAL:
                    gathered.final = event
                else:
                    gathered.deferred.append(event)
        return [Rx(event, role, cmd, self._mono, self._wall, tag) for event in events]

    # -- everything else -----------------------------------------------------------

    def _event(self, record: Record, rtype: str) -> LinkEvent | None:
        if rtype == fmt.TX:
            return Tx(
                _bytes(record),
                _enum(TxKind, record.get("what"), TxKind.COMMAND),
                _int(record.get("cmd")),
                self._mono,
                self._wall,
                _tag(record),
            )
        if rtype == fmt.LINK:
            return LinkStatus(
                _enum(LinkState, record.get("state"), LinkState.DISCONNECTED),
                _str(record.get("url")),
                _int(record.get("baud")) or 0,
                _str(record.get("message")),
                dtr=record.get("dtr", True) is not False,
                rts=record.get("rts", True) is not False,
                change=_str(record.get("change")),
                framing=_str(record.get("framing")) or "8N1",
                flow=_str(record.get("flow")),
                line_ending=_str(record.get("ending")) or "CR",
            )
        if rtype == fmt.DATAMODE:
            return DataModeChanged(
                bool(record.get("active")),
                _int(record.get("cmd")),
                _str(record.get("line")),
                awaiting_input=record.get("input") is True,
            )
        if rtype == fmt.DATAFORMAT:
            return DataFormatChanged(
                bool(record.get("send_hex")),
                bool(record.get("recv_hex")),
                bool(record.get("show_ra")),
            )
        if rtype == fmt.REBOOT:
            return ModuleRebooted(self._mono)
        if rtype == fmt.IDENTITY:
            return ModuleIdentity(_str(record.get("identity")), _str(record.get("revision")))
        if rtype == fmt.RESULT:
            return CommandFinished(self._result(record))
        return None

    def _result(self, record: Record) -> ReplayedResult:
        cmd = _int(record.get("cmd"))
        gathered = self._gathered.pop(cmd, None) if cmd is not None else None
        gathered = gathered or _Gathered()
        elapsed = record.get("elapsed_ms")
        seconds = elapsed / 1000 if isinstance(elapsed, int | float) else 0.0
        return ReplayedResult(
            command=command_of(_str(record.get("line"))),
            outcome=_enum(Outcome, record.get("outcome"), Outcome.ERROR),
            lines=gathered.lines,
            final=gathered.final,
            deferred=gathered.deferred,
            started=self._mono - seconds,
            finished=self._mono,
            command_id=cmd or 0,
            tag=_tag(record) or "",
            recorded_message=clean_text(_str(record.get("message"))),
        )

    def _annotation(self, record: Record, rtype: str, seq: int, previous: int | None) -> LogEntry:
        if rtype == fmt.MARKER:
            label = f"marker {_int(record.get('n')) or '?'}"
            text = _str(record.get("text"))
            if text:
                label += f": {clean_text(text)}"
            return LogEntry(self._wall, "app", Category.MARKER, f"── {label} ──", capture_seq=seq)
        if rtype == fmt.SCREENSHOT:
            text = f"// screenshot: {clean_text(_str(record.get('path')))}"
            return LogEntry(self._wall, "app", Category.NOTE, text, capture_seq=seq)
        text = f"// {clean_text(_str(record.get('text')))}"
        entry = LogEntry(self._wall, "app", Category.NOTE, text, capture_seq=seq)
        ref = _int(record.get("ref"))
        if ref is not None and ref != previous:
            wall = self._walls.get(ref)
            entry.meaning = (
                f"about the line {self._wall - wall:.3f} s earlier"
                if wall is not None
                else f"about record {ref}"
            )
        return entry


def iter_replay(records: Iterable[Record]) -> Iterator[Step]:
    """Every step of ``records`` (header included or not), in order."""
    replayer = Replayer()
    for record in records:
        yield from replayer.steps(record)


def replay(records: Iterable[Record]) -> list[Step]:
    """Every step of ``records``: per record, its seq, the link event it stands
    for (None for notes and markers) and its log entries."""
    return list(iter_replay(records))


def initial_state(header: Record | None) -> ModuleState:
    """The state before the first record: the port the header names."""
    if header is None:
        return ModuleState()
    return ModuleState(url=_str(header.get("url")), baudrate=_int(header.get("baud")) or 0)


def state_at(records: Iterable[Record], seq: int) -> ModuleState:
    """The module state after every record up to and including record ``seq``."""
    header: Record | None = None
    state: ModuleState | None = None
    replayer = Replayer()
    for record in records:
        if record.get("type") == fmt.HEADER:
            header = record
            continue
        record_seq = _int(record.get("seq"))
        if record_seq is not None and record_seq > seq:
            break
        if state is None:
            state = initial_state(header)
        for step in replayer.steps(record):
            if step.event is not None:
                state.apply(step.event)
    return state if state is not None else initial_state(header)


__all__ = [
    "ReplayedResult",
    "Replayer",
    "Step",
    "clean_text",
    "command_of",
    "initial_state",
    "iter_replay",
    "replay",
    "state_at",
]
