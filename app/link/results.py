"""What the link hands to the rest of qiterm: command results and link events."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import msgspec

from app.protocol import events as ev
from app.protocol.codes import describe
from app.protocol.commands import AtCommand


class Outcome(Enum):
    OK = "ok"  # final OK (and SEND OK / CLOSE OK where the command has one)
    ERROR = "error"  # ERROR or +CME ERROR
    SEND_FAIL = "send_fail"  # OK then SEND FAIL
    TIMEOUT = "timeout"  # no final result within the spec's maximum response time
    DEFERRED_TIMEOUT = "deferred_timeout"  # OK, but the +QIOPEN:/+QPING:... never came
    CANCELLED = "cancelled"  # data mode left with Esc
    LINK_LOST = "link_lost"  # the port went away
    REBOOTED = "rebooted"  # RDY while the command was in flight
    NOT_SENT = "not_sent"  # refused before reaching the wire (shutting down...)


@dataclass
class CommandResult:
    command: AtCommand
    outcome: Outcome
    #: Solicited information lines, in order (between echo and the final result).
    lines: list[ev.Event] = field(default_factory=list)
    #: The final result line (OK, ERROR, +CME ERROR, SEND OK, SEND FAIL, CLOSE OK).
    final: ev.Event | None = None
    #: Deferred results tied back to this command (+QIOPEN:, +QPING: ..., +QNTP:, +QIDNSGIP:).
    deferred: list[ev.Event] = field(default_factory=list)
    detail: str = ""
    started: float = 0.0
    finished: float = 0.0
    command_id: int = 0
    #: Who asked: "user", "init", "poll", a form's name...
    tag: str = ""

    @property
    def result_code(self) -> int | None:
        """The spec result code of the deferred result (0 = success), if any."""
        for event in self.deferred:
            if isinstance(event, ev.QiOpenResult | ev.QNtpResult | ev.QiDnsGipHeader):
                return event.result
            if isinstance(event, ev.QPingSummary):
                return event.finresult
            if isinstance(event, ev.QPingResult) and event is self.deferred[-1]:
                return event.result
        if isinstance(self.final, ev.CmeError):
            return self.final.code
        return None

    @property
    def ok(self) -> bool:
        if self.outcome is not Outcome.OK:
            return False
        code = self.result_code
        return code is None or code == 0

    @property
    def elapsed(self) -> float:
        return max(0.0, self.finished - self.started)

    @property
    def message(self) -> str:
        """One line a person can act on."""
        cmd = self.command.line
        if self.outcome is Outcome.OK:
            code = self.result_code
            if code is not None and code != 0:
                return f"{cmd}: {describe(code)}"
            return f"{cmd}: OK"
        if self.outcome is Outcome.ERROR:
            if isinstance(self.final, ev.CmeError):
                return f"{cmd}: +CME ERROR: {self.final.meaning}"
            return f"{cmd}: ERROR" + (f" ({self.detail})" if self.detail else "")
        if self.outcome is Outcome.SEND_FAIL:
            return f"{cmd}: SEND FAIL (the data did not reach the protocol stack)"
        return f"{cmd}: {self.detail or self.outcome.value}"


class Role(Enum):
    """Why a received line arrived."""

    ECHO = "echo"  # the module echoing the command (ATE1)
    RESPONSE = "response"  # an information line of the command in flight
    FINAL = "final"  # the command's final result
    PROMPT = "prompt"  # the data-mode '>'
    URC = "urc"  # unsolicited
    DEFERRED = "deferred"  # a deferred result (+QIOPEN:, +QPING: ...)
    NOISE = "noise"  # blank-line runs


class TxKind(Enum):
    COMMAND = "command"
    PAYLOAD = "payload"
    CTRL_Z = "ctrl_z"
    ESC = "esc"
    #: Bytes a person sent past the AT checks (``!raw``, ``!hex``, ``+++``): not a
    #: command; what the module answers after them is taken as unsolicited.
    RAW = "raw"


class LinkState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    #: The port is open; the module is being brought in step (Esc, AT until OK) and
    #: its state read (app/link/sync.py). What is shown of it may be stale meanwhile.
    SYNCING = "synchronising"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class Rx(msgspec.Struct, frozen=True):
    """A received frame, parsed, with its role."""

    event: ev.Event
    role: Role
    command_id: int | None
    mono: float
    wall: float
    #: The tag the command was submitted with ("user", "init", "poll"...), if any.
    tag: str | None = None


class Tx(msgspec.Struct, frozen=True):
    """Bytes written to the port."""

    data: bytes
    what: TxKind
    command_id: int | None
    mono: float
    wall: float
    tag: str | None = None


class LinkStatus(msgspec.Struct, frozen=True):
    """The link as it is now: whether the port is open, which port at which rate,
    and the modem control lines qiterm drives (re-applied after a reconnect)."""

    state: LinkState
    url: str
    baudrate: int
    message: str = ""
    #: Monotonic time of the next reconnect attempt (DISCONNECTED only).
    retry_at: float | None = None
    attempt: int = 0
    dtr: bool = True
    rts: bool = True
    #: What a person changed on a connected link ("dtr", "rts", "break", "baud",
    #: "serial", "line_ending"), or "" when the state itself changed.
    change: str = ""
    #: Data bits, parity and stop bits (``8N1``), flow control (``RTS/CTS``,
    #: ``XON/XOFF``, both, "" for none), and what ends a command line (CR, CRLF, LF).
    framing: str = "8N1"
    flow: str = ""
    line_ending: str = "CR"

    @property
    def serial_text(self) -> str:
        """The port's settings in a few characters: ``115200 8N1 RTS/CTS``."""
        return " ".join(part for part in (str(self.baudrate), self.framing, self.flow) if part)


