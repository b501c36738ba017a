"""The socket timeline: one lane per connectID, what happened on it and when.

Built once from a capture's replayed link events (:class:`TimelineBuilder`, fed
record by record, so a capture is never held in memory), then drawn three ways
from the same model: as SVG in the HTML report (:mod:`app.capture.timeline_svg`),
as text rows in the text and Markdown reports and in the console's and the
viewer's timeline screen (:func:`app.capture.timeline_draw.timeline_rows`).

What a lane shows, from the spec's socket life cycle:

* open: ``AT+QIOPEN`` and its ``+QIOPEN: <connectID>,<result>`` (§2.3.1), a
  failed open with its result code; ``+QIURC: "incoming"`` for a client a TCP
  LISTENER accepted (§2.4.3);
* each ``AT+QISEND`` that got ``SEND OK`` with its size, and ``SEND FAIL``
  (§2.3.4); each ``+QIURC: "recv"`` with its size (§2.4.2);
* ``+QIURC: "closed"`` (the peer closed, §2.4.1) and ``AT+QICLOSE``'s
  ``CLOSE OK`` (§2.3.2); a reboot (``RDY``) ends every socket;
* gaps: stretches of :attr:`Timeline.gap_s` or more with nothing on an open
  socket.

Events are kept in compact arrays (17 bytes each), so a capture of a million
recv URCs costs tens of megabytes at most. No Textual.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from app.capture.replay import command_of
from app.link.results import (
    CommandFinished,
    DataFormatChanged,
    LinkEvent,
    ModuleRebooted,
    Outcome,
    Rx,
    Tx,
    TxKind,
)
from app.protocol import events as ev
from app.protocol.codes import describe

#: Quiet stretches on an open socket at least this long are shown as gaps.
GAP_S = 30.0
#: Sends and receives past this many on a lane keep no detail (their peer).
DETAILS_MAX = 10_000


class Kind(IntEnum):
    OPEN = 0
    OPEN_FAILED = 1
    INCOMING = 2
    SEND = 3
    SEND_FAIL = 4
    RECV = 5
    REMOTE_CLOSE = 6
    CLOSE = 7
    ENDED = 8  # the module rebooted: every socket is gone


#: The mark of each kind in the text rows (one cell each), and in the legend.
GLYPHS: dict[Kind, str] = {
    Kind.OPEN: "●",
    Kind.OPEN_FAILED: "⊗",
    Kind.INCOMING: "◎",
    Kind.SEND: "▲",
    Kind.SEND_FAIL: "✗",
    Kind.RECV: "▼",
    Kind.REMOTE_CLOSE: "○",
    Kind.CLOSE: "■",
    Kind.ENDED: "╳",
}
#: A column with sends and receives both.
BOTH = "◆"
#: What each kind is called (legends, the event list).
KIND_LABELS: dict[Kind, str] = {
    Kind.OPEN: "opened",
    Kind.OPEN_FAILED: "open failed",
    Kind.INCOMING: "incoming client",
    Kind.SEND: "sent",
    Kind.SEND_FAIL: "send failed",
    Kind.RECV: "received",
    Kind.REMOTE_CLOSE: "closed by the peer",
    Kind.CLOSE: "closed (AT+QICLOSE)",
    Kind.ENDED: "ended (module rebooted)",
}
#: Which mark wins when several kinds fall in one column (most telling first).
PRIORITY = (
    Kind.SEND_FAIL,
    Kind.OPEN_FAILED,
    Kind.ENDED,
    Kind.REMOTE_CLOSE,
    Kind.CLOSE,
    Kind.OPEN,
    Kind.INCOMING,
)
#: Rich styles of the text rows.
ROW_STYLES: dict[Kind, str] = {
    Kind.OPEN: "bold green",
    Kind.OPEN_FAILED: "bold red",
    Kind.INCOMING: "bold cyan",
    Kind.SEND: "blue",
    Kind.SEND_FAIL: "bold red",
    Kind.RECV: "green",
    Kind.REMOTE_CLOSE: "bold yellow",
    Kind.CLOSE: "bold",
    Kind.ENDED: "bold red",
}


def fmt_seconds(seconds: float) -> str:
    """A duration or an offset, as short as it reads: ``0.045 s``, ``12.3 s``,
    ``5 min 02 s``, ``1 h 02 min``."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.3f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_offset(seconds: float) -> str:
    """Time since the capture started: ``+0.045s``, ``+12.3s``, ``+5m02s``."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"+{seconds:.3f}s"
    if seconds < 60:
        return f"+{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"+{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"+{hours}h{minutes:02d}m"


def fmt_bytes(count: int) -> str:
    return f"{count:,} B"


@dataclass
class Life:
    """One socket on a lane, from its open to its close."""

    connect_id: int
    service_type: str = ""
    #: The remote host (TCP, UDP), the local address (LISTENER, SERVICE), the
    #: client's address (TCP INCOMING).
    host: str = ""
    remote_port: int = 0
    local_port: int = 0
    server_id: int | None = None
    #: AT+QIOPEN went out (seconds since the start); None for an incoming client
    #: or a socket opened before the exported slice.
    requested: float | None = None
    opened: float | None = None
    open_result: int | None = None
    closed: float | None = None
    close_reason: str = ""
    #: When ``+QIURC: "closed"`` said the peer closed it.
    remote_closed: float | None = None
    bytes_sent: int = 0
    bytes_received: int = 0
    sends: int = 0
    receives: int = 0
    send_fails: int = 0

    @property
    def failed(self) -> bool:
        return self.open_result not in (None, 0)

    @property
    def peer(self) -> str:
        """Who the socket talks to, as a person says it."""
        kind = self.service_type
        if kind == "TCP LISTENER":
            return f"listening on {self.host or '*'}:{self.local_port}"
        if kind == "UDP SERVICE":
            return f"service on {self.host or '*'}:{self.local_port}"
        if kind == "TCP INCOMING":
            via = f" (listener #{self.server_id})" if self.server_id is not None else ""
            return f"client {self.host}:{self.remote_port}{via}"
        if not self.host:
            return "?"
        return f"{self.host}:{self.remote_port}"

    @property
    def open_text(self) -> str:
        """How it opened: ``+QIOPEN: 1,0``, ``+QIOPEN: 1,566 (Socket connection
        failed)``, ``incoming``, or ``before this slice``."""
        if self.service_type == "TCP INCOMING":
            return "incoming"
        if self.open_result is None:
            return "no +QIOPEN: result" if self.requested is not None else "before this slice"
        text = f"+QIOPEN: {self.connect_id},{self.open_result}"
        return text if self.open_result == 0 else f"{text} ({describe(self.open_result)})"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    t: float
    connect_id: int
    kind: Kind
    size: int
    detail: str


@dataclass
class Lane:
    connect_id: int
    lives: list[Life] = field(default_factory=list)
    times: array[float] = field(default_factory=lambda: array("d"))
    kinds: array[int] = field(default_factory=lambda: array("b"))
    sizes: array[int] = field(default_factory=lambda: array("q"))
    #: Detail of the rarer events, by their index (open results, UDP peers...).
    details: dict[int, str] = field(default_factory=dict)
    #: Quiet stretches on an open socket: (from, to) in seconds since the start.
    gaps: list[tuple[float, float]] = field(default_factory=list)

    def add(self, t: float, kind: Kind, size: int = 0, detail: str = "") -> None:
        # A UDP flood's every datagram names its peer: past the first ones, the
        # details of sends and receives are not kept (the transcript has them).
        if detail and (kind not in (Kind.SEND, Kind.RECV) or len(self.times) < DETAILS_MAX):
            self.details[len(self.times)] = detail
        self.times.append(t)
        self.kinds.append(int(kind))
        self.sizes.append(size)

    def __len__(self) -> int:
        return len(self.times)

    def events(self) -> Iterator[TimelineEvent]:
        for i, t in enumerate(self.times):
            yield TimelineEvent(
                t, self.connect_id, Kind(self.kinds[i]), self.sizes[i], self.details.get(i, "")
            )

    @property
    def current(self) -> Life | None:
        return self.lives[-1] if self.lives else None

    @property
    def label(self) -> str:
        """``#1 TCP 127.0.0.1:7``, ``#0 TCP LISTENER :5000`` (the lane's latest socket)."""
        life = self.current
        if life is None:
            return f"#{self.connect_id}"
        kind = life.service_type or "?"
        if kind in ("TCP LISTENER", "UDP SERVICE"):
            where = f":{life.local_port}"
        elif kind == "TCP INCOMING":
            kind, where = "INCOMING", f"{life.host}:{life.remote_port}"
        else:
            where = f"{life.host}:{life.remote_port}" if life.host else ""
        return f"#{self.connect_id} {kind} {where}".rstrip()


