"""Chapter 4 of the spec, replayed against ``qiterm sim --pty`` over a real pty.

Each transcript below is the spec's example as printed in chapter 4 (comments
dropped). Loopback peers stand in for the spec's remote hosts, so addresses,
ports, times and measured figures (ping times, TTLs, DNS TTLs) differ; they are
masked the same way on both sides before comparing. Everything else — command
echo, field order, quoting, states, counts, OK / SEND OK / CLOSE OK placement —
must match line for line.

§2.2 says the examples are not one sequence, so a few set-up commands (not
compared) sit between them, e.g. back to text mode before 4.1.3.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import serial

from app.demo.peers import Peers
from app.protocol import events as ev
from tests.atclient import AtClient

IP = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"


def mask(line: str) -> str:
    """Blank out what legitimately differs between the spec's hosts and ours."""
    line = re.sub(r",\s+", ",", line.strip())  # chapter 4 has stray spaces after commas
    line = re.sub(rf'"{IP}"', '"IP"', line)
    line = re.sub(rf"(?<=: ){IP}$", "IP", line)  # +QIDNSGIP: <hostIPaddr>
    line = re.sub(r'"\d{4}/\d\d/\d\d,\d\d:\d\d:\d\d"', '"TIME"', line)
    rules: list[tuple[str, str]] = [
        # +QISTATE: id,"type","IP",<remote_port>,<local_port>,state,0,1
        (r'^(\+QISTATE: \d,"[A-Z ]+","IP"),\d+,\d+,', r"\1,P,P,"),
        (r'^(AT\+QIOPEN=0,\d,"[A-Z ]+","IP"),\d+,\d+,', r"\1,P,P,"),
        (r'^(\+QIURC: "incoming",\d,\d,"IP"),\d+$', r"\1,P"),
        (r'^(\+QIURC: "recv",\d,\d+,"IP"),\d+,', r"\1,P,"),
        (r'^(AT\+QISEND=\d,"IP"),\d+', r"\1,P"),
        (r'^(\+QPING: 0,"IP",\d+),\d+,\d+$', r"\1,T,TTL"),
        (r"^(\+QPING: 0,\d+,\d+,\d+),\d+,\d+,\d+$", r"\1,T,T,T"),
        (r"^(\+QIDNSGIP: 0,\d+),\d+$", r"\1,TTL"),
    ]
    for pattern, repl in rules:
        line = re.sub(pattern, repl, line)
    return line


def spec_lines(text: str) -> list[str]:
    """The spec's example: comments and blank lines dropped."""
    out = []
    for raw in text.strip().splitlines():
        content = raw.split("//")[0].strip()
        if content:
            out.append(content)
    return out


def at_least(n: int, skip: Callable[[ev.Event], bool] | None = None) -> Callable[..., bool]:
    """A stop condition: ``n`` events have arrived (not counting ``skip``ped ones)."""

    def done(got: list[ev.Event]) -> bool:
        return len([e for e in got if skip is None or not skip(e)]) >= n

    return done


@dataclass
class Step:
    """Write something, then expect the spec's lines (``spec``) to come back."""

    spec: str
    send: bytes | None = None
    before: Callable[[], None] | None = None


class Replay:
    def __init__(self, at: AtClient, substitute: dict[str, str]) -> None:
        self.at = at
        self.substitute = substitute

    def command(self, line: str) -> bytes:
        for old, new in self.substitute.items():
            line = line.replace(old, new)
        return line.encode() + b"\r"

    def setup(self, line: str) -> None:
        self.at.command(line)

    def run(self, steps: list[Step]) -> None:
        for step in steps:
            expected = spec_lines(step.spec)
            if step.before is not None:
                step.before()
            if step.send is not None:
                self.at.write(step.send)
            elif expected[0].startswith("AT"):
                self.at.write(self.command(expected[0]))
            events = self.at.events_until(at_least(len(expected)), 10)
            got = [mask(e.text) for e in events]
            want = [mask(self._sub(x)) for x in expected]
            assert got == want, f"\nspec: {expected}\ngot:  {[e.text for e in events]}"
            assert self.at.quiet(0.05) == [], "more lines than the spec shows"

    def _sub(self, line: str) -> str:
        for old, new in self.substitute.items():
            line = line.replace(old, new)
        return line


