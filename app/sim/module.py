"""The simulated BC660K-GL: its state, and the interpreter that answers the host.

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

Power saving (AT manual §9): with AT+QSCLK=1/2 the UART sleeps after a quiet
spell and the first command line that wakes it is lost; with AT+CPSMS=1 the
module enters PSM once the RRC connection is released and the active time ran
out, and holds its URCs until traffic brings it back (spec §2.4 note 1).
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import random
import re
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.protocol import catalog
from app.protocol.catalog import FormMismatch, ParamError, Value
from app.protocol.codes import ResultCode, lookup
from app.protocol.syntax import (
    AtSyntaxError,
    CommandLine,
    parse_command_line,
    split_command_line,
)
from app.sim.config import DnsServer, SimConfig
from app.sim.guard import Guard
from app.sim.host import DataModeContext, line
from app.sim.network import EventLoopThread
from app.sim.output import Sink
from app.sim.profiles import Profile, get_profile
from app.sim.radio import (
    ACT_NB_S1,
    EDRX_ACT_NB_S1,
    Cell,
    Nvram,
    PdpContext,
    Signal,
    cesq,
    csq_index,
    select_plmn,
    t3324_seconds,
)
from app.sim.services import Services
from app.sim.sockets import Sockets

CR, LF, BS, CTRL_Z, ESC, SLASH = 0x0D, 0x0A, 0x08, 0x1A, 0x1B, 0x2F
#: Longest command line kept; a longer one is answered ERROR (never buffered without bound).
MAX_COMMAND_LINE = 4096
#: §2.3.4: variable-length data mode sends by itself at 1024 bytes of input.
DATA_MODE_MAX = 1024

MANUFACTURER = "Quectel_Ltd"
MODEL = "Quectel_BC660K-GL"
REVISION = "BC660KGLAAR01A05"
#: AT manual §2.2: AT+CGMI's third line, as the manual prints it.
CGMI_REVISION = "QCX"
#: AT manual §2.5 <SVN>: the software version number inside the IMEISV.
SVN = "01"
#: The APN the simulated network gives the initial PDP context when none is configured.
NETWORK_APN = "nbiot.qiterm"

# AT manual Table 5 (chapter 15): the +CME ERROR codes the simulator uses, worded as there.
CME_NOT_ALLOWED = 3
CME_NOT_SUPPORTED = 4
CME_SIM_PIN_REQUIRED = 11
CME_INCORRECT_PASSWORD = 16
CME_NO_NETWORK = 30
CME_INCORRECT_PARAMETERS = 50
CME_TEXT = {
    CME_NOT_ALLOWED: "Operation not allowed",
    CME_NOT_SUPPORTED: "Operation not supported",
    10: "USIM not inserted",
    CME_SIM_PIN_REQUIRED: "USIM PIN required",
    12: "USIM PUK required",
    CME_INCORRECT_PASSWORD: "Incorrect password",
    CME_NO_NETWORK: "No network service",
    CME_INCORRECT_PARAMETERS: "Incorrect Parameters",
    100: "Unknown",
}

# AT manual §4.1 <stat>.
STAT_NOT_SEARCHING, STAT_HOME, STAT_SEARCHING, STAT_DENIED, STAT_UNKNOWN = 0, 1, 2, 3, 4

_CCLK = re.compile(r"(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d?)")


class _Schedule:
    """Output that falls due later, kept in order (a delay never reorders lines)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, emit: Callable[[bytes], None]) -> None:
        self.loop = loop
        self.emit = emit
        self.queue: deque[tuple[float, bytes]] = deque()
        self.last = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def put(self, data: bytes, delay: float) -> None:
        now = self.loop.time()
        if delay <= 0 and not self.queue:
            self.emit(data)
            return
        at = max(now + delay, self.last)
        self.last = at
        self.queue.append((at, data))
        if self.timer is None:
            self.timer = self.loop.call_at(self.queue[0][0], self._pump)

    def _pump(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            self.emit(self.queue.popleft()[1])
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0], self._pump)

    def clear(self) -> None:
        self.queue.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


@dataclass
class _Batch:
    """The answer to one command line being built (V.250 §5.7: one final result code
    after the information text of every command on the line)."""

    info: bytearray = field(default_factory=bytearray)
    #: A command printed its own result (data mode's ">", inline SEND OK/FAIL).
    taken: bool = False
    failed: bool = False


