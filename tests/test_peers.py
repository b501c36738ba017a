"""The loopback peers (app/demo/peers.py), driven with plain sockets and dnspython."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from app.demo.peers import (
    DEFAULT_ZONE,
    TCP_RECEIVED_LIMIT,
    UDP_RECEIVED_LIMIT,
    Peers,
    _normalise_zone,
)

NTP_EPOCH_OFFSET = 2_208_988_800
TIMEOUT = 3.0


@pytest.fixture
def peers() -> Iterator[Peers]:
    with Peers(blaster=True) as p:
        yield p


def addr(a: tuple[str, int] | None) -> tuple[str, int]:
    assert a is not None
    return a


def tcp_client(a: tuple[str, int] | None) -> socket.socket:
    s = socket.create_connection(addr(a), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def udp_client() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(TIMEOUT)
    return s


def recv_exactly(s: socket.socket, n: int) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while len(data) < n and time.monotonic() < deadline:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def recv_until_eof(s: socket.socket, limit: int) -> bytes:
    """Everything until EOF, giving up past *limit* bytes or TIMEOUT seconds."""
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while len(data) <= limit and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
    raise AssertionError(f"no EOF after {len(data)} bytes")


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return bool(predicate())


# -- TCP echo --------------------------------------------------------------------------------------


def test_tcp_echo_round_trip_any_bytes(peers: Peers) -> None:
    payload = b"AT\r\nline\n\x00nul\xff\xfe" + bytes(range(256))
    with tcp_client(peers.tcp_echo) as c:
        assert peers.wait_tcp_clients(1, TIMEOUT)
        c.sendall(payload)
        assert recv_exactly(c, len(payload)) == payload
        c.sendall(b"again")
        assert recv_exactly(c, 5) == b"again"
    assert peers.tcp_received == payload + b"again"
    assert peers.tcp_accepted == 1
    assert peers.wait_tcp_clients(0, TIMEOUT)  # the client's close was noticed


def test_close_tcp_clients_gives_every_client_eof(peers: Peers) -> None:
    with tcp_client(peers.tcp_echo) as a, tcp_client(peers.tcp_echo) as b:
        assert peers.wait_tcp_clients(2, TIMEOUT)
        assert peers.tcp_connections == 2
        a.sendall(b"x")
        assert recv_exactly(a, 1) == b"x"
        assert peers.close_tcp_clients() == 2
        assert a.recv(10) == b""
        assert b.recv(10) == b""
        assert peers.wait_tcp_clients(0, TIMEOUT)
        assert peers.tcp_connections == 0
    assert peers.tcp_accepted == 2
    assert peers.close_tcp_clients() == 0


def test_wait_tcp_clients_times_out(peers: Peers) -> None:
    started = time.monotonic()
    assert not peers.wait_tcp_clients(1, 0.1)
    assert time.monotonic() - started < 2


def test_tcp_received_keeps_the_last_mebibyte(peers: Peers) -> None:
    block = 64 * 1024
    sent = bytearray()
    with tcp_client(peers.tcp_echo) as c:
        for i in range(TCP_RECEIVED_LIMIT // block + 8):  # 1.5 MiB in lock step
            data = bytes([i % 251]) * block
            c.sendall(data)
            assert recv_exactly(c, block) == data
            sent += data
    received = peers.tcp_received
    assert len(received) == TCP_RECEIVED_LIMIT
    assert received == sent[-TCP_RECEIVED_LIMIT:]


# -- UDP echo --------------------------------------------------------------------------------------


def test_udp_echo_round_trip_records_sender(peers: Peers) -> None:
    payload = b"\x00\r\n\xffdatagram"
    with udp_client() as c:
        c.sendto(payload, addr(peers.udp_echo))
        data, sender = c.recvfrom(2048)
        assert data == payload
        assert sender == peers.udp_echo
        assert peers.udp_received == [(payload, c.getsockname())]


def test_udp_send_reaches_a_bound_socket(peers: Peers) -> None:
    with udp_client() as c:
        peers.udp_send(b"unsolicited", c.getsockname())
        data, sender = c.recvfrom(2048)
        assert data == b"unsolicited"
        assert sender == peers.udp_echo
    assert peers.udp_received == []  # sending records nothing


def test_udp_send_refuses_non_loopback(peers: Peers) -> None:
    with pytest.raises(ValueError, match="loopback"):
        peers.udp_send(b"x", ("192.0.2.1", 9))


def test_udp_received_keeps_the_last_thousand(peers: Peers) -> None:
    with udp_client() as c:
        for i in range(UDP_RECEIVED_LIMIT + 5):  # lock step: nothing is dropped
            c.sendto(b"%d" % i, addr(peers.udp_echo))
            assert c.recvfrom(64)[0] == b"%d" % i
    received = peers.udp_received
    assert len(received) == UDP_RECEIVED_LIMIT
    assert received[0][0] == b"5"
    assert received[-1][0] == b"%d" % (UDP_RECEIVED_LIMIT + 4)


# -- NTP -------------------------------------------------------------------------------------------


def ntp_request(transmit: bytes) -> bytes:
    # LI 0, VN 4, mode 3 (client); poll 6; everything else zero but the transmit timestamp.
    return bytes([0x23, 0, 6, 0]) + bytes(36) + transmit


def ntp_time(timestamp: bytes) -> float:
    seconds, fraction = struct.unpack("!II", timestamp)
    return float(seconds - NTP_EPOCH_OFFSET + fraction / 2**32)


def ntp_ask(peers: Peers) -> tuple[bytes, bytes]:
    transmit = os.urandom(8)
    with udp_client() as c:
        c.sendto(ntp_request(transmit), addr(peers.ntp))
        reply, sender = c.recvfrom(1024)
    assert sender == peers.ntp
    return transmit, reply


@pytest.mark.parametrize("offset", [0.0, 3600.0])
def test_ntp_reply(offset: float) -> None:
    with Peers(ntp_offset=offset) as peers:
        transmit, reply = ntp_ask(peers)
        assert peers.ntp_requests == 1
    assert len(reply) == 48
    assert reply[0] & 0x7 == 4  # mode 4: server
    assert (reply[0] >> 3) & 0x7 == 4  # our version echoed
    assert reply[0] >> 6 == 0  # no leap warning
    assert reply[1] == 1  # stratum 1
    assert reply[12:16] in (b"QITM", b"LOCL")
    assert reply[24:32] == transmit  # originate = our transmit timestamp
    received, sent = ntp_time(reply[32:40]), ntp_time(reply[40:48])
    assert received <= sent
    assert abs(sent - (time.time() + offset)) < 3


def test_ntp_ignores_short_and_non_client_packets(peers: Peers) -> None:
    with udp_client() as c:
        c.settimeout(0.2)
        c.sendto(b"\x23" + bytes(46), addr(peers.ntp))  # 47 bytes
        c.sendto(bytes([0x24]) + bytes(47), addr(peers.ntp))  # mode 4: a server's packet
        with pytest.raises(TimeoutError):
            c.recvfrom(1024)
    assert peers.ntp_requests == 0
    _, reply = ntp_ask(peers)  # still serving
    assert len(reply) == 48
    assert peers.ntp_requests == 1


# -- DNS -------------------------------------------------------------------------------------------


def dns_ask(
    peers: Peers, name: str, rdtype: str = "A", timeout: float = TIMEOUT
) -> dns.message.Message:
    host, port = addr(peers.dns)
    return dns.query.udp(dns.message.make_query(name, rdtype), host, port=port, timeout=timeout)


@pytest.mark.parametrize("name", ["echo.qiterm.local", "ECHO.Qiterm.LOCAL.", "time.qiterm.local"])
def test_dns_answers_a_from_the_default_zone(name: str) -> None:
    with Peers(dns_ttl=42) as peers:
        response = dns_ask(peers, name)
        assert peers.dns_queries == 1
        assert peers.zone == DEFAULT_ZONE
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    [rrset] = response.answer
    assert rrset.rdtype == dns.rdatatype.A
    assert rrset.ttl == 42
    assert [r.address for r in rrset] == ["127.0.0.1"]


def test_dns_aaaa_of_a_known_name_is_an_empty_answer(peers: Peers) -> None:
    response = dns_ask(peers, "echo.qiterm.local", "AAAA")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


def test_dns_unknown_name_is_nxdomain(peers: Peers) -> None:
    response = dns_ask(peers, "nowhere.qiterm.local")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.answer == []


def test_dns_custom_zone() -> None:
    with Peers(zone={"Box.Example.": "10.1.2.3"}) as peers:
        assert peers.zone == {"box.example": "10.1.2.3"}
        response = dns_ask(peers, "box.example")
        assert [r.address for r in response.answer[0]] == ["10.1.2.3"]
        assert response.answer[0].ttl == 300
        assert dns_ask(peers, "echo.qiterm.local").rcode() == dns.rcode.NXDOMAIN


def test_the_default_zone_is_written_in_canonical_form() -> None:
    # Peers() takes it as written, without dnspython (a faster console start).
    assert _normalise_zone(DEFAULT_ZONE) == DEFAULT_ZONE


def test_the_default_peers_start_without_dnspython() -> None:
    from tests.test_first_run import loaded_after

    code = "from app.demo.peers import Peers\nwith Peers() as peers:\n    assert peers.zone"
    assert loaded_after(code, ["dns"]) == []


@pytest.mark.parametrize("zone", [{"x.example": "not-an-ip"}, {"x.example": "::1"}])
def test_dns_zone_must_map_to_ipv4(zone: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="IPv4"):
        Peers(zone=zone)


def test_dns_silent_makes_the_client_time_out(peers: Peers) -> None:
    peers.dns_silent = True
    with pytest.raises(dns.exception.Timeout):
        dns_ask(peers, "echo.qiterm.local", timeout=0.3)
    assert peers.dns_queries == 1  # it arrived, and was dropped
    peers.dns_silent = False
    assert dns_ask(peers, "echo.qiterm.local").rcode() == dns.rcode.NOERROR


def test_dns_survives_garbage(peers: Peers) -> None:
    query = dns.message.make_query("echo.qiterm.local", "A")
    a_response = dns.message.make_response(query).to_wire()
    with udp_client() as c:
        c.settimeout(0.2)
        for junk in (b"", b"\x00", b"garbage!" * 3, os.urandom(512), a_response):
            c.sendto(junk, addr(peers.dns))
        with pytest.raises(TimeoutError):
            c.recvfrom(1024)
    assert peers.dns_queries == 0
    response = dns_ask(peers, "echo.qiterm.local")
    assert [r.address for r in response.answer[0]] == ["127.0.0.1"]


# -- blaster ---------------------------------------------------------------------------------------


def test_blaster_sends_exactly_blaster_bytes_then_eof(peers: Peers) -> None:
    with tcp_client(peers.blaster) as c:
        data = recv_until_eof(c, peers.blaster_bytes)
    assert len(data) == peers.blaster_bytes == 1024 * 1024
    pattern = peers.blaster_pattern
    assert all(0x20 <= b < 0x7F for b in pattern)
    assert data == (pattern * (len(data) // len(pattern) + 1))[: len(data)]
    assert wait_until(lambda: peers.blaster_sent == len(data))


def test_blaster_custom_pattern_and_size(peers: Peers) -> None:
    peers.blaster_pattern = b"xyz"
    peers.blaster_bytes = 1000
    with tcp_client(peers.blaster) as c, tcp_client(peers.blaster) as d:
        assert recv_until_eof(c, 1000) == (b"xyz" * 334)[:1000]
        assert recv_until_eof(d, 1000) == (b"xyz" * 334)[:1000]
    assert wait_until(lambda: peers.blaster_sent == 2000)
    with pytest.raises(ValueError):
        peers.blaster_pattern = b""


def test_blaster_respects_backpressure(peers: Peers) -> None:
    peers.blaster_bytes = 256 * 1024 * 1024
    with tcp_client(peers.blaster) as c:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        # Not reading: the blaster must stall (the socket buffers full), not queue
        # 256 MiB. Stalled: no progress over a quiet spell, waited for, bounded.
        stalled = wait_for_stall(lambda: peers.blaster_sent, TIMEOUT)
        assert 0 < stalled < 32 * 1024 * 1024
        # Reading lets it go on (once the socket buffers have drained).
        read = 0
        deadline = time.monotonic() + TIMEOUT
        while peers.blaster_sent == stalled and time.monotonic() < deadline:
            read += len(c.recv(65536))
        assert peers.blaster_sent > stalled
        # What was read had all been sent before the stall; the last recv may also
        # hold what the blaster sent as it went on (at most one recv's worth).
        assert read <= stalled + 65536


def wait_for_stall(progress: Callable[[], int], timeout: float, quiet: float = 0.3) -> int:
    """``progress()`` once it has stopped moving for ``quiet`` seconds (bounded)."""
    deadline = time.monotonic() + timeout
    last, since = progress(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        elif now > 0 and time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"the blaster never stalled ({last:,} bytes sent)")


# -- loopback only, life cycle ---------------------------------------------------------------------


def test_only_loopback_is_bound(peers: Peers) -> None:
    bound = peers.bound_addresses()
    assert sorted(kind for kind, _, _ in bound) == ["blaster", "dns", "ntp", "tcp_echo", "udp_echo"]
    for kind, host, port in bound:
        assert ipaddress.ip_address(host).is_loopback
        assert getattr(peers, kind) == (host, port)
        assert port != 0


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "192.168.1.5", "::", "10.0.0.1", "localhost", "", "128.0.0.1"]
)
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Peers(host)


def test_ipv6_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with Peers("::1") as peers:
        assert all(host == "::1" for _, host, _ in peers.bound_addresses())
        with socket.create_connection(addr(peers.tcp_echo), timeout=TIMEOUT) as c:
            c.sendall(b"six")
            assert recv_exactly(c, 3) == b"six"
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as u:
            u.settimeout(TIMEOUT)
            u.sendto(b"dgram", addr(peers.udp_echo))
            assert u.recvfrom(64)[0] == b"dgram"
        response = dns_ask(peers, "peer.qiterm.local")
        assert response.rcode() == dns.rcode.NOERROR


def test_other_127_addresses_are_allowed() -> None:
    with Peers("127.0.0.2", udp_echo=False, ntp=False, dns=False) as peers:
        assert peers.bound_addresses() == [("tcp_echo", "127.0.0.2", addr(peers.tcp_echo)[1])]


def test_disabled_servers_are_none() -> None:
    with Peers(tcp_echo=False, udp_echo=False, ntp=True, dns=False) as peers:
        assert peers.tcp_echo is None
        assert peers.udp_echo is None
        assert peers.dns is None
        assert peers.blaster is None
        assert peers.ntp is not None
        assert [kind for kind, _, _ in peers.bound_addresses()] == ["ntp"]
        with pytest.raises(RuntimeError):
            peers.udp_send(b"x", ("127.0.0.1", 9))


def test_stop_is_idempotent_and_releases_the_ports() -> None:
    peers = Peers(blaster=True)
    with pytest.raises(RuntimeError):
        peers.close_tcp_clients()  # not started
    assert peers.bound_addresses() == []
    peers.start()
    peers.start()  # already running: nothing happens
    client = tcp_client(peers.tcp_echo)
    assert peers.wait_tcp_clients(1, TIMEOUT)
    peers.stop()
    peers.stop()
    assert not any(t.name == "qiterm-peers" for t in threading.enumerate())
    assert peers.bound_addresses() == []
    with client:
        assert client.recv(10) == b""  # open connections were closed too
    for a in (peers.tcp_echo, peers.blaster):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(addr(a), timeout=TIMEOUT).close()
    for a in (peers.udp_echo, peers.ntp, peers.dns):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(addr(a))  # free again
    with pytest.raises(RuntimeError):
        peers.close_tcp_clients()


def test_restart_after_stop() -> None:
    peers = Peers(udp_echo=False, ntp=False, dns=False)
    with peers:
        first = peers.tcp_echo
    with peers:
        assert peers.tcp_echo is not None
        with tcp_client(peers.tcp_echo) as c:
            c.sendall(b"hello")
            assert recv_exactly(c, 5) == b"hello"
    assert first is not None


def test_blaster_rate_paces_the_flood() -> None:
    import socket as _socket
    import time as _time

    with Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True) as peers:
        peers.blaster_bytes = 10 * 1024 * 1024
        peers.blaster_rate = 200_000.0
        assert peers.blaster is not None
        with _socket.create_connection(peers.blaster, timeout=5) as sock:
            got = 0
            started = _time.monotonic()
            while _time.monotonic() - started < 1.0:
                got += len(sock.recv(65536))
        # Paced at 200 kB/s the first second carries ~200 kB, nowhere near 10 MB.
        assert 50_000 < got < 600_000
