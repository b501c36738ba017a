"""Typed, frozen events: one class for every response and URC the module prints.

Every event keeps ``raw`` (the exact bytes it came from, for the capture) and
``line`` (its content without terminators, for verbatim display). Field names
follow the spec so code and spec read side by side.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec

from app.protocol import decode
from app.protocol.codes import describe
from app.protocol.text import escape_bytes, hex_decode


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """The base of every event: an immutable, hashable record whose fields are given
    by keyword, equal only to an event of the same class with equal fields.

    A ``msgspec.Struct``, not a frozen dataclass: Python 3.11 builds each
    dataclass's methods from source at import (about 0.5 ms a class here, for some
    sixty event classes, all before the console's first frame), where a Struct's
    come from C (about 0.02 ms), and it is made about ten times faster (every line
    the module prints becomes one). Only msgspec's ``Struct`` is used here (no
    encoding, no I/O). Change a field with ``msgspec.structs.replace``; list them with
    ``msgspec.structs.fields``. A subclass says ``frozen=True`` again (and
    ``kw_only=True`` when it adds fields) for the type checker and for its own fields."""

    raw: bytes = b""
    line: bytes = b""

    #: A short kind name for logs, filters and the capture ("ok", "urc.recv"...).
    kind = "line"

    @property
    def text(self) -> str:
        """The line as a person should see it, with odd bytes escaped."""
        return escape_bytes(self.line, show_line_endings=True)


# --- final results and plain lines ---------------------------------------------


class Ok(Event, frozen=True):
    kind = "ok"


class Error(Event, frozen=True):
    kind = "error"


class CmeError(Event, frozen=True, kw_only=True):
    """``+CME ERROR: <n>`` (numeric with AT+CMEE=1; text with AT+CMEE=2)."""

    code: int | None = None
    message: str = ""
    kind = "error"

    @property
    def meaning(self) -> str:
        if self.code is not None:
            return describe(self.code)
        return self.message


class SendOk(Event, frozen=True):
    kind = "send_ok"


class SendFail(Event, frozen=True):
    kind = "send_fail"


class CloseOk(Event, frozen=True):
    kind = "close_ok"


class Prompt(Event, frozen=True):
    """The data-mode prompt ``>`` (§2.3.4)."""

    kind = "prompt"


class CommandLineEcho(Event, frozen=True, kw_only=True):
    """A line starting with AT: the module echoing a command (ATE1)."""

    command: str = ""
    kind = "echo"


class TextLine(Event, frozen=True):
    """An information line with no ``+NAME:`` prefix (ATI, AT+CGMR, AT+CGSN...)."""

    kind = "text"


class BlankLines(Event, frozen=True):
    """A run of blank terminators longer than the framer's cap."""

    kind = "blank"


class OverlongLine(Event, frozen=True, kw_only=True):
    """A piece of a line longer than the framer's cap, or a line cut by a pause."""

    continued: bool = False
    truncated: bool = False
    unterminated: bool = False
    kind = "overlong"


class InfoResponse(Event, frozen=True, kw_only=True):
    """``+NAME: fields`` for a name this module has no specific event for."""

    name: str = ""
    body: str = ""
    kind = "info"


class TestResponse(Event, frozen=True, kw_only=True):
    """A test-command (``=?``) answer: ranges in parentheses (§2.1.2 Table 1)."""

    name: str = ""
    body: str = ""
    kind = "test"


# --- boot and registration -----------------------------------------------------


class Rdy(Event, frozen=True):
    """``RDY``: the module (re)booted."""

    kind = "rdy"


class CpinStatus(Event, frozen=True, kw_only=True):
    state: str = ""
    kind = "cpin"


class IpAddress(Event, frozen=True, kw_only=True):
    """``+IP: 10.18.237.42``: registered, with this address (§2.3.1 note 4)."""

    address: str = ""
    kind = "ip"


