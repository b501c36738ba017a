"""Frame -> event. Never raises: a line that fits no known shape becomes a
generic event (InfoResponse, TextLine, QiUrcOther), never an exception.

The lines a busy session is mostly made of (final results such as OK, echoed
commands, +QISTATE rows, +QPING replies) are recognised first by their exact
bytes or a compiled pattern, straight into their event; anything else, and any
variation of those (stray spaces, lower case, odd quoting), takes the general
path, which gives the same event for what the fast paths take.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.protocol import events as ev
from app.protocol.framing import RECV_MARKER, Frame, FrameKind
from app.protocol.parse_cellular import HANDLERS as CELLULAR_HANDLERS
from app.protocol.syntax import Arg, AtSyntaxError, parse_int, split_fields
from app.protocol.text import decode_field


def parse_frame(frame: Frame) -> ev.Event:
    try:
        raw, line = frame.raw, frame.line
        kind = frame.kind
        if kind is _RECV:
            h = frame.recv
            assert h is not None and frame.payload is not None
            return ev.QiUrcRecv(
                raw=raw,
                line=line,
                connect_id=h.connect_id,
                current_recv_length=h.current_recv_length,
                recv_ip=h.recv_ip,
                recv_port=h.recv_port,
                data=frame.payload,
                hex_payload=h.hex_payload,
            )
        if kind is _PROMPT:
            return ev.Prompt(raw=raw, line=line)
        if frame.truncated or frame.continued or (frame.unterminated and line):
            if line.startswith(RECV_MARKER) and not frame.truncated and not frame.continued:
                return _recv_by_line(frame)
            return ev.OverlongLine(
                raw=raw,
                line=line,
                continued=frame.continued,
                truncated=frame.truncated,
                unterminated=frame.unterminated,
            )
        if not line:
            return ev.BlankLines(raw=raw, line=line)
        # Fast paths: the usual lines, by their bytes (see above).
        simple = _SIMPLE_LINES.get(line)
        if simple is not None:
            return simple(raw=raw, line=line)
        if line[0] == _PLUS:
            if line.startswith(RECV_MARKER):
                return _recv_by_line(frame)
            fast = _FAST.get(line[: line.find(b":") + 1])
            if fast is not None:
                event = fast(raw, line)
                if event is not None:
                    return event
        elif line[:2].upper() == b"AT":
            return ev.CommandLineEcho(raw=raw, line=line, command=decode_field(line).strip())
        return _parse_text(raw, line)
    except Exception:
        return ev.TextLine(raw=frame.raw, line=frame.line)


def parse_line(line: bytes) -> ev.Event:
    """Parse one line of text (no terminator); handy for tests and the simulator."""
    return parse_frame(Frame(FrameKind.LINE, line + b"\r\n", line))


def _parse_text(raw: bytes, line: bytes) -> ev.Event:
    """The general path for a line of text."""
    text = decode_field(line).strip()
    simple = _SIMPLE.get(text)
    if simple is not None:
        return simple(raw=raw, line=line)
    upper = text[:2].upper()
    if upper == "AT":
        return ev.CommandLineEcho(raw=raw, line=line, command=text)
    if text.startswith("+CME ERROR:"):
        detail = text[len("+CME ERROR:") :].strip()
        code = parse_int(detail)
        return ev.CmeError(raw=raw, line=line, code=code, message=detail)
    if text.startswith("+") and ":" in text:
        name, _, body = text.partition(":")
        name = name.strip().upper()
        body = body.strip()
        if "(" in body and (body.startswith("(") or ",(" in body.replace(" ", "")):
            return ev.TestResponse(raw=raw, line=line, name=name, body=body)
        handler = _HANDLERS.get(name)
        if handler is not None:
            try:
                fields = _split(body)
                result = handler(raw, line, body, fields)
            except (AtSyntaxError, ValueError, IndexError):
                result = None
            if result is not None:
                return result
        return ev.InfoResponse(raw=raw, line=line, name=name, body=body)
    return ev.TextLine(raw=raw, line=line)


_RECV = FrameKind.RECV
_PROMPT = FrameKind.PROMPT
_PLUS = 0x2B

_SIMPLE: dict[str, Callable[..., ev.Event]] = {
    "OK": ev.Ok,
    "ERROR": ev.Error,
    "SEND OK": ev.SendOk,
    "SEND FAIL": ev.SendFail,
    "CLOSE OK": ev.CloseOk,
    "RDY": ev.Rdy,
}
#: The same lines by their exact bytes, looked up before anything is decoded.
_SIMPLE_LINES = {text.encode("ascii"): event for text, event in _SIMPLE.items()}

# -- fast paths: whole lines in their usual form, matched as bytes ---------------
#
# Each pattern takes only lines the general path reads the same way: one space
# after the colon, no spaces around fields, decimal integers of at most nine
# digits, and quoted strings of printable ASCII without '"' or '(' (so the
# test-response check cannot fire). A line a pattern does not take goes on to
# the general path.

_INT = rb"([0-9]{1,9})"
_STR = rb'"([\x20\x21\x23-\x27\x29-\x7e]*)"'


def _line_pattern(name: bytes, *fields: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(name) + b": " + b",".join(fields))


_QISTATE_ROW = _line_pattern(b"+QISTATE", _INT, _STR, _STR, _INT, _INT, _INT, _INT, _INT)
_QPING_REPLY = _line_pattern(b"+QPING", _INT, _STR, _INT, _INT, _INT)
_QPING_SUMMARY = _line_pattern(b"+QPING", _INT, _INT, _INT, _INT, _INT, _INT, _INT)
_QPING_RESULT = _line_pattern(b"+QPING", _INT)


def _fast_qistate(raw: bytes, line: bytes) -> ev.Event | None:
    m = _QISTATE_ROW.fullmatch(line)
    if m is None:
        return None
    return ev.QiStateRow(
        raw=raw,
        line=line,
        connect_id=int(m[1]),
        service_type=m[2].decode("ascii"),
        host=m[3].decode("ascii"),
        remote_port=int(m[4]),
        local_port=int(m[5]),
        socket_state=int(m[6]),
        context_id=int(m[7]),
        access_mode=int(m[8]),
    )


def _fast_qping(raw: bytes, line: bytes) -> ev.Event | None:
    m = _QPING_REPLY.fullmatch(line)
    if m is not None:
        return ev.QPingReply(
            raw=raw,
            line=line,
            result=int(m[1]),
            ip_address=m[2].decode("ascii"),
            bytes=int(m[3]),
            time=int(m[4]),
            ttl=int(m[5]),
        )
    m = _QPING_SUMMARY.fullmatch(line)
    if m is not None:
        n = [int(g) for g in m.groups()]
        return ev.QPingSummary(
            raw=raw,
            line=line,
            finresult=n[0],
            sent=n[1],
            rcvd=n[2],
            lost=n[3],
            min=n[4],
            max=n[5],
            avg=n[6],
        )
    m = _QPING_RESULT.fullmatch(line)
    if m is not None:
        return ev.QPingResult(raw=raw, line=line, result=int(m[1]))
    return None


#: Fast paths by the line's start up to its first colon.
_FAST: dict[bytes, Callable[[bytes, bytes], ev.Event | None]] = {
    b"+QISTATE:": _fast_qistate,
    b"+QPING:": _fast_qping,
}

Handler = Callable[[bytes, bytes, str, list[Arg]], ev.Event | None]


def _split(body: str) -> list[Arg]:
    """:func:`split_fields` for the usual bodies, without its loop over characters:
    when every comma-separated piece is either free of quotes or exactly one quoted
    string, the pieces are the fields. Anything else goes to :func:`split_fields`."""
    if not body:
        return []
    pieces = body.split(",")
    if '"' not in body:
        return [Arg(piece.strip()) for piece in pieces]
    fields: list[Arg] = []
    for piece in pieces:
        if '"' not in piece:
            fields.append(Arg(piece.strip()))
        elif len(piece) >= 2 and piece[0] == piece[-1] == '"' and piece.count('"') == 2:
            fields.append(Arg(piece[1:-1], quoted=True))
        else:
            return split_fields(body)
    return fields


def _int(arg: Arg) -> int:
    value = arg.as_int()
    if value is None:
        raise ValueError(f"not an integer: {arg.text!r}")
    return value


def _opt_int(arg: Arg) -> int | None:
    return None if arg.omitted else _int(arg)


def _qiopen(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) != 2:
        return None
    return ev.QiOpenResult(raw=raw, line=line, connect_id=_int(f[0]), result=_int(f[1]))


def _qistate(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) != 8:
        return None
    return ev.QiStateRow(
        raw=raw,
        line=line,
        connect_id=_int(f[0]),
        service_type=f[1].text,
        host=f[2].text,
        remote_port=_int(f[3]),
        local_port=_int(f[4]),
        socket_state=_int(f[5]),
        context_id=_int(f[6]),
        access_mode=_int(f[7]),
    )


def _qisend(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) != 3:
        return None
    return ev.QiSendCounts(raw=raw, line=line, sent=_int(f[0]), acked=_int(f[1]), nacked=_int(f[2]))


def _qping(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) == 1:
        return ev.QPingResult(raw=raw, line=line, result=_int(f[0]))
    if len(f) == 5 and f[1].quoted:
        return ev.QPingReply(
            raw=raw,
            line=line,
            result=_int(f[0]),
            ip_address=f[1].text,
            bytes=_int(f[2]),
            time=_int(f[3]),
            ttl=_int(f[4]),
        )
    if len(f) == 7:
        n = [_int(a) for a in f]
        return ev.QPingSummary(
            raw=raw,
            line=line,
            finresult=n[0],
            sent=n[1],
            rcvd=n[2],
            lost=n[3],
            min=n[4],
            max=n[5],
            avg=n[6],
        )
    return None


def _qntp(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) == 1:
        return ev.QNtpResult(raw=raw, line=line, result=_int(f[0]))
    if len(f) == 2:
        return ev.QNtpResult(raw=raw, line=line, result=_int(f[0]), time=f[1].text)
    if len(f) == 3 and not f[1].quoted:
        # An unquoted "YY/MM/DD,hh:mm:ss" splits at its comma.
        return ev.QNtpResult(raw=raw, line=line, result=_int(f[0]), time=f"{f[1].text},{f[2].text}")
    return None


def _qidnsgip(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) == 3:
        return ev.QiDnsGipHeader(
            raw=raw,
            line=line,
            result=_int(f[0]),
            ip_count=_opt_int(f[1]),
            dns_ttl=_opt_int(f[2]),
        )
    if len(f) == 1:
        value = f[0].as_int()
        if value is not None and not f[0].quoted:
            return ev.QiDnsGipHeader(raw=raw, line=line, result=value)
        return ev.QiDnsGipAddress(raw=raw, line=line, address=f[0].text)
    return None


def _qidnscfg(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) not in (3, 5):
        return None
    return ev.QiDnsCfg(
        raw=raw,
        line=line,
        context_id=_int(f[0]),
        pridnsaddr=f[1].text,
        secdnsaddr=f[2].text,
        pridnsaddr_ipv6=f[3].text if len(f) == 5 else None,
        secdnsaddr_ipv6=f[4].text if len(f) == 5 else None,
    )


def _qicfg(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if not f:
        return None
    key = f[0].text
    if key.lower() == "dataformat" and len(f) == 3:
        return ev.QiCfgDataFormat(
            raw=raw, line=line, send_data_format=_int(f[1]), recv_data_format=_int(f[2])
        )
    if key.lower() == "showra" and len(f) == 2:
        return ev.QiCfgShowRA(raw=raw, line=line, showra_mode=_int(f[1]))
    return None


def _qiurc(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if not f:
        return None
    urc_type = f[0].text
    if urc_type == "closed" and len(f) == 2:
        return ev.QiUrcClosed(raw=raw, line=line, connect_id=_int(f[1]))
    if urc_type == "incoming" and len(f) == 5:
        return ev.QiUrcIncoming(
            raw=raw,
            line=line,
            connect_id=_int(f[1]),
            server_id=_int(f[2]),
            remote_ip=f[3].text,
            remote_port=_int(f[4]),
        )
    return ev.QiUrcOther(raw=raw, line=line, urc_type=urc_type, body=body)


def _recv_by_line(frame: Frame) -> ev.Event:
    """A recv URC read by line: the form without <current_recv_length>, or one whose
    length did not match its bytes (§2.4.2). <data> is the rest of the line."""
    line = frame.line
    rest = line[len(RECV_MARKER) :]
    head, sep, tail = rest.partition(b",")
    try:
        connect_id = int(head)
    except ValueError:
        return ev.QiUrcOther(raw=frame.raw, line=line, urc_type="recv", body=decode_field(line[8:]))
    if not sep:
        return ev.QiUrcRecv(
            raw=frame.raw,
            line=line,
            connect_id=connect_id,
            data=b"",
            length_mismatch=True,
        )
    length: int | None = None
    recv_ip: str | None = None
    recv_port: int | None = None
    head2, sep2, tail2 = tail.partition(b",")
    if head2.strip().isdigit() and sep2:
        length = int(head2)
        tail = tail2
    stripped = tail.lstrip(b" ")
    if stripped.startswith(b'"'):
        close = stripped.find(b'"', 1)
        after = stripped[close + 1 :] if close > 0 else b""
        if close > 0 and after.startswith(b","):
            port_text, sep3, data_part = after[1:].partition(b",")
            if port_text.strip().isdigit() and sep3:
                recv_ip = stripped[1:close].decode("ascii", "replace")
                recv_port = int(port_text)
                tail = data_part
    data = tail.lstrip(b" ")
    if len(data) >= 2 and data.startswith(b'"') and data.endswith(b'"'):
        data = data[1:-1]
    mismatch = frame.length_mismatch or (length is not None and length != len(data))
    return ev.QiUrcRecv(
        raw=frame.raw,
        line=line,
        connect_id=connect_id,
        current_recv_length=length,
        recv_ip=recv_ip,
        recv_port=recv_port,
        data=data,
        hex_payload=None,
        length_mismatch=mismatch,
    )


def _cpin(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    return ev.CpinStatus(raw=raw, line=line, state=body)


def _ip(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    return ev.IpAddress(raw=raw, line=line, address=body.strip('"'))


def _cereg(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §4.1. The read answer starts <n>,<stat>; the URC starts
    <stat>[,<tac>...] with a quoted (or empty) <tac>, so two leading integers mean
    the read answer."""
    if not f:
        return None
    if len(f) >= 2 and f[1].as_int() is not None and not f[1].quoted:
        n: int | None = _int(f[0])
        stat = _int(f[1])
        rest = f[2:]
    else:
        n, stat, rest = None, _int(f[0]), f[1:]
    fields = _cereg_fields(rest)
    return ev.CeregStatus(
        raw=raw,
        line=line,
        n=n,
        stat=stat,
        extra=tuple(a.text for a in rest),
        tac=fields[0],
        ci=fields[1],
        act=_opt_field_int(rest, 2),
        cause_type=_int_or_none(fields[3]),
        reject_cause=_int_or_none(fields[4]),
        active_time=fields[5],
        periodic_tau=fields[6],
    )


