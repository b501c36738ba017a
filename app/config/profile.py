r"""Device profiles: one TOML file per device, so a bench setup is one flag away.

``qiterm --profile NAME`` reads ``<config dir>/qiterm/profiles/NAME.toml``
(:func:`profiles_dir`; ``~/.config/qiterm/profiles`` on Linux); a path to a
``.toml`` file works too. Every key is optional:

==================  =========================================================
``port``            serial device or URL: ``"/dev/ttyUSB0"``, ``"COM3"``,
                    ``"sim://"``, ``"socket://host:7000"``, ``"rfc2217://..."``
``baud``            a positive integer (default 115200)
``line_ending``     ``"CR"`` (the spec, §2.1.2; default), ``"CRLF"`` or ``"LF"``
``echo``            ``true``: ATE1 at connect (default), ``false``: ATE0
``poll_interval``   AT+QISTATE? polling in seconds: 0 pauses it, else 0.5-3600
                    (default 2.0)
``log_folder``      where captures and screenshots go (``~`` is expanded)
``[favourites]``    pre-fill the forms: ``hosts`` (array of hosts), ``ports``
                    (array of 1-65535), ``ntp_server`` (host), ``dns_server`` (IP)
``[[macro]]``       ``name``, optional ``key``, and one of ``at``, ``send``,
                    ``script`` (:mod:`app.config.macros`)
``[[highlight]]``   ``pattern`` (regex) and ``style`` (rich style)
                    (:mod:`app.config.highlight`)
==================  =========================================================

Loading never raises for bad content: :func:`load_profile` returns the
:class:`Profile` (defaults for everything it could not use) and a list of
problems, each naming the file, the key (``macro[2].send.connect_id``; tables
counted from 1 as they appear in the file) and what was expected. Unknown keys
are problems too, so a typo is never silent.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import tomli_w

from app.config.highlight import HighlightRule, describe_value, parse_rules
from app.protocol import catalog
from app.protocol.catalog import ParamError

if TYPE_CHECKING:
    from app.config.macros import Macro

#: The example profile (also shipped as ``assets/profiles/example.toml``).
SAMPLE_PROFILE = r'''# qiterm device profile: qiterm --profile NAME reads
# <config dir>/qiterm/profiles/NAME.toml (or give a path to a .toml file).
# Every key is optional; a bad or unknown key is reported and left at its default.

port = "/dev/ttyUSB0"          # or "sim://", "socket://host:7000"
baud = 115200
line_ending = "CR"             # "CR" (the spec, §2.1.2) | "CRLF" | "LF"
echo = true                    # ATE1 / ATE0 sent at connect
poll_interval = 2.0            # QISTATE polling, seconds; 0 pauses it
log_folder = "~/captures"      # where captures and screenshots go

[favourites]                   # pre-fill the forms
hosts = ["echo.qiterm.local", "220.180.239.212"]
ports = [7, 8062]
ntp_server = "time.qiterm.local"
dns_server = "8.8.8.8"

[[macro]]
name = "sockets"
key = "f11"                     # optional key binding
at = "AT+QISTATE?"              # one of: at / send / script

[[macro]]
name = "hello on 0"
send = { connect_id = 0, data = "hello\\r\\n" }

[[macro]]
name = "wait for data"
script = """
AT+QISEND=0,5,"ping!"
expect \\+QIURC: "recv",0
"""

[[highlight]]
pattern = '\+CEREG: 5'          # a literal string: the regex as written
style = "bold magenta"
'''

#: What each line ending puts after a command line.
LINE_ENDINGS: dict[str, bytes] = {"CR": b"\r", "CRLF": b"\r\n", "LF": b"\n"}
#: URL schemes pyserial (and qiterm's sim://) open.
URL_SCHEMES = ("sim", "socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110")
#: Polling faster than this would crowd the half-duplex link.
MIN_POLL = 0.5
MAX_POLL = 3600.0
DEFAULT_BAUD = 115200
DEFAULT_POLL = 2.0

PROFILE_KEYS = (
    "port",
    "baud",
    "line_ending",
    "echo",
    "poll_interval",
    "log_folder",
    "favourites",
    "macro",
    "highlight",
)
FAVOURITE_KEYS = ("hosts", "ports", "ntp_server", "dns_server")

_LINE_AND_COLUMN = re.compile(r"\(at line (\d+), column (\d+)\)")


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
    #: ``"CR"``, ``"CRLF"`` or ``"LF"`` (upper case).
    line_ending: str = "CR"
    #: ATE1 (True) or ATE0 (False) at connect.
    echo: bool = True
    #: AT+QISTATE? polling period in seconds; 0 pauses it.
    poll_interval: float = DEFAULT_POLL
    #: As written in the file (``~`` not expanded): see :attr:`log_path`.
    log_folder: str | None = None
    favourites: Favourites = field(default_factory=Favourites)
    macros: list[Macro] = field(default_factory=list)
    highlights: list[HighlightRule] = field(default_factory=list)

    @property
    def line_terminator(self) -> bytes:
        return LINE_ENDINGS[self.line_ending]

    @property
    def log_path(self) -> Path | None:
        return Path(self.log_folder).expanduser() if self.log_folder else None

    def to_dict(self) -> dict[str, Any]:
        """The TOML document (None values left out: TOML has no null)."""
        doc: dict[str, Any] = {}
        if self.port is not None:
            doc["port"] = self.port
        doc["baud"] = self.baud
        doc["line_ending"] = self.line_ending
        doc["echo"] = self.echo
        doc["poll_interval"] = self.poll_interval
        if self.log_folder is not None:
            doc["log_folder"] = self.log_folder
        favourites = self.favourites.to_dict()
        if favourites:
            doc["favourites"] = favourites
        if self.macros:
            doc["macro"] = [m.to_dict() for m in self.macros]
        if self.highlights:
            doc["highlight"] = [r.to_dict() for r in self.highlights]
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


def profiles_dir() -> Path:
    return Path(platformdirs.user_config_dir("qiterm")) / "profiles"


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
    return _Reader(where).read(doc)


class _Reader:
    """Checks one key at a time; a bad key is reported and keeps its default."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []
        self.given: set[str] = set()

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}: {key}: {message}")

    def bad(self, key: str, expected: str, value: object, default: object = None) -> None:
        fallback = "" if default is None else f"; using the default {_toml(default)}"
        self.problem(key, f"expected {expected}, got {describe_value(value)}{fallback}")

    def read(self, doc: Mapping[str, Any]) -> LoadedProfile:
        profile = Profile()
        for key in doc:
            if key not in PROFILE_KEYS:
                self.problem(key, f"unknown key{_suggest(key, PROFILE_KEYS)}")
        if "port" in doc:
            profile.port = self.port(doc["port"])
        if "baud" in doc:
            profile.baud = self.baud(doc["baud"])
        if "line_ending" in doc:
            profile.line_ending = self.line_ending(doc["line_ending"])
        if "echo" in doc:
            profile.echo = self.echo(doc["echo"])
        if "poll_interval" in doc:
            profile.poll_interval = self.poll_interval(doc["poll_interval"])
        if "log_folder" in doc:
            profile.log_folder = self.log_folder(doc["log_folder"])
        if "favourites" in doc:
            profile.favourites = self.favourites(doc["favourites"])
        if "macro" in doc:
            profile.macros = self.macros(doc["macro"])
        if "highlight" in doc:
            profile.highlights = self.highlights(doc["highlight"])
        return LoadedProfile(profile, self.problems, None, frozenset(self.given))

    # -- scalars ---------------------------------------------------------------------

    def port(self, value: object) -> str | None:
        expected = (
            'a serial device or URL such as "/dev/ttyUSB0", "COM3", "sim://" or '
            '"socket://host:7000"'
        )
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            self.bad("port", expected, value)
            return None
        text = value.strip()
        scheme, sep, rest = text.partition("://")
        if sep:
            if scheme.lower() not in URL_SCHEMES:
                schemes = ", ".join(f"{s}://" for s in URL_SCHEMES)
                self.bad("port", f"a device path or a URL starting {schemes}", value)
                return None
            if scheme.lower() in ("socket", "rfc2217"):
                host, colon, port = rest.partition("?")[0].rpartition(":")
                if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
                    self.bad("port", f'"{scheme}://<host>:<port>" (port 1-65535)', value)
                    return None
        self.given.add("port")
        return text

    def baud(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.bad("baud", "a positive integer such as 9600 or 115200", value, DEFAULT_BAUD)
            return DEFAULT_BAUD
        self.given.add("baud")
        return value

    def line_ending(self, value: object) -> str:
        if isinstance(value, str) and value.upper() in LINE_ENDINGS:
            self.given.add("line_ending")
            return value.upper()
        self.bad("line_ending", '"CR", "CRLF" or "LF"', value, "CR")
        return "CR"

    def echo(self, value: object) -> bool:
        if isinstance(value, bool):
            self.given.add("echo")
            return value
        self.bad("echo", "true or false", value, True)
        return True

    def poll_interval(self, value: object) -> float:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value == 0 or MIN_POLL <= value <= MAX_POLL)
        )
        if not ok:
            self.bad(
                "poll_interval",
                f"a number of seconds: 0 (paused) or {MIN_POLL:g} to {MAX_POLL:g}",
                value,
                DEFAULT_POLL,
            )
            return DEFAULT_POLL
        assert isinstance(value, int | float)
        self.given.add("poll_interval")
        return float(value)

    def log_folder(self, value: object) -> str | None:
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            self.bad("log_folder", 'a folder path such as "~/captures"', value)
            return None
        self.given.add("log_folder")
        return value

    # -- tables ----------------------------------------------------------------------

    def favourites(self, value: object) -> Favourites:
        fav = Favourites()
        if not isinstance(value, dict):
            self.bad("favourites", "a table ([favourites])", value)
            return fav
        for key in value:
            if key not in FAVOURITE_KEYS:
                self.problem(f"favourites.{key}", f"unknown key{_suggest(key, FAVOURITE_KEYS)}")
        if "hosts" in value:
            fav.hosts = self.host_list(value["hosts"])
        if "ports" in value:
            fav.ports = self.port_list(value["ports"])
        if "ntp_server" in value:
            fav.ntp_server = self.param(
                "favourites.ntp_server",
                catalog.NTP_SERVER,
                "a domain name or IP address",
                value["ntp_server"],
            )
        if "dns_server" in value:
            fav.dns_server = self.param(
                "favourites.dns_server", catalog.PRI_DNS, "an IP address", value["dns_server"]
            )
        self.given.add("favourites")
        return fav

    def param(self, key: str, spec: catalog.Param, expected: str, value: object) -> str | None:
        if not isinstance(value, str):
            self.bad(key, expected, value)
            return None
        try:
            spec.check(value)
        except ParamError as exc:
            self.bad(key, f"{expected} ({exc.reason or 'out of range'})", value)
            return None
        return value

    def host_list(self, value: object) -> list[str]:
        key = "favourites.hosts"
        if not isinstance(value, list):
            self.bad(key, "an array of host names or IP addresses", value)
            return []
        hosts = []
        for number, item in enumerate(value, 1):
            try:
                if not isinstance(item, str):
                    raise ParamError("host", item, "", "must be a string")
                catalog.HOST.check(item)
            except ParamError as exc:
                self.bad(f"{key}[{number}]", f"a domain name or IP address ({exc.reason})", item)
                continue
            hosts.append(item)
        return hosts

    def port_list(self, value: object) -> list[int]:
        key = "favourites.ports"
        if not isinstance(value, list):
            self.bad(key, "an array of port numbers 1-65535", value)
            return []
        ports = []
        for number, item in enumerate(value, 1):
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 65535:
                self.bad(f"{key}[{number}]", "an integer 1-65535", item)
                continue
            ports.append(item)
        return ports

    def macros(self, value: object) -> list[Macro]:
        if not isinstance(value, list):
            self.bad("macro", "an array of tables ([[macro]] sections)", value)
            return []
        from app.config.macros import (
            parse_macros,  # the scenario parser: only when there are macros
        )

        macros, problems = parse_macros(value)
        self.problems += [f"{self.where}: {p}" for p in problems]
        self.given.add("macro")
        return macros

    def highlights(self, value: object) -> list[HighlightRule]:
        if not isinstance(value, list):
            self.bad("highlight", "an array of tables ([[highlight]] sections)", value)
            return []
        rules, problems = parse_rules(value)
        self.problems += [f"{self.where}: {p}" for p in problems]
        self.given.add("highlight")
        return rules


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f" (known keys: {', '.join(known)}{hint})"


