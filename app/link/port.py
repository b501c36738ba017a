"""Opening a port: the settings it opens with, every time it is (re)opened, and
what an open that failed means.

Which open errors are retried (the rule, by kind and errno):

* **Retried with back-off** (they heal by themselves): the port is *busy*
  (another program holds it: EBUSY, or the exclusive lock is taken), a network
  port that refuses or times out (``socket://``, ``rfc2217://``: the server may
  come back), any I/O error, and a device that is missing (ENOENT, ENODEV, ENXIO)
  *after it was open once*: a USB adapter unplugged comes back under the same name.
* **Said once, not retried** (nothing changes until a person acts): a device that
  does not exist at the first open, permission denied (EACCES, EPERM), a path that
  is not a serial port (ENOTTY, EISDIR), and a URL or option pyserial refuses
  (ValueError: an unknown scheme, a bad ``?option``). The link waits; *Reconnect*
  in the Ctrl+P palette (or picking a port) tries again.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

#: Parity letters as pyserial takes them: none, even, odd, mark, space.
PARITIES = ("N", "E", "O", "M", "S")
DATA_BITS = (5, 6, 7, 8)
STOP_BITS = (1.0, 1.5, 2.0)


@dataclass(frozen=True, slots=True)
class PortSettings:
    """How the port is opened, every time it is (re)opened."""

    baudrate: int = 115200
    #: Read timeout of a port without a file descriptor to wait on.
    timeout: float = 0.05
    dtr: bool = True
    rts: bool = True
    #: Character framing: data bits (5-8), parity (N E O M S), stop bits (1, 1.5, 2).
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1.0
    #: Flow control: hardware (RTS/CTS) and software (XON/XOFF).
    rtscts: bool = False
    xonxoff: bool = False

    def __post_init__(self) -> None:
        if self.bytesize not in DATA_BITS:
            raise ValueError(f"data bits: expected 5, 6, 7 or 8, got {self.bytesize}")
        if self.parity not in PARITIES:
            raise ValueError(f"parity: expected one of N E O M S, got {self.parity!r}")
        if self.stopbits not in STOP_BITS:
            raise ValueError(f"stop bits: expected 1, 1.5 or 2, got {self.stopbits:g}")
        if self.baudrate <= 0:
            raise ValueError(f"baud rate: expected a positive integer, got {self.baudrate}")

    @property
    def framing(self) -> str:
        """``8N1``, ``7E2``, ``8N1.5``: data bits, parity, stop bits."""
        return f"{self.bytesize}{self.parity}{self.stopbits:g}"

    @property
    def flow(self) -> str:
        """``RTS/CTS``, ``XON/XOFF``, both, or "" for none."""
        return flow_label(self.rtscts, self.xonxoff)


def flow_label(rtscts: bool, xonxoff: bool) -> str:
    return " ".join(name for name, on in (("RTS/CTS", rtscts), ("XON/XOFF", xonxoff)) if on)


PortFactory = Callable[[str, PortSettings], Any]

#: Write timeout for ports that support one: a module that stops reading (flow
#: control held) fails the write instead of hanging the worker.
WRITE_TIMEOUT_S = 5.0

_MISSING = {errno.ENOENT, errno.ENODEV, errno.ENXIO}
_NEVER_HEALS = {errno.EACCES, errno.EPERM, errno.ENOTTY, errno.EISDIR, errno.ENOTDIR}
_BUSY = {errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK}


def is_device_path(url: str) -> bool:
    """A plain device (``/dev/ttyUSB0``, ``COM5``), not a pyserial URL."""
    return "://" not in url


def open_port(url: str, settings: PortSettings) -> Any:
    """Open ``url`` with pyserial, DTR and RTS set as asked *before* the port opens
    (a board that wires DTR to reset or wake must not see a pulse).

    A device path is opened *exclusively* on POSIX (pyserial's ``exclusive``: an
    flock), so a second program, or a second qiterm, gets "port busy" instead of
    sharing the bytes. ``rfc2217://`` takes no write timeout (pyserial's client
    refuses one); its writes go through a socket that has its own."""
    kwargs: dict[str, Any] = {
        "baudrate": settings.baudrate,
        "bytesize": settings.bytesize,
        "parity": settings.parity,
        "stopbits": _stopbits(settings.stopbits),
        "rtscts": settings.rtscts,
        "xonxoff": settings.xonxoff,
        "timeout": settings.timeout,
        "do_not_open": True,
    }
    if not url.lower().startswith("rfc2217://"):
        kwargs["write_timeout"] = WRITE_TIMEOUT_S
    if is_device_path(url) and os.name == "posix":
        kwargs["exclusive"] = True
    port = serial.serial_for_url(url, **kwargs)
    port.dtr = settings.dtr
    if not settings.rtscts:  # with RTS/CTS the driver owns RTS
        port.rts = settings.rts
    port.open()
    return port


def _stopbits(value: float) -> float | int:
    """pyserial's constants: 1, 1.5, 2 (1 and 2 as integers)."""
    return int(value) if value.is_integer() else value


