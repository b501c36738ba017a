"""Probes of the socket commands (spec §2.3.1-2.3.4), their URCs (§2.4) and the
socket flows of chapter 4 (4.1 TCP client, 4.2 UDP SERVICE, 4.3 TCP server).

The TCP client flow carries most probes: one connection to an echo peer is
opened (AT+QIOPEN), listed (AT+QISTATE), written to in every way AT+QISEND
knows (inline, data mode ended by Ctrl-Z, by Esc and by its length, hex), its
echoes read back (+QIURC: "recv") and closed (AT+QICLOSE).
"""

from __future__ import annotations

import re
import socket

from app.check.expect import Field as F
from app.check.expect import any_of, body, integer, lit, rng, unquote
from app.check.net import Network
from app.check.specs import SPECS, specs
from app.check.suite import URC_WAIT_S, Suite
from app.protocol import commands as c
from app.protocol.commands import ESC, SendMode

NO_TCP_PEER = (
    "no TCP echo peer the module can reach: the default loopback peers serve only a "
    "module on this machine (name one with --tcp-echo HOST:PORT)"
)
NO_UDP_PEER = "no UDP echo peer the module can reach (name one with --udp-echo HOST:PORT)"
NO_INBOUND = (
    "a TCP LISTENER test connects from this machine to the module: only for a module "
    "on this machine, or with --inbound"
)
RECV = re.compile(r'^\+QIURC: "recv",(\d+),(\d+),(?:"([^"]*)",(\d+),)?(.*)$', re.S)

TCP_SPECS = [
    "qistate.read", "qistate.by_context", "qistate.by_connect", "qistate.row.fields",
    "qistate.row.order", "qiopen.used", "qisend.inline", "urc.recv", "data.ctrl_z",
    "data.prompt", "data.fixed", "data.esc", "qisend.hex", "urc.recv.hex",
    "urc.recv.showra", "qisend.query", "qisend.params", "flow.4.1", "qiclose.write",
]  # fmt: skip


def parse_recv(text: str) -> tuple[int, int, str | None, int | None, str] | None:
    """``+QIURC: "recv",...`` -> (connectID, length, ip or None, port or None, data)."""
    m = RECV.match(text)
    if m is None:
        return None
    data = m[5]
    inner = unquote(data)
    return (
        int(m[1]),
        int(m[2]),
        m[3],
        int(m[4]) if m[4] is not None else None,
        inner if inner is not None else data,
    )


def test_forms(s: Suite) -> None:
    s.test_form(
        SPECS["qiopen.test"],
        "AT+QIOPEN=?",
        "+QIOPEN",
        [
            [
                rng((0, 10)),
                rng((0, 4)),
                lit('"TCP/UDP/TCP LISTENER/UDP SERVICE"'),
                any_of("host"),
                rng((1, 65535)),
                rng((0, 65535)),
                rng(1),
            ]
        ],
    )
    s.test_form(SPECS["qiclose.test"], "AT+QICLOSE=?", "+QICLOSE", [[rng((0, 4))]])
    s.test_form(
        SPECS["qistate.test"],
        "AT+QISTATE=?",
        "+QISTATE",
        [[lit("0"), rng((0, 10))], [lit("1"), rng((0, 4))]],
    )
    # <send_length>: 1-1024 (the query form's 0 may be listed too).
    send_length = F("(1-1024)", pattern=r"\(\s*[01]\s*-\s*1024\s*\)")
    s.test_form(
        SPECS["qisend.test"],
        "AT+QISEND=?",
        "+QISEND",
        [
            [
                rng((0, 4)),
                any_of("remote_ip"),
                any_of("remote_port"),
                send_length,
                any_of("data"),
                rng((0, 2)),
            ]
        ],
    )


