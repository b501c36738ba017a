"""Every command qiterm knows: forms, parameters, ranges, defaults, help.

The TCP/IP commands come from spec chapter 2.3; the basic commands an engineer
types first (AT, ATE, ATI, +CEREG ...) are not in the application note and are
described from 3GPP TS 27.007 as the BC660K-GL implements them.

One table serves three readers: the builders in :mod:`app.protocol.commands`
(validation), the simulated module (which answers ERROR where a check fails),
and the console (command palette, completion, hints).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from app.protocol.syntax import Arg, CommandLine, Form, parse_int

Value = int | str | None


class ParamKind(Enum):
    INT = "integer"
    STRING = "string"


class StrFormat(Enum):
    ANY = "any"  # free text (no CR, LF, quote or control bytes: it sits in quotes)
    HOST = "host"  # IP address or domain name
    IP = "ip"  # IPv4 or IPv6 address text
    KEYWORD = "keyword"  # one of ``choices``


class ParamError(ValueError):
    """A parameter outside the spec: names the parameter, the value and what is allowed."""

    def __init__(self, param: str, value: object, allowed: str, reason: str = "") -> None:
        self.param = param
        self.value = value
        self.allowed = allowed
        self.reason = reason
        shown = repr(value) if isinstance(value, str) else str(value)
        if len(shown) > 40:
            shown = f"{shown[:30]}…{shown[-6:]}"
        text = f"<{param}> = {shown}: {reason or 'out of range'}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)


class FormMismatch(ValueError):
    """No form of the command takes the parameters given."""


_FORBIDDEN_IN_QUOTES = frozenset('"\r\n')


def check_quotable(param: str, value: str, allowed: str) -> None:
    """A string that will sit inside double quotes on the wire: no ``"``, CR, LF
    or other control characters, which would end the field or the command."""
    for ch in value:
        if ch in _FORBIDDEN_IN_QUOTES or ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise ParamError(param, value, allowed, f"contains the forbidden character {ch!r}")


def _valid_hostname(name: str) -> bool:
    if name.endswith("."):
        name = name[:-1]
    if not name:
        return False
    for label in name.split("."):
        if not 1 <= len(label) <= 63:
            return False
        if label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isalnum() or c in "-_" for c in label) or not label.isascii():
            return False
    return True


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    help: str
    min: int | None = None
    max: int | None = None
    choices: tuple[int | str, ...] | None = None
    #: Values the module actually supports, narrower than the documented range.
    supported: tuple[int, ...] | None = None
    supported_note: str = ""
    max_bytes: int | None = None
    fmt: StrFormat = StrFormat.ANY
    default: Value = None

    def allowed(self) -> str:
        """The allowed values as a person reads them: ``0-4``, ``"TCP"/"UDP"``..."""
        if self.choices is not None:
            if self.kind is ParamKind.STRING:
                return "/".join(f'"{c}"' for c in self.choices)
            return ", ".join(str(c) for c in self.choices)
        if self.kind is ParamKind.INT:
            return f"{self.min}-{self.max}"
        what = {
            StrFormat.HOST: "an IP address or domain name",
            StrFormat.IP: "an IP address",
        }.get(self.fmt, "text")
        if self.max_bytes:
            return f"{what}, at most {self.max_bytes} bytes"
        return what

    def from_text(self, text: str) -> Value:
        """What a person typed, converted for :meth:`check` (None when blank). An
        integer parameter takes ASCII decimal digits only (:func:`parse_int`); any other
        text raises ParamError, never a bare ValueError."""
        text = text.strip()
        if not text:
            return None
        if self.kind is not ParamKind.INT:
            return text
        number = parse_int(text)
        if number is None:
            raise ParamError(self.name, text, self.allowed(), "not a number")
        return number

    def check(self, value: Value) -> Value:
        """Validate one value; returns it (ints stay ints) or raises ParamError."""
        if value is None:
            return None
        if self.kind is ParamKind.INT:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(self.name, value, self.allowed(), "must be an integer")
            if self.choices is not None and value not in self.choices:
                raise ParamError(self.name, value, self.allowed(), "not a supported value")
            if self.min is not None and value < self.min:
                raise ParamError(self.name, value, self.allowed())
            if self.max is not None and value > self.max:
                raise ParamError(self.name, value, self.allowed())
            if self.supported is not None and value not in self.supported:
                only = ", ".join(str(s) for s in self.supported)
                raise ParamError(
                    self.name,
                    value,
                    self.allowed(),
                    f"only {only} is supported{self.supported_note}",
                )
            return value
        if not isinstance(value, str):
            raise ParamError(self.name, value, self.allowed(), "must be a string")
        check_quotable(self.name, value, self.allowed())
        if self.choices is not None:
            if value not in self.choices:
                raise ParamError(self.name, value, self.allowed(), "not a supported value")
            return value
        if not value:
            raise ParamError(self.name, value, self.allowed(), "must not be empty")
        if self.max_bytes is not None and len(value.encode("utf-8")) > self.max_bytes:
            raise ParamError(
                self.name,
                value,
                self.allowed(),
                f"too long ({len(value.encode('utf-8'))} bytes)",
            )
        if self.fmt is StrFormat.IP and not is_ip_address(value):
            raise ParamError(self.name, value, self.allowed(), "not an IP address")
        if self.fmt is StrFormat.HOST and not (is_ip_address(value) or _valid_hostname(value)):
            raise ParamError(self.name, value, self.allowed(), "not an IP address or domain name")
        return value


def _int(name: str, lo: int, hi: int, help: str, **kw: object) -> Param:
    return Param(name, ParamKind.INT, help, min=lo, max=hi, **kw)  # type: ignore[arg-type]


def _choice(name: str, choices: tuple[int, ...], help: str, **kw: object) -> Param:
    return Param(
        name,
        ParamKind.INT,
        help,
        min=min(choices),
        max=max(choices),
        choices=choices,
        **kw,  # type: ignore[arg-type]
    )


def _str(name: str, help: str, **kw: object) -> Param:
    return Param(name, ParamKind.STRING, help, **kw)  # type: ignore[arg-type]


# --- shared parameters (names as the spec writes them) ------------------------

CONTEXT_ID = _int(
    "contextID",
    0,
    10,
    "Context ID. 0 adapts to the current default PDP context.",
    supported=(0,),
    supported_note=" (chapter 2.3 notes: only <contextID>=0 is supported)",
    default=0,
)
CONNECT_ID = _int("connectID", 0, 4, "Socket ID.")
SERVICE_TYPES = ("TCP", "UDP", "TCP LISTENER", "UDP SERVICE")
SERVICE_TYPE = _str(
    "service_type",
    "Socket service type: TCP/UDP client, TCP LISTENER server, UDP SERVICE.",
    choices=SERVICE_TYPES,
    fmt=StrFormat.KEYWORD,
)
HOST = _str(
    "host",
    "IP address or domain name of the remote server (local IP for LISTENER/SERVICE).",
    max_bytes=150,
    fmt=StrFormat.HOST,
)
REMOTE_PORT = _int("remote_port", 0, 65535, "Port of the remote server: 1-65535.")
LOCAL_PORT = _int(
    "local_port",
    0,
    65535,
    "Local port; 0 assigns one automatically (TCP/UDP). Required 1-65535 for "
    "TCP LISTENER and UDP SERVICE.",
    default=0,
)
ACCESS_MODE = _choice("access_mode", (1,), "Data access mode: 1 direct push mode.", default=1)
QUERY_TYPE_CONTEXT = _choice("query_type", (0,), "0: query by <contextID>.")
QUERY_TYPE_CONNECT = _choice("query_type", (1,), "1: query by <connectID>.")
#: §2.3.4: 1024 bytes in text mode, 512 in hex mode (checked against the format separately).
SEND_LENGTH = _int("send_length", 1, 1024, "Length of the data in bytes (1024 text / 512 hex).")
QUERY_ZERO = _choice("send_length", (0,), "0: query the sent/acked/nAcked totals.")
DATA = _str(
    "data",
    "The text or hex string to send, in double quotes.",
    max_bytes=2048,
)
RAI_MODE = _choice(
    "rai_mode",
    (0, 1, 2),
    "Release assistance: 0 none, 1 release after uplink, 2 release after downlink.",
)
REMOTE_IP = _str("remote_ip", "Remote IP address (UDP SERVICE only).", fmt=StrFormat.IP)
UDP_REMOTE_PORT = _int("remote_port", 1, 65535, "Remote port (UDP SERVICE only).")
PING_HOST = _str(
    "host", "Domain name or dotted decimal IP address.", max_bytes=150, fmt=StrFormat.HOST
)
TIME_OUT = _int("time_out", 1, 255, "Seconds to wait for each ping reply.", default=4)
PING_NUM = _int("ping_num", 1, 10, "Number of ping requests.", default=4)
PING_SIZE = _int("ping_size", 32, 1500, "Ping size in bytes.", default=32)
RAI_ENABLE = _choice("rai_enable", (0, 1), "1: carry RAI flag 2 in the last ping packet.")
NTP_SERVER = _str(
    "server", "NTP server: domain name or IP address.", max_bytes=150, fmt=StrFormat.HOST
)
NTP_PORT = _int("port", 1, 65535, "NTP server port.", default=123)
AUTO_SET_TIME = _choice("auto_set_time", (0, 1), "1: set the module clock (AT+CCLK?).")
HOSTNAME = _str("hostname", "Domain name to resolve.", max_bytes=150, fmt=StrFormat.HOST)
PRI_DNS = _str("pridnsaddr", "Primary DNS server address.", max_bytes=64, fmt=StrFormat.IP)
SEC_DNS = _str("secdnsaddr", "Secondary DNS server address.", max_bytes=64, fmt=StrFormat.IP)
DATAFORMAT_KEY = _str("dataformat", '"dataformat"', choices=("dataformat",), fmt=StrFormat.KEYWORD)
SHOWRA_KEY = _str("showRA", '"showRA"', choices=("showRA",), fmt=StrFormat.KEYWORD)
SEND_DATA_FORMAT = _choice("send_data_format", (0, 1), "Format of data sent: 0 text, 1 hex.")
RECV_DATA_FORMAT = _choice("recv_data_format", (0, 1), "Format of data received: 0 text, 1 hex.")
SHOWRA_MODE = _choice("showRA_mode", (0, 1), "1: show the sender's address in recv URCs.")


class Deferred(Enum):
    """Results that arrive after OK, as URCs (DESIGN.md: deferred results)."""

    QIOPEN = "+QIOPEN"
    QPING = "+QPING"
    QNTP = "+QNTP"
    QIDNSGIP = "+QIDNSGIP"


class Completion(Enum):
    """How a command's final result looks."""

    FINAL = "final"  # OK / ERROR / +CME ERROR
    SEND = "send"  # OK, then SEND OK / SEND FAIL (§2.3.4)
    CLOSE = "close"  # OK, then CLOSE OK (§2.3.2)


