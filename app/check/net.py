"""The peers a check talks to, and what this machine can tell about them first.

By default the check starts its own loopback peers (:class:`app.demo.peers.Peers`:
TCP and UDP echo, NTP, DNS) and nothing leaves the machine; a module that shares
this machine's network stack (the simulator: its address is a loopback one)
reaches them. A module on a real network cannot: the person names peers it can
reach (``--tcp-echo HOST:PORT`` ...) and only those are used.

Before a probe blames the module for a failed connection, the check tries the
same peer from this machine: a peer that is down from here too means "the
network was down", not "the module differs".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from app.demo.peers import Peers
from app.demo.wiring import ECHO_HOST, TIME_HOST
from app.sim.network import ntp_query

#: How long a check from this machine waits for a peer.
HOST_TIMEOUT = 2.0


@dataclass(frozen=True)
class PeerOptions:
    """Remote peers the person names (None: the check's loopback peer)."""

    tcp_echo: tuple[str, int] | None = None
    udp_echo: tuple[str, int] | None = None
    ntp: tuple[str, int] | None = None
    ping: str | None = None
    #: A name the module's DNS servers resolve (AT+QIDNSGIP).
    dns_name: str | None = None
    #: Connect from this machine to the module's own address (TCP LISTENER tests).
    inbound: bool = False


def parse_host_port(text: str, what: str, default_port: int | None = None) -> tuple[str, int]:
    """``host:port`` (or ``host`` with a default port); ValueError names ``what``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, ""
    host = host.strip("[]")
    if not port and default_port is not None:
        port = str(default_port)
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{what} takes HOST:PORT, not {text!r}")
    return host, int(port)


class Network:
    """The peers of one run (started with :meth:`start`, stopped with :meth:`stop`)."""

    def __init__(self, options: PeerOptions | None = None) -> None:
        self.options = options or PeerOptions()
        self.peers: Peers | None = None

    def start(self) -> Network:
        self.peers = Peers().start()
        return self

    def stop(self) -> None:
        if self.peers is not None:
            self.peers.stop()

    # -- what to use (None: nothing the module can reach) --------------------------

    def tcp_echo(self, local: bool) -> tuple[str, int] | None:
        return self.options.tcp_echo or (self._loopback("tcp_echo") if local else None)

    def udp_echo(self, local: bool) -> tuple[str, int] | None:
        return self.options.udp_echo or (self._loopback("udp_echo") if local else None)

    def ntp(self, local: bool) -> tuple[str, int] | None:
        return self.options.ntp or (self._loopback("ntp") if local else None)

    def ping_host(self, local: bool) -> str | None:
        return self.options.ping or ("127.0.0.1" if local and self.peers else None)

    def dns(self, local: bool) -> tuple[str, str | None] | None:
        """(a name to resolve, the address it must resolve to or None when unknown)."""
        if self.options.dns_name:
            return self.options.dns_name, None
        if local and self.peers is not None and self.peers.dns is not None:
            return ECHO_HOST, self.peers.zone[ECHO_HOST]
        return None

    def names(self, local: bool) -> tuple[str, str] | None:
        """(echo host name, time host name) the loopback DNS peer answers."""
        if local and self.peers is not None and self.peers.dns is not None:
            return ECHO_HOST, TIME_HOST
        return None

    def own_peers(self, address: tuple[str, int]) -> Peers | None:
        """The check's loopback peers when ``address`` is one of theirs (then what
        reached it can be read), else None."""
        peers = self.peers
        if peers is not None and address in (peers.tcp_echo, peers.udp_echo):
            return peers
        return None

    @property
    def is_remote(self) -> bool:
        o = self.options
        return any((o.tcp_echo, o.udp_echo, o.ntp, o.ping, o.dns_name))

    def _loopback(self, which: str) -> tuple[str, int] | None:
        address = getattr(self.peers, which, None) if self.peers is not None else None
        return address if isinstance(address, tuple) else None

    def describe(self, local: bool) -> list[str]:
        """One line per peer the run uses."""
        lines = []
        for label, value in (
            ("TCP echo", self.tcp_echo(local)),
            ("UDP echo", self.udp_echo(local)),
            ("NTP", self.ntp(local)),
        ):
            if value is not None:
                lines.append(f"{label}: {value[0]}:{value[1]}")
        if (ping := self.ping_host(local)) is not None:
            lines.append(f"ping: {ping}")
        if (dns := self.dns(local)) is not None:
            lines.append(f"DNS name: {dns[0]}")
        return lines

    # -- from this machine -----------------------------------------------------------

    @staticmethod
    def tcp_up(address: tuple[str, int]) -> bool:
        """A TCP connection from this machine succeeds."""
        try:
            with socket.create_connection(address, timeout=HOST_TIMEOUT):
                return True
        except OSError:
            return False

    @staticmethod
    def udp_up(address: tuple[str, int]) -> bool:
        """A datagram from this machine comes back (the peer echoes)."""
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.settimeout(HOST_TIMEOUT)
            try:
                probe.sendto(b"qiterm check", address)
                data, _ = probe.recvfrom(2048)
            except OSError:
                return False
            return data == b"qiterm check"

    @staticmethod
    def ntp_up(address: tuple[str, int]) -> bool:
        """An NTP server answers this machine."""
        try:
            asyncio.run(ntp_query(address[0], address[1], HOST_TIMEOUT))
        except (OSError, TimeoutError, ValueError):
            return False
        return True

    @staticmethod
    def closed_port() -> int:
        """A loopback TCP port nobody listens on (checked by connecting to it)."""
        for _ in range(20):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port: int = probe.getsockname()[1]
            if not Network.tcp_up(("127.0.0.1", port)):
                return port
        raise OSError("no closed loopback port found")

    @staticmethod
    def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
        """A loopback port the OS says is free now."""
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port

    @staticmethod
    @contextlib.contextmanager
    def client(address: tuple[str, int]):  # type: ignore[no-untyped-def]
        """A TCP client from this machine (for a module's TCP LISTENER)."""
        conn = socket.create_connection(address, timeout=HOST_TIMEOUT)
        try:
            yield conn
        finally:
            conn.close()