def _cereg_fields(rest: list[Arg]) -> tuple[str | None, ...]:
    """<tac>, <ci>, <AcT>, <cause_type>, <reject_cause>, <Active-Time>,
    <Periodic-TAU> from the fields after <stat> (empty ones None).

    The two timers, when present, are the last two fields and the two cause fields
    come just before them; read that way, a firmware that prints one more empty
    field between <AcT> and <cause_type> (``+CEREG: 3,,,,,0,15`` on a BC66) still
    gives the right reject cause."""

    def text(i: int) -> str | None:
        if i < 0 or i >= len(rest) or (rest[i].omitted and not rest[i].quoted):
            return None
        return rest[i].text or None

    tail = len(rest) - 3  # fields after <AcT>
    if tail >= 4:
        cause, timers = len(rest) - 4, len(rest) - 2
        active, periodic = text(timers), text(timers + 1)
    else:
        cause = 3 if tail < 2 else len(rest) - 2
        active = periodic = None
    return (text(0), text(1), text(2), text(cause), text(cause + 1), active, periodic)


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isdigit() else None


def _opt_field_int(f: list[Arg], i: int) -> int | None:
    return f[i].as_int() if i < len(f) else None


def _cscon(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §4.6: read ``<n>,<mode>``, URC ``<mode>``."""
    if len(f) == 2:
        return ev.CsconStatus(raw=raw, line=line, n=_int(f[0]), mode=_int(f[1]))
    if len(f) == 1:
        return ev.CsconStatus(raw=raw, line=line, mode=_int(f[0]))
    return None


def _cesq(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §4.2: six integers."""
    if len(f) != 6:
        return None
    n = [_int(a) for a in f]
    return ev.CesqReport(
        raw=raw, line=line, rxlev=n[0], ber=n[1], rscp=n[2], ecno=n[3], rsrq=n[4], rsrp=n[5]
    )


def _qnbiotevent(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §9.8: read ``<enable>,<event>``, URC ``"<event_value>"``."""
    if len(f) == 1 and (f[0].quoted or f[0].as_int() is None):
        return ev.QNbiotEvent(raw=raw, line=line, event_value=f[0].text.strip())
    if len(f) == 2:
        return ev.QNbiotEvent(raw=raw, line=line, enable=_int(f[0]), event=_int(f[1]))
    return None


def _qsclk(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §9.10: ``+QSCLK: <n>``."""
    if len(f) != 1:
        return None
    return ev.QsclkStatus(raw=raw, line=line, n=_int(f[0]))


def _qcfg(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """AT Commands Manual V1.4 §11.1: ``+QCFG: "<function>",<value>[,...]``."""
    if not f or not f[0].quoted:
        return None
    return ev.QCfgValue(raw=raw, line=line, function=f[0].text, values=tuple(a.text for a in f[1:]))


def _timezone(name: str) -> Handler:
    """AT Commands Manual V1.4 §12.2: ``+CTZV: <tz>``, ``+CTZE: <tz>,<dst>,[<time>]``,
    ``+CTZEU: <tz>,<dst>[,<utime>]``; the time holds a comma, so it is quoted (or,
    unquoted, split in two)."""

    def handler(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
        if not f:
            return None
        dst = _opt_field_int(f, 1)
        time: str | None = None
        if len(f) == 3:
            time = f[2].text or None
        elif len(f) == 4 and not f[2].quoted:
            time = f"{f[2].text},{f[3].text}"
        elif len(f) > 3:
            return None
        return ev.TimeZoneReport(raw=raw, line=line, name=name, tz=f[0].text, dst=dst, time=time)

    return handler


def _csq(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) != 2:
        return None
    return ev.CsqReport(raw=raw, line=line, rssi=_int(f[0]), ber=_int(f[1]))


def _cgpaddr(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    if len(f) == 1:
        return ev.PdpAddress(raw=raw, line=line, cid=_int(f[0]))
    if len(f) >= 2:
        return ev.PdpAddress(raw=raw, line=line, cid=_int(f[0]), address=f[1].text)
    return None


def _cclk(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    return ev.ClockTime(raw=raw, line=line, time=body.strip('"'))


_HANDLERS: dict[str, Handler] = {
    "+QIOPEN": _qiopen,
    "+QISTATE": _qistate,
    "+QISEND": _qisend,
    "+QPING": _qping,
    "+QNTP": _qntp,
    "+QIDNSGIP": _qidnsgip,
    "+QIDNSCFG": _qidnscfg,
    "+QICFG": _qicfg,
    "+QIURC": _qiurc,
    "+CPIN": _cpin,
    "+IP": _ip,
    "+CEREG": _cereg,
    "+CSCON": _cscon,
    "+CESQ": _cesq,
    "+QNBIOTEVENT": _qnbiotevent,
    "+QSCLK": _qsclk,
    "+QCFG": _qcfg,
    "+CTZV": _timezone("+CTZV"),
    "+CTZE": _timezone("+CTZE"),
    "+CTZEU": _timezone("+CTZEU"),
    "+CSQ": _csq,
    "+CGPADDR": _cgpaddr,
    "+CCLK": _cclk,
    **CELLULAR_HANDLERS,
}
