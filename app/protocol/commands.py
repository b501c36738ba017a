"""Validated command builders and the classifier for raw command lines.

Every builder checks each parameter against the spec (through the catalog) and
raises :class:`~app.protocol.catalog.ParamError` naming the parameter, the
value and the allowed range. A builder can never put CR, LF or a stray double
quote inside a field: strings are checked before they are quoted.

:func:`classify` turns any command line, built here or typed by a person, into
an :class:`AtCommand` that tells the link engine how the answer will look:
plain final result, ``OK`` then ``SEND OK``/``CLOSE OK``, a data-mode prompt,
or a deferred result URC that follows ``OK``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.protocol import catalog
from app.protocol.catalog import (
    Completion,
    DataModeKind,
    Deferred,
    FormMismatch,
    ParamError,
    Value,
)
from app.protocol.syntax import (
    AtSyntaxError,
    CommandLine,
    Form,
    parse_command_line,
    split_command_line,
)
from app.protocol.text import hex_encode

CTRL_Z = b"\x1a"
ESC = b"\x1b"

#: §2.3.4: "The maximum length is 1024 bytes in text mode and 512 bytes in hex mode."
MAX_TEXT_SEND = 1024
MAX_HEX_SEND = 512
#: §2.3.4: in variable-length data mode the module sends by itself once the
#: input reaches 1024 bytes.
DATA_MODE_INPUT_MAX = 1024
#: §2.3.5: ping defaults when omitted.
DEFAULT_PING_TIMEOUT = 4
DEFAULT_PING_NUM = 4
#: Extra wait on top of time_out * ping_num for name resolution and the summary line.
PING_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class DeferredSpec:
    """A result that arrives after OK as a URC, and how long to wait for it."""

    kind: Deferred
    timeout: float
    connect_id: int | None = None
    #: +QPING: how many per-reply lines to expect before the summary.
    expected_replies: int = 0


@dataclass(frozen=True, slots=True)
class DataModePlan:
    """What happens after the ``>`` prompt (§2.3.4)."""

    kind: DataModeKind
    send_length: int | None = None
    #: Bytes to write after ``>``; None means a person types them (interactive).
    payload: bytes | None = None
    #: Written after the payload: Ctrl-Z for variable length (unless the input
    #: reached the 1024-byte maximum, which sends by itself), nothing for fixed.
    terminator: bytes = b""


@dataclass(frozen=True, slots=True)
class AtCommand:
    line: str
    name: str
    form: Form
    timeout: float = 5.0
    completion: Completion = Completion.FINAL
    deferred: DeferredSpec | None = None
    data_mode: DataModePlan | None = None
    #: The catalog form key when the line matched a known form.
    key: str = ""
    #: Parameter values by spec name (empty when unknown).
    values: dict[str, Value] = field(default_factory=dict, compare=False, hash=False)
    #: Why the line does not pass the catalog's checks (None when it does).
    problem: str | None = None

    @property
    def wire(self) -> bytes:
        """The bytes to write: the line and its terminating CR (§2.1.2)."""
        return self.line.encode("utf-8") + b"\r"

    def with_payload(self, payload: bytes, terminator: bytes | None = None) -> AtCommand:
        """This data-mode command with its payload filled in."""
        if self.data_mode is None:
            raise ValueError(f"{self.line} does not enter data mode")
        plan = self.data_mode
        if terminator is None:
            terminator = (
                CTRL_Z
                if plan.kind is DataModeKind.VARIABLE and len(payload) < DATA_MODE_INPUT_MAX
                else b""
            )
        return _replace_plan(self, DataModePlan(plan.kind, plan.send_length, payload, terminator))


def _replace_plan(cmd: AtCommand, plan: DataModePlan) -> AtCommand:
    return AtCommand(
        line=cmd.line,
        name=cmd.name,
        form=cmd.form,
        timeout=cmd.timeout,
        completion=cmd.completion,
        deferred=cmd.deferred,
        data_mode=plan,
        key=cmd.key,
        values=cmd.values,
        problem=cmd.problem,
    )


# --- classification -----------------------------------------------------------


def classify(line: str) -> AtCommand:
    """Describe any command line. Never raises for a line that starts with AT;
    a line the catalog rejects comes back with ``problem`` set.

    Raises AtSyntaxError for text that is not an AT command at all, or that
    holds a CR/LF (which would put a second command on the wire).
    """
    if "\r" in line or "\n" in line:
        raise AtSyntaxError("a command line cannot contain CR or LF")
    for ch in line:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise AtSyntaxError(f"control character {ch!r} in the command line")
    if ";" in line:
        parts = split_command_line(line)
        if len(parts) > 1:
            return _several(line.strip(), [classify(part) for part in parts])
    parsed = parse_command_line(line)
    try:
        m = catalog.match(parsed)
    except (FormMismatch, ParamError) as exc:
        return _fallback(parsed, str(exc))
    return _from_match(parsed, m)


def _several(line: str, parts: list[AtCommand]) -> AtCommand:
    """A command line holding several commands joined by ``;`` (AT Commands Manual
    V1.4 §1.2): one final result ends them all, so the line waits as long as its
    commands together. It takes the first command's name; the engine reads the
    others' names from the line. A data-mode or deferred command has to be alone on
    its line to be followed, so such a line says so in ``problem``."""
    first = parts[0]
    problem = next((p.problem for p in parts if p.problem), None)
    if any(p.data_mode is not None or p.deferred is not None for p in parts):
        problem = "a data-mode or deferred-result command must be alone on its line"
    return AtCommand(
        line=line,
        name=first.name,
        form=first.form,
        timeout=sum(p.timeout for p in parts),
        problem=problem,
    )


def _fallback(parsed: CommandLine, problem: str) -> AtCommand:
    """A line outside the catalog: guess its completion from the command name."""
    spec = catalog.lookup(parsed.name)
    timeout = spec.max_response_time if spec else 5.0
    completion = Completion.FINAL
    if parsed.form is Form.WRITE and parsed.name == "+QICLOSE":
        completion = Completion.CLOSE
    elif parsed.form is Form.WRITE and parsed.name == "+QISEND":
        completion = Completion.SEND
    return AtCommand(
        line=parsed.text,
        name=parsed.name,
        form=parsed.form,
        timeout=timeout,
        completion=completion,
        problem=problem,
    )


def _from_match(parsed: CommandLine, m: catalog.Match) -> AtCommand:
    form = m.form
    v = m.values
    deferred: DeferredSpec | None = None
    if form.deferred is Deferred.QIOPEN:
        cid = v.get("connectID")
        deferred = DeferredSpec(
            Deferred.QIOPEN, m.spec.deferred_timeout, cid if isinstance(cid, int) else None
        )
    elif form.deferred is Deferred.QPING:
        t = v.get("time_out")
        n = v.get("ping_num")
        time_out = t if isinstance(t, int) else DEFAULT_PING_TIMEOUT
        ping_num = n if isinstance(n, int) else DEFAULT_PING_NUM
        # §2.3.5: a ping can take time_out * ping_num seconds.
        deferred = DeferredSpec(
            Deferred.QPING,
            time_out * ping_num + PING_MARGIN_S,
            expected_replies=ping_num,
        )
    elif form.deferred is not None:
        deferred = DeferredSpec(form.deferred, m.spec.deferred_timeout)
    plan: DataModePlan | None = None
    if form.data_mode is not None:
        length = v.get("send_length")
        plan = DataModePlan(form.data_mode, length if isinstance(length, int) else None)
    return AtCommand(
        line=parsed.text,
        name=parsed.name,
        form=parsed.form,
        timeout=m.spec.max_response_time,
        completion=form.completion,
        deferred=deferred,
        data_mode=plan,
        key=form.key,
        values=dict(v),
    )


def check_line(line: str, *, send_hex: bool | None = None) -> str | None:
    """Why ``line`` should not be sent as typed, or None when it is fine.

    With ``send_hex`` known (the module's send dataformat), an inline
    AT+QISEND is also checked for <send_length> against its <data>.
    """
    try:
        cmd = classify(line)
    except AtSyntaxError as exc:
        return str(exc)
    if cmd.problem:
        return cmd.problem
    if send_hex is not None and cmd.key in ("qisend.inline", "qisend.udp_inline"):
        length, data = cmd.values.get("send_length"), cmd.values.get("data")
        if isinstance(length, int) and isinstance(data, str):
            try:
                check_send_data(length, data.encode("utf-8"), hex_mode=send_hex)
            except ParamError as exc:
                return str(exc)
    return None


def check_send_data(send_length: int, data: bytes, *, hex_mode: bool) -> None:
    """§2.3.4 note 2: <send_length> equals the text length, or half the hex digits;
    limits 1024 bytes text, 512 bytes hex. ``data`` is <data> as on the wire."""
    if hex_mode:
        if len(data) % 2:
            raise ParamError(
                "data",
                data.decode("ascii", "replace"),
                "an even number of hex digits",
                f"odd number of hex digits ({len(data)})",
            )
        if not all(c in b"0123456789abcdefABCDEF" for c in data):
            raise ParamError(
                "data", data.decode("ascii", "replace"), "hex digits 0-9 A-F", "not a hex string"
            )
        if send_length > MAX_HEX_SEND:
            raise ParamError("send_length", send_length, f"1-{MAX_HEX_SEND} in hex mode")
        if len(data) // 2 != send_length:
            raise ParamError(
                "send_length",
                send_length,
                f"{len(data) // 2} (half the {len(data)} hex digits of <data>)",
                "does not match the data",
            )
    else:
        if send_length > MAX_TEXT_SEND:
            raise ParamError("send_length", send_length, f"1-{MAX_TEXT_SEND} in text mode")
        if len(data) != send_length:
            raise ParamError(
                "send_length",
                send_length,
                f"{len(data)} (the length of <data>)",
                "does not match the data",
            )


# --- builders -----------------------------------------------------------------


def _render(value: Value, quoted: bool) -> str:
    if value is None:
        return ""
    return f'"{value}"' if quoted else str(value)


def build(name: str, key: str, *values: Value) -> AtCommand:
    """Build the form ``key`` of command ``name`` from values in spec order.

    Trailing Nones are omitted optional parameters; a None before a given
    value is refused (the spec nests optional parameters ``[,a[,b]]``).
    """
    spec = catalog.lookup(name)
    if spec is None:
        raise KeyError(name)
    form = next((f for f in spec.forms if f.key == key), None)
    if form is None:
        raise KeyError(key)
    vals = list(values)
    while vals and vals[-1] is None:
        vals.pop()
    if len(vals) > len(form.params):
        raise ParamError(
            spec.command, len(vals), f"at most {len(form.params)} parameters", "too many parameters"
        )
    checked: dict[str, Value] = {}
    for i, param in enumerate(form.params[: max(len(vals), form.required)]):
        value = vals[i] if i < len(vals) else None
        if value is None:
            if i < form.required:
                raise ParamError(param.name, "(missing)", param.allowed(), "required")
            if i < len(vals):
                # A skipped optional before a given one: the spec's default (§2.1.1).
                if param.default is None:
                    later = form.params[len(vals) - 1].name
                    raise ParamError(
                        param.name,
                        "(missing)",
                        param.allowed(),
                        f"required when <{later}> is given",
                    )
                value = vals[i] = param.default
        checked[param.name] = param.check(value)
    if spec.cross_check is not None:
        spec.cross_check(form, checked)
    fields = [
        _render(v, p.kind is catalog.ParamKind.STRING)
        for p, v in zip(form.params, vals, strict=False)
    ]
    if form.form is Form.TEST:
        line = f"AT{name}=?"
    elif form.form is Form.READ:
        line = f"AT{name}?"
    elif form.form is Form.EXECUTE:
        line = f"AT{name}{''.join(fields)}"
    else:
        line = f"AT{name}={','.join(fields)}"
    cmd = classify(line)
    if cmd.problem is not None or cmd.key != key:  # pragma: no cover - a catalog bug
        raise AssertionError(f"built {line!r} does not classify as {key}: {cmd.problem}")
    return cmd


# §2.3.1
def qiopen_test() -> AtCommand:
    return build("+QIOPEN", "qiopen.test")


def qiopen(
    *,
    connect_id: int,
    service_type: str,
    host: str,
    remote_port: int,
    local_port: int = 0,
    access_mode: int = 1,
    context_id: int = 0,
) -> AtCommand:
    """AT+QIOPEN in full, as chapter 4 writes it (local_port and access_mode given)."""
    return build(
        "+QIOPEN",
        "qiopen.write",
        context_id,
        connect_id,
        service_type,
        host,
        remote_port,
        local_port,
        access_mode,
    )


# §2.3.2
def qiclose_test() -> AtCommand:
    return build("+QICLOSE", "qiclose.test")


def qiclose(connect_id: int) -> AtCommand:
    return build("+QICLOSE", "qiclose.write", connect_id)


# §2.3.3
def qistate_test() -> AtCommand:
    return build("+QISTATE", "qistate.test")


def qistate_read() -> AtCommand:
    return build("+QISTATE", "qistate.read")


def qistate_by_context(context_id: int = 0) -> AtCommand:
    return build("+QISTATE", "qistate.context", 0, context_id)


def qistate_by_connect(connect_id: int) -> AtCommand:
    return build("+QISTATE", "qistate.connect", 1, connect_id)


# §2.3.4
class SendMode(Enum):
    AUTO = "auto"  # inline when the data allows it, else fixed-length data mode
    INLINE = "inline"  # AT+QISEND=<id>,<len>,"<data>"
    VARIABLE = "variable"  # AT+QISEND=<id>, then data and Ctrl-Z
    FIXED = "fixed"  # AT+QISEND=<id>,<len>, then exactly <len> bytes


def inline_safe(data: bytes) -> bool:
    """Whether text can sit inside ``"..."`` on a command line: valid UTF-8, and no
    quote, CR, LF or other control byte (it would inject a second command)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch != '"' and ord(ch) >= 0x20 and ord(ch) != 0x7F for ch in text)