@dataclass
class Timeline:
    #: The capture's start (Unix seconds); every time here is seconds after it.
    origin: float = 0.0
    #: Where the drawn span starts and ends (seconds since the origin).
    begin: float = 0.0
    end: float = 0.0
    lanes: dict[int, Lane] = field(default_factory=dict)
    gap_s: float = GAP_S
    #: Quiet stretches with nothing on any lane, at least ``gap_s`` long.
    quiet: list[tuple[float, float]] = field(default_factory=list)

    @property
    def events_count(self) -> int:
        return sum(len(lane) for lane in self.lanes.values())

    def sorted_lanes(self) -> list[Lane]:
        return [self.lanes[cid] for cid in sorted(self.lanes)]

    def lives(self) -> list[Life]:
        """Every socket, in the order they opened."""
        found = [life for lane in self.lanes.values() for life in lane.lives]
        return sorted(found, key=lambda x: (_first_time(x), x.connect_id))

    def events(self) -> list[TimelineEvent]:
        """Every event of every lane, in time order."""
        every = [e for lane in self.sorted_lanes() for e in lane.events()]
        every.sort(key=lambda e: e.t)
        return every


def _first_time(life: Life) -> float:
    for t in (life.requested, life.opened, life.closed):
        if t is not None:
            return t
    return 0.0


