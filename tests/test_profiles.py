r"""Port picker model, device profiles (TOML), macros and highlight rules."""

from __future__ import annotations

import codecs
import itertools
import json
import os
import string
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Span, Text

from app.config import recent as recent_mod
from app.config.highlight import HighlightRule, apply, parse_rules
from app.config.macros import (
    Macro,
    SendAction,
    character_key,
    check_key,
    check_macros,
    key_conflicts,
    macro_script,
    parse_key,
    validate_macro,
)
from app.config.pattern import compile_pattern
from app.config.profile import (
    Favourites,
    Profile,
    list_profiles,
    load_profile,
    parse_profile,
    profile_path,
    read_macros,
)
from app.config.recent import RecentPorts
from app.config.shipped import example_profile
from app.config.toml_write import macros_toml, save_macros, save_profile
from app.console.keys import key_display, terminal_key
from app.demo.wiring import simulator_variables, start_demo
from app.link import ports as ports_mod
from app.link.ports import SIM_DESCRIPTION, SIM_PORT, PortChoice, list_ports
from app.link.worker import SerialWorker
from app.scenario import (
    AtStep,
    ExpectStep,
    ScriptError,
    SendStep,
    SleepStep,
    run,
)
from app.sim import registry

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "assets" / "profiles" / "example.toml"
_names = itertools.count(1)


# --- ports --------------------------------------------------------------------------


def fake_port(device: str, description: str = "n/a", vid=None, pid=None, manufacturer=None):
    return SimpleNamespace(
        device=device,
        description=description,
        vid=vid,
        pid=pid,
        manufacturer=manufacturer,
        interface=None,
    )


@pytest.fixture
def fake_comports(monkeypatch: pytest.MonkeyPatch):
    found: list[SimpleNamespace] = []
    monkeypatch.setattr(ports_mod, "comports", lambda: list(found))
    return found


def test_quectel_first_sim_always_recent_absent_after(fake_comports) -> None:
    fake_comports += [
        fake_port("/dev/ttyS0", "ttyS0"),
        fake_port("/dev/ttyUSB10", "CP2102 USB to UART", 0x10C4, 0xEA60, "Silicon Labs"),
        fake_port("/dev/ttyUSB2", "Quectel USB AT Port", 0x2C7C, 0x0700, "Quectel"),
        fake_port("/dev/ttyUSB2", "duplicate listing", 0x2C7C, 0x0700, "Quectel"),
    ]
    recent = ["/dev/ttyUSB10", "/dev/ttyGONE7", "socket://bench:7000", "sim://", "/dev/ttyGONE7"]
    choices = list_ports(recent)
    devices = [c.device for c in choices]
    assert devices == [
        "/dev/ttyUSB2",
        "/dev/ttyS0",
        "/dev/ttyUSB10",
        SIM_PORT,
        "/dev/ttyGONE7",
        "socket://bench:7000",
    ]
    assert len(devices) == len(set(devices))
    quectel = choices[0]
    assert quectel.quectel and quectel.present
    assert quectel.vid_pid == "2C7C:0700" and quectel.manufacturer == "Quectel"
    assert quectel.description == "Quectel USB AT Port"
    assert "[2C7C:0700]" in quectel.label
    cp2102 = choices[2]
    assert not cp2102.quectel and cp2102.vid_pid == "10C4:EA60" and cp2102.recent
    assert choices[1].vid_pid is None and choices[1].description == "ttyS0"
    sim = choices[3]
    assert sim.description == SIM_DESCRIPTION and sim.present and sim.recent
    gone, url = choices[4], choices[5]
    assert not gone.present and gone.recent and "not present" in gone.label
    assert not url.present and url.is_url


def test_sim_is_there_with_no_ports_and_when_listing_fails(fake_comports, monkeypatch) -> None:
    assert list_ports([]) == [PortChoice(SIM_PORT, SIM_DESCRIPTION)]

    def broken() -> list:
        raise OSError("no udev")

    monkeypatch.setattr(ports_mod, "comports", broken)
    assert [c.device for c in list_ports(["COM3"])] == [SIM_PORT, "COM3"]


def test_recent_pty_or_sim_variant_counts_as_present(fake_comports, tmp_path: Path) -> None:
    pty = tmp_path / "pts-7"
    pty.touch()
    choices = list_ports([str(pty), "sim://bench?echo=0", "COM9", "com9"])
    assert [(c.device, c.present) for c in choices] == [
        (SIM_PORT, True),
        (str(pty), True),
        ("sim://bench?echo=0", True),
        ("COM9", False),  # COM names ignore case: com9 is the same port
    ]


