r"""Scenario scripts: a repeatable run against a module, one step a line.

A script is plain UTF-8 text (``.qis`` by convention). Each line is one step;
blank lines and lines starting with ``#`` are ignored. The comment block at the
top describes the script (its first line is the title ``qiterm run`` shows).

Variables
    ``${NAME}`` anywhere on a line is replaced by the variable's value before the
    line is read; ``$$`` stands for a single ``$``. Values come from the demo
    peers when running on the built-in simulator (``ECHO_HOST``, ``ECHO_IP``,
    ``ECHO_TCP_PORT``, ``ECHO_UDP_PORT``, ``TIME_HOST``, ``NTP_PORT``, ``DNS_IP``,
    ``DNS_PORT``, and ``MODULE_IP``, ``LISTENER_PORT``, ``SERVICE_PORT``), from
    ``set`` lines, and from ``qiterm run --var NAME=VALUE``. A ``--var`` value
    wins over everything, so a script's ``set`` lines are defaults a user can
    override. Using a variable that has no value is a script error.

Steps
    ``AT...``
        Any AT command (``AT`` in any case): send it and wait for its final
        result, including a deferred one (``+QIOPEN:``, the ``+QPING:`` summary,
        ``+QNTP:``, ``+QIDNSGIP:``). The step fails on ``ERROR``, ``+CME ERROR``,
        a timeout or a non-zero result code. Lines that would wait for typed
        data-mode input (``AT+QISEND=0``, ``AT+QISEND=0,5``) are refused: use
        ``send``.
    ``send <connectID> <data>``
    ``send <connectID> to <ip>:<port> <data>``
        Send ``<data>`` on a socket (the second form is the UDP SERVICE one). The
        data is text with escapes (``\r \n \t \0 \\ \" \xNN``), optionally in
        double quotes (to keep leading or trailing spaces, or to send text that
        starts with ``to``), or ``hex:41 42 43``. qiterm picks the command: inline
        when the text allows it, else fixed-length data mode; in the module's
        current send dataformat. The step fails unless the module says
        ``SEND OK``.
    ``expect <regex> [timeout_s]``
        Wait (default 10 s) for a received line or URC whose text matches
        ``<regex>`` (Python syntax, searched anywhere in the line). The search
        runs forward from a cursor over everything received since the script
        started, so a URC that arrived during an earlier step still counts; the
        cursor then moves past the matching line. Command echoes are not
        searched. Received text shows CR, LF and odd bytes escaped (``\r``,
        ``\n``, ``\xNN``); match them as ``\\r``. A trailing number is the
        timeout: to match a line ending in a number write it as ``[5]``.
    ``sleep <seconds>``
        Pause.
    ``note <text>``
        Write an annotation into the capture.
    ``marker [text]``
        Write a numbered marker into the capture.
    ``set NAME value``
        Give a variable a value from the next line on.
    ``try <step>``
        An ``AT``, ``send`` or ``expect`` step that is recorded but never fails
        the run (for clean-ups such as ``try AT+QICLOSE=0``).

Every problem in a script (an unknown step, a bad regex or number, ``send`` data
that cannot be sent, an AT line the command catalog rejects, an undefined
variable) is reported as ``file:line: message``, all of them at once, before
anything is sent.

Example::

    # TCP echo: open a socket, send, check the echo comes back
    note Opening a TCP client to ${ECHO_HOST}
    AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1
    send 0 hello\r\n
    expect ^\+QIURC: "recv",0,7,"hello\\r\\n"$ 5
    AT+QICLOSE=0
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from app.protocol import commands
from app.protocol.catalog import ParamError
from app.protocol.commands import AtCommand
from app.protocol.payload import PayloadError, parse_hex, parse_text

#: ``expect`` waits this long when the line gives no timeout.
DEFAULT_EXPECT_TIMEOUT = 10.0
#: The longest ``sleep`` or ``expect`` timeout a script may ask for.
MAX_WAIT = 3600.0

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR = re.compile(r"\$(?:\$|\{(?P<name>[^}]*)(?P<close>\}?))")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_FIRST_WORD = re.compile(r"(?P<word>\S+)\s*(?P<rest>.*)")
_KEYWORDS = ("send", "expect", "sleep", "note", "marker", "set", "try")


# --- steps ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One line of a script."""

    #: 1-based line number in the script file.
    line_no: int
    #: The line as it runs: stripped, variables substituted.
    text: str
    #: ``try``: a failure is recorded but does not fail the run.
    tolerate: bool = False

    kind: ClassVar[str] = "step"


