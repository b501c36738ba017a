"""The simulated module over sim://, byte for byte: every command of chapter 2.3
against real loopback peers, the basic commands, URCs, faults and flow control."""

from __future__ import annotations

import calendar
import re
import socket
import time

import pytest
import serial

from app.demo.peers import Peers
from app.protocol import events as ev
from app.sim.module import Module
from tests.atclient import AtClient

Sim = tuple[AtClient, Module]


def tcp_open(at: AtClient, peers: Peers, cid: int = 0) -> None:
    assert peers.tcp_echo is not None
    host, port = peers.tcp_echo
    assert at.lines(f'AT+QIOPEN=0,{cid},"TCP","{host}",{port},0,1') == ["OK"]
    assert at.expect(rf"\+QIOPEN: {cid},")[-1].text == f"+QIOPEN: {cid},0"


def recv_payload(at: AtClient, cid: int, total: int, recv_hex: bool = False) -> bytes:
    """Collect +QIURC "recv" URCs of ``cid`` until ``total`` bytes arrived."""
    got = bytearray()
    deadline = time.monotonic() + 5
    while len(got) < total:
        assert time.monotonic() < deadline, f"only {len(got)} of {total} bytes"
        [urc] = at.events_until(lambda evs: isinstance(evs[-1], ev.QiUrcRecv), 5)[-1:]
        assert isinstance(urc, ev.QiUrcRecv) and urc.connect_id == cid
        got += urc.payload(recv_hex)
    return bytes(got)


def state_rows(at: AtClient) -> list[str]:
    return [x for x in at.ok("AT+QISTATE?") if x.startswith("+QISTATE:")]


# --- basic commands --------------------------------------------------------------


