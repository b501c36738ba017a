"""Nothing lost silently and no form that misleads: data mode refuses a payload it
cannot carry (0x1A / 0x1B, §2.3.4) and offers fixed length; the open-socket form
follows the service type, says when every connectID is taken and when it waits
behind data mode, and offers every favourite; the composer converts between
text and hex; NTP says its offset to the second."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Select

from app.config.profile import parse_profile
from app.console.app import QitermApp
from app.console.socket_actions import ALL_IN_USE
from app.demo.peers import Peers
from app.demo.wiring import Demo, start_demo
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
    settle,
    tx_lines,
    until,
)
from widgets.dialogs.choice import ChoiceDialog
from widgets.dialogs.confirm import ConfirmDialog
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.send.composer import SendComposer, as_text, data_mode_problem, spaced_hex
from widgets.tools.ntp import describe_offset, ntp_offset

SIZE = (120, 36)


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[QitermApp]:
    app, name = make_app(peers)
    try:
        yield app
    finally:
        registry.destroy(name)


_demos = itertools.count(1)


@pytest.fixture
def demo() -> Iterator[Demo]:
    """Demo peers on a simulated module of this test's own."""
    name = f"forms{os.getpid()}-{next(_demos)}"
    running = start_demo(f"sim://{name}")
    try:
        yield running
    finally:
        running.stop()
        registry.destroy(name)


