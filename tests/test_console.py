"""The console driven like a person drives it (App.run_test pilots), against the
simulated module with loopback peers started by the tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from textual.widgets import Button, DataTable, Input, Label, Select, Sparkline

from app.console.app import QitermApp
from app.demo.peers import Peers
from app.model.journal import Category
from app.protocol.events import SocketState
from app.sim import registry
from tests.consolekit import (
    click,
    command,
    log_texts,
    make_app,
    ready,
    settle,
    show_tab,
    tx_lines,
    type_into,
    until,
)
from widgets.dialogs.confirm import ConfirmDialog
from widgets.dialogs.note import NoteDialog
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.send.composer import SendComposer
from widgets.sockets import SocketTable
from widgets.status import status_text
from widgets.tools.dns import DnsForm
from widgets.tools.ntp import NtpForm
from widgets.tools.ping import PingForm

SIZE = (140, 40)


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[QitermApp]:
    app, name = make_app(peers)
    try:
        yield app
    finally:
        registry.destroy(name)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def open_socket(pilot, service: str, host: str, remote: int | None, local: int = 0) -> int:
    app = pilot.app
    await pilot.press("f2")
    await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
    dialog = app.screen
    dialog.query_one("#service", Select).value = service
    await pilot.pause()
    dialog.query_one("#host", Input).value = host
    if remote is not None:
        dialog.query_one("#remote-port", Input).value = str(remote)
    dialog.query_one("#local-port", Input).value = str(local)
    cid = dialog.query_one("#cid", Select).value
    await click(pilot, "#open")
    await until(pilot, lambda: not isinstance(app.screen, OpenSocketDialog))
    assert isinstance(cid, int)
    # The row appears with AT+QIOPEN (Connecting); +QIOPEN: <id>,0 makes it Connected.
    await until(
        pilot,
        lambda: (
            app.state.sockets.get(cid) is not None
            and app.state.sockets[cid].state == SocketState.CONNECTED
        ),
        message=lambda: repr(app.state.sockets.get(cid)),
    )
    return cid


async def compose_send(pilot, cid: int, data: str, *, mode: str = "auto", fmt: str = "text"):
    app = pilot.app
    composer = app.query_one(SendComposer)
    await show_tab(pilot, "tab-send")
    composer.query_one("#target", Select).value = cid
    composer.query_one("#format", Select).value = fmt
    composer.query_one("#mode", Select).value = mode
    await type_into(pilot, "#data", data)
    await pilot.press("ctrl+s")


def status_of(app: QitermApp) -> str:
    return str(app.query_one("#send-status", Label).render())


# --- start-up and the command line -------------------------------------------------


async def test_starts_on_the_simulator_connected_with_the_command_line_focused(
    console: QitermApp,
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        header = status_text(app.state).plain
        assert "● connected" in header and "Quectel_BC660K-GL" in header
        assert "IP 127.0.0.1" in header and "registered (home)" in header
        assert app.focused is not None and app.focused.id == "at-input"
        # The init traffic is in the log; the QISTATE polling is hidden by default.
        assert "ATI" in tx_lines(app)
        assert not any(e.tag == "poll" for e in app.journal.view)


async def test_command_line_sends_any_line_and_keeps_history(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await command(pilot, "AT+CGMR")
        await until(
            pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE)
        )
        await command(pilot, "AT+QIDNSCFG=?")
        await until(pilot, lambda: any("+QIDNSCFG: (0-10)" in t for t in log_texts(app)))
        await pilot.press("up")
        assert app.query_one("#at-input", Input).value == "AT+QIDNSCFG=?"
        await pilot.press("up")
        assert app.query_one("#at-input", Input).value == "AT+CGMR"
        # Not an AT command: refused before the wire, with a clear message.
        before = len(tx_lines(app))
        await command(pilot, "hello")
        await settle(pilot)
        assert len(tx_lines(app)) == before
        assert any("not sent" in t and "starts with AT" in t for t in log_texts(app))
        # An unknown command still goes out as typed; the module answers ERROR.
        await command(pilot, "AT+QFOO")
        await until(pilot, lambda: "AT+QFOO: ERROR" in " ".join(log_texts(app, Category.ERROR)))


async def test_hint_shows_syntax_and_problems(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await type_into(pilot, "#at-input", 'AT+QPING=0,"h",300')
        hint = str(pilot.app.query_one("#hint", Label).render())
        assert "AT+QPING=<contextID>,<host>" in hint
        assert "<time_out> = 300" in hint and "1-255" in hint


# --- sockets -------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["TCP", "UDP", "TCP LISTENER", "UDP SERVICE"])
async def test_open_dialog_opens_each_service_type(
    console: QitermApp, peers: Peers, service: str
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        if service == "TCP":
            cid = await open_socket(pilot, service, "127.0.0.1", peers.tcp_echo[1])
        elif service == "UDP":
            cid = await open_socket(pilot, service, "127.0.0.1", peers.udp_echo[1])
        else:
            cid = await open_socket(pilot, service, "127.0.0.1", None, free_port())
        row = app.state.sockets[cid]
        # The real local port comes with the next QISTATE poll (0.5 s here).
        await until(pilot, lambda: app.state.sockets[cid].local_port > 0)
        assert row.service_type == service
        table = app.query_one(SocketTable)
        assert table.row_count == 1
        assert "Connected" in str(table.get_row_at(0)[5])
        assert any(t.startswith("AT+QIOPEN=0,") for t in tx_lines(app))


async def test_open_dialog_validates_as_you_type_and_sends_nothing_bad(
    console: QitermApp,
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
        dialog = app.screen
        dialog.query_one("#host", Input).value = "h" * 151
        dialog.query_one("#remote-port", Input).value = "70000"
        await click(pilot, "#open")
        problem = str(dialog.query_one("#problem", Label).render())
        assert "<host>" in problem and "150 bytes" in problem
        assert "<remote_port> = 70000" in problem and "0-65535" in problem
        dialog.query_one("#service", Select).value = "TCP LISTENER"
        await pilot.pause()
        dialog.query_one("#host", Input).value = "127.0.0.1"
        dialog.query_one("#local-port", Input).value = ""
        await click(pilot, "#open")
        assert "local_port" in str(dialog.query_one("#problem", Label).render())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, OpenSocketDialog))
        assert not any(t.startswith("AT+QIOPEN") for t in tx_lines(app))


async def test_open_dialog_shows_the_result_code_meaning_and_stays(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
        dialog = app.screen
        dialog.query_one("#host", Input).value = "127.0.0.1"
        dialog.query_one("#remote-port", Input).value = str(free_port())  # nothing listens
        await click(pilot, "#open")
        await until(
            pilot,
            lambda: (
                "566 Socket connection failed" in str(dialog.query_one("#problem", Label).render())
            ),
        )
        assert isinstance(app.screen, OpenSocketDialog)
        assert not dialog.query_one("#open", Button).disabled


async def test_remote_close_updates_the_row_and_close_removes_it(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        assert peers.wait_tcp_clients(1, 3)
        peers.close_tcp_clients()
        await until(pilot, lambda: app.state.sockets[cid].state == SocketState.REMOTE_CLOSING)
        assert "Remote Closing" in str(app.query_one(SocketTable).get_row_at(0)[5])
        assert any('+QIURC: "closed"' in t for t in log_texts(app, Category.CLOSED))
        app.query_one(SocketTable).focus()
        await pilot.press("f3")
        # F3 names the socket and asks first; Enter closes it.
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert f"AT+QICLOSE={cid}" in str(app.screen.query_one("#confirm-body").render())
        await pilot.press("enter")
        await until(pilot, lambda: cid not in app.state.sockets)
        assert app.query_one(SocketTable).row_count == 0


async def test_acked_query_fills_the_table(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        await compose_send(pilot, cid, "12345", mode="inline")
        await until(pilot, lambda: app.state.sockets[cid].bytes_received == 5)
        await pilot.press("f4")
        await until(pilot, lambda: app.state.sockets[cid].sent == 5)
        row = app.state.sockets[cid]
        assert (row.acked, row.nacked, row.bytes_sent) == (5, 0, 5)


# --- the send composer ------------------------------------------------------------------


async def test_every_send_mode_reaches_the_peer(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        expected = b""

        async def sent(data: bytes) -> None:
            nonlocal expected
            expected += data
            await until(pilot, lambda: peers.tcp_received == expected)
            await until(pilot, lambda: "SEND OK" in status_of(app))

        await compose_send(pilot, cid, "inline", mode="inline")
        await sent(b"inline")
        assert any(t == 'AT+QISEND=0,6,"inline"' for t in tx_lines(app))
        await compose_send(pilot, cid, "48 45 58", fmt="hex")
        await sent(b"HEX")
        # Text that cannot go inline goes through data mode by itself.
        await compose_send(pilot, cid, 'say \\"hi\\"\\r\\n')
        await sent(b'say "hi"\r\n')
        assert "AT+QISEND=0,10" in tx_lines(app)
        await compose_send(pilot, cid, "fixed", mode="fixed")
        await sent(b"fixed")
        # Interactive data mode: '>' then Ctrl+Z sends what the field holds.
        await compose_send(pilot, cid, "typed", mode="interactive")
        await until(pilot, lambda: app.state.awaiting_input)
        assert "DATA MODE" in status_text(app.state).plain
        await pilot.press("ctrl+z")
        await sent(b"typed")
        assert not app.state.data_mode
        # ... and Esc cancels: nothing more reaches the peer.
        await compose_send(pilot, cid, "never", mode="interactive")
        await until(pilot, lambda: app.state.awaiting_input)
        await pilot.press("escape")
        await until(pilot, lambda: not app.state.data_mode)
        await settle(pilot, 0.3)
        assert peers.tcp_received == expected
        assert "<Esc>" in log_texts(app, Category.PAYLOAD)
        # Received data is in the log and counted in the table.
        await until(pilot, lambda: app.state.sockets[cid].bytes_received == len(expected))
        assert app.state.sockets[cid].bytes_sent == len(expected)
        assert any(t.startswith('+QIURC: "recv",0,') for t in log_texts(app, Category.RECV))
        # The history lists every send.
        assert len(app.query_one(SendComposer).history) == 6


async def test_hex_module_dataformat_and_hex_log_toggle(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        await command(pilot, 'AT+QICFG="dataformat",1,1')
        await until(pilot, lambda: app.state.send_hex and app.state.recv_hex)
        assert "send hex/recv hex" in status_text(app.state).plain
        await compose_send(pilot, cid, "AB", mode="inline")
        await until(pilot, lambda: peers.tcp_received == b"AB")
        assert 'AT+QISEND=0,2,"4142"' in tx_lines(app)
        await until(pilot, lambda: app.state.sockets[cid].bytes_received == 2)
        recv = [e for e in app.journal.entries if e.category is Category.RECV][-1]
        assert recv.payload == b"AB"
        await pilot.press("ctrl+t")
        assert recv.shown(True).endswith("41 42")


async def test_composer_refuses_bad_data_and_sends_nothing(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        before = len(tx_lines(app))
        await compose_send(pilot, cid, "414", fmt="hex")
        assert "odd number of hex digits" in status_of(app)
        await compose_send(pilot, cid, "x" * 1025, mode="inline")
        assert "at most 1024" in status_of(app)
        await compose_send(pilot, cid, "a\\q")
        assert "unknown escape" in status_of(app)
        await compose_send(pilot, cid, 'a\\"b', mode="inline")
        assert "Inline text cannot hold" in status_of(app)
        await settle(pilot)
        assert len(tx_lines(app)) == before
        assert peers.tcp_received == b""
        # The live counter follows the module's limit.
        await type_into(pilot, "#data", "12345")
        assert str(app.query_one("#count", Label).render()) == "5/1024 B"


async def test_listener_accepts_a_client_and_udp_service_replies(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        port = free_port()
        server = await open_socket(pilot, "TCP LISTENER", "127.0.0.1", None, port)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
            await until(
                pilot,
                lambda: any(r.service_type == "TCP INCOMING" for r in app.state.sockets.values()),
            )
            incoming = next(
                r for r in app.state.sockets.values() if r.service_type == "TCP INCOMING"
            )
            assert incoming.server_id == server
            assert any("incoming" in t for t in log_texts(app, Category.INCOMING))
            client.sendall(b"from the client")
            await until(pilot, lambda: incoming.bytes_received == 15)
            await compose_send(pilot, incoming.connect_id, "to the client", mode="inline")
            assert client.recv(100) == b"to the client"
        udp_port = free_port(socket.SOCK_DGRAM)
        service = await open_socket(pilot, "UDP SERVICE", "127.0.0.1", None, udp_port)
        peers.udp_send(b"hello service", ("127.0.0.1", udp_port))
        await until(pilot, lambda: app.state.sockets[service].bytes_received == 13)
        composer = app.query_one(SendComposer)
        await show_tab(pilot, "tab-send")
        assert not composer.query("#remote-ip"), "the UDP remote's fields wait for a UDP target"
        composer.query_one("#target", Select).value = service
        await pilot.pause()
        assert composer.has_class("-udp")
        composer.query_one("#remote-ip", Input).value = "127.0.0.1"
        composer.query_one("#remote-port", Input).value = str(peers.udp_echo[1])
        composer.query_one("#mode", Select).value = "inline"
        await type_into(pilot, "#data", "reply")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(d == b"reply" for d, _ in peers.udp_received))


# --- ping, NTP, DNS ------------------------------------------------------------------------


async def test_ping_form_rows_summary_and_sparkline(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await show_tab(pilot, "tab-ping")
        form = app.query_one(PingForm)
        form.query_one("#ping-host", Input).value = "127.0.0.1"
        form.query_one("#ping-count", Input).value = "3"
        await click(pilot, "#ping-go")
        await until(pilot, lambda: "3/3 replies" in str(form.query_one(".result", Label).render()))
        assert form.query_one("#ping-replies", DataTable).row_count == 3
        assert len(form.query_one(Sparkline).data or []) == 3


async def test_forms_refuse_out_of_range_fields(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await show_tab(pilot, "tab-ping")
        form = app.query_one(PingForm)
        form.query_one("#ping-host", Input).value = "127.0.0.1"
        form.query_one("#ping-timeout", Input).value = "0"
        form.query_one("#ping-size", Input).value = "9000"
        await click(pilot, "#ping-go")
        said = str(form.query_one(".result", Label).render())
        assert "<time_out> = 0" in said and "1-255" in said
        assert "<ping_size> = 9000" in said and "32-1500" in said
        await show_tab(pilot, "tab-ntp")
        ntp = app.query_one(NtpForm)
        ntp.query_one("#ntp-server", Input).value = "bad host!"
        ntp.query_one("#ntp-port", Input).value = "0"
        await click(pilot, "#ntp-go")
        said = str(ntp.query_one(".result", Label).render())
        assert "<server>" in said and "<port> = 0" in said
        await settle(pilot)
        assert not any(t.startswith(("AT+QPING", "AT+QNTP")) for t in tx_lines(app))


async def test_ntp_and_dns_forms(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await show_tab(pilot, "tab-ntp")
        ntp = app.query_one(NtpForm)
        ntp.query_one("#ntp-server", Input).value = "time.qiterm.local"
        ntp.query_one("#ntp-port", Input).value = str(peers.ntp[1])
        await click(pilot, "#ntp-go")
        await until(pilot, lambda: "UTC " in str(ntp.query_one(".result", Label).render()))
        assert "from this computer's clock" in str(ntp.query_one(".result", Label).render())
        await show_tab(pilot, "tab-dns")
        dns = app.query_one(DnsForm)
        dns.query_one("#dns-primary", Input).value = "127.0.0.1"
        await click(pilot, "#dns-set")
        await until(
            pilot,
            lambda: "DNS servers set" in str(dns.query_one(".result", Label).render()),
            message=lambda: (
                str(dns.query_one(".result", Label).render()) + str(log_texts(app)[-6:])
            ),
        )
        await click(pilot, "#dns-show")
        await until(
            pilot, lambda: "127.0.0.1, 0.0.0.0" in str(dns.query_one(".result", Label).render())
        )
        dns.query_one("#dns-name", Input).value = "echo.qiterm.local"
        await click(pilot, "#dns-go")
        await until(
            pilot, lambda: "127.0.0.1  (1 address" in str(dns.query_one(".result", Label).render())
        )
        # A second resolve from the keyboard: Enter in the name field.
        name = dns.query_one("#dns-name", Input)
        name.focus()
        name.value = "nope.qiterm.local"
        await pilot.press("enter")
        await until(
            pilot,
            lambda: "565 DNS parse failed" in str(dns.query_one(".result", Label).render()),
            message=lambda: (
                str(dns.query_one(".result", Label).render()) + str(log_texts(app)[-8:])
            ),
        )


# --- log, notes, data mode from the command line ---------------------------------------


async def test_command_line_data_mode_ctrl_z_and_esc(console: QitermApp, peers: Peers) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        cid = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        await command(pilot, f"AT+QISEND={cid}")
        await until(pilot, lambda: app.state.awaiting_input)
        assert app.query_one("#cmdline").has_class("-datamode")
        await type_into(pilot, "#at-input", "typed\\r\\n")
        await pilot.press("ctrl+z")
        await until(pilot, lambda: peers.tcp_received == b"typed\r\n")
        await until(pilot, lambda: not app.query_one("#cmdline").has_class("-datamode"))
        await command(pilot, f"AT+QISEND={cid}")
        await until(pilot, lambda: app.state.awaiting_input)
        await pilot.press("escape")
        await until(pilot, lambda: not app.state.data_mode)
        assert peers.tcp_received == b"typed\r\n"


async def test_filter_search_note_and_marker(console: QitermApp, tmp_path) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: "+CSQ: 24,99" in log_texts(app, Category.RESPONSE))
        await pilot.press("ctrl+f")
        await type_into(pilot, "#search", r"\+CSQ: \d+")
        log_ = app.query_one("#log")
        assert log_.match_index is not None
        assert app.journal.view[log_.match_index].text == "+CSQ: 24,99"
        await pilot.press("escape")
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, NoteDialog))
        assert "+CSQ: 24,99" in str(app.screen.query_one("#about", Label).render())
        await type_into(pilot, "#note", "signal looks fine")
        await pilot.press("enter")
        await until(pilot, lambda: "// signal looks fine" in log_texts(app, Category.NOTE))
        await pilot.press("f10")
        await until(pilot, lambda: "── marker 1 ──" in log_texts(app, Category.MARKER))
        # Filter: hide responses; they leave the view but stay in the journal.
        app.journal.filter.hidden.update({Category.RESPONSE, Category.OK})
        app.journal.refilter()
        assert all(e.category is not Category.RESPONSE for e in app.journal.view)
        assert "+CSQ: 24,99" in log_texts(app, Category.RESPONSE)


async def test_the_composer_target_follows_the_socket_tables_selection(
    console: QitermApp, peers: Peers
) -> None:
    assert peers.tcp_echo is not None
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        first = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        second = await open_socket(pilot, "TCP", "127.0.0.1", peers.tcp_echo[1])
        table = app.query_one(SocketTable)
        target = app.query_one(SendComposer).query_one("#target", Select)
        await until(pilot, lambda: table.row_count == 2)
        table.focus()
        table.move_cursor(row=1)
        await until(pilot, lambda: target.value == second)
        await pilot.press("up")
        await until(pilot, lambda: target.value == first)
        assert table.selected_id == first