class DataModeKind(Enum):
    VARIABLE = "variable"  # ends with Ctrl-Z; Esc cancels (§2.3.4)
    FIXED = "fixed"  # ends when <send_length> bytes were typed


@dataclass(frozen=True)
class FormSpec:
    form: Form
    syntax: str
    summary: str
    response: str = "OK"
    params: tuple[Param, ...] = ()
    required: int = 0
    completion: Completion = Completion.FINAL
    deferred: Deferred | None = None
    data_mode: DataModeKind | None = None
    #: identifier used by the simulator's dispatch and by tests
    key: str = ""

    def arity_ok(self, n: int) -> bool:
        return self.required <= n <= len(self.params)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    title: str
    chapter: str
    summary: str
    forms: tuple[FormSpec, ...]
    max_response_time: float = 5.0
    #: How long to wait for a deferred result after OK, when there is one.
    deferred_timeout: float = 60.0
    #: Cross-field checks, run after every parameter passed its own check.
    cross_check: Callable[[FormSpec, Mapping[str, Value]], None] | None = field(
        default=None, compare=False
    )

    @property
    def command(self) -> str:
        return f"AT{self.name}"


def _qiopen_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # §2.3.1 <local_port>: "If <service_type> is "TCP LISTENER" or "UDP SERVICE",
    # this parameter must be specified. Range: 1-65535."
    service = v.get("service_type")
    local = v.get("local_port")
    remote = v.get("remote_port")
    if service in ("TCP LISTENER", "UDP SERVICE"):
        if not isinstance(local, int) or not 1 <= local <= 65535:
            raise ParamError(
                "local_port",
                local if local is not None else "(missing)",
                "1-65535",
                f"required for {service}",
            )
    elif isinstance(remote, int) and remote == 0:
        # §2.3.1 <remote_port> range 1-65535; chapter 4.3 passes 0 for a
        # TCP LISTENER (ignored there), so 0 is only refused for clients.
        raise ParamError("remote_port", 0, "1-65535", f"required for a {service} client")


