"""What the serial worker carries out on its own thread besides commands: line
control asked for by a person (DTR, RTS, a break, the baud rate, framing and flow
control, the line ending, data-mode input) and raw bytes.

These are the worker's own steps, kept apart to keep :mod:`app.link.worker`
readable; they run only on the worker's thread, with its state.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.link.port import PortSettings, apply_settings
from app.link.results import RawResult, TxKind

if TYPE_CHECKING:
    from app.link.worker import SerialWorker

#: After raw bytes, nothing else goes out until the line has been quiet this long
#: (or the guard time asked for, when longer), so an answer to them is never taken
#: for the next command's; at most RAW_SETTLE_MAX_S is spent waiting.
RAW_QUIET_S = 0.3
RAW_SETTLE_MAX_S = 3.0
#: What each line ending is called (profile, header, capture).
ENDING_NAMES = {b"\r": "CR", b"\r\n": "CRLF", b"\n": "LF"}


class RawRequest:
    """Raw bytes queued behind the commands (not a command)."""

    def __init__(self, data: bytes, tag: str, guard: float) -> None:
        self.data = data
        self.tag = tag
        self.guard = guard


class ControlRequest:
    """A request the worker carries out on its own thread."""

    def __init__(self, name: str, *args: Any) -> None:
        self.name = name
        self.args = args
        self.future: Future[Any] = Future()


def carry_out(worker: SerialWorker, ctl: ControlRequest) -> Any:
    """One control request, on the worker's thread (its port is open)."""
    now = time.monotonic()
    port = worker._port
    engine = worker.engine
    if ctl.name == "input":
        payload, terminator = ctl.args
        worker._handle(engine.data_input(payload, terminator, now))
    elif ctl.name == "cancel":
        if not engine.data_mode:
            raise RuntimeError("not in data mode")
        worker._handle(engine.cancel_data_mode(now))
    elif ctl.name == "dtr":
        port.dtr = on = bool(ctl.args[0])
        worker.settings = replace(worker.settings, dtr=on)
        worker._line_changed(f"DTR {'on' if on else 'off'}", change="dtr")
    elif ctl.name == "rts":
        port.rts = on = bool(ctl.args[0])
        worker.settings = replace(worker.settings, rts=on)
        worker._line_changed(f"RTS {'on' if on else 'off'}", change="rts")
    elif ctl.name == "break":
        port.send_break(ctl.args[0])
        ms = round(ctl.args[0] * 1000)
        worker._line_changed(f"Break sent ({ms} ms)", change="break")
    elif ctl.name == "baud":
        port.baudrate = rate = int(ctl.args[0])
        worker.settings = replace(worker.settings, baudrate=rate)
        worker._line_changed(f"baud rate now {rate}", change="baud")
    elif ctl.name == "serial":
        _serial(worker, port, ctl.args[0])
    elif ctl.name == "ending":
        worker.line_ending = engine.line_ending = ctl.args[0]
        name = ENDING_NAMES[worker.line_ending]
        worker._line_changed(f"line ending now {name}", change="line_ending")
    return None


def _serial(worker: SerialWorker, port: Any, wanted: PortSettings) -> None:
    """The baud rate, framing and flow control of ``wanted``; DTR and RTS as they are."""
    new = replace(
        worker.settings,
        baudrate=wanted.baudrate,
        bytesize=wanted.bytesize,
        parity=wanted.parity,
        stopbits=wanted.stopbits,
        rtscts=wanted.rtscts,
        xonxoff=wanted.xonxoff,
    )
    if new.baudrate != port.baudrate:
        port.baudrate = new.baudrate
    apply_settings(port, new)
    worker.settings = new
    flow = new.flow or "no flow control"
    worker._line_changed(
        f"serial settings now {new.baudrate} {new.framing}, {flow}", change="serial"
    )


def write_raw(worker: SerialWorker, raw: RawRequest, future: Future[Any]) -> None:
    """Write raw bytes on a free line: after ``guard`` seconds of silence, then
    hold the line until the module has been quiet for a while, so whatever it
    answers is taken as unsolicited, never as the next command's answer."""
    if raw.guard > 0:
        start = time.monotonic()
        while not worker._stop.is_set():
            last = max(worker._last_rx, worker.engine.last_io or 0.0)
            now = time.monotonic()
            if now - last >= raw.guard or now - start >= RAW_SETTLE_MAX_S + raw.guard:
                break
            worker._pump()
    try:
        worker._write(raw.data, TxKind.RAW, None, tag=raw.tag)
    except BaseException:
        if not future.done():
            future.set_result(RawResult(raw.data, False, "the write failed", raw.tag))
        raise
    worker.engine.raw_written(raw.data, time.monotonic())
    future.set_result(RawResult(raw.data, True, tag=raw.tag))
    worker.drain(max(raw.guard, RAW_QUIET_S), RAW_SETTLE_MAX_S + raw.guard)
    worker._notify_changed()


__all__ = [
    "ENDING_NAMES",
    "RAW_QUIET_S",
    "RAW_SETTLE_MAX_S",
    "ControlRequest",
    "RawRequest",
    "carry_out",
    "write_raw",
]
