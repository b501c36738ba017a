"""What stands behind a ``sim://`` port, a pty or a TCP port: a UART device.

The simulated module (:class:`app.sim.module.Module`) is one; a captured module
played back (``sim://?replay=CAPTURE``, :mod:`app.playback`) is the other. The
URL handler, the registry and the pty and TCP servers only need this much.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from app.sim.config import SimConfig
from app.sim.network import EventLoopThread
from app.sim.output import Sink


class Device(Protocol):
    """One UART endpoint, run on its own loop thread."""

    config: SimConfig
    thread: EventLoopThread
    loop: asyncio.AbstractEventLoop
    closed: bool
    #: Monotonic time until which the port cannot be opened (a simulated unplug).
    absent_until: float

    def attach(self, sink: Sink) -> None:
        """Connect the UART to ``sink`` (thread-safe)."""

    def detach(self, sink: Sink | None = None) -> None:
        """Disconnect the UART (thread-safe); output is dropped until the next attach."""

    def feed(self, data: bytes) -> None:
        """Bytes from the host (thread-safe)."""

    def receive(self, data: bytes) -> None:
        """Bytes from the host, on the loop thread."""

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop thread (thread-safe)."""

    def close(self) -> None:
        """Power off."""