@dataclass(frozen=True, slots=True, kw_only=True)
class AtStep(Step):
    """Send an AT command and wait for its final (and deferred) result."""

    command: AtCommand
    kind: ClassVar[str] = "at"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendStep(Step):
    """Send bytes on a socket with AT+QISEND; ``remote`` for a UDP SERVICE."""

    connect_id: int
    data: bytes
    remote: tuple[str, int] | None = None
    kind: ClassVar[str] = "send"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectStep(Step):
    """Wait for a received line or URC matching ``pattern``."""

    pattern: re.Pattern[str]
    timeout: float = DEFAULT_EXPECT_TIMEOUT
    kind: ClassVar[str] = "expect"


@dataclass(frozen=True, slots=True, kw_only=True)
class SleepStep(Step):
    seconds: float
    kind: ClassVar[str] = "sleep"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteStep(Step):
    """An annotation written into the capture."""

    note: str
    kind: ClassVar[str] = "note"


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkerStep(Step):
    """A numbered marker written into the capture."""

    label: str = ""
    kind: ClassVar[str] = "marker"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStep(Step):
    """``set NAME value``; ``applied`` is False when the caller fixed NAME (``--var``)."""

    name: str
    value: str
    applied: bool = True
    kind: ClassVar[str] = "set"


# --- the script and its problems -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScriptProblem:
    path: str
    #: 1-based; None for a problem with the whole file (unreadable, not UTF-8...).
    line_no: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line_no is None else f"{self.path}:{self.line_no}"
        return f"{where}: {self.message}"


