"""Bad input at every form field and at the command line: a clear message that names
the parameter and the spec's range, and nothing reaches the wire."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from textual.widgets import Input, Label, Select

from app.console.app import QitermApp
from app.demo.peers import Peers
from app.sim import registry
from tests.consolekit import (
    click,
    command,
    free_port,
    log_texts,
    make_app,
    ready,
    settle,
    show_tab,
    until,
)
from widgets.dialogs.open_socket import OpenSocketDialog

SIZE = (140, 40)


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[QitermApp]:
    app, name = make_app(peers, poll_interval=0)
    try:
        yield app
    finally:
        registry.destroy(name)


def written(app: QitermApp) -> list[bytes]:
    """Every byte string written to the port (the capture's view of the wire)."""
    return [e.text.encode() for e in app.journal.entries if e.direction == "tx"]


def label(app: QitermApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


OPEN_CASES = [
    # (service, field, value, what the message must say)
    ("TCP", "#host", "", ["<host>", "required"]),
    ("TCP", "#host", "bad host!", ["<host>", "not an IP address or domain name"]),
    ("TCP", "#host", 'a"b', ["<host>", "forbidden character"]),
    ("TCP", "#host", "h" * 151, ["<host>", "at most 150 bytes"]),
    ("TCP", "#remote-port", "", ["<remote_port>", "required"]),
    ("TCP", "#remote-port", "0", ["<remote_port> = 0", "1-65535"]),
    ("TCP", "#remote-port", "65536", ["<remote_port> = 65536", "0-65535"]),
    ("TCP", "#remote-port", "x", ["<remote_port>", "not a number"]),
    # isdigit() accepts these; int() refuses the first three and reads the last as 7
    ("TCP", "#remote-port", "--5", ["<remote_port>", "not a number"]),
    ("TCP", "#remote-port", "²", ["<remote_port>", "not a number"]),
    ("TCP", "#local-port", "①", ["<local_port>", "not a number"]),
    ("TCP", "#remote-port", "٧", ["<remote_port>", "not a number"]),
    ("TCP", "#local-port", "70000", ["<local_port> = 70000", "0-65535"]),
    ("TCP LISTENER", "#local-port", "", ["<local_port>", "1-65535"]),
    ("UDP SERVICE", "#local-port", "0", ["<local_port>", "1-65535"]),
]


async def test_open_dialog_fields(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        before = written(app)
        for service, field, value, says in OPEN_CASES:
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
            dialog = app.screen
            dialog.query_one("#service", Select).value = service
            await pilot.pause()
            server = service in ("TCP LISTENER", "UDP SERVICE")
            dialog.query_one("#host", Input).value = "127.0.0.1"
            dialog.query_one("#remote-port", Input).value = "7"
            dialog.query_one("#local-port", Input).value = "5000" if server else "0"
            dialog.query_one(field, Input).value = value
            await click(pilot, "#open")
            message = label(app, "#problem")
            for piece in says:
                assert piece in message, (service, field, value, message)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, OpenSocketDialog))
        await settle(pilot)
        assert written(app) == before


FORM_CASES = [
    # (tab, {field: value}, button, what the message must say, command that must not go out)
    ("tab-ping", {"#ping-host": ""}, "#ping-go", ["<host>", "required"], "AT+QPING"),
    ("tab-ping", {"#ping-timeout": "256"}, "#ping-go", ["<time_out> = 256", "1-255"], "AT+QPING"),
    ("tab-ping", {"#ping-count": "0"}, "#ping-go", ["<ping_num> = 0", "1-10"], "AT+QPING"),
    ("tab-ping", {"#ping-count": "11"}, "#ping-go", ["<ping_num> = 11", "1-10"], "AT+QPING"),
    ("tab-ping", {"#ping-size": "31"}, "#ping-go", ["<ping_size> = 31", "32-1500"], "AT+QPING"),
    ("tab-ping", {"#ping-timeout": "four"}, "#ping-go", ["<time_out>", "not a number"], "AT+QPING"),
    ("tab-ping", {"#ping-timeout": "--5"}, "#ping-go", ["<time_out>", "not a number"], "AT+QPING"),
    ("tab-ping", {"#ping-count": "²"}, "#ping-go", ["<ping_num>", "not a number"], "AT+QPING"),
    ("tab-ping", {"#ping-size": "①"}, "#ping-go", ["<ping_size>", "not a number"], "AT+QPING"),
    ("tab-ntp", {"#ntp-port": "٧"}, "#ntp-go", ["<port>", "not a number"], "AT+QNTP"),
    ("tab-ntp", {"#ntp-server": ""}, "#ntp-go", ["<server>", "required"], "AT+QNTP"),
    ("tab-ntp", {"#ntp-server": "a b"}, "#ntp-go", ["<server>", "domain name"], "AT+QNTP"),
    ("tab-ntp", {"#ntp-port": "65536"}, "#ntp-go", ["<port> = 65536", "1-65535"], "AT+QNTP"),
    (
        "tab-dns",
        {"#dns-primary": "300.1.1.1"},
        "#dns-set",
        ["<pridnsaddr>", "IP address"],
        "AT+QIDNSCFG",
    ),
    (
        "tab-dns",
        {"#dns-primary": "127.0.0.2", "#dns-secondary": "dns"},
        "#dns-set",
        ["<secdnsaddr>", "IP address"],
        "AT+QIDNSCFG",
    ),
    (
        "tab-dns",
        {"#dns-name": "bad_name!"},
        "#dns-go",
        ["<hostname>", "domain name"],
        "AT+QIDNSGIP",
    ),
    (
        "tab-dns",
        {"#dns-name": "x" * 151},
        "#dns-go",
        ["<hostname>", "at most 150 bytes"],
        "AT+QIDNSGIP",
    ),
]


async def test_form_fields(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        defaults = {
            "#ping-host": "127.0.0.1",
            "#ping-timeout": "4",
            "#ping-count": "4",
            "#ping-size": "32",
            "#ntp-server": "127.0.0.1",
            "#ntp-port": "123",
            "#dns-primary": "127.0.0.1",
            "#dns-secondary": "",
            "#dns-name": "echo.qiterm.local",
        }
        for tab, values, button, says, command in FORM_CASES:
            await show_tab(pilot, tab)
            pane = app.query_one(f"#{tab}")
            for selector, value in {**defaults, **values}.items():
                for field in pane.query(selector).results(Input):  # this tab's fields
                    field.value = value
            await click(pilot, button)
            message = str(app.query_one(f"#{tab}").query_one(".result", Label).render())
            for piece in says:
                assert piece in message, (tab, values, message)
            await settle(pilot, 0.05)
            assert not any(e.text.startswith(command) for e in app.journal.entries), values


COMPOSER_CASES = [
    ({"#data": ""}, "Nothing to send"),
    ({"#data": "41 4"}, "odd number of hex digits"),
    ({"#data": "zz"}, "not a hex digit"),
    ({"#data": "\\xZZ"}, "\\x needs two hex digits"),
    ({"#data": "x" * 1025}, "at most 1024"),
    ({"#remote-ip": "1.2.3"}, "<remote_ip>"),
    ({"#remote-port": "0"}, "<remote_port> = 0"),
    ({"#remote-port": "--5"}, "not a number"),
    ({"#remote-port": "²"}, "not a number"),
]


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp-service"])
async def test_composer_fields(console: QitermApp, peers: Peers, udp: bool) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        assert peers.tcp_echo is not None
        service = (
            f'"UDP SERVICE","127.0.0.1",1,{free_port(socket.SOCK_DGRAM)}'
            if udp
            else f'"TCP","127.0.0.1",{peers.tcp_echo[1]},0'
        )
        await command(pilot, f"AT+QIOPEN=0,0,{service},1")
        await until(
            pilot,
            lambda: app.state.sockets.get(0) is not None and app.state.sockets[0].state == 2,
            message=lambda: str(log_texts(app)[-8:]),
        )
        await show_tab(pilot, "tab-send")
        composer = app.query_one("#composer")
        composer.query_one("#target", Select).value = 0
        await pilot.pause()
        cases = [
            c for c in COMPOSER_CASES if udp or not ({"#remote-ip", "#remote-port"} & set(c[0]))
        ]
        for values, says in cases:
            hex_input = any(v in ("41 4", "zz") for v in values.values())
            composer.query_one("#format", Select).value = "hex" if hex_input else "text"
            fields = {"#data": "ok", "#remote-ip": "127.0.0.1", "#remote-port": "9", **values}
            for selector, value in fields.items():
                if composer.query(selector):
                    composer.query_one(selector, Input).value = value
            await pilot.pause()
            await pilot.press("ctrl+s")
            message = str(composer.query_one("#send-status", Label).render())
            assert says in message, (values, message)
        await settle(pilot)
        assert not any(e.text.startswith("AT+QISEND") for e in app.journal.entries)


async def test_command_line_refuses_what_is_not_an_at_command(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        before = written(app)
        for line, says in [
            ("hello", "starts with AT"),
            ("AT\x01", "control character"),
            ("   ", None),  # nothing to send, nothing said
        ]:
            await command(pilot, line)
            await settle(pilot, 0.05)
            if says is not None:
                assert any(says in t for t in log_texts(app)), (line, log_texts(app)[-3:])
        assert written(app) == before