@pytest.fixture
def at(sim_pty: str) -> Iterator[AtClient]:
    port = serial.Serial(sim_pty, 115200, timeout=0.1)
    try:
        client = AtClient(port)
        client.write(b"AT\r")  # echo is on, as the module ships (ATE1)
        client.expect("^OK$")
        yield client
    finally:
        port.close()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PushServer:
    """A TCP echo server that can also push data unprompted (chapter 4.1.3)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.sock.settimeout(5)
        self.conn, _ = self.sock.accept()
        self.conn.settimeout(5)

    def push(self, data: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(data)

    def echo(self, size: int) -> None:
        assert self.conn is not None
        got = b""
        while len(got) < size:
            got += self.conn.recv(size - len(got))
        self.conn.sendall(got)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.sock.close()


def test_4_1_tcp_client_in_direct_push_mode(at: AtClient) -> None:
    server = PushServer()
    try:
        replay = Replay(at, {"220.180.239.212": "127.0.0.1", "8062": str(server.port)})
        # 4.1.1 Set up a TCP client connection
        replay.run(
            [
                Step(
                    """
AT+QIOPEN=0,0,"TCP","220.180.239.212",8062,0,1
OK
+QIOPEN: 0,0
"""
                ),
            ]
        )
        server.accept()
        replay.run(
            [
                Step(
                    """
AT+QISTATE=1,0 //Query the connection status of socket service 0.
+QISTATE: 0,"TCP","220.180.239.212",8062,0,2,0,1
OK
"""
                ),
            ]
        )
        # 4.1.2 Send data in direct push mode (the server reads what arrives)
        text_sends = [
            Step(
                """
AT+QICFG="dataformat",0,0 //Configure to send data in Text mode.
OK
"""
            ),
            Step(
                """
AT+QICFG="dataformat" //Query the format in which data is sent.
+QICFG: "dataformat",0,0
OK
"""
            ),
            Step(
                """
AT+QISEND=0,5,"12345" //Send data of which the length is 5 bytes in non-data mode.
OK
SEND OK
"""
            ),
            Step(
                """
AT+QISEND=0 //Send data of variable lengths in data mode.
>
"""
            ),
            Step(
                """
12345 //After ">" is responded, input the data and tap "Ctrl" + "Z" to send it.
OK
SEND OK
""",
                send=b"12345\x1a",
            ),
            Step(
                """
AT+QISEND=0,5
>
"""
            ),
            Step(
                """
12345
OK
SEND OK
""",
                send=b"12345",
            ),
            Step(
                """
AT+QICFG="dataformat",1,0 //Configure to send data in Hex mode.
OK
"""
            ),
            Step(
                """
AT+QICFG="dataformat"
+QICFG: "dataformat",1,0
OK
"""
            ),
            Step(
                """
AT+QISEND=0,5,"3132333435" //Send data of which the length is 5 bytes.
OK
SEND OK
"""
            ),
            Step(
                """
AT+QISEND=0 //Send data of variable lengths.
>
"""
            ),
            Step(
                """
3132333435
OK
SEND OK
""",
                send=b"3132333435\x1a",
            ),
            Step(
                """
AT+QISEND=0,5
>
"""
            ),
            Step(
                """
3132333435
OK
SEND OK
""",
                send=b"3132333435",
            ),
        ]
        replay.run(text_sends)
        assert server.conn is not None
        got = b""
        deadline = time.monotonic() + 5
        while len(got) < 30 and time.monotonic() < deadline:
            got += server.conn.recv(100)
        assert got == b"12345" * 6
        # 4.1.3 Receive data (back to text mode first: §2.2, examples are independent)
        replay.setup('AT+QICFG="dataformat",0,0')
        replay.run(
            [
                Step('AT+QICFG="showRA",1\nOK'),
                Step('AT+QICFG="showRA"\n+QICFG: "showRA",1\nOK'),
                Step(
                    '+QIURC: "recv",0,5,"220.180.239.212",8062,"12345"',
                    before=lambda: server.push(b"12345"),
                    send=b"",
                ),
                Step(
                    """