def tcp_client(s: Suite) -> None:
    """Chapter 4.1 with every AT+QISEND form; see the module docstring."""
    if s.offline(SPECS["qiopen.tcp"], *specs(*TCP_SPECS)):
        return
    peer = s.net.tcp_echo(s.local)
    if peer is None:
        s.skip(NO_TCP_PEER, SPECS["qiopen.tcp"], *specs(*TCP_SPECS))
        return
    if not Network.tcp_up(peer):
        why = f"the TCP echo peer {peer[0]}:{peer[1]} does not answer from this machine either"
        s.network(why, SPECS["qiopen.tcp"], *specs(*TCP_SPECS))
        return
    before = s.send("AT+QISTATE?")
    opened = s.open(0, "TCP", peer[0], peer[1])
    problem = s.expect_lines(opened, [lambda t: t == "OK", lambda t: t.startswith("+QIOPEN: 0,")])
    result = _open_result(opened, 0)
    if problem is None and result != 0:
        problem = f"result {result} though the peer answers from this machine"
    s.judge(SPECS["qiopen.tcp"], opened.shown, problem)
    if result != 0:
        s.skip("the TCP connection did not open", *specs(*TCP_SPECS))
        s.close_all()
        return
    _listing(s, before.lines, peer)
    used = s.open(0, "TCP", peer[0], peer[1])
    lines = used.lines
    ok = lines in (["OK", "+QIOPEN: 0,563"], ["ERROR"]) or lines == ["+CME ERROR: 563"]
    s.judge(SPECS["qiopen.used"], used.shown, None if ok else "not result 563 nor ERROR")
    sent = _sends(s, peer)
    _query(s, sent)
    s.params(
        SPECS["qisend.params"],
        [
            ('AT+QISEND=5,5,"12345"', "connectID 5, range 0-4"),
            (f'AT+QISEND=0,1025,"{"x" * 1025}"', "1025 bytes, at most 1024 in text mode"),
            ('AT+QISEND=0,4,"12345"', "<send_length> 4 is not the length of <data> (note 2)"),
            ('AT+QISEND=0,5,"12345",3', "rai_mode 3, range 0-2"),
        ],
    )
    closed = s.close(0)
    problem = s.expect_lines(closed, [lambda t: t == "OK", lambda t: t == "CLOSE OK"])
    # Seen once without CLOSE OK: later closes need not wait the whole 5 s for it.
    s.close_ok_missing = "OK" in closed.lines and "CLOSE OK" not in closed.lines
    s.judge(SPECS["qiclose.write"], closed.shown, problem)
    _integrity(s, sent, peer)


def _open_result(reply: object, cid: int) -> int | None:
    for line in getattr(reply, "lines", []):
        fields = body(line, "+QIOPEN")
        if fields and len(fields) == 2 and integer(fields[0]) == cid:
            return integer(fields[1])
    return None


def _listing(s: Suite, before: list[str], peer: tuple[str, int]) -> None:
    """AT+QISTATE in its three forms, on the one connected socket."""
    read = s.send("AT+QISTATE?")
    listed = [line for line in read.lines if line.startswith("+QISTATE:")]
    problem = None
    if before != ["OK"]:
        problem = f"without a socket it printed {' | '.join(before)}"
    elif len(listed) != 1 or read.lines[-1:] != ["OK"]:
        problem = f"{len(listed)} rows for one socket"
    s.judge(SPECS["qistate.read"], f"{' | '.join(before)}; then {read.shown}", problem)
    ctx = s.send("AT+QISTATE=0,0")
    ids = [(body(line, "+QISTATE") or [""])[0] for line in ctx.lines if line.startswith("+")]
    problem = None if ids == ["0"] and ctx.lines[-1:] == ["OK"] else "socket 0 not listed once"
    s.judge(SPECS["qistate.by_context"], ctx.shown, problem)
    one = s.send("AT+QISTATE=1,0")
    rows = [f for line in one.lines if (f := body(line, "+QISTATE")) is not None]
    ok = len(rows) == 1 and rows[0][:1] == ["0"] and one.lines[-1:] == ["OK"]
    s.judge(SPECS["qistate.by_connect"], one.shown, None if ok else "not socket 0's row alone")
    if len(rows) != 1:
        s.skip("no row to read", *specs("qistate.row.fields", "qistate.row.order"))
        return
    row = rows[0]
    shown = "+QISTATE: " + ",".join(row)
    fields_problem = None if len(row) == 8 else f"{len(row)} fields"
    s.judge(SPECS["qistate.row.fields"], shown, fields_problem)
    want = ["0", '"TCP"', f'"{peer[0]}"', str(peer[1]), None, "2", "0", "1"]
    wrong = []
    for i, (got, expected) in enumerate(zip(row, want, strict=False)):
        if expected is None:
            port = integer(got)
            if port is None or not 1 <= port <= 65535:
                wrong.append(f"<local_port> (field 5) is {got}")
        elif got != expected:
            wrong.append(f"field {i + 1} is {got}, not {expected}")
    s.judge(SPECS["qistate.row.order"], shown, "; ".join(wrong) or None)


