"""``qiterm view``: replaying a capture (app.capture.replay) and the read-only
viewer (app.viewer), on a capture recorded live from the simulated module and
on small hand-written ones."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input

from app.capture import format as fmt
from app.capture.export import report_string
from app.capture.format import Record
from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.capture.replay import ReplayedResult, Replayer, replay, state_at
from app.capture.report import ReportOptions
from app.capture.source import CaptureSource
from app.cli import main
from app.demo.peers import Peers
from app.link.results import (
    CommandFinished,
    LinkEvent,
    Rx,
    Tx,
)
from app.link.worker import SerialWorker
from app.model import render
from app.model.journal import Category
from app.model.render import LineView
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.events import SocketState
from app.sim import registry
from app.viewer.app import CaptureLog, ViewerApp, capture_text, view_main
from tests.conftest import SPEC_ZONE, sim_url
from tests.consolekit import type_into, until
from tests.test_link import Collector
from widgets.dialogs.filter import FilterDialog
from widgets.sockets import SocketTable

PAYLOAD = b"ping the echo"
NOTE = "the echo came back"
MARKER = "before the close"


@dataclass
class Live:
    """A capture recorded from a real session, and what the worker reported."""

    path: Path
    events: list[LinkEvent]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Open a TCP socket to the loopback echo peer, send, receive, add a note
    and a marker, close the socket: everything recorded by a CaptureRecorder."""
    path = tmp_path_factory.mktemp("view") / "session.jsonl"
    with Peers(zone=SPEC_ZONE, dns_ttl=0) as peers:
        name, url = sim_url(peers)
        recorder = CaptureRecorder(path, url=url, baud=115200)
        received = threading.Event()
        recorder.add_listener(
            lambda record: received.set() if record.get("kind") == "urc.recv" else None
        )
        worker = SerialWorker(url, 115200, recorder=recorder, backoff=(0.2,))
        collector = Collector()
        worker.subscribe(collector)
        try:
            worker.start()
            assert worker.wait_connected(5)
            assert worker.wait_idle(10)
            host, port = peers.tcp_echo  # type: ignore[misc]
            cmd = c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port)
            assert worker.submit(cmd).result(10).ok
            sent = worker.submit(c.qisend(0, PAYLOAD, hex_format=worker.engine.send_hex))
            assert sent.result(10).ok
            assert received.wait(5), "the echo did not come back"
            recorder.note(NOTE)
            recorder.marker(MARKER)
            assert worker.submit(c.qiclose(0)).result(10).ok
            assert worker.wait_idle(5)
        finally:
            worker.close()
            recorder.close()
            registry.destroy(name)
    yield Live(path, collector.events)


def records_of(path: Path) -> list[Record]:
    return read_capture(path).records


def seq_where(records: list[Record], predicate: Any) -> int:
    return int(next(r["seq"] for r in records if predicate(r)))


def is_recv(record: Record) -> bool:
    return record.get("kind") == "urc.recv"


def is_close_ok(record: Record) -> bool:
    return record.get("kind") == "close_ok"


def is_open_result(record: Record) -> bool:
    return record.get("kind") == "deferred.qiopen"


# --- replay -----------------------------------------------------------------------


def _shape(item: LinkEvent) -> tuple[str, bytes]:
    if isinstance(item, Rx):
        return f"Rx.{item.event.kind}", item.event.raw
    if isinstance(item, Tx):
        return f"Tx.{item.what.value}", item.data
    return type(item).__name__, b""


def test_replay_gives_back_the_events_and_their_bytes(live: Live) -> None:
    steps = replay(records_of(live.path))
    replayed = [_shape(s.event) for s in steps if s.event is not None]
    reported = [_shape(e) for e in live.events]
    # The worker's last LinkStatus (closed) may be recorded after its dispatcher
    # stopped; everything it reported is in the capture, in the same order.
    assert replayed[: len(reported)] == reported
    assert len(replayed) - len(reported) <= 1
    recv = [s.event for s in steps if isinstance(s.event, Rx) and s.event.event.kind == "urc.recv"]
    assert len(recv) == 1 and isinstance(recv[0].event, ev.QiUrcRecv)
    assert recv[0].event.payload() == PAYLOAD