def qisend_test() -> AtCommand:
    return build("+QISEND", "qisend.test")


def qisend_query(connect_id: int) -> AtCommand:
    """AT+QISEND=<connectID>,0: totals sent / acked / nAcked."""
    return build("+QISEND", "qisend.query", connect_id, 0)


def qisend(
    connect_id: int,
    data: bytes,
    *,
    hex_format: bool,
    mode: SendMode = SendMode.AUTO,
    rai_mode: int | None = None,
    remote: tuple[str, int] | None = None,
) -> AtCommand:
    """Send ``data`` (the bytes the peer should receive) on a socket.

    ``hex_format`` is the module's current send dataformat (AT+QICFG
    "dataformat"): the bytes then travel as hex digits. ``remote`` is the
    (remote_ip, remote_port) a UDP SERVICE sends to. AUTO picks inline when
    the data can sit in quotes, else fixed-length data mode, which carries any
    byte (including quotes, CR, LF, Ctrl-Z and Esc).
    """
    limit = MAX_HEX_SEND if hex_format else MAX_TEXT_SEND
    if not data:
        raise ParamError("data", "", f"1-{limit} bytes", "nothing to send")
    if len(data) > limit:
        raise ParamError(
            "data",
            f"{len(data)} bytes",
            f"at most {limit} bytes in {'hex' if hex_format else 'text'} mode",
            "too long",
        )
    wire = hex_encode(data).encode("ascii") if hex_format else data
    if mode is SendMode.AUTO:
        mode = SendMode.INLINE if hex_format or inline_safe(data) else SendMode.FIXED
    if rai_mode is not None and mode is not SendMode.INLINE:
        raise ParamError(
            "rai_mode",
            rai_mode,
            "inline sends only",
            "only the non-data-mode forms take <rai_mode>",
        )
    prefix: list[Value] = [connect_id]
    if remote is not None:
        prefix += [remote[0], remote[1]]
    udp = "udp_" if remote is not None else ""
    if mode is SendMode.INLINE:
        if not hex_format and not inline_safe(data):
            raise ParamError(
                "data",
                data.decode("utf-8", "backslashreplace"),
                "text without quotes, CR, LF or control bytes",
                "cannot go inline; send it in data mode",
            )
        text = wire.decode("utf-8")
        return build("+QISEND", f"qisend.{udp}inline", *prefix, len(data), text, rai_mode)
    if mode is SendMode.VARIABLE:
        if CTRL_Z in wire or ESC in wire:
            raise ParamError(
                "data",
                data.decode("utf-8", "backslashreplace"),
                "no Ctrl-Z (0x1A) or Esc (0x1B)",
                "would end or cancel variable-length data mode; use fixed length",
            )
        return build("+QISEND", f"qisend.{udp}variable", *prefix).with_payload(wire)
    return build("+QISEND", f"qisend.{udp}fixed", *prefix, len(data)).with_payload(wire, b"")