def _sends(s: Suite, peer: tuple[str, int]) -> list[bytes]:
    """Every way to send on socket 0; returns the payloads the module sent."""
    sent: list[bytes] = []

    def echo_of(payload: bytes, since: int, hex_mode: bool = False) -> str | None:
        digits = payload.hex() if hex_mode else payload.decode()

        def wanted(text: str) -> bool:
            recv = parse_recv(text)
            return recv is not None and recv[0] == 0 and recv[4].lower() == digits.lower()

        urc = s.link.wait_urc(wanted, URC_WAIT_S, since)
        return None if urc is None else urc.event.text

    # Inline text, and its echo.
    payload = b"qiterm check inline"
    mark = s.link.mark()
    reply = s.send(f'AT+QISEND=0,{len(payload)},"{payload.decode()}"')
    problem = s.expect_lines(reply, [lambda t: t == "OK", lambda t: t == "SEND OK"])
    s.judge(SPECS["qisend.inline"], reply.shown, problem)
    if "SEND OK" in reply.lines:
        sent.append(payload)
    echo = echo_of(payload, mark)
    want = f'+QIURC: "recv",0,{len(payload)},"{payload.decode()}"'
    recv = parse_recv(echo) if echo else None
    ok = recv is not None and recv[1] == len(payload) and recv[2] is None
    s.judge(SPECS["urc.recv"], echo or "no echo came back", None if ok else f"not {want}")

    # Data mode: Ctrl-Z (and the prompt), its length, Esc.
    payload = b"qiterm check ctrl-z"
    mark = s.link.mark()
    reply = s.link.send(c.qisend(0, payload, hex_format=False, mode=SendMode.VARIABLE))
    s.note_time(reply)
    problem = s.expect_lines(
        reply, [lambda t: t == ">", lambda t: t == "OK", lambda t: t == "SEND OK"]
    )
    s.judge(SPECS["data.ctrl_z"], reply.shown, problem)
    prompt = reply.prompt()
    if prompt is None:
        s.judge(SPECS["data.prompt"], reply.shown, "no prompt")
    else:
        raw = prompt.event.raw
        s.judge(SPECS["data.prompt"], repr(raw), None if raw == b"\r\n>" else "not <CR><LF>>")
    if "SEND OK" in reply.lines:
        sent.append(payload)
    echo_of(payload, mark)

    # Esc: nothing is sent. Whatever reached the peer would come before the next
    # send's bytes (one TCP stream), so the next echo tells.
    cancelled = b"qiterm check never sent"
    own = s.net.own_peers(peer)
    received = len(own.tcp_received) if own is not None else 0
    reply = s.link.send(c.classify("AT+QISEND=0").with_payload(cancelled, ESC))
    s.note_time(reply)
    after = s.send("AT")
    esc = f"{reply.shown}; AT: {after.shown}"
    wrong = []
    if "SEND OK" in reply.lines:
        wrong.append("SEND OK")
    if after.lines != ["OK"]:
        wrong.append(f"AT then got {after.shown}")

    payload = b"qiterm check fixed"
    mark = s.link.mark()
    reply = s.link.send(c.qisend(0, payload, hex_format=False, mode=SendMode.FIXED))
    s.note_time(reply)
    problem = s.expect_lines(
        reply, [lambda t: t == ">", lambda t: t == "OK", lambda t: t == "SEND OK"]
    )
    s.judge(SPECS["data.fixed"], reply.shown, problem)
    if "SEND OK" in reply.lines:
        sent.append(payload)
    fixed_echo = echo_of(payload, mark)
    if own is not None and cancelled in own.tcp_received[received:]:
        wrong.append("the peer got the cancelled payload")
    elif own is None and fixed_echo is not None and cancelled.decode() in fixed_echo:
        wrong.append("the cancelled payload came back from the peer")
    s.judge(SPECS["data.esc"], esc, "; ".join(wrong) or None)

    # Hex (dataformat 1,1) and its echo in hex.
    payload = b"\x01\x02qi\xfe\xff"
    s.send('AT+QICFG="dataformat",1,1')
    mark = s.link.mark()
    reply = s.send(f'AT+QISEND=0,{len(payload)},"{payload.hex().upper()}"')
    got_send_ok = "SEND OK" in reply.lines
    wrong = [] if got_send_ok else ["no SEND OK"]
    if got_send_ok:
        sent.append(payload)
    echo = echo_of(payload, mark, hex_mode=True)
    if own is not None and not own.tcp_received.endswith(payload):
        wrong.append("the peer did not get those bytes")
    s.judge(SPECS["qisend.hex"], reply.shown, "; ".join(wrong) or None)
    recv = parse_recv(echo) if echo else None
    ok = recv is not None and recv[1] == len(payload) and recv[2] is None
    s.judge(SPECS["urc.recv.hex"], echo or "no echo came back", None if ok else "not that layout")
    s.send('AT+QICFG="dataformat",0,0')

    # showRA=1: the sender's address in the URC.
    payload = b"qiterm check showra"
    s.send('AT+QICFG="showRA",1')
    mark = s.link.mark()
    reply = s.send(f'AT+QISEND=0,{len(payload)},"{payload.decode()}"')
    if "SEND OK" in reply.lines:
        sent.append(payload)
    echo = echo_of(payload, mark)
    recv = parse_recv(echo) if echo else None
    ok = recv is not None and (recv[2], recv[3]) == (peer[0], peer[1]) and recv[1] == len(payload)
    want = f'"{peer[0]}",{peer[1]} before the data'
    s.judge(SPECS["urc.recv.showra"], echo or "no echo came back", None if ok else f"not {want}")
    s.send('AT+QICFG="showRA",0')
    return sent