def test_replay_turns_notes_and_markers_into_entries(live: Live) -> None:
    records = records_of(live.path)
    steps = replay(records)
    note = next(s for s in steps if s.rtype == fmt.NOTE)
    marker = next(s for s in steps if s.rtype == fmt.MARKER)
    assert note.event is None and marker.event is None
    assert [(e.category, e.text) for e in note.entries] == [(Category.NOTE, f"// {NOTE}")]
    assert [(e.category, e.text) for e in marker.entries] == [
        (Category.MARKER, f"── marker 1: {MARKER} ──")
    ]
    assert note.entries[0].capture_seq == note.seq
    assert marker.entries[0].capture_seq == marker.seq
    # Every entry carries its record's seq and time.
    by_seq = {r["seq"]: r for r in records}
    for step in steps:
        for entry in step.entries:
            assert entry.capture_seq == step.seq
            assert entry.wall == by_seq[step.seq]["t"] / 1_000_000


def test_replayed_results_keep_their_message_and_lines(live: Live) -> None:
    records = records_of(live.path)
    results = [s.event.result for s in replay(records) if isinstance(s.event, CommandFinished)]
    recorded = [r for r in records if r["type"] == fmt.RESULT]
    assert [r.message for r in results] == [r["message"] for r in recorded]
    assert [r.result_code for r in results] == [r["code"] for r in recorded]
    opened = next(r for r in results if r.command.key == "qiopen.write")
    assert isinstance(opened, ReplayedResult)
    assert opened.ok and isinstance(opened.deferred[0], ev.QiOpenResult)
    closed = next(r for r in results if r.command.key == "qiclose.write")
    assert isinstance(closed.final, ev.CloseOk)


def test_state_at_shows_the_socket_between_open_and_close(live: Live) -> None:
    records = records_of(live.path)
    header = read_capture(live.path).header
    everything = [header, *records]
    before = state_at(everything, seq_where(records, is_open_result) - 1)
    assert before.sockets[0].state_label == "Connecting"
    at_recv = state_at(everything, seq_where(records, is_recv))
    row = at_recv.sockets[0]
    assert row.state == SocketState.CONNECTED and row.service_type == "TCP"
    assert row.bytes_sent == len(PAYLOAD) and row.bytes_received == len(PAYLOAD)
    assert at_recv.identity is not None and at_recv.connected
    after = state_at(everything, seq_where(records, is_close_ok) + 1)
    assert 0 not in after.sockets
    assert state_at(everything, 0).sockets == {}
    assert state_at(everything, 0).url == header["url"]


def test_state_at_every_record_matches_the_checkpointed_source(live: Live) -> None:
    records = records_of(live.path)
    source = CaptureSource(live.path, checkpoint_every=7)
    for _ in source.load(batch=5):
        pass
    assert source.loaded and source.records == len(records) and not source.torn
    for record in records:
        expected = state_at(records, record["seq"])
        got = source.state_at(record["seq"])
        assert got.sockets == expected.sockets, record
        assert (got.ip, got.link, got.data_mode) == (expected.ip, expected.link, expected.data_mode)


def test_odd_and_unknown_records_never_raise() -> None:
    odd: list[Record] = [
        {"seq": 1, "type": "hologram", "t": 1, "m": 1},
        {"seq": 2, "type": "rx", "role": "martian", "cmd": "x", "x": "4f4b0d0a"},
        {"seq": 3, "type": "rx", "role": "urc", "d": '\r\n+QIURC: "recv",0,99,"short"\r\n'},
        {"seq": 4, "type": "tx", "what": "telepathy", "d": "AT\r"},
        {"seq": 5, "type": "link", "state": "exploded", "baud": "fast"},
        {"seq": 6, "type": "result", "cmd": 9, "line": "not an AT command\r\n", "outcome": "?"},
        {"seq": 7, "type": "note", "text": "line one\nline two\x1b[31m", "ref": 3},
        {"seq": 8, "type": "marker"},
        {"seq": 9, "type": "screenshot", "path": "/tmp/shot.svg"},
        {"seq": 10, "type": "dataformat", "send_hex": 1, "recv_hex": True},
        {"seq": 11, "type": "tx", "what": "payload", "x": "not hex"},
        {"seq": "eleven", "type": "rx", "d": "OK"},
        {"type": "note", "text": "no seq"},
    ]
    steps = replay(odd)
    assert [s.seq for s in steps] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    note = next(s for s in steps if s.rtype == fmt.NOTE).entries[0]
    assert "\n" not in note.text and "\x1b" not in note.text
    assert note.meaning.startswith("about the line")
    finished = next(s for s in steps if isinstance(s.event, CommandFinished))
    assert [e.category for e in finished.entries] == [Category.ERROR]
    assert "\r" not in finished.entries[0].text and "\n" not in finished.entries[0].text
    state = state_at(odd, 10)
    assert state.recv_hex and state.send_hex


