"""The event log's model: every line in both directions as a log entry, bounded,
filterable and searchable. Pure (no Textual): the log pane renders it.

The capture file holds everything; this keeps the last entries within two
bounds, ``maxlen`` entries and ``max_bytes`` of retained memory (each entry's
:func:`entry_size`), so the console's memory stays flat however long a flood
runs, short lines or 1 KiB ones.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from app.config.pattern import UserPattern, compile_pattern, literal
from app.config.size import DEFAULT_LOG_MEMORY
from app.link.results import (
    CommandFinished,
    CommandRetried,
    DataFormatChanged,
    DataModeChanged,
    DisplayDropped,
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
from app.protocol import events as ev
from app.protocol.codes import describe
from app.protocol.text import escape_bytes

DEFAULT_MAXLEN = 20_000
#: What an entry costs beyond the strings and bytes it holds: the LogEntry object
#: (slots), its timestamp float, its places in ``entries`` and ``view`` and its
#: recorded size. Measured with tracemalloc: 20,000 recv entries of 16, 64 and
#: 1024 payload bytes, made from link events and kept by a Journal, cost 273
#: bytes each beyond their strings and bytes, whatever the size
#: (tests/test_journal_memory.py holds the estimate to what tracemalloc sees).
ENTRY_OVERHEAD = 272
#: The console's own repeated reads: the QISTATE polling and the Module pane's
#: automatic reads. The log hides them unless asked (Filter.show_poll).
POLL_TAGS = frozenset({"poll", "module"})


class Category(Enum):
    COMMAND = "command"
    PAYLOAD = "payload"
    ECHO = "echo"
    RESPONSE = "response"
    OK = "ok"
    ERROR = "error"
    PROMPT = "prompt"
    RECV = "recv"
    CLOSED = "closed"
    INCOMING = "incoming"
    DEFERRED = "deferred"
    URC = "urc"
    LINK = "link"
    APP = "app"
    NOTE = "note"
    MARKER = "marker"


#: Filter groups shown to the user, in order.
GROUPS: dict[str, tuple[Category, ...]] = {
    "Commands": (Category.COMMAND, Category.PAYLOAD),
    "Echo": (Category.ECHO, Category.PROMPT),
    "Responses": (Category.RESPONSE, Category.OK, Category.ERROR),
    "URC recv": (Category.RECV,),
    "URC closed/incoming": (Category.CLOSED, Category.INCOMING),
    "Other URCs": (Category.URC,),
    "Deferred results": (Category.DEFERRED,),
    "Link and messages": (Category.LINK, Category.APP),
    "Notes and markers": (Category.NOTE, Category.MARKER),
}


class LogEntry:
    """One log line.

    A line from the module (and a payload sent) keeps its bytes once: ``raw``,
    the frame as on the wire. Its ``text`` and ``payload`` are parts of those
    bytes, derived when asked (the lines on screen, a search, a copy), not kept
    beside them: a 1 KiB recv line then costs one 1 KiB object, not three (the
    frame, its escaped text and its payload). That keeps more lines within the
    log's byte bound, and it keeps the allocator's free memory from scattering:
    objects of 1 KiB and more come from the C allocator, and three of them freed
    oldest first per line left holes that stayed resident over a long flood.
    Lines without such bytes (qiterm's own messages, notes, commands) keep
    their text.
    """

    __slots__ = (
        "_payload",
        "_payload_lead",
        "_payload_trail",
        "_text",
        "_text_lead",
        "_text_trail",
        "capture_seq",
        "category",
        "connect_id",
        "direction",
        "head",
        "meaning",
        "raw",
        "seq",
        "tag",
        "wall",
    )

    def __init__(
        self,
        wall: float,
        direction: str,
        category: Category,
        text: str = "",
        connect_id: int | None = None,
        tag: str | None = None,
        meaning: str = "",
        payload: bytes | None = None,
        head: str = "",
        seq: int = 0,
        capture_seq: int | None = None,
        raw: bytes | None = None,
    ) -> None:
        self.wall = wall
        #: "tx" (to the module), "rx" (from it) or "app" (qiterm itself, notes).
        self.direction = direction
        self.category = category
        self.connect_id = connect_id
        self.tag = tag
        #: A result code's meaning, shown after the line ("566 Socket connection failed").
        self.meaning = meaning
        #: The line before its payload (``+QIURC: "recv",0,5,``), when there is one.
        self.head = head
        self.seq = seq
        #: The capture record this entry stands for (notes/markers), if known.
        self.capture_seq = capture_seq
        #: Every byte of the frame as on the wire, line endings included (rx and tx).
        self.raw = raw
        self._text = text
        self._payload = payload
        #: Where ``text`` and ``payload`` are in ``raw`` when they are derived from
        #: it: the bytes of ``raw`` before them (-1: not derived) and after them.
        #: Plain ints (small ones are shared), not a tuple per entry.
        self._text_lead = self._payload_lead = -1
        self._text_trail = self._payload_trail = 0

    @property
    def text(self) -> str:
        """The line as a person should see it, odd bytes escaped."""
        raw = self.raw
        if self._text_lead < 0 or raw is None:
            return self._text
        return escape_bytes(raw[self._text_lead : len(raw) - self._text_trail])

    @text.setter
    def text(self, value: str) -> None:
        self._text, self._text_lead = value, -1

    @property
    def payload(self) -> bytes | None:
        """Payload bytes (recv URCs and data-mode writes), for the text/hex toggle."""
        raw = self.raw
        if self._payload_lead < 0 or raw is None:
            return self._payload
        return raw[self._payload_lead : len(raw) - self._payload_trail]

    @payload.setter
    def payload(self, value: bytes | None) -> None:
        self._payload, self._payload_lead = value, -1

    def derive_text(self, line: bytes) -> bool:
        """Show ``line`` (escaped, as :attr:`Event.text <app.protocol.events.Event.text>`
        does) by deriving it from ``raw`` when asked, instead of keeping a string of
        it. False (nothing changed) when ``line`` is not within ``raw``."""
        span = _span(self.raw, line, 0, (0,))  # first, unless blank-line bytes came before
        if span is None:
            return False
        self._text = ""
        self._text_lead, self._text_trail = span
        return True

    def derive_payload(self, payload: bytes) -> bool:
        """Keep ``payload`` as a part of ``raw`` (found within its line, when the
        text is derived) instead of as bytes of its own. False (nothing changed)
        when it is not within ``raw``."""
        # At the end of the line, or before its closing quote.
        end = len(self.raw or b"") - self._text_trail - len(payload)
        span = _span(self.raw, payload, max(0, self._text_lead), (end, end - 1))
        if span is None:
            return False
        self._payload = None
        self._payload_lead, self._payload_trail = span
        return True

    def kept(self) -> tuple[object, ...]:
        """The objects this entry keeps of its own (strings and bytes; the derived
        text and payload are not among them): what :func:`entry_size` counts."""
        own: list[object] = []
        if self.raw is not None:
            own.append(self.raw)
        if self._text_lead < 0:
            own.append(self._text)
        if self._payload is not None and self._payload is not self.raw:
            own.append(self._payload)
        if self.head:
            own.append(self.head)
        return tuple(own)

    def __repr__(self) -> str:
        return (
            f"LogEntry({self.wall!r}, {self.direction!r}, {self.category}, {self.text!r}, "
            f"seq={self.seq})"
        )

    def shown(
        self, hex_payload: bool | str, endings: bool = False, limit: int | None = None
    ) -> str:
        """The line as displayed. ``hex_payload``: False/"text" shows payloads as
        escaped text, True/"hex" as hex bytes, "both" as hex and text side by side.
        ``endings`` shows the frame as on the wire, ``\\r\\n`` included.
        ``limit``: only the first ``limit`` characters are needed (a window's
        width): a long line's tail may be left out, which keeps a 1 KiB line cheap."""
        mode = ("hex" if hex_payload else "text") if isinstance(hex_payload, bool) else hex_payload
        whole = self.payload
        if whole is None or mode == "text":
            if endings and self.raw is not None:
                # Every byte shows as one character or more.
                return escape_bytes(self.raw if limit is None else self.raw[:limit])
            return self.text
        payload = whole if limit is None else whole[: limit // 3 + 1]
        digits = " ".join(f"{b:02X}" for b in payload)
        if mode == "both" and len(payload) == len(whole):
            printable = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in payload)
            digits = f"{digits}  |{printable}|"
        return f"{self.head}{digits}" if self.head else digits


def _span(
    raw: bytes | None, part: bytes, start: int, guesses: tuple[int, ...]
) -> tuple[int, int] | None:
    """Where ``part`` is in ``raw`` at or after ``start`` (at one of ``guesses``,
    where it usually is, else the last place it is): how many bytes of ``raw`` are
    before it and after it. Any place it is at gives the same bytes back, so what
    is derived from the span is ``part`` exactly."""
    if raw is None:
        return None
    for at in guesses:
        if at >= start and raw.startswith(part, at):
            break
    else:
        at = raw.rfind(part, start)
        if at < 0:
            return None
    return at, len(raw) - at - len(part)


def entry_size(entry: LogEntry) -> int:
    """The memory ``entry`` keeps alive, approximately: the strings and bytes it
    keeps of its own (:meth:`LogEntry.kept`: its frame, its text and payload when
    they are not derived from the frame, its head), plus :data:`ENTRY_OVERHEAD`.
    The meaning is left out (a shared string from a table, or none)."""
    return ENTRY_OVERHEAD + sum(sys.getsizeof(own) for own in entry.kept())


def _recv_head(event: ev.QiUrcRecv) -> str:
    head = f'+QIURC: "recv",{event.connect_id},'
    if event.current_recv_length is not None:
        head += f"{event.current_recv_length},"
    if event.recv_ip is not None:
        head += f'"{event.recv_ip}",{event.recv_port},'
    return head


def _meaning(event: ev.Event) -> str:
    code: int | None = None
    if isinstance(
        event, ev.QiOpenResult | ev.QNtpResult | ev.QiDnsGipHeader | ev.QPingResult | ev.QPingReply
    ):
        code = event.result
    elif isinstance(event, ev.QPingSummary):
        code = event.finresult
    elif isinstance(event, ev.CmeError) and event.code is not None:
        code = event.code
    if code is None or code == 0:
        return ""
    return describe(code)


def entries_for(item: LinkEvent, recv_hex: bool = False) -> list[LogEntry]:
    """The log entries one link event stands for (none for silent ones)."""
    if isinstance(item, Tx):
        return [_tx_entry(item)]
    if isinstance(item, Rx):
        entry = _rx_entry(item, recv_hex)
        return [] if entry is None else [entry]
    now = time.time()
    if isinstance(item, LinkStatus):
        if item.change:  # DTR, RTS, a break or the baud rate, on a link that stays up
            return [LogEntry(now, "app", Category.LINK, item.message)]
        text = f"link {item.state.value}: {item.message}" if item.message else item.state.value
        cat = Category.LINK if item.state is LinkState.CONNECTED else Category.ERROR
        if item.state is LinkState.CONNECTING or (
            item.state is LinkState.SYNCING and item.retry_at is None
        ):
            cat = Category.LINK
        return [LogEntry(now, "app", cat, text)]
    if isinstance(item, CommandFinished):
        result = item.result
        if result.outcome is Outcome.OK and result.ok:
            return []
        if result.tag in POLL_TAGS and result.outcome is Outcome.NOT_SENT:
            return []
        cid = result.command.values.get("connectID")
        return [
            LogEntry(
                now,
                "app",
                Category.ERROR,
                result.message,
                connect_id=cid if isinstance(cid, int) else None,
                tag=result.tag,
            )
        ]
    if isinstance(item, DataModeChanged):
        if item.active and not item.awaiting_input and item.command_id is not None:
            return []  # the payload was typed: the Tx lines show it
        text = (
            f"data mode ({item.line}): Ctrl+Z sends, Esc cancels"
            if item.active
            else "data mode ended"
        )
        return [LogEntry(now, "app", Category.APP, text)]
    if isinstance(item, DataFormatChanged):
        fmt = {False: "text", True: "hex"}
        text = (
            f"dataformat: send {fmt[item.send_hex]}, receive {fmt[item.recv_hex]}; "
            f"showRA {int(item.show_ra)}"
        )
        return [LogEntry(now, "app", Category.APP, text)]
    if isinstance(item, DisplayDropped):
        text = (
            f"… {item.count} received line(s) not shown: the display fell behind a flood "
            "(the capture has every one)"
        )
        return [LogEntry(now, "app", Category.APP, text)]
    if isinstance(item, ModuleRebooted):
        return [LogEntry(now, "app", Category.ERROR, "module rebooted (RDY): every socket closed")]
    if isinstance(item, CommandRetried):
        return [LogEntry(now, "app", Category.LINK, item.why)]
    if isinstance(item, ModuleIdentity):
        text = f"module: {item.identity}" + (f", {item.revision}" if item.revision else "")
        return [LogEntry(now, "app", Category.APP, text)]
    return []


def _tx_entry(tx: Tx) -> LogEntry:
    if tx.what is TxKind.COMMAND:
        text = tx.data.decode("utf-8", "backslashreplace").rstrip("\r\n")
        return LogEntry(tx.wall, "tx", Category.COMMAND, text, tag=tx.tag, raw=tx.data)
    if tx.what is TxKind.PAYLOAD:
        entry = LogEntry(tx.wall, "tx", Category.PAYLOAD, tag=tx.tag, payload=tx.data, raw=tx.data)
        entry.derive_text(tx.data)  # the payload is the frame: its text is all of it
        return entry
    if tx.what is TxKind.RAW:
        # Past the AT checks: marked so, and its bytes (text or hex, as payloads are).
        return LogEntry(
            tx.wall,
            "tx",
            Category.COMMAND,
            RAW_MARK + escape_bytes(tx.data),
            tag=tx.tag,
            meaning=_raw_meaning(tx.data),
            payload=tx.data,
            head=RAW_MARK,
            raw=tx.data,
        )
    label = "<Ctrl-Z>" if tx.what is TxKind.CTRL_Z else "<Esc>"
    return LogEntry(tx.wall, "tx", Category.PAYLOAD, label, tag=tx.tag, raw=tx.data)


#: What starts the log line of raw bytes (sent past the AT checks).
RAW_MARK = "[raw] "


def _raw_meaning(data: bytes) -> str:
    if data == b"+++":
        return "escape sequence, with a guard time of silence before and after"
    if not data.endswith((b"\r", b"\n")):
        return "raw, no line ending: the module holds these bytes as the start of its next line"
    return "raw: not checked as an AT command; what answers it is unsolicited"


def _rx_entry(rx: Rx, recv_hex: bool) -> LogEntry | None:
    event = rx.event
    if rx.role is Role.NOISE:
        return None
    cid: int | None = getattr(event, "connect_id", None)
    entry = LogEntry(rx.wall, "rx", Category.RESPONSE, connect_id=cid, tag=rx.tag, raw=event.raw)
    # The line's text is its escaped bytes (Event.text): derived from the frame
    # when it is in it (always, from the framer), else kept.
    if not entry.derive_text(event.line):
        entry.text = event.text
    entry.meaning = _meaning(event)
    if isinstance(event, ev.OverlongLine):
        what = "unterminated" if event.unterminated and not event.truncated else "cut at the cap"
        entry.meaning = f"line {what}"
    if rx.role is Role.ECHO:
        entry.category = Category.ECHO
    elif isinstance(event, ev.Prompt):
        entry.category = Category.PROMPT
    elif isinstance(event, ev.Ok | ev.SendOk | ev.CloseOk):
        entry.category = Category.OK if rx.role is not Role.URC else Category.URC
    elif isinstance(event, ev.Error | ev.CmeError | ev.SendFail):
        entry.category = Category.ERROR
    elif isinstance(event, ev.QiUrcRecv):
        entry.category = Category.RECV
        payload = event.payload(recv_hex)
        # Text data is a part of the frame; decoded hex data is bytes of its own.
        if payload is not event.data or not entry.derive_payload(payload):
            entry.payload = payload
        entry.head = _recv_head(event)
        if event.length_mismatch:
            entry.meaning = "length does not match the data"
    elif isinstance(event, ev.QiUrcClosed):
        entry.category = Category.CLOSED
    elif isinstance(event, ev.QiUrcIncoming):
        entry.category = Category.INCOMING
    elif rx.role is Role.DEFERRED:
        entry.category = Category.DEFERRED
    elif rx.role is Role.URC:
        entry.category = Category.URC
    return entry


@dataclass
class Filter:
    hidden: set[Category] = field(default_factory=set)
    #: Only entries of this socket (and those tied to no socket are hidden too).
    connect_id: int | None = None
    #: Show the console's own polling traffic (QISTATE and the Module pane's reads).
    show_poll: bool = False
    #: Local echo: show what qiterm writes to the module (commands, payloads, raw
    #: bytes). Off, the log shows what comes back only, as a terminal without local
    #: echo does (the module's own echo, with ATE1, then shows what was sent).
    local_echo: bool = True

    def passes(self, entry: LogEntry) -> bool:
        if entry.category in self.hidden:
            return False
        if entry.direction == "tx" and not self.local_echo:
            return False
        if entry.tag in POLL_TAGS and not self.show_poll:
            return False
        return self.connect_id is None or entry.connect_id == self.connect_id


class Journal:
    """The bounded log: all entries (``entries``) and the filtered view (``view``).

    Two bounds, whichever comes first: ``maxlen`` entries, and ``max_bytes`` of
    memory the entries keep alive (:func:`entry_size`; None: no byte bound, as
    ``qiterm view`` has it). The oldest entries leave first; ``evicted`` counts
    them (and cleared ones), so the log can say that older lines are in the
    capture only.

    ``view`` is a list (a view is read by index on every frame) trimmed from the
    front in chunks: the entries that left ``entries`` stay in it until a quarter
    of ``maxlen`` of them, or an eighth of ``max_bytes``, has gathered, and the
    byte bound counts them, so ``entries`` and the view together never keep more
    than ``max_bytes`` (plus the one entry being added).
    :meth:`take_dropped` says how many entries left the view's front since it was
    last asked, so a scrolled-back reader can keep its place.
    """

    def __init__(
        self, maxlen: int = DEFAULT_MAXLEN, max_bytes: int | None = DEFAULT_LOG_MEMORY
    ) -> None:
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.entries: deque[LogEntry] = deque()
        self.view: list[LogEntry] = []
        self.filter = Filter()
        self.total = 0
        #: Entries no longer kept (bounds and clears) since the journal was made.
        self.evicted = 0
        #: Bytes (entry_size) of ``entries``, and of the view's entries that have
        #: left ``entries`` but not yet the view (its stale front), and how many.
        self.entry_bytes = 0
        self._stale_bytes = 0
        self._stale = 0
        self._sizes: deque[int] = deque()
        self._dropped = 0
        self._slack = max(1, maxlen // 4)
        self._byte_slack = None if max_bytes is None else max(1, max_bytes // 8)

    @property
    def retained_bytes(self) -> int:
        """What the kept entries cost (:func:`entry_size`), the view's included."""
        return self.entry_bytes + self._stale_bytes

    def add(self, entries: Iterable[LogEntry]) -> int:
        """Add entries; returns how many became visible."""
        visible = 0
        passes = self.filter.passes
        for entry in entries:
            self.total += 1
            entry.seq = self.total
            size = entry_size(entry)
            self.entries.append(entry)
            self._sizes.append(size)
            self.entry_bytes += size
            if passes(entry):
                self.view.append(entry)
                visible += 1
            self._evict()
        return visible

    def _evict(self) -> None:
        """Drop the oldest entries past the bounds; trim the view's stale front
        once enough of it has gathered (one ``del`` for many entries)."""
        budget = None if self.max_bytes is None else self.max_bytes - (self._byte_slack or 0)
        entries, sizes, view = self.entries, self._sizes, self.view
        while len(entries) > self.maxlen or (
            budget is not None and self.entry_bytes > budget and len(entries) > 1
        ):
            old = entries.popleft()
            size = sizes.popleft()
            self.entry_bytes -= size
            self.evicted += 1
            # Still in the view (its oldest entries are the first to go)?
            if self._stale < len(view) and view[self._stale] is old:
                self._stale += 1
                self._stale_bytes += size
        if self._stale and (
            self._stale >= self._slack
            or (self._byte_slack is not None and self._stale_bytes > self._byte_slack)
        ):
            del view[: self._stale]
            self._dropped += self._stale
            self._stale = self._stale_bytes = 0

    def clear(self) -> int:
        """Forget every entry (the view is emptied; a capture keeps its records).
        Returns how many entries were dropped."""
        count = len(self.entries)
        self.evicted += count
        self.entries.clear()
        self._sizes.clear()
        self.entry_bytes = self._stale_bytes = self._stale = 0
        self.view = []
        self._dropped = 0
        return count

    def take_dropped(self) -> int:
        dropped, self._dropped = self._dropped, 0
        return dropped

    def refilter(self) -> None:
        self.view = [e for e in self.entries if self.filter.passes(e)]
        self._stale = self._stale_bytes = 0
        self._dropped = 0

    def matches(self, query: str) -> list[int]:
        """Indexes in ``view`` of every entry matching ``query``, in order."""
        rx = search_pattern(query)
        if rx is None:
            return []
        return [i for i, entry in enumerate(self.view) if _found(rx, entry)]


def search_pattern(query: str) -> UserPattern | None:
    """A search of the log: a regex (RE2, linear time: no query can stall the
    console), or plain text when it is not one; case-insensitive. None for an
    empty query."""
    if not query:
        return None
    try:
        return compile_pattern(query, ignore_case=True)
    except ValueError:
        return literal(query, ignore_case=True)


def _found(rx: UserPattern, entry: LogEntry) -> bool:
    return bool(rx.search(entry.text) or (entry.meaning and rx.search(entry.meaning)))