# §2.3.5
def qping_test() -> AtCommand:
    return build("+QPING", "qping.test")


def qping(
    host: str,
    *,
    time_out: int | None = None,
    ping_num: int | None = None,
    ping_size: int | None = None,
    rai_enable: int | None = None,
    context_id: int = 0,
) -> AtCommand:
    return build(
        "+QPING", "qping.write", context_id, host, time_out, ping_num, ping_size, rai_enable
    )


# §2.3.6
def qntp_test() -> AtCommand:
    return build("+QNTP", "qntp.test")


def qntp(
    server: str,
    *,
    port: int | None = None,
    auto_set_time: int | None = None,
    context_id: int = 0,
) -> AtCommand:
    return build("+QNTP", "qntp.write", context_id, server, port, auto_set_time)


# §2.3.7
def qidnsgip_test() -> AtCommand:
    return build("+QIDNSGIP", "qidnsgip.test")


def qidnsgip(hostname: str, *, context_id: int = 0) -> AtCommand:
    return build("+QIDNSGIP", "qidnsgip.write", context_id, hostname)


# §2.3.8
def qidnscfg_test() -> AtCommand:
    return build("+QIDNSCFG", "qidnscfg.test")


def qidnscfg(pridnsaddr: str, secdnsaddr: str | None = None, *, context_id: int = 0) -> AtCommand:
    return build("+QIDNSCFG", "qidnscfg.write", context_id, pridnsaddr, secdnsaddr)