class ScriptError(ValueError):
    """A script that cannot run; ``problems`` lists every one found, in line order."""

    def __init__(self, problems: list[ScriptProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Script:
    path: str
    steps: tuple[Step, ...]
    #: Every variable's value after the last ``set`` line.
    variables: Mapping[str, str] = field(default_factory=dict)
    #: The comment block at the top, without the ``#``.
    description: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def title(self) -> str:
        """The first line of the top comment block, or the file name."""
        return next((line for line in self.description if line), self.name)

    def __len__(self) -> int:
        return len(self.steps)


class _LineError(ValueError):
    """A problem with one line (its message, without file:line)."""


# --- parsing -----------------------------------------------------------------------


def parse_script(
    text: str,
    path: str = "<script>",
    variables: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
) -> Script:
    """Read a script. ``variables`` are the starting values (the demo peers'),
    ``overrides`` are fixed by the caller (``--var``): ``set`` cannot change them.

    Raises :class:`ScriptError` listing every problem with ``path:line``.
    """
    values = dict(variables or {})
    values.update(overrides or {})
    fixed = frozenset(overrides or ())
    problems: list[ScriptProblem] = []
    steps: list[Step] = []
    description: list[str] = []
    in_header = True
    for line_no, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            if in_header:
                description.append(stripped.removeprefix("#").strip())
            continue
        in_header = False
        try:
            step = _parse_line(substitute(stripped, values), line_no)
        except _LineError as exc:
            problems.append(ScriptProblem(path, line_no, str(exc)))
            continue
        if isinstance(step, SetStep):
            if step.name in fixed:
                step = replace(step, applied=False)
            else:
                values[step.name] = step.value
        steps.append(step)
    if not steps and not problems:
        problems.append(ScriptProblem(path, 1, "no steps (only comments and blank lines)"))
    if problems:
        raise ScriptError(problems)
    while description and not description[-1]:
        description.pop()
    return Script(path, tuple(steps), values, tuple(description))


def load_script(
    path: str | Path,
    variables: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
) -> Script:
    """Read and parse the script file at ``path`` (ScriptError for any problem,
    including a file that cannot be read or is not UTF-8)."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        problem = ScriptProblem(where, None, f"cannot read: {exc.strerror or exc}")
        raise ScriptError([problem]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        problem = ScriptProblem(where, line_no, "not UTF-8 text")
        raise ScriptError([problem]) from None
    return parse_script(text, where, variables, overrides=overrides)


def substitute(line: str, values: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` by its value and ``$$`` by ``$``; every undefined or
    malformed variable on the line is named in one error."""
    problems: list[str] = []

    def value_of(m: re.Match[str]) -> str:
        name = m.group("name")
        if name is None:
            return "$"
        if not m.group("close"):
            problems.append("'${' without a closing '}'")
            return m.group(0)
        if not _NAME.fullmatch(name):
            problems.append(f"${{{name}}} is not a variable name (letters, digits and _)")
            return m.group(0)
        if name not in values:
            problems.append(
                f"undefined variable ${{{name}}} (give it a value with set {name} ... "
                f"or --var {name}=...)"
            )
            return m.group(0)
        return values[name]

    result = _DOLLAR.sub(value_of, line)
    if problems:
        raise _LineError("; ".join(problems))
    return result


def _split(text: str) -> tuple[str, str]:
    m = _FIRST_WORD.fullmatch(text)
    if m is None:  # pragma: no cover - callers pass stripped, non-empty text
        return "", ""
    return m.group("word"), m.group("rest")


def _parse_line(line: str, line_no: int) -> Step:
    word, rest = _split(line)
    keyword = word.lower()
    if keyword == "try":
        if not rest:
            raise _LineError("try needs a step after it (an AT command, send or expect)")
        step = _parse_step(rest, line_no, line)
        if not isinstance(step, AtStep | SendStep | ExpectStep):
            raise _LineError(f"try applies to AT commands, send and expect, not {step.kind}")
        return replace(step, tolerate=True)
    return _parse_step(line, line_no, line)


def _parse_step(line: str, line_no: int, text: str) -> Step:
    word, rest = _split(line)
    keyword = word.lower()
    if keyword == "send":
        return _parse_send(rest, line_no, text)
    if keyword == "expect":
        return _parse_expect(rest, line_no, text)
    if keyword == "sleep":
        if not rest or len(rest.split()) != 1:
            raise _LineError("sleep takes one number of seconds")
        seconds = _seconds(rest, "sleep", allow_zero=True)
        return SleepStep(line_no=line_no, text=text, seconds=seconds)
    if keyword == "note":
        if not rest:
            raise _LineError("note needs text")
        return NoteStep(line_no=line_no, text=text, note=rest)
    if keyword == "marker":
        return MarkerStep(line_no=line_no, text=text, label=rest)
    if keyword == "set":
        name, value = _split(rest) if rest else ("", "")
        if not name or not value:
            raise _LineError("set takes a name and a value: set NAME value")
        if not _NAME.fullmatch(name):
            raise _LineError(f"{name!r} is not a variable name (letters, digits and _)")
        return SetStep(line_no=line_no, text=text, name=name, value=value)
    if keyword == "try":
        raise _LineError("try cannot be repeated")
    if line[:2].upper() == "AT":
        return _parse_at(line, line_no, text)
    known = "an AT command, " + ", ".join(_KEYWORDS)
    raise _LineError(f"unknown step {word!r} (expected {known})")


def _parse_at(line: str, line_no: int, text: str) -> AtStep:
    problem = commands.check_line(line)
    if problem is not None:
        raise _LineError(f"{line}: {problem}")
    command = commands.classify(line)
    if command.data_mode is not None and command.data_mode.payload is None:
        raise _LineError(
            f"{line} enters data mode and would wait for typed input; "
            "use send <connectID> <data> instead"
        )
    return AtStep(line_no=line_no, text=text, command=command)


def _parse_send(rest: str, line_no: int, text: str) -> SendStep:
    usage = "send <connectID> <data>  or  send <connectID> to <ip>:<port> <data>"
    cid_text, rest = _split(rest) if rest else ("", "")
    if not cid_text or not rest:
        raise _LineError(f"send needs a connectID and data: {usage}")
    if not (cid_text.isascii() and cid_text.isdigit()):
        raise _LineError(f"connectID must be a number 0-4, not {cid_text!r}")
    connect_id = int(cid_text)
    remote: tuple[str, int] | None = None
    word, after = _split(rest)
    if word == "to":
        if not after:
            raise _LineError(f"send ... to needs <ip>:<port> and data: {usage}")
        address, rest = _split(after)
        remote = _address(address)
        if not rest:
            raise _LineError(f"nothing to send after {address}: {usage}")
    data = _payload(rest)
    try:
        # Checks connectID, the address and the length (text mode limits; the
        # module's dataformat is only known when the step runs).
        commands.qisend(connect_id, data, hex_format=False, remote=remote)
    except ParamError as exc:
        raise _LineError(str(exc)) from None
    return SendStep(line_no=line_no, text=text, connect_id=connect_id, data=data, remote=remote)


def _address(text: str) -> tuple[str, int]:
    if text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
    else:
        host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text:
        raise _LineError(f"{text!r} is not <ip>:<port>")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise _LineError(f"{host!r} is not an IP address (UDP SERVICE sends to an IP)") from None
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise _LineError(f"port must be 1-65535, not {port_text!r}")
    return host, int(port_text)


def _payload(text: str) -> bytes:
    try:
        if text[:4].lower() == "hex:":
            data = parse_hex(text[4:])
        elif len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            data = parse_text(text[1:-1])
        else:
            data = parse_text(text)
    except PayloadError as exc:
        raise _LineError(f"bad data: {exc}") from None
    if not data:
        raise _LineError("nothing to send (empty data)")
    return data


def _parse_expect(rest: str, line_no: int, text: str) -> ExpectStep:
    if not rest:
        raise _LineError("expect needs a regular expression: expect <regex> [timeout_s]")
    pattern_text, timeout = rest, DEFAULT_EXPECT_TIMEOUT
    parts = rest.rsplit(None, 1)
    if len(parts) == 2 and _NUMBER.fullmatch(parts[1]):
        pattern_text, timeout = parts[0], _seconds(parts[1], "expect timeout", allow_zero=False)
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise _LineError(f"bad regex {pattern_text!r}: {exc.msg}{where}") from None
    return ExpectStep(line_no=line_no, text=text, pattern=pattern, timeout=timeout)


def _seconds(text: str, what: str, *, allow_zero: bool) -> float:
    if not _NUMBER.fullmatch(text):
        raise _LineError(f"{what}: {text!r} is not a number of seconds")
    value = float(text)
    low_ok = value >= 0 if allow_zero else value > 0
    if not math.isfinite(value) or not low_ok or value > MAX_WAIT:
        low = "0" if allow_zero else "more than 0"
        raise _LineError(f"{what}: {text} s is out of range ({low} to {MAX_WAIT:.0f} s)")
    return value


__all__ = [
    "DEFAULT_EXPECT_TIMEOUT",
    "AtStep",
    "ExpectStep",
    "MarkerStep",
    "NoteStep",
    "Script",
    "ScriptError",
    "ScriptProblem",
    "SendStep",
    "SetStep",
    "SleepStep",
    "Step",
    "load_script",
    "parse_script",
    "substitute",
]
