"""Deliberate deviations from the spec, for tests of conformance checks only.

``sim://?deviate=qistate_order,prompt`` (or ``qiterm sim -o deviate=...``) makes
the simulated module break the TCP/IP application note in exactly the named
ways and in no other, so a conformance check (``qiterm check``) can be shown to
name each deviation and nothing else. Nobody should run a module like this for
anything else.
"""

from __future__ import annotations

from typing import Protocol

#: name -> what the module then does wrong (and the clause of the spec it breaks).
DEVIATIONS: dict[str, str] = {
    "qistate_order": "+QISTATE rows print <local_port> before <remote_port> (§2.3.3)",
    "qistate_fields": "+QISTATE rows lack their last field, <access_mode> (§2.3.3: 8 fields)",
    "no_closed_urc": 'no +QIURC: "closed" when the peer closes a TCP connection (§2.4.1)',
    "no_close_ok": "AT+QICLOSE answers OK but never CLOSE OK (§2.3.2)",
    "send_ok_without_ok": (
        "AT+QISEND=<connectID>,<send_length>,<data> answers SEND OK without the OK "
        "before it (§2.3.4; the UDP SERVICE form is left as it is)"
    ),
    "prompt": "the data-mode prompt comes without the <CR><LF> before '>' (§2.3.4, §2.1.2)",
    "qping_summary": "the +QPING summary prints <lost> before <rcvd> (§2.3.5)",
    "qiopen_used_code": (
        "AT+QIOPEN on a <connectID> in use reports 566 instead of 563 "
        '"Socket identity has been used" (chapter 3)'
    ),
    "qntp_unquoted": "+QNTP: <result>,<time> prints <time> without its quotes (§2.3.6)",
    "no_incoming_urc": ('no +QIURC: "incoming" when a client connects to a TCP LISTENER (§2.4.3)'),
    "qiclose_test_range": "AT+QICLOSE=? offers <connectID> (0-5) (§2.3.2: 0-4)",
    "qidnscfg_ipv6": ("AT+QIDNSCFG takes an IPv6 server in an IPv4 network (§2.3.8 note 2: ERROR)"),
    "recv_no_address": ('+QIURC: "recv" leaves out <recv_ip>,<recv_port> with showRA=1 (§2.4.2)'),
}


class _Configured(Protocol):
    @property
    def deviate(self) -> frozenset[str]: ...


def deviates(config: _Configured, name: str) -> bool:
    """Whether the module was asked to break the spec in the way called ``name``."""
    assert name in DEVIATIONS, name
    return name in config.deviate
