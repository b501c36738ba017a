"""Real networking on the host for the simulated module: TCP, UDP, ICMP, NTP, DNS.

Everything runs on one asyncio event loop in one thread (selectors underneath),
which also runs the module's interpreter, so the module's state has a single
owner and needs no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from app.sim.dnsload import load_dns

T = TypeVar("T")

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


class EventLoopThread:
    """An asyncio loop running in its own daemon thread."""

    def __init__(self, name: str = "qiterm-sim") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()
        # Drain cancelled tasks so sockets close cleanly.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop thread (thread-safe, fire and forget)."""
        if not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(fn, *args)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop from another thread and wait for it."""
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    @property
    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self, timeout: float = 3.0) -> None:
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)


# --- stream and datagram protocols -------------------------------------------


class StreamHandler(asyncio.Protocol):
    """A TCP connection: calls back with data and close."""

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        on_closed: Callable[[], None],
    ) -> None:
        self.on_data = on_data
        self.on_closed = on_closed
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.on_data(data)

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.on_closed()


class DatagramHandler(asyncio.DatagramProtocol):
    def __init__(
        self,
        on_datagram: Callable[[bytes, tuple[str, int]], None],
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        self.on_datagram = on_datagram
        self.on_closed = on_closed
        # On 3.11 the selector loop's datagram transport is not a subclass of
        # asyncio.DatagramTransport, so it is kept untyped.
        self.transport: Any = None
        self.error: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_datagram(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable on a connected UDP socket: keep it for the record;
        # UDP is connectionless, the socket stays open (as on the module).
        self.error = exc

    def connection_lost(self, exc: Exception | None) -> None:
        if self.on_closed is not None:
            self.on_closed()


def unacked_bytes(transport: asyncio.Transport | None) -> int:
    """Bytes sent but not acknowledged: the kernel's send queue (SIOCOUTQ on
    Linux counts unsent and unacknowledged bytes) plus asyncio's own buffer."""
    if transport is None or transport.is_closing():
        return 0
    pending = transport.get_write_buffer_size()
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            import fcntl
            import termios

            buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            pending += struct.unpack("i", buf)[0]
        except (OSError, ImportError, AttributeError):
            pass
    return pending


# --- ICMP -------------------------------------------------------------------


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


@dataclass
class PingReply:
    rtt: float
    ttl: int


class Pinger:
    """ICMP echo with a raw socket (root) or an unprivileged ICMP socket where
    the host allows it (net.ipv4.ping_group_range); raises PermissionError when
    neither is possible."""

    def __init__(self) -> None:
        self.raw = True
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        except PermissionError:
            self.raw = False
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
            with contextlib.suppress(OSError):
                # IP_RECVTTL (12 on Linux) is missing from the socket module's constants.
                self.sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)
        self.sock.setblocking(False)
        self.ident = (os.getpid() ^ id(self)) & 0xFFFF

    def close(self) -> None:
        self.sock.close()

    async def ping(self, ip: str, seq: int, size: int, timeout: float) -> PingReply | None:
        loop = asyncio.get_running_loop()
        payload = (b"qiterm" * (size // 6 + 1))[:size]
        header = struct.pack("!BBHHH", 8, 0, 0, self.ident, seq)
        packet = header[:2] + struct.pack("!H", _checksum(header + payload)) + header[4:] + payload
        got: asyncio.Future[PingReply] = loop.create_future()
        sent_at = time.perf_counter()

        def readable() -> None:
            while True:
                try:
                    data, anc, _flags, addr = self.sock.recvmsg(65535, 64)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return
                if addr[0] != ip:
                    continue
                ttl = 64
                if self.raw:
                    ihl = (data[0] & 0x0F) * 4
                    ttl = data[8]
                    icmp = data[ihl:]
                else:
                    icmp = data
                    for level, kind, value in anc:
                        if level == socket.IPPROTO_IP and kind == socket.IP_TTL:
                            ttl = int.from_bytes(value[:4], "little")
                if len(icmp) < 8:
                    continue
                kind_, _code, _ck, ident, rseq = struct.unpack("!BBHHH", icmp[:8])
                if kind_ != 0 or rseq != seq or (self.raw and ident != self.ident):
                    continue
                if not got.done():
                    got.set_result(PingReply(time.perf_counter() - sent_at, ttl))
                return

        loop.add_reader(self.sock.fileno(), readable)
        try:
            await loop.sock_sendto(self.sock, packet, (ip, 0))
            return await asyncio.wait_for(got, timeout)
        except TimeoutError:
            return None
        finally:
            loop.remove_reader(self.sock.fileno())


# --- NTP (RFC 4330 SNTP client) -----------------------------------------------


async def ntp_query(ip: str, port: int, timeout: float) -> float:
    """Ask an NTP server for the time; returns Unix seconds (transmit timestamp)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()

    def got(data: bytes, addr: tuple[str, int]) -> None:
        if not answer.done() and len(data) >= 48:
            answer.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(
        lambda: DatagramHandler(got), remote_addr=(ip, port)
    )
    try:
        request = b"\x23" + b"\0" * 47  # LI 0, version 4, mode 3 (client)
        transport.sendto(request)
        data = await asyncio.wait_for(answer, timeout)
    finally:
        transport.close()
    seconds, fraction = struct.unpack("!II", data[40:48])
    if seconds == 0:
        raise ValueError("NTP answer without a transmit timestamp")
    return float(seconds - NTP_EPOCH_OFFSET + fraction / 2**32)


# --- DNS ----------------------------------------------------------------------


@dataclass
class DnsAnswer:
    addresses: list[str]
    ttl: int


class DnsError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


async def resolve(hostname: str, servers: list[str], port: int, timeout: float) -> DnsAnswer:
    """Resolve ``hostname`` (A records) through ``servers``, as the module does.

    Raises DnsError with the spec's result code: 565 (DNS parse failed) for no
    server configured, no such name or a bad answer; 569 when no server answers.
    """
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        pass
    else:
        return DnsAnswer([hostname], 0)
    if not servers:
        raise DnsError(565, "no DNS server configured (AT+QIDNSCFG)")
    # dnspython loads on the first lookup, not when the simulator starts.
    load_dns()
    import dns.asyncquery
    import dns.exception
    import dns.message
    import dns.rcode
    import dns.rdatatype

    query = dns.message.make_query(hostname, dns.rdatatype.A)
    last = DnsError(569, "no DNS server answered")
    for server in servers:
        try:
            response = await dns.asyncquery.udp(query, server, timeout=timeout, port=port)
        except dns.exception.Timeout:
            last = DnsError(569, f"DNS server {server} did not answer")
            continue
        except (OSError, dns.exception.DNSException) as exc:
            last = DnsError(565, f"DNS query to {server} failed: {exc}")
            continue
        if response.rcode() != dns.rcode.NOERROR:
            raise DnsError(565, f"{hostname}: {dns.rcode.to_text(response.rcode())}")
        addresses: list[str] = []
        ttl = 0
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.A:
                ttl = rrset.ttl
                addresses += [r.address for r in rrset]
        if not addresses:
            raise DnsError(565, f"{hostname}: no IPv4 address")
        return DnsAnswer(addresses, ttl)
    raise last
