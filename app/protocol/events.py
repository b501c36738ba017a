"""Typed, frozen events: one class for every response and URC the module prints.

Every event keeps ``raw`` (the exact bytes it came from, for the capture) and
``line`` (its content without terminators, for verbatim display). Field names
follow the spec so code and spec read side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from app.protocol import decode
from app.protocol.codes import describe
from app.protocol.text import escape_bytes, hex_decode


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """The base of every event. A kind that adds no field is a plain subclass with
    empty ``__slots__``, not a dataclass of its own: it inherits the same ``__init__``,
    ``__repr__`` (which names the subclass), ``__eq__`` (equal only within one class),
    hash and immutability, and skips generating them again at import (about 0.4 ms a
    class, spent before the console's first frame)."""

    raw: bytes = b""
    line: bytes = b""

    #: A short kind name for logs, filters and the capture ("ok", "urc.recv"...).
    kind = "line"

    @property
    def text(self) -> str:
        """The line as a person should see it, with odd bytes escaped."""
        return escape_bytes(self.line, show_line_endings=True)


# --- final results and plain lines ---------------------------------------------


class Ok(Event):
    __slots__ = ()  # a kind of Event with no fields of its own (see Event)
    kind = "ok"


class Error(Event):
    __slots__ = ()  # a kind of Event with no fields of its own (see Event)
    kind = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class CmeError(Event):
    """``+CME ERROR: <n>`` (numeric with AT+CMEE=1; text with AT+CMEE=2)."""

    code: int | None = None
    message: str = ""
    kind = "error"

    @property
    def meaning(self) -> str:
        if self.code is not None:
            return describe(self.code)
        return self.message


class SendOk(Event):
    __slots__ = ()  # a kind of Event with no fields of its own (see Event)
    kind = "send_ok"


class SendFail(Event):
    __slots__ = ()  # a kind of Event with no fields of its own (see Event)
    kind = "send_fail"


class CloseOk(Event):
    __slots__ = ()  # a kind of Event with no fields of its own (see Event)
    kind = "close_ok"


class Prompt(Event):
    """The data-mode prompt ``>`` (§2.3.4)."""

    __slots__ = ()  # a kind of Event with no fields of its own (see Event)

    kind = "prompt"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandLineEcho(Event):
    """A line starting with AT: the module echoing a command (ATE1)."""

    command: str = ""
    kind = "echo"


class TextLine(Event):
    """An information line with no ``+NAME:`` prefix (ATI, AT+CGMR, AT+CGSN...)."""

    __slots__ = ()  # a kind of Event with no fields of its own (see Event)

    kind = "text"


class BlankLines(Event):
    """A run of blank terminators longer than the framer's cap."""

    __slots__ = ()  # a kind of Event with no fields of its own (see Event)

    kind = "blank"


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlongLine(Event):
    """A piece of a line longer than the framer's cap, or a line cut by a pause."""

    continued: bool = False
    truncated: bool = False
    unterminated: bool = False
    kind = "overlong"


@dataclass(frozen=True, slots=True, kw_only=True)
class InfoResponse(Event):
    """``+NAME: fields`` for a name this module has no specific event for."""

    name: str = ""
    body: str = ""
    kind = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResponse(Event):
    """A test-command (``=?``) answer: ranges in parentheses (§2.1.2 Table 1)."""

    name: str = ""
    body: str = ""
    kind = "test"


# --- boot and registration -----------------------------------------------------


class Rdy(Event):
    """``RDY``: the module (re)booted."""

    __slots__ = ()  # a kind of Event with no fields of its own (see Event)

    kind = "rdy"


@dataclass(frozen=True, slots=True, kw_only=True)
class CpinStatus(Event):
    state: str = ""
    kind = "cpin"


@dataclass(frozen=True, slots=True, kw_only=True)
class IpAddress(Event):
    """``+IP: 10.18.237.42``: registered, with this address (§2.3.1 note 4)."""

    address: str = ""
    kind = "ip"


@dataclass(frozen=True, slots=True, kw_only=True)
class CeregStatus(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class CsqReport(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class CesqReport(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class CsconStatus(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class QNbiotEvent(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class QsclkStatus(Event):
    """``+QSCLK: <n>`` (AT Commands Manual V1.4 §9.10): 0 no sleep, 1 light and deep
    sleep, 2 light sleep only."""

    n: int | None = None
    kind = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class QCfgValue(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeZoneReport(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PdpAddress(Event):
    """``+CGPADDR: <cid>,<address>``."""

    cid: int | None = None
    address: str = ""
    kind = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockTime(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class QiOpenResult(Event):
    """``+QIOPEN: <connectID>,<result>`` (§2.3.1), a deferred result."""

    connect_id: int = 0
    result: int = 0
    kind = "deferred.qiopen"

    @property
    def meaning(self) -> str:
        return describe(self.result)


@dataclass(frozen=True, slots=True, kw_only=True)
class QiStateRow(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class QiSendCounts(Event):
    """``+QISEND: <sent>,<acked>,<nAcked>`` (§2.3.4)."""

    sent: int = 0
    acked: int = 0
    nacked: int = 0
    kind = "qisend"


@dataclass(frozen=True, slots=True, kw_only=True)
class QPingReply(Event):
    """``+QPING: <result>[,<IP_address>,<bytes>,<time>,<ttl>]`` for one request (§2.3.5)."""

    result: int = 0
    ip_address: str | None = None
    bytes: int | None = None
    time: int | None = None
    ttl: int | None = None
    kind = "deferred.qping"


@dataclass(frozen=True, slots=True, kw_only=True)
class QPingSummary(Event):
    """``+QPING: <finresult>,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>`` (§2.3.5, §4.4)."""

    finresult: int = 0
    sent: int = 0
    rcvd: int = 0
    lost: int = 0
    min: int = 0
    max: int = 0
    avg: int = 0
    kind = "deferred.qping"


@dataclass(frozen=True, slots=True, kw_only=True)
class QPingResult(Event):
    """``+QPING: <code>`` alone: a failed request, or a final failure (e.g. 565)."""

    result: int = 0
    kind = "deferred.qping"

    @property
    def meaning(self) -> str:
        return describe(self.result)


@dataclass(frozen=True, slots=True, kw_only=True)
class QNtpResult(Event):
    """``+QNTP: <result>[,<time>]`` (§2.3.6)."""

    result: int = 0
    time: str | None = None
    kind = "deferred.qntp"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiDnsGipHeader(Event):
    """``+QIDNSGIP: <result>,<IP_count>,<DNS_ttl>`` (§2.3.7)."""

    result: int = 0
    ip_count: int | None = None
    dns_ttl: int | None = None
    kind = "deferred.qidnsgip"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiDnsGipAddress(Event):
    """``+QIDNSGIP: <hostIPaddr>`` (§2.3.7; chapter 4.7 prints it unquoted)."""

    address: str = ""
    kind = "deferred.qidnsgip"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiDnsCfg(Event):
    """``+QIDNSCFG: <contextID>,<pri>,<sec>[,<pri_ipv6>,<sec_ipv6>]`` (§2.3.8)."""

    context_id: int = 0
    pridnsaddr: str = ""
    secdnsaddr: str = ""
    pridnsaddr_ipv6: str | None = None
    secdnsaddr_ipv6: str | None = None
    kind = "qidnscfg"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiCfgDataFormat(Event):
    """``+QICFG: "dataformat",<send_data_format>,<recv_data_format>`` (§2.3.9)."""

    send_data_format: int = 0
    recv_data_format: int = 0
    kind = "qicfg"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiCfgShowRA(Event):
    """``+QICFG: "showRA",<showRA_mode>`` (§2.3.9)."""

    showra_mode: int = 0
    kind = "qicfg"


# --- URCs ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QiUrcClosed(Event):
    """``+QIURC: "closed",<connectID>`` (§2.4.1)."""

    connect_id: int = 0
    kind = "urc.closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiUrcRecv(Event):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class QiUrcIncoming(Event):
    """``+QIURC: "incoming",<connectID>,<serverID>,<remoteIP>,<remote_port>`` (§2.4.3)."""

    connect_id: int = 0
    server_id: int = 0
    remote_ip: str = ""
    remote_port: int = 0
    kind = "urc.incoming"


@dataclass(frozen=True, slots=True, kw_only=True)
class QiUrcOther(Event):
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
