"""The console at every terminal size: 80x24, 100x30, 120x36 and 200x50. Every
control is on the screen or one key away, a log line's kind, socket and payload
can be read, the socket table keeps its telling columns, the hint and the
welcome panel fit, and the log's paused notice shows."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input

from app.console.app import QitermApp
from app.demo.peers import Peers
from app.demo.wiring import start_demo
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
    until,
)
from widgets.dialogs.line import LineDialog
from widgets.dialogs.welcome import WelcomeScreen
from widgets.log import EventLog, LogPane
from widgets.sockets import COLUMNS, SocketTable, fit_columns

SIZES = [(80, 24), (100, 30), (120, 36), (200, 50)]
TABS = [
    "tab-send",
    "tab-ping",
    "tab-ntp",
    "tab-dns",
    "tab-history",
    "tab-commands",
    "tab-module",
]


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[QitermApp]:
    app, name = make_app(peers)
    try:
        yield app
    finally:
        registry.destroy(name)


_demos = itertools.count(1)


@pytest.fixture
def demo_console() -> Iterator[QitermApp]:
    """A console with the demo peers and the welcome panel, on a module of its own."""
    name = f"layout{os.getpid()}-{next(_demos)}"
    demo = start_demo(f"sim://{name}")
    try:
        yield QitermApp.for_url(demo.url, 115200, poll_interval=0, demo=demo, welcome=True)
    finally:
        demo.stop()
        registry.destroy(name)


def on_screen(app: QitermApp, widget: Widget) -> bool:
    """``widget`` is drawn whole, and nothing covers its middle."""
    region = widget.region
    if region.width <= 0 or region.height <= 0:
        return False
    if not app.screen.region.contains_region(region):
        return False
    try:
        found, _ = app.screen.get_widget_at(*region.center)
    except Exception:
        return False
    return found is widget or widget in found.ancestors


def shown(widget: Widget) -> bool:
    """Not hidden by its display or by a hidden container."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


async def open_echo(pilot: Pilot[Any], peers: Peers, cid: int = 0) -> None:
    app = pilot.app
    assert isinstance(app, QitermApp) and peers.tcp_echo is not None
    await command(pilot, f'AT+QIOPEN=0,{cid},"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
    await until(
        pilot,
        lambda: (
            app.state.sockets.get(cid) is not None
            and app.state.sockets[cid].state == SocketState.CONNECTED
        ),
    )


@pytest.mark.parametrize("size", SIZES)
async def test_every_control_of_every_tab_is_on_screen_or_one_key_away(
    console: QitermApp, size: tuple[int, int]
) -> None:
    """Each tab's key (Ctrl+N) shows it; then every button and field of the tab can
    be reached with Tab and is drawn whole where it is focused."""
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await pilot.press("ctrl+n")
        tabs = app.query_one("#tabs")
        for tab in TABS:
            await until(pilot, lambda tab=tab: tabs.active == tab)  # type: ignore[attr-defined]
            pane = app.query_one(f"#{tab}")
            controls = [w for w in pane.query("Button, Input, Checkbox, Select") if shown(w)]
            if tab == "tab-module":  # no controls: the pane itself, focused, keys r i u m
                module = app.query_one("#module")
                await until(pilot, lambda module=module: app.focused is module)
                await until(pilot, lambda module=module: on_screen(app, module))
            elif tab != "tab-history":
                assert controls, tab
            for control in controls:
                control.focus()  # what Tab would do: the pane scrolls to it
                await pilot.pause()
                await until(
                    pilot,
                    lambda control=control: on_screen(app, control),
                    message=lambda control=control: f"{size} {control!r} {control.region}",
                )
            await pilot.press("ctrl+n")


@pytest.mark.parametrize("size", SIZES)
async def test_the_ntp_button_is_drawn_when_the_tab_opens(
    console: QitermApp, size: tuple[int, int]
) -> None:
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "ntp-server")
        await until(pilot, lambda: on_screen(app, app.query_one("#ntp-go", Button)))
        assert "Sync" in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_a_recv_line_is_readable_and_shown_whole_on_demand(
    console: QitermApp, peers: Peers, size: tuple[int, int]
) -> None:
    """The kind, socket and payload of a recv URC are on the screen; Enter in the
    log shows the line whole, however long."""
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        await command(pilot, 'AT+QISEND=0,5,"hello"')
        await until(pilot, lambda: app.state.sockets[0].bytes_received == 5)
        await until(pilot, lambda: '+QIURC: "recv",0,5,"hello"' in screen_text(app))
        # A payload far wider than any terminal: shown whole in the line window.
        long = "".join(chr(ord("a") + i % 26) for i in range(300))
        await command(pilot, f'AT+QISEND=0,300,"{long}"')
        await until(pilot, lambda: app.state.sockets[0].bytes_received == 305)
        await pilot.press("ctrl+r")
        log_ = app.query_one(EventLog)
        recv = [i for i, e in enumerate(app.journal.view) if e.category is Category.RECV][-1]
        while log_.match_index != recv:
            await pilot.press("up")
            assert log_.match_index is not None and log_.match_index >= recv
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LineDialog))
        body = str(app.screen.query_one("#line-body").render())
        assert long in body.replace("\n", "")
        assert "URC recv" in body and "#0" in body and "300 bytes" in body
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LineDialog))
        # The log is paused on the selected line, and says so on the screen.
        notice = app.query_one(LogPane).query_one(".log-notice")
        assert notice.display and on_screen(app, notice)
        assert "paused" in screen_text(app)
        await pilot.press("end")
        await until(pilot, lambda: not notice.display)


