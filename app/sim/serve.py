"""Serve a simulated module outside this process: on a pseudo-terminal that any
terminal program opens (``qiterm sim --pty``), or to ``socket://`` clients
(``qiterm sim --tcp HOST:PORT``, loopback unless exposed, one client at a time).

Both keep one module for their whole life and survive clients that go and
come back; while no client is attached, the module's output is dropped, as a
UART with nothing on the other end would drop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import select
import threading
from collections.abc import Callable

from app.sim.device import Device
from app.sim.guard import is_loopback
from app.sim.output import HIGH_WATER, LOW_WATER
from app.sim.reach import EXPOSE_FLAG, bind_addresses, exposed_bind, report


class _PtySink:
    """Module output waiting to be written to the pty master."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._wake = wake
        self._flow: Callable[[bool], None] | None = None
        self._blocked = False

    def set_flow_callback(self, callback: Callable[[bool], None] | None) -> None:
        self._flow = callback

    def write(self, data: bytes) -> None:
        with self._lock:
            self._buf += data
            block = not self._blocked and len(self._buf) >= HIGH_WATER
            if block:
                self._blocked = True
        if block and self._flow is not None:
            self._flow(True)
        self._wake()

    def take(self, size: int) -> bytes:
        with self._lock:
            return bytes(self._buf[:size])

    def consumed(self, n: int) -> None:
        with self._lock:
            del self._buf[:n]
            unblock = self._blocked and len(self._buf) <= LOW_WATER
            if unblock:
                self._blocked = False
        if unblock and self._flow is not None:
            self._flow(False)

    def clear(self) -> None:
        with self._lock:
            self._buf.clear()
            unblock = self._blocked
            self._blocked = False
        if unblock and self._flow is not None:
            self._flow(False)

    @property
    def pending(self) -> bool:
        return bool(self._buf)