def _query(s: Suite, sent: list[bytes]) -> None:
    reply = s.send("AT+QISEND=0,0")
    rows = [f for line in reply.lines if (f := body(line, "+QISEND")) is not None]
    total = sum(len(p) for p in sent)
    problem = None
    if len(rows) != 1 or reply.lines[-1:] != ["OK"] or len(rows[0]) != 3:
        problem = "not one +QISEND: <sent>,<acked>,<nAcked> line then OK"
    else:
        numbers = [integer(f) for f in rows[0]]
        if None in numbers:
            problem = "not three numbers"
        elif numbers[0] != total:
            problem = f"<sent> is {numbers[0]}, {total} bytes were sent"
        elif (numbers[1] or 0) + (numbers[2] or 0) != numbers[0]:
            problem = "<acked> + <nAcked> is not <sent>"
    s.judge(SPECS["qisend.query"], reply.shown, problem)


def _integrity(s: Suite, sent: list[bytes], peer: tuple[str, int]) -> None:
    after = s.send("AT+QISTATE=1,0")
    wrong = []
    if any(line.startswith("+QISTATE:") for line in after.lines):
        wrong.append("socket 0 still listed after AT+QICLOSE")
    own = s.net.own_peers(peer)
    if own is not None and not own.tcp_received.endswith(b"".join(sent)):
        wrong.append("the peer did not get the bytes sent, in order")
    got_text = f"{len(sent)} sends, {sum(len(p) for p in sent)} bytes; then {after.shown}"
    s.judge(SPECS["flow.4.1"], got_text, "; ".join(wrong) or None)


def closed_urc(s: Suite) -> None:
    """§2.4.1: the loopback echo peer closes the connection."""
    if s.offline(SPECS["urc.closed"]):
        return
    peer = s.net.tcp_echo(s.local)
    if not s.local or peer is None or s.net.peers is None or s.net.tcp_echo(False):
        s.skip("needs the check's own loopback TCP peer, which it can close", SPECS["urc.closed"])
        return
    peers = s.net.peers
    peers.wait_tcp_clients(0, URC_WAIT_S)  # the connections before this one are gone
    opened = s.open(1, "TCP", peer[0], peer[1])
    if _open_result(opened, 1) != 0:
        s.skip(f"the TCP connection did not open ({opened.shown})", SPECS["urc.closed"])
        s.close_all()
        return
    # The module may report it open before the peer has taken the connection.
    if not peers.wait_tcp_clients(1, URC_WAIT_S):
        s.skip("the peer never had the module's connection alone", SPECS["urc.closed"])
        s.close(1)
        return
    mark = s.link.mark()
    peers.close_tcp_clients()
    urc = s.link.wait_urc(lambda t: t.startswith('+QIURC: "closed"'), URC_WAIT_S, mark)
    state = s.send("AT+QISTATE=1,1")
    row = next((f for line in state.lines if (f := body(line, "+QISTATE")) is not None), [])
    wrong = []
    if urc is None:
        wrong.append("no URC")
    elif urc.event.text != '+QIURC: "closed",1':
        wrong.append(f"{urc.event.text!r}")
    if len(row) < 6 or row[5] not in ("3", "4"):
        wrong.append(f"<socket_state> then {row[5] if len(row) > 5 else 'unknown'}")
    got = f"{urc.event.text if urc else 'no URC'}; then {state.shown}"
    s.judge(SPECS["urc.closed"], got, "; ".join(wrong) or None)
    s.close(1)


