"""Profiles in the console: the port picker, device profiles, macros (bar, keys,
editor) and highlight rules, against the simulated module (pilot tests)."""

from __future__ import annotations

import contextlib
import re
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.widgets import Input, OptionList, TextArea

from app.capture.format import decode_bytes
from app.capture.reader import read_capture
from app.config.profile import load_profile
from app.config.recent import RecentPorts
from app.console.app import QitermApp
from app.console.launch import Console, prepare_console
from app.demo.peers import Peers
from app.demo.wiring import start_demo
from app.link import ports
from app.model.journal import Category
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import click, log_texts, ready, settle, show_tab, tx_lines, until
from widgets.dialogs.macro_editor import MacroEditor
from widgets.dialogs.port_picker import PortPicker
from widgets.macrobar import MacroBar

SIZE = (140, 40)


def fake_port(device: str, description: str, vid: int | None = None, pid: int | None = None) -> Any:
    """What pyserial's list_ports gives (the attributes qiterm reads)."""
    return SimpleNamespace(
        device=device,
        description=description,
        vid=vid,
        pid=pid,
        manufacturer="Quectel" if vid == ports.QUECTEL_VID else "FTDI",
        interface=None,
    )


FAKE_PORTS = [
    fake_port("/dev/ttyUSB0", "FT232R USB UART", 0x0403, 0x6001),
    fake_port("/dev/ttyUSB3", "Quectel USB AT Port", 0x2C7C, 0x0700),
    fake_port("/dev/ttyS0", "ttyS0"),
]


@contextlib.contextmanager
def console_with(
    url: str, profile: Path, log: Path | None, baud: int | None = None
) -> Iterator[Console]:
    """The console as ``qiterm -p URL --profile PATH`` builds it (no demo peers),
    closed afterwards."""
    console = prepare_console(
        port=url,
        baud=baud,
        log_path=str(log) if log is not None else None,
        peers=False,
        profile=str(profile),
    )
    assert console is not None
    try:
        yield console
    finally:
        console.close()


def profile_file(tmp_path: Path, text: str, name: str = "bench.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the port picker --------------------------------------------------------------------


async def test_picker_lists_quectel_first_the_simulator_and_recent_ports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ports, "comports", lambda: list(FAKE_PORTS))
    recent = RecentPorts(tmp_path / "recent")
    recent.add("socket://192.0.2.7:7000")
    _, url = sim_url()
    app = QitermApp.for_url(url, 115200, poll_interval=0, recent=recent)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.run_action("pick_port")
        await until(pilot, lambda: isinstance(app.screen, PortPicker) and app.screen.choices)
        picker = app.screen
        assert isinstance(picker, PortPicker)
        devices = [c.device for c in picker.choices]
        # Quectel (VID 2C7C) first, then the others in natural order, the
        # simulator always, the recent URL last (not listed by the OS).
        assert devices == [
            "/dev/ttyUSB3",
            "/dev/ttyS0",
            "/dev/ttyUSB0",
            "sim://",
            "socket://192.0.2.7:7000",
        ]
        rows = [
            str(picker.query_one(OptionList).get_option_at_index(i).prompt)
            for i in range(len(devices))
        ]
        assert "Quectel" in rows[0] and "[2C7C:0700]" in rows[0]
        assert "[0403:6001]" in rows[2] and "Quectel" not in rows[2]
        assert "built-in simulated BC660K-GL" in rows[3] and rows[3].startswith("● ")
        assert "recent" in rows[4]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PortPicker))
        assert app.session.link.url == url  # cancelled: the same link