def _qicfg_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # §2.3.9: AT+QICFG="dataformat"[,<send_data_format>,<recv_data_format>]: both or none.
    if form.key == "qicfg.dataformat":
        send, recv = v.get("send_data_format"), v.get("recv_data_format")
        if (send is None) != (recv is None):
            missing = "recv_data_format" if recv is None else "send_data_format"
            raise ParamError(missing, "(missing)", "0, 1", "give both formats or neither")


CATALOG: tuple[CommandSpec, ...] = (
    # ---- chapter 2.3: TCP/IP commands ---------------------------------------
    CommandSpec(
        "+QIOPEN",
        "Open a Socket Service",
        "2.3.1",
        "Open a TCP/UDP client, TCP LISTENER or UDP SERVICE; +QIOPEN: <connectID>,<result> "
        "follows (wait up to 60 s).",
        (
            FormSpec(
                Form.TEST,
                "AT+QIOPEN=?",
                "List the supported parameter ranges.",
                '+QIOPEN: (range of <contextID>s),(range of <connectID>s),"TCP/UDP/TCP '
                'LISTENER/UDP SERVICE",<host>,(range of <remote_port>s),(range of '
                "<local_port>s),(list of <access_mode>s)",
                key="qiopen.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIOPEN=<contextID>,<connectID>,<service_type>,<host>,<remote_port>"
                "[,<local_port>[,<access_mode>]]",
                "Open a socket service.",
                "OK, then +QIOPEN: <connectID>,<result>",
                (CONTEXT_ID, CONNECT_ID, SERVICE_TYPE, HOST, REMOTE_PORT, LOCAL_PORT, ACCESS_MODE),
                required=5,
                deferred=Deferred.QIOPEN,
                key="qiopen.write",
            ),
        ),
        deferred_timeout=60.0,
        cross_check=_qiopen_cross,
    ),
    CommandSpec(
        "+QICLOSE",
        "Close a Socket Service",
        "2.3.2",
        "Close a socket service; OK then CLOSE OK.",
        (
            FormSpec(
                Form.TEST,
                "AT+QICLOSE=?",
                "List the supported <connectID>s.",
                "+QICLOSE: (range of <connectID>s)",
                key="qiclose.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QICLOSE=<connectID>",
                "Close the socket.",
                "OK, then CLOSE OK",
                (CONNECT_ID,),
                required=1,
                completion=Completion.CLOSE,
                key="qiclose.write",
            ),
        ),
    ),
    CommandSpec(
        "+QISTATE",
        "Query Socket Service Status",
        "2.3.3",
        "List sockets: service type, host, ports, state.",
        (
            FormSpec(
                Form.TEST,
                "AT+QISTATE=?",
                "List the supported query types and ranges.",
                "+QISTATE: 0,(range of <contextID>s)\n+QISTATE: 1,(range of <connectID>s)",
                key="qistate.test",
            ),
            FormSpec(
                Form.READ,
                "AT+QISTATE?",
                "Status of all existing connections.",
                "[+QISTATE: <connectID>,<service_type>,<host>,<remote_port>,<local_port>,"
                "<socket_state>,<contextID>,<access_mode>] ...",
                key="qistate.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISTATE=0,<contextID>",
                "Status of the connections of a context.",
                "[+QISTATE: ...] ...",
                (QUERY_TYPE_CONTEXT, CONTEXT_ID),
                required=2,
                key="qistate.context",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISTATE=1,<connectID>",
                "Status of one socket service.",
                "[+QISTATE: ...]",
                (QUERY_TYPE_CONNECT, CONNECT_ID),
                required=2,
                key="qistate.connect",
            ),
        ),
    ),
    CommandSpec(
        "+QISEND",
        "Send Hex/Text String Data",
        "2.3.4",
        "Send data inline or in data mode (> then Ctrl-Z sends, Esc cancels); "
        "AT+QISEND=<id>,0 queries sent/acked/nAcked.",
        (
            FormSpec(
                Form.TEST,
                "AT+QISEND=?",
                "List the supported ranges.",
                "+QISEND: (range of <connectID>s),<remote_ip>,<remote_port>,(range of "
                "<send_length>s),<data>,(range of <rai_mode>s)",
                key="qisend.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<send_length>,<data>[,<rai_mode>]",
                "Send data in non-data mode (TCP, UDP, TCP INCOMING).",
                "OK, then SEND OK / SEND FAIL",
                (CONNECT_ID, SEND_LENGTH, DATA, RAI_MODE),
                required=3,
                completion=Completion.SEND,
                key="qisend.inline",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>",
                "Send variable-length data in data mode: > then data, Ctrl-Z sends, Esc cancels.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID,),
                required=1,
                completion=Completion.SEND,
                data_mode=DataModeKind.VARIABLE,
                key="qisend.variable",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,0",
                "Total lengths of data sent, acknowledged and not acknowledged.",
                "+QISEND: <sent>,<acked>,<nAcked>",
                (CONNECT_ID, QUERY_ZERO),
                required=2,
                key="qisend.query",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<send_length>",
                "Send fixed-length data in data mode: > then exactly <send_length> bytes.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, SEND_LENGTH),
                required=2,
                completion=Completion.SEND,
                data_mode=DataModeKind.FIXED,
                key="qisend.fixed",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>,<send_length>,<data>[,<rai_mode>]",
                "Send data in non-data mode on a UDP SERVICE.",
                "OK, then SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT, SEND_LENGTH, DATA, RAI_MODE),
                required=5,
                completion=Completion.SEND,
                key="qisend.udp_inline",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>",
                "Send variable-length data in data mode on a UDP SERVICE.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT),
                required=3,
                completion=Completion.SEND,
                data_mode=DataModeKind.VARIABLE,
                key="qisend.udp_variable",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>,<send_length>",
                "Send fixed-length data in data mode on a UDP SERVICE.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT, SEND_LENGTH),
                required=4,
                completion=Completion.SEND,
                data_mode=DataModeKind.FIXED,
                key="qisend.udp_fixed",
            ),
        ),
    ),
    CommandSpec(
        "+QPING",
        "Ping a Remote Server",
        "2.3.5",
        "Ping a host: one +QPING: line per reply, then a summary.",
        (
            FormSpec(
                Form.TEST,
                "AT+QPING=?",
                "List the supported ranges.",
                "+QPING: (range of <contextID>s),<host>,(range of <time_out>s),(range of "
                "<ping_num>s),(range of <ping_size>s),(list of <rai_enable>s)",
                key="qping.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QPING=<contextID>,<host>[,<time_out>[,<ping_num>[,<ping_size>[,<rai_enable>]]]]",
                "Ping a remote server.",
                "OK, then +QPING: <result>[,<IP_address>,<bytes>,<time>,<ttl>] per reply and "
                "+QPING: <finresult>[,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>]",
                (CONTEXT_ID, PING_HOST, TIME_OUT, PING_NUM, PING_SIZE, RAI_ENABLE),
                required=2,
                deferred=Deferred.QPING,
                key="qping.write",
            ),
        ),
    ),
    CommandSpec(
        "+QNTP",
        "Synchronize Local Time through NTP Server",
        "2.3.6",
        'Ask an NTP server for UTC: +QNTP: <result>,"<time>" follows.',
        (
            FormSpec(
                Form.TEST,
                "AT+QNTP=?",
                "List the supported ranges.",
                "+QNTP: (range of <contextID>s),<server>,(range of <port>s),(list of "
                "<auto_set_time>s)",
                key="qntp.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QNTP=<contextID>,<server>[,<port>[,<auto_set_time>]]",
                "Synchronize local time.",
                "OK, then +QNTP: <result>,<time>",
                (CONTEXT_ID, NTP_SERVER, NTP_PORT, AUTO_SET_TIME),
                required=2,
                deferred=Deferred.QNTP,
                key="qntp.write",
            ),
        ),
        deferred_timeout=60.0,
    ),
    CommandSpec(
        "+QIDNSGIP",
        "Get IP Address by Domain Name",
        "2.3.7",
        "Resolve a domain name: +QIDNSGIP: <result>,<IP_count>,<DNS_ttl> then the address.",
        (
            FormSpec(
                Form.TEST,
                "AT+QIDNSGIP=?",
                "List the supported ranges.",
                "+QIDNSGIP: (range of <contextID>s),<hostname>",
                key="qidnsgip.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSGIP=<contextID>,<hostname>",
                "Resolve a domain name.",
                "OK, then +QIDNSGIP: <result>,<IP_count>,<DNS_ttl> and +QIDNSGIP: <hostIPaddr>",
                (CONTEXT_ID, HOSTNAME),
                required=2,
                deferred=Deferred.QIDNSGIP,
                key="qidnsgip.write",
            ),
        ),
        deferred_timeout=60.0,
    ),
    CommandSpec(
        "+QIDNSCFG",
        "Configure DNS Server Address",
        "2.3.8",
        "Set or show the primary and secondary DNS servers.",
        (
            FormSpec(
                Form.TEST,
                "AT+QIDNSCFG=?",
                "List the supported ranges.",
                "+QIDNSCFG: (range of <contextID>s),<pridnsaddr>,<secdnsaddr>",
                key="qidnscfg.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSCFG=<contextID>,<pridnsaddr>[,<secdnsaddr>]",
                "Configure the primary and secondary DNS server addresses.",
                "OK",
                (CONTEXT_ID, PRI_DNS, SEC_DNS),
                required=2,
                key="qidnscfg.write",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSCFG=<contextID>",
                "Show the configured DNS server addresses.",
                "+QIDNSCFG: <contextID>,<pridnsaddr>,<secdnsaddr>[,<ipv6 pri>,<ipv6 sec>]",
                (CONTEXT_ID,),
                required=1,
                key="qidnscfg.query",
            ),
        ),
    ),
    CommandSpec(
        "+QICFG",
        "Configure Optional Parameters",
        "2.3.9",
        'Data format (text/hex) for sending and receiving, and "showRA".',
        (
            FormSpec(
                Form.TEST,
                "AT+QICFG=?",
                "List the configurable items.",
                '+QICFG: "dataformat",(0,1),(0,1)\n+QICFG: "showRA",(0,1)',
                key="qicfg.test",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QICFG="dataformat"[,<send_data_format>,<recv_data_format>]',
                "Set (or, without values, show) the send/receive data format.",
                '+QICFG: "dataformat",<send_data_format>,<recv_data_format> when querying',
                (DATAFORMAT_KEY, SEND_DATA_FORMAT, RECV_DATA_FORMAT),
                required=1,
                key="qicfg.dataformat",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QICFG="showRA"[,<showRA_mode>]',
                "Set (or show) whether recv URCs carry the sender's address.",
                '+QICFG: "showRA",<showRA_mode> when querying',
                (SHOWRA_KEY, SHOWRA_MODE),
                required=1,
                key="qicfg.showra",
            ),
        ),
        cross_check=_qicfg_cross,
    ),
    # ---- basic commands (3GPP TS 27.007 / V.250; not in the TCP/IP note) -------
    CommandSpec(
        "",
        "Attention",
        "V.250",
        "Check that the module answers.",
        (FormSpec(Form.EXECUTE, "AT", "Answers OK.", key="at"),),
    ),
    CommandSpec(
        "E",
        "Command Echo",
        "V.250",
        "ATE0 turns command echo off, ATE1 on.",
        (
            FormSpec(
                Form.EXECUTE,
                "ATE<value>",
                "Echo off (0) or on (1).",
                params=(_choice("value", (0, 1), "0 echo off, 1 echo on.", default=1),),
                key="ate",
            ),
        ),
    ),
    CommandSpec(
        "I",
        "Display Product Identification",
        "V.250",
        "Manufacturer, model and firmware revision.",
        (
            FormSpec(
                Form.EXECUTE,
                "ATI",
                "Identify the module.",
                "Quectel_Ltd / model / Revision: ...",
                key="ati",
            ),
        ),
    ),
    CommandSpec(
        "+CGMR",
        "Firmware Revision",
        "27.007",
        "Firmware revision identification.",
        (FormSpec(Form.EXECUTE, "AT+CGMR", "Show the firmware revision.", key="cgmr"),),
    ),
    CommandSpec(
        "+CGSN",
        "Product Serial Number (IMEI)",
        "27.007",
        "The IMEI.",
        (
            FormSpec(Form.EXECUTE, "AT+CGSN", "Show the IMEI.", key="cgsn.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGSN=<snt>",
                "1: +CGSN: <IMEI>.",
                params=(_choice("snt", (0, 1), "0 serial number, 1 IMEI."),),
                required=1,
                key="cgsn.write",
            ),
        ),
    ),
    CommandSpec(
        "+CPIN",
        "Enter PIN",
        "27.007",
        "SIM state; READY when no PIN is needed.",
        (FormSpec(Form.READ, "AT+CPIN?", "Show the SIM state.", "+CPIN: READY", key="cpin.read"),),
    ),
    CommandSpec(
        "+CFUN",
        "Set UE Functionality",
        "27.007",
        "0 minimum functionality (radio off), 1 full functionality.",
        (
            FormSpec(Form.READ, "AT+CFUN?", "Show the functionality level.", key="cfun.read"),
            FormSpec(Form.TEST, "AT+CFUN=?", "List the levels.", key="cfun.test"),
            FormSpec(
                Form.WRITE,
                "AT+CFUN=<fun>",
                "Set the functionality level.",
                params=(_choice("fun", (0, 1), "0 minimum, 1 full functionality."),),
                required=1,
                key="cfun.write",
            ),
        ),
        max_response_time=85.0,
    ),
    CommandSpec(
        "+CEREG",
        "EPS Network Registration Status",
        "27.007",
        "Registration status; 1 home, 5 roaming. <n> sets the URC.",
        (
            FormSpec(
                Form.READ,
                "AT+CEREG?",
                "Show the registration status.",
                "+CEREG: <n>,<stat>[,...]",
                key="cereg.read",
            ),
            FormSpec(Form.TEST, "AT+CEREG=?", "List the URC modes.", key="cereg.test"),
            FormSpec(
                Form.WRITE,
                "AT+CEREG=<n>",
                "Set the registration URC mode.",
                params=(_int("n", 0, 5, "URC mode 0-5."),),
                required=1,
                key="cereg.write",
            ),
        ),
    ),
    CommandSpec(
        "+CSQ",
        "Signal Quality Report",
        "27.007",
        "RSSI and BER.",
        (FormSpec(Form.EXECUTE, "AT+CSQ", "Show the signal quality.", key="csq"),),
    ),
    CommandSpec(
        "+CGPADDR",
        "Show PDP Addresses",
        "27.007",
        "IP address of each PDP context.",
        (
            FormSpec(Form.EXECUTE, "AT+CGPADDR", "Show all PDP addresses.", key="cgpaddr.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGPADDR=<cid>",
                "Show the address of one context.",
                params=(_int("cid", 0, 10, "Context identifier."),),
                required=1,
                key="cgpaddr.write",
            ),
        ),
    ),
    CommandSpec(
        "+CCLK",
        "Return Current Date and Time",
        "27.007",
        'Module clock as "yy/MM/dd,hh:mm:ss+zz" (set by AT+QNTP with auto_set_time=1).',
        (FormSpec(Form.READ, "AT+CCLK?", "Show the clock.", key="cclk.read"),),
    ),
    CommandSpec(
        "+CMEE",
        "Report Mobile Termination Error",
        "27.007",
        "0 plain ERROR, 1 numeric +CME ERROR: <n>.",
        (
            FormSpec(Form.READ, "AT+CMEE?", "Show the error report mode.", key="cmee.read"),
            FormSpec(
                Form.WRITE,
                "AT+CMEE=<n>",
                "Set the error report mode.",
                params=(_choice("n", (0, 1, 2), "0 ERROR, 1 numeric, 2 verbose."),),
                required=1,
                key="cmee.write",
            ),
        ),
    ),
    CommandSpec(
        "+QRST",
        "Reboot the Module",
        "BC660K-GL AT manual",
        "AT+QRST=1 reboots: sockets drop, RDY, then +IP: after registration.",
        (
            FormSpec(
                Form.WRITE,
                "AT+QRST=1",
                "Reboot now.",
                "OK, then RDY",
                params=(_choice("mode", (1,), "1: reboot."),),
                required=1,
                key="qrst",
            ),
        ),
    ),
)

_BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in CATALOG}


def lookup(name: str) -> CommandSpec | None:
    """The spec of ``+QIOPEN`` / ``E`` / ``""`` ..., case-insensitive."""
    return _BY_NAME.get(name.upper())


@dataclass(frozen=True)
class Match:
    spec: CommandSpec
    form: FormSpec
    values: dict[str, Value]


def _arg_value(param: Param, arg: Arg) -> tuple[bool, Value]:
    """(type matches, value) for one argument against one parameter."""
    if arg.omitted:
        return True, None
    if param.kind is ParamKind.INT:
        n = arg.as_int()
        return (n is not None), n
    # Strings: quoted is the rule; an unquoted token is accepted leniently (§2.3.4 note 3
    # only asks for quotes around special characters), but ranks below a quoted match.
    return True, arg.text


def _type_score(form: FormSpec, args: tuple[Arg, ...]) -> int | None:
    """None when the args cannot fit the form; else a score (higher fits better)."""
    if not form.arity_ok(len(args)):
        return None
    score = 0
    for i, (param, arg) in enumerate(zip(form.params, args, strict=False)):
        if arg.omitted and i < form.required:
            return None
        ok, _ = _arg_value(param, arg)
        if not ok:
            return None
        if param.kind is ParamKind.STRING:
            score += 2 if arg.quoted else 0
        elif not arg.omitted:
            score += 1
    return score