class CeregStatus(Event, frozen=True, kw_only=True):
    """``+CEREG:`` (AT Commands Manual V1.4 §4.1). ``n`` is set in the read answer
    (``+CEREG: <n>,<stat>[,...]``) and absent in the URC (``+CEREG: <stat>[,...]``).

    After <stat> both carry, when available, ``[<tac>],[<ci>],[<AcT>]``, then
    ``[<cause_type>],[<reject_cause>]`` (n=3, 5) and ``[<Active-Time>],[<Periodic-TAU>]``
    (n=4, 5; the PSM timers the network granted, one byte each in 8-bit text). Empty
    fields are None. ``extra`` keeps every field after <stat> as printed."""

    n: int | None = None
    stat: int | None = None
    extra: tuple[str, ...] = ()
    tac: str | None = None
    ci: str | None = None
    act: int | None = None
    cause_type: int | None = None
    reject_cause: int | None = None
    active_time: str | None = None
    periodic_tau: str | None = None
    kind = "cereg"

    @property
    def unsolicited(self) -> bool:
        """The URC's shape (no <n>), whatever the command in flight."""
        return self.n is None

    @property
    def registered(self) -> bool:
        return self.stat in (1, 5)

    @property
    def stat_name(self) -> str:
        return CEREG_STAT.get(self.stat, "unknown") if self.stat is not None else "unknown"


CEREG_STAT = {
    0: "not registered",
    1: "registered, home",
    2: "searching",
    3: "registration denied",
    4: "unknown",
    5: "registered, roaming",
}


class CsqReport(Event, frozen=True, kw_only=True):
    """``+CSQ: <rssi>,<ber>`` (AT Commands Manual V1.4 §4.7)."""

    rssi: int | None = None
    ber: int | None = None
    kind = "info"

    @property
    def dbm(self) -> int | None:
        """<rssi> in dBm: 0 is -113 dBm or less, 1 is -111, 2-30 are -109 to -53 in
        steps of 2, 31 is -51 or more; 99 (not known) is None."""
        return csq_dbm(self.rssi)


def csq_dbm(rssi: int | None) -> int | None:
    """The dBm figure of a ``+CSQ`` <rssi> (§4.7); None for 99 or out of range."""
    return decode.csq_rssi_dbm(rssi)


class CesqReport(Event, frozen=True, kw_only=True):
    """``+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>`` (AT Commands Manual V1.4
    §4.2). On NB-IoT only <rsrq> and <rsrp> are measured (note 2, 3: the others are
    99/255, not known)."""

    rxlev: int | None = None
    ber: int | None = None
    rscp: int | None = None
    ecno: int | None = None
    rsrq: int | None = None
    rsrp: int | None = None
    kind = "info"

    @property
    def rsrp_dbm(self) -> int | None:
        """<rsrp> 0-97 as dBm: 0 is below -140, n is -141+n (lower bound), 97 is
        -44 or more; 255 (not known) is None."""
        return decode.cesq_rsrp_dbm(self.rsrp)

    @property
    def rsrq_db(self) -> float | None:
        """<rsrq> 0-34 as dB (lower bound, steps of 0.5): 0 is below -19.5."""
        return decode.cesq_rsrq_db(self.rsrq)


class CsconStatus(Event, frozen=True, kw_only=True):
    """``+CSCON:`` (AT Commands Manual V1.4 §4.6): the read answer ``+CSCON: <n>,<mode>``
    or the URC ``+CSCON: <mode>``; <mode> 0 idle, 1 connected (RRC)."""

    n: int | None = None
    mode: int | None = None
    kind = "cscon"

    @property
    def unsolicited(self) -> bool:
        return self.n is None

    @property
    def connected(self) -> bool:
        return self.mode == 1


#: The ``+QNBIOTEVENT`` URC's <event_value>s (AT Commands Manual V1.4 §9.8, and the
#: deep-sleep pair of AT+QCFG="dsevent", §11.1.6).
PSM_EVENTS = ("ENTER PSM", "EXIT PSM", "ENTER DEEPSLEEP", "EXIT DEEPSLEEP")


class QNbiotEvent(Event, frozen=True, kw_only=True):
    """``+QNBIOTEVENT:`` (AT Commands Manual V1.4 §9.8): the read answer
    ``+QNBIOTEVENT: <enable>,<event>`` or the URC ``+QNBIOTEVENT: "<event_value>"``
    ("ENTER PSM", "EXIT PSM"; "ENTER DEEPSLEEP"/"EXIT DEEPSLEEP" with dsevent)."""

    enable: int | None = None
    event: int | None = None
    event_value: str | None = None
    kind = "qnbiotevent"

    @property
    def unsolicited(self) -> bool:
        return self.event_value is not None


class QsclkStatus(Event, frozen=True, kw_only=True):
    """``+QSCLK: <n>`` (AT Commands Manual V1.4 §9.10): 0 no sleep, 1 light and deep
    sleep, 2 light sleep only."""

    n: int | None = None
    kind = "info"


