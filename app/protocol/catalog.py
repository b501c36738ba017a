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
    #: A string that may be given empty (``""``), such as an APN left to the subscription.
    allow_empty: bool = False
    #: Exactly this many binary digits (the manual's "half a byte in a 4-bit format",
    #: "one byte in an 8-bit format" timer strings).
    bits: int | None = None
    #: A placeholder the module does not use: it must be left empty (AT+CPSMS=1,,,...).
    omitted_only: bool = False

    def allowed(self) -> str:
        """The allowed values as a person reads them: ``0-4``, ``"TCP"/"UDP"``..."""
        if self.omitted_only:
            return "nothing (leave it empty)"
        if self.bits is not None:
            return f'"{"0" * self.bits}"-"{"1" * self.bits}"'
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
        if self.omitted_only:
            raise ParamError(self.name, value, self.allowed(), "must be left empty")
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
            if self.allow_empty:
                return value
            raise ParamError(self.name, value, self.allowed(), "must not be empty")
        if self.bits is not None and (len(value) != self.bits or any(c not in "01" for c in value)):
            raise ParamError(self.name, value, self.allowed(), f"not {self.bits} binary digits")
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
#: §1.2: "the value of <access_mode>, specified or not, is always 1 (the direct push
#: mode)": 0 is accepted and the socket runs in direct push mode all the same.
ACCESS_MODE = _choice(
    "access_mode",
    (0, 1),
    "Data access mode: 1 direct push mode (0 is taken as 1, §1.2).",
    default=1,
)
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
    """Results that arrive after OK, as URCs (deferred results, ARCHITECTURE.md)."""

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


# --- general commands (AT Commands Manual V1.4) --------------------------------------

#: AT manual §3.2 example: +IPR: (2400,4800,9600,19200,38400,57600,115200,230400,460800).
IPR_RATES = (2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800)
PDP_TYPES = ("IP", "IPV6", "IPV4V6", "Non-IP")
PDP_TYPE = _str("PDP_type", "Packet data protocol type.", choices=PDP_TYPES, fmt=StrFormat.KEYWORD)
APN = _str(
    "APN",
    "Access point name (99 bytes; empty asks the subscription's).",
    max_bytes=99,
    allow_empty=True,
)


def _qcgdefcont_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # AT manual §5.6: AT+QCGDEFCONT=<PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]
    user, password = v.get("user_name"), v.get("password")
    if (user is None) != (password is None):
        missing = "password" if password is None else "user_name"
        raise ParamError(missing, "(missing)", "text", "give the user name and password together")