def qidnscfg_query(context_id: int = 0) -> AtCommand:
    return build("+QIDNSCFG", "qidnscfg.query", context_id)


# §2.3.9
def qicfg_test() -> AtCommand:
    return build("+QICFG", "qicfg.test")


def qicfg_dataformat(
    send_data_format: int | None = None, recv_data_format: int | None = None
) -> AtCommand:
    """Without values: query. With both: set (0 text, 1 hex)."""
    return build("+QICFG", "qicfg.dataformat", "dataformat", send_data_format, recv_data_format)


def qicfg_showra(showra_mode: int | None = None) -> AtCommand:
    return build("+QICFG", "qicfg.showra", "showRA", showra_mode)


# basic commands
def at() -> AtCommand:
    return build("", "at")


def ate(on: bool) -> AtCommand:
    return build("E", "ate", 1 if on else 0)


def ati() -> AtCommand:
    return build("I", "ati")


def cgmr() -> AtCommand:
    return build("+CGMR", "cgmr")


def cgsn() -> AtCommand:
    return build("+CGSN", "cgsn.write", 1)


def cpin_read() -> AtCommand:
    return build("+CPIN", "cpin.read")


def cfun_read() -> AtCommand:
    return build("+CFUN", "cfun.read")


def cfun(fun: int) -> AtCommand:
    return build("+CFUN", "cfun.write", fun)


