"""Loopback network peers: small servers for the simulated module to talk to.

The simulated BC660K-GL opens real sockets on the host, so it needs something
real at the other end. :class:`Peers` runs a handful of tiny servers, all bound
to a loopback address on ephemeral ports, on one background thread with its own
asyncio event loop:

* **TCP echo** - every byte received on a connection is written back. Stands in
  for a remote host for ``AT+QIOPEN="TCP"``/``AT+QISEND``/``+QIURC: "recv"``.
  Tests can see what arrived (``tcp_received``), count connections and close
  them from the server side (``close_tcp_clients``) to provoke
  ``+QIURC: "closed"``.
* **UDP echo** - every datagram goes back to its sender; the senders are
  recorded, and ``udp_send`` sends an unsolicited datagram (to test a
  ``"UDP SERVICE"`` socket receiving from a peer).
* **NTP** - an SNTP server (RFC 4330), stratum 1, with an optional clock offset,
  for ``AT+QNTP``.
* **DNS** - a UDP DNS server answering A queries from a small zone, for
  ``AT+QIDNSGIP``; it can be made silent to provoke a client timeout.
* **Blaster** (off by default) - a flood source: on each connection it writes a
  fixed number of bytes as fast as the client takes them (with backpressure),
  then closes. Used by benchmarks and by flow-control tests.

They serve three users: the test suite (stand-ins for remote hosts), the
benchmarks (the blaster) and qiterm's "first run" mode, which starts them so a
newcomer has something to connect to, ask the time of and resolve.

Nothing is ever bound to anything but loopback: the constructor refuses any
other address. Counters and records are written on the peers' thread and may be
read from any thread; methods that act on the servers hop onto the loop thread
and wait for the result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from app.sim.dnsload import load_dns

if TYPE_CHECKING:
    import dns.message
    import dns.rrset

__all__ = ["DEFAULT_ZONE", "Peers"]

_T = TypeVar("_T")

#: Names the DNS peer answers when no zone is given, in canonical form (lower case,
#: no trailing dot: what a zone given to :class:`Peers` is turned into).
DEFAULT_ZONE: dict[str, str] = {
    "echo.qiterm.local": "127.0.0.1",
    "time.qiterm.local": "127.0.0.1",
    "dns.qiterm.local": "127.0.0.1",
    "peer.qiterm.local": "127.0.0.1",
}

#: How much of the TCP echo traffic ``tcp_received`` keeps (the most recent bytes).
TCP_RECEIVED_LIMIT = 1024 * 1024
#: How many datagrams ``udp_received`` keeps (the most recent ones).
UDP_RECEIVED_LIMIT = 1000

_BLASTER_CHUNK = 16 * 1024  # bytes per write
_BLASTER_BURST = 8  # writes per loop iteration before yielding to other callbacks
_TCP_HIGH_WATER = 64 * 1024  # transport write buffer limits (backpressure)
_TCP_LOW_WATER = 16 * 1024

_NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_NTP_PACKET = struct.Struct("!BBbbII4s8s8s8s8s")  # 48 bytes, RFC 4330 §4
_NTP_REFERENCE_ID = b"QITM"
_NTP_PRECISION = -20  # about a microsecond

_START_TIMEOUT = 10.0
_CALL_TIMEOUT = 5.0


def _check_loopback(host: str) -> tuple[str, socket.AddressFamily]:
    """Return (host, family) if *host* is a loopback IP address, else raise ValueError."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"peers bind to loopback only: {host!r} is not an IP address "
            '(use "127.0.0.1", "::1" or another address in 127.0.0.0/8)'
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"peers bind to loopback only: {host!r} is not a loopback address "
            '(use "127.0.0.1", "::1" or another address in 127.0.0.0/8)'
        )
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return str(address), family


def _zone_key(name: str) -> str:
    """Canonical form of a DNS name for zone lookups: lower case, no trailing dot."""
    load_dns()
    import dns.name

    return dns.name.from_text(name).to_text(omit_final_dot=True).lower()


def _normalise_zone(zone: dict[str, str]) -> dict[str, str]:
    """``zone`` with its names in canonical form and its addresses checked
    (ValueError, naming the entry, for a bad one)."""
    load_dns()
    import dns.exception

    normalised: dict[str, str] = {}
    for name, address in zone.items():
        try:
            key = _zone_key(name)
        except dns.exception.DNSException as exc:
            raise ValueError(f"zone: {name!r} is not a valid DNS name ({exc})") from None
        try:
            normalised[key] = str(ipaddress.IPv4Address(address))
        except ValueError:
            raise ValueError(f"zone: {name!r} -> {address!r} is not an IPv4 address") from None
    return normalised