async def test_switching_port_closes_the_old_link_and_starts_fresh(
    peers: Peers, tmp_path: Path
) -> None:
    first_name, first_url = sim_url(peers)
    second_name, second_url = sim_url(peers)
    recent = RecentPorts(tmp_path / "recent")
    from app.capture.recorder import CaptureRecorder

    capture = CaptureRecorder(tmp_path / "switch.jsonl", url=first_url, baud=115200)
    app = QitermApp.for_url(first_url, 115200, poll_interval=0.5, recent=recent, capture=capture)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert peers.tcp_echo is not None
        # A socket on the first module: the table shows it.
        app.submit(f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(pilot, lambda: 0 in app.state.sockets)
        old = app.session.link
        first = registry.get(first_name)

        await app.run_action("pick_port")
        await until(pilot, lambda: isinstance(app.screen, PortPicker) and app.screen.choices)
        await click(pilot, "#port-typed")
        app.screen.query_one("#port-typed", Input).value = second_url
        await pilot.press("enter")
        await until(pilot, lambda: app.session.link is not old and app.state.connected)
        await ready(pilot)
        # The old worker is closed (thread gone), the new one talks to the second module.
        assert not old._thread.is_alive()
        assert app.session.link.url == second_url and app.state.url == second_url
        assert app.state.sockets == {}, "the socket table starts empty on the new port"
        assert app.query_one("#sockets").row_count == 0  # type: ignore[attr-defined]
        second = registry.get(second_name)
        assert second is not None and second.bytes_out > 0
        # The first module's socket is untouched by the switch (it is another device).
        assert first is not None
        await until(pilot, lambda: recent.load()[:1] == [second_url])  # it connected
        # A port that never opens is not remembered.
        await app.switch_port("foo://bar")
        await until(
            pilot,
            lambda: "invalid URL" in (app.state.link.message if app.state.link else ""),
        )
        await settle(pilot, 0.3)
        assert "foo://bar" not in recent.load()
        assert any(t.startswith("opening sim://") for t in log_texts(app, Category.APP))
    capture.close()
    notes = [r["text"] for r in read_capture(tmp_path / "switch.jsonl").of_type("note")]
    assert any(n.startswith(f"port switched to {second_url}") for n in notes)


async def test_switching_to_and_from_the_builtin_simulator_starts_and_stops_demo_peers(
    tmp_path: Path,
) -> None:
    demo = start_demo("sim://")
    try:
        app = QitermApp.for_url(
            demo.url,
            115200,
            poll_interval=0,
            demo=demo,
            recent=RecentPorts(tmp_path / "recent"),
        )
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert demo.peers.tcp_echo is not None
            # Away from the simulator ("loop://" is pyserial's loopback port):
            # the demo peers stop, the forms keep no demo address.
            await app.switch_port("loop://")
            assert app.session.target.demo is None and app.session.target.peers_info == []
            assert not demo.peers.running
            assert "tcp_port" not in app.form_defaults and app.session.target.variables == {}
            await show_tab(pilot, "tab-ping")
            assert app.query_one("#ping-host", Input).value == ""  # no loopback name left
            # Back to the built-in simulator: new peers, on loopback only.
            await app.switch_port("sim://")
            await ready(pilot)
            again = app.session.target.demo
            assert again is not None and again is not demo
            assert again.peers.tcp_echo is not None and again.peers.tcp_echo[0] == "127.0.0.1"
            assert app.form_defaults["tcp_port"] == again.peers.tcp_echo[1]
            assert app.session.target.variables["ECHO_TCP_PORT"] == str(again.peers.tcp_echo[1])
            assert app.state.url.startswith("sim://?")
            await pilot.pause()
            assert app.query_one("#ping-host", Input).value == "echo.qiterm.local"
            await show_tab(pilot, "tab-dns")
            assert app.query_one("#dns-primary", Input).value == "127.0.0.1"
    finally:
        demo.stop()
        if app.session.target.demo is not None:
            app.session.target.demo.stop()


# --- profiles ----------------------------------------------------------------------------

PROFILE = """\
    baud = 9600
    line_ending = "CRLF"
    echo = false
    poll_interval = 0
    log_folder = "{folder}"

    [favourites]
    hosts = ["192.0.2.10", "device.example"]
    ports = [5683]
    ntp_server = "ntp.example"

    [[highlight]]
    pattern = '\\+CEREG: \\d,1'
    style = "bold magenta"
"""


async def test_a_profile_sets_line_ending_echo_polling_favourites_and_highlights(
    tmp_path: Path,
) -> None:
    name, url = sim_url()
    path = profile_file(tmp_path, PROFILE.format(folder=tmp_path / "logs"))
    with console_with(url, path, None) as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert (
                app.state.baudrate == 9600 and app.session.link.baudrate == 9600
            )  # the profile's baud
            assert "ATE0" in tx_lines(app)
            module = registry.get(name)
            assert module is not None and module.echo is False
            assert not app.session.polling and "poll paused" in app.session.polling_label
            await settle(pilot, 0.6)
            assert not any(e.tag == "poll" for e in app.journal.entries)
            # Favourites pre-fill the forms (no demo peers on this port).
            assert app.form_defaults["ping_host"] == "192.0.2.10"
            assert app.form_defaults["dns_name"] == "device.example"
            assert app.form_defaults["tcp_port"] == 5683
            # Highlight rule handed to the log, and it marks the line.
            log_ = app.query_one("#log")
            rules = log_.highlights  # type: ignore[attr-defined]
            assert [p.pattern for p, _ in rules] == [r"\+CEREG: \d,1"]
            cereg = next(e for e in app.journal.entries if e.text.startswith("+CEREG: 0,1"))
            text = log_.render_text(cereg, previous=None)  # type: ignore[attr-defined]
            start = text.plain.index("+CEREG: 0,1")
            assert any(
                s.start <= start and s.end >= start + 11 and "magenta" in str(s.style)
                for s in text.spans
            )
    # Every command line went out with CR LF; the capture went to the log folder.
    assert console.capture is not None
    assert console.capture.path.parent == tmp_path / "logs"
    sent = [decode_bytes(r) for r in read_capture(console.capture.path).of_type("tx")]
    commands = [b for b in sent if b.startswith(b"AT")]
    assert commands and all(b.endswith(b"\r\n") for b in commands), commands[:3]


async def test_command_line_options_win_over_the_profile(tmp_path: Path) -> None:
    _, url = sim_url()
    path = profile_file(tmp_path, 'port = "/dev/ttyNOPE9"\nbaud = 9600\n')
    with console_with(url, path, tmp_path / "c.jsonl", baud=57600) as console:
        assert console.app.state.url == url and console.app.state.baudrate == 57600


async def test_a_bad_profile_is_reported_and_the_console_still_starts(tmp_path: Path) -> None:
    _, url = sim_url()
    path = profile_file(
        tmp_path,
        """\
        baud = "fast"
        echo = "yes"
        colour = "blue"
        [[highlight]]
        pattern = "(unclosed"
        style = "bold"
        """,
    )
    with console_with(url, path, tmp_path / "c.jsonl") as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            errors = log_texts(app, Category.ERROR)
            mentioned = " | ".join(e for e in errors if e.startswith("profile: "))
            for key in ("baud", "echo", "colour", "highlight"):
                assert key in mentioned, (key, mentioned)
            assert str(path) in mentioned
            assert app.state.baudrate == 115200  # the default stands in for the bad value
            assert app.query_one("#log").highlights == ()  # type: ignore[attr-defined]
            # Still usable: a command goes out and comes back.
            app.submit("AT+CSQ")
            await until(pilot, lambda: any(t.startswith("+CSQ:") for t in log_texts(app)))


def test_a_missing_profile_names_the_file(tmp_path: Path) -> None:
    loaded = load_profile(str(tmp_path / "nope.toml"))
    assert loaded.problems and "nope.toml: no such profile file" in loaded.problems[0]


# --- macros ------------------------------------------------------------------------------


def macro_profile(tmp_path: Path, echo_port: int) -> Path:
    return profile_file(
        tmp_path,
        f'''\
        [[macro]]
        name = "csq"
        key = "f11"
        at = "AT+CSQ"

        [[macro]]
        name = "echo round trip"
        key = "ctrl+g"
        script = """
        AT+QIOPEN=0,1,"TCP","127.0.0.1",{echo_port},0,1
        expect \\\\+QIOPEN: 1,0 5
        AT+QISEND=1,5,"ping!"
        expect \\\\+QIURC: "recv",1 5
        AT+QICLOSE=1
        """

        [[macro]]
        name = "clashes"
        key = "f2"
        at = "AT+CGMR"

        [[macro]]
        name = "serial number"
        key = "shift+f2"
        at = "AT+CGSN"
        ''',
    )


async def test_macros_run_from_their_key_and_the_bar_and_wait_for_a_urc(
    peers: Peers, tmp_path: Path
) -> None:
    assert peers.tcp_echo is not None
    _, url = sim_url(peers)
    path = macro_profile(tmp_path, peers.tcp_echo[1])
    with console_with(url, path, tmp_path / "c.jsonl") as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            bar = app.query_one(MacroBar)
            assert bar.display and [m.name for m in bar.macros] == [
                "csq",
                "echo round trip",
                "clashes",
                "serial number",
            ]
            # F2 is the console's Open key: the macro keeps the palette and bar only.
            # Shift+F2 reaches Textual as F14 (what terminals send).
            assert app.macro_keys.bound == {0: "f11", 1: "ctrl+g", 3: "f14"}
            await pilot.press("f14")
            await until(pilot, lambda: "AT+CGSN" in tx_lines(app))
            assert "Shift+F2 serial number" in str(app.query_one("#macro-3").label)  # type: ignore[attr-defined]
            assert any("key f2 is already a console key" in e for e in log_texts(app))
            assert "F11 csq" in str(app.query_one("#macro-0").label)  # type: ignore[attr-defined]

            await pilot.press("f11")
            await until(pilot, lambda: any(t.startswith("+CSQ:") for t in log_texts(app)))
            await until(pilot, lambda: not app.session.playing)

            # The script macro from its key: it waits for the echo's recv URC.
            await pilot.press("ctrl+g")
            await until(
                pilot,
                lambda: any(t.startswith("script: all 5 steps passed") for t in log_texts(app)),
                timeout=15,
                message=lambda: str(
                    [t for t in log_texts(app) if "QISTATE" not in t and t != "OK"][-10:]
                ),
            )
            recv = [t for t in log_texts(app) if t.startswith('+QIURC: "recv",1')]
            assert recv, "the expect step saw the recv URC"

            # And from the bar (a button click).
            before = sum(t == "AT+CGMR" for t in tx_lines(app))
            await click(pilot, "#macro-2")
            await until(pilot, lambda: sum(t == "AT+CGMR" for t in tx_lines(app)) == before + 1)


async def test_a_failing_macro_says_which_step_failed(peers: Peers, tmp_path: Path) -> None:
    _, url = sim_url(peers)
    path = profile_file(
        tmp_path,
        '''\
        [[macro]]
        name = "never"
        key = "f11"
        script = """
        AT
        expect NEVER-COMES 0.5
        """
        ''',
    )
    with console_with(url, path, tmp_path / "c.jsonl") as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("f11")
            await until(pilot, lambda: any(t.startswith("script: ") for t in log_texts(app)))
            errors = log_texts(app, Category.ERROR)
            assert any("2/2 failed: expect NEVER-COMES" in e for e in errors), errors[-4:]


async def test_no_macros_no_bar(tmp_path: Path) -> None:
    _, url = sim_url()
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert not app.query_one(MacroBar).display


async def test_the_macro_editor_refuses_bad_macros_and_saves_good_ones(
    peers: Peers, tmp_path: Path
) -> None:
    _, url = sim_url(peers)
    path = profile_file(tmp_path, 'baud = 115200\n[[macro]]\nname = "csq"\nat = "AT+CSQ"\n')
    with console_with(url, path, tmp_path / "c.jsonl") as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await app.run_action("edit_macros")
            await until(
                pilot,
                lambda: isinstance(app.screen, MacroEditor) and app.screen.query(TextArea),
            )
            area = app.screen.query_one(TextArea)
            assert 'at = "AT+CSQ"' in area.text
            before = path.read_text(encoding="utf-8")

            async def refused(text: str, *expected: str) -> None:
                area.text = text
                await pilot.press("ctrl+s")
                await pilot.pause()
                assert isinstance(app.screen, MacroEditor), "bad macros must not close the editor"
                problems = str(app.screen.query_one("#macro-problems").render())
                assert "Not saved" in problems
                for part in expected:
                    assert part in problems, (part, problems)
                assert path.read_text(encoding="utf-8") == before

            # A line the catalog rejects; two macros on one key; broken TOML.
            await refused('[[macro]]\nname = "bad"\nat = "AT+QIOPEN=9"\n', "'bad'", "AT+QIOPEN")
            await refused(
                '[[macro]]\nname = "one"\nkey = "f11"\nat = "AT"\n'
                '[[macro]]\nname = "two"\nkey = "f11"\nat = "ATI"\n',
                "f11 is taken",
                "'two'",
            )
            await refused('[[macro]\nname = "x"', "TOML syntax error")

            area.text = (
                '[[macro]]\nname = "ping echo"\nkey = "f11"\n'
                'at = "AT+QPING=0,\\"127.0.0.1\\",1,1"\n'
            )
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not isinstance(app.screen, MacroEditor))
            saved = load_profile(path)
            assert saved.problems == []
            assert [m.name for m in saved.profile.macros] == ["ping echo"]
            assert saved.profile.baud == 115200  # the rest of the profile kept
            assert (tmp_path / "bench.toml.bak").read_text(encoding="utf-8") == before
            assert [m.name for m in app.query_one(MacroBar).macros] == ["ping echo"]
            await pilot.press("f11")
            await until(pilot, lambda: any(t.startswith("AT+QPING=0") for t in tx_lines(app)))


