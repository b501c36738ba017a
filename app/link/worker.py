"""The shared serial worker: the only code that touches the port.

One thread owns the port (opened with ``serial.serial_for_url``, so device
paths, ``socket://``, ``rfc2217://``, ``loop://`` and ``sim://`` behave alike).
It writes commands one at a time, reads and frames every byte, records every
frame in both directions (from this thread, so a frozen UI loses nothing),
feeds the :class:`~app.link.engine.Engine`, and resolves each command's
``concurrent.futures.Future``.

Subscribers get events in batches from a second, dispatcher thread, so a slow
subscriber (a busy UI) can never stall reading or recording.

Port loss (unplug, EOF, OSError) fails what was pending with a clear message,
publishes ``DISCONNECTED`` with the time of the next attempt, and retries with
backoff; on return it opens the port with the same settings (baud rate, DTR and
RTS as they were last set), then synchronises with the module before calling the
link connected (:mod:`app.link.sync`: Esc, drain, AT until OK, the module's state
read again, retried with back-off until it completes). After a reboot (RDY) the
same synchronisation runs again.

``sim://`` is not known here: whoever composes the program imports
:mod:`app.sim`, which registers the URL handler with pyserial.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import msgspec
import serial

from app.link.control import (
    ENDING_NAMES,
    ControlRequest,
    RawRequest,
    carry_out,
    write_raw,
)
from app.link.engine import Deliver, Done, Engine, Notice, Output, Pending, Phase, Write
from app.link.outbox import MAX_OUTBOX, Outbox, Subscriber
from app.link.port import PortFactory, PortSettings, open_failure, open_port
from app.link.results import (
    CommandFinished,
    CommandResult,
    LinkEvent,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    Outcome,
    RawResult,
    Recorder,
    Rx,
    Tx,
    TxKind,
)
from app.link.sync import SyncPolicy, probe, state_queries, synchronise
from app.link.waiter import IDLE_WAIT_S, READ_WAIT_S, PortWaiter
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.commands import CTRL_Z, ESC, AtCommand
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame

log = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115200
#: Reconnect delays in seconds; the last one repeats.
BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 5.0)


class SerialWorker:
    def __init__(
        self,
        url: str,
        baudrate: int = DEFAULT_BAUDRATE,
        *,
        recorder: Recorder | None = None,
        reconnect: bool = True,
        init: bool = True,
        port_factory: PortFactory = open_port,
        batch_interval: float = 0.03,
        idle_flush: float = 0.25,
        backoff: Sequence[float] = BACKOFF,
        name: str = "qiterm-serial",
        line_ending: bytes = b"\r",
        echo: bool | None = None,
        sync: SyncPolicy | None = None,
        settings: PortSettings | None = None,
    ) -> None:
        self.url = url
        self.recorder = recorder
        self.reconnect = reconnect
        self.run_init = init
        self.port_factory = port_factory
        self.batch_interval = batch_interval
        self.idle_flush = idle_flush
        self.backoff = tuple(backoff) or BACKOFF
        #: What ends each command line (CR per §2.1.2; a profile may say CR LF or LF).
        self.line_ending = line_ending
        #: ATE1 (True) or ATE0 (False) as part of the init at connect; None: leave
        #: the module's echo as it is.
        self.echo = echo
        #: How the link gets in step with the module after each (re)open.
        self.sync = sync or SyncPolicy()
        #: Set on open and on RDY: synchronise before the next command.
        self._need_sync = False
        #: Set when a command timed out: its late answer may still come, so the
        #: line is drained until quiet before the next command goes out.
        self._settle = False
        #: The port opened at least once (a device missing later was unplugged).
        self._was_open = False
        #: An open failed in a way retrying cannot mend: wait for retry().
        self._parked = False

        self.engine = Engine(line_ending=line_ending)
        self.state = LinkState.CONNECTING
        #: How the port opens; DTR, RTS, the baud rate, framing and flow control
        #: set at run time are kept here, so a reconnect opens the port as the
        #: person left it.
        self.settings = replace(settings or PortSettings(), baudrate=baudrate)
        self._attempt = 0
        self.status = self._status(LinkState.CONNECTING)
        self.identity: ModuleIdentity | None = None

        self._framer = Framer()
        self._port: Any = None
        self._lock = threading.Lock()
        self._queue: deque[tuple[Pending | RawRequest, Future[Any]]] = deque()
        self._controls: deque[ControlRequest] = deque()
        self._futures: dict[int, Future[CommandResult]] = {}
        self._tags: dict[int, str] = {}
        self._box = Outbox(batch_interval, MAX_OUTBOX)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._last_rx = time.monotonic()
        #: Command ids, unique for the worker's life (reconnects included): taken
        #: under ``_lock``, as any thread may submit.
        self._next_id = 1
        #: Notified when the link state changes or the line falls idle (waits).
        self._changed = threading.Condition()
        self._was_busy = False
        #: Waits for input without spinning; woken when there is something to write.
        self._waiter = PortWaiter()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._dispatcher = threading.Thread(
            target=self._box.run, args=(self._stopped,), name=f"{name}-dispatch", daemon=True
        )

    # ------------------------------------------------------------------ API

    def start(self) -> SerialWorker:
        self._thread.start()
        self._dispatcher.start()
        return self

    @property
    def started(self) -> bool:
        return self._thread.is_alive() or self._stopped.is_set()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(batch)`` with lists of link events (from the dispatcher thread)."""
        return self._box.subscribe(callback)

    @property
    def max_outbox(self) -> int:
        """Events waiting for subscribers beyond which display-only lines are skipped."""
        return self._box.max_items

    @max_outbox.setter
    def max_outbox(self, value: int) -> None:
        self._box.max_items = value

    @property
    def max_outbox_bytes(self) -> int:
        """Memory waiting events may keep beyond which display-only lines are skipped."""
        return self._box.max_bytes

    @max_outbox_bytes.setter
    def max_outbox_bytes(self, value: int) -> None:
        self._box.max_bytes = value

    @property
    def _outbox(self) -> list[LinkEvent]:
        return self._box.items

    @property
    def baudrate(self) -> int:
        return self.settings.baudrate

    @property
    def dtr(self) -> bool:
        return self.settings.dtr

    @property
    def rts(self) -> bool:
        return self.settings.rts

    @property
    def data_mode(self) -> bool:
        return self.engine.data_mode

    @property
    def awaiting_input(self) -> bool:
        """The module showed '>' and waits for a person to type the payload."""
        return self.engine.awaiting_input

    @property
    def busy(self) -> bool:
        """A command is queued or in flight (the link is CONNECTED only once the
        module's state has been read after a connect)."""
        return self.engine.busy or bool(self._queue)

    @property
    def connected(self) -> bool:
        return self.state is LinkState.CONNECTED

    def submit(
        self, command: AtCommand | str, *, tag: str = "user", front: bool = False
    ) -> Future[CommandResult]:
        """Queue a command; the future resolves with its CommandResult (never raises
        for module errors, timeouts or link loss: see ``CommandResult.outcome``).

        A string is classified first; text that is not an AT command raises
        AtSyntaxError here, before anything reaches the wire.
        """
        cmd = c.classify(command) if isinstance(command, str) else command
        future: Future[CommandResult] = Future()
        with self._lock:
            pending = self.engine.new(cmd, tag, self._next_id)
            self._next_id += 1
        if self._stop.is_set():
            future.set_result(self._not_sent(pending, "the link is closed"))
            return future
        if not self._accepting():
            future.set_result(self._not_sent(pending, self._down_reason()))
            return future
        with self._lock:
            if front:
                self._queue.appendleft((pending, future))
            else:
                self._queue.append((pending, future))
        self._poke()
        return future

    def send_raw(self, data: bytes, *, tag: str = "user", guard: float = 0.0) -> Future[RawResult]:
        """Queue raw bytes (not a command): written once the line is free and, with
        ``guard``, after that many seconds of silence; nothing else goes out until
        the module has been quiet for a while after them (``guard`` at least).
        The future says whether they were written."""
        future: Future[RawResult] = Future()
        if not data:
            future.set_result(RawResult(data, False, "nothing to send", tag))
            return future
        if self._stop.is_set() or not self._accepting():
            why = "the link is closed" if self._stop.is_set() else self._down_reason()
            future.set_result(RawResult(data, False, why, tag))
            return future
        with self._lock:
            self._queue.append((RawRequest(data, tag, guard), future))
        self._poke()
        return future

    def data_mode_send(self, payload: bytes, terminator: bytes = CTRL_Z) -> Future[Any]:
        """Type ``payload`` at the '>' prompt, then Ctrl-Z (or ``b""`` for fixed length)."""
        return self._control("input", payload, terminator)

    def data_mode_cancel(self) -> Future[Any]:
        """Esc at the '>' prompt: the module leaves data mode without sending."""
        return self._control("cancel")

    def set_dtr(self, on: bool) -> Future[Any]:
        return self._control("dtr", on)

    def set_rts(self, on: bool) -> Future[Any]:
        return self._control("rts", on)

    def send_break(self, duration: float = 0.25) -> Future[Any]:
        return self._control("break", duration)

    def set_baudrate(self, baudrate: int) -> Future[Any]:
        return self._control("baud", baudrate)

    def set_serial(self, settings: PortSettings) -> Future[Any]:
        """Data bits, parity, stop bits and flow control (and the baud rate) as in
        ``settings``; kept for every reopen. DTR, RTS and the timeout stay as they are."""
        return self._control("serial", settings)

    def set_line_ending(self, ending: bytes) -> Future[Any]:
        """What ends each command line from now on (CR, CR LF or LF)."""
        if ending not in ENDING_NAMES:
            raise ValueError(f"line ending: expected CR, CRLF or LF, got {ending!r}")
        return self._control("ending", ending)

    def retry(self) -> None:
        """Try to open the port now (after an open error that is not retried by
        itself, or to skip the back-off)."""
        self._parked = False
        if self.state is LinkState.DISCONNECTED:
            self.status = msgspec.structs.replace(self.status, retry_at=time.monotonic())
        self._poke()

    def close(self, timeout: float = 3.0) -> None:
        """Stop: Esc first when in data mode, fail what is pending, close the port."""
        self._stop.set()
        self._poke()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._box.wake()
        if self._dispatcher.is_alive():
            self._dispatcher.join(timeout)

    def wait_state(self, *states: LinkState, timeout: float = 5.0) -> LinkState:
        """Wait until the link is in one of ``states`` (or ``timeout`` passes);
        returns the state it is in then."""
        with self._changed:
            self._changed.wait_for(lambda: self.state in states, timeout)
            return self.state

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.wait_state(LinkState.CONNECTED, timeout=timeout) is LinkState.CONNECTED

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or in flight (tests, scripts)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self.busy, timeout)

    def _notify_changed(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------ internals

    def _accepting(self) -> bool:
        """Commands are queued while connected, while the port opens and while the
        first synchronisation round runs; refused while the link is down or the
        module does not answer (a back-off between rounds)."""
        if self.state in (LinkState.CONNECTED, LinkState.CONNECTING):
            return True
        return self.state is LinkState.SYNCING and self.status.retry_at is None

    def _down_reason(self) -> str:
        st = self.status
        if st.state is LinkState.DISCONNECTED and st.retry_at is not None:
            wait = max(0.0, st.retry_at - time.monotonic())
            return f"not sent: the link is down ({st.message}); retrying in {wait:.0f} s"
        if st.state is LinkState.SYNCING:
            return f"not sent: the link is synchronising with the module ({st.message})"
        if st.state is LinkState.DISCONNECTED and st.message:
            return f"not sent: the link is down ({st.message})"
        return f"not sent: the link is {st.state.value}"

    def _not_sent(self, pending: Pending, why: str) -> CommandResult:
        result = pending.result
        result.outcome = Outcome.NOT_SENT
        result.detail = why
        result.started = result.finished = time.monotonic()
        return result

    def _control(self, name: str, *args: Any) -> Future[Any]:
        ctl = ControlRequest(name, *args)
        if self._stop.is_set() or self._port is None:
            ctl.future.set_exception(RuntimeError("the link is not connected"))
            return ctl.future
        with self._lock:
            self._controls.append(ctl)
        self._poke()
        return ctl.future

    def _poke(self) -> None:
        self._wake.set()
        self._waiter.poke(self._port)

    def _emit(self, item: LinkEvent) -> None:
        if self.recorder is not None:
            try:
                self.recorder.record(item)
            except Exception as exc:
                log.exception("capture failed; recording stops")
                self.recorder = None
                self._box.publish(
                    msgspec.structs.replace(
                        self.status, message=f"capture stopped: {exc}", change="capture"
                    ),
                    self.engine.recv_hex,
                )
        self._box.publish(item, self.engine.recv_hex)

    def _kick_dispatch(self) -> None:
        self._box.kick()

    def _set_status(
        self,
        state: LinkState,
        message: str = "",
        retry_at: float | None = None,
        *,
        change: str = "",
    ) -> None:
        self.state = state
        self.status = self._status(state, message, retry_at, change)
        self._emit(self.status)
        self._kick_dispatch()
        self._notify_changed()

    def _status(
        self, state: LinkState, message: str = "", retry_at: float | None = None, change: str = ""
    ) -> LinkStatus:
        s = self.settings
        return LinkStatus(
            state,
            self.url,
            s.baudrate,
            message,
            retry_at,
            self._attempt,
            s.dtr,
            s.rts,
            change,
            framing=s.framing,
            flow=s.flow,
            line_ending=ENDING_NAMES.get(self.line_ending, "CR"),
        )

    # -- the worker thread ------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._port is None:
                    self._connect_cycle()
                    self._kick_dispatch()
                    continue
                try:
                    if self._need_sync and not self.engine.busy:
                        self._synchronise()
                    else:
                        self._service()
                except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                    # TypeError/AttributeError: pyserial's posix port raises these when
                    # the fd vanishes under it during close/unplug.
                    self._lost(str(exc) or type(exc).__name__)
                # Whatever this turn published goes out now: the dispatcher waits
                # for a kick, with no timeout of its own.
                self._kick_dispatch()
        except Exception:  # pragma: no cover - a bug; keep the reason
            log.exception("serial worker crashed")
            self._lost("internal error (see log)")
        finally:
            self._shutdown()

    def _connect_cycle(self) -> None:
        now = time.monotonic()
        retry_at = self.status.retry_at
        waiting = self.state is LinkState.DISCONNECTED and (
            self._parked or (retry_at is not None and now < retry_at)
        )
        if waiting:
            self._fail_queued("not sent: " + self._down_reason().removeprefix("not sent: "))
            self._wake.wait(0.25 if self._parked else min(0.25, (retry_at or now) - now))
            self._wake.clear()
            return
        if self.state is not LinkState.CONNECTING:
            self._set_status(LinkState.CONNECTING, f"opening {self.url}")
        try:
            port = self.port_factory(self.url, self.settings)
        except Exception as exc:
            failure = open_failure(self.url, exc, was_open=self._was_open)
            self._attempt += 1
            delay = self.backoff[min(self._attempt - 1, len(self.backoff) - 1)]
            if not self.reconnect:
                self._set_status(LinkState.CLOSED, failure.message)
                self._stop.set()
                return
            if not failure.heals:
                # Said once; retrying cannot help until a person acts (retry()).
                self._parked = True
                log.error("%s", failure.message)
                self._set_status(
                    LinkState.DISCONNECTED,
                    f"{failure.message}; not retrying (Ctrl+P: Reconnect tries again)",
                )
                return
            self._set_status(LinkState.DISCONNECTED, failure.message, time.monotonic() + delay)
            return
        self._was_open = True
        self._port = port
        self._waiter.attach(port)
        self._attempt = 0
        self._framer = Framer()
        self.engine = Engine(
            send_hex=self.engine.send_hex,
            recv_hex=self.engine.recv_hex,
            show_ra=self.engine.show_ra,
            line_ending=self.line_ending,
        )
        self._last_rx = time.monotonic()
        self._settle = False
        if self.run_init:
            self._need_sync = True
            self._set_status(LinkState.SYNCING, f"{self.url} open; synchronising with the module")
        else:
            self._set_status(LinkState.CONNECTED, f"connected to {self.url}")

    # -- synchronisation (app/link/sync.py decides; these do the I/O) ------------

    def _synchronise(self) -> None:
        if self.state is not LinkState.SYNCING:
            self._set_status(LinkState.SYNCING, "synchronising with the module")
        results = synchronise(self, self.sync, state_queries(self.echo))
        if results is None or self._stop.is_set():
            return
        for result in results:
            if result.command.key == "ati":
                self._on_identity(result)
        if not self._need_sync:  # a reboot during the read: once more
            self._set_status(LinkState.CONNECTED, f"connected to {self.url}")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or self._port is None

    def write_esc(self) -> None:
        """Esc leaves a data mode the module may still be in (§2.3.4), so no later
        command is taken as payload; a new round covers any reboot seen before."""
        self._need_sync = False
        self._write(ESC, TxKind.ESC, None)

    def drain(self, quiet: float, limit: float) -> None:
        start = last = time.monotonic()
        while not self._stop.is_set():
            if self._pump():
                last = time.monotonic()
            now = time.monotonic()
            if now - last >= quiet or now - start >= limit:
                return

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < end:
            self._fail_queued(self._down_reason())
            self._pump()

    def syncing(self, message: str, retry_at: float | None = None) -> None:
        self._set_status(LinkState.SYNCING, message, retry_at)
        if retry_at is not None:
            self._fail_queued(self._down_reason())

    def run_now(self, command: AtCommand, tag: str) -> CommandResult:
        with self._lock:
            pending = self.engine.new(command, tag, self._next_id)
            self._next_id += 1
        if self.engine.busy:
            return self._not_sent(pending, "not sent: a command is in flight")
        self._tags[pending.id] = tag
        self._handle(self.engine.start(pending, time.monotonic()))
        while pending.phase is not Phase.DONE and not self._stop.is_set():
            self._pump()
        return pending.result

    def _on_identity(self, result: CommandResult) -> None:
        if result.outcome is Outcome.OK:
            self.identity = ModuleIdentity.from_ati(result.lines)
            self._emit(self.identity)

    def _service(self) -> None:
        if not self.engine.busy and self._settle:
            # A command timed out: its answer may still come. Drain and AT until
            # OK, so it is taken as a line nobody asked for rather than as the
            # next command's; a module that stays silent is synchronised anew.
            self._settle = False
            if probe(self, self.sync, esc=False) is not None:
                self._need_sync = self.run_init
            return
        self._run_controls()
        if not self.engine.busy:
            with self._lock:
                item = self._queue.popleft() if self._queue else None
            if item is not None and isinstance(item[0], RawRequest):
                write_raw(self, item[0], item[1])
                return
            if item is not None:
                pending, future = item
                assert isinstance(pending, Pending)
                self._futures[pending.id] = future
                self._tags[pending.id] = pending.tag
                self._handle(self.engine.start(pending, time.monotonic()))
        timing = self.engine.timing or self._framer.pending or self._queue or self._controls
        self._pump(controls=False, wait=READ_WAIT_S if timing else IDLE_WAIT_S)
        busy = self.busy
        if busy != self._was_busy:
            self._was_busy = busy
            if not busy:
                self._notify_changed()

    def _pump(self, *, controls: bool = True, wait: float = READ_WAIT_S) -> bool:
        """Line control asked for, one read (framed, parsed, recorded, fed to the
        engine; waiting at most ``wait`` for a byte) and the engine's clock; True
        when bytes arrived."""
        if controls:
            self._run_controls()
        data = self._waiter.read(self._port, wait)
        now = time.monotonic()
        if data:
            self._last_rx = now
            self._ingest(self._framer.feed(data))
        elif self._framer.pending and now - self._last_rx >= self.idle_flush:
            self._ingest(self._framer.flush())
        self._handle(self.engine.tick(time.monotonic()))
        # Every read's events go out at once (the dispatcher has no timeout of its
        # own; it still hands them over at most once per batch_interval).
        self._kick_dispatch()
        return bool(data)

    def _ingest(self, frames: list[Any]) -> None:
        for frame in frames:
            event = parse_frame(frame)
            self._handle(self.engine.feed(event, time.monotonic()))

    def _handle(self, outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, Write):
                self._write(out.data, out.what, out.command_id)
            elif isinstance(out, Deliver):
                tag = None if out.command_id is None else self._tags.get(out.command_id)
                self._emit(
                    Rx(out.event, out.role, out.command_id, time.monotonic(), time.time(), tag)
                )
                if isinstance(out.event, ev.Rdy | ev.IpAddress) and self.run_init:
                    self._maybe_reinit(out.event)
            elif isinstance(out, Done):
                self._finish(out.pending)
            elif isinstance(out, Notice):
                self._emit(out.item)

    def _maybe_reinit(self, event: ev.Event) -> None:
        # After a reboot the module's state must be read again (ATI, formats, sockets).
        if isinstance(event, ev.Rdy):
            self._need_sync = True

    def _write(
        self, data: bytes, what: TxKind, command_id: int | None, *, tag: str | None = None
    ) -> None:
        if tag is None and command_id is not None:
            tag = self._tags.get(command_id)
        self._emit(Tx(data, what, command_id, time.monotonic(), time.time(), tag))
        self._port.write(data)

    def _finish(self, pending: Pending) -> None:
        result = pending.result
        future = self._futures.pop(pending.id, None)
        self._tags.pop(pending.id, None)
        if result.outcome is Outcome.TIMEOUT and result.tag not in ("sync", "init"):
            self._settle = True
        self._emit(CommandFinished(result))
        self._kick_dispatch()
        if future is not None and not future.done():
            future.set_result(result)

    def _run_controls(self) -> None:
        while True:
            with self._lock:
                ctl = self._controls.popleft() if self._controls else None
            if ctl is None:
                return
            try:
                value = carry_out(self, ctl)
            except (serial.SerialException, OSError) as exc:
                ctl.future.set_exception(exc)
                raise
            except Exception as exc:
                ctl.future.set_exception(exc)
            else:
                ctl.future.set_result(value)

    def _line_changed(self, message: str, *, change: str) -> None:
        """A person changed the line (DTR, RTS, a break, the baud rate); the link
        state, and a retry time while synchronising, stay as they are."""
        self._set_status(self.state, message, self.status.retry_at, change=change)

    def _fail_queued(self, why: str) -> None:
        with self._lock:
            queued, self._queue = list(self._queue), deque()
            controls, self._controls = list(self._controls), deque()
        for pending, future in queued:
            if isinstance(pending, RawRequest):
                if not future.done():
                    future.set_result(RawResult(pending.data, False, why, pending.tag))
                continue
            result = self._not_sent(pending, why)
            self._emit(CommandFinished(result))
            if not future.done():
                future.set_result(result)
        for ctl in controls:
            if not ctl.future.done():
                ctl.future.set_exception(RuntimeError(why))

    def _lost(self, reason: str) -> None:
        port, self._port = self._port, None
        self._waiter.detach()
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
        # Keep whatever partial bytes arrived before the loss.
        self._ingest(self._framer.flush())
        self._handle(self.engine.link_lost(reason, time.monotonic()))
        self._fail_queued(f"not sent: link lost ({reason})")
        if not self.reconnect or self._stop.is_set():
            self._set_status(LinkState.CLOSED, f"link lost: {reason}")
            self._stop.set()
            return
        self._attempt += 1
        delay = self.backoff[min(self._attempt - 1, len(self.backoff) - 1)]
        self._set_status(LinkState.DISCONNECTED, f"link lost: {reason}", time.monotonic() + delay)

    def _shutdown(self) -> None:
        port = self._port
        if port is not None:
            try:
                if self.engine.data_mode:
                    self._write(ESC, TxKind.ESC, None)  # never leave the module in data mode
                self._ingest(self._framer.flush())
            except Exception:
                pass
        self._handle(self.engine.link_lost("the link was closed", time.monotonic()))
        self._fail_queued("not sent: the link was closed")
        self._port = None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
        if self.state is not LinkState.CLOSED:
            self._set_status(LinkState.CLOSED, "closed")
        self._waiter.close()
        self._stopped.set()
        self._box.wake()


__all__ = ["CommandResult", "Outcome", "SerialWorker"]