def test_a_frame_after_the_prompt_keeps_its_space_rule() -> None:
    """``"> "``: the space belongs to the next frame; a fresh framer is told a
    prompt came, so the echoed payload reads as it did live."""
    replayer = Replayer()
    prompt = replayer.steps({"seq": 1, "type": "rx", "role": "prompt", "cmd": 3, "d": "\r\n>"})
    echo = replayer.steps({"seq": 2, "type": "rx", "role": "echo", "cmd": 3, "d": " hi\r\n"})
    assert isinstance(prompt[0].event, Rx) and isinstance(prompt[0].event.event, ev.Prompt)
    assert len(echo) == 1 and isinstance(echo[0].event, Rx)
    assert echo[0].event.event.line == b"hi" and echo[0].event.event.raw == b" hi\r\n"


# --- the viewer --------------------------------------------------------------------

SIZE = (120, 40)


async def loaded(pilot: Pilot[Any]) -> ViewerApp:
    app = pilot.app
    assert isinstance(app, ViewerApp)
    await until(pilot, lambda: app.loaded)
    await pilot.pause()
    return app


def texts(app: ViewerApp) -> list[str]:
    return [e.text for e in app.journal.view]


def selected_text(app: ViewerApp) -> str:
    entry = app.selected_entry()
    assert entry is not None
    return entry.text


def index_of(app: ViewerApp, predicate: Any) -> int:
    return next(i for i, e in enumerate(app.journal.view) if predicate(e))