class RawResult(msgspec.Struct, frozen=True):
    """What became of a raw send: written to the port (``sent``), or why not."""

    data: bytes
    sent: bool
    detail: str = ""
    tag: str = ""

    @property
    def message(self) -> str:
        return f"{len(self.data)} raw byte(s) " + (
            "sent" if self.sent else f"not sent: {self.detail}"
        )


class DataModeChanged(msgspec.Struct, frozen=True):
    """The module entered or left data mode (§2.3.4). ``awaiting_input``: after
    '>' it waits for a person to type the payload (False once it was typed, or for
    a payload qiterm writes by itself)."""

    active: bool
    command_id: int | None = None
    line: str = ""
    awaiting_input: bool = False


class DataFormatChanged(msgspec.Struct, frozen=True):
    send_hex: bool
    recv_hex: bool
    show_ra: bool


class ModuleRebooted(msgspec.Struct, frozen=True):
    """RDY arrived: sockets are gone, commands in flight failed."""

    mono: float


class CommandRetried(msgspec.Struct, frozen=True):
    """A command went out again because the module was asleep when it was first
    written (AT Commands Manual V1.4 §9.10 note 1: the UART sleeps, and the line that
    wakes it is lost); ``why`` says so in words for the log."""

    command_id: int
    line: str
    why: str


class CommandFinished(msgspec.Struct, frozen=True):
    result: CommandResult


class ModuleIdentity(msgspec.Struct, frozen=True):
    """What ATI (and registration queries) said at connect."""

    identity: str
    revision: str

    @classmethod
    def from_ati(cls, lines: list[ev.Event]) -> ModuleIdentity:
        """From ATI's answer: the model lines, and ``Revision: ...``."""
        texts = [e.text for e in lines if isinstance(e, ev.TextLine)]
        revision = next((t.split(":", 1)[1].strip() for t in texts if t.startswith("Revision")), "")
        model = " ".join(t for t in texts if not t.startswith("Revision"))
        return cls(model, revision)


class DisplayDropped(msgspec.Struct, frozen=True):
    """Subscribers fell behind a flood: ``count`` received payload lines were not
    handed to them (the capture has every one). ``recv_bytes`` is the payload those
    lines carried per connectID, so counters stay right."""

    count: int
    recv_bytes: dict[int, int]


LinkEvent = (
    Rx
    | Tx
    | LinkStatus
    | DataModeChanged
    | DataFormatChanged
    | ModuleRebooted
    | CommandRetried
    | CommandFinished
    | ModuleIdentity
    | DisplayDropped
)


class Recorder(Protocol):
    """Receives every link event in order, on the serial worker's thread."""

    def record(self, item: LinkEvent) -> None:
        """Keep ``item`` (called for every event, in order)."""
