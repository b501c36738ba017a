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


@dataclass(frozen=True, slots=True)
class PortSettings:
    """How the port is opened, every time it is (re)opened."""

    baudrate: int = 115200
    #: Read timeout of a port without a file descriptor to wait on.
    timeout: float = 0.05
    dtr: bool = True
    rts: bool = True


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
        "timeout": settings.timeout,
        "do_not_open": True,
    }
    if not url.lower().startswith("rfc2217://"):
        kwargs["write_timeout"] = WRITE_TIMEOUT_S
    if is_device_path(url) and os.name == "posix":
        kwargs["exclusive"] = True
    port = serial.serial_for_url(url, **kwargs)
    port.dtr = settings.dtr
    port.rts = settings.rts
    port.open()
    return port


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