async def open_echo(pilot, peers: Peers, cid: int = 0) -> None:
    app = pilot.app
    assert peers.tcp_echo is not None
    await command(pilot, f'AT+QIOPEN=0,{cid},"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
    await until(
        pilot,
        lambda: (
            app.state.sockets.get(cid) is not None
            and app.state.sockets[cid].state == SocketState.CONNECTED
        ),
    )


def status_of(app: QitermApp) -> str:
    return str(app.query_one("#send-status", Label).render())


# --- data mode and 0x1A / 0x1B -------------------------------------------------------------


def test_data_mode_problem_names_the_bytes() -> None:
    assert data_mode_problem(b"plain text\r\n") is None
    said = data_mode_problem(b"A\x1aB\x1bC")
    assert said is not None and "0x1A" in said and "0x1B" in said and "§2.3.4" in said
    assert data_mode_problem(b"41 1A 42") is None  # hex digits are fine


async def test_composer_data_mode_refuses_1a_1b_and_sends_fixed_length_instead(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        composer = app.query_one(SendComposer)
        await pilot.press("ctrl+n")
        composer.query_one("#mode", Select).value = "interactive"
        composer.query_one("#format", Select).value = "hex"
        await pilot.pause()
        await press_keys(pilot, "41 1a 42 1b 43")
        await pilot.press("ctrl+s")
        # Refused before anything reaches the wire, with the reason, and offered.
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert not any(t.startswith("AT+QISEND") for t in tx_lines(app))
        assert "0x1A" in status_of(app) and "fixed length" in status_of(app)
        body = str(app.screen.query_one("#confirm-body").render())
        assert "fixed length" in body and "5 bytes" in body
        await pilot.press("enter")
        await until(pilot, lambda: peers.tcp_received == b"A\x1aB\x1bC")
        assert "AT+QISEND=0,5" in tx_lines(app)
        await until(pilot, lambda: "SEND OK" in status_of(app))
        # The next command is a command again (nothing spilled onto its line).
        await command(pilot, "AT+QISTATE?")
        await until(pilot, lambda: log_texts(app, Category.OK).count("OK") > 0)
        await settle(pilot)
        assert not any("ERROR" in t for t in log_texts(app, Category.ERROR))


async def test_composer_refuses_1a_typed_after_the_prompt(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        composer = app.query_one(SendComposer)
        await pilot.press("ctrl+n")
        composer.query_one("#mode", Select).value = "interactive"
        await pilot.pause()
        await pilot.press("ctrl+s")  # '>' first, the payload typed after it
        await until(pilot, lambda: app.state.awaiting_input)
        assert app.focused is composer.query_one("#data", Input)
        await press_keys(pilot, "A\\x1aB")
        await pilot.press("ctrl+z")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.state.awaiting_input  # nothing typed at the prompt
        assert any("0x1A" in t for t in log_texts(app, Category.ERROR))
        await pilot.press("escape")  # keep editing
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert app.state.awaiting_input and peers.tcp_received == b""
        await pilot.press("escape")  # Esc cancels data mode
        await until(pilot, lambda: not app.state.data_mode)
        await settle(pilot)
        assert peers.tcp_received == b""


async def test_command_line_data_mode_refuses_1a_and_sends_fixed_length_instead(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        await command(pilot, "AT+QISEND=0")
        await until(pilot, lambda: app.state.awaiting_input)
        await press_keys(pilot, "A\\x1aB\\x1bC")
        await pilot.press("ctrl+z")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        body = str(app.screen.query_one("#confirm-body").render())
        assert "AT+QISEND=0,5" in body and "0x1B" in body
        assert app.state.awaiting_input and peers.tcp_received == b""
        await pilot.press("enter")
        await until(pilot, lambda: peers.tcp_received == b"A\x1aB\x1bC")
        await until(pilot, lambda: not app.state.data_mode)
        assert "AT+QISEND=0,5" in tx_lines(app)
        # The next command works: nothing of the payload reached a command line.
        before = len(log_texts(app, Category.ERROR))
        await command(pilot, "AT+QISTATE?")
        await until(pilot, lambda: tx_lines(app)[-1] == "AT+QISTATE?")
        await settle(pilot, 0.3)
        assert len(log_texts(app, Category.ERROR)) == before


# --- the open-socket form -------------------------------------------------------------------


async def test_udp_gets_the_udp_echo_port_and_its_echo(demo) -> None:
    app = QitermApp.for_url(demo.url, 115200, poll_interval=0, demo=demo)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
        dialog = app.screen
        port = dialog.query_one("#remote-port", Input)
        assert port.value == str(demo.peers.tcp_echo[1])
        dialog.query_one("#service", Select).value = "UDP"
        await until(pilot, lambda: port.value == str(demo.peers.udp_echo[1]))
        dialog.query_one("#service", Select).value = "TCP"
        await until(pilot, lambda: port.value == str(demo.peers.tcp_echo[1]))
        # A port typed by hand stays when the type changes.
        port.value = "7777"
        dialog.query_one("#service", Select).value = "UDP"
        await pilot.pause()
        assert port.value == "7777"
        port.value = str(demo.peers.udp_echo[1])
        dialog.query_one("#host", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.state.sockets.get(0) is not None)
        await command(pilot, 'AT+QISEND=0,4,"ping"')
        await until(pilot, lambda: app.state.sockets[0].bytes_received == 4)
        assert any('"ping"' in t for t in log_texts(app, Category.RECV))


async def test_all_five_connect_ids_in_use_is_said_before_anything_is_sent(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        for cid in range(5):
            await open_echo(pilot, peers, cid)
        opens = sum(t.startswith("AT+QIOPEN") for t in tx_lines(app))
        await pilot.press("f2")
        await until(pilot, lambda: ALL_IN_USE in log_texts(app, Category.APP))
        assert not isinstance(app.screen, OpenSocketDialog)
        await settle(pilot)
        assert sum(t.startswith("AT+QIOPEN") for t in tx_lines(app)) == opens


async def test_the_open_form_says_it_waits_behind_data_mode(
    console: QitermApp, peers: Peers
) -> None:
    assert peers.tcp_echo is not None
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await open_echo(pilot, peers)
        await command(pilot, "AT+QISEND=0")
        await until(pilot, lambda: app.state.awaiting_input)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
        dialog = app.screen
        assert dialog.has_class("-queued")
        await until(
            pilot,
            lambda: "queued behind it" in " ".join(screen_text(app).split()),
            message=lambda: screen_text(app),
        )
        dialog.query_one("#host", Input).value = "127.0.0.1"
        dialog.query_one("#remote-port", Input).value = str(peers.tcp_echo[1])
        dialog.query_one("#host", Input).focus()
        await pilot.press("enter")
        problem = dialog.query_one("#problem", Label)
        await until(pilot, lambda: "queued" in str(problem.render()))
        assert "waiting for +QIOPEN" not in str(problem.render())
        # Esc closes the form (a dialog's Esc is its own), Esc again ends data mode;
        # the socket then opens.
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, OpenSocketDialog))
        assert app.state.awaiting_input
        await pilot.press("escape")
        await until(pilot, lambda: app.state.sockets.get(1) is not None)
        await until(pilot, lambda: app.state.sockets[1].state == SocketState.CONNECTED)


async def test_favourites_are_offered_beside_the_demo_peers(demo, tmp_path: Path) -> None:
    loaded = parse_profile(
        '[favourites]\nhosts = ["192.0.2.10", "device.example"]\nports = [5683, 8062]\n'
        'ntp_server = "ntp.example"\n'
    )
    assert loaded.problems == []
    app = QitermApp.for_url(demo.url, 115200, poll_interval=0, demo=demo, profile=loaded)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # The demo peers fill the form (they answer on the simulator) ...
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
        dialog = app.screen
        assert dialog.query_one("#host", Input).value == "echo.qiterm.local"
        peer = dialog.query_one("#peer", Select)
        labels = [str(prompt) for prompt, _ in peer._options if _ is not Select.BLANK]
        # ... and every favourite is offered beside them, each host with each port.
        assert any("TCP echo.qiterm.local" in label for label in labels)
        assert any("UDP echo.qiterm.local" in label for label in labels)
        for host in ("192.0.2.10", "device.example"):
            for port in (5683, 8062):
                assert any(f"{host}:{port}" in label for label in labels), (host, port, labels)
        peer.value = next(v for p, v in peer._options if "device.example:8062" in str(p))
        await until(pilot, lambda: dialog.query_one("#host", Input).value == "device.example")
        assert dialog.query_one("#remote-port", Input).value == "8062"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, OpenSocketDialog))
        # The ping form offers them too: a key away from its host field.
        await pilot.press("ctrl+n", "ctrl+n")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "ping-host")
        pick = app.query_one("#ping-pick")
        assert pick.display
        pick.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        offered = [value for _, value in app.screen.choices]
        assert offered == ["echo.qiterm.local", "192.0.2.10", "device.example"]
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.query_one("#ping-host", Input).value == "192.0.2.10")
        # NTP: the demo's server and the profile's.
        ntp_offered = [c.value for c in app.form_defaults["ntp_choices"]]  # type: ignore[union-attr]
        assert ntp_offered == ["time.qiterm.local", "ntp.example"]