def test_recent_ports_order_cap_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "state" / "recent-ports"
    recent = RecentPorts(path)
    assert recent.load() == []
    for n in range(12):
        recent.add(f"/dev/ttyUSB{n}")
    recent.add("/dev/ttyUSB5")  # used again: moves to the front, once
    loaded = RecentPorts(path).load()
    assert loaded[:3] == ["/dev/ttyUSB5", "/dev/ttyUSB11", "/dev/ttyUSB10"]
    assert len(loaded) == 10 and loaded.count("/dev/ttyUSB5") == 1
    assert "/dev/ttyUSB0" not in loaded
    assert RecentPorts(path).forget("/dev/ttyUSB11")[:2] == ["/dev/ttyUSB5", "/dev/ttyUSB10"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b'{"ports": 5}', b"[1, null, {}]", b""],
)
def test_corrupt_recent_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "recent-ports"
    path.write_bytes(content)
    recent = RecentPorts(path)
    assert recent.load() == []
    assert recent.add("sim://") == ["sim://"]
    assert json.loads(path.read_text()) == {"ports": ["sim://"]}


def test_unwritable_recent_file_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    recent = RecentPorts(blocker / "recent-ports")
    assert recent.add("/dev/ttyUSB0") == ["/dev/ttyUSB0"]
    assert recent.load() == []
    directory = tmp_path / "dir"
    directory.mkdir()
    assert RecentPorts(directory).load() == []  # a folder, not a file: unreadable


def test_default_recent_path_is_in_the_state_dir() -> None:
    assert recent_mod.default_recent_path().name == "recent-ports"
    assert "qiterm" in str(recent_mod.default_recent_path())


# --- profiles -----------------------------------------------------------------------


def test_sample_profile_loads_completely() -> None:
    loaded = parse_profile(example_profile(), "sample.toml")
    assert loaded.problems == []
    p = loaded.profile
    assert p.port == "/dev/ttyUSB0" and p.baud == 115200
    assert p.line_ending == "CR" and p.line_terminator == b"\r"
    assert p.echo is True and p.poll_interval == 2.0
    assert p.log_folder == "~/captures" and p.log_path == Path("~/captures").expanduser()
    assert p.log_memory == 32 * 1024 * 1024
    assert p.favourites == Favourites(
        hosts=["echo.qiterm.local", "220.180.239.212"],
        ports=[7, 8062],
        ntp_server="time.qiterm.local",
        dns_server="8.8.8.8",
    )
    assert p.favourites.form_defaults() == {
        "tcp_host": "echo.qiterm.local",
        "ping_host": "echo.qiterm.local",
        "dns_name": "echo.qiterm.local",
        "tcp_port": 7,
        "ntp_server": "time.qiterm.local",
        "dns_server": "8.8.8.8",
    }
    assert [(m.name, m.key, m.kind) for m in p.macros] == [
        ("sockets", "f11", "at"),
        ("hello on 0", None, "send"),
        ("wait for data", None, "script"),
    ]
    assert p.macros[1].send == SendAction(0, "hello\\r\\n")
    assert len(p.highlights) == 1
    assert p.highlights[0].pattern.search('+CEREG: 5,"1A2B"')
    assert p.highlights[0].style == Style.parse("bold magenta")
    assert p.macros[1].every == 5.0 and p.macros[1].cyclic
    assert p.port_settings.framing == "8N1" and p.port_settings.flow == "" and p.local_echo
    assert p.commands == ["ATI", "AT+CSQ", "!hex 41 54 0D"]
    assert [(a.name, a.holdoff, a.limit) for a in p.answers] == [("close after peer", 2.0, 5)]
    assert loaded.given == {
        "port",
        "baud",
        "data_bits",
        "parity",
        "stop_bits",
        "rtscts",
        "xonxoff",
        "line_ending",
        "echo",
        "local_echo",
        "poll_interval",
        "log_folder",
        "log_memory",
        "commands",
        "favourites",
        "macro",
        "highlight",
        "answer",
    }


def test_shipped_example_is_the_sample_and_loads() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == example_profile()  # what the wheel ships
    loaded = load_profile(EXAMPLE)
    assert loaded.problems == [] and loaded.path == EXAMPLE
    assert loaded.profile == parse_profile(example_profile()).profile


