"""The console from the keyboard alone: the README's first five minutes pressed key
by key, a key per pane, F1, Tab completion, the filter dialog, closing a socket
and the socket table's Home/End."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Label, TabbedContent
from textual.widgets._footer import FooterKey

from app.config import paths
from app.console import launch
from app.console.app import QitermApp
from app.demo.peers import Peers
from app.model.journal import Category
from app.protocol.events import SocketState
from app.sim import registry
from tests.consolekit import (
    command,
    log_texts,
    make_app,
    press_keys,
    ready,
    screen_text,
    tx_lines,
    until,
)
from widgets.deferred import Deferred
from widgets.dialogs.confirm import ConfirmDialog
from widgets.dialogs.filter import FilterDialog
from widgets.dialogs.keys import KeysScreen
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.dialogs.welcome import WelcomeScreen
from widgets.footer import KeyFooter
from widgets.log import EventLog
from widgets.sockets import SocketTable
from widgets.tools.dns import DnsForm
from widgets.tools.ntp import NtpForm
from widgets.tools.ping import PingForm

SIZE = (120, 36)
#: F1 and the pane keys: in the footer at every size, whatever has the focus.
PANE_KEYS = {"f1", "ctrl+y", "ctrl+n", "ctrl+r", "ctrl+l"}


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths.platformdirs, "user_state_dir", lambda name: str(tmp_path / name))
    return tmp_path


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[QitermApp]:
    app, name = make_app(peers)
    try:
        yield app
    finally:
        registry.destroy(name)


def footer_keys(app: QitermApp) -> set[str]:
    return {key.key for key in app.query_one(KeyFooter).query(FooterKey)}


def focused_id(app: QitermApp) -> str | None:
    return app.focused.id if app.focused is not None else None


def result_of(app: QitermApp, form: type) -> str:
    return str(app.query_one(form).query_one(".result", Label).render())


# --- the README's first five minutes ----------------------------------------------------


async def test_the_first_five_minutes_by_keyboard_alone(state_dir: Path, tmp_path: Path) -> None:
    """README "The first five minutes" at 120x36 with nothing but key presses."""
    name = f"fivemin{os.getpid()}"
    console = launch.prepare_console(
        port=f"sim://{name}", baud=115200, log_path=str(tmp_path / "five.jsonl")
    )
    assert console is not None and console.demo is not None
    app = console.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, WelcomeScreen))
            await ready(pilot)
            # 1. F2 opens a socket, filled in for TCP to the echo peer: Enter.
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
            await pilot.press("enter")
            await until(
                pilot,
                lambda: (
                    app.state.sockets.get(0) is not None
                    and app.state.sockets[0].state == SocketState.CONNECTED
                ),
            )
            assert not isinstance(app.screen, OpenSocketDialog)
            await until(pilot, lambda: "Connected" in screen_text(app))
            # 2. The Send tab (Ctrl+N), hello, Ctrl+S; the echo comes back.
            await pilot.press("ctrl+n")
            await until(pilot, lambda: focused_id(app) == "data")
            await press_keys(pilot, "hello")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.state.sockets[0].bytes_received == 5)
            assert 'AT+QISEND=0,5,"hello"' in tx_lines(app)
            assert any('"hello"' in t for t in log_texts(app, Category.RECV))
            await until(pilot, lambda: '+QIURC: "recv",0,5,"hello"' in screen_text(app))
            # Ctrl+T: payloads in hex.
            await pilot.press("ctrl+t")
            await until(pilot, lambda: "68 65 6C 6C 6F" in screen_text(app))
            # 3. Ctrl+N again: Ping, NTP, DNS; Enter runs each.
            await pilot.press("ctrl+n")
            await until(pilot, lambda: focused_id(app) == "ping-host")
            assert app.query_one("#tabs").active == "tab-ping"  # type: ignore[attr-defined]
            await pilot.press("enter")
            await until(pilot, lambda: "4/4 replies" in result_of(app, PingForm), timeout=20)
            await pilot.press("ctrl+n")
            await until(pilot, lambda: focused_id(app) == "ntp-server")
            await pilot.press("enter")
            await until(pilot, lambda: "UTC " in result_of(app, NtpForm))
            assert "1 s resolution" in result_of(app, NtpForm)
            await pilot.press("ctrl+n")
            await until(pilot, lambda: focused_id(app) == "dns-name")
            await pilot.press("enter")
            await until(pilot, lambda: result_of(app, DnsForm).startswith("127.0.0.1"))
            # Every result is on the screen, not only in the widgets.
            shown = screen_text(app)
            assert "127.0.0.1  (1 address(es)" in shown
    finally:
        console.close()
        registry.destroy(name)


# --- a key per pane, in the footer --------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 36), (200, 50)])
async def test_each_pane_has_a_key_shown_in_the_footer(
    console: QitermApp, size: tuple[int, int]
) -> None:
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        for focus in ("ctrl+l", "ctrl+r"):  # the footer follows the focus
            await pilot.press(focus)
            await pilot.pause()
            await until(
                pilot,
                lambda: footer_keys(app) >= PANE_KEYS,  # type: ignore[attr-defined]
                message=lambda: str(footer_keys(app)),  # type: ignore[attr-defined]
            )
            text = screen_text(app).splitlines()[-1]
            for label in ("Sockets", "Tabs", "Log", "Cmd line", "Keys", "palette"):
                assert label in text, (size, label, text)
        await pilot.press("ctrl+y")
        assert isinstance(app.focused, SocketTable)
        await pilot.press("ctrl+n")
        assert focused_id(app) == "data"
        await pilot.press("ctrl+r")
        assert isinstance(app.focused, EventLog)
        await pilot.press("ctrl+l")
        assert focused_id(app) == "at-input"
        # Ctrl+N from inside the tabs walks them, and comes back to Send.
        await pilot.press("ctrl+n")
        for field in ("ping-host", "ntp-server", "dns-name", "history", "cmd-0", "module", "data"):
            await pilot.press("ctrl+n")
            await until(pilot, lambda field=field: focused_id(app) == field)


async def test_a_hidden_tab_mounts_when_opened_and_the_rest_by_themselves(
    console: QitermApp,
) -> None:
    """The hidden tabs' widgets are not built for the first frame: a tab opened at
    once gets its widget then, and the others mount on their own soon after."""
    async with console.run_test(size=(120, 40)) as pilot:
        app = console
        app.query_one(TabbedContent).active = "tab-history"
        await until(pilot, lambda: bool(app.query("#history")))
        await until(pilot, lambda: not app.query(Deferred))
        for pane in ("#ping", "#ntp", "#dns", "#cmdlist", "#module"):
            assert len(app.query(pane)) == 1, pane
        await ready(pilot)


async def test_data_mode_keys_come_first_in_the_footer(console: QitermApp, peers: Peers) -> None:
    assert peers.tcp_echo is not None
    async with console.run_test(size=(80, 24)) as pilot:
        app = await ready(pilot)
        await command(pilot, f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(pilot, lambda: 0 in app.state.sockets and app.state.sockets[0].state == 2)
        await command(pilot, "AT+QISEND=0")
        await until(pilot, lambda: app.state.awaiting_input)
        await until(pilot, lambda: footer_keys(app) >= PANE_KEYS | {"ctrl+z", "escape"})
        last = screen_text(app).splitlines()[-1]
        assert last.startswith("^z Send esc Cancel"), last
        await pilot.press("escape")
        await until(pilot, lambda: "ctrl+z" not in footer_keys(app))


async def test_f1_lists_the_console_keys_first_then_the_focused_fields(
    console: QitermApp,
) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        app = await ready(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, KeysScreen))
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        titles = [title for title, _ in screen.sections]
        assert titles == ["Everywhere", "In the AT command line"]
        everywhere = dict(screen.sections[0][1])
        for key in ("F1", "Ctrl+Y", "Ctrl+N", "Ctrl+R", "Ctrl+L", "F2 / Ctrl+O", "F3", "F12"):
            assert key in everywhere, key
        assert "Tab" in dict(screen.sections[1][1])
        await pilot.press("f1")
        await until(pilot, lambda: not isinstance(app.screen, KeysScreen))
        # From the log, its own keys come after the console's.
        await pilot.press("ctrl+r")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, KeysScreen))
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        assert screen.sections[1][0] == "In the log"
        keys = dict(screen.sections[1][1])
        assert "Enter" in " ".join(keys) or any("whole" in v for v in keys.values())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, KeysScreen))


async def test_tab_completes_on_the_command_line(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        field = app.query_one("#at-input", Input)
        await pilot.press("ctrl+l")
        await press_keys(pilot, "AT+QIDNSG")
        await until(pilot, lambda: field._suggestion.upper().startswith("AT+QIDNSGIP"))
        await pilot.press("tab")
        assert field.value.upper().startswith("AT+QIDNSGIP")
        assert app.focused is field  # Tab completed; the focus stayed
        # With nothing to complete, Tab moves the focus on as everywhere else.
        field.value = ""
        await pilot.pause()
        await pilot.press("tab")
        assert app.focused is not field


async def test_the_focused_filter_checkbox_keeps_its_label(console: QitermApp) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        app = await ready(pilot)
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, FilterDialog))
        boxes = list(app.screen.query(Checkbox))
        for box in boxes[:3]:
            await until(pilot, lambda box=box: box.has_focus)
            label = str(box.label)
            line = next(t for t in screen_text(app).splitlines() if label in t)
            assert box.region.height == 1 and label in line
            await pilot.press("down")
        await pilot.press("escape")


# --- closing a socket -----------------------------------------------------------------------


async def test_f3_names_the_socket_and_asks_and_home_end_choose_it(
    console: QitermApp, peers: Peers
) -> None:
    assert peers.tcp_echo is not None
    async with console.run_test(size=(80, 24)) as pilot:
        app = await ready(pilot)
        for cid in range(3):
            await command(pilot, f'AT+QIOPEN=0,{cid},"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
            await until(
                pilot,
                lambda cid=cid: (
                    app.state.sockets.get(cid) is not None
                    and app.state.sockets[cid].state == SocketState.CONNECTED
                ),
            )
        table = app.query_one(SocketTable)
        await until(pilot, lambda: table.row_count == 3)
        await pilot.press("ctrl+y")
        await pilot.press("end")
        assert table.selected_id == 2
        await pilot.press("home")
        assert table.selected_id == 0
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        body = str(app.screen.query_one("#confirm-body").render())
        assert "AT+QICLOSE=0" in body and "#0 TCP 127.0.0.1:" in body
        # Esc keeps it: nothing is sent.
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert not any(t.startswith("AT+QICLOSE") for t in tx_lines(app))
        await pilot.press("end", "f3")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "AT+QICLOSE=2" in str(app.screen.query_one("#confirm-body").render())
        await pilot.press("enter")
        await until(pilot, lambda: 2 not in app.state.sockets)
        assert {0, 1} <= set(app.state.sockets)
        assert [t for t in tx_lines(app) if t.startswith("AT+QICLOSE")] == ["AT+QICLOSE=2"]


async def test_the_cursor_rests_when_idle_and_blinks_again_at_a_key(console: QitermApp) -> None:
    """An idle console does not redraw for a blinking cursor nobody watches: the
    rest timer (BLINK_TIMEOUT_S after the last key, click or focus) leaves the AT
    command line's cursor lit; a key makes it blink again and restarts the timer."""
    from widgets import cmdline

    async with console.run_test(size=SIZE) as pilot:
        await ready(pilot)
        field = console.query_one("#at-input", cmdline.AtInput)
        timer = field._rest_timer
        assert field.has_focus and field.cursor_blink and timer is not None
        field._rest_cursor()  # what the timer does when it fires
        assert not field.cursor_blink
        await pilot.press("a")
        await until(pilot, lambda: field.value == "a")
        assert field.cursor_blink
        # A caller's own choice (the snapshot tests turn blinking off) is left alone.
        field.cursor_blink = False
        await pilot.press("b")
        await until(pilot, lambda: field.value == "ab")
        assert not field.cursor_blink