@pytest.mark.parametrize("size", SIZES)
async def test_the_socket_table_keeps_state_and_counts_in_view(
    console: QitermApp, peers: Peers, size: tuple[int, int]
) -> None:
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        await command(pilot, 'AT+QISEND=0,5,"hello"')
        await until(
            pilot,
            lambda: app.state.sockets[0].bytes_received == 5,
            message=lambda: str([t for t in log_texts(app) if "QISTATE" not in t][-14:]),
        )
        await pilot.press("f4")
        await until(pilot, lambda: app.state.sockets[0].sent == 5)
        table = app.query_one(SocketTable)
        await until(
            pilot, lambda: "5/5 (0 n)" in screen_text(app), message=lambda: screen_text(app)
        )
        for name in ("ID", "Type", "State", "Tx", "Rx", "Acked"):
            assert name in table.shown_columns, (size, table.shown_columns)
        # Nothing hides behind a horizontal scroll.
        assert table.virtual_size.width <= table.size.width
        header = next(line for line in screen_text(app).splitlines() if " State " in line)
        for name in ("State", "Tx", "Rx", "Acked"):
            assert name in header
        if size[0] >= 120:
            assert table.shown_columns == COLUMNS


def test_columns_shrink_by_priority() -> None:
    widths = dict.fromkeys(COLUMNS, 5)
    widths["Host"] = 40
    assert fit_columns(widths, 200) == (COLUMNS, None)
    shown, host = fit_columns(widths, 95)
    assert "LPort" not in shown and "RPort" in shown and host is None
    shown, host = fit_columns(widths, 60)
    assert "LPort" not in shown and "RPort" not in shown and host is not None and host < 40
    assert {"ID", "State", "Tx", "Rx", "Acked"} <= set(shown)


@pytest.mark.parametrize("size", SIZES)
async def test_the_syntax_hint_is_not_cut(console: QitermApp, size: tuple[int, int]) -> None:
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await pilot.press("ctrl+l")
        await press_keys(pilot, "AT+QIOPEN=")
        await until(
            pilot,
            lambda: "<access_mode>]]" in "".join(t.strip() for t in screen_text(app).splitlines()),
            message=lambda: "\n".join(screen_text(app).splitlines()[-4:]),
        )
        hint = app.query_one("#hint")
        assert on_screen(app, hint)


