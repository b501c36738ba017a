"""A scripted stand-in for a serial port, for testing the link without a module.

``ScriptedPort`` answers each written command line from a table of rules and
records every byte written, so a test can assert exactly what reached the wire
(for example, that nothing was written while in data mode).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import serial

from app.link.worker import PortSettings


class Late(bytes):
    """An answer that arrives ``seconds`` after the command (a module busy elsewhere)."""

    seconds: float

    def __new__(cls, data: bytes, seconds: float) -> Late:
        self = super().__new__(cls, data)
        self.seconds = seconds
        return self


Reply = bytes | Callable[[bytes], bytes]


class ScriptedPort:
    """Implements the slice of the pyserial API the worker uses."""

    def __init__(
        self,
        rules: dict[str, Reply] | None = None,
        *,
        echo: bool = False,
        data_mode: bool = False,
        late: int = 0,
        late_s: float = 0.0,
        deaf: int = 0,
    ) -> None:
        self.rules: list[tuple[re.Pattern[bytes], Reply]] = []
        for pattern, reply in (rules or {}).items():
            self.add(pattern, reply)
        self.echo = echo
        self.written = bytearray()
        self.lines: list[bytes] = []  # command lines written (without CR)
        self.timeout = 0.05
        self.is_open = True
        self.dtr = True
        self.rts = True
        self.baudrate = 115200
        self.breaks: list[float] = []
        self._rx = bytearray()
        self._cv = threading.Condition()
        self._line = bytearray()
        #: The module may still be in data mode from before qiterm opened the port.
        self._data_mode = data_mode
        #: The first ``late`` answers (Esc's ERROR included) arrive ``late_s`` s late,
        #: as from a module that is booting or waking up.
        self.late = late
        self.late_s = late_s
        #: The first ``deaf`` command lines get no answer at all (a sleeping module
        #: that wakes on the first characters and drops them).
        self.deaf = deaf
        self._timers: list[threading.Timer] = []
        self.fixed_length: int | None = None  # set by a rule for fixed-length data mode
        self.data_mode_input = bytearray()
        self._vanished = False
        self.on_data_mode: Callable[[bytes], bytes] | None = None

    # -- scripting -------------------------------------------------------------

    def add(self, pattern: str, reply: Reply) -> None:
        """When a written line fully matches ``pattern`` (regex), answer ``reply``."""
        self.rules.insert(0, (re.compile(pattern.encode()), reply))

    def inject(self, data: bytes) -> None:
        """Bytes the 'module' prints on its own (URCs, RDY...)."""
        with self._cv:
            self._rx += data
            self._cv.notify_all()

    def answer(self, data: bytes) -> None:
        """The module's answer to what was just written: now, or late."""
        delay = data.seconds if isinstance(data, Late) else None
        if self.late > 0:
            self.late -= 1
            delay = self.late_s
        if delay is not None:
            timer = threading.Timer(delay, self.inject, (bytes(data),))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        else:
            self.inject(data)

    def vanish(self) -> None:
        """The port goes away: the next read raises like an unplugged device."""
        with self._cv:
            self._vanished = True
            self._cv.notify_all()

    # -- pyserial API ------------------------------------------------------------

    @property
    def in_waiting(self) -> int:
        if self._vanished:
            raise serial.SerialException("device disconnected")
        return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        deadline = time.monotonic() + (self.timeout or 0)
        with self._cv:
            while not self._rx and not self._vanished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return b""
                self._cv.wait(left)
            if self._vanished:
                raise serial.SerialException(
                    "device reports readiness to read but returned no data"
                )
            data = bytes(self._rx[:size])
            del self._rx[:size]
            return data

    def cancel_read(self) -> None:
        with self._cv:
            self._cv.notify_all()

    def write(self, data: bytes) -> int:
        if self._vanished:
            raise serial.SerialException("write failed: device disconnected")
        self.written += data
        for byte in data:
            self._feed(bytes([byte]))
        return len(data)

    def send_break(self, duration: float = 0.25) -> None:
        self.breaks.append(duration)

    def close(self) -> None:
        self.is_open = False
        for timer in self._timers:
            timer.cancel()

    # -- the 'module' ------------------------------------------------------------

    def _feed(self, b: bytes) -> None:
        if self._data_mode:
            if b == b"\x1b":
                self._data_mode = False
                self.answer(b"\r\nERROR\r\n")
                return
            if b == b"\x1a":
                self._data_mode = False
                payload = bytes(self.data_mode_input)
                reply = (
                    self.on_data_mode(payload)
                    if self.on_data_mode
                    else b"\r\nOK\r\n\r\nSEND OK\r\n"
                )
                self.inject(reply)
                return
            self.data_mode_input += b
            if self.fixed_length is not None and len(self.data_mode_input) >= self.fixed_length:
                self._data_mode = False
                self.fixed_length = None
                self.inject(b"\r\nOK\r\n\r\nSEND OK\r\n")
            return
        if b == b"\x1b":
            return  # Esc in command mode is ignored
        if b != b"\r":
            self._line += b
            return
        line = bytes(self._line)
        self._line.clear()
        self.lines.append(line)
        if self.echo:
            self.inject(line + b"\r")
        if self.deaf > 0:
            self.deaf -= 1
            return
        for pattern, reply in self.rules:
            if pattern.fullmatch(line):
                out = reply(line) if callable(reply) else reply
                if out.rstrip().endswith(b">"):
                    self._data_mode = True
                    self.data_mode_input.clear()
                if out:
                    self.answer(out)
                return
        self.answer(b"\r\nERROR\r\n")


class PortFactory:
    """Hands the worker a fresh ScriptedPort per (re)open; can refuse to open."""

    def __init__(self, make: Callable[[], ScriptedPort]) -> None:
        self.make = make
        self.ports: list[ScriptedPort] = []
        self.refuse = 0  # refuse this many opens

    def __call__(self, url: str, settings: PortSettings) -> ScriptedPort:
        if self.refuse > 0:
            self.refuse -= 1
            raise serial.SerialException(f"could not open port {url}: [Errno 2] No such file")
        port = self.make()
        port.timeout = settings.timeout
        port.baudrate = settings.baudrate
        port.dtr, port.rts = settings.dtr, settings.rts
        self.ports.append(port)
        return port

    @property
    def current(self) -> ScriptedPort:
        return self.ports[-1]
