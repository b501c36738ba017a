"""Line view options, line control (DTR, RTS, Break, baud) and screenshots."""

from __future__ import annotations

import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.console.app import QitermApp
from app.console.screenshot import screen_exports
from app.demo.peers import Peers
from app.model.journal import Category
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, log_texts, ready, until
from widgets.dialogs.choice import BaudDialog
from widgets.log import EventLog
from widgets.status import status_text

SIZE = (140, 40)


@pytest.fixture
async def console(peers: Peers, tmp_path: Path) -> AsyncIterator[QitermApp]:
    name, url = sim_url(peers)
    capture = CaptureRecorder(tmp_path / "options.jsonl", url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0)
    try:
        yield app
    finally:
        capture.close()
        registry.destroy(name)


def plain_of(app: QitermApp, text: str) -> str:
    log_ = app.query_one(EventLog)
    entry = next(e for e in reversed(app.journal.view) if e.text == text)
    return log_.render_text(entry, previous=None).plain


async def test_payloads_text_hex_both_line_endings_and_timestamps(
    console: QitermApp, peers: Peers
) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        assert peers.tcp_echo is not None
        await command(pilot, f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(
            pilot,
            lambda: app.state.sockets.get(0) is not None and app.state.sockets[0].state == 2,
        )
        await command(pilot, 'AT+QISEND=0,2,"Hi"')
        await until(pilot, lambda: app.state.sockets[0].bytes_received == 2)
        recv = '+QIURC: "recv",0,2,"Hi"'
        assert plain_of(app, recv).endswith(recv)
        await pilot.press("ctrl+t")
        assert plain_of(app, recv).endswith('+QIURC: "recv",0,2,48 69')
        await pilot.press("ctrl+t")
        assert plain_of(app, recv).endswith('+QIURC: "recv",0,2,48 69  |Hi|')
        await pilot.press("ctrl+t")
        assert plain_of(app, recv).endswith(recv)
        app.action_toggle_endings()
        assert plain_of(app, "OK").endswith("\\r\\nOK\\r\\n")
        assert plain_of(app, 'AT+QISEND=0,2,"Hi"').endswith('AT+QISEND=0,2,"Hi"\\r')
        app.action_cycle_stamps()
        assert plain_of(app, "OK").startswith("+")
        app.action_cycle_stamps()
        assert plain_of(app, "OK").startswith("Δ")


async def test_dtr_rts_break_and_baud(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        port = app.session.link._port
        assert port.dtr and port.rts
        app.action_toggle_dtr()
        await until(pilot, lambda: not port.dtr)
        await until(pilot, lambda: "DTR off" in log_texts(app))
        assert "DTR ○ RTS ●" in str(app.query_one("#status").render())
        app.action_toggle_rts()
        await until(pilot, lambda: not port.rts)
        app.action_send_break()
        await until(pilot, lambda: "Break sent (250 ms)" in log_texts(app))
        app.action_change_baud()
        await until(pilot, lambda: isinstance(app.screen, BaudDialog))
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        options.highlighted = 0  # 9600
        await pilot.press("enter")
        await until(pilot, lambda: app.state.baudrate == 9600)
        assert port.baudrate == 9600
        assert "@9600" in status_text(app.state).plain
        # The link works at the new rate (the simulated UART takes any rate).
        await command(pilot, "AT+CGMR")
        await until(
            pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE)
        )
        assert app.capture is not None
        # The capture keeps them as the link's own events (not as notes a person wrote).
        records = read_capture(app.capture.path).records
        changes = [(r["change"], r["message"]) for r in records if r.get("change")]
        assert [c for c in changes if c[0] != "baud"] == [
            ("dtr", "DTR off"),
            ("rts", "RTS off"),
            ("break", "Break sent (250 ms)"),
        ]
        assert ("baud", "baud rate now 9600") in changes
        assert not [r for r in records if r["type"] == "note"]


async def test_screenshot_saves_svg_and_text_and_notes_it(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        log_ = app.query_one(EventLog)
        await until(pilot, lambda: any("AT+CGPADDR" in line for line in log_.visible_text()))
        # The log holds the line before the screen has drawn it: wait for the frame.
        await until(pilot, lambda: "AT+CGPADDR" in screen_exports(app)[1])
        await pilot.press("f12")
        assert app.capture is not None
        folder = app.capture.path.parent
        await until(pilot, lambda: list(folder.glob("qiterm-screen-*.txt")))
        [text_file] = folder.glob("qiterm-screen-*.txt")
        svg_file = text_file.with_suffix(".svg")
        assert svg_file.read_text().startswith("<svg")
        shot = text_file.read_text()
        assert "qiterm" in shot and "connected" in shot and "AT+CGPADDR" in shot
        records = read_capture(app.capture.path).records
        assert any(r["type"] == "screenshot" and r["path"] == str(svg_file) for r in records)


async def test_two_screenshots_in_one_second_are_both_kept_private(console: QitermApp) -> None:
    async with console.run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        assert app.capture is not None
        folder = app.capture.path.parent
        stamp = "20250101-120000"
        real = time.strftime

        def same_second(fmt: str, *when: Any) -> str:
            return stamp if fmt == "%Y%m%d-%H%M%S" else real(fmt, *when)

        with pytest.MonkeyPatch.context() as mp:  # both presses in the same second
            mp.setattr("app.console.app.time.strftime", same_second)
            app.action_save_screenshot()
            app.action_save_screenshot()
        shots = sorted(p.name for p in folder.glob("qiterm-screen-*"))
        assert shots == [
            f"qiterm-screen-{stamp}-2.svg",
            f"qiterm-screen-{stamp}-2.txt",
            f"qiterm-screen-{stamp}.svg",
            f"qiterm-screen-{stamp}.txt",
        ]
        for shot in folder.glob("qiterm-screen-*"):
            assert stat.S_IMODE(shot.stat().st_mode) == 0o600, shot
        assert stat.S_IMODE(app.capture.path.stat().st_mode) == 0o600
