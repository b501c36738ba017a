"""How the serial worker waits for bytes without spinning and wakes when it has
something to write.

Ports with a file descriptor (device paths, ``socket://``) are waited on with
``select()`` next to a wake-up pipe, so a new command or a control request goes out
at once and a read takes whatever is there (pyserial's ``socket://`` has no
``cancel_read`` and reports at most one byte waiting). Ports without one are read
blocking, and ``cancel_read`` cuts that wait short where the port has it:

* a port whose ``cancel_read`` also ends the *next* read when no read is waiting
  (it says so with a true ``sticky_cancel_read`` attribute: the built-in simulator's
  ``sim://``, whose read waits on a condition that the module's output and the
  cancel both signal) is read with the worker's own wait, as a descriptor is: up to
  a second when nothing is timing, so an idle link does not wake 20 times a second,
  and no wake-up can be lost between deciding to wait and waiting;
* any other (``loop://``, a Windows COM port, whose cancel only ends a read already
  waiting) keeps its own short read timeout, so a command given just before the read
  starts waits that long at most.

The pipe is POSIX only; elsewhere every port is read the second way.
"""

from __future__ import annotations

import contextlib
import os
import select
from typing import Any

#: How long one wait for input lasts before timeouts are checked again.
READ_WAIT_S = 0.05
#: How long one wait lasts when no timeout is running (no command in flight, no
#: partial line held): a new command or control pokes the wait short, so this only
#: spares an idle link 20 wake-ups a second.
IDLE_WAIT_S = 1.0
#: The most read at once from a port with a file descriptor.
READ_CHUNK = 65536


class PortWaiter:
    """The wake-up pipe and the read of one worker (its thread reads; any thread pokes)."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe() if os.name == "posix" else (-1, -1)
        if self._r >= 0:
            os.set_blocking(self._r, False)
            os.set_blocking(self._w, False)
        #: The open port's descriptor when it can be select()ed, else None.
        self.fd: int | None = None

    def attach(self, port: Any) -> None:
        """A port was opened: use its descriptor when it has one (the port then reads
        without blocking; select() does the waiting)."""
        self.fd = None
        if self._r < 0 or not hasattr(port, "fileno"):
            return
        try:
            fd = int(port.fileno())
            port.timeout = 0
        except Exception:
            return
        self.fd = fd

    def detach(self) -> None:
        self.fd = None

    def poke(self, port: Any) -> None:
        """Wake the reader now (from any thread)."""
        if self._w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._w, b"!")
        if self.fd is None and port is not None and hasattr(port, "cancel_read"):
            try:
                port.cancel_read()
            except Exception:
                pass

    def read(self, port: Any, wait: float = READ_WAIT_S) -> bytes:
        """What the port holds, waiting at most ``wait`` seconds for the first byte
        (a port without a descriptor and without a sticky ``cancel_read`` waits its
        own read timeout)."""
        fd = self.fd
        if fd is not None:
            ready, _, _ = select.select([fd, self._r], [], [], wait)
            if self._r in ready:
                with contextlib.suppress(OSError):
                    os.read(self._r, 4096)
            if fd not in ready:
                return b""
            data: bytes = port.read(READ_CHUNK)
            return data
        if getattr(port, "sticky_cancel_read", False) and port.timeout != wait:
            port.timeout = wait  # a poke or the module's output ends it sooner
        waiting = port.in_waiting
        data = port.read(waiting or 1)
        if data:
            more = port.in_waiting
            if more:
                data += port.read(more)
        return data

    def close(self) -> None:
        """Close the pipe (the worker has stopped; a late poke then writes nothing)."""
        self.fd = None
        pipe = (self._r, self._w)
        self._r = self._w = -1  # before closing: a poke must not write to a reused fd
        for fd in pipe:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


__all__ = ["IDLE_WAIT_S", "READ_CHUNK", "READ_WAIT_S", "PortWaiter"]