def apply_settings(port: Any, settings: PortSettings) -> None:
    """Set the framing and flow control of an open port, all at once.

    pyserial applies each attribute with a ``tcsetattr`` of its own, and POSIX lets
    ``tcsetattr`` fail when none of the changes asked for could be made: a driver
    that keeps part of them (a Linux pty always reads CS8 and no parity) then
    refuses a change of data bits alone. So the new values are set together and
    the port reconfigured once, as an open does (an RFC 2217 server gets them as
    its options; socket:// and the simulator take them and have no wire to
    change). ValueError, the port left as it was, when it refuses them all."""
    wanted: dict[str, Any] = {
        "bytesize": settings.bytesize,
        "parity": settings.parity,
        "stopbits": _stopbits(settings.stopbits),
        "rtscts": settings.rtscts,
        "xonxoff": settings.xonxoff,
    }
    reconfigure = getattr(port, "_reconfigure_port", None)
    if not callable(reconfigure) or not all(hasattr(port, f"_{name}") for name in wanted):
        for name, value in wanted.items():  # not a pyserial port: one by one
            setattr(port, name, value)
        return
    old = {name: getattr(port, f"_{name}") for name in wanted}
    for name, value in wanted.items():
        setattr(port, f"_{name}", value)
    try:
        if getattr(port, "is_open", True):
            reconfigure()
    except Exception as exc:
        for name, value in old.items():
            setattr(port, f"_{name}", value)
        raise ValueError(
            f"the port refused {settings.framing} {settings.flow or 'without flow control'}: {exc}"
        ) from exc


@dataclass(frozen=True, slots=True)
class OpenFailure:
    """What a failed open means: what to say, and whether retrying can help."""

    message: str
    heals: bool


def open_failure(url: str, exc: BaseException, *, was_open: bool = False) -> OpenFailure:
    """Classify an exception from opening ``url`` (see the module's rule).
    ``was_open``: the port was open before in this session (a missing device
    then is an unplugged one that may come back)."""
    text = str(exc) or type(exc).__name__
    code = getattr(exc, "errno", None)
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        return OpenFailure(f"cannot open {url}: {text}", heals=False)
    if code in _BUSY or "exclusively lock" in text:
        return OpenFailure(
            f"port busy: another program has {url} open ({text}); retrying", heals=True
        )
    if code in _MISSING and is_device_path(url):
        if was_open:
            return OpenFailure(f"{url} is gone (unplugged?): {text}; retrying", heals=True)
        return OpenFailure(f"cannot open {url}: no such device ({text})", heals=False)
    if code in _NEVER_HEALS:
        why = "permission denied" if code in (errno.EACCES, errno.EPERM) else "not a serial port"
        return OpenFailure(f"cannot open {url}: {why} ({text})", heals=False)
    return OpenFailure(f"cannot open {url}: {text}", heals=True)
