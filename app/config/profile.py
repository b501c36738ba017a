r"""Device profiles: one TOML file per device, so a bench setup is one flag away.

``qiterm --profile NAME`` reads ``<config dir>/qiterm/profiles/NAME.toml``
(:func:`profiles_dir`; ``~/.config/qiterm/profiles`` on Linux); a path to a
``.toml`` file works too. Every key is optional:

====================  ==================================================
Loading never raises for bad content: :func:`load_profile` returns the
:class:`Profile` (defaults for everything it could not use) and a list of
problems, each naming the file, the key (``macro[2].send.connect_id``; tables
counted from 1 as they appear in the file) and what was expected. Unknown keys
are problems too, so a typo is never silent. The file's schema is
:class:`ProfileTable` (msgspec), checked one key at a time by
:func:`app.config.schema.check_table`.

:func:`app.config.toml_write.save_macros` (the macro editor) rewrites the
``[[macro]]`` tables only and keeps the rest of the file as written, comments
included (tomlkit).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from app.config.highlight import HighlightRule, parse_rules
from app.config.paths import profiles_dir
from app.config.schema import Check, Invalid, check_table, expect
from app.config.size import (
    DEFAULT_CAPTURE_MAX_SIZE,
    DEFAULT_LOG_MEMORY,
    MAX_LOG_MEMORY,
    MIN_CAPTURE_MAX_SIZE,
    MIN_LOG_MEMORY,
    SIZE_WORDS,
    format_size,
    parse_capture_size,
    parse_log_memory,
)
from app.link.port import PARITIES, PortSettings
from app.protocol import catalog
from app.protocol.catalog import ParamError

if TYPE_CHECKING:
    from app.config.answers import AnswerRule
    from app.config.macros import Macro

#: What each line ending puts after a command line.
LINE_ENDINGS: dict[str, bytes] = {"CR": b"\r", "CRLF": b"\r\n", "LF": b"\n"}
#: URL schemes pyserial (and qiterm's sim://) open.
URL_SCHEMES = ("sim", "socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110")
#: Polling faster than this would crowd the half-duplex link.
MIN_POLL = 0.5
MAX_POLL = 3600.0
DEFAULT_BAUD = 115200
DEFAULT_POLL = 2.0
#: What the capture keeps of the polling (AT+QISTATE?, the Module pane's reads):
#: "changes" a poll only when its answer differs from the previous one of the same
#: command, "all" every poll, "none" no poll.
CAPTURE_POLLS = ("changes", "all", "none")
DEFAULT_CAPTURE_POLLS = "changes"

_LINE_AND_COLUMN = re.compile(r"\(at line (\d+), column (\d+)\)")


# --- the file's schema -----------------------------------------------------------
# Each key's type, constraints and, in words, what it expects (app.config.schema
# checks a file against it key by key and words the problems with it).


def _check_port(value: str) -> str:
    """A device path, or a URL pyserial opens (socket:// and rfc2217:// with a port)."""
    text = value.strip()
    if not text.isprintable():
        raise Invalid(_PORT)
    scheme, sep, rest = text.partition("://")
    if sep:
        if scheme.lower() not in URL_SCHEMES:
            schemes = ", ".join(f"{s}://" for s in URL_SCHEMES)
            raise Invalid(f"a device path or a URL starting {schemes}")
        if scheme.lower() in ("socket", "rfc2217"):
            host, colon, port = rest.partition("?")[0].rpartition(":")
            number = int(port) if port.isascii() and port.isdigit() else 0
            if not colon or not host or not 0 < number < 65536:
                raise Invalid(f'"{scheme}://<host>:<port>" (port 1-65535)')
    return text


def _check_poll(value: float) -> float:
    if 0 < value < MIN_POLL:  # 0 pauses; a little more would crowd the link
        raise Invalid(_POLL)
    return value


def _check_size(value: str | int) -> int:
    """The profile's ``capture_max_size`` in bytes (0: off)."""
    try:
        return parse_capture_size(value) or 0
    except ValueError:
        raise Invalid(_SIZE_WORDS) from None


def _check_log_memory(value: str | int) -> int:
    """A size such as ``"32M"``, or a number of bytes, within the bounds."""
    try:
        return parse_log_memory(str(value))
    except ValueError:
        raise Invalid(_LOG_MEMORY) from None


def _check_folder(value: str) -> str:
    if not value.isprintable():
        raise Invalid(_FOLDER)
    return value


_PARITY_WORDS = {"NONE": "N", "EVEN": "E", "ODD": "O", "MARK": "M", "SPACE": "S"}


def parity_letter(value: str) -> str:
    """``"e"``, ``"even"`` -> ``"E"``; Invalid for anything else."""
    text = value.strip().upper()
    text = _PARITY_WORDS.get(text, text)
    if text not in PARITIES:
        raise Invalid(_PARITY)
    return text


def _check_stop_bits(value: float) -> float:
    if value not in (1, 1.5, 2):
        raise Invalid(_STOP_BITS)
    return float(value)


def _check_line(value: str) -> str:
    if not value.strip() or not value.isprintable():
        raise Invalid(_LINE)
    return value.strip()


def _check_param(param: catalog.Param, expected: str) -> Check:
    """A check against the command catalog: what the module itself would take."""

    def check(value: str) -> str:
        try:
            param.check(value)
        except ParamError as exc:
            raise Invalid(f"{expected} ({exc.reason or 'out of range'})") from None
        return value

    return check


_PORT = 'a serial device or URL such as "/dev/ttyUSB0", "COM3", "sim://" or "socket://host:7000"'
_POLL = f"a number of seconds: 0 (paused) or {MIN_POLL:g} to {MAX_POLL:g}"
_FOLDER = 'a folder path such as "~/captures"'
_SIZE_WORDS = f'{SIZE_WORDS} from {format_size(MIN_CAPTURE_MAX_SIZE)}, or "off"'
_LOG_MEMORY = (
    f'a size such as "32M" or "512K" (K, M, G: binary units), '
    f"{format_size(MIN_LOG_MEMORY)} to {format_size(MAX_LOG_MEMORY)}"
)
_HOST = "a domain name or IP address"
_PARITY = '"N", "E", "O", "M" or "S" (none, even, odd, mark, space)'
_STOP_BITS = "1, 1.5 or 2"
_LINE = 'a one-line command such as "AT+CSQ" or "!hex 41 54 0D"'

Port = Annotated[str, expect(_PORT, _check_port, pattern=r"\S")]
Baud = Annotated[int, expect("a positive integer such as 9600 or 115200", gt=0)]
LineEnding = Annotated[str, expect('"CR", "CRLF" or "LF"', str.upper, pattern="^(?i:CR|CRLF|LF)$")]
Echo = Annotated[bool, expect("true or false")]
DataBits = Annotated[int, expect("5, 6, 7 or 8", ge=5, le=8)]
Parity = Annotated[str, expect(_PARITY, parity_letter)]
StopBits = Annotated[float, expect(_STOP_BITS, _check_stop_bits)]
Flag = Annotated[bool, expect("true or false")]
CommandLine = Annotated[str, expect(_LINE, _check_line)]
Commands = Annotated[list[CommandLine], expect("an array of command lines")]
Answers = Annotated[list[Any], expect("an array of tables ([[answer]] sections)")]
PollInterval = Annotated[float, expect(_POLL, _check_poll, ge=0, le=MAX_POLL)]
Folder = Annotated[str, expect(_FOLDER, _check_folder, pattern=r"\S")]
CaptureSize = Annotated[str | int, expect(_SIZE_WORDS, _check_size)]
CapturePolls = Annotated[
    str, expect('"changes", "all" or "none"', str.lower, pattern="^(?i:changes|all|none)$")
]
LogMemory = Annotated[str | int, expect(_LOG_MEMORY, _check_log_memory)]
Host = Annotated[str, expect(_HOST, _check_param(catalog.HOST, _HOST))]
Hosts = Annotated[list[Host], expect("an array of host names or IP addresses")]
PortNumber = Annotated[int, expect("an integer 1-65535", ge=1, le=65535)]
PortNumbers = Annotated[list[PortNumber], expect("an array of port numbers 1-65535")]
NtpServer = Annotated[str, expect(_HOST, _check_param(catalog.NTP_SERVER, _HOST))]
DnsServer = Annotated[str, expect("an IP address", _check_param(catalog.PRI_DNS, "an IP address"))]
#: ``[[macro]]`` and ``[[highlight]]`` entries are checked one by one, by
#: :func:`app.config.macros.parse_macros` and :func:`app.config.highlight.parse_rules`.
Macros = Annotated[list[Any], expect("an array of tables ([[macro]] sections)")]
Highlights = Annotated[list[Any], expect("an array of tables ([[highlight]] sections)")]


class FavouritesTable(msgspec.Struct, kw_only=True):
    """``[favourites]``: values that pre-fill the forms."""

    hosts: Hosts = []
    ports: PortNumbers = []
    ntp_server: NtpServer | None = None
    dns_server: DnsServer | None = None


class ProfileTable(msgspec.Struct, kw_only=True):
    """A profile file; every key is optional."""

    port: Port | None = None
    baud: Baud = DEFAULT_BAUD
    data_bits: DataBits = 8
    parity: Parity = "N"
    stop_bits: StopBits = 1.0
    rtscts: Flag = False
    xonxoff: Flag = False
    line_ending: LineEnding = "CR"
    echo: Echo = True
    local_echo: Flag = True
    poll_interval: PollInterval = DEFAULT_POLL
    log_folder: Folder | None = None
    capture_max_size: CaptureSize = DEFAULT_CAPTURE_MAX_SIZE
    capture_polls: CapturePolls = DEFAULT_CAPTURE_POLLS
    log_memory: LogMemory = format_size(DEFAULT_LOG_MEMORY)
    favourites: Annotated[FavouritesTable, expect("a table ([favourites])")] = msgspec.field(
        default_factory=FavouritesTable
    )
    macro: Macros = []
    highlight: Highlights = []
    commands: Commands = []
    answer: Answers = []


PROFILE_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(ProfileTable))
FAVOURITE_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(FavouritesTable))