def _ntp_timestamp(t: float) -> bytes:
    """64-bit NTP timestamp (seconds since 1900 and a 32-bit fraction) of Unix time *t*."""
    seconds = int(t // 1)
    fraction = min(int((t - seconds) * 2**32), 2**32 - 1)
    return struct.pack("!II", (seconds + _NTP_EPOCH_OFFSET) % 2**32, fraction)


def _host_port(sockname: object) -> tuple[str, int]:
    address = cast(tuple[str, int], sockname)
    return address[0], address[1]


# -- protocols (all run on the peers' loop thread) ----------------------------------------------


class _TcpEchoProtocol(asyncio.Protocol):
    def __init__(self, peers: Peers) -> None:
        self._peers = peers
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.set_write_buffer_limits(high=_TCP_HIGH_WATER, low=_TCP_LOW_WATER)
        self._peers._tcp_opened(self._transport)

    def data_received(self, data: bytes) -> None:
        self._peers._tcp_data(data)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def eof_received(self) -> bool:
        return False  # the client is done sending: close our side too

    # Backpressure: stop reading while the client is not reading its echo.
    def pause_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._peers._tcp_closed(self._transport)
        self._transport = None


class _BlasterProtocol(asyncio.Protocol):
    def __init__(self, peers: Peers) -> None:
        self._peers = peers
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._remaining = 0
        self._offset = 0  # position in the pattern of the next byte to send
        self._pattern_len = 1
        self._buffer = b""
        # Pacing (Peers.blaster_rate): bytes sent since ``_since`` at ``_rate``.
        self._rate: float | None = None
        self._since = 0.0
        self._paced = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.set_write_buffer_limits(high=_TCP_HIGH_WATER, low=_TCP_LOW_WATER)
        pattern = self._peers.blaster_pattern
        self._pattern_len = len(pattern)
        # Long enough that any chunk can be sliced from any offset in the pattern.
        self._buffer = pattern * (_BLASTER_CHUNK // len(pattern) + 2)
        self._remaining = max(0, self._peers.blaster_bytes)
        self._peers._blaster_opened(self._transport)
        self._pump()

    def _allowance(self) -> int | None:
        """Bytes the rate allows now (None: no limit). Read live, so a test can
        change ``Peers.blaster_rate`` in the middle of a flood."""
        rate = self._peers.blaster_rate
        now = asyncio.get_running_loop().time()
        if rate != self._rate:
            self._rate, self._since, self._paced = rate, now, 0
        if rate is None:
            return None
        return int(rate * (now - self._since)) - self._paced

    def _pump(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        for _ in range(_BLASTER_BURST):
            if self._remaining <= 0 or self._paused:
                break
            allowed = self._allowance()
            if allowed is not None and allowed <= 0:
                asyncio.get_running_loop().call_later(0.01, self._pump)
                return
            n = min(_BLASTER_CHUNK, self._remaining, allowed or _BLASTER_CHUNK)
            self._paced += n
            transport.write(self._buffer[self._offset : self._offset + n])
            self._offset = (self._offset + n) % self._pattern_len
            self._remaining -= n
            self._peers._blaster_wrote(n)  # write() may call pause_writing()
        if self._remaining <= 0:
            transport.close()  # flushes what is buffered, then sends FIN
        elif not self._paused:
            asyncio.get_running_loop().call_soon(self._pump)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._pump()

    def data_received(self, data: bytes) -> None:
        pass  # whatever the client sends is discarded

    def eof_received(self) -> bool:
        return True  # a client that stops sending may still be reading: keep writing

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._peers._blaster_closed(self._transport)
        self._transport = None


class _DatagramEndpoint(asyncio.DatagramProtocol):
    """A bound UDP socket: hands each datagram to a handler, which answers with ``reply``."""

    def __init__(
        self, handler: Callable[[_DatagramEndpoint, bytes, tuple[str, int]], None]
    ) -> None:
        self._handler = handler
        self.transport: asyncio.DatagramTransport | None = None
        self._paused = False

    def reply(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send an answer, or drop it while the socket's send buffer is over its limit.

        UDP may lose datagrams anyway; dropping keeps a flood from queueing without bound.
        """
        if self.transport is not None and not self.transport.is_closing() and not self._paused:
            self.transport.sendto(data, addr)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self._handler(self, data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        pass  # e.g. ICMP port unreachable for an earlier reply: nothing to do

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


# -- the peers ----------------------------------------------------------------------------------


class Peers:
    """Loopback servers on one background event-loop thread.

    ``start()`` binds every enabled server to ``host`` on an ephemeral port and
    fills in the address attributes (``tcp_echo``, ``udp_echo``, ``ntp``, ``dns``,
    ``blaster``: ``(host, port)``, or None when that server is off). They keep
    their values after ``stop()``, so a test can check the ports were released.

    Usable as a context manager (``with Peers() as peers: ...``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        tcp_echo: bool = True,
        udp_echo: bool = True,
        ntp: bool = True,
        dns: bool = True,
        blaster: bool = False,
        zone: dict[str, str] | None = None,
        ntp_offset: float = 0.0,
        dns_ttl: int = 300,
    ) -> None:
        self.host, self._family = _check_loopback(host)
        if not 0 <= dns_ttl < 2**31:
            raise ValueError(f"dns_ttl must be between 0 and 2**31 - 1, not {dns_ttl}")
        self._enabled = {
            "tcp_echo": tcp_echo,
            "udp_echo": udp_echo,
            "ntp": ntp,
            "dns": dns,
            "blaster": blaster,
        }
        # DEFAULT_ZONE is written in canonical form (a test checks): the peers the
        # console starts need no dnspython until the first query (its import, about
        # 25 ms with the importlib.metadata it loads, came before the first frame).
        self._zone = dict(DEFAULT_ZONE) if zone is None else _normalise_zone(zone)

        # Settings, read by the servers at the time they are needed.
        #: Seconds added to the host clock in NTP replies.
        self.ntp_offset = float(ntp_offset)
        #: TTL of DNS answers.
        self.dns_ttl = dns_ttl
        #: When True the DNS server drops every query (the client times out).
        self.dns_silent = False
        #: Bytes the blaster writes on each connection before closing it.
        self.blaster_bytes = 1024 * 1024
        #: Bytes per second the blaster may send (None: as fast as the client takes).
        self.blaster_rate: float | None = None
        self._blaster_pattern = bytes(range(0x20, 0x7F))  # printable ASCII

        # Addresses, filled in by start().
        self.tcp_echo: tuple[str, int] | None = None
        self.udp_echo: tuple[str, int] | None = None
        self.ntp: tuple[str, int] | None = None
        self.dns: tuple[str, int] | None = None
        self.blaster: tuple[str, int] | None = None

        # Counters (written on the loop thread, read anywhere).
        self.tcp_connections = 0
        self.tcp_accepted = 0
        self.ntp_requests = 0
        self.dns_queries = 0
        self.blaster_sent = 0

        self._cond = threading.Condition()  # guards the records below and signals changes
        self._tcp_received = bytearray()
        self._udp_received: deque[tuple[bytes, tuple[str, int]]] = deque(maxlen=UDP_RECEIVED_LIMIT)

        self._state_lock = threading.Lock()  # serialises start() and stop()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: dict[str, asyncio.Server] = {}
        self._datagrams: dict[str, _DatagramEndpoint] = {}
        self._tcp_transports: set[asyncio.Transport] = set()
        self._blaster_transports: set[asyncio.Transport] = set()

    # -- settings and records ------------------------------------------------------------------

    @property
    def zone(self) -> dict[str, str]:
        """A copy of the DNS zone: names (lower case, no trailing dot) to IPv4 addresses."""
        return dict(self._zone)

    @property
    def blaster_pattern(self) -> bytes:
        """What the blaster repeats (printable ASCII by default); used for new connections."""
        return self._blaster_pattern

    @blaster_pattern.setter
    def blaster_pattern(self, pattern: bytes) -> None:
        if not pattern:
            raise ValueError("blaster_pattern must not be empty")
        self._blaster_pattern = bytes(pattern)

    @property
    def tcp_received(self) -> bytes:
        """Everything the TCP echo server received, across connections (the last 1 MiB)."""
        with self._cond:
            return bytes(self._tcp_received)

    @property
    def udp_received(self) -> list[tuple[bytes, tuple[str, int]]]:
        """(datagram, sender) for each datagram the UDP echo peer got (the last 1000)."""
        with self._cond:
            return list(self._udp_received)

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> Peers:
        """Bind the enabled servers and start serving. Does nothing if already running."""
        with self._state_lock:
            if self._thread is not None:
                return self
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=self._run_loop, args=(loop,), name="qiterm-peers", daemon=True
            )
            self._loop, self._thread = loop, thread
            thread.start()
            try:
                asyncio.run_coroutine_threadsafe(self._open(), loop).result(_START_TIMEOUT)
            except BaseException:
                self._shutdown_locked()
                raise
            return self

    def stop(self) -> None:
        """Close every server and connection and end the thread. Safe to call again."""
        if self._in_loop_thread():
            raise RuntimeError("Peers.stop() cannot be called from the peers' own thread")
        with self._state_lock:
            self._shutdown_locked()

    def __enter__(self) -> Peers:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _shutdown_locked(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if thread.is_alive():
                asyncio.run_coroutine_threadsafe(self._close(), loop).result(_CALL_TIMEOUT)
        finally:
            if thread.is_alive():
                loop.call_soon_threadsafe(loop.stop)
            thread.join(_CALL_TIMEOUT)
            self._loop = self._thread = None

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        if self._enabled["tcp_echo"]:
            self.tcp_echo = await self._listen("tcp_echo", lambda: _TcpEchoProtocol(self))
        if self._enabled["blaster"]:
            self.blaster = await self._listen("blaster", lambda: _BlasterProtocol(self))
        datagram_handlers = {
            "udp_echo": self._on_udp_echo,
            "ntp": self._on_ntp,
            "dns": self._on_dns,
        }
        for kind, handler in datagram_handlers.items():
            if not self._enabled[kind]:
                continue
            sock = self._bound_socket(socket.SOCK_DGRAM)
            try:
                _, endpoint = await loop.create_datagram_endpoint(
                    functools.partial(_DatagramEndpoint, handler), sock=sock
                )
            except BaseException:
                sock.close()
                raise
            self._datagrams[kind] = endpoint
            setattr(self, kind, _host_port(sock.getsockname()))

    def _bound_socket(self, kind: socket.SocketKind) -> socket.socket:
        sock = socket.socket(self._family, kind)
        try:
            sock.bind((self.host, 0))
        except BaseException:
            sock.close()
            raise
        return sock

    async def _listen(self, kind: str, factory: Callable[[], asyncio.Protocol]) -> tuple[str, int]:
        sock = self._bound_socket(socket.SOCK_STREAM)
        try:
            server = await asyncio.get_running_loop().create_server(factory, sock=sock)
        except BaseException:
            sock.close()
            raise
        self._servers[kind] = server
        return _host_port(sock.getsockname())

    async def _close(self) -> None:
        for server in self._servers.values():
            server.close()
        for transport in (*self._tcp_transports, *self._blaster_transports):
            transport.abort()
        for endpoint in self._datagrams.values():
            if endpoint.transport is not None:
                endpoint.transport.close()
        for server in self._servers.values():
            await server.wait_closed()
        # Transports close their sockets in callbacks: let those run (a bounded number of turns).
        for _ in range(10):
            await asyncio.sleep(0)
            if not self._tcp_transports and not self._blaster_transports:
                break
        self._servers.clear()
        self._datagrams.clear()

    # -- calling into the loop from other threads ----------------------------------------------

    def _in_loop_thread(self) -> bool:
        thread = self._thread
        return thread is not None and thread is threading.current_thread()

    def _call(self, fn: Callable[[], _T]) -> _T:
        """Run *fn* on the loop thread and return its result (directly if already there)."""
        if self._in_loop_thread():
            return fn()
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the peers are not running: call start() first")
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(_CALL_TIMEOUT)

    # -- methods for tests ---------------------------------------------------------------------

    def bound_addresses(self) -> list[tuple[str, str, int]]:
        """(kind, host, port) of every listening/bound socket, read back with getsockname()."""
        if self._loop is None:
            return []

        def collect() -> list[tuple[str, str, int]]:
            found: list[tuple[str, str, int]] = []
            for kind, server in self._servers.items():
                for sock in server.sockets:
                    found.append((kind, *_host_port(sock.getsockname())))
            for kind, endpoint in self._datagrams.items():
                if endpoint.transport is None:
                    continue
                udp_sock = endpoint.transport.get_extra_info("socket")
                if udp_sock is not None:
                    found.append((kind, *_host_port(udp_sock.getsockname())))
            return found

        return self._call(collect)

    def close_tcp_clients(self) -> int:
        """Close every open TCP echo connection from the server side; return how many."""

        def close_all() -> int:
            closing = [t for t in self._tcp_transports if not t.is_closing()]
            for transport in closing:
                transport.close()
            return len(closing)

        return self._call(close_all)

    def wait_tcp_clients(self, n: int, timeout: float) -> bool:
        """Wait until exactly *n* TCP echo connections are open; False on timeout.

        ``wait_tcp_clients(1, 2)`` waits for a client to connect,
        ``wait_tcp_clients(0, 2)`` for every client to be gone.
        """
        if self._in_loop_thread():
            raise RuntimeError("wait_tcp_clients() would block the peers' own thread")
        with self._cond:
            return self._cond.wait_for(lambda: self.tcp_connections == n, timeout)

    def udp_send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send *data* from the UDP echo peer's socket to *addr* (a loopback address)."""
        _check_loopback(addr[0])
        payload = bytes(data)

        def send() -> None:
            endpoint = self._datagrams.get("udp_echo")
            if endpoint is None or endpoint.transport is None:
                raise RuntimeError("the UDP echo peer is not running")
            endpoint.transport.sendto(payload, addr)

        self._call(send)

    # -- server callbacks (loop thread) --------------------------------------------------------

    def _tcp_opened(self, transport: asyncio.Transport) -> None:
        with self._cond:
            self._tcp_transports.add(transport)
            self.tcp_connections += 1
            self.tcp_accepted += 1
            self._cond.notify_all()

    def _tcp_data(self, data: bytes) -> None:
        with self._cond:
            self._tcp_received += data
            excess = len(self._tcp_received) - TCP_RECEIVED_LIMIT
            if excess > 0:
                del self._tcp_received[:excess]

    def _tcp_closed(self, transport: asyncio.Transport) -> None:
        with self._cond:
            self._tcp_transports.discard(transport)
            self.tcp_connections -= 1
            self._cond.notify_all()

    def _blaster_opened(self, transport: asyncio.Transport) -> None:
        self._blaster_transports.add(transport)

    def _blaster_wrote(self, n: int) -> None:
        self.blaster_sent += n

    def _blaster_closed(self, transport: asyncio.Transport) -> None:
        self._blaster_transports.discard(transport)

    def _on_udp_echo(self, endpoint: _DatagramEndpoint, data: bytes, addr: tuple[str, int]) -> None:
        with self._cond:
            self._udp_received.append((data, (addr[0], addr[1])))
            self._cond.notify_all()
        endpoint.reply(data, addr)

    def _on_ntp(self, endpoint: _DatagramEndpoint, data: bytes, addr: tuple[str, int]) -> None:
        received = time.time() + self.ntp_offset
        if len(data) < _NTP_PACKET.size:
            return  # malformed
        version = (data[0] >> 3) & 0x7
        mode = data[0] & 0x7
        if mode != 3:  # only client requests; never answer a server (no reply loops)
            return
        self.ntp_requests += 1
        poll = struct.unpack_from("!b", data, 2)[0]
        reply = _NTP_PACKET.pack(
            (0 << 6) | ((version if 1 <= version <= 4 else 4) << 3) | 4,  # LI 0, VN, mode 4
            1,  # stratum 1: a primary reference
            poll,
            _NTP_PRECISION,
            0,  # root delay
            0x10,  # root dispersion (16/65536 s)
            _NTP_REFERENCE_ID,
            _ntp_timestamp(int(received)),  # reference: last "set" on a second boundary
            data[40:48],  # originate = the client's transmit timestamp
            _ntp_timestamp(received),
            _ntp_timestamp(time.time() + self.ntp_offset),
        )
        endpoint.reply(reply, addr)

    def _on_dns(self, endpoint: _DatagramEndpoint, data: bytes, addr: tuple[str, int]) -> None:
        # dnspython's message layer loads on the first query, not at start-up.
        load_dns()
        import dns.flags
        import dns.message
        import dns.opcode
        import dns.rcode

        try:
            query = dns.message.from_wire(data)
        except Exception:
            return  # malformed: ignored
        if query.flags & dns.flags.QR:
            return  # a response, not a query
        self.dns_queries += 1
        if self.dns_silent:
            return
        try:
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if query.opcode() != dns.opcode.QUERY:
                response.set_rcode(dns.rcode.NOTIMP)
            elif len(query.question) != 1:
                response.set_rcode(dns.rcode.FORMERR)
            else:
                self._answer(response, query.question[0])
            endpoint.reply(response.to_wire(), addr)
        except Exception:
            return  # whatever went wrong, the server keeps serving

    def _answer(self, response: dns.message.Message, question: dns.rrset.RRset) -> None:
        import dns.rcode
        import dns.rdataclass
        import dns.rdatatype
        import dns.rrset

        address = self._zone.get(question.name.to_text(omit_final_dot=True).lower())
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
        elif address is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            response.answer.append(
                dns.rrset.from_text(
                    question.name, self.dns_ttl, dns.rdataclass.IN, dns.rdatatype.A, address
                )
            )
        # Any other type (AAAA...) of a known name: NOERROR with no answer.
