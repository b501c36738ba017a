"""A captured module, played back: it answers its host from a capture.

Each command line the host sends is matched to the same command in the capture
(:func:`app.playback.script.command_key`): the next one in order, or else the
next occurrence of that command further on (a poll the recording had at another
moment). The player then prints what the recorded module printed after it,
byte for byte, at the recorded offsets (divided by ``speed``): the answer,
deferred results and the URCs that came before the host's next input. When the
host sends its next input earlier than the recording did, what is still due is
printed first, so the order on the wire is the recorded order.

A command the capture cannot answer gets ``ERROR`` and a divergence report
("command 14: capture has AT+QISEND=0,5,... here, host sent AT+QISTATE?") on
stderr, in :attr:`Player.divergences` and, with ``log=``, in the player's own
capture. A payload typed at a ``>`` prompt must be the recorded one, ended the
recorded way (Ctrl-Z, Esc or its length), or it diverges too.

Echo is live, as on the module: the host's bytes come back as they arrive when
the recorded module echoed (ATE1).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.capture.recorder import CaptureRecorder
from app.link.results import Role, Rx, Tx, TxKind
from app.playback.script import (
    CTRL_Z,
    ESC,
    Emission,
    Recording,
    Step,
    describe_payload,
    shorten,
)
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame
from app.sim.config import SimConfig
from app.sim.host import DataModeContext
from app.sim.network import EventLoopThread
from app.sim.output import Sink
from app.sim.uart import DATA_MODE_MAX, UartInput

ERROR = b"\r\nERROR\r\n"


def report_to_stderr(text: str) -> None:
    print(f"qiterm sim: replay: {text}", file=sys.stderr, flush=True)


class Player:
    """One captured module on its own loop thread (a :class:`app.sim.device.Device`)."""

    def __init__(
        self,
        config: SimConfig,
        recording: Recording,
        *,
        report: Callable[[str], None] = report_to_stderr,
    ) -> None:
        self.config = config
        self.recording = recording
        self.steps = recording.steps
        self.speed = config.speed
        self.report = report
        self.closed = False
        self.absent_until = 0.0
        #: Every divergence so far, as reported.
        self.divergences: list[str] = []
        #: Host command lines so far.
        self.commands = 0
        self.data_mode: DataModeContext | None = None
        self.uart = UartInput(self)
        self._sink: Sink | None = None
        self._used = [False] * len(self.steps)
        self._cursor = 0
        self._in_data: Step | None = None
        self._last_line: str | None = None
        self._last_echo = self.steps[0].echo if self.steps else True
        self._banner_played = False
        self._queue: deque[tuple[float, bytes, str]] = deque()
        self._last_due = 0.0
        self._timer: Any = None
        self._log = _OwnCapture(config) if config.replay_log else None
        self.thread = EventLoopThread(f"qiterm-replay-{config.name or 'capture'}")
        self.thread.start()
        self.loop = self.thread.loop

    # ------------------------------------------------------ the device side

    def attach(self, sink: Sink) -> None:
        sink.set_flow_callback(None)
        self.call(self._attach, sink)

    def detach(self, sink: Sink | None = None) -> None:
        self.call(self._detach, sink)

    def feed(self, data: bytes) -> None:
        self.call(self.receive, bytes(data))

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.thread.in_loop_thread:
            fn(*args)
        else:
            self.thread.call(fn, *args)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True

        async def stop() -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._sink = None

        with contextlib.suppress(Exception):
            self.thread.run(stop(), 3.0)
        self.thread.stop()
        if self._log is not None:
            self._log.close()

    def _attach(self, sink: Sink) -> None:
        self._sink = sink
        if not self._banner_played:
            self._banner_played = True
            self._schedule(self.recording.banner)

    def _detach(self, sink: Sink | None) -> None:
        if sink is None or sink is self._sink:
            self._sink = None

    # --------------------------------------------------------- the UART side

    @property
    def echo(self) -> bool:
        if self._in_data is not None and self._in_data.data is not None:
            return self._in_data.data.echo
        step = self._expected()
        return step.echo if step is not None else self._last_echo

    def receive(self, data: bytes) -> None:
        """Bytes from the host: what is still due from the recording goes out first."""
        if not data:
            return
        self._flush()
        self.uart.receive(data)

    def out(self, data: bytes, role: Role = Role.ECHO) -> None:
        if not data:
            return
        if self._sink is not None:
            self._sink.write(data)
        if self._log is not None:
            self._log.rx(data, role)

    def line_received(self, text: str, overflow: bool) -> None:
        self.commands += 1
        self._last_line = text
        if self._log is not None:
            self._log.tx(text.encode("latin-1") + b"\r", TxKind.COMMAND, self.commands)
        step = None if overflow else self._match(text)
        if step is None:
            self._diverge(self._expected_text(), text)
            return
        self._last_echo = step.echo
        self._schedule(step.output)
        if step.data is not None:
            self._in_data = step
            fixed = len(step.data.payload) if step.data.terminator is None else None
            self.data_mode = DataModeContext(0, fixed, False, None, bytearray())

    def repeat_line(self) -> None:
        if self._last_line is not None:
            self.line_received(self._last_line, False)

    def leave_data_mode(self, send: bool) -> None:
        ctx, step = self.data_mode, self._in_data
        self.data_mode, self._in_data = None, None
        if ctx is None or step is None or step.data is None:
            return
        payload = bytes(ctx.buffer)
        if not send:
            ending: str | None = ESC
        elif ctx.fixed is None and len(payload) < DATA_MODE_MAX:
            ending = CTRL_Z
        else:
            ending = None
        if self._log is not None:
            self._log.tx(payload, TxKind.PAYLOAD, self.commands)
            if ending is not None:
                kind = TxKind.CTRL_Z if ending == CTRL_Z else TxKind.ESC
                self._log.tx(b"\x1a" if ending == CTRL_Z else b"\x1b", kind, self.commands)
        recorded = step.data
        if payload == recorded.payload and ending == recorded.terminator:
            self._schedule(recorded.output)
            return
        self._diverge(recorded.describe(), describe_payload(payload, ending))

    # -------------------------------------------------------------- matching

    def _expected(self) -> Step | None:
        return self.steps[self._cursor] if self._cursor < len(self.steps) else None

    def _expected_text(self) -> str | None:
        step = self._expected()
        return None if step is None else shorten(step.line)

    def _match(self, text: str) -> Step | None:
        """The next unused recorded step with this command, from the cursor on."""
        key = Step(0, text, 0).key
        for i in range(self._cursor, len(self.steps)):
            if not self._used[i] and self.steps[i].key == key:
                self._used[i] = True
                while self._cursor < len(self.steps) and self._used[self._cursor]:
                    self._cursor += 1
                return self.steps[i]
        return None

    def _diverge(self, expected: str | None, sent: str) -> None:
        where = f"command {self.commands}"
        if expected is None:
            text = f"{where}: the capture has no more commands, host sent {shorten(sent)}"
        else:
            text = f"{where}: capture has {expected} here, host sent {shorten(sent)}"
        self.divergences.append(text)
        if self._log is not None:
            self._log.note(text)
        with contextlib.suppress(Exception):
            self.report(text)
        self.out(ERROR, Role.FINAL)

    # -------------------------------------------------------------- output

    def _schedule(self, emissions: list[Emission]) -> None:
        now = self.loop.time()
        for e in emissions:
            due = max(now + e.offset / self.speed, self._last_due)
            self._last_due = due
            self._queue.append((due, e.data, e.role))
        self._arm()

    def _arm(self) -> None:
        if self._timer is None and self._queue:
            self._timer = self.loop.call_at(self._queue[0][0], self._pump)

    def _pump(self) -> None:
        self._timer = None
        now = self.loop.time()
        while self._queue and self._queue[0][0] <= now:
            _, data, role = self._queue.popleft()
            self.out(data, _role(role))
        self._arm()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._queue:
            _, data, role = self._queue.popleft()
            self.out(data, _role(role))
        self._last_due = 0.0


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        return Role.URC


class _OwnCapture:
    """The player's own capture: what its host sent, what it answered, divergences."""

    def __init__(self, config: SimConfig) -> None:
        assert config.replay_log is not None
        url = f"sim://?replay={config.replay}"
        self.recorder = CaptureRecorder(config.replay_log, url=url, baud=115200)
        self.recorder.note(f"replaying {config.replay} (speed {config.speed:g})")
        self.framer = Framer()
        #: (bytes not yet framed, their role), oldest first.
        self.roles: deque[list[Any]] = deque()

    def tx(self, data: bytes, what: TxKind, command: int) -> None:
        self.recorder.record(Tx(data, what, command, time.monotonic(), time.time()))

    def rx(self, data: bytes, role: Role) -> None:
        self.roles.append([len(data), role])
        for frame in self.framer.feed(data):
            size, last = len(frame.raw), role
            while size > 0 and self.roles:
                head = self.roles[0]
                take = min(size, head[0])
                head[0] -= take
                size -= take
                last = head[1]
                if head[0] == 0:
                    self.roles.popleft()
            event = parse_frame(frame)
            self.recorder.record(Rx(event, last, None, time.monotonic(), time.time()))

    def note(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            self.recorder.note(text)

    def close(self) -> None:
        self.recorder.close()
