"""The vocabulary of the command catalog: parameters with their ranges and
formats, command forms and specs, and how a command completes.

The tables themselves are in :mod:`app.protocol.spec_tcpip` (the application
note's chapter 2.3) and :mod:`app.protocol.spec_general` (the general commands
of the AT Commands Manual V1.4); :mod:`app.protocol.catalog` puts them together.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

import msgspec

from app.protocol.syntax import Form, parse_int

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


class Param(msgspec.Struct, frozen=True):
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


class FormSpec(msgspec.Struct, frozen=True):
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