class PtyServer:
    """The module on a pseudo-terminal; :attr:`path` is the device to open."""

    def __init__(self, module: Device) -> None:
        import tty  # POSIX only, like os.openpty (qiterm sim refuses --pty elsewhere)

        self.module = module
        self.master, slave = os.openpty()
        # Raw from the start, so the line discipline never echoes or rewrites the
        # module's output before a client sets its own mode.
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        # Close our slave end: the master then reports POLLHUP while no client has
        # the device open, which is how a client coming and going is seen.
        os.close(slave)
        os.set_blocking(self.master, False)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.sink = _PtySink(self._wake)
        self.attached = False
        self.clients = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qiterm-sim-pty", daemon=True)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def start(self) -> PtyServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        self._thread.join(3)
        for fd in (self.master, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _set_attached(self, attached: bool) -> None:
        if attached == self.attached:
            return
        self.attached = attached
        if attached:
            self.clients += 1
            self.module.attach(self.sink)
        else:
            self.module.detach(self.sink)
            self.sink.clear()

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        while not self._stop.is_set():
            mask = select.POLLIN | (select.POLLOUT if self.sink.pending else 0)
            poller.register(self.master, mask)
            events = dict(poller.poll(100))
            if self._wake_r in events:
                with contextlib.suppress(BlockingIOError, OSError):
                    os.read(self._wake_r, 4096)
            ev = events.get(self.master, 0)
            if ev & (select.POLLHUP | select.POLLERR):
                self._set_attached(False)
                self._stop.wait(0.05)
                continue
            self._set_attached(True)
            if ev & select.POLLIN:
                try:
                    data = os.read(self.master, 65536)
                except BlockingIOError:
                    data = b""
                except OSError as exc:
                    if exc.errno == errno.EIO:
                        self._set_attached(False)
                        continue
                    raise
                if data:
                    self.module.feed(data)
            if ev & select.POLLOUT and self.sink.pending:
                chunk = self.sink.take(65536)
                try:
                    written = os.write(self.master, chunk)
                except BlockingIOError:
                    written = 0
                except OSError as exc:
                    if exc.errno == errno.EIO:
                        self._set_attached(False)
                        continue
                    raise
                self.sink.consumed(written)


class _TransportSink:
    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.flow: Callable[[bool], None] | None = None

    def set_flow_callback(self, callback: Callable[[bool], None] | None) -> None:
        self.flow = callback

    def write(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)


class _Client(asyncio.Protocol):
    def __init__(self, server: TcpServer) -> None:
        self.server = server
        self.sink: _TransportSink | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.sink = _TransportSink(transport)
        self.server.attach(self)

    def data_received(self, data: bytes) -> None:
        if self.server.current is self:
            self.server.module.receive(data)

    def pause_writing(self) -> None:
        if self.sink is not None and self.sink.flow is not None:
            self.sink.flow(True)

    def resume_writing(self) -> None:
        if self.sink is not None and self.sink.flow is not None:
            self.sink.flow(False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.detach(self)


#: What a client refused while another is connected reads before the server closes it.
BUSY_MESSAGE = b"qiterm sim: busy, another client is connected\r\n"


class TcpServer:
    """The module for ``socket://`` clients, one at a time: while one is connected,
    another is told it is busy (:data:`BUSY_MESSAGE`) and closed, and the first
    keeps its session, since two hosts typing into one UART would garble both.
    With ``takeover`` the newest client wins instead, as when a cable is moved to
    another host.

    The address must be loopback unless ``expose`` (app.sim.reach): whoever reaches
    the port drives the module."""

    def __init__(
        self,
        module: Device,
        host: str,
        port: int,
        *,
        expose: bool = False,
        takeover: bool = False,
    ) -> None:
        self.module = module
        self.host = host
        self.port = port
        self.expose = expose
        self.takeover = takeover
        self.current: _Client | None = None
        #: Clients served so far, and clients turned away as busy.
        self.clients = 0
        self.refused = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"socket://{host}:{self.port}"

    @staticmethod
    def bind_addresses(host: str, port: int, *, expose: bool) -> list[str]:
        """The addresses to listen on for ``host`` (a name resolved); raises
        BindRefused for one beyond loopback without ``expose``, OSError for a name
        that does not resolve."""
        return bind_addresses(host, port, expose=expose, what="the --tcp address", flag=EXPOSE_FLAG)

    def start(self) -> TcpServer:
        """Listen; raises BindRefused (a ValueError naming ``--expose``) for an address
        beyond loopback without ``expose``, OSError when the address cannot be bound."""
        addresses = self.bind_addresses(self.host, self.port, expose=self.expose)

        async def listen() -> asyncio.Server:
            return await self.module.loop.create_server(
                lambda: _Client(self), addresses, self.port, reuse_address=True
            )

        self._server = self.module.thread.run(listen(), 5)
        self.port = self._server.sockets[0].getsockname()[1]
        for address in addresses:
            if not is_loopback(address):
                report(exposed_bind("the --tcp address", address))
        return self

    def attach(self, client: _Client) -> None:
        assert client.sink is not None
        previous = self.current
        if previous is not None and previous.sink is not None:
            if previous.sink.transport.is_closing():
                self.detach(previous)  # on its way out: its close is not seen yet
            elif self.takeover:
                previous.sink.transport.close()
            else:
                self._refuse(client.sink.transport)
                return
        self.current = client
        self.clients += 1
        self.module.attach(client.sink)

    def _refuse(self, transport: asyncio.Transport) -> None:
        self.refused += 1
        peer = transport.get_extra_info("peername")
        transport.write(BUSY_MESSAGE)
        transport.close()  # after the message is written
        where = f" from {peer[0]}:{peer[1]}" if peer else ""
        report(f"refused a client{where}: another client is connected")

    def detach(self, client: _Client) -> None:
        if self.current is client:
            self.current = None
            self.module.detach(client.sink)

    def stop(self) -> None:
        server = self._server
        if server is not None:
            self.module.call(server.close)
