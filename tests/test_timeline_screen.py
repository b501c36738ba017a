"""The socket timeline screen: ``T`` in ``qiterm view``, ``t`` in the console's socket table.

Both draw the same model the HTML report draws as SVG, read from the capture
file; the screen shows a row per connectID and a table of every event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from app.capture.recorder import CaptureRecorder
from app.capture.survey import read_timeline
from app.capture.timeline import KIND_LABELS, Kind
from app.viewer.app import ViewerApp
from tests.consolekit import command, make_app, ready, until
from widgets.timeline import TimelineScreen

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "report_fixed.jsonl"


def chart_of(screen: TimelineScreen) -> str:
    return str(screen.query_one("#tl-chart", Static).render())


async def test_the_viewer_shows_the_timeline_of_its_capture() -> None:
    app = ViewerApp(FIXTURE)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.loaded)
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        await until(pilot, lambda: screen.timeline is not None)
        await pilot.pause()
        chart = chart_of(screen)
        for lane in ("#0 TCP LISTENER :40007 (+2)", "#2 INCOMING 127.0.0.1:40006", "#4 TCP"):
            assert lane in chart
        assert "≈2m30s" in chart  # the quiet stretch is squeezed
        expected = read_timeline(FIXTURE).events()
        table = screen.query_one(DataTable)
        assert table.row_count == len(expected)
        kinds = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert kinds == [KIND_LABELS[e.kind] for e in expected]
        assert KIND_LABELS[Kind.SEND_FAIL] in kinds and KIND_LABELS[Kind.INCOMING] in kinds
        title = str(screen.query_one("#tl-title", Static).render())
        assert "7 socket(s)" in title
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, TimelineScreen))


async def test_the_console_draws_the_timeline_from_its_capture(peers: Any, tmp_path: Path) -> None:
    capture = CaptureRecorder(tmp_path / "live.jsonl", url="sim://", baud=115200)
    app, _ = make_app(peers, capture=capture, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        host, port = peers.tcp_echo
        await command(pilot, f'AT+QIOPEN=0,0,"TCP","{host}",{port},0,1')
        await until(pilot, lambda: 0 in app.state.sockets and app.state.sockets[0].state == 2)
        await pilot.press("ctrl+y", "t")  # the socket table, then its timeline key
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        await until(pilot, lambda: screen.timeline is not None)
        await pilot.pause()
        assert f"#0 TCP {host}:{port}" in chart_of(screen)
        table = screen.query_one(DataTable)
        assert str(table.get_row_at(0)[2]) == KIND_LABELS[Kind.OPEN]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TimelineScreen))


async def test_a_console_without_a_capture_says_there_is_no_timeline(peers: Any) -> None:
    app, _ = make_app(peers, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+y", "t")
        await until(pilot, lambda: any("No capture" in str(n.message) for n in app._notifications))
        assert not isinstance(app.screen, TimelineScreen)