#: (TOML line(s), dotted key, expected wording). Every document also sets
#: ``echo = false``, which must still apply.
BAD_KEYS = [
    ("port = 5", "port", "a serial device or URL"),
    ('port = "socekt://bench:7000"', "port", "sim://, socket://"),
    ('port = "socket://bench"', "port", '"socket://<host>:<port>"'),
    ('baud = "fast"', "baud", "a positive integer"),
    ("baud = -9600", "baud", "a positive integer"),
    ("baud = true", "baud", "a positive integer"),
    ('line_ending = "CRLFX"', "line_ending", '"CR", "CRLF" or "LF", got "CRLFX"'),
    ("poll_interval = 0.1", "poll_interval", "0 (paused) or 0.5 to 3600"),
    ('poll_interval = "2"', "poll_interval", "a number of seconds"),
    ("log_folder = 3", "log_folder", "a folder path"),
    ('log_memory = "32Q"', "log_memory", 'a size such as "32M"'),
    ('log_memory = "10K"', "log_memory", "1M to 64G"),
    ("log_memory = 0", "log_memory", "1M to 64G, got 0"),
    ("log_memory = true", "log_memory", 'a size such as "32M"'),
    ("favourites = 1", "favourites", "a table"),
    ('[favourites]\nhosts = "x"', "favourites.hosts", "an array of host names"),
    ('[favourites]\nhosts = ["ok", "bad host"]', "favourites.hosts[2]", "a domain name or IP"),
    ("[favourites]\nports = [7, 70000]", "favourites.ports[2]", "an integer 1-65535"),
    ('[favourites]\nntp_server = "a b"', "favourites.ntp_server", "a domain name or IP"),
    ('[favourites]\ndns_server = "dns.example"', "favourites.dns_server", "an IP address"),
    ("macro = 3", "macro", "an array of tables ([[macro]]"),
    ('[[macro]]\nname = "m"\nkey = "f99"\nat = "AT"', "macro[1].key", 'a key such as "f11"'),
    ('[[macro]]\nname = "m"\nat = "AT+QISTATX?"', "macro[1].at", "an AT command"),
    ('[[macro]]\nname = "m"\nat = 5', "macro[1].at", "a string"),
    (
        '[[macro]]\nname = "a"\nat = "AT"\n'
        '[[macro]]\nname = "m"\nsend = { connect_id = "zero", data = "x" }',
        "macro[2].send.connect_id",
        'an integer 0-4, got "zero"',
    ),
    (
        '[[macro]]\nname = "m"\nsend = { connect_id = 0, data = "\\\\q" }',
        "macro[1].send.data",
        "composer text",
    ),
    ('[[macro]]\nname = "m"\nsend = 0', "macro[1].send", "a table"),
    (
        '[[macro]]\nname = "m"\nsend = { connect_id = 0, data = "x", to = "host:1" }',
        "macro[1].send.to",
        '"<ip>:<port>"',
    ),
    ('[[macro]]\nname = "m"\nscript = "expect ("', "macro[1].script", "line 1: bad regex"),
    ('[[macro]]\nname = "m"\nat = "AT"\nscript = "AT"', "macro[1]", "exactly one of at, send"),
    ('[[macro]]\nname = "m"', "macro[1]", "exactly one of at, send"),
    ('[[macro]]\nat = "AT"', "macro[1].name", "a non-empty one-line string"),
    ("highlight = {}", "highlight", "an array of tables"),
    ('[[highlight]]\npattern = "("\nstyle = "bold"', "highlight[1].pattern", "a regular expr"),
    ('[[highlight]]\npattern = "x"\nstyle = "bold magneta"', "highlight[1].style", "a rich style"),
    ('[[highlight]]\npattern = "x"', "highlight[1].style", "missing (expected a string)"),
]


@pytest.mark.parametrize(("toml", "key", "expected"), BAD_KEYS)
def test_bad_key_names_file_key_and_expectation(
    tmp_path: Path, toml: str, key: str, expected: str
) -> None:
    path = tmp_path / "bench.toml"
    path.write_text(f"echo = false\n{toml}\n", encoding="utf-8")
    loaded = load_profile(path)
    assert loaded.profile.echo is False, "the valid keys still apply"
    prefix = f"{path}: {key}"
    matching = [p for p in loaded.problems if p.startswith(prefix)]
    assert matching, f"no problem for {key}: {loaded.problems}"
    assert any(expected in p and "expected" in p for p in matching), matching
    default = Profile()
    top = key.split(".")[0].split("[")[0]
    if top in ("port", "baud", "line_ending", "poll_interval", "log_folder", "log_memory"):
        assert getattr(loaded.profile, top) == getattr(default, top)
        assert top not in loaded.given


def test_bad_entries_drop_only_themselves(tmp_path: Path) -> None:
    text = """
baud = 9600
line_ending = "crlf"
[favourites]
hosts = ["ok.example", 3, "10.0.0.1"]
ports = [7, true, 8062]
[[macro]]
name = "good"
key = "Ctrl+G"
at = "AT+QISTATE?"
[[macro]]
name = "bad key"
key = "g"
at = "AT"
[[macro]]
name = "same key"
key = "ctrl+g"
at = "AT+CSQ"
[[macro]]
name = "bad"
at = "AT+QISEND=0"
[[highlight]]
pattern = "("
style = "red"
[[highlight]]
pattern = "OK"
style = "green"
"""
    path = tmp_path / "p.toml"
    path.write_text(text)
    loaded = load_profile(path)
    p = loaded.profile
    assert p.baud == 9600 and p.line_ending == "CRLF" and p.line_terminator == b"\r\n"
    assert p.favourites.hosts == ["ok.example", "10.0.0.1"]
    assert p.favourites.ports == [7, 8062]
    assert [(m.name, m.key) for m in p.macros] == [
        ("good", "ctrl+g"),
        ("bad key", None),
        ("same key", None),
    ]
    assert [r.pattern.pattern for r in p.highlights] == ["OK"]
    problems = "\n".join(loaded.problems)
    assert f"{path}: macro[2].key:" in problems and "taken from typing" in problems
    assert f"{path}: macro[3].key: ctrl+g is taken by macro 'good'" in problems
    assert f"{path}: macro[4].at:" in problems and "use send" in problems
    assert "(macro 'bad')" in problems
    assert len(loaded.problems) == 6, loaded.problems