COMMENTED_PROFILE = """\
# Bench B: the BC660K-GL on the blue board.
baud   =   115200   # the firmware's
# polling: slow, the link is shared
poll_interval = 0

[favourites]
# the echo servers we own
hosts = ["192.0.2.10",   "echo.example"]   # lab first

[[macro]]                      # one AT line
name = "csq"
key = "f11"
at = "AT+CSQ"

# Highlights: registration changes stand out.
[[highlight]]
pattern = '\\+CEREG: \\d,5'   # roaming
style = "bold magenta"
"""


async def test_the_macro_editor_keeps_the_comments_of_the_profile(tmp_path: Path) -> None:
    _, url = sim_url()
    path = profile_file(tmp_path, COMMENTED_PROFILE)
    head, rest = COMMENTED_PROFILE.split("[[macro]]", 1)
    tail = rest[rest.index("# Highlights") :]
    with console_with(url, path, tmp_path / "c.jsonl") as console:
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await app.run_action("edit_macros")
            await until(
                pilot,
                lambda: isinstance(app.screen, MacroEditor) and app.screen.query(TextArea),
            )
            area = app.screen.query_one(TextArea)
            area.text += '\n[[macro]]\nname = "ati"\nkey = "ctrl+g"\nat = "ATI"\n'
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not isinstance(app.screen, MacroEditor))
            assert [m.name for m in app.query_one(MacroBar).macros] == ["csq", "ati"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(head) and text.endswith(tail), text
    for line in COMMENTED_PROFILE.splitlines():
        if "#" in line:
            assert line in text.splitlines(), line
    assert (tmp_path / "bench.toml.bak").read_text(encoding="utf-8") == COMMENTED_PROFILE
    saved = load_profile(path)
    assert saved.problems == [] and [m.name for m in saved.profile.macros] == ["csq", "ati"]


def test_the_readme_profile_loads_without_problems() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Profiles and macros", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None, "the README's profiles section has a TOML sample"
    from app.config.profile import parse_profile

    loaded = parse_profile(block.group(1), "README.md")
    assert loaded.problems == []
    profile = loaded.profile
    assert profile.macros and profile.highlights and profile.favourites.hosts
    assert {"port", "baud", "line_ending", "echo", "poll_interval"} <= loaded.given


def test_crlf_ends_commands_but_not_one_that_opens_data_mode() -> None:
    from app.link.engine import Engine
    from app.protocol import commands as c

    engine = Engine(line_ending=b"\r\n")
    assert engine.wire(c.classify("AT+CSQ")) == b"AT+CSQ\r\n"
    # The module takes the line at CR and prompts '>': an LF after it would be
    # the payload's first byte.
    assert engine.wire(c.classify("AT+QISEND=0")) == b"AT+QISEND=0\r"
    assert Engine(line_ending=b"\n").wire(c.classify("AT")) == b"AT\n"
    assert Engine().wire(c.classify("AT")) == b"AT\r"


async def test_pick_before_the_console_returns_the_chosen_port() -> None:
    from app.console.picker import PickerApp
    from app.link.ports import PortChoice

    choices = [
        PortChoice("/dev/ttyUSB3", "Quectel USB AT Port", quectel=True),
        PortChoice("sim://", "sim"),
    ]
    app = PickerApp(lambda: choices)
    async with app.run_test() as pilot:
        await until(pilot, lambda: isinstance(app.screen, PortPicker) and app.screen.choices)
        await pilot.press("down", "enter")
    assert app.return_value == "sim://"

    app = PickerApp(lambda: choices)
    async with app.run_test() as pilot:
        await until(pilot, lambda: isinstance(app.screen, PortPicker) and app.screen.choices)
        await pilot.press("escape")
    assert app.return_value is None


async def test_the_polling_interval_can_be_changed_and_paused() -> None:
    from widgets.dialogs.choice import PollDialog

    _, url = sim_url()
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert (
            not app.session.polling and app.session.poll_interval == 2.0
        )  # F6 would resume at 2 s
        await app.run_action("poll_interval")
        await until(
            pilot, lambda: isinstance(app.screen, PollDialog) and app.screen.query("OptionList")
        )
        options = app.screen.query_one(OptionList)
        options.highlighted = 3  # every 5 s
        await pilot.press("enter")
        await until(pilot, lambda: app.session.polling and app.session.poll_interval == 5.0)
        assert "poll 5s" in app.session.polling_label
        polls = sum(e.tag == "poll" and e.direction == "tx" for e in app.journal.entries)
        await settle(pilot, 0.5)
        assert (
            sum(e.tag == "poll" and e.direction == "tx" for e in app.journal.entries) <= polls + 1
        )

        await app.run_action("poll_interval")
        await until(
            pilot, lambda: isinstance(app.screen, PollDialog) and app.screen.query("OptionList")
        )
        options = app.screen.query_one(OptionList)
        options.highlighted = options.option_count - 1  # paused
        await pilot.press("enter")
        await until(pilot, lambda: not app.session.polling)
        assert app.session.poll_interval == 5.0 and "poll paused" in app.session.polling_label


async def test_the_view_clock_sleeps_while_nothing_is_due_and_wakes_for_each_poll() -> None:
    """Connected and idle, polling paused, no Module pane reads: the console arms no
    timer at all. Polling on (F6), it wakes when each poll is due, not four times a
    second; paused again, it sleeps again once the timer armed for the next poll
    has gone off."""
    from app.console.app import TICK_S

    name, url = sim_url()
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            clock = lambda: f"armed for {app._tick_at - time.monotonic():.2f} s"  # noqa: E731
            await until(pilot, lambda: app._tick_timer is None, message=clock)

            def polls() -> int:
                return sum(e.tag == "poll" and e.direction == "tx" for e in app.journal.entries)

            await app.run_action("toggle_poll")  # every 2 s, the first at once
            await until(pilot, lambda: polls() >= 1)
            await until(
                pilot,
                lambda: app._tick_timer is not None and app._tick_at - time.monotonic() > TICK_S,
                message=clock,
            )
            await until(pilot, lambda: polls() >= 2)
            await app.run_action("toggle_poll")  # paused
            await until(pilot, lambda: app._tick_timer is None, message=clock)
            assert not app.session.polling
    finally:
        registry.destroy(name)


async def test_a_new_socket_shows_its_local_port_without_waiting_for_the_next_poll(
    peers: Peers,
) -> None:
    assert peers.tcp_echo is not None
    _, url = sim_url(peers)
    app = QitermApp.for_url(url, 115200, poll_interval=60)  # the next regular poll is a minute away
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.submit(f'AT+QIOPEN=0,2,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(
            pilot,
            lambda: 2 in app.state.sockets and app.state.sockets[2].local_port > 0,
        )


def test_the_command_line_offers_profile_and_pick_and_refuses_a_bad_baud() -> None:
    from click.testing import CliRunner

    from app.cli import main

    runner = CliRunner()
    shown = runner.invoke(main, ["console", "--help"])
    assert shown.exit_code == 0
    assert "--profile NAME|PATH" in shown.output and "--pick" in shown.output
    bad = runner.invoke(main, ["-b", "0"])
    assert bad.exit_code == 2 and "Invalid value for '-b'" in bad.output