# --- the profile ------------------------------------------------------------------


@dataclass
class Favourites:
    """Values that pre-fill the forms."""

    hosts: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    ntp_server: str | None = None
    dns_server: str | None = None

    def form_defaults(self) -> dict[str, object]:
        """The console's form defaults (the keys :class:`app.demo.wiring.Demo` fills):
        the first host opens, pings and (the first name) resolves; the first port
        opens. Only keys with a favourite are present."""
        out: dict[str, object] = {}
        if self.hosts:
            out["tcp_host"] = self.hosts[0]
            out["ping_host"] = self.hosts[0]
            name = next((h for h in self.hosts if not catalog.is_ip_address(h)), None)
            if name is not None:
                out["dns_name"] = name
        if self.ports:
            out["tcp_port"] = self.ports[0]
        if self.ntp_server is not None:
            out["ntp_server"] = self.ntp_server
        if self.dns_server is not None:
            out["dns_server"] = self.dns_server
        return out

    def to_dict(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        if self.hosts:
            table["hosts"] = list(self.hosts)
        if self.ports:
            table["ports"] = list(self.ports)
        if self.ntp_server is not None:
            table["ntp_server"] = self.ntp_server
        if self.dns_server is not None:
            table["dns_server"] = self.dns_server
        return table


@dataclass
class Profile:
    #: Serial device or URL; None: the command line's (or the simulator).
    port: str | None = None
    baud: int = DEFAULT_BAUD
    #: Character framing and flow control (the port is opened so, every time).
    data_bits: int = 8
    parity: str = "N"
    stop_bits: float = 1.0
    rtscts: bool = False
    xonxoff: bool = False
    #: ``"CR"``, ``"CRLF"`` or ``"LF"`` (upper case).
    line_ending: str = "CR"
    #: ATE1 (True) or ATE0 (False) at connect.
    echo: bool = True
    #: The log shows what qiterm sends (False: only what comes back).
    local_echo: bool = True
    #: AT+QISTATE? polling period in seconds; 0 pauses it.
    poll_interval: float = DEFAULT_POLL
    #: As written in the file (``~`` not expanded): see :attr:`log_path`.
    log_folder: str | None = None
    #: Bytes a capture file grows to before the next numbered part; 0: no limit.
    capture_max_size: int = DEFAULT_CAPTURE_MAX_SIZE
    #: What the capture keeps of the polling: one of :data:`CAPTURE_POLLS`.
    capture_polls: str = DEFAULT_CAPTURE_POLLS
    #: Bytes of memory the log's lines may keep (the oldest leave first).
    log_memory: int = DEFAULT_LOG_MEMORY
    favourites: Favourites = field(default_factory=Favourites)
    macros: list[Macro] = field(default_factory=list)
    highlights: list[HighlightRule] = field(default_factory=list)
    #: The command list (a pane of saved lines, each sent with its own key).
    commands: list[str] = field(default_factory=list)
    answers: list[AnswerRule] = field(default_factory=list)

    @property
    def line_terminator(self) -> bytes:
        return LINE_ENDINGS[self.line_ending]

    @property
    def port_settings(self) -> PortSettings:
        """How the port opens: baud rate, framing and flow control."""
        return PortSettings(
            self.baud,
            bytesize=self.data_bits,
            parity=self.parity,
            stopbits=self.stop_bits,
            rtscts=self.rtscts,
            xonxoff=self.xonxoff,
        )

    @property
    def log_path(self) -> Path | None:
        return Path(self.log_folder).expanduser() if self.log_folder else None

    def to_dict(self) -> dict[str, Any]:
        """The TOML document (None values left out: TOML has no null)."""
        doc: dict[str, Any] = {}
        if self.port is not None:
            doc["port"] = self.port
        doc["baud"] = self.baud
        if self.port_settings != PortSettings(self.baud):
            doc["data_bits"] = self.data_bits
            doc["parity"] = self.parity
            doc["stop_bits"] = self.stop_bits
            doc["rtscts"] = self.rtscts
            doc["xonxoff"] = self.xonxoff
        doc["line_ending"] = self.line_ending
        doc["echo"] = self.echo
        if not self.local_echo:
            doc["local_echo"] = False
        doc["poll_interval"] = self.poll_interval
        if self.log_folder is not None:
            doc["log_folder"] = self.log_folder
        if self.capture_max_size != DEFAULT_CAPTURE_MAX_SIZE:
            doc["capture_max_size"] = self.capture_max_size or "off"
        if self.capture_polls != DEFAULT_CAPTURE_POLLS:
            doc["capture_polls"] = self.capture_polls
        if self.log_memory != DEFAULT_LOG_MEMORY:
            doc["log_memory"] = format_size(self.log_memory)
        favourites = self.favourites.to_dict()
        if favourites:
            doc["favourites"] = favourites
        if self.macros:
            doc["macro"] = [m.to_dict() for m in self.macros]
        if self.highlights:
            doc["highlight"] = [r.to_dict() for r in self.highlights]
        if self.commands:
            doc["commands"] = list(self.commands)
        if self.answers:
            doc["answer"] = [a.to_dict() for a in self.answers]
        return doc


@dataclass
class LoadedProfile:
    profile: Profile
    #: One line per problem: ``<file>: <key>: expected ..., got ...``.
    problems: list[str] = field(default_factory=list)
    #: The file read (or looked for).
    path: Path | None = None
    #: The top-level keys the file set to a usable value (the rest are defaults),
    #: so command-line options can tell a profile's choice from a default.
    given: frozenset[str] = frozenset()


# --- where profiles live ------------------------------------------------------------


def profile_path(name: str | Path) -> Path:
    """``NAME`` -> ``<profiles_dir>/NAME.toml``; a path (a ``.toml`` name or one with
    a directory in it) is taken as it is, with ``~`` expanded."""
    if isinstance(name, Path):
        return name.expanduser()
    text = name.strip()
    if not text:
        raise ValueError("a profile name cannot be empty")
    if text.lower().endswith(".toml") or "/" in text or os.sep in text:
        return Path(text).expanduser()
    return profiles_dir() / f"{text}.toml"


def list_profiles() -> list[str]:
    """The profile names in :func:`profiles_dir`, sorted (none when it is missing)."""
    try:
        return sorted(p.stem for p in profiles_dir().glob("*.toml") if p.is_file())
    except OSError:
        return []


# --- loading --------------------------------------------------------------------------


def load_profile(name_or_path: str | Path) -> LoadedProfile:
    """Read a profile by name or path. Never raises for a missing, unreadable or
    invalid file: the problems say what was wrong and the defaults fill in."""
    try:
        path = profile_path(name_or_path)
    except ValueError as exc:
        return LoadedProfile(Profile(), [f"--profile: {exc}"])
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        known = list_profiles()
        hint = f" (profiles: {', '.join(known)})" if known else ""
        return LoadedProfile(
            Profile(), [f"{where}: no such profile file; using the defaults{hint}"], path
        )
    except OSError as exc:
        return LoadedProfile(
            Profile(), [f"{where}: cannot read: {exc.strerror or exc}; using the defaults"], path
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return LoadedProfile(
            Profile(), [f"{where}:{line}: not UTF-8 text; using the defaults"], path
        )
    loaded = parse_profile(text, where)
    loaded.path = path
    return loaded


def parse_profile(text: str, where: str = "<profile>") -> LoadedProfile:
    """Read profile TOML text; ``where`` names it in the problems."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _LINE_AND_COLUMN.search(message)
        line = f":{m.group(1)}" if m else ""
        reason = _LINE_AND_COLUMN.sub("", message).strip()
        column = f" (column {m.group(2)})" if m else ""
        return LoadedProfile(
            Profile(), [f"{where}{line}: TOML syntax error: {reason}{column}; using the defaults"]
        )
    return _read(doc, where)


def _read(doc: dict[str, Any], where: str) -> LoadedProfile:
    """The profile in a TOML document: each key checked on its own against
    :class:`ProfileTable`, so a bad key keeps its default and the others apply."""
    checked = check_table(doc, ProfileTable)
    problems = [f"{where}: {p}" for p in checked.problems]
    file = ProfileTable(**checked.values)
    fav = file.favourites
    profile = Profile(
        port=file.port,
        baud=file.baud,
        data_bits=file.data_bits,
        parity=file.parity,
        stop_bits=file.stop_bits,
        rtscts=file.rtscts,
        xonxoff=file.xonxoff,
        line_ending=file.line_ending,
        echo=file.echo,
        local_echo=file.local_echo,
        commands=list(file.commands),
        poll_interval=file.poll_interval,
        log_folder=file.log_folder,
        capture_max_size=int(file.capture_max_size),
        capture_polls=file.capture_polls,
        log_memory=_check_log_memory(file.log_memory),
        favourites=Favourites(
            hosts=fav.hosts,
            ports=fav.ports,
            ntp_server=fav.ntp_server,
            dns_server=fav.dns_server,
        ),
    )
    if file.macro:
        from app.config.macros import parse_macros  # the scenario parser: only when needed

        profile.macros, found = parse_macros(file.macro)
        problems += [f"{where}: {p}" for p in found]
    if file.highlight:
        profile.highlights, found = parse_rules(file.highlight)
        problems += [f"{where}: {p}" for p in found]
    if file.answer:
        from app.config.answers import parse_answers

        profile.answers, found = parse_answers(file.answer)
        problems += [f"{where}: {p}" for p in found]
    return LoadedProfile(profile, problems, None, frozenset(checked.values))


def read_macros(text: str, where: str = "macros") -> tuple[list[Macro], list[str]]:
    """``[[macro]]`` tables (the macro editor's text) as macros, and every problem
    found: empty when they can be saved."""
    from app.config.macros import check_macros, parse_macros, validate_macro

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{where}: TOML syntax error: {exc}"]
    unknown = sorted(set(doc) - {"macro"})
    problems = [f"{where}: {key}: not a macro table (only [[macro]] here)" for key in unknown]
    raw = doc.get("macro", [])
    if not isinstance(raw, list):
        return [], [*problems, f"{where}: macro: expected [[macro]] tables"]
    macros, found = parse_macros(raw, where)
    problems += found
    for macro in macros:
        problems += validate_macro(macro)
    problems += check_macros(macros)
    return macros, problems


__all__ = [
    "CAPTURE_POLLS",
    "DEFAULT_CAPTURE_MAX_SIZE",
    "DEFAULT_CAPTURE_POLLS",
    "FAVOURITE_KEYS",
    "LINE_ENDINGS",
    "PROFILE_KEYS",
    "URL_SCHEMES",
    "Favourites",
    "LoadedProfile",
    "Profile",
    "list_profiles",
    "load_profile",
    "parse_profile",
    "profile_path",
    "profiles_dir",
    "read_macros",
]