def test_unknown_keys_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(
        'baud = 9600\nbuad = 19200\n[favorites]\nhosts = ["x"]\n'
        '[[macro]]\nname = "m"\nat = "AT"\nkye = "f5"\n'
        '[[macro]]\nname = "s"\nsend = { connect_id = 1, data = "x", dta = "y" }\n'
        '[[highlight]]\npattern = "x"\nstyle = "red"\ncolour = "blue"\n'
    )
    loaded = load_profile(path)
    assert loaded.profile.baud == 9600
    problems = loaded.problems
    assert any(
        p.startswith(f"{path}: buad: unknown key") and "did you mean baud" in p for p in problems
    )
    assert any(f"{path}: favorites: unknown key" in p and "favourites" in p for p in problems)
    assert any(
        f"{path}: macro[1].kye: unknown key" in p and "did you mean key" in p for p in problems
    )
    assert any(f"{path}: macro[2].send.dta: unknown key" in p for p in problems)
    assert any(f"{path}: highlight[1].colour: unknown key" in p for p in problems)
    assert [m.name for m in loaded.profile.macros] == ["m", "s"]
    assert len(loaded.profile.highlights) == 1


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('baud = 9600\nport = "/dev/ttyUSB0\necho = true\n')
    loaded = load_profile(path)
    assert loaded.profile == Profile()
    assert len(loaded.problems) == 1
    assert loaded.problems[0].startswith(f"{path}:2: TOML syntax error")


def test_missing_unreadable_and_non_utf8_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.config.profile.profiles_dir", lambda: tmp_path / "profiles")
    loaded = load_profile("nosuch")
    assert loaded.profile == Profile()
    assert loaded.path == tmp_path / "profiles" / "nosuch.toml"
    assert loaded.problems == [f"{loaded.path}: no such profile file; using the defaults"]
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "dir.toml").mkdir()
    assert "cannot read" in load_profile("dir").problems[0]
    (tmp_path / "profiles" / "latin1.toml").write_bytes(b'baud = 9600\nport = "caf\xe9"\n')
    assert load_profile("latin1").problems == [
        f"{tmp_path / 'profiles' / 'latin1.toml'}:2: not UTF-8 text; using the defaults"
    ]
    assert load_profile("").problems and load_profile("   ").profile == Profile()


