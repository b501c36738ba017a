"""The command engine: one command in flight, answers matched to it, URCs apart.

Pure logic, no I/O and no threads: the serial worker feeds it events and the
clock, and carries out what it returns (bytes to write, events to deliver,
commands finished). That keeps every rule below testable without a port.

Rules (ARCHITECTURE.md "Data flow", spec §2.1.2, §2.3):

* One command in flight (AT is half duplex).
* A command ends on its final result: ``OK``, ``ERROR``, ``+CME ERROR: <n>``;
  AT+QISEND ends on ``SEND OK``/``SEND FAIL`` after ``OK`` (§2.3.4); AT+QICLOSE on
  ``CLOSE OK`` after ``OK`` (§2.3.2).
* Deferred results (``+QIOPEN:``, ``+QPING:``, ``+QNTP:``, ``+QIDNSGIP:``) arrive
  after ``OK`` as URCs and are tied back to the command that started them; the
  line is free for the next command meanwhile.
* URCs may arrive at any time, between the lines of a response too; they are
  told apart by type and by command name.
* Data mode (§2.3.4): after ``>`` the payload is written, then Ctrl-Z (variable
  length) or nothing (fixed length); Esc cancels. Nothing else is written while
  in data mode. A ``>`` that no command asked for is answered with Esc, so a
  later command can never become payload.
* ``RDY`` means the module rebooted: what was in flight fails at once.
* Echo (ATE1, AT Commands Manual V1.4 §3.1): the engine learns whether echo is on
  from each command line's own echo. In data mode the module echoes what is typed
  after ``>``; the engine knows what it wrote, so it takes exactly those bytes back
  as echo, and a payload holding ``OK``, ``SEND OK`` or ``ERROR`` lines cannot end
  the command early. With echo off nothing is taken as echo.
* URCs that share a name with the command in flight are told apart by their
  shape: ``+CEREG: <stat>...`` against ``+CEREG: <n>,<stat>...`` (§4.1),
  ``+CSCON: <mode>`` against ``+CSCON: <n>,<mode>`` (§4.6), ``+QNBIOTEVENT:
  "ENTER PSM"`` against ``+QNBIOTEVENT: <enable>,<event>`` (§9.8).
* Sleep (§9.10 note 1): with AT+QSCLK=1/2 the UART sleeps after a quiet spell and
  the line that wakes it is lost. A command that timed out with nothing received
  since it was written, after the line had been quiet long enough for the module
  to sleep, is written once more, and a :class:`CommandRetried` says so. A query
  is also written again when only URCs or blank lines came back; a command that
  changes state never is once any byte came back, and data-mode commands never are.
* Raw bytes (``!raw``, ``!hex``, ``+++``, :func:`Engine.raw_written`) are not a
  command: they go out only while no command holds the line, and whatever the
  module says after them is delivered as unsolicited. Bytes that did not end with
  a line ending stay in the module's line buffer: the next command line is then
  the tail of that line, and an ERROR for it says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import msgspec

from app.link.lines import (
    DEFERRED_KIND,
    RESPONSE_NAME,
    command_names,
    read_only,
    take_echo,
    urc_shaped,
)
from app.link.results import (
    CommandResult,
    CommandRetried,
    DataFormatChanged,
    DataModeChanged,
    ModuleRebooted,
    Outcome,
    Role,
    TxKind,
)
from app.protocol import events as ev
from app.protocol.catalog import Completion
from app.protocol.commands import CTRL_Z, ESC, AtCommand
from app.protocol.events import DEFERRED_TYPES, FINAL_TYPES, UNSOLICITED_TYPES
from app.protocol.syntax import Form

#: After Esc, how long to wait for the module's answer before calling it cancelled.
CANCEL_GRACE_S = 2.0
#: A ping reply that timed out is printed as a bare result code (chapter 3: 569).
PING_REPLY_TIMEOUT_CODE = 569
#: AT+QCFG="slplocktimes" (AT Commands Manual V1.4 §11.1.5) sets how long the UART
#: must be quiet before the module sleeps, 0-30 s. Until the module said its value,
#: a quiet spell of at least this long is taken as one it may have slept in.
SLEEP_QUIET_FLOOR_S = 1.0


class Phase(Enum):
    QUEUED = "queued"
    WAIT_FINAL = "wait_final"  # written; waiting for OK/ERROR
    WAIT_PROMPT = "wait_prompt"  # a data-mode command waiting for '>'
    DATA_MODE = "data_mode"  # '>' seen; waiting for a person to type the payload
    WAIT_SEND = "wait_send"  # OK seen; waiting for SEND OK / SEND FAIL
    WAIT_CLOSE = "wait_close"  # OK seen; waiting for CLOSE OK
    CANCELLING = "cancelling"  # Esc written; waiting for the module's answer
    DEFERRED = "deferred"  # line free; waiting for the deferred result URC(s)
    DONE = "done"


@dataclass(eq=False)
class Pending:
    id: int
    command: AtCommand
    tag: str
    result: CommandResult
    phase: Phase = Phase.QUEUED
    deadline: float | None = None
    answered: bool = False  # any solicited line seen (echo is no longer expected)
    deferred_complete: bool = False
    replies: int = 0
    #: The '>' prompt came.
    prompted: bool = False
    #: The module echoed this command line (echo is on).
    echoed: bool = False
    #: Payload bytes written in data mode whose echo has not come back yet.
    echo_due: bytearray = field(default_factory=bytearray)
    #: The frame after '>' may start with the prompt's space (``"> "``).
    after_prompt: bool = False
    #: Seconds the line had been quiet when the command was written.
    quiet: float = 0.0
    #: Anything at all came back since the command was written (URCs, blank lines).
    heard: bool = False
    #: Something other than blank lines and URCs came back (its echo, an answer).
    answered_any: bool = False
    #: Already written a second time after a sleeping module lost it.
    retried: bool = False
    #: Raw bytes without a line ending went out just before this command: the
    #: module reads them as the start of this command's line.
    after_raw: bytes = b""


# --- outputs -------------------------------------------------------------------


class Write(msgspec.Struct, frozen=True):
    data: bytes
    what: TxKind
    command_id: int | None


class Deliver(msgspec.Struct, frozen=True):
    event: ev.Event
    role: Role
    command_id: int | None


class Done(msgspec.Struct, frozen=True):
    pending: Pending


class Notice(msgspec.Struct, frozen=True):
    item: DataModeChanged | DataFormatChanged | ModuleRebooted | CommandRetried


Output = Write | Deliver | Done | Notice


@dataclass
class Engine:
    send_hex: bool = False
    recv_hex: bool = False
    show_ra: bool = False
    data_mode: bool = False
    current: Pending | None = None
    waiters: list[Pending] = field(default_factory=list)
    #: What ends a command line on the wire: CR (§2.1.2, the default), CR LF or LF
    #: (a device profile's ``line_ending``).
    line_ending: bytes = b"\r"
    #: Whether the module echoes command lines (ATE1): None until a command told.
    echo: bool | None = None
    #: AT+QSCLK (§9.10) as last seen: None until known (modules ship with sleep on).
    sleep_mode: int | None = None
    #: AT+QCFG="slplocktimes" in seconds (§11.1.5), when the module said it.
    sleep_after: float | None = None
    #: When a byte last crossed the line either way (None: not since the start).
    last_io: float | None = None
    #: A command written again after a sleep got no answer either: the module is
    #: not merely asleep, so no more retries until it says something.
    unresponsive: bool = False
    #: Raw bytes written since the last line ending (the module holds them as the
    #: start of its next command line).
    unterminated: bytearray = field(default_factory=bytearray)
    #: Raw bytes written with echo on whose echo has not come back yet.
    raw_echo: bytearray = field(default_factory=bytearray)
    _next_id: int = 1

    # -- queries ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a command holds the line (or the module is in data mode)."""
        return self.current is not None or self.data_mode

    @property
    def timing(self) -> bool:
        """True while a deadline runs (a command holds the line, a deferred result
        is awaited) or the module is in data mode: the worker then looks often."""
        return self.busy or bool(self.waiters)

    def _live(self) -> list[Pending]:
        live = list(self.waiters)
        if self.current is not None and self.current not in live:
            live.append(self.current)
        return live

    # -- starting --------------------------------------------------------------

    def new(self, command: AtCommand, tag: str = "user", pid: int | None = None) -> Pending:
        """A command ready to start. ``pid``: its id, when the caller numbers the
        commands itself (the worker does, under a lock, across reconnects)."""
        if pid is None:
            pid = self._next_id
            self._next_id += 1
        return Pending(
            pid, command, tag, CommandResult(command, Outcome.NOT_SENT, command_id=pid, tag=tag)
        )

    def start(self, p: Pending, now: float) -> list[Output]:
        if self.busy:
            raise RuntimeError("a command is already in flight")
        self.current = p
        p.result.started = now
        p.phase = Phase.WAIT_PROMPT if p.command.data_mode is not None else Phase.WAIT_FINAL
        p.deadline = now + p.command.timeout
        p.quiet = float("inf") if self.last_io is None else now - self.last_io
        self.last_io = now
        if p.command.deferred is not None:
            self.waiters.append(p)
        if self.unterminated:
            p.after_raw = bytes(self.unterminated)
            self.unterminated.clear()
        self.raw_echo.clear()
        return [Write(self.wire(p.command), TxKind.COMMAND, p.id)]

    def raw_written(self, data: bytes, now: float) -> None:
        """Raw bytes went out while no command held the line (they are not one)."""
        if self.busy:
            raise RuntimeError("raw bytes go out only while the line is free")
        self.last_io = now
        ends = max(data.rfind(b"\r"), data.rfind(b"\n"))
        if ends >= 0:
            self.unterminated.clear()
        self.unterminated += data[ends + 1 :]
        del self.unterminated[:-64]  # bounded: the last 64 bytes are enough to say it
        if self.echo:
            self.raw_echo += data

    def _take_raw_echo(self, event: ev.Event) -> bool:
        """True when ``event`` is the module echoing raw bytes written with echo on;
        anything else means their echo is not coming as sent."""
        if take_echo(self.raw_echo, event.raw):
            return True
        self.raw_echo.clear()
        return False

    def wire(self, command: AtCommand) -> bytes:
        """The command line and the line ending. A command that enters data mode
        ends with CR alone even when the ending is CR LF: the module takes the line
        at CR and shows '>', so the LF after it would become the payload's first
        byte (a fixed-length send would then lose its last byte)."""
        ending = self.line_ending
        if ending == b"\r\n" and command.data_mode is not None:
            ending = b"\r"
        return command.line.encode("utf-8") + ending

    # -- data mode input from a person -------------------------------------------

    @property
    def awaiting_input(self) -> bool:
        return self.current is not None and self.current.phase is Phase.DATA_MODE

    def data_input(self, payload: bytes, terminator: bytes, now: float) -> list[Output]:
        """Write what a person typed after '>' and end it with ``terminator``."""
        p = self.current
        if p is None or p.phase is not Phase.DATA_MODE:
            raise RuntimeError("the module is not waiting for data-mode input")
        out: list[Output] = [Notice(DataModeChanged(True, p.id, p.command.line))]
        if payload:
            out.append(Write(payload, TxKind.PAYLOAD, p.id))
            self._expect_echo(p, payload)
        self.last_io = now
        if terminator:
            out.append(
                Write(terminator, TxKind.CTRL_Z if terminator == CTRL_Z else TxKind.ESC, p.id)
            )
        p.phase = Phase.CANCELLING if terminator == ESC else Phase.WAIT_FINAL
        p.deadline = now + (CANCEL_GRACE_S if terminator == ESC else p.command.timeout)
        return out

    def cancel_data_mode(self, now: float) -> list[Output]:
        """Esc: leave data mode without sending (§2.3.4)."""
        p = self.current
        if not self.data_mode or p is None:
            return []
        waiting = p.phase is Phase.DATA_MODE
        p.phase = Phase.CANCELLING
        p.deadline = now + CANCEL_GRACE_S
        out: list[Output] = [Write(ESC, TxKind.ESC, p.id)]
        if waiting:
            out.insert(0, Notice(DataModeChanged(True, p.id, p.command.line)))
        return out

    # -- events from the module --------------------------------------------------

    def feed(self, event: ev.Event, now: float) -> list[Output]:
        out: list[Output] = []
        p = self.current
        self.last_io = now
        self.unresponsive = False
        if p is not None:
            p.heard = True
            if (p.echo_due or p.after_prompt) and self._take_echo(p, event):
                out.append(Deliver(event, Role.ECHO, p.id))
                return out
        elif self.raw_echo and self._take_raw_echo(event):
            out.append(Deliver(event, Role.ECHO, None))
            return out
        self._learn(event)
        if isinstance(event, ev.Prompt):
            self._on_prompt(event, now, out)
        elif isinstance(event, ev.CommandLineEcho):
            own = (
                p is not None
                and not p.answered
                and event.command.strip().upper() == p.command.line.strip().upper()
            )
            if own and p is not None:
                p.echoed = p.answered_any = True
                self.echo = True
            out.append(Deliver(event, Role.ECHO, p.id if own and p else None))
        elif isinstance(event, ev.Rdy):
            out.append(Deliver(event, Role.URC, None))
            self._on_reboot(now, out)
        elif isinstance(event, UNSOLICITED_TYPES) or urc_shaped(event):
            out.append(Deliver(event, Role.URC, None))
        elif isinstance(event, DEFERRED_TYPES):
            self._on_deferred(event, now, out)
        elif isinstance(event, FINAL_TYPES):
            self._on_final(event, now, out)
        elif isinstance(event, ev.SendOk | ev.SendFail):
            if (
                p is not None
                and p.command.completion is Completion.SEND
                and p.phase
                in (
                    Phase.WAIT_SEND,
                    Phase.WAIT_FINAL,
                    Phase.WAIT_PROMPT,
                )
            ):
                out.append(Deliver(event, Role.FINAL, p.id))
                p.result.final = event
                outcome = Outcome.OK if isinstance(event, ev.SendOk) else Outcome.SEND_FAIL
                self._leave_data_mode(out)
                self._finish(p, outcome, now, out)
            else:
                out.append(Deliver(event, Role.URC, None))
        elif isinstance(event, ev.CloseOk):
            if (
                p is not None
                and p.command.completion is Completion.CLOSE
                and p.phase
                in (
                    Phase.WAIT_CLOSE,
                    Phase.WAIT_FINAL,
                )
            ):
                out.append(Deliver(event, Role.FINAL, p.id))
                p.result.final = event
                self._finish(p, Outcome.OK, now, out)
            else:
                out.append(Deliver(event, Role.URC, None))
        elif isinstance(event, ev.BlankLines):
            out.append(Deliver(event, Role.NOISE, None))
        else:
            self._on_info(event, out)
        return out

    def _on_prompt(self, event: ev.Prompt, now: float, out: list[Output]) -> None:
        p = self.current
        if p is not None and p.prompted and p.phase is not Phase.DONE:
            # A second '>' for the same command is never a prompt: writing the
            # payload again would send it twice.
            out.append(Deliver(event, Role.ECHO, p.id))
            return
        if (
            p is None
            or p.command.data_mode is None
            or p.phase not in (Phase.WAIT_PROMPT, Phase.WAIT_FINAL)
        ):
            # Nobody asked for data mode: leave it at once, or the next command
            # would be taken as payload.
            out.append(Deliver(event, Role.URC, None))
            out.append(Write(ESC, TxKind.ESC, None))
            return
        p.answered = p.answered_any = True
        p.prompted = True
        p.after_prompt = True
        if p.echoed:
            self.echo = True
        out.append(Deliver(event, Role.PROMPT, p.id))
        plan = p.command.data_mode
        typed = plan is None or plan.payload is None
        if not self.data_mode:
            self.data_mode = True
            out.append(Notice(DataModeChanged(True, p.id, p.command.line, awaiting_input=typed)))
        if plan is not None and plan.payload is not None:
            if plan.payload:
                out.append(Write(plan.payload, TxKind.PAYLOAD, p.id))
                self._expect_echo(p, plan.payload)
            if plan.terminator:
                out.append(Write(plan.terminator, TxKind.CTRL_Z, p.id))
            p.phase = Phase.WAIT_FINAL
            p.deadline = now + p.command.timeout
        else:
            p.phase = Phase.DATA_MODE
            p.deadline = None  # a person is typing; the module waits too

    def _on_final(self, event: ev.Event, now: float, out: list[Output]) -> None:
        p = self.current
        if p is None or p.phase in (Phase.DEFERRED, Phase.DONE):
            out.append(Deliver(event, Role.URC, None))
            return
        p.answered = p.answered_any = True
        if not p.echoed and not p.prompted and not p.after_raw:
            self.echo = False  # answered without its echo: echo is off (ATE0)
        out.append(Deliver(event, Role.FINAL, p.id))
        was_data_mode = self.data_mode
        self._leave_data_mode(out)
        if p.phase is Phase.CANCELLING:
            p.result.final = event
            self._finish(p, Outcome.CANCELLED, now, out, "cancelled with Esc")
            return
        if isinstance(event, ev.Error | ev.CmeError):
            p.result.final = event
            detail = ""
            if was_data_mode and p.phase is Phase.DATA_MODE:
                detail = "the module left data mode"
            elif p.after_raw:
                held = p.after_raw.decode("utf-8", "backslashreplace")
                detail = (
                    f"raw bytes sent before it without a line ending ({held!r}) "
                    "were the start of this line for the module"
                )
            self._finish(p, Outcome.ERROR, now, out, detail)
            return
        # OK
        if p.phase in (Phase.WAIT_SEND, Phase.WAIT_CLOSE):
            return  # a repeated OK; keep waiting for SEND OK / CLOSE OK
        self._apply_settings(p.command, out)
        if p.command.completion is Completion.SEND and p.command.key != "qisend.query":
            p.phase = Phase.WAIT_SEND
            p.deadline = now + p.command.timeout
            return
        if p.command.completion is Completion.CLOSE:
            p.phase = Phase.WAIT_CLOSE
            p.deadline = now + p.command.timeout
            return
        p.result.final = event
        self._command_phase_done(p, now, out)

    def _command_phase_done(self, p: Pending, now: float, out: list[Output]) -> None:
        """The final OK arrived; free the line, then wait for a deferred result if any."""
        if self.current is p:
            self.current = None
        spec = p.command.deferred
        if spec is None or p.deferred_complete:
            self._finish(p, Outcome.OK, now, out)
            return
        p.phase = Phase.DEFERRED
        p.deadline = now + spec.timeout

    def _on_deferred(self, event: ev.Event, now: float, out: list[Output]) -> None:
        kind = DEFERRED_KIND[type(event)]
        waiter = None
        for w in self.waiters:
            spec = w.command.deferred
            if spec is None or spec.kind is not kind or w.deferred_complete:
                continue
            if (
                isinstance(event, ev.QiOpenResult)
                and spec.connect_id is not None
                and spec.connect_id != event.connect_id
            ):
                continue
            waiter = w
            break
        if waiter is None:
            out.append(Deliver(event, Role.DEFERRED, None))
            return
        out.append(Deliver(event, Role.DEFERRED, waiter.id))
        waiter.result.deferred.append(event)
        if self._deferred_done(waiter, event):
            waiter.deferred_complete = True
            if waiter.phase is Phase.DEFERRED:
                self._finish(waiter, Outcome.OK, now, out)

    def _deferred_done(self, w: Pending, event: ev.Event) -> bool:
        if isinstance(event, ev.QiOpenResult | ev.QNtpResult):
            return True
        if isinstance(event, ev.QiDnsGipHeader):
            # §2.3.7: only the first address is displayed.
            return event.result != 0 or not event.ip_count
        if isinstance(event, ev.QiDnsGipAddress):
            return True
        if isinstance(event, ev.QPingSummary):
            return True
        if isinstance(event, ev.QPingReply):
            w.replies += 1
            return False
        if isinstance(event, ev.QPingResult):
            spec = w.command.deferred
            expected = spec.expected_replies if spec else 0
            if event.result == PING_REPLY_TIMEOUT_CODE and w.replies < expected:
                w.replies += 1
                return False
            return True  # a final failure such as 565 (DNS parse failed)
        return False

    def _on_info(self, event: ev.Event, out: list[Output]) -> None:
        p = self.current
        if isinstance(event, ev.QiCfgDataFormat):
            self._set_formats(
                bool(event.send_data_format), bool(event.recv_data_format), self.show_ra, out
            )
        elif isinstance(event, ev.QiCfgShowRA):
            self._set_formats(self.send_hex, self.recv_hex, bool(event.showra_mode), out)
        name = RESPONSE_NAME.get(type(event))
        if isinstance(event, ev.InfoResponse | ev.TestResponse):
            name = event.name
        solicited = (
            p is not None
            and p.phase in (Phase.WAIT_FINAL, Phase.WAIT_PROMPT)
            and (name is None or name in command_names(p.command))
        )
        if solicited and p is not None:
            p.answered = p.answered_any = True
            p.result.lines.append(event)
            out.append(Deliver(event, Role.RESPONSE, p.id))
        else:
            out.append(Deliver(event, Role.URC, None))

    # -- echo ------------------------------------------------------------------

    def _expect_echo(self, p: Pending, payload: bytes) -> None:
        """With echo on (the command line came back echoed) the module echoes the
        payload typed after '>' (§2.3.4): expect those bytes back."""
        if p.echoed:
            p.echo_due += payload

    def _take_echo(self, p: Pending, event: ev.Event) -> bool:
        """True when ``event`` is (the rest of) the echo of the payload written
        (:func:`app.link.lines.take_echo`); the frame after '>' may start with the
        prompt's space (the framer keeps it with this frame)."""
        raw = event.raw
        if p.after_prompt:
            p.after_prompt = False
            if raw[:1] == b" " and p.echo_due[:1] != b" ":
                raw = raw[1:]
        return take_echo(p.echo_due, raw)

    def _learn(self, event: ev.Event) -> None:
        """What the module says about its sleep settings (§9.10, §11.1.5)."""
        if isinstance(event, ev.QsclkStatus) and event.n is not None:
            self.sleep_mode = event.n
        elif isinstance(event, ev.QCfgValue) and event.function.lower() == "slplocktimes":
            value = event.int_value()
            if value is not None:
                self.sleep_after = float(value)

    def _apply_settings(self, cmd: AtCommand, out: list[Output]) -> None:
        """A successful AT+QICFG write changes how payloads are encoded (§2.3.9);
        ATE sets echo (§3.1); AT+QSCLK=<n> the sleep mode (§9.10)."""
        if cmd.name == "E" and cmd.form is not Form.TEST:
            value = cmd.values.get("value")
            self.echo = bool(value) if isinstance(value, int) else False
        elif cmd.name == "+QSCLK" and cmd.form is Form.WRITE:
            mode = cmd.values.get("n")
            if isinstance(mode, int):
                self.sleep_mode = mode
        if cmd.key == "qicfg.dataformat":
            send, recv = cmd.values.get("send_data_format"), cmd.values.get("recv_data_format")
            if isinstance(send, int) and isinstance(recv, int):
                self._set_formats(bool(send), bool(recv), self.show_ra, out)
        elif cmd.key == "qicfg.showra":
            mode = cmd.values.get("showRA_mode")
            if isinstance(mode, int):
                self._set_formats(self.send_hex, self.recv_hex, bool(mode), out)

    def _set_formats(self, send: bool, recv: bool, show_ra: bool, out: list[Output]) -> None:
        if (send, recv, show_ra) != (self.send_hex, self.recv_hex, self.show_ra):
            self.send_hex, self.recv_hex, self.show_ra = send, recv, show_ra
            out.append(Notice(DataFormatChanged(send, recv, show_ra)))

    def _on_reboot(self, now: float, out: list[Output]) -> None:
        self._leave_data_mode(out)
        for p in self._live():
            line = p.command.line
            self._finish(
                p,
                Outcome.REBOOTED,
                now,
                out,
                f"the module rebooted (RDY) before {line} finished",
            )
        out.append(Notice(ModuleRebooted(now)))

    def _leave_data_mode(self, out: list[Output]) -> None:
        if self.data_mode:
            self.data_mode = False
            out.append(Notice(DataModeChanged(False)))

    # -- time ------------------------------------------------------------------

    def tick(self, now: float) -> list[Output]:
        out: list[Output] = []
        for p in self._live():
            if p.deadline is None or now < p.deadline:
                continue
            if p.phase is Phase.CANCELLING:
                self._leave_data_mode(out)
                self._finish(p, Outcome.CANCELLED, now, out, "cancelled with Esc")
            elif p.phase is Phase.DEFERRED:
                spec = p.command.deferred
                what = spec.kind.value if spec else "result"
                got = f" ({len(p.result.deferred)} line(s) came)" if p.result.deferred else ""
                self._finish(
                    p,
                    Outcome.DEFERRED_TIMEOUT,
                    now,
                    out,
                    f"OK, but no final {what}: within {spec.timeout if spec else 0:.0f} s{got}",
                )
            elif self._may_retry(p, now):
                self._retry(p, now, out)
            else:
                if self.data_mode and self.current is p:
                    # Never leave the module in data mode: the next command would
                    # become payload.
                    out.append(Write(ESC, TxKind.ESC, p.id))
                    self._leave_data_mode(out)
                waited = {
                    Phase.WAIT_PROMPT: "no '>' prompt",
                    Phase.WAIT_SEND: "OK, but no SEND OK / SEND FAIL",
                    Phase.WAIT_CLOSE: "OK, but no CLOSE OK",
                }.get(p.phase, "no answer")
                self._finish(
                    p,
                    Outcome.TIMEOUT,
                    now,
                    out,
                    f"{waited} within {p.command.timeout:g} s (the spec's maximum response time)",
                )
        return out

    def _may_retry(self, p: Pending, now: float) -> bool:
        """A command lost to a waking module (§9.10 note 1): see the module doc."""
        if p.retried and not p.heard:
            self.unresponsive = True
        if p.retried or self.unresponsive or self.current is not p:
            return False
        if p.phase is not Phase.WAIT_FINAL:
            return False
        if p.command.data_mode is not None or p.prompted or self.sleep_mode == 0:
            return False
        quiet_needed = SLEEP_QUIET_FLOOR_S if self.sleep_after is None else self.sleep_after
        if p.quiet < quiet_needed:
            return False
        if not p.heard:
            return True
        return not p.answered_any and read_only(p.command)

    def _retry(self, p: Pending, now: float, out: list[Output]) -> None:
        p.retried = True
        p.heard = p.answered_any = False
        p.deadline = now + p.command.timeout
        self.last_io = now
        line = p.command.line
        why = f"the module was asleep: {line} sent again"
        out.append(Notice(CommandRetried(p.id, line, why)))
        out.append(Write(self.wire(p.command), TxKind.COMMAND, p.id))

    # -- the end -----------------------------------------------------------------

    def link_lost(self, reason: str, now: float) -> list[Output]:
        out: list[Output] = []
        self._leave_data_mode(out)
        for p in self._live():
            self._finish(p, Outcome.LINK_LOST, now, out, f"link lost: {reason}")
        return out

    def _finish(
        self, p: Pending, outcome: Outcome, now: float, out: list[Output], detail: str = ""
    ) -> None:
        if p.phase is Phase.DONE:
            return
        p.phase = Phase.DONE
        p.deadline = None
        p.result.outcome = outcome
        p.result.detail = detail
        p.result.finished = now
        if self.current is p:
            self.current = None
        if p in self.waiters:
            self.waiters.remove(p)
        out.append(Done(p))