# --- saving -------------------------------------------------------------------------------


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write ``profile`` as TOML at ``path`` (parent folders made; the file is
    replaced whole, so a crash never leaves half a profile). Comments in an
    earlier version of the file are not kept. Raises OSError when it cannot write."""
    return _write_toml(profile.to_dict(), Path(path).expanduser())


def save_macros(macros: list[Macro], path: str | Path) -> Path:
    """Replace the ``[[macro]]`` tables of the profile at ``path`` and keep every
    other key as the file has it, valid or not (a new file holds just the macros).

    The file as it was is kept next to it as ``<name>.bak`` (TOML writers drop
    comments). Raises ValueError, writing nothing, when the file is not TOML, and
    OSError when it cannot be read or written."""
    target = Path(path).expanduser()
    doc: dict[str, Any] = {}
    old: bytes | None = None
    try:
        old = target.read_bytes()
    except FileNotFoundError:
        pass
    if old is not None:
        try:
            doc = tomllib.loads(old.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{target} is not valid TOML ({exc}); fix it first") from None
    doc.pop("macro", None)
    if macros:
        doc["macro"] = [m.to_dict() for m in macros]
    if old is not None:
        _write_bytes(old, target.with_name(target.name + ".bak"))
    return _write_toml(doc, target)


def _write_toml(doc: dict[str, Any], target: Path) -> Path:
    return _write_bytes(_toml_text(doc).encode("utf-8"), target)


def _toml_text(doc: dict[str, Any]) -> str:
    # Multi-line strings keep scripts readable, but TOML reads a CR LF inside one
    # as LF: a document holding a CR is written with escapes only.
    return tomli_w.dumps(doc, multiline_strings=not _holds_cr(doc))


def macros_toml(macros: list[Macro]) -> str:
    """The ``[[macro]]`` tables of a profile, as TOML (what the macro editor shows)."""
    if not macros:
        return (
            "# One [[macro]] table per macro: a name, an optional key and one of\n"
            '# at = "AT...", send = { connect_id = 0, data = "..." } or script = """..."""\n'
            '[[macro]]\nname = "sockets"\nkey = "f11"\nat = "AT+QISTATE?"\n'
        )
    return _toml_text({"macro": [m.to_dict() for m in macros]})


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


def _write_bytes(data: bytes, target: Path) -> Path:
    """Replace ``target`` whole (a crash never leaves half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _holds_cr(value: object) -> bool:
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, dict):
        return any(_holds_cr(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_cr(v) for v in value)
    return False


__all__ = [
    "FAVOURITE_KEYS",
    "LINE_ENDINGS",
    "PROFILE_KEYS",
    "SAMPLE_PROFILE",
    "URL_SCHEMES",
    "Favourites",
    "LoadedProfile",
    "Profile",
    "list_profiles",
    "load_profile",
    "macros_toml",
    "parse_profile",
    "profile_path",
    "profiles_dir",
    "read_macros",
    "save_macros",
    "save_profile",
]
