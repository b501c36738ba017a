"""A recorded byte stream holding every kind of line the module prints.

Taken from the spec's chapter 4 examples (with the module's CR LF framing of
§2.1.2 restored) plus the lines a real module prints around them. Used by the
property tests (any split gives the same events) and the fuzz corpus.
"""

from __future__ import annotations

from app.protocol import events as ev

# (bytes on the wire, expected event type) in order.
SAMPLES: list[tuple[bytes, type[ev.Event]]] = [
    (b"\r\nRDY\r\n", ev.Rdy),
    (b"\r\n+CPIN: READY\r\n", ev.CpinStatus),
    (b"\r\n+IP: 10.18.237.42\r\n", ev.IpAddress),
    (b"\r\n+CEREG: 1\r\n", ev.CeregStatus),
    (b'AT+QIOPEN=0,0,"TCP","220.180.239.212",8062,0,1\r', ev.CommandLineEcho),
    (b"\r\nOK\r\n", ev.Ok),
    (b"\r\n+QIOPEN: 0,0\r\n", ev.QiOpenResult),
    (b'\r\n+QISTATE: 0,"TCP","220.180.239.212",8062,0,2,0,1\r\n', ev.QiStateRow),
    (b'\r\n+QICFG: "dataformat",0,0\r\n', ev.QiCfgDataFormat),
    (b'\r\n+QICFG: "showRA",1\r\n', ev.QiCfgShowRA),
    (b"\r\n> ", ev.Prompt),
    (b"\r\nOK\r\n", ev.Ok),
    (b"\r\nSEND OK\r\n", ev.SendOk),
    (b"\r\nSEND FAIL\r\n", ev.SendFail),
    (b'\r\n+QIURC: "recv",0,5,"220.180.239.212",8062,"12345"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "recv",0,12, "220.180.239.212",8062,"012345678901"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "recv",1,10,"1234567890"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "recv",1,9,"a\r\n"b,c\x00\xff"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "recv",1,5,"3132333435"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "recv",0,"10.0.0.1",9000,"no length form"\r\n', ev.QiUrcRecv),
    (b'\r\n+QIURC: "incoming",1,0,"192.168.4.30",34835\r\n', ev.QiUrcIncoming),
    (b'\r\n+QIURC: "closed",1\r\n', ev.QiUrcClosed),
    (b"\r\n+QISEND: 17,17,0\r\n", ev.QiSendCounts),
    (b"\r\nCLOSE OK\r\n", ev.CloseOk),
    (b'\r\n+QIDNSCFG: 0,"218.2.2.2","8.8.8.8"\r\n', ev.QiDnsCfg),
    (b'\r\n+QIDNSCFG: 0,"218.2.2.2","8.8.8.8","::","::"\r\n', ev.QiDnsCfg),
    (b'\r\n+QPING: 0,"47.100.63.174",32,560,88\r\n', ev.QPingReply),
    (b"\r\n+QPING: 569\r\n", ev.QPingResult),
    (b"\r\n+QPING: 0,4,4,0,220,560,322\r\n", ev.QPingSummary),
    (b'\r\n+QNTP: 0,"2019/06/11,11:08:20"\r\n', ev.QNtpResult),
    (b"\r\n+QIDNSGIP: 0,1,0\r\n", ev.QiDnsGipHeader),
    (b"\r\n+QIDNSGIP: 14.215.177.39\r\n", ev.QiDnsGipAddress),
    (b"\r\n+QIDNSGIP: 565\r\n", ev.QiDnsGipHeader),
    (b"\r\n+CME ERROR: 566\r\n", ev.CmeError),
    (b"\r\nERROR\r\n", ev.Error),
    (
        b'\r\n+QIOPEN: (0-10),(0-4),"TCP/UDP/TCP LISTENER/UDP SERVICE",<host>,(1-65535),'
        b"(0-65535),(1)\r\n",
        ev.TestResponse,
    ),
    (b"\r\nQuectel_Ltd\r\n", ev.TextLine),
    (b"\r\n+CSQ: 22,0\r\n", ev.CsqReport),
    (b'\r\n+CGPADDR: 0,"10.18.237.42"\r\n', ev.PdpAddress),
    (b'\r\n+CCLK: "21/07/22,08:12:08+00"\r\n', ev.ClockTime),
    (b"\r\n+CEREG: 0,1\r\n", ev.CeregStatus),
    (b"\r\n+QNEW: 1,2\r\n", ev.InfoResponse),
    (b'\r\n+QIURC: "pdpdeact",0\r\n', ev.QiUrcOther),
    (b"\r\nbare LF line\n", ev.TextLine),
    (b"bare CR line\r", ev.TextLine),
]

STREAM: bytes = b"".join(chunk for chunk, _ in SAMPLES)
