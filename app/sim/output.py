"""Where the simulated module's output goes, when, and how it pushes back.

A module has one UART: one :class:`Sink` at a time. The sink tells the module
when its buffer passes the high-water mark (``blocked``), and the module then
stops reading its network sockets until the sink drains below the low-water
mark, so a flood from the network turns into TCP backpressure on the host
stack instead of unbounded memory.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024


class Sink(Protocol):
    """Receives the module's output bytes on the module's loop thread."""

    def write(self, data: bytes) -> None:
        """Take ``data``; never block the module's loop."""

    def set_flow_callback(self, callback: Callable[[bool], None] | None) -> None:
        """``callback(blocked)`` when the sink passes a water mark (any thread)."""


class BufferSink:
    """An in-memory buffer read by another thread (the ``sim://`` serial port)."""

    def __init__(self, high: int = HIGH_WATER, low: int = LOW_WATER) -> None:
        self._buf = bytearray()
        self._cv = threading.Condition()
        self._high = high
        self._low = low
        self._blocked = False
        self._cancel = False
        self._flow: Callable[[bool], None] | None = None
        #: Set when the port vanished: readers raise instead of waiting.
        self.broken: str | None = None

    def set_flow_callback(self, callback: Callable[[bool], None] | None) -> None:
        self._flow = callback

    def write(self, data: bytes) -> None:
        notify = None
        with self._cv:
            self._buf += data
            if not self._blocked and len(self._buf) >= self._high:
                self._blocked = True
                notify = self._flow
            self._cv.notify_all()
        if notify is not None:
            notify(True)

    @property
    def waiting(self) -> int:
        return len(self._buf)

    def read(self, size: int, timeout: float | None) -> bytes:
        """Up to ``size`` bytes; waits up to ``timeout`` for the first one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        notify = None
        with self._cv:
            while not self._buf and self.broken is None and not self._cancel:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cv.wait(left)
            self._cancel = False
            if self.broken is not None and not self._buf:
                raise ConnectionError(self.broken)
            data = bytes(self._buf[:size])
            del self._buf[:size]
            if self._blocked and len(self._buf) <= self._low:
                self._blocked = False
                notify = self._flow
        if notify is not None:
            notify(False)
        return data

    def cancel_read(self) -> None:
        with self._cv:
            self._cancel = True
            self._cv.notify_all()

    def clear(self) -> None:
        with self._cv:
            self._buf.clear()

    def break_(self, reason: str) -> None:
        with self._cv:
            self.broken = reason
            self._cv.notify_all()


class Schedule:
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
