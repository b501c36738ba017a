"""A small model of a BC660K-GL's output, for property tests of the decoder and the
command engine: it writes the bytes a real module could send for a run of commands,
with URCs put at the boundaries a real module puts them (AT Commands Manual V1.4 §1.3:
a URC never splits a line, but may come before a response's first line, between its
lines, right after its final result, or between OK and a deferred result), echo on
or off (§3.1), and blank lines such as a waking UART prints. Because the model wrote
the stream, the right split is known: which lines are each command's answer and
which are URCs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CRLF = b"\r\n"


@dataclass(frozen=True)
class ModelCommand:
    line: str
    #: Information lines of the answer, in order.
    lines: tuple[bytes, ...] = ()
    final: bytes = b"OK"
    #: Lines after OK that belong to the command (spec §2.3.1 +QIOPEN: ...).
    deferred: tuple[bytes, ...] = ()


#: Commands and answers in the manual's formats (sections in the comments).
MENU: tuple[ModelCommand, ...] = (
    ModelCommand("AT+CSQ", (b"+CSQ: 22,0",)),  # §4.7 example
    ModelCommand("AT+CESQ", (b"+CESQ: 99,99,255,255,25,61",)),  # §4.2 example
    ModelCommand("AT+CEREG?", (b"+CEREG: 1,1",)),  # §4.1 example
    ModelCommand(
        "AT+CEREG?", (b'+CEREG: 4,5,"0001","0000ABCD",9,,,"00100011","00101010"',)
    ),  # §4.1, n=4 with the PSM timers
    ModelCommand("AT+CSCON?", (b"+CSCON: 0, 0",)),  # §4.6 example
    ModelCommand("AT+QNBIOTEVENT?", (b"+QNBIOTEVENT: 1,1",)),  # §9.8 example
    ModelCommand("AT+QSCLK?", (b"+QSCLK: 1",)),  # §9.10
    ModelCommand('AT+QCFG="slplocktimes"', (b'+QCFG: "slplocktimes",10',)),  # §11.1.5
    ModelCommand(
        "ATI", (b"Quectel_Ltd", b"Quectel_BC660K-GL", b"Revision: BC660KGLAAR01A05")
    ),  # §2.1
    ModelCommand("AT+CGPADDR=0", (b'+CGPADDR: 0,"100.68.114.220"',)),  # §4.4 example
    ModelCommand(
        "AT+QISTATE?",
        (
            b'+QISTATE: 0,"TCP","127.0.0.1",7,40000,2,0,1',
            b'+QISTATE: 1,"UDP","127.0.0.1",9,40001,2,0,1',
        ),
    ),  # TCP/IP note §2.3.3
    ModelCommand("AT+CSQ;+CESQ", (b"+CSQ: 22,0", b"+CESQ: 99,99,255,255,25,61")),  # §1.2
    ModelCommand("AT+QTEMP", (), b"ERROR"),  # not a BC660K command
    ModelCommand("AT+CPIN?", (), b"+CME ERROR: 10"),  # §15 Table 5
    ModelCommand(
        'AT+QIOPEN=0,0,"TCP","127.0.0.1",7,0,1', (), b"OK", (b"+QIOPEN: 0,0",)
    ),  # TCP/IP note §2.3.1
    ModelCommand("AT+CEREG=5"),
)

#: URCs a BC660K-GL prints, in the manual's formats.
URCS: tuple[bytes, ...] = (
    b"+CEREG: 1",  # §4.1, n=1
    b"+CEREG: 5",
    b'+CEREG: 1,"0001","0000ABCD",9',  # n=2
    b'+CEREG: 5,"0001","0000ABCD",9,,,"00100011","00101010"',  # n=4
    b"+CEREG: 3,,,,,0,15",  # n=5, registration denied, EMM cause 15
    b"+CSCON: 1",  # §4.6
    b"+CSCON: 0",
    b'+QNBIOTEVENT: "ENTER PSM"',  # §9.8
    b'+QNBIOTEVENT: "EXIT PSM"',
    b'+QNBIOTEVENT: "EXIT DEEPSLEEP"',  # §11.1.6
    b'+CTZEU: "+8",1,"2026/10/02,23:50:20"',  # §12.2, as a real A05 printed it
    b"+IP: 10.0.0.7",  # TCP/IP note §2.3.1 note 4
    b'+QIURC: "closed",3',  # TCP/IP note §2.4.1
    b'+QIURC: "recv",2,5,"a,\r\nb"',  # §2.4.2, <data> holding CR LF
)


@dataclass
class Placement:
    """Where URCs and blank lines go for one command. Each list holds indices into
    URCS; slot keys: "before" (after the echo, before the first line), "between"
    (after information line i, i >= 0), "after" (glued after the final result),
    "deferred" (between OK and the deferred result)."""

    before: list[int] = field(default_factory=list)
    between: dict[int, list[int]] = field(default_factory=dict)
    after: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    #: Blank CR LF runs ("wake lines") before the answer, and their count.
    blank_before: int = 0
    #: URCs written without their leading CR LF (``+X: ...\r\n``), glued tight.
    tight: bool = False


@dataclass
class Expected:
    lines: list[bytes]
    final: bytes
    deferred: list[bytes]


def _line(text: bytes) -> bytes:
    return CRLF + text + CRLF


def _urcs(indices: list[int], tight: bool, out: list[bytes]) -> bytes:
    chunk = b""
    for i in indices:
        urc = URCS[i]
        out.append(urc)
        chunk += (urc + CRLF) if tight else _line(urc)
    return chunk


def build_stream(
    commands: list[ModelCommand], placements: list[Placement], echo: bool
) -> tuple[bytes, list[Expected], list[bytes]]:
    """The module's side of a session: the bytes, each command's expected answer,
    and the URCs in the order they were printed."""
    data = bytearray()
    expected: list[Expected] = []
    urcs: list[bytes] = []
    for cmd, place in zip(commands, placements, strict=True):
        if echo:
            data += cmd.line.encode() + b"\r"  # ATE1 echoes the line and its CR
        data += CRLF * place.blank_before
        data += _urcs(place.before, place.tight, urcs)
        for i, info in enumerate(cmd.lines):
            data += _line(info)
            data += _urcs(place.between.get(i, []), place.tight, urcs)
        data += _line(cmd.final)
        if cmd.deferred:
            data += _urcs(place.deferred, place.tight, urcs)
            for line in cmd.deferred:
                data += _line(line)
        data += _urcs(place.after, place.tight, urcs)
        expected.append(Expected(list(cmd.lines), cmd.final, list(cmd.deferred)))
    return bytes(data), expected, urcs