class QCfgValue(Event, frozen=True, kw_only=True):
    """``+QCFG: "<function>",<value>[,...]`` (AT Commands Manual V1.4 §11.1), e.g.
    ``+QCFG: "slplocktimes",10`` (§11.1.5)."""

    function: str = ""
    values: tuple[str, ...] = ()
    kind = "info"

    def int_value(self, index: int = 0) -> int | None:
        if index >= len(self.values):
            return None
        text = self.values[index].strip()
        return int(text) if text.isdigit() else None


class TimeZoneReport(Event, frozen=True, kw_only=True):
    """``+CTZV: <tz>``, ``+CTZE: <tz>,<dst>,[<time>]`` or ``+CTZEU: <tz>,<dst>[,<utime>]``
    (AT Commands Manual V1.4 §12.2): URCs at registration and on time zone changes.
    <tz> in quarters of an hour as printed (a module may print ``+8`` for ``+08``)."""

    name: str = ""
    tz: str = ""
    dst: int | None = None
    time: str | None = None
    kind = "urc.timezone"

    @property
    def tz_quarters(self) -> int | None:
        text = self.tz.strip()
        try:
            return int(text)
        except ValueError:
            return None


class PdpAddress(Event, frozen=True, kw_only=True):
    """``+CGPADDR: <cid>,<address>``."""

    cid: int | None = None
    address: str = ""
    kind = "info"


class ClockTime(Event, frozen=True, kw_only=True):
    """``+CCLK: "yy/MM/dd,hh:mm:ss+zz"``."""

    time: str = ""
    kind = "info"


# --- TCP/IP responses ----------------------------------------------------------


class SocketState(IntEnum):
    """§2.3.3 <socket_state>."""

    INITIAL = 0
    CONNECTING = 1
    CONNECTED = 2
    CLOSING = 3
    REMOTE_CLOSING = 4

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    SocketState.INITIAL: "Initial",
    SocketState.CONNECTING: "Connecting",
    SocketState.CONNECTED: "Connected",
    SocketState.CLOSING: "Closing",
    SocketState.REMOTE_CLOSING: "Remote Closing",
}


class QiOpenResult(Event, frozen=True, kw_only=True):
    """``+QIOPEN: <connectID>,<result>`` (§2.3.1), a deferred result."""

    connect_id: int = 0
    result: int = 0
    kind = "deferred.qiopen"

    @property
    def meaning(self) -> str:
        return describe(self.result)


class QiStateRow(Event, frozen=True, kw_only=True):
    """``+QISTATE: <connectID>,<service_type>,<host>,<remote_port>,<local_port>,
    <socket_state>,<contextID>,<access_mode>`` (§2.3.3)."""

    connect_id: int = 0
    service_type: str = ""
    host: str = ""
    remote_port: int = 0
    local_port: int = 0
    socket_state: int = 0
    context_id: int = 0
    access_mode: int = 1
    kind = "qistate"

    @property
    def state_label(self) -> str:
        try:
            return SocketState(self.socket_state).label
        except ValueError:
            return f"state {self.socket_state}"


class QiSendCounts(Event, frozen=True, kw_only=True):
    """``+QISEND: <sent>,<acked>,<nAcked>`` (§2.3.4)."""

    sent: int = 0
    acked: int = 0
    nacked: int = 0
    kind = "qisend"


class QPingReply(Event, frozen=True, kw_only=True):
    """``+QPING: <result>[,<IP_address>,<bytes>,<time>,<ttl>]`` for one request (§2.3.5)."""

    result: int = 0
    ip_address: str | None = None
    bytes: int | None = None
    time: int | None = None
    ttl: int | None = None
    kind = "deferred.qping"


class QPingSummary(Event, frozen=True, kw_only=True):
    """``+QPING: <finresult>,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>`` (§2.3.5, §4.4)."""

    finresult: int = 0
    sent: int = 0
    rcvd: int = 0
    lost: int = 0
    min: int = 0
    max: int = 0
    avg: int = 0
    kind = "deferred.qping"


class QPingResult(Event, frozen=True, kw_only=True):
    """``+QPING: <code>`` alone: a failed request, or a final failure (e.g. 565)."""

    result: int = 0
    kind = "deferred.qping"

    @property
    def meaning(self) -> str:
        return describe(self.result)