# --- the composer: text <-> hex --------------------------------------------------------------


def test_text_and_hex_convert_both_ways() -> None:
    assert spaced_hex(b"hello") == "68 65 6C 6C 6F"
    assert as_text(b"hello\r\n") == "hello\\r\\n"
    assert as_text(b"\xc2\x82") is None  # a C1 control: no text form that reads back


async def test_switching_the_composer_to_hex_converts_what_is_typed(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        composer = app.query_one(SendComposer)
        data = composer.query_one("#data", Input)
        fmt = composer.query_one("#format", Select)
        await pilot.press("ctrl+n")
        await press_keys(pilot, "hello\\r\\n")
        fmt.value = "hex"
        await until(pilot, lambda: data.value == "68 65 6C 6C 6F 0D 0A")
        assert "7/1024 B" in str(composer.query_one("#count", Label).render())
        fmt.value = "text"
        await until(pilot, lambda: data.value == "hello\\r\\n")
        # Bytes with no text form stay hex, and it says so.
        fmt.value = "hex"
        await until(pilot, lambda: data.value.startswith("68"))
        data.value = "C2 82"
        fmt.value = "text"
        await until(pilot, lambda: "no text form" in status_of(app))
        assert fmt.value == "hex" and data.value == "C2 82"


# --- NTP to the second -------------------------------------------------------------------------


def test_ntp_offset_is_whole_seconds_and_says_the_resolution() -> None:
    now = 1560251300.75  # 2019/06/11,11:08:20.75
    assert ntp_offset("2019/06/11,11:08:20", now) == 0
    assert ntp_offset("2019/06/11,11:08:19", now) == -1
    assert describe_offset(0).startswith("0 s from this computer's clock")
    assert "1 s resolution" in describe_offset(0)
    assert describe_offset(-1).startswith("±1 s") and "1 s resolution" in describe_offset(1)
    assert describe_offset(5).startswith("+5 s")


async def test_ntp_against_the_loopback_server_says_0_or_1_second(demo) -> None:
    app = QitermApp.for_url(demo.url, 115200, poll_interval=0, demo=demo)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "ntp-server")
        await pilot.press("enter")
        result = app.query_one("#tab-ntp").query_one(".result", Label)
        await until(
            pilot,
            lambda: "UTC " in str(result.render()),
            message=lambda: str(result.render()) + str(log_texts(app)[-8:]),
        )
        said = str(result.render())
        assert ("; 0 s from" in said or "; ±1 s from" in said) and "1 s resolution" in said
        assert ".0 s" not in said
