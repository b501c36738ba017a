"""Opening a port: the settings it opens with, every time it is (re)opened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial


@dataclass(frozen=True, slots=True)
class PortSettings:
    """How the port is opened, every time it is (re)opened."""

    baudrate: int = 115200
    #: Read timeout of a port without a file descriptor to wait on.
    timeout: float = 0.05
    dtr: bool = True
    rts: bool = True


PortFactory = Callable[[str, PortSettings], Any]


def open_port(url: str, settings: PortSettings) -> Any:
    """Open ``url`` with pyserial, DTR and RTS set as asked *before* the port opens
    (a board that wires DTR to reset or wake must not see a pulse)."""
    port = serial.serial_for_url(
        url, baudrate=settings.baudrate, timeout=settings.timeout, write_timeout=5, do_not_open=True
    )
    port.dtr = settings.dtr
    port.rts = settings.rts
    port.open()
    return port