def test_identity_and_the_first_commands(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT") == ["OK"]
    assert at.lines("ATI") == [
        "Quectel_Ltd",
        "Quectel_BC660K-GL",
        "Revision: BC660KGLAAR01A05",
        "OK",
    ]
    # AT manual §2.4: "Response Revision: <revision>" (example: Revision: BC660KGLAAR01A03).
    assert at.lines("AT+CGMR") == ["Revision: BC660KGLAAR01A05", "OK"]
    assert re.fullmatch(r"\d{15}", at.lines("AT+CGSN")[0])
    assert at.lines("AT+CGSN=1")[0].startswith("+CGSN: ")
    assert at.lines("AT+CPIN?") == ["+CPIN: READY", "OK"]
    assert at.lines("AT+CFUN?") == ["+CFUN: 1", "OK"]
    assert at.lines("AT+CEREG?") == ["+CEREG: 0,1", "OK"]
    assert at.lines("AT+CSQ") == ["+CSQ: 24,99", "OK"]
    assert at.lines("AT+CGPADDR") == ['+CGPADDR: 0,"127.0.0.1"', "OK"]
    # AT manual §12.1 example: +CCLK: 20/11/03,06:25:06+32 (unquoted).
    assert re.fullmatch(r"\+CCLK: \d\d/\d\d/\d\d,\d\d:\d\d:\d\d\+00", at.lines("AT+CCLK?")[0])
    assert at.lines("AT+NOSUCH") == ["ERROR"]
    assert at.lines("ATX") == ["ERROR"]


def test_echo_follows_ate(sim: Sim) -> None:
    at, _ = sim
    at.write(b"ATE1\r")
    assert [e.text for e in at.expect("^OK$")] == ["OK"]  # ATE1's own echo was off
    events = at.command("AT")
    assert isinstance(events[0], ev.CommandLineEcho) and events[0].command == "AT"
    assert at.received.endswith(b"AT\r\r\nOK\r\n")
    at.command("ATE0")
    assert [e.text for e in at.command("AT")] == ["OK"]


def test_cmee_modes_change_how_errors_read(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT+QICLOSE=3") == ["ERROR"]
    at.ok("AT+CMEE=1")
    assert at.lines("AT+QICLOSE=3") == ["+CME ERROR: 567"]
    assert at.lines('AT+QIOPEN=0,9,"TCP","127.0.0.1",7,0,1') == ["+CME ERROR: 552"]
    at.ok("AT+CMEE=2")
    assert at.lines("AT+QICLOSE=3") == ["+CME ERROR: Socket closed"]
    assert at.lines("AT+CMEE?") == ["+CMEE: 2", "OK"]


def test_reboot_drops_sockets_and_prints_the_boot_lines(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    at.ok('AT+QICFG="dataformat",1,1')
    at.ok("AT+CMEE=1")
    at.write(b"AT+QRST=1\r")
    lines = [e.text for e in at.expect(r"^\+IP: ")]
    assert lines == ["OK", "RDY", "+CPIN: READY", "+IP: 127.0.0.1"]
    assert state_rows(at) == []
    assert peers.wait_tcp_clients(0, 3)
    # §2.3.9: QICFG survives (NVRAM); so does CMEE (AT manual §10.2: "The configuration
    # is saved to NVRAM").
    assert at.lines('AT+QICFG="dataformat"')[0] == '+QICFG: "dataformat",1,1'
    assert at.lines("AT+QICLOSE=0") == ["+CME ERROR: 567"]


def test_cfun_zero_deregisters_and_one_registers_again(sim: Sim) -> None:
    at, _ = sim
    at.ok("AT+CEREG=1")
    at.ok("AT+CFUN=0")
    assert [e.text for e in at.expect(r"\+CEREG")] == ["+CEREG: 0"]
    assert at.lines("AT+CGPADDR") == ["+CGPADDR: 0", "OK"]
    assert at.lines('AT+QIOPEN=0,0,"UDP","127.0.0.1",9,0,1') == ["ERROR"]
    at.ok("AT+CFUN=1")
    assert [e.text for e in at.expect(r"^\+IP:")] == ["+CEREG: 1", "+IP: 127.0.0.1"]


# --- TCP client ---------------------------------------------------------------------


def test_tcp_client_round_trip_and_real_local_port(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    [row] = state_rows(at)
    fields = row.split(",")
    assert fields[:4] == ["+QISTATE: 0", '"TCP"', '"127.0.0.1"', str(peers.tcp_echo[1])]
    assert int(fields[4]) > 0 and fields[5:] == ["2", "0", "1"]
    assert at.lines('AT+QISEND=0,5,"12345"') == ["OK", "SEND OK"]
    [urc] = at.expect(r"recv")
    assert urc.text == '+QIURC: "recv",0,5,"12345"'
    assert peers.tcp_received == b"12345"


def test_data_mode_variable_fixed_and_escape(sim: Sim, peers: Peers) -> None:
    at, module = sim
    tcp_open(at, peers)
    # Variable length: '>' then data and Ctrl-Z.
    assert [e.text for e in at.command("AT+QISEND=0")] == [">"]
    at.write(b"hello\x1a")
    assert [e.text for e in at.expect("SEND OK")] == ["OK", "SEND OK"]
    assert recv_payload(at, 0, 5) == b"hello"
    # Fixed length carries any byte: quotes, CR, LF, Ctrl-Z, Esc, NUL, 0xff.
    payload = b'a"\r\n\x1a\x1b\x00\xffz'
    assert [e.text for e in at.command(f"AT+QISEND=0,{len(payload)}")] == [">"]
    at.write(payload)
    assert [e.text for e in at.expect("SEND OK")] == ["OK", "SEND OK"]
    assert recv_payload(at, 0, len(payload)) == payload
    # Esc cancels: nothing is sent (chapter 3: 571 Send Canceled).
    at.ok("AT+CMEE=1")
    before = peers.tcp_received
    at.command("AT+QISEND=0")
    at.write(b"never\x1b")
    assert [e.text for e in at.expect("CME")] == ["+CME ERROR: 571"]
    assert at.quiet(0.2) == [] and peers.tcp_received == before
    assert module.data_mode is None
    assert at.lines("AT") == ["OK"]


def test_variable_data_mode_sends_by_itself_at_1024_bytes(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    at.command("AT+QISEND=0")
    at.write(b"x" * 1030)  # 1024 go at once; the rest is a command line (not AT: ERROR)
    texts = [e.text for e in at.expect("SEND OK")]
    assert texts == ["OK", "SEND OK"]
    assert recv_payload(at, 0, 1024) == b"x" * 1024


def test_hex_dataformat_both_ways(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    at.ok('AT+QICFG="dataformat",1,1')
    assert at.lines('AT+QICFG="dataformat"')[0] == '+QICFG: "dataformat",1,1'
    assert at.lines('AT+QISEND=0,5,"3132333435"') == ["OK", "SEND OK"]
    [urc] = at.expect("recv")
    assert urc.text == '+QIURC: "recv",0,5,"3132333435"'
    # Fixed length in hex: 2 digits a byte.
    at.command("AT+QISEND=0,2")
    at.write(b"0D0A")
    at.expect("SEND OK")
    assert recv_payload(at, 0, 2, recv_hex=True) == b"\r\n"
    assert peers.tcp_received == b"12345\r\n"


def test_recv_is_split_at_1024_bytes_text_and_512_hex(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)

    def send_and_collect(data: bytes, want: int) -> list[ev.QiUrcRecv]:
        urcs: list[ev.QiUrcRecv] = []
        for offset in range(0, len(data), 512):
            chunk = data[offset : offset + 512]
            events = at.command(f"AT+QISEND=0,{len(chunk)}")
            at.write(chunk)
            events += at.expect("SEND OK")
            urcs += [e for e in events if isinstance(e, ev.QiUrcRecv)]
        while sum(u.current_recv_length or 0 for u in urcs) < want:
            urcs += [
                e
                for e in at.events_until(lambda evs: isinstance(evs[-1], ev.QiUrcRecv))
                if isinstance(e, ev.QiUrcRecv)
            ]
        return urcs

    # The echo peer answers 512-byte writes; the module reads whatever the host
    # stack has and cuts it at 1024 bytes.
    data = bytes(range(256)) * 10  # 2560 bytes, every byte value
    urcs = send_and_collect(data, len(data))
    assert b"".join(u.payload() for u in urcs) == data
    assert max(u.current_recv_length or 0 for u in urcs) <= 1024
    at.ok('AT+QICFG="dataformat",0,1')
    urcs = send_and_collect(data[:1024], 1024)
    assert b"".join(u.payload() for u in urcs) == data[:1024]
    assert all(u.hex_payload for u in urcs)
    assert max(u.current_recv_length or 0 for u in urcs) <= 512


def test_remote_close_then_send_fail_then_qiclose(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    assert peers.wait_tcp_clients(1, 3)
    peers.close_tcp_clients()
    assert [e.text for e in at.expect("closed")] == ['+QIURC: "closed",0']
    assert state_rows(at)[0].split(",")[5] == "4"  # Remote Closing
    assert at.lines('AT+QISEND=0,1,"x"') == ["OK", "SEND FAIL"]
    assert at.lines("AT+QICLOSE=0") == ["OK", "CLOSE OK"]
    assert state_rows(at) == []


def test_connection_refused_reports_566_and_keeps_the_socket_until_qiclose(sim: Sim) -> None:
    at, _ = sim
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        at.ok(f'AT+QIOPEN=0,2,"TCP","127.0.0.1",{port},0,1')
        assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 2,566"
    assert state_rows(at)[0].split(",")[5] == "0"  # Initial
    assert at.lines('AT+QIOPEN=0,2,"TCP","127.0.0.1",9,0,1') == ["OK"]
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 2,563"  # identity still used
    assert at.lines("AT+QICLOSE=2") == ["OK", "CLOSE OK"]


def test_show_ra_adds_the_sender_address(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    at.ok('AT+QICFG="showRA",1')
    assert at.lines('AT+QICFG="showRA"')[0] == '+QICFG: "showRA",1'
    at.ok('AT+QISEND=0,3,"abc"')
    [urc] = at.expect("recv")
    assert urc.text == f'+QIURC: "recv",0,3,"127.0.0.1",{peers.tcp_echo[1]},"abc"'


def test_host_names_resolve_through_the_module_dns(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    at.ok(f'AT+QIOPEN=0,0,"TCP","echo.qiterm.local",{peers.tcp_echo[1]},0,1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,0"
    at.ok(f'AT+QIOPEN=0,1,"TCP","nowhere.qiterm.local",{peers.tcp_echo[1]},0,1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 1,565"
    assert peers.dns_queries >= 2


def test_send_counts_are_real_and_nacked_grows_when_the_peer_stops_reading(sim: Sim) -> None:
    at, _ = sim
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{server.getsockname()[1]},0,1')
        at.expect(r"\+QIOPEN: 0,0")
        conn, _ = server.accept()  # and never read
        with conn:
            chunk = "y" * 1000
            sent = 0
            nacked = 0
            for _ in range(200):  # bounded: at most 200 kB
                at.ok(f'AT+QISEND=0,1000,"{chunk}"')
                sent += 1000
                fields = at.lines("AT+QISEND=0,0")[0].removeprefix("+QISEND: ").split(",")
                total, acked, nacked = (int(f) for f in fields)
                assert total == sent and acked + nacked == sent
                if nacked > 0:
                    break
            assert nacked > 0, "the kernel never held back any data"


# --- UDP ----------------------------------------------------------------------------


def test_udp_client_round_trip(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    host, port = peers.udp_echo
    at.ok(f'AT+QIOPEN=0,1,"UDP","{host}",{port},0,1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 1,0"
    assert at.lines('AT+QISEND=1,4,"ping"') == ["OK", "SEND OK"]
    assert recv_payload(at, 1, 4) == b"ping"
    [row] = state_rows(at)
    local = int(row.split(",")[4])
    assert peers.udp_received[-1] == (b"ping", ("127.0.0.1", local))
    assert at.lines("AT+QISEND=1,0") == ["+QISEND: 4,0,0", "OK"]


def test_udp_service_receives_with_the_sender_and_replies_to_it(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    # §2.3.1: a UDP SERVICE needs <local_port> 1-65535.
    assert at.lines('AT+QIOPEN=0,0,"UDP SERVICE","127.0.0.1",1,0,1') == ["ERROR"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        local = probe.getsockname()[1]
    at.ok(f'AT+QIOPEN=0,0,"UDP SERVICE","127.0.0.1",1,{local},1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,0"
    assert state_rows(at) == [f'+QISTATE: 0,"UDP SERVICE","127.0.0.1",1,{local},2,0,1']
    peers.udp_send(b"12345", ("127.0.0.1", local))
    [urc] = at.expect("recv")
    host, port = peers.udp_echo
    assert urc.text == f'+QIURC: "recv",0,5,"{host}",{port},"12345"'
    assert at.lines(f'AT+QISEND=0,"{host}",{port},5,"hello"') == ["OK", "SEND OK"]
    assert recv_payload(at, 0, 5) == b"hello"  # the echo peer sent it back
    # Data-mode forms on a UDP SERVICE.
    at.command(f'AT+QISEND=0,"{host}",{port}')
    at.write(b"var\x1a")
    at.expect("SEND OK")
    assert recv_payload(at, 0, 3) == b"var"
    at.command(f'AT+QISEND=0,"{host}",{port},3')
    at.write(b"fix")
    at.expect("SEND OK")
    assert recv_payload(at, 0, 3) == b"fix"
    # The plain forms are for TCP/UDP clients only.
    assert at.lines('AT+QISEND=0,1,"x"') == ["ERROR"]


# --- TCP LISTENER ---------------------------------------------------------------------


def listener_port(at: AtClient, cid: int = 0) -> int:
    for _ in range(20):  # bounded retries over busy ports
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        at.ok(f'AT+QIOPEN=0,{cid},"TCP LISTENER","127.0.0.1",0,{port},1')
        if at.expect(r"\+QIOPEN")[-1].text == f"+QIOPEN: {cid},0":
            return port
        at.ok(f"AT+QICLOSE={cid}")
    raise AssertionError("no free port for the listener")


def test_tcp_listener_accepts_reports_incoming_and_talks(sim: Sim) -> None:
    at, _ = sim
    port = listener_port(at)
    with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
        [urc] = at.expect("incoming")
        cport = client.getsockname()[1]
        assert urc.text == f'+QIURC: "incoming",1,0,"127.0.0.1",{cport}'
        assert state_rows(at) == [
            f'+QISTATE: 0,"TCP LISTENER","127.0.0.1",0,{port},2,0,1',
            f'+QISTATE: 1,"TCP INCOMING","127.0.0.1",{cport},{port},2,0,1',
        ]
        client.sendall(b"1234567890")
        assert [e.text for e in at.expect("recv")] == ['+QIURC: "recv",1,10,"1234567890"']
        at.ok('AT+QISEND=1,10,"abcdefghij"')
        assert client.recv(100) == b"abcdefghij"
        # Closing the server leaves no connection behind (chapter 4.3.4).
        assert at.lines("AT+QICLOSE=0") == ["OK", "CLOSE OK"]
        assert state_rows(at) == []
        assert client.recv(100) == b""


def test_five_connect_ids_are_shared_and_a_sixth_client_is_refused(sim: Sim) -> None:
    at, _ = sim
    port = listener_port(at)
    clients = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(4)]
    try:
        ids = []
        for _ in range(4):
            urc = at.expect("incoming")[-1]
            assert isinstance(urc, ev.QiUrcIncoming)
            ids.append(urc.connect_id)
        assert sorted(ids) == [1, 2, 3, 4]
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sixth:
            assert sixth.recv(10) == b""  # closed at once: no free connectID
        assert at.lines('AT+QIOPEN=0,5,"TCP","127.0.0.1",1,0,1') == ["ERROR"]  # 0-4 only
    finally:
        for c in clients:
            c.close()


def test_port_in_use_reports_574(sim: Sim) -> None:
    at, _ = sim
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        at.ok(f'AT+QIOPEN=0,0,"TCP LISTENER","127.0.0.1",0,{port},1')
        assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,574"
        at.ok(f'AT+QIOPEN=0,1,"UDP SERVICE","127.0.0.1",1,{port},1')
        assert at.expect(r"\+QIOPEN")[-1].text in ("+QIOPEN: 1,0", "+QIOPEN: 1,574")
    assert at.lines("AT") == ["OK"]


def test_a_listener_on_a_foreign_address_fails_to_bind(sim: Sim) -> None:
    at, _ = sim
    at.ok('AT+QIOPEN=0,0,"TCP LISTENER","192.0.2.7",0,5000,1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,556"


# --- ping, NTP, DNS ---------------------------------------------------------------------


def test_ping_replies_and_summary(sim: Sim) -> None:
    at, _ = sim
    at.ok('AT+QPING=0,"127.0.0.1",2,3,64')
    lines = [e.text for e in at.expect(r"^\+QPING: 0,3,")]
    assert len(lines) == 4
    for reply in lines[:3]:
        assert re.fullmatch(r'\+QPING: 0,"127\.0\.0\.1",64,\d+,\d+', reply), reply
    assert re.fullmatch(r"\+QPING: 0,3,3,0,\d+,\d+,\d+", lines[3])


def test_ping_by_name_and_unknown_name(sim: Sim) -> None:
    at, _ = sim
    at.ok('AT+QPING=0,"iot.quectel.com",1,1')
    assert at.expect(r"\+QPING: 0,1,")[-1].text.startswith("+QPING: 0,1,1,0,")
    at.ok('AT+QPING=0,"unknown.qiterm.local"')
    assert at.expect(r"\+QPING")[-1].text == "+QPING: 565"


def test_ntp_reports_the_time_and_auto_set_time_moves_the_clock(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    peers.ntp_offset = 3 * 3600.0
    at.ok(f'AT+QNTP=0,"127.0.0.1",{peers.ntp[1]},0')
    text = at.expect(r"\+QNTP")[-1].text
    m = re.fullmatch(r'\+QNTP: 0,"(\d{4})/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)"', text)
    assert m, text
    ntp = calendar.timegm(tuple(int(x) for x in m.groups()))
    assert abs(ntp - (time.time() + 3 * 3600)) < 5
    clock = at.lines("AT+CCLK?")[0]
    assert clock[7:9] == time.strftime("%y", time.gmtime())  # not moved with 0
    at.ok('AT+QNTP=0,"ntp5.aliyun.com"')  # by name, the module's default port option
    assert at.expect(r"\+QNTP")[-1].text.startswith("+QNTP: 0,")
    hour = int(at.lines("AT+CCLK?")[0].split(",")[1][:2])
    assert hour == time.gmtime(time.time() + 3 * 3600).tm_hour


def test_dns_resolve_configure_and_errors(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    at.ok('AT+QIDNSGIP=0,"www.baidu.com"')
    assert [e.text for e in at.expect(r"\+QIDNSGIP: \d+\.")] == [
        "+QIDNSGIP: 0,1,0",
        "+QIDNSGIP: 127.0.0.1",
    ]
    at.ok('AT+QIDNSGIP=0,"missing.qiterm.local"')
    assert at.expect(r"\+QIDNSGIP")[-1].text == "+QIDNSGIP: 565"
    # Configured servers replace the network's; 127.0.0.2 answers nothing (569).
    at.ok('AT+QIDNSCFG=0,"127.0.0.2"')
    assert at.lines("AT+QIDNSCFG=0") == ['+QIDNSCFG: 0,"127.0.0.2","0.0.0.0"', "OK"]
    peers.dns_silent = True
    at.ok('AT+QIDNSCFG=0,"127.0.0.1","127.0.0.1"')
    at.ok('AT+QIDNSGIP=0,"www.baidu.com"')
    assert at.expect(r"\+QIDNSGIP", timeout=15)[-1].text == "+QIDNSGIP: 569"
    assert at.lines('AT+QIDNSCFG=0,"::1"') == ["ERROR"]  # IPv4 network (§2.3.8 note 2)


def test_no_dns_server_gives_565(peers: Peers) -> None:
    from app.sim import registry
    from tests.conftest import sim_url

    name, url = sim_url(None, echo=0)  # no network-issued DNS
    port = serial.serial_for_url(url, timeout=0.1)
    try:
        at = AtClient(port)
        at.ok('AT+QIDNSGIP=0,"echo.qiterm.local"')
        assert at.expect(r"\+QIDNSGIP")[-1].text == "+QIDNSGIP: 565"
        assert at.lines("AT+QIDNSCFG=0") == ['+QIDNSCFG: 0,"0.0.0.0","0.0.0.0"', "OK"]
    finally:
        port.close()
        registry.destroy(name)


def test_test_commands_answer_their_ranges(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT+QIOPEN=?")[0] == (
        '+QIOPEN: (0-10),(0-4),"TCP/UDP/TCP LISTENER/UDP SERVICE",<host>,(1-65535),(0-65535),(1)'
    )
    assert at.lines("AT+QICLOSE=?") == ["+QICLOSE: (0-4)", "OK"]
    assert at.lines("AT+QISTATE=?") == ["+QISTATE: 0,(0-10)", "+QISTATE: 1,(0-4)", "OK"]
    assert at.lines("AT+QISEND=?")[0].startswith("+QISEND: (0-4),")
    assert at.lines("AT+QPING=?")[0] == "+QPING: (0-10),<host>,(1-255),(1-10),(32-1500),(0,1)"
    assert at.lines("AT+QNTP=?")[0] == "+QNTP: (0-10),<server>,(1-65535),(0,1)"
    assert at.lines("AT+QIDNSGIP=?")[0] == "+QIDNSGIP: (0-10),<hostname>"
    assert at.lines("AT+QIDNSCFG=?")[0] == "+QIDNSCFG: (0-10),<pridnsaddr>,<secdnsaddr>"
    assert at.lines("AT+QICFG=?")[:2] == [
        '+QICFG: "dataformat",(0,1),(0,1)',
        '+QICFG: "showRA",(0,1)',
    ]
    for line in ("AT+QIOPEN=?", "AT+QISTATE=?"):
        assert all(isinstance(e, ev.TestResponse | ev.Ok) for e in at.command(line))


# --- bad input: the spec's answer, and the module stays usable -----------------------

BAD = [
    'AT+QIOPEN=1,0,"TCP","127.0.0.1",7,0,1',  # contextID: only 0
    'AT+QIOPEN=0,5,"TCP","127.0.0.1",7,0,1',  # connectID 0-4 (a 6th socket)
    'AT+QIOPEN=0,0,"SCTP","127.0.0.1",7,0,1',  # service_type
    'AT+QIOPEN=0,0,"TCP","127.0.0.1",0,0,1',  # remote_port 1-65535
    'AT+QIOPEN=0,0,"TCP","127.0.0.1",65536,0,1',
    'AT+QIOPEN=0,0,"TCP","127.0.0.1",7,70000,1',  # local_port
    'AT+QIOPEN=0,0,"TCP","127.0.0.1",7,0,2',  # access_mode: 1 only
    'AT+QIOPEN=0,0,"TCP LISTENER","127.0.0.1",0,0,1',  # listener needs a local port
    'AT+QIOPEN=0,0,"TCP","' + "h" * 151 + '",7,0,1',  # host <= 150 bytes
    'AT+QIOPEN=0,0,"TCP"',  # missing fields
    'AT+QIOPEN=0,x,"TCP","127.0.0.1",7',  # wrong type
    "AT+QICLOSE=5",
    "AT+QICLOSE=0",  # nothing open
    "AT+QISTATE=2,0",
    "AT+QISTATE=1,9",
    'AT+QISEND=0,5,"1234"',  # send_length != data length (and no socket)
    "AT+QISEND=0,1025",
    'AT+QISEND=0,1,"x",3',  # rai_mode 0-2
    "AT+QISEND=7,0",
    'AT+QPING=0,"127.0.0.1",0',  # time_out 1-255
    'AT+QPING=0,"127.0.0.1",256',
    'AT+QPING=0,"127.0.0.1",4,11',  # ping_num 1-10
    'AT+QPING=0,"127.0.0.1",4,4,31',  # ping_size 32-1500
    'AT+QPING=0,"127.0.0.1",4,4,1501',
    'AT+QPING=0,"127.0.0.1",4,4,32,2',  # rai_enable 0/1
    'AT+QNTP=0,"127.0.0.1",0',  # port 1-65535
    'AT+QNTP=0,"127.0.0.1",123,2',
    'AT+QIDNSGIP=0,"bad name!"',
    'AT+QIDNSCFG=0,"not-an-ip"',
    'AT+QIDNSCFG=0,"1.2.3.4","5.6.7"',
    'AT+QICFG="dataformat",2,0',
    'AT+QICFG="dataformat",1',  # both or neither
    'AT+QICFG="showRA",2',
    'AT+QICFG="nosuch",1',
    "AT+CFUN=7",
    "AT+CMEE=3",
    "AT+QRST=2",
    'AT+QIOPEN=0,0,"TCP,"127.0.0.1",7,0,1',  # unterminated quote
]


@pytest.mark.parametrize("line", BAD)
def test_bad_input_answers_error_and_the_module_stays_usable(sim: Sim, line: str) -> None:
    at, _ = sim
    assert at.lines(line) == ["ERROR"], line
    assert at.lines("AT") == ["OK"]
    assert state_rows(at) == []


def test_send_checks_against_an_open_socket(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    tcp_open(at, peers)
    assert at.lines('AT+QISEND=0,4,"12345"') == ["ERROR"]  # send_length != data
    assert at.lines('AT+QISEND=0,"127.0.0.1",7,1,"x"') == ["ERROR"]  # UDP SERVICE form
    at.ok('AT+QICFG="dataformat",1,0')
    assert at.lines('AT+QISEND=0,2,"123"') == ["ERROR"]  # odd hex digits
    assert at.lines('AT+QISEND=0,2,"12XY"') == ["ERROR"]  # not hex
    assert at.lines(f'AT+QISEND=0,513,"{"00" * 513}"') == ["ERROR"]  # 512 max in hex
    assert at.lines("AT+QISEND=0,513") == ["ERROR"]
    at.command("AT+QISEND=0")
    at.write(b"ABC\x1a")  # odd digits typed in data mode
    assert [e.text for e in at.expect("ERROR")] == ["ERROR"]
    assert peers.tcp_received == b""
    assert at.lines('AT+QISEND=0,2,"0102"') == ["OK", "SEND OK"]


# --- faults --------------------------------------------------------------------------


def test_armed_qiopen_failure_and_pdp_drop(sim: Sim, peers: Peers) -> None:
    at, module = sim
    module.arm_qiopen_failure(566)
    at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
    assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,566"
    at.ok("AT+QICLOSE=0")
    tcp_open(at, peers, cid=1)
    module.drop_pdp()
    lines = [e.text for e in at.expect(r"^\+IP:")]
    assert lines == ['+QIURC: "closed",1', "+IP: 127.0.0.1"]


def test_hang_next_leaves_a_command_unanswered_and_the_next_is_fine(sim: Sim) -> None:
    at, module = sim
    module.hang_next(1)
    at.write(b"AT\r")
    assert at.quiet(0.3) == []
    assert at.lines("AT") == ["OK"]


def test_overlong_command_line_is_refused_not_buffered(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT+" + "A" * 10000) == ["ERROR"]
    assert at.lines("AT") == ["OK"]


def test_urcs_wait_while_in_data_mode(sim: Sim) -> None:
    at, _ = sim
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{server.getsockname()[1]},0,1')
        at.expect(r"\+QIOPEN: 0,0")
        conn, _ = server.accept()
        with conn:
            assert [e.text for e in at.command("AT+QISEND=0")] == [">"]
            conn.sendall(b"ping")  # data arrives while the module is in data mode
            time.sleep(0.3)
            assert at.quiet(0.1) == []  # the recv URC is held, not printed into the prompt
            at.write(b"pong\x1a")
            texts = [e.text for e in at.events_until(lambda evs: len(evs) >= 3)]
            assert texts == ["OK", "SEND OK", '+QIURC: "recv",0,4,"ping"']
            assert conn.recv(10) == b"pong"


def test_flow_control_bounds_memory_and_loses_nothing() -> None:
    from app.sim import registry
    from tests.conftest import sim_url

    peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
    peers.blaster_bytes = 2 * 1024 * 1024
    name, url = sim_url(None, echo=0)
    port = serial.serial_for_url(url, timeout=0.1)
    try:
        assert peers.blaster is not None
        module = registry.get(name)
        at = AtClient(port)
        at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.blaster[1]},0,1')
        at.expect(r"\+QIOPEN: 0,0")
        time.sleep(0.5)  # nobody reads: the module must stop reading its socket
        assert module.output_blocked
        assert port.in_waiting < 1024 * 1024
        got = recv_payload(at, 0, peers.blaster_bytes)
        assert len(got) == peers.blaster_bytes
        assert at.expect("closed")[-1].text == '+QIURC: "closed",0'
    finally:
        port.close()
        registry.destroy(name)
        peers.stop()


def test_bad_sim_url_is_a_clear_serial_error() -> None:
    with pytest.raises(serial.SerialException, match="unknown simulator profile 'warp'"):
        serial.serial_for_url("sim://?profile=warp")
    with pytest.raises(serial.SerialException, match="unknown sim:// option 'colour'"):
        serial.serial_for_url("sim://?colour=red")


def test_unplug_breaks_the_port_and_the_named_module_keeps_its_sockets(
    sim: Sim, peers: Peers
) -> None:
    at, module = sim
    tcp_open(at, peers)
    name = module.config.name
    module.unplug(for_seconds=0.3)
    with pytest.raises(serial.SerialException):
        for _ in range(10):
            at.port.read(1)
            at.port.write(b"AT\r")
    with pytest.raises(serial.SerialException, match="not present"):
        serial.serial_for_url(f"sim://{name}")
    time.sleep(0.35)
    again = serial.serial_for_url(f"sim://{name}", timeout=0.1)
    try:
        assert len(state_rows(AtClient(again))) == 1
    finally:
        again.close()


def test_closing_udp_sockets_does_not_wait_for_a_close_that_never_comes(sim: Sim) -> None:
    at, _ = sim
    at.ok('AT+QIOPEN=0,0,"UDP","127.0.0.1",9,0,1')
    at.expect(r"\+QIOPEN: 0,0")
    at.write(b"AT+QICLOSE=0\r")
    # CLOSE OK comes when the host socket is gone, not after CLOSE_WAIT_S (2 s).
    assert [e.text for e in at.events_until(lambda g: isinstance(g[-1], ev.CloseOk), 1.5)] == [
        "OK",
        "CLOSE OK",
    ]


def test_fault_injection_from_the_url_option(peers: Peers) -> None:
    from app.sim import registry
    from tests.conftest import sim_url

    name, url = sim_url(peers, echo=0, fail_qiopen=570)
    port = serial.serial_for_url(url, timeout=0.1)
    try:
        at = AtClient(port)
        at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        assert at.expect(r"\+QIOPEN")[-1].text == "+QIOPEN: 0,570"
        at.ok("AT+QICLOSE=0")
        tcp_open(at, peers)  # armed once only
    finally:
        port.close()
        registry.destroy(name)
    with pytest.raises(serial.SerialException, match="fail_qiopen takes a result code"):
        serial.serial_for_url("sim://?fail_qiopen=x")


def test_the_nbiot_profile_delays_but_keeps_order_and_bytes(peers: Peers) -> None:
    """Latencies of the nbiot profile (answers, deferred results, paged URCs) go
    through ordered schedules: everything still arrives, in order, byte exact."""
    from app.sim import registry
    from tests.conftest import sim_url

    name, url = sim_url(peers, echo=0, profile="nbiot", seed=7)
    port = serial.serial_for_url(url, timeout=0.1)
    try:
        at = AtClient(port)
        assert at.lines("AT", timeout=5) == ["OK"]
        at.ok(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1', timeout=5)
        assert at.expect(r"\+QIOPEN", timeout=10)[-1].text == "+QIOPEN: 0,0"
        sent = b""
        got = b""
        for i in range(5):
            chunk = f"paged-{i};".encode()
            sent += chunk
            events = at.command(f'AT+QISEND=0,{len(chunk)},"{chunk.decode()}"', timeout=5)
            # Paged URCs may land between the lines of later answers: keep them.
            got += b"".join(e.payload() for e in events if isinstance(e, ev.QiUrcRecv))
            assert [e.text for e in events if not isinstance(e, ev.QiUrcRecv)] == [
                "OK",
                "SEND OK",
            ]
        assert got + recv_payload(at, 0, len(sent) - len(got)) == sent
    finally:
        port.close()
        registry.destroy(name)