def _cops_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # AT manual §7.2: <oper> "shall be present" in manual mode (1, 4).
    if v.get("mode") in (1, 4) and v.get("oper") is None:
        raise ParamError("oper", "(missing)", "an operator", "required in manual mode")


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
    # ---- general commands: BC660K-GL&BC950K-GL AT Commands Manual V1.4 ------------
    # (chapter numbers are the manual's; "AT" itself is V.250's)
    CommandSpec(
        "",
        "Attention",
        "V.250",
        "Check that the module answers.",
        (FormSpec(Form.EXECUTE, "AT", "Answers OK.", key="at"),),
    ),
    CommandSpec(
        "E",
        "Set Command Echo Mode",
        "AT manual 3.1",
        "ATE0 turns command echo off, ATE1 on (saved to NVRAM).",
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
        "Display Product Identification Information",
        "AT manual 2.1",
        "Manufacturer, model and firmware revision.",
        (
            FormSpec(
                Form.EXECUTE,
                "ATI",
                "Identify the module.",
                "Quectel_Ltd / <objectID> / Revision: <revision>",
                key="ati",
            ),
        ),
    ),
    CommandSpec(
        "+CGMI",
        "Request Manufacturer Identification",
        "AT manual 2.2",
        "Manufacturer information.",
        (
            FormSpec(Form.TEST, "AT+CGMI=?", "Answers OK.", key="cgmi.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CGMI",
                "Show the manufacturer.",
                "Quectel_Ltd / <objectID> / Revision: QCX",
                key="cgmi",
            ),
        ),
    ),
    CommandSpec(
        "+CGMM",
        "Request Model Identification",
        "AT manual 2.3",
        "Model of the product.",
        (
            FormSpec(Form.TEST, "AT+CGMM=?", "Answers OK.", key="cgmm.test"),
            FormSpec(Form.EXECUTE, "AT+CGMM", "Show the model.", "<objectID>", key="cgmm"),
        ),
    ),
    CommandSpec(
        "+CGMR",
        "Request Manufacturer Revision",
        "AT manual 2.4",
        "Firmware revision.",
        (
            FormSpec(Form.TEST, "AT+CGMR=?", "Answers OK.", key="cgmr.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CGMR",
                "Show the firmware revision.",
                "Revision: <revision>",
                key="cgmr",
            ),
        ),
    ),
    CommandSpec(
        "+CGSN",
        "Request Product Serial Number",
        "AT manual 2.5",
        "Serial number, IMEI, IMEISV or SVN.",
        (
            FormSpec(Form.TEST, "AT+CGSN=?", "List the <snt>s.", "+CGSN: (0-3)", key="cgsn.test"),
            FormSpec(Form.EXECUTE, "AT+CGSN", "Show the serial number.", "<SN>", key="cgsn.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGSN=<snt>",
                "0 <SN>, 1 +CGSN: <IMEI>, 2 +CGSN: <IMEISV>, 3 +CGSN: <SVN>.",
                params=(_int("snt", 0, 3, "0 SN, 1 IMEI, 2 IMEISV, 3 SVN."),),
                required=1,
                key="cgsn.write",
            ),
        ),
    ),
    CommandSpec(
        "+IPR",
        "Set TE-TA Local Rate",
        "AT manual 3.2",
        "UART baud rate (saved to NVRAM).",
        (
            FormSpec(Form.TEST, "AT+IPR=?", "List the rates.", key="ipr.test"),
            FormSpec(Form.READ, "AT+IPR?", "Show the rate.", "+IPR: <rate>", key="ipr.read"),
            FormSpec(
                Form.WRITE,
                "AT+IPR=<rate>",
                "Set the rate.",
                params=(_choice("rate", IPR_RATES, "Baud rate in bps."),),
                required=1,
                key="ipr.write",
            ),
        ),
    ),
    CommandSpec(
        "+CEREG",
        "EPS Network Registration Status",
        "AT manual 4.1",
        "Registration status (1 home, 5 roaming); <n> sets the URC (4/5 add the PSM timers).",
        (
            FormSpec(
                Form.TEST, "AT+CEREG=?", "List the URC modes.", "+CEREG: (0-5)", key="cereg.test"
            ),
            FormSpec(
                Form.READ,
                "AT+CEREG?",
                "Show the registration status.",
                "+CEREG: <n>,<stat>[,[<tac>],[<ci>],[<AcT>][,...]]",
                key="cereg.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CEREG=<n>",
                "Set the registration URC mode.",
                params=(
                    _int(
                        "n",
                        0,
                        5,
                        "0 off, 1 <stat>, 2 + location, 3 + cause, 4 + PSM timers, 5 all.",
                    ),
                ),
                required=1,
                key="cereg.write",
            ),
        ),
    ),
    CommandSpec(
        "+CESQ",
        "Extended Signal Quality",
        "AT manual 4.2",
        "RSRQ and RSRP indexes (the GSM/UMTS fields are 99/255 on NB-IoT).",
        (
            FormSpec(Form.TEST, "AT+CESQ=?", "List the ranges.", key="cesq.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CESQ",
                "Show the signal quality.",
                "+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>",
                key="cesq",
            ),
        ),
    ),
    CommandSpec(
        "+CGATT",
        "PS Attach or Detach",
        "AT manual 4.3",
        "Packet domain attach state.",
        (
            FormSpec(
                Form.TEST, "AT+CGATT=?", "List the states.", "+CGATT: (0,1)", key="cgatt.test"
            ),
            FormSpec(
                Form.READ, "AT+CGATT?", "Show the state.", "+CGATT: <state>", key="cgatt.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CGATT=<state>",
                "Attach (1) or detach (0).",
                params=(_choice("state", (0, 1), "0 detached, 1 attached."),),
                required=1,
                key="cgatt.write",
            ),
        ),
        max_response_time=70.0,
    ),
    CommandSpec(
        "+CGPADDR",
        "Show PDP Addresses",
        "AT manual 4.4",
        "IP address of each PDP context.",
        (
            FormSpec(Form.TEST, "AT+CGPADDR=?", "List the defined <cid>s.", key="cgpaddr.test"),
            FormSpec(Form.READ, "AT+CGPADDR?", "Show every address.", key="cgpaddr.read"),
            FormSpec(Form.EXECUTE, "AT+CGPADDR", "Show every address.", key="cgpaddr.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGPADDR=<cid>",
                "Show the address of one context.",
                "+CGPADDR: <cid>[,<PDP_addr_1>[,<PDP_addr_2>]]",
                params=(_int("cid", 0, 10, "Context identifier."),),
                required=1,
                key="cgpaddr.write",
            ),
        ),
    ),
    CommandSpec(
        "+CSCON",
        "Signaling Connection Status",
        "AT manual 4.6",
        "Idle (0) or connected (1); <n>=1 reports changes as +CSCON: <mode>.",
        (
            FormSpec(
                Form.TEST, "AT+CSCON=?", "List the URC modes.", "+CSCON: (0,1)", key="cscon.test"
            ),
            FormSpec(
                Form.READ,
                "AT+CSCON?",
                "Show the connection.",
                "+CSCON: <n>,<mode>",
                key="cscon.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CSCON=<n>",
                "Enable (1) or disable (0) the URC.",
                params=(_choice("n", (0, 1), "1: report +CSCON: <mode>."),),
                required=1,
                key="cscon.write",
            ),
        ),
    ),
    CommandSpec(
        "+CSQ",
        "Signal Quality Report",
        "AT manual 4.7",
        "RSSI index and BER.",
        (
            FormSpec(Form.TEST, "AT+CSQ=?", "List the ranges.", key="csq.test"),
            FormSpec(
                Form.EXECUTE, "AT+CSQ", "Show the signal quality.", "+CSQ: <rssi>,<ber>", key="csq"
            ),
        ),
    ),
    CommandSpec(
        "+QENG",
        "Engineering Mode",
        "AT manual 4.8",
        "Serving cell radio information (0), Tx/Rx time (2), PLMN state (3).",
        (
            FormSpec(Form.TEST, "AT+QENG=?", "List the modes.", "+QENG: (0-3)", key="qeng.test"),
            FormSpec(
                Form.WRITE,
                "AT+QENG=<mode>[,<accuracy>]",
                "Query engineering information.",
                "+QENG: 0,<sc_EARFCN>,<sc_EARFCN_offset>,<sc_pci>,<sc_cellID>,<sc_RSRP>,"
                "<sc_RSRQ>,<sc_RSSI>,<sc_SINR>,<sc_band>,<sc_TAC>,<sc_ECL>,<sc_Tx_pwr>,"
                "<operation_mode>",
                params=(
                    _int("mode", 0, 3, "0 radio, 1 data transfer (unsupported), 2 time, 3 PLMN."),
                    _int("accuracy", 0, 255, "0: <Rx_time>/<Tx_time> in ms (mode 2 only)."),
                ),
                required=1,
                key="qeng.write",
            ),
        ),
        max_response_time=15.0,
    ),
    CommandSpec(
        "+CGDCONT",
        "Define PDP Context",
        "AT manual 5.4",
        "PDP contexts 1-10 (cid 0 is the initial one, set with AT+QCGDEFCONT).",
        (
            FormSpec(Form.TEST, "AT+CGDCONT=?", "List the ranges.", key="cgdcont.test"),
            FormSpec(
                Form.READ,
                "AT+CGDCONT?",
                "Show the defined contexts.",
                "+CGDCONT: <cid>,<PDP_type>,<APN>[,<PDP_addr>] ...",
                key="cgdcont.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CGDCONT=<cid>[,<PDP_type>[,<APN>[,<PDP_addr>[,<d_comp>[,<h_comp>"
                "[,<IPv4_addr_alloc>[,<request_type>[,<P-CSCF_discovery>"
                "[,<IM_CN_signaling_flag_ind>[,<NSLPI>[,<securePCO>[,<IPv4_MTU_discovery>"
                "[,<local_addr_ind>[,<Non-IP_MTU_discovery>]]]]]]]]]]]]]]",
                "Define a context (AT+CGDCONT=<cid> alone undefines it).",
                params=(
                    _int("cid", 1, 10, "Context identifier (0 is set with AT+QCGDEFCONT)."),
                    PDP_TYPE,
                    APN,
                    _str("PDP_addr", "Omitted for EPS.", max_bytes=64, allow_empty=True),
                    _int("d_comp", 0, 3, "PDP data compression."),
                    _int("h_comp", 0, 4, "PDP header compression."),
                    _int("IPv4_addr_alloc", 0, 1, "0 through NAS signaling, 1 DHCP."),
                    _int("request_type", 0, 3, "Kind of PDP context activation request."),
                    _int("P-CSCF_discovery", 0, 2, "How the P-CSCF address is found."),
                    _int("IM_CN_signaling_flag_ind", 0, 1, "IM CN signalling only."),
                    _int("NSLPI", 0, 1, "NAS signalling low priority."),
                    _int("securePCO", 0, 1, "Security protected PCO."),
                    _int("IPv4_MTU_discovery", 0, 1, "IPv4 MTU through NAS signalling."),
                    _int("local_addr_ind", 0, 1, "Local IP address in TFTs."),
                    _int("Non-IP_MTU_discovery", 0, 1, "Non-IP MTU through NAS signalling."),
                ),
                required=1,
                key="cgdcont.write",
            ),
        ),
    ),
    CommandSpec(
        "+QCGDEFCONT",
        "Set Default PSD Connection Settings",
        "AT manual 5.6",
        "The initial PDP context (cid 0): type and APN, used from the next boot.",
        (
            FormSpec(Form.TEST, "AT+QCGDEFCONT=?", "List the PDP types.", key="qcgdefcont.test"),
            FormSpec(
                Form.READ,
                "AT+QCGDEFCONT?",
                "Show the settings.",
                "+QCGDEFCONT: <PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]",
                key="qcgdefcont.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QCGDEFCONT=<PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]",
                "Set the initial PDP context (takes effect after a reboot).",
                params=(
                    PDP_TYPE,
                    APN,
                    _str("user_name", "User name (19 bytes).", max_bytes=19, allow_empty=True),
                    _str("password", "Password (19 bytes).", max_bytes=19, allow_empty=True),
                    _int("auth_type", 0, 2, "0 none, 1 PAP, 2 CHAP (not supported)."),
                ),
                required=1,
                key="qcgdefcont.write",
            ),
        ),
        cross_check=_qcgdefcont_cross,
    ),
    CommandSpec(
        "+COPS",
        "Operator Selection",
        "AT manual 7.2",
        "Network operator: automatic (0), manual (1), deregister (2).",
        (
            FormSpec(Form.TEST, "AT+COPS=?", "List the operators present.", key="cops.test"),
            FormSpec(
                Form.READ,
                "AT+COPS?",
                "Show the mode and the selected operator.",
                "+COPS: <mode>[,<format>,<oper>][,<AcT>]",
                key="cops.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+COPS=<mode>[,<format>[,<oper>[,<AcT>]]]",
                "Select the operator, or deregister.",
                params=(
                    _int(
                        "mode", 0, 4, "0 auto, 1 manual, 2 deregister, 3 set format, 4 manual/auto."
                    ),
                    _int("format", 0, 2, "0 long name, 1 short name, 2 numeric."),
                    _str("oper", "Operator in <format>.", max_bytes=32),
                    _choice("AcT", (9,), "9: E-UTRAN (NB-S1 mode)."),
                ),
                required=1,
                key="cops.write",
            ),
        ),
        max_response_time=305.0,
        cross_check=_cops_cross,
    ),
    CommandSpec(
        "+CIMI",
        "Request International Mobile Subscriber Identity",
        "AT manual 8.4",
        "The IMSI.",
        (
            FormSpec(Form.TEST, "AT+CIMI=?", "Answers OK.", key="cimi.test"),
            FormSpec(Form.EXECUTE, "AT+CIMI", "Show the IMSI.", "<IMSI>", key="cimi"),
        ),
    ),
    CommandSpec(
        "+CPIN",
        "Enter PIN",
        "AT manual 8.6",
        "SIM state; READY when no PIN is needed.",
        (
            FormSpec(Form.TEST, "AT+CPIN=?", "Answers OK.", key="cpin.test"),
            FormSpec(
                Form.READ, "AT+CPIN?", "Show the SIM state.", "+CPIN: <code>", key="cpin.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CPIN=<pin>[,<newpin>]",
                "Enter the PIN (or the PUK and a new PIN).",
                params=(
                    _str("pin", "Password.", max_bytes=8),
                    _str("newpin", "New PIN after a PUK.", max_bytes=8),
                ),
                required=1,
                key="cpin.write",
            ),
        ),
    ),
    CommandSpec(
        "+QCCID",
        "USIM Card Identification",
        "AT manual 8.11",
        "The ICCID of the USIM.",
        (FormSpec(Form.EXECUTE, "AT+QCCID", "Show the ICCID.", "+QCCID: <ICCID>", key="qccid"),),
    ),
    CommandSpec(
        "+CEDRXS",
        "eDRX Setting",
        "AT manual 9.1",
        "Enable eDRX and request a cycle (mode 2 also reports +CEDRXP).",
        (
            FormSpec(Form.TEST, "AT+CEDRXS=?", "List the ranges.", key="cedrxs.test"),
            FormSpec(
                Form.READ,
                "AT+CEDRXS?",
                "Show the requested value.",
                "+CEDRXS: <AcT_type>,<requested_eDRX_value>",
                key="cedrxs.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CEDRXS=<mode>[,<AcT_type>[,<requested_eDRX_value>]]",
                "0 off, 1 on, 2 on with +CEDRXP, 3 off and reset.",
                params=(
                    _int("mode", 0, 3, "0 disable, 1 enable, 2 enable + URC, 3 disable + reset."),
                    _choice("AcT_type", (5,), "5: E-UTRAN (NB-S1 mode)."),
                    _str("requested_eDRX_value", "eDRX cycle, 4 bits.", bits=4),
                ),
                required=1,
                key="cedrxs.write",
            ),
        ),
    ),
    CommandSpec(
        "+CEDRXRDP",
        "eDRX Read Dynamic Parameters",
        "AT manual 9.2",
        "The eDRX values the cell uses (0 when eDRX is not used).",
        (
            FormSpec(Form.TEST, "AT+CEDRXRDP=?", "Answers OK.", key="cedrxrdp.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CEDRXRDP",
                "Show the eDRX parameters in use.",
                "+CEDRXRDP: <AcT_type>[,<requested_eDRX_value>[,<NW_provided_eDRX_value>"
                "[,<paging_time_window>]]]",
                key="cedrxrdp",
            ),
        ),
    ),
    CommandSpec(
        "+CFUN",
        "Set UE Functionality",
        "AT manual 9.3",
        "0 minimum functionality, 1 full, 4 RF off; <rst>=1 resets.",
        (
            FormSpec(Form.TEST, "AT+CFUN=?", "List the levels.", key="cfun.test"),
            FormSpec(Form.READ, "AT+CFUN?", "Show the level.", "+CFUN: <fun>", key="cfun.read"),
            FormSpec(
                Form.WRITE,
                "AT+CFUN=<fun>[,<rst>]",
                "Set the functionality level.",
                params=(
                    _choice("fun", (0, 1, 4), "0 minimum, 1 full, 4 RF off."),
                    _choice("rst", (0, 1), "1: reset the UE."),
                ),
                required=1,
                key="cfun.write",
            ),
        ),
        max_response_time=25.0,
    ),
    CommandSpec(
        "+CPSMS",
        "Power Saving Mode Setting",
        "AT manual 9.4",
        "Enable PSM and request the periodic TAU (T3412) and active time (T3324).",
        (
            FormSpec(Form.TEST, "AT+CPSMS=?", "List the ranges.", key="cpsms.test"),
            FormSpec(
                Form.READ,
                "AT+CPSMS?",
                "Show the requested values.",
                "+CPSMS: <mode>,,,<requested_periodic_TAU>,<requested_active_time>",
                key="cpsms.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CPSMS=<mode>[,,,<requested_periodic_TAU>[,<requested_active_time>]]",
                "0 off, 1 on, 2 off and reset.",
                params=(
                    _int("mode", 0, 2, "0 disable, 1 enable, 2 disable and reset."),
                    Param(
                        "Requested_Periodic-RAU",
                        ParamKind.STRING,
                        "Not used (leave empty).",
                        omitted_only=True,
                    ),
                    Param(
                        "Requested_GPRS-READY-timer",
                        ParamKind.STRING,
                        "Not used (leave empty).",
                        omitted_only=True,
                    ),
                    _str(
                        "requested_periodic_TAU",
                        'T3412 as GPRS Timer 3, 8 bits ("01000111" is 70 hours).',
                        bits=8,
                    ),
                    _str(
                        "requested_active_time",
                        'T3324 as GPRS Timer 2, 8 bits ("00100100" is 4 minutes).',
                        bits=8,
                    ),
                ),
                required=1,
                key="cpsms.write",
            ),
        ),
    ),
    CommandSpec(
        "+QNBIOTEVENT",
        "Enable/Disable NB-IoT Related Event Report",
        "AT manual 9.8",
        'Report PSM events as +QNBIOTEVENT: "ENTER PSM" / "EXIT PSM".',
        (
            FormSpec(Form.TEST, "AT+QNBIOTEVENT=?", "Answers OK.", key="qnbiotevent.test"),
            FormSpec(
                Form.READ,
                "AT+QNBIOTEVENT?",
                "Show the setting.",
                "+QNBIOTEVENT: <enable>,<event>",
                key="qnbiotevent.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QNBIOTEVENT=<enable>,<event>",
                "Enable (1) or disable (0) the report of <event> 1 (PSM state).",
                params=(
                    _choice("enable", (0, 1), "1: report the event."),
                    _choice("event", (1,), "1: PSM state."),
                ),
                required=2,
                key="qnbiotevent.write",
            ),
        ),
    ),
    CommandSpec(
        "+QSCLK",
        "Configure Sleep Mode",
        "AT manual 9.10",
        "0 no sleep, 1 light and deep sleep, 2 light sleep only (not saved).",
        (
            FormSpec(Form.TEST, "AT+QSCLK=?", "List the modes.", "+QSCLK: (0-2)", key="qsclk.test"),
            FormSpec(Form.READ, "AT+QSCLK?", "Show the mode.", "+QSCLK: <n>", key="qsclk.read"),
            FormSpec(
                Form.WRITE,
                "AT+QSCLK=<n>",
                "Set the sleep mode.",
                params=(_int("n", 0, 2, "0 disable, 1 light + deep sleep, 2 light sleep."),),
                required=1,
                key="qsclk.write",
            ),
        ),
    ),
    CommandSpec(
        "+CBC",
        "Query Power Supply Voltage",
        "AT manual 10.1",
        "Supply voltage in mV.",
        (
            FormSpec(Form.TEST, "AT+CBC=?", "Answers OK.", key="cbc.test"),
            FormSpec(Form.EXECUTE, "AT+CBC", "Show the voltage.", "+CBC: <voltage>", key="cbc"),
        ),
    ),
    CommandSpec(
        "+CMEE",
        "Report Mobile Termination Error",
        "AT manual 10.2",
        "0 plain ERROR, 1 numeric +CME ERROR: <err>, 2 verbose (saved to NVRAM).",
        (
            FormSpec(Form.TEST, "AT+CMEE=?", "List the modes.", "+CMEE: (0-2)", key="cmee.test"),
            FormSpec(Form.READ, "AT+CMEE?", "Show the mode.", "+CMEE: <n>", key="cmee.read"),
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
        "Module Reset",
        "AT manual 10.4",
        "AT+QRST=1 resets at once: sockets drop, RDY, then +IP: after registration.",
        (
            FormSpec(Form.TEST, "AT+QRST=?", "List the modes.", "+QRST: (1)", key="qrst.test"),
            FormSpec(
                Form.WRITE,
                "AT+QRST=1",
                "Reboot now.",
                "OK, then RDY",
                params=(_choice("mode", (1,), "1: reset after OK, without detaching."),),
                required=1,
                key="qrst",
            ),
        ),
    ),
    CommandSpec(
        "+QCFG",
        "System Configuration",
        "AT manual 11.1",
        'Deep sleep event URC ("dsevent") and the countdown to sleep ("slplocktimes").',
        (
            FormSpec(Form.TEST, "AT+QCFG=?", "List the functions.", key="qcfg.test"),
            FormSpec(Form.READ, "AT+QCFG?", "Show every function.", key="qcfg.read"),
            FormSpec(
                Form.WRITE,
                'AT+QCFG="dsevent"[,<value>]',
                "Report entering and leaving deep sleep (or, without a value, show it).",
                '+QCFG: "dsevent",<value> when querying',
                (
                    _str("function", '"dsevent"', choices=("dsevent",), fmt=StrFormat.KEYWORD),
                    _choice("value", (0, 1), "1: report the deep sleep URCs."),
                ),
                required=1,
                key="qcfg.dsevent",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QCFG="slplocktimes"[,<value>]',
                "Seconds of quiet before the module sleeps (or, without a value, show it).",
                '+QCFG: "slplocktimes",<value> when querying',
                (
                    _str(
                        "function",
                        '"slplocktimes"',
                        choices=("slplocktimes",),
                        fmt=StrFormat.KEYWORD,
                    ),
                    _int("value", 0, 30, "Countdown to sleep in seconds (default 10)."),
                ),
                required=1,
                key="qcfg.slplocktimes",
            ),
        ),
    ),
    CommandSpec(
        "+CCLK",
        "Set and Get Current Date and Time",
        "AT manual 12.1",
        'Module clock "yy/MM/dd,hh:mm:ss±zz" (also set by AT+QNTP with auto_set_time=1).',
        (
            FormSpec(Form.TEST, "AT+CCLK=?", "Answers OK.", key="cclk.test"),
            FormSpec(Form.READ, "AT+CCLK?", "Show the clock.", "+CCLK: <time>", key="cclk.read"),
            FormSpec(
                Form.WRITE,
                "AT+CCLK=<time>",
                "Set the clock.",
                params=(
                    _str(
                        "time",
                        '"yy/MM/dd,hh:mm:ss±zz", ±zz in quarters of an hour.',
                        max_bytes=20,
                    ),
                ),
                required=1,
                key="cclk.write",
            ),
        ),
    ),
    CommandSpec(
        "+CTZR",
        "Time Zone Reporting",
        "AT manual 12.2",
        "Report the time zone: 1 +CTZV, 2 +CTZE, 3 +CTZEU (with UTC).",
        (
            FormSpec(Form.TEST, "AT+CTZR=?", "List the modes.", "+CTZR: (0-3)", key="ctzr.test"),
            FormSpec(
                Form.READ, "AT+CTZR?", "Show the mode.", "+CTZR: <reporting>", key="ctzr.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CTZR=<reporting>",
                "Set the time zone reporting.",
                params=(_int("reporting", 0, 3, "0 off, 1 +CTZV, 2 +CTZE, 3 +CTZEU."),),
                required=1,
                key="ctzr.write",
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