def cereg_read() -> AtCommand:
    return build("+CEREG", "cereg.read")


def cereg(n: int) -> AtCommand:
    return build("+CEREG", "cereg.write", n)


def csq() -> AtCommand:
    return build("+CSQ", "csq")


def cgpaddr() -> AtCommand:
    return build("+CGPADDR", "cgpaddr.exec")


def cclk_read() -> AtCommand:
    return build("+CCLK", "cclk.read")


def cmee(n: int) -> AtCommand:
    return build("+CMEE", "cmee.write", n)


def qrst() -> AtCommand:
    return build("+QRST", "qrst", 1)


# The module's own state (AT Commands Manual V1.4): what the Module pane reads.
def cgmm() -> AtCommand:
    return build("+CGMM", "cgmm")  # §2.3


def cimi() -> AtCommand:
    return build("+CIMI", "cimi")  # §8.4


def qccid() -> AtCommand:
    return build("+QCCID", "qccid")  # §8.11


def cesq() -> AtCommand:
    return build("+CESQ", "cesq")  # §4.2


def cgatt_read() -> AtCommand:
    return build("+CGATT", "cgatt.read")  # §4.3


def cscon_read() -> AtCommand:
    return build("+CSCON", "cscon.read")  # §4.6


def cscon(n: int) -> AtCommand:
    return build("+CSCON", "cscon.write", n)  # §4.6


def qeng(mode: int = 0) -> AtCommand:
    return build("+QENG", "qeng.write", mode)  # §4.8


def cgdcont_read() -> AtCommand:
    return build("+CGDCONT", "cgdcont.read")  # §5.4


def cops_read() -> AtCommand:
    return build("+COPS", "cops.read")  # §7.2


def cedrxs_read() -> AtCommand:
    return build("+CEDRXS", "cedrxs.read")  # §9.1


def cedrxrdp() -> AtCommand:
    return build("+CEDRXRDP", "cedrxrdp")  # §9.2


def cpsms_read() -> AtCommand:
    return build("+CPSMS", "cpsms.read")  # §9.4


def qnbiotevent_read() -> AtCommand:
    return build("+QNBIOTEVENT", "qnbiotevent.read")  # §9.8


def qnbiotevent(enable: bool) -> AtCommand:
    return build("+QNBIOTEVENT", "qnbiotevent.write", 1 if enable else 0, 1)  # §9.8, PSM