@pytest.mark.parametrize("size", SIZES)
async def test_the_welcome_panels_button_is_on_screen(
    demo_console: QitermApp, size: tuple[int, int]
) -> None:
    async with demo_console.run_test(size=size) as pilot:
        app = demo_console
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        start = app.screen.query_one("#start", Button)
        await until(pilot, lambda: on_screen(app, start))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, WelcomeScreen))


@pytest.mark.parametrize("size", SIZES)
async def test_the_search_and_the_paused_notice_show_at_every_size(
    console: QitermApp, size: tuple[int, int]
) -> None:
    async with console.run_test(size=size) as pilot:
        app = await ready(pilot)
        await pilot.press("ctrl+f")
        await press_keys(pilot, "CGPADDR")
        search = app.query_one("#search", Input)
        await until(pilot, lambda: on_screen(app, search))
        notice = app.query_one(LogPane).query_one(".log-notice")
        await until(pilot, lambda: notice.display and on_screen(app, notice))
        assert "paused" in screen_text(app)
        await pilot.press("escape", "ctrl+r", "end")
        await until(pilot, lambda: not notice.display)
        # z: the log alone on the screen, and back.
        await pilot.press("z")
        await until(pilot, lambda: app.screen.maximized is app.query_one(LogPane))
        await pilot.press("z")
        await until(pilot, lambda: app.screen.maximized is None)
        assert log_texts(app)  # the log is there all along


def test_the_table_keeps_its_counts_when_the_poll_names_the_local_port() -> None:
    """AT+QIOPEN with local port 0 ("any"), a recv, then the first QISTATE naming
    the port the module chose: the same socket, so Rx stays counted."""
    import time as _time

    from app.link.results import CommandFinished, CommandResult, Outcome, Role, Rx, Tx, TxKind
    from app.model.state import ModuleState
    from app.protocol import commands as c
    from app.protocol import events as ev
    from app.protocol.parse import parse_line

    def rx(line: bytes, role: Role = Role.URC) -> Rx:
        return Rx(parse_line(line), role, None, _time.monotonic(), _time.time(), None)

    state = ModuleState()
    cmd = c.qiopen(connect_id=0, service_type="TCP", host="127.0.0.1", remote_port=7)
    state.apply(Tx(cmd.line.encode() + b"\r", TxKind.COMMAND, 1, _time.monotonic(), _time.time()))
    state.apply(rx(b"+QIOPEN: 0,0", Role.DEFERRED))
    state.apply(rx(b'+QIURC: "recv",0,5,"hello"'))
    poll = CommandResult(
        c.qistate_read(),
        Outcome.OK,
        [parse_line(b'+QISTATE: 0,"TCP","127.0.0.1",7,51234,2,0,1')],
        ev.Ok(),
    )
    state.apply(CommandFinished(poll))
    row = state.sockets[0]
    assert (row.local_port, row.bytes_received) == (51234, 5)


async def test_a_resize_after_the_start_lays_the_console_out_again(console: QitermApp) -> None:
    """The console's screen skips only Resizes to the size it already has (a faster
    start): a real resize still moves its breakpoint classes and its widgets."""
    async with console.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        screen = console.screen
        cmdline = console.query_one("#at-input", Input)
        assert screen.has_class("-wide", "-tall") and cmdline.region.right > 80
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: screen.has_class("-narrow", "-short"))
        await until(pilot, lambda: screen.region.width == 80 and cmdline.region.right <= 80)
        assert on_screen(console, cmdline) and not screen.has_class("-wide")
        await pilot.resize_terminal(120, 36)
        await until(pilot, lambda: screen.has_class("-wide", "-tall") and cmdline.region.right > 80)
        assert not screen.has_class("-narrow")