def match(cmd: CommandLine) -> Match:
    """Find the form of a parsed line and check every parameter against the spec.

    Raises :class:`FormMismatch` when the command is unknown or no form takes
    these parameters, and :class:`ParamError` for a value outside the spec.
    """
    spec = lookup(cmd.name)
    if spec is None:
        raise FormMismatch(f"{cmd.display_name} is not a command qiterm knows")
    candidates = [f for f in spec.forms if f.form is cmd.form]
    if not candidates:
        kinds = ", ".join(sorted({f.form.value for f in spec.forms}))
        raise FormMismatch(f"{spec.command} has no {cmd.form.value} form (it has: {kinds})")
    scored: list[tuple[int, int, FormSpec]] = []
    for order, form in enumerate(candidates):
        score = _type_score(form, cmd.args)
        if score is not None:
            scored.append((-score, order, form))
    if not scored:
        syntaxes = "; ".join(f.syntax for f in candidates)
        raise FormMismatch(
            f"{spec.command} takes no {len(cmd.args)} parameter(s) of these types; forms: "
            f"{syntaxes}"
        )
    scored.sort(key=lambda t: (t[0], t[1]))
    first_error: ParamError | None = None
    for _, _, form in scored:
        try:
            values = check_values(spec, form, cmd.args)
        except ParamError as exc:
            if first_error is None:
                first_error = exc
            continue
        return Match(spec, form, values)
    assert first_error is not None
    raise first_error


def check_values(spec: CommandSpec, form: FormSpec, args: tuple[Arg, ...]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for param, arg in zip(form.params, args, strict=False):
        _, value = _arg_value(param, arg)
        values[param.name] = param.check(value)
    if spec.cross_check is not None:
        spec.cross_check(form, values)
    return values


def all_forms() -> list[tuple[CommandSpec, FormSpec]]:
    return [(spec, form) for spec in CATALOG for form in spec.forms]