def test_profile_names_and_paths(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "profiles"
    monkeypatch.setattr("app.config.profile.profiles_dir", lambda: folder)
    assert list_profiles() == []
    assert profile_path("bench") == folder / "bench.toml"
    assert profile_path("other/dir/x.toml") == Path("other/dir/x.toml")
    assert profile_path("~/x.toml") == Path("~/x.toml").expanduser()
    save_profile(Profile(baud=9600), profile_path("bench"))
    save_profile(Profile(), profile_path("alpha"))
    assert list_profiles() == ["alpha", "bench"]
    assert load_profile("bench").profile.baud == 9600


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    sample = parse_profile(example_profile()).profile
    path = save_profile(sample, tmp_path / "deep" / "saved.toml")
    loaded = load_profile(path)
    assert loaded.problems == []
    assert loaded.profile == sample

    edited = Profile(
        port="socket://bench:7000",
        baud=9600,
        line_ending="LF",
        echo=False,
        poll_interval=0,
        log_memory=512 * 1024 * 1024 + 1,  # no whole unit: written as bytes
        macros=[
            Macro("crlf", key="ctrl+shift+f3", send=SendAction(1, 'a\r\n"quoted"\\x1a')),
            Macro("udp", send=SendAction(2, "hex:41 42", to="127.0.0.1:5000")),
            Macro("multi", script='# title\nAT+QISTATE?\nexpect "OK" 5\nsleep 0.5\n'),
        ],
        highlights=[HighlightRule.parse(r'\+QIURC: "closed"', "black on yellow")],
    )
    save_profile(edited, path)
    again = load_profile(path)
    assert again.problems == []
    assert again.profile == edited
    assert not list(path.parent.glob(".*.tmp")), "no temporary file left behind"


# --- macros -----------------------------------------------------------------------------


def test_macro_needs_exactly_one_action() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Macro("none")
    with pytest.raises(ValueError, match="at and script"):
        Macro("two", at="AT", script="AT")


@pytest.mark.parametrize(
    ("macro", "fragment"),
    [
        (Macro("k", key="f99", at="AT"), "key: expected a key"),
        (Macro("k", key="ctrl+", at="AT"), "key: expected a key"),
        (Macro("k", key="hyper+ctrl+ctrl+a", at="AT"), "modifier is repeated"),
        (Macro("k", key="x", at="AT"), "taken from typing"),
        (Macro("k", key="shift+x", at="AT"), "taken from typing"),
        (Macro("k", key="f1,f2", at="AT"), "one key"),
        (Macro("k", key="enter", at="AT"), "enter without ctrl or alt"),
        (Macro("k", key="shift+up", at="AT"), "up without ctrl or alt"),
        (Macro("bad at", at="AT+QISTATX?"), "AT+QISTATX is not a command qiterm knows"),
        (Macro("bad at", at="send 0 x"), "expected an AT command line"),
        (Macro("bad at", at="AT\nAT"), "one command line"),
        (Macro("bad at", at="AT+QISEND=0"), "use send"),
        (Macro("bad send", send=SendAction(7, "x")), "send.connect_id: expected an integer 0-4"),
        (Macro("bad send", send=SendAction(0, "")), "send.data"),
        (Macro("bad send", send=SendAction(0, "hex:4")), "odd number of hex digits"),
        (Macro("bad send", send=SendAction(0, "x" * 1025)), "too long"),
        (Macro("bad send", send=SendAction(0, "x", to="1.2.3.4")), "send.to"),
        (
            Macro("bad script", script="AT\nfrobnicate\n"),
            "script: expected a scenario script qiterm can run; line 2: unknown step",
        ),
        (Macro("bad script", script="# only a comment\n"), "no steps"),
    ],
)
def test_macro_validation_names_the_macro(macro: Macro, fragment: str) -> None:
    problems = validate_macro(macro)
    assert problems, macro
    assert all(p.startswith(f"macro {macro.name!r}: ") for p in problems)
    assert any(fragment in p for p in problems), problems


def test_valid_macros_and_keys() -> None:
    good = [
        Macro("a", key="f11", at="at+qistate?"),
        Macro("b", key="ctrl+g", send=SendAction(0, "hello\\r\\n")),
        Macro("c", key="shift+f3", script="AT\nexpect OK"),
        Macro("d", key="alt+minus", send=SendAction(4, "hex:00 ff")),
        Macro("e", at='AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1'),
        Macro("f", script="set X 1\nAT+QICLOSE=${X}\n"),
    ]
    for macro in good:
        assert validate_macro(macro) == [], macro
    assert parse_key("Ctrl+Shift+F3") == "ctrl+shift+f3"
    # Terminals send Shift+F1..F12 as F13..F24: that is the key to bind.
    assert terminal_key("ctrl+shift+f3") == "ctrl+f15"
    assert terminal_key("shift+f1") == "f13" and terminal_key("shift+f12") == "f24"
    assert terminal_key("shift+f13") == "shift+f13" and terminal_key("ctrl+g") == "ctrl+g"
    assert key_display("shift+f1") == "Shift+F1" and key_display("ctrl+g") == "Ctrl+G"
    assert parse_key("shift+ctrl+home") == "ctrl+shift+home"
    assert parse_key("insert") == "insert" and parse_key("ctrl+slash") == "ctrl+slash"
    assert parse_key("ctrl+/") == "ctrl+slash" and parse_key("alt+-") == "alt+minus"
    assert check_key("f11") is None and check_key("") is not None
    # Variables, once known, are checked too.
    assert validate_macro(good[4], {"ECHO_HOST": "h", "ECHO_TCP_PORT": "99999"})
    assert validate_macro(good[4], {"ECHO_HOST": "h", "ECHO_TCP_PORT": "7"}) == []
    dup = [Macro("x", key="f11", at="AT"), Macro("X", key="F11", at="AT")]
    problems = check_macros(dup)
    assert any("same name" in p for p in problems) and any("taken by 'x'" in p for p in problems)
    assert key_conflicts(dup, ["f2,ctrl+o", "f11"]) == [
        "macro 'x': key f11 is already a console key; the macro is in the palette only",
        "macro 'X': key F11 is already a console key; the macro is in the palette only",
    ]


def test_macro_script_for_each_kind() -> None:
    at = macro_script(Macro("sockets", at=" AT+QISTATE? "))
    assert [type(s) for s in at.steps] == [AtStep]
    assert at.steps[0].command.line == "AT+QISTATE?"  # type: ignore[attr-defined]
    assert at.path == "macro sockets"

    send = macro_script(Macro("hello", send=SendAction(0, "  hello\\r\\n")))
    step = send.steps[0]
    assert isinstance(step, SendStep)
    assert (step.connect_id, step.data, step.remote) == (0, b"  hello\r\n", None)
    # Real control characters and quotes (TOML "\r\n") survive as they are.
    raw = macro_script(Macro("raw", send=SendAction(1, 'say "hi"\r\n\x1a'))).steps[0]
    assert isinstance(raw, SendStep) and raw.data == b'say "hi"\r\n\x1a'
    # "to" as data, and a UDP SERVICE remote.
    to = macro_script(Macro("to", send=SendAction(2, "to", to="127.0.0.1:5000"))).steps[0]
    assert isinstance(to, SendStep) and to.data == b"to" and to.remote == ("127.0.0.1", 5000)
    hexed = macro_script(Macro("hex", send=SendAction(3, "hex:41 42\n1a"))).steps[0]
    assert isinstance(hexed, SendStep) and hexed.data == b"AB\x1a"

    script = macro_script(
        Macro("wait", script='AT+QISEND=0,5,"ping!"\nexpect \\+QIURC: "recv",0 5\nsleep 0.1\n')
    )
    assert [type(s) for s in script.steps] == [AtStep, ExpectStep, SleepStep]
    expect = script.steps[1]
    assert isinstance(expect, ExpectStep) and expect.timeout == 5
    assert expect.pattern.search('+QIURC: "recv",0,5,"ping!"')

    variables = {"ECHO_HOST": "echo.qiterm.local", "ECHO_TCP_PORT": "7"}
    opened = macro_script(
        Macro("open", at='AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1'), variables
    )
    assert opened.steps[0].text == 'AT+QIOPEN=0,0,"TCP","echo.qiterm.local",7,0,1'
    with pytest.raises(ScriptError, match=r"macro open:1: undefined variable \$\{ECHO_HOST\}"):
        macro_script(Macro("open", at='AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",7,0,1'))
    with pytest.raises(ScriptError, match="one command line"):
        macro_script(Macro("two", at="AT\nAT"))


def test_expect_macro_waits_for_the_urc_on_the_simulator() -> None:
    name = f"macros-{os.getpid()}-{next(_names)}"
    demo = start_demo(f"sim://{name}")
    try:
        worker = SerialWorker(demo.url, backoff=(0.2,))
        worker.start()
        try:
            assert worker.wait_connected(5)
            assert worker.wait_idle(10)
            variables = simulator_variables(demo)
            opened = run(
                macro_script(
                    Macro(
                        "open echo",
                        at='AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1',
                    ),
                    variables,
                ),
                worker,
            )
            assert opened.passed, opened.summary()
            waited = run(
                macro_script(
                    Macro(
                        "wait for data",
                        script='AT+QISEND=0,5,"ping!"\nexpect ^\\+QIURC: "recv",0,5,"ping!"$ 10\n',
                    ),
                    variables,
                ),
                worker,
            )
            assert waited.passed, waited.summary()
            assert waited.results[-1].message == '+QIURC: "recv",0,5,"ping!"'
            sent = run(
                macro_script(Macro("hello", send=SendAction(0, "hello\\r\\n")), variables), worker
            )
            assert sent.passed, sent.summary()
            closed = run(macro_script(Macro("close", at="AT+QICLOSE=0"), variables), worker)
            assert closed.passed, closed.summary()
        finally:
            worker.close()
    finally:
        demo.stop()
        registry.destroy(name)


# --- highlights ----------------------------------------------------------------------------


def test_rule_styles_exactly_the_matching_span() -> None:
    text = Text(no_wrap=True, end="")
    text.append("12:00:05.123 ← ", style="dim")
    text.append('+CEREG: 5,"1A2B"', style="#b4a7f5")
    before = list(text.spans)
    rules, problems = parse_rules([{"pattern": r"\+CEREG: 5", "style": "bold magenta"}])
    assert problems == []
    apply(text, rules)
    start = text.plain.index("+CEREG")
    assert text.spans[: len(before)] == before, "existing styles stay"
    assert text.spans[len(before) :] == [
        Span(start, start + len("+CEREG: 5"), Style.parse("bold magenta"))
    ]
    # The rule's style wins on the matched characters only.
    console = Console()
    assert text.get_style_at_offset(console, start).bold
    assert not text.get_style_at_offset(console, start + 10).bold


def test_every_match_and_start_offset() -> None:
    text = Text("12:00:05 OK 0,1 OK")
    rules = [HighlightRule(compile_pattern(r"\d+"), Style(color="red"))]
    apply(text, rules, start=9)
    assert [(s.start, s.end) for s in text.spans] == [(12, 13), (14, 15)]
    text = Text("OK OK")
    apply(text, [HighlightRule.parse("OK", "green"), HighlightRule.parse("x*", "blue")])
    assert [(s.start, s.end) for s in text.spans] == [(0, 2), (3, 5)]  # empty matches skipped


def test_bad_regex_and_bad_style_are_reported() -> None:
    rules, problems = parse_rules(
        [
            {"pattern": r"\+CEREG: (5", "style": "bold"},
            {"pattern": "OK", "style": "bold magneta"},
            {"pattern": "", "style": "red"},
            {"pattern": "OK", "style": ""},
            {"pattern": 5, "style": "red"},
            "not a table",
            {"pattern": "ERROR", "style": "bold red", "colour": "x"},
        ]
    )
    assert [r.pattern.pattern for r in rules] == ["ERROR"]
    assert problems[0].startswith("highlight[1].pattern: expected a regular expression")
    assert "missing )" in problems[0] and "RE2 syntax" in problems[0]
    assert "got '\\+CEREG: (5'" in problems[0]
    assert problems[1].startswith("highlight[2].style: expected a rich style")
    assert "'magneta' is not a valid color" in problems[1]
    assert problems[2].startswith("highlight[3].pattern: expected a regular expression")
    assert problems[3].startswith("highlight[4].style: expected a rich style")
    assert problems[4] == "highlight[5].pattern: expected a string, got 5; rule left out"
    assert problems[5].startswith("highlight[6]: expected a table")
    assert problems[6].startswith("highlight[7].colour: unknown key")
    with pytest.raises(ValueError, match="rich style"):
        HighlightRule.parse("x", "no-such-style")


def test_saving_macros_keeps_the_rest_of_the_file_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "bench.toml"
    original = (
        "# my bench\n"
        'baud = "fast"  # a bad value the user still has to fix: kept as written\n'
        "poll_interval = 5\n"
        '[favourites]\nhosts = ["192.0.2.1"]\n'
        '[[macro]]\nname = "old"\nat = "AT"\n'
    )
    path.write_text(original, encoding="utf-8")
    save_macros([Macro("csq", key="f11", at="AT+CSQ")], path)
    assert (tmp_path / "bench.toml.bak").read_text(encoding="utf-8") == original
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["baud"] == "fast" and doc["poll_interval"] == 5
    assert doc["favourites"] == {"hosts": ["192.0.2.1"]}
    assert doc["macro"] == [{"name": "csq", "key": "f11", "at": "AT+CSQ"}]
    # No macros left: the tables go, the rest stays.
    save_macros([], path)
    assert "macro" not in tomllib.loads(path.read_text(encoding="utf-8"))


def test_saving_macros_refuses_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("baud = \n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        save_macros([Macro("csq", at="AT+CSQ")], path)
    assert path.read_text(encoding="utf-8") == "baud = \n"
    assert not (tmp_path / "broken.toml.bak").exists()


def test_saving_macros_to_a_new_profile_writes_only_the_macros(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.toml"
    save_macros([Macro("csq", at="AT+CSQ")], path)
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "macro": [{"name": "csq", "at": "AT+CSQ"}]
    }
    loaded = load_profile(path)
    assert loaded.problems == [] and [m.name for m in loaded.profile.macros] == ["csq"]


def test_the_macro_editor_text_round_trips_and_reports_problems() -> None:
    macros = [
        Macro("csq", key="f11", at="AT+CSQ"),
        Macro("crlf", send=SendAction(0, "a\r\nb")),  # real CR LF: escaped, not multi-line
        Macro("s", script="AT\nexpect OK\n"),
    ]
    text = macros_toml(macros)
    assert read_macros(text) == (macros, [])
    assert "AT+QISTATE?" in macros_toml([])  # an example to start from
    _, problems = read_macros('colour = "blue"\n[[macro]]\nname = "x"\nat = "ATX"\n')
    assert any("colour: not a macro table" in p for p in problems)
    assert read_macros("[[macro]\n")[1][0].startswith("macros: TOML syntax error")


#: A hand-written profile: comments at the top, between keys, after values and
#: inside [favourites], macros in the middle of the file, and a comment after the
#: last macro that is about the section below it.
COMMENTED = """\
# Bench B: the BC660K-GL on the blue board.
# Keep the baud in step with the firmware.

port = "socket://bench:7000"   # the Pi's ser2net
baud   =   9600
# polling: slow, the link is shared
poll_interval = 10

[favourites]
# the echo servers we own
hosts = ["192.0.2.10",   "echo.example"]   # lab first
ports = [7]

[[macro]]                      # one AT line
name = "csq"
key = "f11"
at = "AT+CSQ"

[[macro]]
name = "old"
at = "ATI"

# Highlights: registration changes stand out.
[[highlight]]
pattern = '\\+CEREG: \\d,5'   # roaming
style = "bold magenta"
"""


def test_saving_macros_keeps_every_comment_and_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "bench.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    head, rest = COMMENTED.split("[[macro]]                      # one AT line\n", 1)
    tail = rest[rest.index("# Highlights") :]
    macros = [
        Macro("csq", key="f11", at="AT+CSQ"),  # unchanged: its table stays as written
        Macro("crlf", send=SendAction(0, "a\r\nb")),
        Macro("wait", script='AT\r\nexpect \\+QIURC: "recv",0 5\r\n'),  # a CR in a script
    ]
    save_macros(macros, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(head), "everything before the macros is byte-for-byte the same"
    assert text.endswith(tail), "and everything after them"
    for line in COMMENTED.splitlines():
        if "#" in line and "ATI" not in line:
            assert line in text.splitlines(), line
    assert '[[macro]]                      # one AT line\nname = "csq"' in text
    assert 'name = "old"' not in text and "\n\n\n" not in text
    assert (tmp_path / "bench.toml.bak").read_text(encoding="utf-8") == COMMENTED
    loaded = load_profile(path)
    assert loaded.problems == []
    assert loaded.profile.macros == macros, "a CR survives the round trip"
    assert loaded.profile.baud == 9600 and loaded.profile.favourites.hosts[1] == "echo.example"
    # No macros left: the comment after them stays above the highlights.
    save_macros([], path)
    text = path.read_text(encoding="utf-8")
    assert text == head + tail, "the comment after the macros stays above the highlights"
    assert load_profile(path).problems == []


def test_saving_macros_into_a_file_with_them_inline_or_without_them(tmp_path: Path) -> None:
    inline = tmp_path / "inline.toml"
    inline.write_text(
        '# top\nmacro = [{ name = "a", at = "AT" }]  # inline\nbaud = 9600\n\n[favourites]\n'
        "ports = [7]  # seven\n",
        encoding="utf-8",
    )
    save_macros([Macro("b", at="ATI")], inline)
    text = inline.read_text(encoding="utf-8")
    assert text.startswith("# top\nbaud = 9600\n\n[favourites]\nports = [7]  # seven\n")
    assert tomllib.loads(text)["macro"] == [{"name": "b", "at": "ATI"}]
    plain = tmp_path / "plain.toml"
    plain.write_text("baud = 9600 # no newline at the end", encoding="utf-8")
    save_macros([Macro("b", script="AT\nexpect \\+CSQ: \\d+\n")], plain)
    text = plain.read_text(encoding="utf-8")
    assert text.startswith("baud = 9600 # no newline at the end\n")
    assert "script = '''\nAT\nexpect \\+CSQ: \\d+\n'''" in text, "a script reads as typed"
    assert load_profile(plain).profile.macros[0].script == "AT\nexpect \\+CSQ: \\d+\n"


def test_saving_macros_keeps_crlf_line_breaks_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    original = '# notepad\r\nbaud = 9600\r\n\r\n[[macro]]\r\nname = "a"\r\nat = "AT"\r\n'
    path.write_bytes(codecs.BOM_UTF8 + original.encode("utf-8"))
    save_macros([Macro("b", script="AT\nexpect OK\n")], path)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"# notepad\r\nbaud = 9600\r\n\r\n[[macro]]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    loaded = load_profile(path)
    assert loaded.problems == [] and loaded.profile.macros == [Macro("b", script="AT\nexpect OK\n")]


def test_schema_problems_for_numbers_tables_and_unknown_keys() -> None:
    loaded = parse_profile(
        "poll_interval = nan\nbaud = 9600.0\n[favourites]\nhostz = []\nports = [0, 7]\n"
        '[[macro]]\nname = "m"\nat = "AT"\nsend = { connect_id = 9, data = "" }\n',
        "p.toml",
    )
    assert loaded.profile.poll_interval == 2.0 and loaded.profile.baud == 115200
    assert loaded.profile.favourites.ports == [7]
    assert loaded.given == {"favourites", "macro"}
    assert loaded.problems == [
        "p.toml: baud: expected a positive integer such as 9600 or 115200, got 9600.0; "
        "using the default 115200",
        "p.toml: poll_interval: expected a number of seconds: 0 (paused) or 0.5 to 3600, "
        "got nan; using the default 2.0",
        "p.toml: favourites.hostz: unknown key (known keys: hosts, ports, ntp_server, "
        "dns_server; did you mean hosts?)",
        "p.toml: favourites.ports[1]: expected an integer 1-65535, got 0",
        "p.toml: macro[1]: expected exactly one of at, send or script, got at and send; "
        "macro left out (macro 'm')",
    ]


def test_the_config_package_loads_no_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import app.config\n"
        "for m in pkgutil.iter_modules(app.config.__path__):\n"
        "    importlib.import_module('app.config.' + m.name)\n"
        "from app.config.profile import parse_profile\n"
        "from app.config.toml_write import save_macros\n"
        "from app.config.shipped import example_profile\n"
        "assert not parse_profile(example_profile()).problems\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'textual'))\n"
        "print(sorted(n for n in sys.modules if n.startswith('app.config.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    textual, config = done.stdout.splitlines()
    assert textual == "[]", f"app.config loaded Textual: {textual}"
    assert "app.config.macros" in config and "app.config.paths" in config


def test_character_keys_are_named_as_textual_binds_them() -> None:
    from textual.keys import _character_to_key

    for ch in string.printable.strip():
        assert character_key(ch) == _character_to_key(ch).lower(), ch
    assert parse_key("ctrl+solidus") == parse_key("ctrl+/") == "ctrl+slash"
    assert parse_key("alt+hyphen_minus") == "alt+minus"
    assert parse_key("ctrl+.") == "ctrl+full_stop"


def test_every_platform_folder_comes_from_one_module() -> None:
    from app.config import paths

    assert recent_mod.default_recent_path() == paths.recent_ports_file()
    assert paths.profiles_dir().name == "profiles"
    assert paths.welcome_marker().parent == paths.recent_ports_file().parent
    users = [
        str(p.relative_to(REPO))
        for folder in ("app", "widgets")
        for p in sorted((REPO / folder).rglob("*.py"))
        if "platformdirs" in p.read_text(encoding="utf-8")
    ]
    assert users == ["app/config/paths.py"]
