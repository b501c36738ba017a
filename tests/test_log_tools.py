"""Clear and copy in the log, and the live text log (``--text-log``): over sim://,
with the capture keeping everything."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.export import report_string
from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.capture.report import ReportOptions
from app.capture.textlog import TextLog
from app.config.files import ExistsError
from app.console.app import QitermApp
from app.console.launch import prepare_console
from app.demo.peers import Peers
from app.model.journal import Category
from app.protocol.events import SocketState
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, log_texts, ready, until
from widgets.log import EventLog

SIZE = (120, 36)


@pytest.fixture
def console(tmp_path: Path, peers: Peers) -> Iterator[tuple[QitermApp, Path]]:
    name, url = sim_url(peers)
    path = tmp_path / "log.jsonl"
    capture = CaptureRecorder(path, url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0)
    try:
        yield app, path
    finally:
        registry.destroy(name)


def _private(path: Path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_clear_empties_the_view_and_the_capture_keeps_every_line(
    console: tuple[QitermApp, Path],
) -> None:
    app, path = console
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await command(pilot, "AT+CGMR")
        await until(pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app))
        before = len(app.journal.entries)
        app.query_one(EventLog).focus()
        await pilot.press("x")
        await until(pilot, lambda: any("log view cleared" in t for t in log_texts(app)))
        assert len(app.journal.entries) == 1 and len(app.journal.view) == 1
        assert f"({before} lines)" in app.journal.view[0].text
        # The filter rebuilds from what is left: the old lines do not come back.
        app.journal.refilter()
        assert "AT+CGMR" not in [e.text for e in app.journal.view]
    records = read_capture(path).records
    assert any(r["type"] == "tx" and r.get("d") == "AT+CGMR\r" for r in records)


async def test_copy_a_line_a_range_and_a_recv_payload(
    console: tuple[QitermApp, Path], peers: Peers
) -> None:
    app, path = console
    assert peers.tcp_echo is not None
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await command(pilot, f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(
            pilot,
            lambda: 0 in app.state.sockets and app.state.sockets[0].state == SocketState.CONNECTED,
        )
        await command(pilot, 'AT+QISEND=0,3,"hé"')
        await until(pilot, lambda: any(e.category is Category.RECV for e in app.journal.entries))
        log_ = app.query_one(EventLog)
        view = app.journal.view
        recv = next(i for i, e in enumerate(view) if e.category is Category.RECV)
        log_.focus()
        log_.select(recv)
        await pilot.press("p")
        await until(pilot, lambda: app.clipboard == "hé")
        copies = sorted(path.parent.glob("qiterm-copy-*.txt"))
        assert copies and copies[-1].read_text(encoding="utf-8") == "hé"
        assert _private(copies[-1])
        await until(pilot, lambda: any(f"also in {copies[-1]}" in t for t in log_texts(app)))
        # One line as shown, then a range of three (Shift+↑ twice).
        await pilot.press("c")
        await until(pilot, lambda: app.clipboard.rstrip("\n").endswith('"hé"'))
        assert app.clipboard.count("\n") == 1 and "+QIURC" in app.clipboard
        await pilot.press("shift+up", "shift+up")
        assert len(log_.selected_range()) == 3
        await pilot.press("c")
        await until(pilot, lambda: app.clipboard.count("\n") == 3)
        lines = app.clipboard.splitlines()
        assert "+QIURC" in lines[-1] and lines[0].endswith("← OK") and "SEND OK" in lines[1]
        # ↓ lets the range go.
        await pilot.press("down")
        assert len(log_.selected_range()) == 1
        # A line without a payload: said, nothing copied.
        log_.select(0)
        await pilot.press("p")
        await pilot.pause()
        assert app.clipboard.count("\n") == 3
        # Bytes that are not UTF-8 go as hex digits.
        await command(pilot, 'AT+QICFG="dataformat",1,1')
        await until(pilot, lambda: app.state.recv_hex)
        await command(pilot, 'AT+QISEND=0,2,"FF00"')
        await until(
            pilot, lambda: sum(e.category is Category.RECV for e in app.journal.entries) == 2
        )
        view = app.journal.view
        log_.focus()
        log_.select(max(i for i, e in enumerate(view) if e.category is Category.RECV))
        await pilot.press("p")
        await until(pilot, lambda: app.clipboard == "FF 00")
    assert len(list(path.parent.glob("qiterm-copy-*.txt"))) == 4


# -- the live text log ---------------------------------------------------------------------------


async def test_the_text_log_is_written_as_the_session_runs_in_the_export_format(
    tmp_path: Path,
) -> None:
    name, url = sim_url()
    capture_path = tmp_path / "live.jsonl"
    text_path = tmp_path / "live.txt"
    capture = CaptureRecorder(capture_path, url=url, baud=115200)
    text_log = TextLog(text_path, capture)
    assert _private(text_path)
    with pytest.raises(ExistsError):  # never over a file that is there
        TextLog(text_path, capture)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0.5)
    app.session.text_log = text_log
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await command(pilot, "AT+CGMR")
            # Written while the session runs (the console is still up).
            await until(
                pilot,
                lambda: "Revision: BC660KGLAAR01A05" in text_path.read_text(encoding="utf-8"),
            )
            await until(pilot, lambda: app.session.link.busy or app.journal.total > 0)
            await until(
                pilot,
                lambda: any(e.tag == "poll" for e in app.journal.entries),
                timeout=5,
            )
    finally:
        registry.destroy(name)
    text = text_path.read_text(encoding="utf-8")
    assert text.startswith("qiterm live log of live.jsonl")
    assert "AT+QISTATE?" not in text.split("Legend", 1)[1].split("⋯", 1)[0].split("\n", 2)[2]
    assert "⋯ polling:" in text  # folded, as the export folds it
    # The transcript lines are the export's own.
    exported = report_string(capture_path, "text").split("==========\n\n", 1)[1]
    for line in ("→ AT+CGMR", "← Revision: BC660KGLAAR01A05"):
        ours = next(t for t in text.splitlines() if line in t)
        theirs = next(t for t in exported.splitlines() if line in t)
        assert ours == theirs
    assert text_log.summary() == f"text log in {text_path}"


async def test_text_log_all_keeps_the_polling_and_the_console_opens_it(tmp_path: Path) -> None:
    name, url = sim_url()
    text_path = tmp_path / "all.txt"
    console = prepare_console(
        port=url,
        baud=None,
        log_path=str(tmp_path / "all.jsonl"),
        peers=False,
        text_log=str(text_path),
        text_log_all=True,
    )
    assert console is not None
    app = console.app
    try:
        app.session.set_polling(True, 0.5)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await until(pilot, lambda: any(f"text log: {text_path}" in t for t in log_texts(app)))
            await until(
                pilot,
                lambda: "→ AT+QISTATE?" in text_path.read_text(encoding="utf-8"),
                timeout=6,
            )
    finally:
        console.close()
        registry.destroy(name)
    text = text_path.read_text(encoding="utf-8")
    assert "Polling  kept" in text and "⋯ polling" not in text
    # The same lines as the export with --all.
    exported = report_string(tmp_path / "all.jsonl", "text", ReportOptions(keep_all=True))
    assert "→ AT+QISTATE?" in exported
    # A second console refuses to write over the text log.
    again = prepare_console(
        port=url,
        baud=None,
        log_path=str(tmp_path / "again.jsonl"),
        peers=False,
        text_log=str(text_path),
    )
    assert again is None