class QNtpResult(Event, frozen=True, kw_only=True):
    """``+QNTP: <result>[,<time>]`` (§2.3.6)."""

    result: int = 0
    time: str | None = None
    kind = "deferred.qntp"


class QiDnsGipHeader(Event, frozen=True, kw_only=True):
    """``+QIDNSGIP: <result>,<IP_count>,<DNS_ttl>`` (§2.3.7)."""

    result: int = 0
    ip_count: int | None = None
    dns_ttl: int | None = None
    kind = "deferred.qidnsgip"


class QiDnsGipAddress(Event, frozen=True, kw_only=True):
    """``+QIDNSGIP: <hostIPaddr>`` (§2.3.7; chapter 4.7 prints it unquoted)."""

    address: str = ""
    kind = "deferred.qidnsgip"


class QiDnsCfg(Event, frozen=True, kw_only=True):
    """``+QIDNSCFG: <contextID>,<pri>,<sec>[,<pri_ipv6>,<sec_ipv6>]`` (§2.3.8)."""

    context_id: int = 0
    pridnsaddr: str = ""
    secdnsaddr: str = ""
    pridnsaddr_ipv6: str | None = None
    secdnsaddr_ipv6: str | None = None
    kind = "qidnscfg"


class QiCfgDataFormat(Event, frozen=True, kw_only=True):
    """``+QICFG: "dataformat",<send_data_format>,<recv_data_format>`` (§2.3.9)."""

    send_data_format: int = 0
    recv_data_format: int = 0
    kind = "qicfg"


class QiCfgShowRA(Event, frozen=True, kw_only=True):
    """``+QICFG: "showRA",<showRA_mode>`` (§2.3.9)."""

    showra_mode: int = 0
    kind = "qicfg"


# --- URCs ----------------------------------------------------------------------


class QiUrcClosed(Event, frozen=True, kw_only=True):
    """``+QIURC: "closed",<connectID>`` (§2.4.1)."""

    connect_id: int = 0
    kind = "urc.closed"


class QiUrcRecv(Event, frozen=True, kw_only=True):
    """``+QIURC: "recv",<connectID>[,<current_recv_length>][,<recv_ip>,<recv_port>],<data>``.

    ``data`` is <data> exactly as on the wire, without its quotes: raw text,
    or hex digits when the recv dataformat is hex. :meth:`payload` decodes it.
    """

    connect_id: int = 0
    current_recv_length: int | None = None
    recv_ip: str | None = None
    recv_port: int | None = None
    data: bytes = b""
    #: True/False when the framer could tell hex from text by the length; None
    #: when the line had no length (or a wrong one).
    hex_payload: bool | None = None
    length_mismatch: bool = False
    kind = "urc.recv"

    def payload(self, recv_hex: bool | None = None) -> bytes:
        """The bytes the peer sent. ``recv_hex`` (the module's recv dataformat)
        decides when the frame itself could not; undecodable hex stays as is."""
        is_hex = self.hex_payload if self.hex_payload is not None else bool(recv_hex)
        if is_hex:
            try:
                return hex_decode(self.data)
            except ValueError:
                return self.data
        return self.data


class QiUrcIncoming(Event, frozen=True, kw_only=True):
    """``+QIURC: "incoming",<connectID>,<serverID>,<remoteIP>,<remote_port>`` (§2.4.3)."""

    connect_id: int = 0
    server_id: int = 0
    remote_ip: str = ""
    remote_port: int = 0
    kind = "urc.incoming"


class QiUrcOther(Event, frozen=True, kw_only=True):
    """A ``+QIURC:`` type this version does not know."""

    urc_type: str = ""
    body: str = ""
    kind = "urc.other"


#: Events that are never part of a command's solicited answer.
UNSOLICITED_TYPES: tuple[type[Event], ...] = (
    QiUrcClosed,
    QiUrcRecv,
    QiUrcIncoming,
    QiUrcOther,
    Rdy,
    IpAddress,
    TimeZoneReport,
)

#: Deferred results (ARCHITECTURE.md): arrive after OK and belong to an earlier command.
DEFERRED_TYPES: tuple[type[Event], ...] = (
    QiOpenResult,
    QPingReply,
    QPingSummary,
    QPingResult,
    QNtpResult,
    QiDnsGipHeader,
    QiDnsGipAddress,
)

FINAL_TYPES: tuple[type[Event], ...] = (Ok, Error, CmeError)