async def test_the_log_shows_commands_the_recv_urc_and_the_note(live: Live) -> None:
    app = ViewerApp(live.path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        lines = texts(app)
        assert "ATI" in lines and "AT+QICLOSE=0" in lines
        assert any(t.startswith("AT+QIOPEN=0,0,") for t in lines)
        assert any(t.startswith('+QIURC: "recv",0,') for t in lines)
        assert f"// {NOTE}" in lines
        assert f"── marker 1: {MARKER} ──" in lines
        header = capture_text(app.source).plain
        assert "session.jsonl" in header and f"{app.source.records} records" in header
        assert "BC660K-GL" in header and "torn" not in header
        # The first line is selected; nothing is open before the first command.
        assert app.query_one(CaptureLog).match_index == 0
        assert app.query_one(SocketTable).row_count == 0


async def test_moving_the_cursor_shows_the_sockets_of_that_moment(live: Live) -> None:
    app = ViewerApp(live.path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        table = app.query_one(SocketTable)
        log_ = app.query_one(CaptureLog)
        recv = index_of(app, lambda e: e.category is Category.RECV)
        log_.select(recv - 3)
        await pilot.press("down", "down", "down")
        await until(pilot, lambda: table.row_count == 1)
        assert selected_text(app).startswith('+QIURC: "recv"')
        assert app.state.sockets[0].state == SocketState.CONNECTED
        assert str(table.get_row_at(0)[5]) == "Connected"
        await pilot.press("up")
        assert log_.match_index == recv - 1
        await pilot.press("end")
        await until(pilot, lambda: table.row_count == 0)
        assert log_.match_index == len(app.journal.view) - 1
        await pilot.press("pageup")
        assert log_.match_index is not None and log_.match_index < len(app.journal.view) - 1
        await pilot.press("home")
        assert log_.match_index == 0
        # A click selects the line under the pointer.
        assert await pilot.click(CaptureLog, offset=(4, 2))
        assert log_.match_index == int(log_.scroll_y) + 2


async def test_search_finds_lines_forward_from_the_cursor(live: Live) -> None:
    app = ViewerApp(live.path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+f")
        search = app.query_one("#search", Input)
        assert search.has_focus
        await type_into(pilot, "#search", "QI(OPEN|CLOSE)=")
        first = app.query_one(CaptureLog).match_index
        assert selected_text(app).startswith("AT+QIOPEN=")
        await pilot.press("enter")
        second = app.query_one(CaptureLog).match_index
        assert first is not None and second is not None and second > first
        assert "QIOPEN=" in selected_text(app) or "QICLOSE=" in selected_text(app)
        await pilot.press("escape")
        assert not search.has_class("-shown") and app.query_one(CaptureLog).has_focus


async def test_n_jumps_to_the_note_and_the_marker(live: Live) -> None:
    app = ViewerApp(live.path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        assert selected_text(app) == f"// {NOTE}"
        # The socket table follows: the socket was open when the note was taken.
        assert app.query_one(SocketTable).row_count == 1
        await pilot.press("n")
        assert selected_text(app).startswith("── marker 1")
        await pilot.press("N")
        assert selected_text(app) == f"// {NOTE}"


async def test_filter_and_hex_keep_the_selected_line(live: Live) -> None:
    app = ViewerApp(live.path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, FilterDialog))
        app.screen.query_one("#g0", Checkbox).value = False  # hide "Commands"
        app.screen.query_one("#apply", Button).press()
        await until(pilot, lambda: not isinstance(app.screen, FilterDialog))
        await pilot.pause()
        assert all(e.category is not Category.COMMAND for e in app.journal.view)
        assert selected_text(app) == f"// {NOTE}"
        log_ = app.query_one(CaptureLog)
        await pilot.press("ctrl+t")
        assert log_.hex_payload
        recv = next(e for e in app.journal.view if e.category is Category.RECV)
        assert recv.shown(True).endswith(" ".join(f"{b:02X}" for b in PAYLOAD))


async def test_a_torn_capture_opens_with_a_warning(live: Live, tmp_path: Path) -> None:
    torn = tmp_path / "torn.jsonl"
    content = live.path.read_bytes()
    torn.write_bytes(content + b'{"seq":999,"type":"note","t":1,"m":1,"te')
    app = ViewerApp(torn)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert app.source.torn
        assert app.source.records == len(records_of(live.path))
        assert "torn last line" in capture_text(app.source).plain
        assert f"// {NOTE}" in texts(app)


def test_view_main_refuses_a_file_that_is_not_a_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n")
    assert view_main(str(notes)) == 2
    err = capsys.readouterr().err
    assert err.startswith("qiterm view: not a qiterm capture:") and "notes.txt" in err
    assert "Traceback" not in err
    assert view_main(str(tmp_path / "missing.jsonl")) == 2
    assert "no such file" in capsys.readouterr().err
    assert view_main(str(tmp_path)) == 2
    assert "directory" in capsys.readouterr().err


def test_cli_view_exits_2_on_a_non_capture(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\xff" * 100)
    result = CliRunner().invoke(main, ["view", str(junk)])
    assert result.exit_code == 2
    assert "not a qiterm capture" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- a hand-written capture: limits and the snapshot ---------------------------------

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z, in microseconds
M0 = 5_000_000_000


def shared_capture(path: Path) -> Path:
    """A small, fixed capture: identify, open, send, receive, note, marker, close."""
    rows: list[tuple[str, dict[str, Any]]] = [
        ("link", {"state": "connected", "message": "connected", "url": "sim://", "baud": 115200}),
        ("tx", {"what": "command", "cmd": 1, "d": "ATI\r"}),
        ("rx", {"kind": "text", "role": "response", "cmd": 1, "d": "\r\nQuectel_Ltd\r\n"}),
        ("rx", {"kind": "text", "role": "response", "cmd": 1, "d": "Quectel_BC660K-GL\r\n"}),
        (
            "rx",
            {"kind": "text", "role": "response", "cmd": 1, "d": "Revision: BC660KGLAAR01A05\r\n"},
        ),
        ("rx", {"kind": "ok", "role": "final", "cmd": 1, "d": "\r\nOK\r\n"}),
        ("result", {"cmd": 1, "line": "ATI", "outcome": "ok", "message": "ATI: OK", "code": None}),
        ("identity", {"identity": "Quectel_Ltd Quectel_BC660K-GL", "revision": "BC660KGLAAR01A05"}),
        ("rx", {"kind": "ip", "role": "urc", "cmd": None, "d": "\r\n+IP: 10.0.0.7\r\n"}),
        ("tx", {"what": "command", "cmd": 2, "d": 'AT+QIOPEN=0,0,"TCP","127.0.0.1",7000,0,1\r'}),
        ("rx", {"kind": "ok", "role": "final", "cmd": 2, "d": "\r\nOK\r\n"}),
        (
            "rx",
            {"kind": "deferred.qiopen", "role": "deferred", "cmd": 2, "d": "\r\n+QIOPEN: 0,0\r\n"},
        ),
        (
            "result",
            {
                "cmd": 2,
                "line": 'AT+QIOPEN=0,0,"TCP","127.0.0.1",7000,0,1',
                "outcome": "ok",
                "message": 'AT+QIOPEN=0,0,"TCP","127.0.0.1",7000,0,1: OK',
                "code": 0,
            },
        ),
        ("tx", {"what": "command", "cmd": 3, "d": 'AT+QISEND=0,5,"hello"\r'}),
        ("rx", {"kind": "ok", "role": "final", "cmd": 3, "d": "\r\nOK\r\n"}),
        ("rx", {"kind": "send_ok", "role": "final", "cmd": 3, "d": "\r\nSEND OK\r\n"}),
        (
            "result",
            {
                "cmd": 3,
                "line": 'AT+QISEND=0,5,"hello"',
                "outcome": "ok",
                "message": "",
                "code": None,
            },
        ),
        (
            "rx",
            {
                "kind": "urc.recv",
                "role": "urc",
                "cmd": None,
                "d": '\r\n+QIURC: "recv",0,5,"hello"\r\n',
            },
        ),
        ("note", {"text": "the echo is back in 40 ms", "ref": 18}),
        ("marker", {"n": 1, "text": "socket 0 works"}),
        ("tx", {"what": "command", "cmd": 4, "d": "AT+QICLOSE=0\r"}),
        ("rx", {"kind": "ok", "role": "final", "cmd": 4, "d": "\r\nOK\r\n"}),
        ("rx", {"kind": "close_ok", "role": "final", "cmd": 4, "d": "\r\nCLOSE OK\r\n"}),
        (
            "result",
            {"cmd": 4, "line": "AT+QICLOSE=0", "outcome": "ok", "message": "", "code": None},
        ),
    ]
    header = {
        "seq": 0,
        "type": "header",
        "t": T0,
        "m": M0,
        "format": "qiterm-capture",
        "version": 1,
        "qiterm": "0.1.0",
        "url": "sim://",
        "baud": 115200,
        "started": "2026-01-01T00:00:00.000Z",
    }
    lines = [json.dumps(header)]
    for seq, (rtype, fields) in enumerate(rows, start=1):
        ms = 20 * seq + (400 if seq >= 19 else 0)
        lines.append(
            json.dumps(
                {"seq": seq, "type": rtype, "t": T0 + ms * 1000, "m": M0 + ms * 1000, **fields}
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_capture_over_the_limit_says_how_much_is_shown(tmp_path: Path) -> None:
    path = shared_capture(tmp_path / "shared.jsonl")
    source = CaptureSource(path, limit=10, checkpoint_every=3)
    batches = list(source.load(batch=4))
    assert source.loaded and source.records == 10 and source.more == 24
    assert sum(len(b) for b in batches) == len(
        [e for s in replay(records_of(path))[:10] for e in s.entries]
    )
    assert "first 10 of about 24 records shown" in capture_text(source).plain
    assert source.state_at(9).ip == "10.0.0.7"


async def test_the_viewer_and_the_text_export_draw_the_same_lines(tmp_path: Path) -> None:
    path = shared_capture(tmp_path / "shared.jsonl")
    app = ViewerApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        log_ = app.query_one(CaptureLog)
        log_.view = LineView(stamps="relative")
        shown = [log_.render_text(e, previous=None).plain for e in app.journal.view]
    report = report_string(path, "text", ReportOptions(keep_all=True))
    assert report.startswith("qiterm report: shared.jsonl")
    body = report.split("\n==========\n\n", 1)[1].splitlines()
    # Each transcript line: a two-cell gutter (a command's group), the viewer's
    # line, and on a group's last line the command's elapsed time.
    lines = [re.sub(r"  \[\d+\.\d+ m?s\]$", "", line[2:]) for line in body if line[2:3] == "+"]
    assert shown == lines
    assert shown[0] == "+   0.020s · link connected: connected"
    assert "+   0.780s ¶ // the echo is back in 40 ms" in shown


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "stamp", lambda wall: f"12:00:{wall % 60:06.3f}")


def test_viewer_snapshot(snap_compare: Any, tmp_path: Path, pinned_clock: None) -> None:
    app = ViewerApp(shared_capture(tmp_path / "shared.jsonl"))

    async def at_the_note(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("n")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 30), run_before=at_the_note)


def test_polling_is_tagged_in_the_capture_so_the_viewer_can_hide_it(tmp_path) -> None:
    """The recorder keeps who asked (user, poll...) on rx/tx/result records."""
    import time as _time

    from app.capture.reader import read_capture
    from app.capture.recorder import CaptureRecorder
    from app.link.results import Role, Rx, Tx, TxKind
    from app.protocol.parse import parse_line

    path = tmp_path / "tags.jsonl"
    with CaptureRecorder(path, url="sim://", baud=115200) as rec:
        now = _time.time()
        rec.record(Tx(b"AT+QISTATE?\r", TxKind.COMMAND, 1, 1.0, now, "poll"))
        rec.record(Rx(parse_line(b"OK"), Role.FINAL, 1, 1.1, now, "poll"))
        rec.record(Tx(b"AT\r", TxKind.COMMAND, 2, 1.2, now, "user"))
    tags = [r.get("tag") for r in read_capture(path).records]
    assert tags == ["poll", "poll", "user"]