class TimelineBuilder:
    """Feeds on link events in capture order (:meth:`feed`), with each record's
    time; :meth:`finish` hands the :class:`Timeline`."""

    def __init__(self, origin: float, gap_s: float = GAP_S) -> None:
        self.timeline = Timeline(origin=origin, gap_s=gap_s)
        self._first: float | None = None
        self._first_event: float | None = None
        self._last_any: float | None = None
        self._last_on: dict[int, float] = {}
        self._send_hex = False
        self._recv_hex = False
        #: AT+QIOPEN lines waiting for their +QIOPEN:, by connectID.
        self._opening: dict[int, Life] = {}
        #: Payload bytes typed in data mode, by command id.
        self._typed: dict[int, int] = {}

    # -- input ----------------------------------------------------------------------

    def span(self, t: float) -> None:
        """Widen the drawn span to ``t`` (every exported record calls this)."""
        if self._first is None:
            self._first = t
        self.timeline.end = max(self.timeline.end, t)

    def feed(self, item: LinkEvent, t: float) -> None:
        """One link event that happened ``t`` seconds after the origin."""
        if isinstance(item, Rx):
            self._rx(item.event, t)
        elif isinstance(item, Tx):
            self._tx(item, t)
        elif isinstance(item, CommandFinished):
            self._finished(item, t)
        elif isinstance(item, DataFormatChanged):
            self._send_hex, self._recv_hex = item.send_hex, item.recv_hex
        elif isinstance(item, ModuleRebooted):
            for lane in list(self.timeline.lanes.values()):
                life = lane.current
                if life is not None and life.closed is None:
                    self._event(lane.connect_id, t, Kind.ENDED, 0, "module rebooted")
                    life.closed, life.close_reason = t, "module rebooted"
            self._opening.clear()

    def finish(self) -> Timeline:
        tl = self.timeline
        # The chart starts with the first socket event (what came before it is
        # the set-up, not the sockets' story); the axis still counts from the start.
        first = self._first_event if self._first_event is not None else self._first
        tl.begin = first if first is not None else 0.0
        tl.end = max(tl.end, tl.begin)
        for lane in tl.lanes.values():
            life = lane.current
            last = self._last_on.get(lane.connect_id)
            idle = last is not None and tl.end - last >= tl.gap_s
            if life is not None and life.closed is None and last is not None and idle:
                lane.gaps.append((last, tl.end))
        if self._last_any is not None and tl.end - self._last_any >= tl.gap_s:
            tl.quiet.append((self._last_any, tl.end))
        return tl

    # -- internals --------------------------------------------------------------------

    def _lane(self, cid: int) -> Lane:
        lane = self.timeline.lanes.get(cid)
        if lane is None:
            lane = self.timeline.lanes[cid] = Lane(cid)
        return lane

    def _life(self, cid: int, t: float) -> Life:
        """The lane's socket, or one opened before what was read (a slice)."""
        lane = self._lane(cid)
        life = lane.current
        if life is None or life.closed is not None:
            life = Life(cid)
            lane.lives.append(life)
            self._last_on.setdefault(cid, t)
        return life

    def _event(self, cid: int, t: float, kind: Kind, size: int = 0, detail: str = "") -> Lane:
        lane = self._lane(cid)
        last = self._last_on.get(cid)
        life = lane.current
        if (
            last is not None
            and life is not None
            and life.closed is None
            and t - last >= (self.timeline.gap_s)
        ):
            lane.gaps.append((last, t))
        if self._last_any is not None and t - self._last_any >= self.timeline.gap_s:
            self.timeline.quiet.append((self._last_any, t))
        self._last_on[cid] = t
        self._last_any = t
        if self._first_event is None:
            self._first_event = t
        lane.add(t, kind, size, detail)
        return lane

    def _tx(self, tx: Tx, t: float) -> None:
        if tx.what is TxKind.PAYLOAD and tx.command_id is not None:
            self._typed[tx.command_id] = self._typed.get(tx.command_id, 0) + len(tx.data)
            return
        if tx.what is not TxKind.COMMAND or not tx.data[:10].upper().startswith(b"AT+QIOPEN="):
            return
        cmd = command_of(tx.data.decode("utf-8", "replace").rstrip("\r\n"))
        cid = cmd.values.get("connectID")
        if cmd.key != "qiopen.write" or not isinstance(cid, int):
            return
        v = cmd.values
        life = Life(
            cid,
            service_type=str(v.get("service_type") or ""),
            host=str(v.get("host") or ""),
            remote_port=_int(v.get("remote_port")),
            local_port=_int(v.get("local_port")),
            requested=t,
        )
        self._opening[cid] = life
        if self._first_event is None:
            self._first_event = t

    def _rx(self, event: ev.Event, t: float) -> None:
        if isinstance(event, ev.QiOpenResult):
            cid = event.connect_id
            lane = self._lane(cid)
            life = self._opening.pop(cid, None)
            current = lane.current
            if life is None:
                if current is not None and current.closed is None and current.opened is None:
                    life = current  # opened before the slice, result inside it
                else:
                    life = Life(cid)
                    lane.lives.append(life)
            elif event.result == 563 and current is not None and current.closed is None:
                # §2.3.1: the connectID is in use; the socket there is unchanged.
                self._event(cid, t, Kind.OPEN_FAILED, 0, f"+QIOPEN: {cid},563 ({describe(563)})")
                return
            else:
                if current is not None and current.closed is None:
                    current.closed = t  # replaced without a close we saw
                lane.lives.append(life)
            life.open_result = event.result
            life.opened = t
            if event.result == 0:
                self._event(cid, t, Kind.OPEN, 0, life.open_text)
            else:
                life.closed = t
                life.close_reason = "open failed"
                self._event(cid, t, Kind.OPEN_FAILED, 0, life.open_text)
        elif isinstance(event, ev.QiUrcIncoming):
            cid = event.connect_id
            server = self.timeline.lanes.get(event.server_id)
            server_life = server.current if server is not None else None
            lane = self._lane(cid)
            current = lane.current
            if current is not None and current.closed is None:
                current.closed = t
            life = Life(
                cid,
                service_type="TCP INCOMING",
                host=event.remote_ip,
                remote_port=event.remote_port,
                local_port=server_life.local_port if server_life is not None else 0,
                server_id=event.server_id,
                opened=t,
            )
            lane.lives.append(life)
            self._event(cid, t, Kind.INCOMING, 0, f"{life.peer}")
        elif isinstance(event, ev.QiUrcRecv):
            size = len(event.payload(self._recv_hex))
            life = self._life(event.connect_id, t)
            life.bytes_received += size
            life.receives += 1
            detail = ""
            if event.recv_ip is not None:
                detail = f"from {event.recv_ip}:{event.recv_port}"
            self._event(event.connect_id, t, Kind.RECV, size, detail)
        elif isinstance(event, ev.QiUrcClosed):
            # The socket stays (Remote Closing) until AT+QICLOSE (§2.4.1).
            life = self._life(event.connect_id, t)
            life.close_reason = life.close_reason or "closed by the peer"
            if life.remote_closed is None:
                life.remote_closed = t
            self._event(event.connect_id, t, Kind.REMOTE_CLOSE)

    def _finished(self, item: CommandFinished, t: float) -> None:
        result = item.result
        cmd = result.command
        typed = self._typed.pop(result.command_id, 0)
        key = cmd.key
        cid = cmd.values.get("connectID")
        if not isinstance(cid, int):
            return
        if key == "qiopen.write" and result.outcome is not Outcome.OK:
            # ERROR to AT+QIOPEN itself: no socket, no +QIOPEN: to wait for.
            self._opening.pop(cid, None)
            return
        if key == "qiclose.write" and result.outcome is Outcome.OK:
            self._close(cid, t, "AT+QICLOSE")
            for other in list(self.timeline.lanes.values()):
                o = other.current
                if o is not None and o.server_id == cid and o.closed is None:
                    # Its accepted clients go with the listener (as the socket table has it).
                    self._close(other.connect_id, t, f"listener #{cid} closed")
            return
        if not key.startswith("qisend.") or key in ("qisend.query", "qisend.test"):
            return
        life = self._life(cid, t)
        v = cmd.values
        detail = ""
        if "remote_ip" in v:
            detail = f"to {v.get('remote_ip')}:{v.get('remote_port')}"
        if result.outcome is Outcome.OK and isinstance(result.final, ev.SendOk):
            length = v.get("send_length")
            if cmd.data_mode is None and isinstance(length, int):
                size = length
            else:
                size = typed // 2 if self._send_hex else typed
            life.bytes_sent += size
            life.sends += 1
            self._event(cid, t, Kind.SEND, size, detail)
        elif result.outcome is not Outcome.CANCELLED:
            life.send_fails += 1
            why = "SEND FAIL" if result.outcome is Outcome.SEND_FAIL else result.message
            self._event(cid, t, Kind.SEND_FAIL, 0, f"{why} {detail}".strip())

    def _close(self, cid: int, t: float, reason: str) -> None:
        lane = self._lane(cid)
        life = lane.current
        if life is None:  # opened before the slice
            life = Life(cid)
            lane.lives.append(life)
        self._event(cid, t, Kind.CLOSE, 0, reason)  # first: a gap up to the close counts
        if life.closed is None:
            life.closed = t
            life.close_reason = life.close_reason or reason


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


__all__ = [
    "BOTH",
    "GAP_S",
    "GLYPHS",
    "KIND_LABELS",
    "PRIORITY",
    "ROW_STYLES",
    "Kind",
    "Lane",
    "Life",
    "Timeline",
    "TimelineBuilder",
    "TimelineEvent",
    "fmt_bytes",
    "fmt_offset",
    "fmt_seconds",
]
