"""Serial settings beyond the baud rate: data bits, parity, stop bits, RTS/CTS and
XON/XOFF, a custom baud rate, the line ending and local echo while running. From
the profile, the command line and the palette; in the header, re-applied on every
reopen, noted in the capture. On a pty pair they are read back with termios."""

from __future__ import annotations

import os
import termios
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.config.profile import parse_profile
from app.console.app import QitermApp
from app.console.launch import SerialOptions, prepare_console
from app.link.port import PortSettings, open_port
from app.link.results import LinkState
from app.link.worker import SerialWorker
from app.model.journal import Category
from app.protocol import commands as c
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, log_texts, ready, until
from widgets.dialogs.serial import SerialDialog
from widgets.status import status_text

SIZE = (140, 36)


# -- a pty pair, read back with termios -------------------------------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int, str]]:
    master, slave = os.openpty()
    try:
        yield master, slave, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def _cflag(fd: int) -> tuple[int, int]:
    attrs = termios.tcgetattr(fd)
    return attrs[0], attrs[2]


def test_the_worker_opens_a_tty_with_7e2_and_rts_cts_and_changes_them_live(
    pty_pair: tuple[int, int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """qiterm's worker opens the slave of a pty with 7E2 and RTS/CTS; the tty's
    termios attributes are read back through the slave we hold. A Linux pty keeps
    CSTOPB, CRTSCTS, IXON/IXOFF and the speed, but always reads back CS8 and no
    parity (its driver forces them), so what qiterm asked the driver for is also
    taken from the tcsetattr call itself."""
    master, slave, name = pty_pair
    asked: list[int] = []
    real = termios.tcsetattr

    def spy(fd: int, when: int, attrs: list[Any]) -> None:
        asked.append(attrs[2])
        real(fd, when, attrs)

    monkeypatch.setattr(termios, "tcsetattr", spy)
    settings = PortSettings(115200, bytesize=7, parity="E", stopbits=2.0, rtscts=True)
    worker = SerialWorker(name, init=False, settings=settings, backoff=(0.1,))
    worker.start()
    try:
        assert worker.wait_connected(5), worker.status.message
        cflag = asked[-1]
        assert cflag & termios.CSIZE == termios.CS7
        assert cflag & termios.PARENB and not cflag & termios.PARODD
        assert cflag & termios.CSTOPB and cflag & termios.CRTSCTS
        iflag, cflag = _cflag(slave)  # what the tty holds now
        assert cflag & termios.CSTOPB and cflag & termios.CRTSCTS
        assert not iflag & termios.IXON
        assert worker.status.serial_text == "115200 7E2 RTS/CTS"
        # Live: 9600 8N1 with XON/XOFF, in one reconfiguration.
        worker.set_serial(PortSettings(9600, xonxoff=True)).result(5)
        iflag, cflag = _cflag(slave)
        assert not cflag & termios.CSTOPB and not cflag & termios.CRTSCTS
        assert iflag & termios.IXON and iflag & termios.IXOFF
        assert termios.tcgetattr(slave)[4] == termios.B9600
        assert asked[-1] & termios.CSIZE == termios.CS8 and not asked[-1] & termios.PARENB
        assert worker.status.serial_text == "9600 8N1 XON/XOFF"
        assert worker.status.change == "serial"
        # Bytes still flow with the new settings.
        assert worker.send_raw(b"AT\r").result(5).sent
        assert os.read(master, 16) == b"AT\r"
    finally:
        worker.close()


def test_the_settings_are_re_applied_when_the_port_reopens() -> None:
    name, url = sim_url()
    opened: list[PortSettings] = []

    def factory(url: str, settings: PortSettings) -> Any:
        opened.append(settings)
        return open_port(url, settings)

    worker = SerialWorker(url, port_factory=factory, backoff=(0.1,))
    worker.start()
    try:
        assert worker.wait_connected(10) and worker.wait_idle(10)
        worker.set_serial(PortSettings(57600, bytesize=7, parity="O", stopbits=1.5)).result(5)
        worker.set_line_ending(b"\r\n").result(5)
        registry.get(name).unplug(for_seconds=0.3)
        assert worker.wait_state(LinkState.DISCONNECTED, timeout=5) is LinkState.DISCONNECTED
        assert worker.wait_connected(10)
        assert opened[-1].framing == "7O1.5" and opened[-1].baudrate == 57600
        assert worker.status.serial_text == "57600 7O1.5" and worker.status.line_ending == "CRLF"
        assert worker.engine.line_ending == b"\r\n"
    finally:
        worker.close()
        registry.destroy(name)


# -- the profile and the command line -------------------------------------------------------


def test_the_profile_takes_the_serial_keys_and_says_what_is_wrong() -> None:
    loaded = parse_profile(
        textwrap.dedent(
            """
            baud = 250000
            data_bits = 7
            parity = "even"
            stop_bits = 2
            rtscts = true
            xonxoff = false
            local_echo = false
            """
        )
    )
    assert loaded.problems == []
    profile = loaded.profile
    assert profile.port_settings == PortSettings(
        250000, bytesize=7, parity="E", stopbits=2.0, rtscts=True
    )
    assert not profile.local_echo
    bad = parse_profile('data_bits = 9\nparity = "X"\nstop_bits = 3\nrtscts = "yes"\n', "p.toml")
    assert len(bad.problems) == 4 and bad.profile.port_settings == PortSettings()
    assert any("data_bits: expected 5, 6, 7 or 8, got 9" in p for p in bad.problems)
    assert any("parity: expected" in p and '"X"' in p for p in bad.problems)


def test_command_line_flags_win_over_the_profile(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('data_bits = 7\nparity = "O"\nline_ending = "LF"\nlocal_echo = false\n')
    name, url = sim_url()
    options = SerialOptions(parity="E", stopbits=2.0, rtscts=True, line_ending="CRLF")
    console = prepare_console(
        port=url,
        baud=38400,
        log_path=str(tmp_path / "c.jsonl"),
        peers=False,
        profile=str(profile),
        serial=options,
    )
    assert console is not None
    try:
        session = console.session
        assert session.port_settings == PortSettings(
            38400, bytesize=7, parity="E", stopbits=2.0, rtscts=True
        )
        assert session.line_ending == "CRLF" and not session.local_echo
        assert session.link.settings.framing == "7E2"
    finally:
        console.close()
        if console.capture is not None:
            console.capture.close()
        registry.destroy(name)


def test_the_cli_takes_the_serial_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import cli

    seen: dict[str, Any] = {}

    def fake_run(**kw: Any) -> int:
        seen.update(kw)
        return 0

    monkeypatch.setattr("app.console.launch.run_console", fake_run)
    args = ["-p", "sim://", "-b", "250000", "--databits", "7", "--parity", "e", "--stopbits", "2"]
    args += ["--rtscts", "--xonxoff", "--line-ending", "crlf", "--no-local-echo"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert seen["baud"] == 250000
    assert seen["serial"] == SerialOptions(
        databits=7,
        parity="E",
        stopbits=2.0,
        rtscts=True,
        xonxoff=True,
        line_ending="CRLF",
        local_echo=False,
    )
    bad = CliRunner().invoke(cli.main, ["--databits", "9"])
    assert bad.exit_code == 2 and "--databits" in bad.output


# -- the console: header, palette, capture ------------------------------------------------------


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[QitermApp, Path]]:
    name, url = sim_url()
    path = tmp_path / "serial.jsonl"
    capture = CaptureRecorder(path, url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0)
    try:
        yield app, path
    finally:
        registry.destroy(name)


async def test_the_palette_changes_the_settings_the_header_shows_them_the_capture_notes_them(
    console: tuple[QitermApp, Path],
) -> None:
    app, path = console
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "@115200 8N1" in status_text(app.state).plain
        await app.run_action("serial_settings")
        await until(
            pilot, lambda: isinstance(app.screen, SerialDialog) and app.screen.query("#apply")
        )
        dialog = app.screen
        assert isinstance(dialog, SerialDialog)
        dialog.query_one("#baud").value = "74880"  # type: ignore[attr-defined]
        dialog.query_one("#bytesize").value = 7  # type: ignore[attr-defined]
        dialog.query_one("#parity").value = "E"  # type: ignore[attr-defined]
        dialog.query_one("#stopbits").value = 2.0  # type: ignore[attr-defined]
        dialog.query_one("#rtscts").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.click("#apply")
        header = lambda: app.query_one("#status").render().plain  # type: ignore[attr-defined]  # noqa: E731
        await until(pilot, lambda: "@74880 7E2 RTS/CTS" in status_text(app.state).plain)
        await until(pilot, lambda: "74880 7E2 RTS/CTS" in str(header()))
        # The line ending in turn, and local echo off: both in the header.
        await app.run_action("line_ending")
        await until(
            pilot, lambda: app.state.link is not None and app.state.link.line_ending == "CRLF"
        )
        assert app.session.link.engine.line_ending == b"\r\n"
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: "+CSQ: 24,99" in log_texts(app, Category.RESPONSE))
        await app.run_action("local_echo")
        await until(pilot, lambda: "no local echo" in str(header()))
        assert "CRLF" in str(header())
        # Local echo off: what is sent leaves the view (the module's echo shows it).
        assert not [e for e in app.journal.view if e.direction == "tx"]
        await command(pilot, "ATI")
        await until(
            pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE)
        )
        assert not [e for e in app.journal.view if e.direction == "tx"]
        assert [e for e in app.journal.view if e.category is Category.ECHO and e.text == "ATI"]
        await app.run_action("local_echo")
        await until(
            pilot, lambda: any(e.text == "ATI" for e in app.journal.view if e.direction == "tx")
        )
    records = read_capture(path).records
    links = [r for r in records if r["type"] == "link"]
    assert links[0]["framing"] == "8N1" and links[0]["flow"] == "" and links[0]["ending"] == "CR"
    serial = next(r for r in links if r.get("change") == "serial")
    assert (serial["baud"], serial["framing"], serial["flow"]) == (74880, "7E2", "RTS/CTS")
    ending = next(r for r in links if r.get("change") == "line_ending")
    assert ending["ending"] == "CRLF"
    sent = [r["d"] for r in records if r["type"] == "tx" and r.get("what") == "command"]
    assert "AT+CSQ\r\n" in sent
    events = [r for r in records if r["type"] == "event"]
    assert [e["text"].split(":")[0] for e in events] == ["local echo off", "local echo on"]


def test_socket_url_takes_the_settings_and_says_them(sim_tcp: str) -> None:
    worker = SerialWorker(sim_tcp, settings=PortSettings(bytesize=7, parity="E"), backoff=(0.2,))
    worker.start()
    try:
        assert worker.wait_connected(15), worker.status.message
        assert worker.status.serial_text == "115200 7E1"
        worker.set_serial(PortSettings(9600, rtscts=True)).result(5)
        assert worker.status.serial_text == "9600 8N1 RTS/CTS"
        assert worker.submit(c.at()).result(5).ok  # socket:// has no wire to change
    finally:
        worker.close()