Handler = Callable[[CommandLine, dict[str, Value]], None]


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
        self.ipr = 115200
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
        self._answers = _Schedule(self.loop, self._emit_answer)
        self._urcs = _Schedule(self.loop, self._urc_due)
        self._held: list[bytes] = []
        self._psm_held: list[bytes] = []
        self._pending: list[bytes] = []  # URCs waiting for a boundary (urc_boundaries=1)
        self._after_line: list[bytes] = []  # URCs raised while a command line runs
        self.output_blocked = False
        self.bytes_out = 0

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

        self._cfun_after_reset = 1
        self._reset_volatile()
        self.call(self._power_on, config.boot)

    # ------------------------------------------------------------------ state

    def _reset_volatile(self) -> None:
        """What a reboot forgets (everything not saved to NVRAM)."""
        self.nv.keep_after_reboot()
        self.cfun = self._cfun_after_reset
        self._cfun_after_reset = 1
        self.stat = STAT_NOT_SEARCHING
        self.reject_cause: int | None = None
        self.detached = False  # AT+CGATT=0
        self.cops_deregistered = self.nv.cops_mode == 2
        self.pin_ok = self.config.pin is None
        self.apn = (self.nv.default_apn or NETWORK_APN).upper()
        self.qsclk = self.config.sleep  # AT manual §9.10: not saved to NVRAM
        self.asleep = False
        self.deep_sleep = False
        self.in_psm = False
        self.rrc = False
        self._rrc_until = 0.0
        self._last_io = self.loop.time()
        self.booted_at = self.loop.time()
        self.sleep_total = 0.0
        self._asleep_since = 0.0
        self.rrc_total = 0.0
        self._rrc_since = 0.0
        self.clock_offset = 0.0
        self.tz = self.cell.tz_quarters
        self.user_dns: list[str] = []
        self._line = bytearray()
        self._line_overflow = False
        self._skip_lf = False
        self._discard_line = False
        self.last_line: str | None = None
        self.data_mode: DataModeContext | None = None
        self._batch: _Batch | None = None
        self._held.clear()
        self._psm_held.clear()
        self._pending.clear()
        self._after_line.clear()

    @property
    def registered(self) -> bool:
        return self.stat in (STAT_HOME, 5)

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
        self.call(self._reboot)

    def arm_qiopen_failure(self, code: int = ResultCode.SOCKET_CONNECTION_FAILED) -> None:
        """Make the next AT+QIOPEN report ``+QIOPEN: <id>,<code>`` (thread-safe)."""
        self.call(setattr, self, "fail_next_qiopen", int(code))

    def hang_next(self, count: int = 1) -> None:
        """Let the next ``count`` commands go unanswered (thread-safe)."""
        self.call(setattr, self, "hang_commands", count)

    def drop_pdp(self) -> None:
        """The network drops the PDP context (thread-safe): opens in progress end with
        570, open sockets report ``closed``, and registration comes back later."""
        self.call(self._drop_pdp)

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
        self.call(self._lose_registration, stat, reject_cause)

    def regain_registration(self) -> None:
        """The network takes the module back (thread-safe): +CEREG and +IP: follow."""
        self.call(self._register)

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

        def apply() -> None:
            s = self.signal
            if rsrp is not None:
                s.rssi += rsrp - s.rsrp
                s.rsrp = rsrp
            if rsrq is not None:
                s.rsrq = rsrq
            if sinr is not None:
                s.sinr = sinr
            if rssi is not None:
                s.rssi = rssi
            if csq is not None:
                if not 0 <= csq <= 31:
                    return
                s.rssi = -113 + 2 * csq

        if csq is not None and not 0 <= csq <= 31:
            raise ValueError(f"csq must be 0-31, not {csq}")
        self.call(apply)

    def power_state(self) -> dict[str, Any]:
        """A snapshot of the power-saving state, for tests and the UI (thread-safe)."""
        state: dict[str, Any] = self.run(
            lambda: {
                "qsclk": self.qsclk,
                "asleep": self.asleep,
                "deep_sleep": self.deep_sleep,
                "psm": self.in_psm,
                "rrc_connected": self.rrc,
                "registered": self.registered,
            }
        )
        return state

    def emit_raw(self, data: bytes) -> None:
        """Print arbitrary bytes on the UART (garbage tests; thread-safe)."""
        self.call(self._out, bytes(data))

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

    def _out(self, data: bytes) -> None:
        if not data:
            return
        self._io()
        sink = self._sink
        if sink is not None:
            self.bytes_out += len(data)
            sink.write(data)

    def _emit_answer(self, data: bytes) -> None:
        """An answer goes out; URCs waiting for a boundary go before or after it."""
        if not self._pending:
            self._out(data)
            return
        pending, self._pending = self._pending, []
        self._cancel_timer("pending")
        cut = self.rng.randint(0, len(pending))
        before, after = pending[:cut], pending[cut:]
        if data.endswith(b"> "):
            # Nothing follows the data-mode prompt on the same line (§2.3.4).
            self._pending, after = after, []
            if self._pending:
                self._arm_pending()
        self._out(b"".join(before) + data + b"".join(after))

    def _urc_due(self, data: bytes) -> None:
        if self._batch is not None:
            # A URC raised by a command goes after that command line's answer.
            self._after_line.append(data)
        elif self.in_psm:
            self._psm_held.append(data)  # spec §2.4 note 1: no URC while in PSM
        elif self.data_mode is not None:
            self._held.append(data)
        elif self.config.urc_boundaries:
            self._place_urc(data)
        else:
            self._out(data)

    def _place_urc(self, data: bytes) -> None:
        """``urc_boundaries``: out now (a third of the time, when nothing waits), else
        held for the next answer (before its first line or glued after its final
        result) or, when no answer comes, a short while later."""
        if not self._pending and self.rng.random() < 1 / 3:
            self._out(data)
            return
        self._pending.append(data)
        self._arm_pending()

    def _arm_pending(self) -> None:
        if "pending" not in self._named_timers:
            self._start_timer("pending", self.rng.uniform(0.05, 0.3), self._flush_pending)

    def _flush_pending(self) -> None:
        self._named_timers.pop("pending", None)
        pending, self._pending = self._pending, []
        if self.data_mode is not None:
            self._held.extend(pending)
        else:
            self._out(b"".join(pending))

    def _power_urc(self, text: str) -> None:
        """A power-saving event URC: printed now, even on the way into PSM."""
        data = line(text)
        if self.data_mode is not None:
            self._held.append(data)
        else:
            self._out(data)

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

    def _soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` once the current command line is answered; a reboot cancels it."""
        self._timers.append(self.loop.call_soon(fn, *args))

    def _start_timer(self, name: str, delay: float, fn: Callable[[], None]) -> None:
        self._cancel_timer(name)
        self._named_timers[name] = self.loop.call_later(max(0.0, delay), fn)

    def _cancel_timer(self, name: str) -> None:
        handle = self._named_timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    async def pause(self, span: tuple[float, float]) -> None:
        delay = self.profile.pick(span, self.rng)
        if delay > 0:
            await asyncio.sleep(delay)

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes) -> None:
        """Bytes from the host, on the loop thread."""
        if not data:
            return
        if self.asleep:
            self._wake_by_uart()
        self._io()
        i = 0
        n = len(data)
        while i < n:
            b = data[i]
            if self._skip_lf:
                # AT manual §1.2: "A newline character is ignored so it is permissible
                # to use carriage return/line feed pairs on the input" -- also when the
                # command just put the module in data mode.
                self._skip_lf = False
                if b == LF:
                    i += 1
                    continue
            if self._discard_line:
                # The line that woke the UART is lost (see _wake_by_uart).
                i += 1
                if b == CR:
                    self._discard_line = False
                    self._skip_lf = True
                continue
            ctx = self.data_mode
            if ctx is not None:
                i = self._data_mode_input(ctx, data, i)
                continue
            i += 1
            if b == CR:
                self._skip_lf = True
                self._end_of_line()
            elif b == LF and not self._line:
                continue  # a lone LF between commands
            elif b in (ESC, CTRL_Z):
                continue  # no meaning outside data mode (qiterm sends Esc to resync)
            elif b == BS:
                if self._line:
                    del self._line[-1]
                if self.echo:
                    self._out(bytes([b]))
            elif b == SLASH and bytes(self._line) in (b"A", b"a"):
                # V.250 §5.2.4: "A/" repeats the last command line, without a CR.
                self._line.clear()
                if self.echo:
                    self._out(b"/")
                if self.last_line is not None:
                    self._run_line(self.last_line)
            else:
                if len(self._line) < MAX_COMMAND_LINE:
                    self._line.append(b)
                else:
                    self._line_overflow = True
                if self.echo:
                    self._out(bytes([b]))

    def _end_of_line(self) -> None:
        raw = bytes(self._line)
        overflow = self._line_overflow
        self._line.clear()
        self._line_overflow = False
        if self.echo:
            self._out(b"\r")
        text = raw.decode("latin-1").strip()
        if not text:
            return  # an empty line: real modules stay silent
        if self.hang_commands > 0:
            self.hang_commands -= 1
            return
        if overflow:
            self.error()
            return
        self.last_line = text
        self._run_line(text)

    def _data_mode_input(self, ctx: DataModeContext, data: bytes, i: int) -> int:
        n = len(data)
        if ctx.fixed is not None:
            take = min(ctx.fixed - len(ctx.buffer), n - i)
            chunk = data[i : i + take]
            ctx.buffer += chunk
            if self.echo:
                self._out(chunk)
            i += take
            if len(ctx.buffer) >= ctx.fixed:
                self._leave_data_mode(send=True)
            return i
        b = data[i]
        if b == CTRL_Z:
            self._leave_data_mode(send=True)
            return i + 1
        if b == ESC:
            self._leave_data_mode(send=False)
            return i + 1
        # Take a run of ordinary bytes at once.
        j = i
        limit = min(n, i + DATA_MODE_MAX - len(ctx.buffer))
        while j < limit and data[j] not in (CTRL_Z, ESC):
            j += 1
        chunk = data[i:j]
        ctx.buffer += chunk
        if self.echo:
            self._out(chunk)
        if len(ctx.buffer) >= DATA_MODE_MAX:
            self._leave_data_mode(send=True)
        return j

    def enter_data_mode(self, ctx: DataModeContext) -> None:
        """Print ``>`` and collect payload (§2.3.4)."""
        self.data_mode = ctx
        self.answer(b"\r\n> ")

    def _leave_data_mode(self, *, send: bool) -> None:
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

            self._answers_then(release)

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
        handler = self._handlers().get(match.form.key)
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
        s, v = self.sockets, self.services
        return {
            "at": self._at,
            "ate": self._ate,
            "ati": self._ati,
            "cgmi.test": self._just_ok,
            "cgmi": self._cgmi,
            "cgmm.test": self._just_ok,
            "cgmm": self._cgmm,
            "cgmr.test": self._just_ok,
            "cgmr": self._cgmr,
            "cgsn.test": self._cgsn_test,
            "cgsn.exec": self._cgsn,
            "cgsn.write": self._cgsn,
            "ipr.test": self._ipr_test,
            "ipr.read": self._ipr_read,
            "ipr.write": self._ipr_write,
            "cereg.test": self._cereg_test,
            "cereg.read": self._cereg_read,
            "cereg.write": self._cereg_write,
            "cesq.test": self._cesq_test,
            "cesq": self._cesq,
            "cgatt.test": self._cgatt_test,
            "cgatt.read": self._cgatt_read,
            "cgatt.write": self._cgatt_write,
            "cgpaddr.test": self._cgpaddr_test,
            "cgpaddr.read": self._cgpaddr,
            "cgpaddr.exec": self._cgpaddr,
            "cgpaddr.write": self._cgpaddr,
            "cscon.test": self._cscon_test,
            "cscon.read": self._cscon_read,
            "cscon.write": self._cscon_write,
            "csq.test": self._csq_test,
            "csq": self._csq,
            "qeng.test": self._qeng_test,
            "qeng.write": self._qeng,
            "cgdcont.test": self._cgdcont_test,
            "cgdcont.read": self._cgdcont_read,
            "cgdcont.write": self._cgdcont_write,
            "qcgdefcont.test": self._qcgdefcont_test,
            "qcgdefcont.read": self._qcgdefcont_read,
            "qcgdefcont.write": self._qcgdefcont_write,
            "cops.test": self._cops_test,
            "cops.read": self._cops_read,
            "cops.write": self._cops_write,
            "cimi.test": self._just_ok,
            "cimi": self._cimi,
            "cpin.test": self._just_ok,
            "cpin.read": self._cpin_read,
            "cpin.write": self._cpin_write,
            "qccid": self._qccid,
            "cedrxs.test": self._cedrxs_test,
            "cedrxs.read": self._cedrxs_read,
            "cedrxs.write": self._cedrxs_write,
            "cedrxrdp.test": self._just_ok,
            "cedrxrdp": self._cedrxrdp,
            "cfun.test": self._cfun_test,
            "cfun.read": self._cfun_read,
            "cfun.write": self._cfun_write,
            "cpsms.test": self._cpsms_test,
            "cpsms.read": self._cpsms_read,
            "cpsms.write": self._cpsms_write,
            "qnbiotevent.test": self._just_ok,
            "qnbiotevent.read": self._qnbiotevent_read,
            "qnbiotevent.write": self._qnbiotevent_write,
            "qsclk.test": self._qsclk_test,
            "qsclk.read": self._qsclk_read,
            "qsclk.write": self._qsclk_write,
            "cbc.test": self._just_ok,
            "cbc": self._cbc,
            "cmee.test": self._cmee_test,
            "cmee.read": self._cmee_read,
            "cmee.write": self._cmee_write,
            "qrst.test": self._qrst_test,
            "qrst": self._qrst,
            "qcfg.test": self._qcfg_test,
            "qcfg.read": self._qcfg_read,
            "qcfg.dsevent": self._qcfg_dsevent,
            "qcfg.slplocktimes": self._qcfg_slplocktimes,
            "cclk.test": self._just_ok,
            "cclk.read": self._cclk_read,
            "cclk.write": self._cclk_write,
            "ctzr.test": self._ctzr_test,
            "ctzr.read": self._ctzr_read,
            "ctzr.write": self._ctzr_write,
            "qiopen.test": s.qiopen_test,
            "qiopen.write": s.qiopen,
            "qiclose.test": s.qiclose_test,
            "qiclose.write": s.qiclose,
            "qistate.test": s.qistate_test,
            "qistate.read": s.qistate,
            "qistate.context": s.qistate,
            "qistate.connect": s.qistate,
            "qisend.test": s.qisend_test,
            "qisend.inline": s.qisend,
            "qisend.variable": s.qisend,
            "qisend.query": s.qisend_query,
            "qisend.fixed": s.qisend,
            "qisend.udp_inline": s.qisend,
            "qisend.udp_variable": s.qisend,
            "qisend.udp_fixed": s.qisend,
            "qping.test": v.qping_test,
            "qping.write": v.qping,
            "qntp.test": v.qntp_test,
            "qntp.write": v.qntp,
            "qidnsgip.test": v.qidnsgip_test,
            "qidnsgip.write": v.qidnsgip,
            "qidnscfg.test": v.qidnscfg_test,
            "qidnscfg.write": v.qidnscfg,
            "qidnscfg.query": v.qidnscfg_query,
            "qicfg.test": self._qicfg_test,
            "qicfg.dataformat": self._qicfg_dataformat,
            "qicfg.showra": self._qicfg_showra,
        }

    def _just_ok(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok()

    # -- identification (AT manual chapter 2)

    def _at(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok()

    def _ate(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # V.250: ATE is ATE0. AT manual §3.1: saved to NVRAM.
        self.nv.echo = bool(v.get("value") or 0) if cmd.args else False
        self.ok()

    def _ati(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(MANUFACTURER, MODEL, f"Revision: {REVISION}")

    def _cgmi(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(MANUFACTURER, MODEL, f"Revision: {CGMI_REVISION}")

    def _cgmm(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(MODEL)

    def _cgmr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"Revision: {REVISION}")

    def _cgsn_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CGSN: (0-3)")

    def _cgsn(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        imei = self.config.imei
        snt = v.get("snt")
        if snt == 1:
            self.ok(f"+CGSN: {imei}")
        elif snt == 2:
            self.ok(f"+CGSN: {imei[:14]}{SVN}")
        elif snt == 3:
            self.ok(f"+CGSN: {SVN}")
        else:
            self.ok(imei)  # <SN>: the IMEI on this module

    def _ipr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+IPR: ({','.join(str(r) for r in catalog.IPR_RATES)})")

    def _ipr_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+IPR: {self.ipr}")

    def _ipr_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ipr = int(v["rate"] or 115200)  # no line rate is simulated
        self.ok()

    # -- network status (AT manual chapter 4)

    def _cereg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CEREG: (0-5)")

    def _cereg_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CEREG: {self.nv.cereg_n},{self._cereg_body()}")

    def _cereg_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cereg_n = int(v["n"] or 0)
        self.ok()

    def _cereg_body(self) -> str:
        """``<stat>[,[<tac>],[<ci>],[<AcT>][,[<cause_type>],[<reject_cause>][,[<Active-Time>],
        [<Periodic-TAU>]]]]`` for the current <n> (AT manual §4.1): the location once
        camped (n >= 2), the EMM cause of a rejection (n = 3, 5), the PSM timers the
        network allocated (n = 4, 5)."""
        n = self.nv.cereg_n
        fields = [str(self.stat)]
        camped = self.stat in (STAT_HOME, STAT_DENIED, 5)
        cause = self.reject_cause if n in (3, 5) and self.stat == STAT_DENIED else None
        timers = n in (4, 5) and self.registered
        if n >= 2 and camped:
            fields += [f'"{self.cell.tac}"', f'"{self.cell.ci}"', str(ACT_NB_S1)]
        elif cause is not None or timers:
            fields += ["", "", ""]
        if cause is not None or timers:
            fields += ["0", str(cause)] if cause is not None else ["", ""]
        if timers:
            psm = self.nv.psm_mode == 1
            active = f'"{self.nv.psm_active}"' if psm else ""
            tau = self.nv.psm_tau if psm else self.cell.network_tau
            fields += [active, f'"{tau}"']
        return ",".join(fields)

    def _cereg_urc(self) -> None:
        if self.nv.cereg_n >= 1:
            self.urc(f"+CEREG: {self._cereg_body()}", paged=False)

    def _cesq_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)")

    def _cesq(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(cesq(self.signal, self.registered))

    def _cgatt_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CGATT: (0,1)")

    def _cgatt_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CGATT: {int(self.registered)}")

    def _cgatt_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §4.3: "If the MT is already in the requested state, the command
        # ignores and the OK response is still returned."
        if v["state"] == 1:
            self.detached = False
            self.ok()
            if not self.registered:
                self._soon(self._start_search)
        else:
            self.detached = True
            self.ok()
            if self.stat != STAT_NOT_SEARCHING:
                self._soon(self._deregister, STAT_NOT_SEARCHING, None)

    def _contexts(self) -> list[int]:
        return [0, *sorted(self.nv.contexts)]

    def _cgpaddr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CGPADDR: ({','.join(str(c) for c in self._contexts())})")

    def _cgpaddr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §4.4: <PDP_addr> "is omitted if none is available"; only cid 0
        # (the initial context) is ever active here.
        cid = v.get("cid")
        cids = self._contexts() if cid is None else [int(cid)]
        rows = [
            f'+CGPADDR: {c},"{self.ip}"' if c == 0 and self.registered else f"+CGPADDR: {c}"
            for c in cids
        ]
        self.ok(*rows)

    def _cscon_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CSCON: (0,1)")

    def _cscon_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CSCON: {self.nv.cscon_n},{int(self.rrc)}")

    def _cscon_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cscon_n = int(v["n"] or 0)
        self.ok()

    def _csq_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CSQ: (0-31,99),(0-7,99)")

    def _csq(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        rssi = csq_index(self.signal.rssi) if self.registered else 99
        self.ok(f"+CSQ: {rssi},99")

    def _qeng_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+QENG: (0-3)")

    def _ecl(self) -> int:
        """§4.8 <sc_ECL> from the RSRP (coverage enhancement level 0-2)."""
        rsrp = self.signal.rsrp
        return 0 if rsrp >= -105 else 1 if rsrp >= -115 else 2

    def _qeng(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        if mode == 1:
            self.error(CME_NOT_SUPPORTED)  # "not supported currently"
            return
        if mode == 0:
            if self.cfun != 1:
                self.error(CME_NOT_ALLOWED)
                return
            c, s = self.cell, self.signal
            tx = 10 + 4 * self._ecl() if self.rrc else -128
            self.ok(
                f'+QENG: 0,{c.earfcn},{c.earfcn_offset},{c.pci},"{c.ci}",{s.rsrp},{s.rsrq},'
                f'{s.rssi},{s.sinr},{c.band},"{c.tac}",{self._ecl()},{tx},{c.operation_mode}'
            )
        elif mode == 2:
            now = self.loop.time()
            asleep = self.sleep_total + (now - self._asleep_since if self.asleep else 0.0)
            rx = self.rrc_total + (now - self._rrc_since if self.rrc else 0.0)
            scale = 1000 if v.get("accuracy") == 0 else 10  # ms, or 0.1 s by default
            self.ok(f"+QENG: 3,{round(asleep * 10)},{round(rx * scale)},{round(rx * scale / 10)}")
        else:
            self.ok(f"+QENG: 4,{self._emm_line()}")

    def _emm_line(self) -> str:
        """§4.8 <EMM_state>,<EMM_mode>,<PLMN_state>,<PLMN_type>,<selectPLMN>."""
        if self.registered:
            emm, plmn_state = "REG", "SELECTED"
        elif self.stat == STAT_SEARCHING:
            emm, plmn_state = "REG INIT", "SEARCHING"
        else:
            emm, plmn_state = "DEREG", "NO PLMN"
        mode = (
            "PSM"
            if self.in_psm
            else "CONNECTED"
            if self.rrc
            else "IDLE"
            if self.registered
            else "UNKNOWN"
        )
        selected = select_plmn(self.cell.plmn) if self.registered else ""
        return f'"{emm}","{mode}","{plmn_state}","HPLMN","{selected}"'

    # -- PDN and APN (AT manual chapter 5)

    def _cgdcont_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        types = ",".join(f'"{t}"' for t in catalog.PDP_TYPES)
        flags = ",".join(["(0,1)"] * 7)
        self.ok(f"+CGDCONT: (0-10),({types}),,,,,(0,1),(0-3),(0-2),{flags}")

    def _cgdcont_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §5.4 example: +CGDCONT: 0,"IP","CMNBIOT","100.81.144.240" for the
        # initial context, then +CGDCONT: 1,"IP","CMNET"; APNs read in upper case (note 1).
        first = f'+CGDCONT: 0,"{self.nv.default_pdp_type}","{self.apn}"'
        if self.registered:
            first += f',"{self.ip}"'
        rows = [first] + [
            f'+CGDCONT: {c.cid},"{c.pdp_type}","{c.apn.upper()}"'
            for _, c in sorted(self.nv.contexts.items())
        ]
        self.ok(*rows)

    def _cgdcont_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        cid = int(v["cid"] or 1)
        if len(cmd.args) == 1:
            self.nv.contexts.pop(cid, None)  # "AT+CGDCONT=<cid> ... become undefined"
        else:
            self.nv.contexts[cid] = PdpContext(
                cid, str(v.get("PDP_type") or "IP"), str(v.get("APN") or "")
            )
        self.ok()

    def _qcgdefcont_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        types = ",".join(f'"{t}"' for t in catalog.PDP_TYPES)
        self.ok(f"+QCGDEFCONT: ({types})")

    def _qcgdefcont_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        fields = [f'"{nv.default_pdp_type}"']
        if nv.default_apn or nv.default_user:
            fields.append(f'"{nv.default_apn}"')
        if nv.default_user:
            fields += [f'"{nv.default_user}"', f'"{nv.default_password}"', str(nv.default_auth)]
        self.ok(f"+QCGDEFCONT: {','.join(fields)}")

    def _qcgdefcont_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §5.6: "takes effect after the module is rebooted".
        nv = self.nv
        nv.default_pdp_type = str(v["PDP_type"])
        nv.default_apn = str(v.get("APN") or "")
        nv.default_user = str(v.get("user_name") or "")
        nv.default_password = str(v.get("password") or "")
        auth = v.get("auth_type")
        nv.default_auth = int(auth) if auth is not None else (1 if nv.default_user else 0)
        self.ok()

    # -- operator selection (AT manual §7.2)

    def _oper(self, fmt: int) -> str:
        c = self.cell
        return c.operator_long if fmt == 0 else c.operator_short if fmt == 1 else c.plmn

    def _cops_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        c = self.cell
        stat = 2 if self.registered else 1
        self.ok(
            f'+COPS: ({stat},"{c.operator_long}","{c.operator_short}","{c.plmn}",{ACT_NB_S1}),'
            ",(0-4),(0-2)"
        )

    def _cops_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = 2 if self.cops_deregistered else self.nv.cops_mode
        if self.registered:
            fmt = self.nv.cops_format
            self.ok(f'+COPS: {mode},{fmt},"{self._oper(fmt)}",{ACT_NB_S1}')
        else:
            self.ok(f"+COPS: {mode}")

    def _cops_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        fmt = v.get("format")
        if fmt is not None:
            self.nv.cops_format = int(fmt)
        if mode == 3:
            self.ok()
            return
        if mode == 2:
            self.cops_deregistered = True
            self.ok()
            self._soon(self._deregister, STAT_NOT_SEARCHING, None)
            return
        oper = v.get("oper")
        if mode == 1 and oper is not None and str(oper) != self._oper(self.nv.cops_format):
            self.error(CME_NO_NETWORK)  # the only network around is not that one
            return
        self.nv.cops_mode = mode  # "Only when <mode>=0/1/4, the configurations are saved"
        self.cops_deregistered = False
        self.ok()
        if not self.registered:
            self._soon(self._start_search)

    # -- USIM (AT manual chapter 8)

    def _sim_ready(self) -> bool:
        if not self.pin_ok:
            self.error(CME_SIM_PIN_REQUIRED)
        return self.pin_ok

    def _cimi(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        if self._sim_ready():
            self.ok(self.config.imsi)

    def _qccid(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+QCCID: {self.config.iccid}")

    def _cpin_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CPIN: READY" if self.pin_ok else "+CPIN: SIM PIN")

    def _cpin_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §8.6: "If no PIN request is pending, no action is taken towards MT
        # and an error message, +CME ERROR, is returned to TE."
        if self.pin_ok:
            self.error(CME_NOT_ALLOWED)
            return
        if str(v["pin"]) != self.config.pin:
            self.error(CME_INCORRECT_PASSWORD)
            return
        self.pin_ok = True
        self.ok()
        self.urc("+CPIN: READY", paged=False)
        self._soon(self._start_search)

    # -- power consumption (AT manual chapter 9)

    def _cedrxs_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok('+CEDRXS: (0-3),(5),("0000"-"1111")')

    def _cedrxs_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # Shows the requested cycle whether or not eDRX is on (seen on A05 firmware:
        # cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md, stage 4).
        self.ok(f'+CEDRXS: {EDRX_ACT_NB_S1},"{self.nv.edrx_value}"')

    def _cedrxs_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        if mode == 3:
            self.nv.edrx_mode, self.nv.edrx_value = 0, Nvram().edrx_value
        else:
            self.nv.edrx_mode = mode
            value = v.get("requested_eDRX_value")
            if value is not None:
                self.nv.edrx_value = str(value)
        self.ok()
        if mode == 2 and self.registered:
            self._cedrxp()

    def _edrx_params(self) -> str:
        value = self.nv.edrx_value
        return f'{EDRX_ACT_NB_S1},"{value}","{value}","{self.cell.edrx_ptw}"'

    def _cedrxp(self) -> None:
        self.urc(f"+CEDRXP: {self._edrx_params()}", paged=False)

    def _cedrxrdp(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        if self.nv.edrx_mode in (1, 2) and self.registered:
            self.ok(f"+CEDRXRDP: {self._edrx_params()}")
        else:
            self.ok("+CEDRXRDP: 0")  # "access technology not supporting eDRX"

    def _cfun_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §9.3, exactly as its example prints it (trailing comma included).
        self.ok("+CFUN: (0,1,4,),(0,1)")

    def _cfun_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CFUN: {self.cfun}")

    def _cfun_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        fun = int(v["fun"] or 0)
        self.ok()
        if v.get("rst") == 1:
            # §9.3 example: AT+CFUN=0,1 -> OK, RDY, then AT+CFUN? answers +CFUN: 0.
            self._cfun_after_reset = fun
            self._soon(self._reboot)
            return
        if fun == self.cfun:
            return
        self.cfun = fun
        if fun != 1:
            self._soon(self._deregister, STAT_NOT_SEARCHING, None)
        else:
            self._soon(self._start_search)

    def _cpsms_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok('+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")')

    def _cpsms_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        self.ok(f'+CPSMS: {nv.psm_mode},,,"{nv.psm_tau}","{nv.psm_active}"')

    def _cpsms_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        mode = int(v["mode"] or 0)
        if mode == 2:
            defaults = Nvram()
            nv.psm_mode, nv.psm_tau, nv.psm_active = 0, defaults.psm_tau, defaults.psm_active
        else:
            nv.psm_mode = mode
            tau, active = v.get("requested_periodic_TAU"), v.get("requested_active_time")
            if tau is not None:
                nv.psm_tau = str(tau)
            if active is not None:
                nv.psm_active = str(active)
        self.ok()
        if nv.psm_mode == 1:
            if self.registered and not self.rrc and not self.in_psm:
                self._arm_psm()
        else:
            self._cancel_timer("psm")
            if self.in_psm:
                self._soon(self._exit_psm)

    def _qnbiotevent_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+QNBIOTEVENT: {int(self.nv.psm_event)},1")

    def _qnbiotevent_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.psm_event = v["enable"] == 1
        self.ok()

    def _qsclk_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+QSCLK: (0-2)")

    def _qsclk_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+QSCLK: {self.qsclk}")

    def _qsclk_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.qsclk = int(v["n"] or 0)
        self.ok()
        if self.qsclk == 0:
            self._cancel_timer("sleep")
        else:
            self._arm_sleep()

    # -- platform (AT manual chapter 10)

    def _cbc(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CBC: {self.config.vbat}")

    def _cmee_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CMEE: (0-2)")

    def _cmee_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CMEE: {self.cmee}")

    def _cmee_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cmee = int(v["n"] or 0)  # AT manual §10.2: saved to NVRAM
        self.ok()

    def _qrst_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+QRST: (1)")

    def _qrst(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §10.4: "resets immediately after OK is returned".
        self.ok()
        self._soon(self._answers_then, self._reboot)

    def _answers_then(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every answer queued so far is out."""
        if not self._answers.queue:
            fn()
            return
        at = self._answers.last
        self._timers.append(self.loop.call_at(at + 0.001, fn))

    # -- AT+QCFG (AT manual §11.1)

    def _qcfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok('+QCFG: "dsevent",(0,1)', '+QCFG: "slplocktimes",(0-30)')

    def _qcfg_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(
            f'+QCFG: "dsevent",{int(self.nv.dsevent)}',
            f'+QCFG: "slplocktimes",{self.nv.slplocktimes}',
        )

    def _qcfg_dsevent(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        value = v.get("value")
        if value is None:
            self.ok(f'+QCFG: "dsevent",{int(self.nv.dsevent)}')
            return
        self.nv.dsevent = value == 1
        self.ok()

    def _qcfg_slplocktimes(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        value = v.get("value")
        if value is None:
            self.ok(f'+QCFG: "slplocktimes",{self.nv.slplocktimes}')
            return
        self.nv.slplocktimes = int(value)
        self.ok()

    # -- time (AT manual chapter 12)

    @staticmethod
    def _tz_text(quarters: int) -> str:
        return f"{'-' if quarters < 0 else '+'}{abs(quarters):02d}"

    def _cclk_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # §12.1 example: +CCLK: 20/11/03,06:25:06+32 (local time, zone in quarters, unquoted).
        local = time.gmtime(self.now() + self.tz * 900)
        self.ok(f"+CCLK: {time.strftime('%y/%m/%d,%H:%M:%S', local)}{self._tz_text(self.tz)}")

    def _cclk_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = _CCLK.fullmatch(str(v["time"]))
        if m is None:
            self.error(CME_INCORRECT_PARAMETERS)
            return
        yy, mo, dd, hh, mi, ss = (int(x) for x in m.groups()[:6])
        tz = int(m.group(7))
        if (
            not (1 <= mo <= 12 and 1 <= dd <= 31 and hh < 24 and mi < 60 and ss < 60)
            or abs(tz) > 96
        ):
            self.error(CME_INCORRECT_PARAMETERS)
            return
        local = calendar.timegm((2000 + yy, mo, dd, hh, mi, ss, 0, 0, 0))
        self.clock_offset = local - tz * 900 - time.time()
        self.tz = tz
        self.ok()

    def _ctzr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CTZR: (0-3)")

    def _ctzr_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CTZR: {self.nv.ctzr}")

    def _ctzr_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.ctzr = int(v["reporting"] or 0)
        self.ok()

    def _time_zone_urc(self) -> None:
        """§12.2: the time zone the network provides at registration. The zone is quoted
        and not zero-padded, as A05 firmware printed it on a live network
        (``+CTZEU: "+8",1,"2026/10/02,23:50:20"``, cornucopia-machines/ugly-duckling-firmware
        docs/specs/NB-IoT.md, stage 3 bench notes)."""
        mode = self.nv.ctzr
        if mode == 0:
            return
        tz = self.cell.tz_quarters
        zone = f"{'-' if tz < 0 else '+'}{abs(tz)}"
        if mode == 1:
            self.urc(f'+CTZV: "{zone}"', paged=False)
            return
        utc = self.now()
        stamp = utc + tz * 900 if mode == 2 else utc
        text = time.strftime("%Y/%m/%d,%H:%M:%S", time.gmtime(stamp))
        name = "+CTZE" if mode == 2 else "+CTZEU"
        self.urc(f'{name}: "{zone}",{self.cell.dst},"{text}"', paged=False)

    # -- §2.3.9 AT+QICFG

    def _qicfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok('+QICFG: "dataformat",(0,1),(0,1)', '+QICFG: "showRA",(0,1)')

    def _qicfg_dataformat(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        send, recv = v.get("send_data_format"), v.get("recv_data_format")
        if send is None:
            self.ok(f'+QICFG: "dataformat",{int(self.send_hex)},{int(self.recv_hex)}')
            return
        self.nv.send_hex, self.nv.recv_hex = bool(send), bool(recv)
        self.ok()

    def _qicfg_showra(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = v.get("showRA_mode")
        if mode is None:
            self.ok(f'+QICFG: "showRA",{int(self.show_ra)}')
            return
        self.nv.show_ra = bool(mode)
        self.ok()

    # ------------------------------------------------- boot and registration

    def _power_on(self, banner: bool) -> None:
        if banner:
            self._boot()
        elif self._may_register():
            self.stat = STAT_HOME  # already up and registered when the port opened
        self._arm_sleep()

    def _boot(self) -> None:
        """RDY, +CPIN: READY, then +IP: once registered (what a real module prints)."""

        def rdy() -> None:
            self.urc("RDY", paged=False)
            self.urc("+CPIN: READY" if self.pin_ok else "+CPIN: SIM PIN", paged=False)
            self._start_search()

        self.later(self.profile.boot_delay, rdy)

    def _may_register(self) -> bool:
        return (
            self.cfun == 1
            and self.pin_ok
            and not self.detached
            and not self.cops_deregistered
            and not self.closed
        )

    def _start_search(self) -> None:
        if self.registered or not self._may_register():
            return
        if self.profile.register_delay > 0:
            if self.stat != STAT_SEARCHING:
                self.stat = STAT_SEARCHING
                self._cereg_urc()
            self.later(self.profile.register_delay, self._register)
        else:
            self._register()

    def _reboot(self) -> None:
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self._reset_volatile()
        self._boot()
        self._arm_sleep()

    def _stop_activity(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for name in list(self._named_timers):
            self._cancel_timer(name)
        self._answers.clear()
        self._urcs.clear()

    def _register(self) -> None:
        if self.registered or not self._may_register():
            return
        self.network_activity()  # the attach runs over a signalling connection
        self.stat = STAT_HOME
        self.reject_cause = None
        self._cereg_urc()
        self._time_zone_urc()
        self.urc(f"+IP: {self.ip}", paged=False)
        if self.nv.edrx_mode == 2:
            self._cedrxp()

    def _deregister(self, new_stat: int, reason_code: int | None) -> None:
        was = self.stat
        self.services.cancel_all()
        self.sockets.drop_all(report=True, open_result=reason_code)
        self._cancel_timer("psm")
        self._cancel_timer("rrc")
        if self.in_psm:
            self._exit_psm(quiet=True)
        if self.rrc:
            self._rrc_release()
        self.stat = new_stat
        if new_stat != was:
            self._cereg_urc()

    def _lose_registration(self, stat: int, reject_cause: int | None) -> None:
        self.reject_cause = reject_cause if stat == STAT_DENIED else None
        self._deregister(stat, ResultCode.PDP_CONTEXT_BROKE_DOWN)

    def _drop_pdp(self) -> None:
        self._deregister(STAT_SEARCHING, ResultCode.PDP_CONTEXT_BROKE_DOWN)
        self.later(max(self.profile.register_delay, 0.05), self._register)

    def _shutdown(self) -> None:
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self.services.cancel_all()
        self._sink = None

    # ------------------------------------------------------- power saving

    def network_activity(self, uplink: bool = True) -> None:
        """Radio traffic happens now (see :class:`app.sim.host.ModuleHost`): the RRC
        connection comes up (+CSCON: 1, AT manual §4.6) and stays up until the
        network releases it after ``rrc_idle`` seconds of quiet. Uplink traffic ends
        PSM; downlink cannot reach a module in PSM."""
        if self.in_psm:
            if not uplink:
                return
            self._exit_psm()
        self._cancel_timer("psm")
        idle = self.config.rrc_idle if self.config.rrc_idle is not None else self.profile.rrc_idle
        self._rrc_until = self.loop.time() + idle
        if not self.rrc:
            self.rrc = True
            self._rrc_since = self.loop.time()
            if self.nv.cscon_n:
                self.urc("+CSCON: 1", paged=False)
            self._start_timer("rrc", idle, self._rrc_check)

    def _rrc_check(self) -> None:
        self._named_timers.pop("rrc", None)
        left = self._rrc_until - self.loop.time()
        if left > 0:
            self._start_timer("rrc", left, self._rrc_check)
            return
        self._rrc_release()
        if self.nv.psm_mode == 1 and self.registered:
            self._arm_psm()

    def _rrc_release(self) -> None:
        self.rrc = False
        self.rrc_total += self.loop.time() - self._rrc_since
        self._cancel_timer("rrc")
        if self.nv.cscon_n:
            self.urc("+CSCON: 0", paged=False)

    def _arm_psm(self) -> None:
        """T3324 (the active time) runs from the RRC release; PSM follows (§9.4)."""
        delay: float | None = self.config.psm_after
        if delay is None:
            active = t3324_seconds(self.nv.psm_active)
            delay = None if active is None else float(active)
        if delay is None:
            return  # T3324 deactivated: no PSM
        self._start_timer("psm", delay, self._enter_psm)

    def _enter_psm(self) -> None:
        self._named_timers.pop("psm", None)
        if self.in_psm or not self.registered or self.rrc or self.nv.psm_mode != 1:
            return
        # AT manual §9.8: +QNBIOTEVENT: "ENTER PSM"; §11.1.6: deep sleep only with
        # AT+QSCLK=1, reported when AT+QCFG="dsevent",1 ("deep sleep ... only happens in
        # PSM", cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md).
        if self.nv.psm_event:
            self._power_urc('+QNBIOTEVENT: "ENTER PSM"')
        self.in_psm = True
        if self.qsclk == 1:
            if self.nv.dsevent:
                self._power_urc('+QNBIOTEVENT: "ENTER DEEPSLEEP"')
            self.deep_sleep = True
            self._fall_asleep()

    def _exit_psm(self, quiet: bool = False) -> None:
        if not self.in_psm:
            return
        self.in_psm = False
        if self.deep_sleep:
            self.deep_sleep = False
            if self.asleep:
                self._wake()
            if self.nv.dsevent and not quiet:
                self._power_urc('+QNBIOTEVENT: "EXIT DEEPSLEEP"')
        if self.nv.psm_event and not quiet:
            self._power_urc('+QNBIOTEVENT: "EXIT PSM"')
        held, self._psm_held = self._psm_held, []
        for data in held:
            self._urcs.put(data, 0.0)

    def _io(self) -> None:
        """UART traffic: the quiet spell starts again, and output wakes the module."""
        self._last_io = self.loop.time()
        if self.asleep and not self.deep_sleep:
            self._wake()
        if self.qsclk and "sleep" not in self._named_timers:
            self._arm_sleep()

    def _sleep_after(self) -> float:
        if self.config.sleep_after is not None:
            return self.config.sleep_after
        return float(self.nv.slplocktimes)

    def _arm_sleep(self) -> None:
        if self.qsclk:
            left = self._last_io + self._sleep_after() - self.loop.time()
            self._start_timer("sleep", left, self._sleep_check)

    def _sleep_check(self) -> None:
        self._named_timers.pop("sleep", None)
        if not self.qsclk or self.asleep:
            return
        left = self._last_io + self._sleep_after() - self.loop.time()
        busy = self.data_mode is not None or bool(self._answers.queue) or bool(self._line)
        if left > 0 or busy:
            self._start_timer("sleep", max(left, 0.05), self._sleep_check)
            return
        self._fall_asleep()

    def _fall_asleep(self) -> None:
        self._cancel_timer("sleep")
        if not self.asleep:
            self.asleep = True
            self._asleep_since = self.loop.time()

    def _wake(self) -> None:
        self.asleep = False
        self.sleep_total += self.loop.time() - self._asleep_since

    def _wake_by_uart(self) -> None:
        """Input reaches a sleeping UART: it wakes, and the command line that woke it
        is lost. AT manual §9.10 note 1: "UART does not work during the light sleep
        mode. Therefore, when AT+QSCLK=1 or AT+QSCLK=2, send AT before each command
        to make sure the UART is woken up." On A05 firmware "the first AT is consumed
        by the deep-sleep wake" (cornucopia-machines/ugly-duckling-firmware
        docs/specs/NB-IoT.md, stage 2). Nothing is echoed or answered for it."""
        deep = self.deep_sleep
        self._wake()
        self._discard_line = True
        self._line.clear()
        self._line_overflow = False
        if deep:
            self.deep_sleep = False
            if self.nv.dsevent:
                self._power_urc('+QNBIOTEVENT: "EXIT DEEPSLEEP"')