AT+QISEND=0,12,"012345678901" //Send data to a remote server.
OK
SEND OK
"""
                ),
                Step(
                    '+QIURC: "recv",0,12, "220.180.239.212",8062,"012345678901"',
                    before=lambda: server.echo(12),
                    send=b"",
                ),
                # 4.1.4 Close a connection
                Step("AT+QICLOSE=0\nOK\nCLOSE OK"),
            ]
        )
    finally:
        server.close()


def test_4_2_udp_service_in_direct_push_mode(at: AtClient, peers: Peers) -> None:
    assert peers.udp_echo is not None
    local = free_port(socket.SOCK_DGRAM)
    replay = Replay(
        at,
        {
            "220.180.239.212": peers.udp_echo[0],
            "8196": str(peers.udp_echo[1]),
            "1234,1": f"{local},1",
        },
    )
    replay.run(
        [
            # 4.2.1
            Step(
                """
AT+QIOPEN=0,0,"UDP SERVICE","127.0.0.1",1,1234,1
OK
+QIOPEN: 0,0
"""
            ),
            Step(
                """
AT+QISTATE=1,0 //Query the connection status of a UDP service whose socket ID is 0.
+QISTATE: 0,"UDP SERVICE","127.0.0.1",1,1234,2,0,1
OK
"""
            ),
        ]
    )
    # 4.2.2: the UDP echo peer sends each datagram back; collect those URCs apart.
    sends = [
        ('AT+QISEND=0,"220.180.239.212",8196,10,"1234567890"\nOK\nSEND OK', None),
        ('AT+QISEND=0,"220.180.239.212",8196\n>', None),
        ("1234567890\nOK\nSEND OK", b"1234567890\x1a"),
        ('AT+QISEND=0,"220.180.239.212",8196,10\n>', None),
        ("1234567890\nOK\nSEND OK", b"1234567890"),
    ]
    echoes = 0
    for spec, data in sends:
        expected = spec_lines(spec)
        at.write(data if data is not None else replay.command(expected[0]))
        events = at.events_until(at_least(len(expected), skip=_echoed))
        echoes += len([e for e in events if _echoed(e)])
        got = [mask(e.text) for e in events if not _echoed(e)]
        assert got == [mask(replay._sub(x)) for x in expected]
    # 4.2.3 Receive data from a UDP client (first drain the three echoes).
    if echoes < 3:
        more = at.events_until(lambda got: len(got) >= 3 - echoes)
        assert all(_echoed(e) for e in more)
    replay.run(
        [
            Step(
                '+QIURC: "recv",0,5,"220.180.239.212",8196,"12345"',
                before=lambda: peers.udp_send(b"12345", ("127.0.0.1", local)),
                send=b"",
            ),
            Step(
                """
AT+QISEND=0, "220.180.239.212",8196,12,"012345678901" //Send data to a UDP client.
OK
SEND OK
+QIURC: "recv",0,12, "220.180.239.212",8196,"012345678901"
"""
            ),
            # 4.2.4
            Step("AT+QICLOSE=0\nOK\nCLOSE OK"),
        ]
    )


def _echoed(event: ev.Event) -> bool:
    """A recv URC carrying the UDP echo peer's answer to one of 4.2.2's sends."""
    return isinstance(event, ev.QiUrcRecv) and event.data == b"1234567890"


def test_4_3_tcp_server_in_direct_push_mode(at: AtClient) -> None:
    port = free_port()
    replay = Replay(at, {"192.168.4.26": "127.0.0.1", "5000,1": f"{port},1"})
    client: socket.socket | None = None

    def connect() -> None:
        nonlocal client
        client = socket.create_connection(("127.0.0.1", port), timeout=5)

    try:
        replay.run(
            [
                # 4.3.1
                Step(
                    """
AT+QIOPEN=0,0,"TCP LISTENER","192.168.4.26",0,5000,1 //Context is 0 and <connectID> is 0.
OK
+QIOPEN: 0,0
"""
                ),
                Step(
                    """
AT+QISTATE=0,0 //Query the connection status of socket service 0.
+QISTATE: 0,"TCP LISTENER","192.168.4.26",0,5000,2,0,1
OK
"""
                ),
                Step('+QIURC: "incoming",1,0,"192.168.4.30",34835', before=connect, send=b""),
                Step(
                    """
