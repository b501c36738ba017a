"""SVG snapshots of the main screen and of each dialog and form (pytest-textual-snapshot).

Timestamps are pinned and the module is a named simulator without peers, so the
screens are the same on every run. Update after a deliberate UI change with
``.venv/bin/pytest tests/test_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from app.console.app import QitermApp
from app.model import render
from app.sim import registry
from tests.consolekit import log_texts, ready, type_into, until
from widgets.dialogs.filter import FilterDialog
from widgets.dialogs.keys import KeysScreen
from widgets.dialogs.line import LineDialog
from widgets.dialogs.note import NoteDialog
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.log import EventLog
from widgets.module import ModulePane


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "stamp", lambda wall: "12:00:00.000")


@pytest.fixture
def snap_app() -> Iterator[QitermApp]:
    app = QitermApp.for_url("sim://snapshot", 115200, poll_interval=0)
    yield app
    registry.destroy("snapshot")


async def settled(pilot: Pilot[Any]) -> None:
    app = await ready(pilot)
    for field in app.query(Input):
        field.cursor_blink = False  # a blinking cursor would make screens differ
    log_ = app.query_one(EventLog)
    # Every line is in and the log has scrolled to the newest one.
    await until(pilot, lambda: log_.virtual_size.height == len(app.journal.view))
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)
    await until(
        pilot,
        lambda: log_.scroll_y == log_.max_scroll_y,
        message=lambda: f"scroll {log_.scroll_y} of {log_.max_scroll_y}",
    )
    # The scroll bar's thumb is drawn from its own copy of the sizes: wait until it
    # has caught up with the follow (under load it can lag a frame behind).
    bar = log_.vertical_scrollbar
    await until(
        pilot,
        lambda: (
            not log_.show_vertical_scrollbar
            or (
                bar.window_virtual_size == log_.virtual_size.height
                and bar.position == log_.scroll_y
            )
        ),
        message=lambda: (
            f"bar {bar.window_virtual_size}/{bar.position}, "
            f"log {log_.virtual_size.height}/{log_.scroll_y}"
        ),
    )
    bar.refresh()
    await pilot.pause(0.1)


def test_main_screen(snap_compare: Any, snap_app: QitermApp) -> None:
    assert snap_compare(snap_app, terminal_size=(140, 40), run_before=settled)


def test_main_screen_light_theme(snap_compare: Any, snap_app: QitermApp) -> None:
    async def light(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"
        await settled(pilot)

    assert snap_compare(snap_app, terminal_size=(140, 40), run_before=light)


def test_open_socket_dialog(snap_compare: Any, snap_app: QitermApp) -> None:
    async def open_dialog(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(pilot.app.screen, OpenSocketDialog))
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        port = pilot.app.screen.query_one("#remote-port", Input)
        port.value = "70000"
        port.focus()
        await pilot.press("enter")  # a click would leave the button in its hover colour
        await pilot.pause()

    assert snap_compare(snap_app, terminal_size=(100, 30), run_before=open_dialog)


def test_open_socket_dialog_listener(snap_compare: Any, snap_app: QitermApp) -> None:
    async def open_dialog(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(pilot.app.screen, OpenSocketDialog))
        pilot.app.screen.query_one("#service", Select).value = "TCP LISTENER"
        await pilot.pause()
        for field in pilot.app.screen.query(Input):  # the listener's fields too
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(snap_app, terminal_size=(100, 30), run_before=open_dialog)


def test_filter_dialog(snap_compare: Any, snap_app: QitermApp) -> None:
    async def open_filter(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(pilot.app.screen, FilterDialog))
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(snap_app, terminal_size=(100, 30), run_before=open_filter)


def test_note_dialog(snap_compare: Any, snap_app: QitermApp) -> None:
    async def open_note(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog))
        pilot.app.screen.query_one(Input).cursor_blink = False

    assert snap_compare(snap_app, terminal_size=(100, 30), run_before=open_note)


#: The sizes the console is laid out for (README: 80x24 and up).
SIZES = [(80, 24), (100, 30), (120, 36), (200, 50)]
#: Ctrl+N presses from the command line that show each tab (its first field focused).
TABS = {"send": 1, "ping": 2, "ntp": 3, "dns": 4, "history": 5, "commands": 6}


@pytest.mark.parametrize("tab", list(TABS))
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_screen(snap_compare: Any, snap_app: QitermApp, size: tuple[int, int], tab: str) -> None:
    """The main screen with each tab, at each size, reached by its key (Ctrl+N)."""

    async def show(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press(*["ctrl+n"] * TABS[tab])
        app = pilot.app
        await until(pilot, lambda: app.query_one("#tabs").active == f"tab-{tab}")  # type: ignore[attr-defined]
        for field in app.query(Input):
            field.cursor_blink = False
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)

    assert snap_compare(snap_app, terminal_size=size, run_before=show)


def test_keys_screen(snap_compare: Any, snap_app: QitermApp) -> None:
    """F1 at 80x24: the console's keys first, then the command line's."""

    async def keys(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, KeysScreen))
        await pilot.pause(0.1)

    assert snap_compare(snap_app, terminal_size=(80, 24), run_before=keys)


def test_whole_line(snap_compare: Any, snap_app: QitermApp) -> None:
    """Enter in the log: the selected line whole, at 80x24."""

    async def whole(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("ctrl+r", "up", "up", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, LineDialog))
        await pilot.pause(0.1)

    assert snap_compare(snap_app, terminal_size=(80, 24), run_before=whole)


def test_data_mode_on_the_command_line(snap_compare: Any, snap_app: QitermApp) -> None:
    async def data_mode(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app = pilot.app
        assert isinstance(app, QitermApp)
        await type_into(pilot, "#at-input", 'AT+QIOPEN=0,0,"UDP","127.0.0.1",9,47001,1')
        await pilot.press("enter")
        await until(
            pilot,
            lambda: app.state.sockets.get(0) is not None and app.state.sockets[0].state == 2,
            message=lambda: str(log_texts(app)[-6:]),
        )
        await type_into(pilot, "#at-input", "AT+QISEND=0")
        await pilot.press("enter")
        await until(
            pilot, lambda: app.state.awaiting_input, message=lambda: str(log_texts(app)[-6:])
        )
        await pilot.pause(0.1)

    assert snap_compare(snap_app, terminal_size=(140, 40), run_before=data_mode)


def test_port_picker(snap_compare: Any) -> None:
    from app.link.ports import PortChoice
    from widgets.dialogs.port_picker import PortPicker

    ports = [
        PortChoice("/dev/ttyUSB3", "Quectel USB AT Port", "2C7C:0700", "Quectel", quectel=True),
        PortChoice("/dev/ttyUSB0", "FT232R USB UART", "0403:6001", "FTDI", recent=True),
        PortChoice("sim://", "built-in simulated BC660K-GL"),
        PortChoice("socket://bench-pi.local:7000", "recently used URL", present=False, recent=True),
    ]
    app = QitermApp.for_url(
        "sim://snapshot", 115200, poll_interval=0, port_lister=lambda recent: ports
    )

    async def pick(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.app.run_action("pick_port")
        await until(
            pilot, lambda: isinstance(pilot.app.screen, PortPicker) and pilot.app.screen.choices
        )
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(110, 30), run_before=pick)
    finally:
        registry.destroy("snapshot")


def test_macro_bar(snap_compare: Any) -> None:
    from app.config.profile import parse_profile

    loaded = parse_profile(
        '[[macro]]\nname = "sockets"\nkey = "f11"\nat = "AT+QISTATE?"\n'
        '[[macro]]\nname = "csq"\nkey = "ctrl+g"\nat = "AT+CSQ"\n'
        '[[macro]]\nname = "hello on 0"\nsend = { connect_id = 0, data = "hello" }\n'
    )
    assert loaded.problems == []
    app = QitermApp.for_url("sim://snapshot", 115200, poll_interval=0, profile=loaded)
    try:
        assert snap_compare(app, terminal_size=(140, 40), run_before=settled)
    finally:
        registry.destroy("snapshot")


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_module_pane(snap_compare: Any, snap_app: QitermApp, size: tuple[int, int]) -> None:
    """The Module tab (Ctrl+N seven times) after r read the module: the one line that
    sums it up first, then registration with each value's command and time."""

    async def module(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app = pilot.app
        assert isinstance(app, QitermApp)
        await pilot.press(*["ctrl+n"] * 7)
        await until(pilot, lambda: isinstance(app.focused, ModulePane))
        await pilot.press("r")
        details = app.state.details
        await until(
            pilot,
            lambda: (
                details.iccid is not None
                and details.edrx is not None
                and not app.session.link.busy
                and not app.query_one(ModulePane).reading
            ),
        )
        log_ = app.query_one(EventLog)
        await until(pilot, lambda: log_.virtual_size.height == len(app.journal.view))
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)

    assert snap_compare(snap_app, terminal_size=size, run_before=module)
