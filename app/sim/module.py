"""The simulated BC660K-GL: its state, and the interpreter that answers the host.

Everything here runs on one asyncio loop thread (:class:`EventLoopThread`), which
also runs the host sockets behind the module (:mod:`app.sim.sockets`,
:mod:`app.sim.services`), so the module has one owner and needs no locks. Other
threads reach it only through the thread-safe methods marked so below.

Byte-level behaviour (spec §2.1.2): a command line starts with ``AT`` and ends
with CR; every response line is framed ``<CR><LF>...<CR><LF>``. With echo on
(ATE1, the module's default) each byte typed is echoed as it arrives. After
``>`` (AT+QISEND, §2.3.4) the module is in data mode: bytes are payload until
Ctrl-Z (send), Esc (cancel), 1024 bytes (send), or ``<send_length>`` bytes in
fixed-length mode. URCs that fall due while in data mode are held and printed
after the send's result, so they never split what a person is typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from app.protocol import catalog
from app.protocol.catalog import FormMismatch, ParamError, Value
from app.protocol.codes import ResultCode, lookup
from app.protocol.syntax import AtSyntaxError, CommandLine, parse_command_line
from app.sim.config import DnsServer, SimConfig
from app.sim.guard import Guard
from app.sim.host import DataModeContext, line
from app.sim.network import EventLoopThread
from app.sim.output import Sink
from app.sim.profiles import Profile, get_profile
from app.sim.services import Services
from app.sim.sockets import Sockets

CR, LF, BS, CTRL_Z, ESC = 0x0D, 0x0A, 0x08, 0x1A, 0x1B
#: Longest command line kept; a longer one is answered ERROR (never buffered without bound).
MAX_COMMAND_LINE = 4096
#: §2.3.4: variable-length data mode sends by itself at 1024 bytes of input.
DATA_MODE_MAX = 1024

MANUFACTURER = "Quectel_Ltd"
MODEL = "Quectel_BC660K-GL"
REVISION = "BC660KGLAAR01A05"

#: 3GPP TS 27.007 +CME ERROR codes used by the basic commands.
CME_NOT_ALLOWED = 3
CME_INCORRECT_PARAMETERS = 50
_CME_TEXT = {
    CME_NOT_ALLOWED: "operation not allowed",
    CME_INCORRECT_PARAMETERS: "incorrect parameters",
}


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

        # Settings that survive a reboot (§2.3.9: QICFG is saved to NVRAM).
        self.send_hex = False
        self.recv_hex = False
        self.show_ra = False

        # Output: one sink (the UART), two ordered schedules (answers, URCs).
        self._sink: Sink | None = None
        self._answers = _Schedule(self.loop, self._out)
        self._urcs = _Schedule(self.loop, self._urc_due)
        self._held: list[bytes] = []
        self.output_blocked = False
        self.bytes_out = 0

        self.guard = Guard.for_config(config.guard)
        self.services = Services(self)
        self.sockets = Sockets(self, self.services.resolve_one)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []

        # Faults a test or a demo can arm (see the thread-safe methods below).
        self.fail_next_qiopen: int | None = config.fail_qiopen
        self.hang_commands = 0
        self.closed = False
        #: Monotonic time until which the port cannot be opened (see :meth:`unplug`).
        self.absent_until = 0.0

        self._reset_volatile()
        self.registered = False
        self.call(self._power_on, config.boot)

    # ------------------------------------------------------------------ state

    def _reset_volatile(self) -> None:
        """What a reboot forgets (everything not saved to NVRAM)."""
        self.echo = self.config.echo
        self.cmee = self.config.cmee
        self.cfun = 1
        self.cereg_n = 0
        self.registered = False
        self.clock_offset = 0.0
        self.user_dns: list[str] = []
        self._line = bytearray()
        self._line_overflow = False
        self.data_mode: DataModeContext | None = None
        self._held.clear()

    @property
    def ip(self) -> str:
        return self.config.ip

    def network_activity(self) -> None:
        """Radio traffic happens now (see :class:`app.sim.host.ModuleHost`)."""

    def dns_servers(self) -> list[DnsServer]:
        """AT+QIDNSCFG's servers (on ``dns_port``), else those the network issued."""
        if self.user_dns:
            return [DnsServer(ip, self.config.dns_port) for ip in self.user_dns]
        return list(self.config.network_dns) if self.registered else []

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
        sink = self._sink
        if sink is not None and data:
            self.bytes_out += len(data)
            sink.write(data)

    def _urc_due(self, data: bytes) -> None:
        if self.data_mode is not None:
            self._held.append(data)
        else:
            self._out(data)

    def answer(self, data: bytes) -> None:
        """A command's answer, after the profile's command latency."""
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
        single CR LF between them, as chapter 4.3.1 prints two +QISTATE rows."""
        body = [x.encode("latin-1") if isinstance(x, str) else x for x in lines]
        head = line(b"\r\n".join(body)) if body else b""
        self.answer(head + line("OK"))

    def error(self, code: int | None = None) -> None:
        """``ERROR``; with AT+CMEE=1/2 and a code, ``+CME ERROR: <n>`` / its text."""
        if code is None or self.cmee == 0:
            self.answer(line("ERROR"))
        elif self.cmee == 1:
            self.answer(line(f"+CME ERROR: {code}"))
        else:
            known = lookup(code)
            text = known.meaning if known is not None else _CME_TEXT.get(code, str(code))
            self.answer(line(f"+CME ERROR: {text}"))

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

    async def pause(self, span: tuple[float, float]) -> None:
        delay = self.profile.pick(span, self.rng)
        if delay > 0:
            await asyncio.sleep(delay)

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes) -> None:
        """Bytes from the host, on the loop thread."""
        i = 0
        n = len(data)
        while i < n:
            ctx = self.data_mode
            if ctx is not None:
                i = self._data_mode_input(ctx, data, i)
                continue
            b = data[i]
            i += 1
            if b == CR:
                self._end_of_line()
            elif b == LF and not self._line:
                continue  # the LF of a CR LF pair typed by a terminal
            elif b in (ESC, CTRL_Z):
                continue  # no meaning outside data mode (qiterm sends Esc to resync)
            elif b == BS:
                if self._line:
                    del self._line[-1]
                if self.echo:
                    self._out(bytes([b]))
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
        self.execute(text)

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

    def execute(self, text: str) -> None:
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

    def _handlers(self) -> dict[str, Callable[[CommandLine, dict[str, Value]], None]]:
        s, v = self.sockets, self.services
        return {
            "at": self._at,
            "ate": self._ate,
            "ati": self._ati,
            "cgmr": self._cgmr,
            "cgsn.exec": self._cgsn,
            "cgsn.write": self._cgsn,
            "cpin.read": self._cpin,
            "cfun.read": self._cfun_read,
            "cfun.test": self._cfun_test,
            "cfun.write": self._cfun_write,
            "cereg.read": self._cereg_read,
            "cereg.test": self._cereg_test,
            "cereg.write": self._cereg_write,
            "csq": self._csq,
            "cgpaddr.exec": self._cgpaddr,
            "cgpaddr.write": self._cgpaddr,
            "cclk.read": self._cclk,
            "cmee.read": self._cmee_read,
            "cmee.write": self._cmee_write,
            "qrst": self._qrst,
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

    # -- basic commands (V.250, 3GPP TS 27.007 as the BC660K-GL answers them)

    def _at(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok()

    def _ate(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # V.250: ATE is ATE0.
        self.echo = bool(v.get("value") or 0) if cmd.args else False
        self.ok()

    def _ati(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(MANUFACTURER, MODEL, f"Revision: {REVISION}")

    def _cgmr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(REVISION)

    def _cgsn(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        if v.get("snt") == 1:
            self.ok(f"+CGSN: {self.config.imei}")
        else:
            self.ok(self.config.imei)

    def _cpin(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CPIN: READY")

    def _cfun_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CFUN: {self.cfun}")

    def _cfun_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CFUN: (0,1),(0,1)")

    def _cfun_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        fun = int(v["fun"] or 0)
        self.ok()
        if fun == self.cfun:
            return
        self.cfun = fun
        if fun == 0:
            self._deregister(reason_code=None)
        else:
            self.later(self.profile.register_delay, self._register)

    def _cereg_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CEREG: {self.cereg_n},{self._cereg_stat()}{self._cereg_location()}")

    def _cereg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok("+CEREG: (0-5)")

    def _cereg_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.cereg_n = int(v["n"] or 0)
        self.ok()

    def _cereg_stat(self) -> int:
        if self.registered:
            return 1
        return 2 if self.cfun == 1 else 0

    def _cereg_location(self) -> str:
        if self.cereg_n >= 2 and self.registered:
            return ',"1A2B","0C3D4E5F",9'  # <tac>,<ci>,<AcT> (9: E-UTRAN NB-S1)
        return ""

    def _csq(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        rssi = self.profile.rssi if self.registered else 99
        self.ok(f"+CSQ: {rssi},99")

    def _cgpaddr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        cid = v.get("cid")
        if cid not in (None, 0):
            self.ok()
            return
        self.ok(f'+CGPADDR: 0,"{self.ip}"' if self.registered else "+CGPADDR: 0")

    def now(self) -> float:
        """The module clock (Unix seconds): host UTC, moved by AT+QNTP auto_set_time=1."""
        return time.time() + self.clock_offset

    def _cclk(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        stamp = time.strftime("%y/%m/%d,%H:%M:%S", time.gmtime(self.now()))
        self.ok(f'+CCLK: "{stamp}+00"')

    def _cmee_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok(f"+CMEE: {self.cmee}")

    def _cmee_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.cmee = int(v["n"] or 0)
        self.ok()

    def _qrst(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok()
        self._answers_then(self._reboot)

    def _answers_then(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every answer queued so far is out."""
        if not self._answers.queue:
            fn()
            return
        at = self._answers.last
        self._timers.append(self.loop.call_at(at + 0.001, fn))

    # -- §2.3.9 AT+QICFG

    def _qicfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ok('+QICFG: "dataformat",(0,1),(0,1)', '+QICFG: "showRA",(0,1)')

    def _qicfg_dataformat(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        send, recv = v.get("send_data_format"), v.get("recv_data_format")
        if send is None:
            self.ok(f'+QICFG: "dataformat",{int(self.send_hex)},{int(self.recv_hex)}')
            return
        self.send_hex, self.recv_hex = bool(send), bool(recv)
        self.ok()

    def _qicfg_showra(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = v.get("showRA_mode")
        if mode is None:
            self.ok(f'+QICFG: "showRA",{int(self.show_ra)}')
            return
        self.show_ra = bool(mode)
        self.ok()

    # ------------------------------------------------- boot and registration

    def _power_on(self, banner: bool) -> None:
        if banner:
            self._boot()
        else:
            self.registered = True  # already up and registered when the port opened

    def _boot(self) -> None:
        """RDY, +CPIN: READY, then +IP: once registered (what a real module prints)."""

        def rdy() -> None:
            self.urc("RDY", paged=False)
            self.urc("+CPIN: READY", paged=False)
            self.later(self.profile.register_delay, self._register)

        self.later(self.profile.boot_delay, rdy)

    def _reboot(self) -> None:
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self._reset_volatile()
        self._boot()

    def _stop_activity(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._answers.clear()
        self._urcs.clear()

    def _register(self) -> None:
        if self.registered or self.cfun != 1 or self.closed:
            return
        self.registered = True
        if self.cereg_n >= 1:
            self.urc(f"+CEREG: 1{self._cereg_location()}", paged=False)
        self.urc(f"+IP: {self.ip}", paged=False)

    def _deregister(self, reason_code: int | None) -> None:
        self.services.cancel_all()
        self.sockets.drop_all(report=True, open_result=reason_code)
        self.registered = False
        if self.cereg_n >= 1:
            self.urc(f"+CEREG: {self._cereg_stat()}", paged=False)

    def _drop_pdp(self) -> None:
        self._deregister(reason_code=ResultCode.PDP_CONTEXT_BROKE_DOWN)
        self.later(max(self.profile.register_delay, 0.05), self._register)

    def _shutdown(self) -> None:
        self._stop_activity()
        self.sockets.drop_all(report=False)
        self.services.cancel_all()
        self._sink = None