AT+QISTATE? //Query the connection status of all Connect ID.
+QISTATE: 0,"TCP LISTENER","192.168.4.26",0,5000,2,0,1
+QISTATE: 1,"TCP INCOMING","192.168.4.30",34835,5000,2,0,1
OK
"""
                ),
                # 4.3.2
                Step('AT+QISEND=1,10,"1234567890"\nOK\nSEND OK'),
                Step("AT+QISEND=1\n>"),
                Step("1234567890\nOK\nSEND OK", send=b"1234567890\x1a"),
                Step("AT+QISEND=1,10\n>"),
                Step("1234567890\nOK\nSEND OK", send=b"1234567890"),
            ]
        )
        assert client is not None
        got = b""
        deadline = time.monotonic() + 5
        while len(got) < 30 and time.monotonic() < deadline:
            got += client.recv(100)
        assert got == b"1234567890" * 3
        assert client is not None
        sender = client
        replay.run(
            [
                # 4.3.3
                Step(
                    '+QIURC: "recv",1,10,"1234567890"',
                    before=lambda: sender.sendall(b"1234567890"),
                    send=b"",
                ),
                # 4.3.4
                Step("AT+QICLOSE=0\nOK\nCLOSE OK"),
                Step("AT+QISTATE?\nOK"),
            ]
        )
    finally:
        if client is not None:
            client.close()


DNS_SETUP = """
AT+QIDNSCFG=0,"218.2.2.2","8.8.8.8" //Configure DNS server addresses.
OK
"""
DNS_QUERY = """
AT+QIDNSCFG=0
+QIDNSCFG: 0,"218.2.2.2","8.8.8.8"
OK
"""


def test_4_4_ping_a_remote_server(at: AtClient) -> None:
    # Both DNS servers are the loopback DNS peer (the module's dns_port points there).
    replay = Replay(at, {"218.2.2.2": "127.0.0.1", "8.8.8.8": "127.0.0.1"})
    replay.run(
        [
            Step(DNS_SETUP),
            Step(DNS_QUERY),
            Step(
                """
AT+QPING=0,"iot.quectel.com" //Ping the remote server iot.quectel.com.
OK
+QPING: 0,"47.100.63.174",32,560,88
+QPING: 0,"47.100.63.174",32,220,88
+QPING: 0,"47.100.63.174",32,230,88
+QPING: 0,"47.100.63.174",32,280,88
+QPING: 0,4,4,0,220,560,322
"""
            ),
        ]
    )


def test_4_5_synchronize_local_time_through_ntp(at: AtClient) -> None:
    replay = Replay(at, {"218.2.2.2": "127.0.0.1", "8.8.8.8": "127.0.0.1"})
    replay.run(
        [
            Step(DNS_SETUP),
            Step(DNS_QUERY),
            Step(
                """
AT+QNTP=0,"ntp5.aliyun.com" //Synchronize local time with the time on the NTP server
OK
+QNTP: 0,"2019/06/11,11:08:20"
"""
            ),
        ]
    )


def test_4_6_and_4_7_configure_dns_and_get_an_address(at: AtClient) -> None:
    replay = Replay(at, {"218.2.2.2": "127.0.0.1", "8.8.8.8": "127.0.0.1"})
    replay.run(
        [
            Step(DNS_SETUP),
            Step(DNS_QUERY),
            Step(
                """
AT+QIDNSGIP=0,"www.baidu.com"
OK
+QIDNSGIP: 0,1,0
+QIDNSGIP: 14.215.177.39
"""
            ),
        ]
    )


def test_the_mask_keeps_what_must_match() -> None:
    """The comparison must still fail on a wrong state, count or keyword."""
    spec = '+QISTATE: 0,"TCP","220.180.239.212",8062,0,2,0,1'
    assert mask(spec) == mask('+QISTATE: 0,"TCP","127.0.0.1",40001,51234,2,0,1')
    assert mask(spec) != mask('+QISTATE: 0,"TCP","127.0.0.1",40001,51234,4,0,1')
    assert mask(spec) != mask('+QISTATE: 0,"UDP","127.0.0.1",40001,51234,2,0,1')
    summary = "+QPING: 0,4,4,0,220,560,322"
    assert mask(summary) == mask("+QPING: 0,4,4,0,0,1,0")
    assert mask(summary) != mask("+QPING: 0,4,3,1,0,1,0")
