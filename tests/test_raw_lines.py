"""Any line, any bytes: ``A/``, ``+++``, ``!raw TEXT`` and ``!hex DIGITS`` on the
command line, marked raw in the log and the capture, with the engine's
bookkeeping kept honest around them (a raw send is not a command; what answers
it is unsolicited; bytes left without a line ending are named when the next
command fails on them). Over sim://, socket:// and a pty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.console.app import QitermApp
from app.link.engine import Deliver, Engine
from app.link.results import Outcome, RawResult, Role, Rx, Tx, TxKind
from app.link.worker import SerialWorker
from app.model.journal import Category
from app.protocol import StreamDecoder
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.payload import PayloadError
from app.protocol.typed import Kind, parse_typed
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, log_texts, ready, until
from widgets.cmdline import CommandLine, hint_for

# -- what a typed line is -------------------------------------------------------------------


def test_typed_lines_are_told_apart() -> None:
    assert parse_typed("AT+CSQ").kind is Kind.COMMAND
    assert parse_typed(" a/ ").kind is Kind.REPEAT
    escape = parse_typed("+++")
    assert escape.kind is Kind.ESCAPE and escape.data == b"+++" and not escape.with_line_ending
    raw = parse_typed(r"!raw AT+QIURC\x1a\r")
    assert raw.kind is Kind.RAW and raw.data == b"AT+QIURC\x1a\r" and raw.with_line_ending
    hexed = parse_typed("!HEX 41 54:0d")
    assert hexed.kind is Kind.HEX and hexed.data == b"AT\r" and not hexed.with_line_ending
    # Not a prefix unless a space follows: "!rawx" is taken as a (bad) command line.
    assert parse_typed("!rawx").kind is Kind.COMMAND
    for bad in ("!hex 4", "!hex zz", "!raw", r"!raw \q"):
        with pytest.raises(PayloadError):
            parse_typed(bad)


def test_the_hint_marks_a_raw_line_as_past_the_at_checks() -> None:
    assert "RAW" in hint_for("!raw hello").plain
    assert "RAW HEX: exactly 2 byte(s)" in hint_for("!hex 41 54").plain
    assert "1 s of silence" in hint_for("+++").plain
    assert "last command line" in hint_for("A/").plain
    assert "✗" in hint_for("!hex 4").plain


# -- the engine's bookkeeping ---------------------------------------------------------------


def _rx(line: bytes) -> ev.Event:
    decoder = StreamDecoder()
    events = decoder.feed(line) + decoder.flush()
    return events[0]


def test_what_answers_raw_bytes_is_unsolicited_and_a_command_after_them_is_told() -> None:
    engine = Engine()
    engine.echo = True
    engine.raw_written(b"AT+CSQ\r", 0.0)
    delivered = [o for o in engine.feed(_rx(b"AT+CSQ\r"), 0.1) if isinstance(o, Deliver)]
    assert [d.role for d in delivered] == [Role.ECHO] and delivered[0].command_id is None
    for line in (b"\r\n+CSQ: 24,99\r\n", b"\r\nOK\r\n"):
        out = [o for o in engine.feed(_rx(line), 0.2) if isinstance(o, Deliver)]
        assert out[0].role is Role.URC and out[0].command_id is None
    # Bytes without a line ending: the module holds them as the start of its next line.
    engine.raw_written(b"+++", 1.0)
    pending = engine.new(c.at())
    engine.start(pending, 2.0)
    assert pending.after_raw == b"+++"
    engine.feed(_rx(b"\r\nERROR\r\n"), 2.1)
    assert pending.result.outcome is Outcome.ERROR
    assert "'+++'" in pending.result.detail and "start of this line" in pending.result.detail
    # No raw bytes while a command holds the line.
    engine.start(engine.new(c.at()), 3.0)
    with pytest.raises(RuntimeError):
        engine.raw_written(b"x", 3.1)


# -- the console over sim:// --------------------------------------------------------------------


@pytest.fixture
def captured(tmp_path: Path) -> Iterator[tuple[QitermApp, Path]]:
    name, url = sim_url()
    path = tmp_path / "raw.jsonl"
    capture = CaptureRecorder(path, url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0)
    try:
        yield app, path
    finally:
        registry.destroy(name)


async def test_a_slash_plus_and_raw_lines_go_out_from_the_command_line(
    captured: tuple[QitermApp, Path],
) -> None:
    app, path = captured
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        # A/ before any line of one's own: said, nothing sent.
        await command(pilot, "A/")
        await until(pilot, lambda: any("A/: not sent" in t for t in log_texts(app)))
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: app.session.last_line == "AT+CSQ")
        await command(pilot, "A/")
        await until(pilot, lambda: sum(t == "AT+CSQ" for t in _sent(app)) == 2)
        # The field is marked raw while a raw line is typed.
        cmdline = app.query_one(CommandLine)
        cmdline.input.value = "!raw AT+CGMR"
        await pilot.pause()
        assert cmdline.has_class("-raw")
        await pilot.press("enter")
        await until(pilot, lambda: not cmdline.has_class("-raw"))
        await until(pilot, lambda: "[raw] AT+CGMR\\r" in _sent(app))
        await command(pilot, "!hex 41 54 49 0D")
        await until(pilot, lambda: "[raw] ATI\\r" in _sent(app))
        await command(pilot, "+++")
        await until(pilot, lambda: "[raw] +++" in _sent(app))
        # The next command is the tail of "+++AT" for the module: its ERROR says so.
        await command(pilot, "AT")
        await until(pilot, lambda: any("were the start of this line" in t for t in log_texts(app)))
        oks = sum(e.category is Category.OK for e in app.journal.entries)
        await command(pilot, "AT")
        await until(
            pilot, lambda: sum(e.category is Category.OK for e in app.journal.entries) > oks
        )
    records = read_capture(path).records
    raw = [r for r in records if r["type"] == "tx" and r.get("what") == "raw"]
    assert [r["d"] for r in raw] == ["AT+CGMR\r", "ATI\r", "+++"]
    assert all(r.get("cmd") is None and r.get("tag") == "user" for r in raw)
    # What the module said after the raw lines is tied to no command.
    after = records.index(raw[0])
    answers = [r for r in records[after:] if r["type"] == "rx"][:3]
    assert answers[0]["role"] == "echo" and answers[0]["cmd"] is None
    assert {r["role"] for r in answers[1:]} == {"urc"}
    assert "Revision" in answers[1]["d"]
    # A raw send is not a command: the report counts the person's commands only.
    commands = [r for r in records if r["type"] == "tx" and r.get("what") == "command"]
    assert [r["d"] for r in commands if r.get("tag") == "user"] == [
        "AT+CSQ\r",
        "AT+CSQ\r",
        "AT\r",
        "AT\r",
    ]


def _sent(app: QitermApp) -> list[str]:
    return [e.text for e in app.journal.entries if e.direction == "tx"]


# -- socket:// and a real tty -------------------------------------------------------------------


def _raw_round(url: str) -> list[object]:
    seen: list[object] = []
    worker = SerialWorker(url, backoff=(0.2,))
    worker.subscribe(seen.extend)
    worker.start()
    try:
        assert worker.wait_connected(15), worker.status.message
        assert worker.wait_idle(15)
        sent = worker.send_raw(b"AT+CGMR\r", tag="user").result(10)
        assert isinstance(sent, RawResult) and sent.sent
        result = worker.submit(c.at()).result(10)
        assert result.ok  # the raw line's late OK was not taken for this command's
        assert worker.wait_idle(5)
    finally:
        worker.close()
    return seen


def test_raw_bytes_over_socket_url(sim_tcp: str) -> None:
    seen = _raw_round(sim_tcp)
    raw = [e for e in seen if isinstance(e, Tx) and e.what is TxKind.RAW]
    assert [e.data for e in raw] == [b"AT+CGMR\r"]
    after = seen[seen.index(raw[0]) :]
    revision = [e for e in after if isinstance(e, Rx) and b"Revision" in e.event.raw]
    assert revision and revision[0].role is Role.URC and revision[0].command_id is None


def test_raw_bytes_over_a_pty(sim_pty: str) -> None:
    seen = _raw_round(sim_pty)
    raw = [e for e in seen if isinstance(e, Tx) and e.what is TxKind.RAW]
    assert [e.data for e in raw] == [b"AT+CGMR\r"]
    urcs = [e for e in seen[seen.index(raw[0]) :] if isinstance(e, Rx) and e.role is Role.URC]
    assert any(b"Revision" in e.event.raw for e in urcs)
