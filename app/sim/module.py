"""The simulated BC660K-GL: its core state, and the interpreter that answers the host.

Everything here runs on one asyncio loop thread (:class:`EventLoopThread`), which
also runs the host sockets behind the module (:mod:`app.sim.sockets`,
:mod:`app.sim.services`), so the module has one owner and needs no locks. Other
threads reach it only through the thread-safe methods marked so below.

Two documents describe what it does: the TCP/IP application note (the "spec",
§ numbers without a prefix) and the BC660K-GL&BC950K-GL AT Commands Manual
V1.4 ("AT manual §"), for the general 3GPP and Quectel commands.

Byte-level behaviour (spec §2.1.2, AT manual §1.2): a command line starts with
``AT`` (any case) and ends with CR; a LF after the CR is ignored, so CR LF pairs
are fine; several commands can share a line joined by ``;``; ``A/`` repeats the
last line. Every response line is framed ``<CR><LF>...<CR><LF>``. With echo on
(ATE1, the module's default) each byte typed is echoed as it arrives. After
``>`` (AT+QISEND, §2.3.4) the module is in data mode: bytes are payload until
Ctrl-Z (send), Esc (cancel), 1024 bytes (send), or ``<send_length>`` bytes in
fixed-length mode. URCs that fall due while in data mode are held and printed
after the send's result, so they never split what a person is typing.

The command handlers live beside the core, each half reaching it through a
protocol of :mod:`app.sim.host`: the general commands (:mod:`app.sim.general`),
the cellular side (:mod:`app.sim.cellular`: registration, signal, PDN, eDRX),
power saving (:mod:`app.sim.power`: RRC, PSM, UART sleep), the sockets
(:mod:`app.sim.sockets`) and ping, NTP and DNS (:mod:`app.sim.services`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.protocol import catalog
from app.protocol.catalog import FormMismatch, ParamError
from app.protocol.codes import ResultCode, lookup
from app.protocol.syntax import AtSyntaxError, parse_command_line, split_command_line
from app.sim.cellular import (
    STAT_DENIED,
    STAT_NOT_SEARCHING,
    STAT_SEARCHING,
    STAT_UNKNOWN,
    Cellular,
)
from app.sim.config import DnsServer, SimConfig
from app.sim.deviations import deviates
from app.sim.general import General
from app.sim.guard import Guard
from app.sim.host import CME_INCORRECT_PARAMETERS, CME_TEXT, DataModeContext, Handler, line
from app.sim.network import EventLoopThread
from app.sim.output import Schedule, Sink
from app.sim.power import Power
from app.sim.profiles import Profile, get_profile
from app.sim.radio import Cell, Nvram, Signal
from app.sim.services import Services
from app.sim.sockets import Sockets
from app.sim.uart import UartInput


@dataclass
class _Batch:
    """The answer to one command line being built (V.250 §5.7: one final result code
    after the information text of every command on the line)."""

    info: bytearray = field(default_factory=bytearray)
    #: A command printed its own result (data mode's ">", inline SEND OK/FAIL).
    taken: bool = False
    failed: bool = False


class Module:
    """One simulated BC660K-GL."""

    def __init__(self, config: SimConfig, loop_thread: EventLoopThread | None = None) -> None:
        self.config = config
        self.profile: Profile = get_profile(config.profile)
        self.rng = random.Random(config.seed)
        self._own_loop = loop_thread is None
        self.thread = loop_thread or EventLoopThread(f"qiterm-sim-{config.name or 'module'}")
        if self._own_loop:
            self.thread.start()
        self.loop = self.thread.loop

        # What survives a reboot (AT manual: "saved to NVRAM").
        self.nv = Nvram(echo=config.echo, cmee=config.cmee, default_apn=config.apn)
        # The radio environment (a test can change it; a reboot does not).
        rsrp = config.rsrp if config.rsrp is not None else self.profile.rsrp
        self.signal = Signal(
            rsrp=rsrp,
            rsrq=config.rsrq if config.rsrq is not None else self.profile.rsrq,
            sinr=config.sinr if config.sinr is not None else self.profile.sinr,
            rssi=rsrp + 8,
        )
        self.cell = Cell(plmn=config.plmn, tz_quarters=config.tz)

        # Output: one sink (the UART), two ordered schedules (answers, URCs).
        self._sink: Sink | None = None
        self._answers = Schedule(self.loop, self._emit_answer)
        self._urcs = Schedule(self.loop, self._urc_due)
        self._held: list[bytes] = []
        self._pending: list[bytes] = []  # URCs waiting for a boundary (urc_boundaries=1)
        self._after_line: list[bytes] = []  # URCs raised while a command line runs
        self.output_blocked = False
        self.bytes_out = 0

        self.uart = UartInput(self)
        self.guard = Guard.for_config(config.guard)
        self.services = Services(self)
        self.sockets = Sockets(self, self.services.resolve_one)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle | asyncio.Handle] = []
        self._named_timers: dict[str, asyncio.TimerHandle] = {}

        # Faults a test or a demo can arm (see the thread-safe methods below).
        self.fail_next_qiopen: int | None = config.fail_qiopen
        self.hang_commands = 0
        self.closed = False
        #: Monotonic time until which the port cannot be opened (see :meth:`unplug`).
        self.absent_until = 0.0

        self._reset_volatile()
        # The command halves (they reset their own volatile state as they start).
        self.power = Power(self)
        self.cellular = Cellular(self, self.power, self.sockets, self.services)
        self.general = General(self, self.cellular)
        self._handler_table = self._handlers()
        self.call(self.cellular.power_on, config.boot)

    # ------------------------------------------------------------------ state

    def _reset_volatile(self) -> None:
        """What a reboot forgets (everything not saved to NVRAM); the command halves
        forget theirs in :meth:`_reboot`."""
        self.nv.keep_after_reboot()
        self.pin_ok = self.config.pin is None
        self.booted_at = self.loop.time()
        self.clock_offset = 0.0
        self.tz = self.cell.tz_quarters
        self.user_dns: list[str] = []
        self.uart.reset()
        self.last_line: str | None = None
        self.data_mode: DataModeContext | None = None
        self._batch: _Batch | None = None
        self._held.clear()
        self._pending.clear()
        self._after_line.clear()

    @property
    def registered(self) -> bool:
        return self.cellular.registered

    @property
    def ip(self) -> str:
        return self.config.ip

    @property
    def echo(self) -> bool:
        return self.nv.echo

    @property
    def cmee(self) -> int:
        return self.nv.cmee

    @property
    def send_hex(self) -> bool:
        return self.nv.send_hex

    @property
    def recv_hex(self) -> bool:
        return self.nv.recv_hex

    @property
    def show_ra(self) -> bool:
        return self.nv.show_ra

    def dns_servers(self) -> list[DnsServer]:
        """AT+QIDNSCFG's servers (on ``dns_port``), else those the network issued."""
        if self.user_dns:
            return [DnsServer(ip, self.config.dns_port) for ip in self.user_dns]
        return list(self.config.network_dns) if self.registered else []

    def network_activity(self, uplink: bool = True) -> None:
        """Radio traffic happens now (see :class:`app.sim.host.ModuleHost`)."""
        self.power.network_activity(uplink)

    def now(self) -> float:
        """The module clock (Unix seconds, UTC): the host's, moved by AT+QNTP / AT+CCLK=."""
        return time.time() + self.clock_offset

    # ------------------------------------------------------------ thread-safe

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the module's loop (thread-safe; fire and forget)."""
        if self.thread.in_loop_thread:
            fn(*args)
        else:
            self.thread.call(fn, *args)

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 5.0) -> Any:
        """Run ``fn(*args)`` on the loop and return its result (thread-safe)."""
        if self.thread.in_loop_thread:
            return fn(*args)

        async def wrapper() -> Any:
            return fn(*args)

        return self.thread.run(wrapper(), timeout)

    def feed(self, data: bytes) -> None:
        """Bytes from the host (thread-safe)."""
        self.call(self.receive, bytes(data))

    def attach(self, sink: Sink) -> None:
        """Connect the UART to ``sink``; output before this was lost (thread-safe)."""
        sink.set_flow_callback(lambda blocked: self.call(self._flow, blocked))
        self.call(self._attach, sink)

    def detach(self, sink: Sink | None = None) -> None:
        """Disconnect the UART (thread-safe): output is dropped until the next attach."""
        self.call(self._detach, sink)

    def reboot(self) -> None:
        """Reboot now, as AT+QRST=1 does (thread-safe): sockets drop, RDY follows."""
        self.call(self.restart)

    def arm_qiopen_failure(self, code: int = ResultCode.SOCKET_CONNECTION_FAILED) -> None:
        """Make the next AT+QIOPEN report ``+QIOPEN: <id>,<code>`` (thread-safe)."""
        self.call(setattr, self, "fail_next_qiopen", int(code))

    def hang_next(self, count: int = 1) -> None:
        """Let the next ``count`` commands go unanswered (thread-safe)."""
        self.call(setattr, self, "hang_commands", count)

    def drop_pdp(self) -> None:
        """The network drops the PDP context (thread-safe): opens in progress end with
        570, open sockets report ``closed``, and registration comes back later."""
        self.call(self.cellular.drop_pdp)

    def drop_registration(
        self, stat: int = STAT_SEARCHING, reject_cause: int | None = None
    ) -> None:
        """The network registration is lost and stays lost until
        :meth:`regain_registration` (thread-safe). ``stat`` is the AT manual §4.1
        <stat> to report: 2 searching (default), 3 denied (with ``reject_cause``, an
        EMM cause such as 15 "no suitable cells"), 4 out of coverage, 0 not searching.
        Sockets drop as when the PDP context breaks down (570)."""
        if stat not in (STAT_NOT_SEARCHING, STAT_SEARCHING, STAT_DENIED, STAT_UNKNOWN):
            raise ValueError(f"stat must be 0, 2, 3 or 4, not {stat}")
        self.call(self.cellular.lose_registration, stat, reject_cause)

    def regain_registration(self) -> None:
        """The network takes the module back (thread-safe): +CEREG and +IP: follow."""
        self.call(self.cellular.register)

    def set_signal(
        self,
        *,
        rsrp: int | None = None,
        rsrq: int | None = None,
        sinr: int | None = None,
        rssi: int | None = None,
        csq: int | None = None,
    ) -> None:
        """Change the serving cell's signal (thread-safe): RSRP/RSSI in dBm, RSRQ and
        SINR in dB, or the AT+CSQ index ``csq`` (0-31, sets the RSSI). A new RSRP moves
        the RSSI along with it unless one is given."""

        if csq is not None and not 0 <= csq <= 31:
            raise ValueError(f"csq must be 0-31, not {csq}")
        self.call(self.signal.change, rsrp, rsrq, sinr, rssi, csq)

    def power_state(self) -> dict[str, Any]:
        """A snapshot of the power-saving state, for tests and the UI (thread-safe)."""
        state: dict[str, Any] = self.run(
            lambda: {
                "qsclk": self.power.qsclk,
                "asleep": self.power.asleep,
                "deep_sleep": self.power.deep_sleep,
                "psm": self.power.in_psm,
                "rrc_connected": self.power.rrc,
                "registered": self.registered,
            }
        )
        return state

    def emit_raw(self, data: bytes) -> None:
        """Print arbitrary bytes on the UART (garbage tests; thread-safe)."""
        self.call(self.out, bytes(data))

    def unplug(self, for_seconds: float = 0.0) -> None:
        """The UART vanishes, as when a USB adapter is pulled (thread-safe): the open
        port fails its next read, and opening it fails for ``for_seconds``."""
        self.absent_until = time.monotonic() + for_seconds
        self.call(self._unplug)

    def _unplug(self) -> None:
        sink, self._sink = self._sink, None
        breaker = getattr(sink, "break_", None)
        if breaker is not None:
            breaker("device disconnected (simulated unplug)")
        self._flow(False)

    def set_profile(self, name: str) -> None:
        profile = get_profile(name)
        self.call(setattr, self, "profile", profile)

    def close(self) -> None:
        """Power off: close every socket, stop the loop if the module owns it."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self.run(self._shutdown, timeout=3.0)
        if self._own_loop:
            self.thread.stop()

    # --------------------------------------------------------------- output

    def _attach(self, sink: Sink) -> None:
        self._sink = sink
        self._flow(False)

    def _detach(self, sink: Sink | None) -> None:
        if sink is None or sink is self._sink:
            self._sink = None
            self._flow(False)

    def _flow(self, blocked: bool) -> None:
        if blocked != self.output_blocked:
            self.output_blocked = blocked
            self.sockets.set_reading(not blocked)

    def out(self, data: bytes) -> None:
        if not data:
            return
        self.power.uart_activity()
        sink = self._sink
        if sink is not None:
            self.bytes_out += len(data)
            sink.write(data)

    def _emit_answer(self, data: bytes) -> None:
        """An answer goes out; URCs waiting for a boundary go before or after it."""
        if not self._pending:
            self.out(data)
            return
        pending, self._pending = self._pending, []
        self.cancel_timer("pending")
        cut = self.rng.randint(0, len(pending))
        before, after = pending[:cut], pending[cut:]
        if data.endswith(b"> "):
            # Nothing follows the data-mode prompt on the same line (§2.3.4).
            self._pending, after = after, []
            if self._pending:
                self._arm_pending()
        self.out(b"".join(before) + data + b"".join(after))

    def _urc_due(self, data: bytes) -> None:
        if self._batch is not None:
            # A URC raised by a command goes after that command line's answer.
            self._after_line.append(data)
        elif self.power.in_psm:
            self.power.psm_held.append(data)  # spec §2.4 note 1: no URC while in PSM
        elif self.data_mode is not None:
            self._held.append(data)
        elif self.config.urc_boundaries:
            self._place_urc(data)
        else:
            self.out(data)

    def _place_urc(self, data: bytes) -> None:
        """``urc_boundaries``: out now (a third of the time, when nothing waits), else
        held for the next answer (before its first line or glued after its final
        result) or, when no answer comes, a short while later."""
        if not self._pending and self.rng.random() < 1 / 3:
            self.out(data)
            return
        self._pending.append(data)
        self._arm_pending()

    def _arm_pending(self) -> None:
        if not self.timer_armed("pending"):
            self.start_timer("pending", self.rng.uniform(0.05, 0.3), self._flush_pending)

    def _flush_pending(self) -> None:
        self.timer_fired("pending")
        pending, self._pending = self._pending, []
        if self.data_mode is not None:
            self._held.extend(pending)
        else:
            self.out(b"".join(pending))

    def power_urc(self, text: str) -> None:
        """A power-saving event URC: printed now, even on the way into PSM."""
        data = line(text)
        if self.data_mode is not None:
            self._held.append(data)
        else:
            self.out(data)

    def answer(self, data: bytes) -> None:
        """A command's answer, after the profile's command latency. Inside a command
        line being executed, it ends the line: the command printed its own result."""
        batch = self._batch
        if batch is not None:
            batch.taken = True
            data, batch.info = bytes(batch.info) + data, bytearray()
        self._put_answer(data)

    def _put_answer(self, data: bytes) -> None:
        self._answers.put(data, self.profile.pick(self.profile.command_latency, self.rng))

    def urc(self, text: str | bytes, *, paged: bool = True) -> None:
        """An unsolicited line; ``paged`` ones wait for the paging delay (§2.4 note 2)."""
        delay = self.profile.pick(self.profile.urc_latency, self.rng) if paged else 0.0
        self._urcs.put(line(text), delay)

    def urc_raw(self, data: bytes, *, paged: bool = True) -> None:
        delay = self.profile.pick(self.profile.urc_latency, self.rng) if paged else 0.0
        self._urcs.put(data, delay)

    def ok(self, *lines: str | bytes) -> None:
        """Information lines, then OK. Lines of one response follow each other with a
        single CR LF between them, as chapter 4.3.1 prints two +QISTATE rows. Inside a
        command line the OK waits for the line's last command (AT manual §1.3)."""
        body = [x.encode("latin-1") if isinstance(x, str) else x for x in lines]
        head = line(b"\r\n".join(body)) if body else b""
        batch = self._batch
        if batch is not None:
            batch.info += head
            return
        self._put_answer(head + line("OK"))

    def error(self, code: int | None = None) -> None:
        """``ERROR``; with AT+CMEE=1/2 and a code, ``+CME ERROR: <n>`` / its text."""
        if code is None or self.cmee == 0:
            data = line("ERROR")
        elif self.cmee == 1:
            data = line(f"+CME ERROR: {code}")
        else:
            known = lookup(code)
            text = known.meaning if known is not None else CME_TEXT.get(code, str(code))
            data = line(f"+CME ERROR: {text}")
        batch = self._batch
        if batch is not None:
            batch.failed = True
            data, batch.info = bytes(batch.info) + data, bytearray()
        self._put_answer(data)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A background job (an open, a ping...) that a reboot cancels."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` after ``delay`` s (at once when 0); a reboot cancels it."""
        if delay <= 0:
            fn(*args)
            return
        self._timers.append(self.loop.call_later(delay, fn, *args))

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` once the current command line is answered; a reboot cancels it."""
        self._timers.append(self.loop.call_soon(fn, *args))

    def start_timer(self, name: str, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` after ``delay`` s, in place of the timer of that name."""
        self.cancel_timer(name)
        self._named_timers[name] = self.loop.call_later(max(0.0, delay), fn)

    def cancel_timer(self, name: str) -> None:
        handle = self._named_timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def timer_fired(self, name: str) -> None:
        """Forget the named timer whose callback runs now."""
        self._named_timers.pop(name, None)

    def timer_armed(self, name: str) -> bool:
        return name in self._named_timers

    def after_answers(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every answer queued so far is out."""
        if not self._answers.queue:
            fn()
            return
        at = self._answers.last
        self._timers.append(self.loop.call_at(at + 0.001, fn))

    def uart_busy(self) -> bool:
        """Input or output is under way (data mode, a command line, answers due)."""
        return self.data_mode is not None or bool(self._answers.queue) or self.uart.typing

    async def pause(self, span: tuple[float, float]) -> None:
        delay = self.profile.pick(span, self.rng)
        if delay > 0:
            await asyncio.sleep(delay)

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes) -> None:
        """Bytes from the host, on the loop thread."""
        if not data:
            return
        if self.power.asleep:
            # The command line that wakes the UART is lost, echoed and answered by
            # nothing (AT manual §9.10 note 1; see Power.wake_by_uart).
            self.uart.discard_line()
            self.power.wake_by_uart()
        self.power.uart_activity()
        self.uart.receive(data)

    def line_received(self, text: str, overflow: bool) -> None:
        """A command line came in (not empty; ``overflow``: longer than kept)."""
        if self.hang_commands > 0:
            self.hang_commands -= 1
            return
        if overflow:
            self.error()
            return
        self.last_line = text
        self._run_line(text)

    def repeat_line(self) -> None:
        """``A/``: the last command line again."""
        if self.last_line is not None:
            self._run_line(self.last_line)

    def enter_data_mode(self, ctx: DataModeContext) -> None:
        """Print ``>`` and collect payload (§2.3.4)."""
        self.data_mode = ctx
        self.answer(b"> " if deviates(self.config, "prompt") else b"\r\n> ")

    def leave_data_mode(self, send: bool) -> None:
        ctx = self.data_mode
        self.data_mode = None
        if ctx is not None:
            if send:
                self.sockets.send_from_data_mode(ctx)
            else:
                # §2.3.4: Esc cancels; chapter 3 has 571 "Send Canceled" for it.
                self.error(ResultCode.SEND_CANCELED)
        held, self._held = self._held, []
        for data in held:
            self._urcs.put(data, 0.0)

    # ------------------------------------------------------------- commands

    def _run_line(self, text: str) -> None:
        """Execute one command line: its commands in turn, one final result code."""
        try:
            commands = split_command_line(text)
        except AtSyntaxError:
            self.error()
            return
        batch = _Batch()
        self._batch = batch
        try:
            for command in commands:
                self.execute(command)
                if batch.failed or batch.taken or self.data_mode is not None:
                    break
        finally:
            self._batch = None
        if not (batch.failed or batch.taken):
            self._put_answer(bytes(batch.info) + line("OK"))
        if self._after_line:
            after, self._after_line = self._after_line, []

            def release() -> None:
                for data in after:
                    self._urc_due(data)

            self.after_answers(release)

    def execute(self, text: str) -> None:
        """Execute one command (no ``;``); the answer goes through ok/error/answer."""
        try:
            parsed = parse_command_line(text)
        except AtSyntaxError:
            self.error()
            return
        spec = catalog.lookup(parsed.name)
        if spec is None:
            self.error()  # not a command of this module
            return
        try:
            match = catalog.match(parsed)
        except (FormMismatch, ParamError):
            self.error(self._param_error_code(spec))
            return
        handler = self._handler_table.get(match.form.key)
        if handler is None:  # pragma: no cover - a catalog form without a handler
            self.error()
            return
        handler(parsed, match.values)

    @staticmethod
    def _param_error_code(spec: catalog.CommandSpec) -> int:
        return (
            ResultCode.PARAMETERS_INVALID
            if spec.chapter.startswith("2.3")
            else CME_INCORRECT_PARAMETERS
        )

    def _handlers(self) -> dict[str, Handler]:
        return {
            **self.general.handlers(),
            **self.cellular.handlers(),
            **self.power.handlers(),
            **self.sockets.handlers(),
            **self.services.handlers(),
        }

    def restart(self) -> None:
        """Reboot now (AT+QRST=1, AT+CFUN=<fun>,1): sockets drop, RDY follows."""
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self._reset_volatile()
        self.power.reset()
        self.cellular.reset()
        self.cellular.boot()
        self.power.arm_sleep()

    def _stop_activity(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for name in list(self._named_timers):
            self.cancel_timer(name)
        self._answers.clear()
        self._urcs.clear()

    def _shutdown(self) -> None:
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self.services.cancel_all()
        self._sink = None