def refused_open(s: Suite) -> None:
    """Chapter 3's 566: a loopback port nobody listens on (checked from here first)."""
    if s.offline(SPECS["qiopen.refused"]):
        return
    if not s.local:
        s.skip("needs a loopback port the module can reach", SPECS["qiopen.refused"])
        return
    port = Network.closed_port()
    reply = s.open(2, "TCP", "127.0.0.1", port)
    result = _open_result(reply, 2)
    if result == 0 and Network.tcp_up(("127.0.0.1", port)):
        s.network(f"port {port} started to answer during the test", SPECS["qiopen.refused"])
    else:
        problem = s.expect_lines(reply, [lambda t: t == "OK", lambda t: t == "+QIOPEN: 2,566"])
        s.judge(SPECS["qiopen.refused"], reply.shown, problem)
    s.close(2)  # §2.3.1 note 3: close a socket that failed to open


def parameter_errors(s: Suite) -> None:
    port = s.net.tcp_echo(s.local)
    p = port[1] if port else 7
    s.params(
        SPECS["qiopen.params"],
        [
            (f'AT+QIOPEN=0,5,"TCP","127.0.0.1",{p},0,1', "connectID 5, range 0-4"),
            (f'AT+QIOPEN=11,0,"TCP","127.0.0.1",{p},0,1', "contextID 11, range 0-10"),
            ('AT+QIOPEN=0,0,"TCP","127.0.0.1",0,0,1', "remote_port 0, range 1-65535"),
            ('AT+QIOPEN=0,0,"TCP","127.0.0.1",65536,0,1', "remote_port 65536"),
            (f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{p},65536,1', "local_port 65536, 0-65535"),
            (f'AT+QIOPEN=0,0,"SCTP","127.0.0.1",{p},0,1', "service_type SCTP"),
            ('AT+QIOPEN=0,0,"TCP LISTENER","127.0.0.1",0,0,1', "a LISTENER needs local_port"),
        ],
    )
    s.params(SPECS["qiclose.params"], [("AT+QICLOSE=5", "connectID 5, range 0-4")])
    s.params(
        SPECS["qistate.params"],
        [
            ("AT+QISTATE=2,0", "query_type 2: 0 or 1"),
            ("AT+QISTATE=1,5", "connectID 5, range 0-4"),
            ("AT+QISTATE=0,11", "contextID 11, range 0-10"),
        ],
    )


def udp_service(s: Suite) -> None:
    """Chapter 4.2: a UDP SERVICE on a local port, a datagram to the echo peer and back."""
    ids = ("qisend.udp", "urc.recv.udp", "flow.4.2")
    if s.offline(*specs(*ids)):
        return
    peer = s.net.udp_echo(s.local)
    if peer is None:
        s.skip(NO_UDP_PEER, *specs(*ids))
        return
    if not Network.udp_up(peer):
        why = f"the UDP echo peer {peer[0]}:{peer[1]} does not answer from this machine either"
        s.network(why, *specs(*ids))
        return
    local = Network.free_port(socket.SOCK_DGRAM)
    opened = s.open(2, "UDP SERVICE", s.module_ip or "127.0.0.1", 1, local)
    if _open_result(opened, 2) != 0:
        s.judge(SPECS["flow.4.2"], opened.shown, "the UDP SERVICE did not open")
        s.skip("the UDP SERVICE did not open", *specs("qisend.udp", "urc.recv.udp"))
        s.close_all()
        return
    row = s.send("AT+QISTATE=1,2")
    payload = b"qiterm check udp"
    mark = s.link.mark()
    own = s.net.own_peers(peer)
    count = len(own.udp_received) if own is not None else 0
    reply = s.send(f'AT+QISEND=2,"{peer[0]}",{peer[1]},{len(payload)},"{payload.decode()}"')
    problem = s.expect_lines(reply, [lambda t: t == "OK", lambda t: t == "SEND OK"])
    s.judge(SPECS["qisend.udp"], reply.shown, problem)

    def wanted(text: str) -> bool:
        recv = parse_recv(text)
        return recv is not None and recv[0] == 2 and recv[4] == payload.decode()

    urc = s.link.wait_urc(wanted, URC_WAIT_S, mark)
    recv = parse_recv(urc.event.text) if urc else None
    ok = recv is not None and (recv[2], recv[3]) == peer and recv[1] == len(payload)
    want = f'"{peer[0]}",{peer[1]} before the data'
    s.judge(
        SPECS["urc.recv.udp"], urc.event.text if urc else "nothing came back", None if ok else want
    )
    s.close(2)
    after = s.send("AT+QISTATE=1,2")
    wrong = []
    if not any('"UDP SERVICE"' in line and str(local) in line for line in row.lines):
        wrong.append(f"not listed as UDP SERVICE on port {local}: {row.shown}")
    if own is not None:
        got = own.udp_received[count:]
        if not any(data == payload and addr[1] == local for data, addr in got):
            wrong.append(f"the peer did not get the datagram from port {local}")
    if urc is None:
        wrong.append("no reply came back")
    if any(line.startswith("+QISTATE:") for line in after.lines):
        wrong.append("still listed after AT+QICLOSE")
    s.judge(SPECS["flow.4.2"], f"{row.shown}; then {after.shown}", "; ".join(wrong) or None)


def tcp_server(s: Suite) -> None:
    """Chapter 4.3: a TCP LISTENER, a client from this machine, data both ways."""
    if s.offline(*specs("urc.incoming", "flow.4.3")):
        return
    if not (s.local or s.net.options.inbound) or not s.module_ip:
        s.skip(NO_INBOUND, *specs("urc.incoming", "flow.4.3"))
        return
    local = Network.free_port()
    opened = s.open(3, "TCP LISTENER", s.module_ip, 0, local)
    if _open_result(opened, 3) != 0:
        s.judge(SPECS["flow.4.3"], opened.shown, "the TCP LISTENER did not open")
        s.skip("the TCP LISTENER did not open", SPECS["urc.incoming"])
        s.close_all()
        return
    mark = s.link.mark()
    wrong: list[str] = []
    try:
        with Network.client((s.module_ip, local)) as client:
            cport = client.getsockname()[1]
            urc = s.link.wait_urc(lambda t: t.startswith('+QIURC: "incoming"'), URC_WAIT_S, mark)
            fields = body(urc.event.text, "+QIURC") if urc else None
            want = ['"incoming"', None, "3", f'"{client.getsockname()[0]}"', str(cport)]
            ok = fields is not None and len(fields) == 5
            if ok and fields is not None:
                cid = integer(fields[1])
                ok = cid is not None and 0 <= cid <= 4 and cid != 3
                ok = ok and all(w is None or f == w for f, w in zip(fields, want, strict=True))
            text = urc.event.text if urc else "no URC"
            s.judge(SPECS["urc.incoming"], text, None if ok else "not that layout")
            wrong += _serve(s, client)
    except OSError as exc:
        wrong.append(f"cannot connect from this machine: {exc}")
    s.close(3)
    after = s.send("AT+QISTATE?")
    if any(line.startswith("+QISTATE:") for line in after.lines):
        wrong.append(f"sockets left after closing the server: {after.shown}")
    s.judge(SPECS["flow.4.3"], after.shown, "; ".join(wrong) or None)


def _serve(s: Suite, client: socket.socket) -> list[str]:
    """The rows, then data both ways on the accepted connection."""
    wrong = []
    rows = [f for line in s.send("AT+QISTATE?").lines if (f := body(line, "+QISTATE")) is not None]
    types = {f[1]: f[0] for f in rows if len(f) > 1}
    if '"TCP LISTENER"' not in types or '"TCP INCOMING"' not in types:
        return [f"rows {sorted(types)}, not a LISTENER and an INCOMING one"]
    cid = types['"TCP INCOMING"']
    payload = b"qiterm check server"
    s.send(f'AT+QISEND={cid},{len(payload)},"{payload.decode()}"')
    client.settimeout(URC_WAIT_S)
    got = b""
    try:
        while len(got) < len(payload):
            chunk = client.recv(1024)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    if got != payload:
        wrong.append(f"the client got {got!r}, not {payload!r}")
    mark = s.link.mark()
    client.sendall(b"qiterm client")
    urc = s.link.wait_urc(
        lambda t: (r := parse_recv(t)) is not None and r[4] == "qiterm client", URC_WAIT_S, mark
    )
    recv = parse_recv(urc.event.text) if urc is not None else None
    if recv is None:
        wrong.append("the client's data did not come back as a recv URC")
    elif str(recv[0]) != cid:
        wrong.append(f"the client's data came on another socket: {recv[0]}")
    return wrong


__all__ = [
    "closed_urc",
    "parameter_errors",
    "refused_open",
    "tcp_client",
    "tcp_server",
    "test_forms",
    "udp_service",
]
