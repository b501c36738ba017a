"""The capture: recorder (JSON Lines from the worker thread), reader, exporters."""

from __future__ import annotations

import errno
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import platformdirs
import pytest

import app
from app.capture import format as capfmt
from app.capture.export import export_main, report_string
from app.capture.reader import (
    CaptureError,
    iter_records,
    read_capture,
    record_bytes,
    rx_stream,
    tx_stream,
)
from app.capture.recorder import CaptureRecorder, default_capture_path
from app.link.results import ModuleIdentity, Role, Rx, Tx, TxKind
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.codes import describe
from tests.capture_child import urc as flood_urc
from tests.fakeport import PortFactory, ScriptedPort

ROOT = Path(__file__).resolve().parent.parent
URL = "fake://bench"
BAUD = 115200

QIOPEN = 'AT+QIOPEN=0,0,"TCP","127.0.0.1",8062,0,1'
#: A recv payload with everything that breaks line-based logs: CR, LF, quotes,
#: commas, a non-UTF-8 byte, and HTML that must not reach an export unescaped.
ODD_PAYLOAD = b'<script>alert("x")</script> & \r\n"q",\xff'
ODD_URC = b'\r\n+QIURC: "recv",0,%d,"%s"\r\n' % (len(ODD_PAYLOAD), ODD_PAYLOAD)
SENT_PAYLOAD = b'say "hi"\r\n'


class RecordingPort(ScriptedPort):
    """A ScriptedPort that keeps every byte the 'module' emitted, in order."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.emitted = bytearray()

    def inject(self, data: bytes) -> None:
        with self._cv:  # the same (re-entrant) lock as the receive buffer: same order
            self.emitted += data
            super().inject(data)


def module_port() -> RecordingPort:
    return RecordingPort(
        {
            r"AT": b"\r\nOK\r\n",
            r"ATI": b"\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\nRevision: BC660KGLAAR01A05\r\n"
            b"\r\nOK\r\n",
            r"AT\+QIOPEN=.*": b"\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n",
            r"AT\+QISEND=\d": b"\r\n> ",
            r"AT\+BAD": b"\r\n+CME ERROR: 552\r\n",
        }
    )


def wait_until(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("condition not met in time")


class Session:
    def __init__(self, path: Path, port: RecordingPort, note_seq: int, marker_n: int) -> None:
        self.path = path
        self.port = port
        self.note_seq = note_seq
        self.marker_n = marker_n
        self.wall = (0.0, 0.0)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A whole recorded session over a scripted port (shared by several tests)."""
    path = tmp_path_factory.mktemp("cap") / "sub" / "dir" / "session.jsonl"
    port = module_port()
    start_wall = time.time()
    recorder = CaptureRecorder(path, url=URL, baud=BAUD, make_folder=True)
    worker = SerialWorker(
        URL,
        BAUD,
        recorder=recorder,
        port_factory=PortFactory(lambda: port),
        init=False,
        reconnect=False,
        backoff=(0.1,),
    )
    worker.start()
    try:
        assert worker.wait_connected(3)
        assert worker.submit(c.ati()).result(3).ok
        # (init=False skips the worker's own ATI parsing; record what it would.)
        recorder.record(ModuleIdentity("Quectel_Ltd Quectel_BC660K-GL", "BC660KGLAAR01A05"))
        assert worker.submit(QIOPEN).result(3).ok
        note_seq = recorder.note("socket 0 is open", ref=recorder.last_seq)
        port.inject(ODD_URC)
        wait_until(lambda: any(r.get("kind") == "urc.recv" for r in _lines(path)))
        cmd = c.qisend(0, SENT_PAYLOAD, hex_format=False, mode=c.SendMode.VARIABLE)
        assert worker.submit(cmd).result(3).ok
        marker_n = recorder.marker("errors next")
        assert worker.submit("AT+NOPE").result(3).outcome.value == "error"
        assert worker.submit("AT+BAD").result(3).outcome.value == "error"
    finally:
        worker.close()
        recorder.close()
    s = Session(path, port, note_seq, marker_n)
    s.wall = (start_wall, time.time())
    yield s


def _lines(path: Path) -> list[dict]:
    out = []
    for line in path.read_bytes().split(b"\n"):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


# --- the recorded session ------------------------------------------------------------


def test_every_byte_in_both_directions_is_recorded(session: Session) -> None:
    cap = read_capture(session.path)
    assert not cap.torn and cap.problems == []
    assert rx_stream(cap) == bytes(session.port.emitted)
    assert tx_stream(cap) == bytes(session.port.written)
    # The odd URC is one rx record of its own, stored as hex (it is not UTF-8).
    recv = [r for r in cap.records if r["type"] == "rx" and r["kind"] == "urc.recv"]
    assert len(recv) == 1 and "x" in recv[0] and "d" not in recv[0]
    assert record_bytes(recv[0]) == ODD_URC
    assert recv[0]["role"] == "urc" and recv[0]["cmd"] is None
    # The data-mode send: command, payload, Ctrl-Z as three tx records.
    whats = [(r["what"], record_bytes(r)) for r in cap.records if r["type"] == "tx"]
    assert ("command", b"AT+QISEND=0\r") in whats
    assert ("payload", SENT_PAYLOAD) in whats
    assert ("ctrl_z", b"\x1a") in whats
    assert whats.index(("payload", SENT_PAYLOAD)) + 1 == whats.index(("ctrl_z", b"\x1a"))


def test_records_are_numbered_timestamped_and_typed(session: Session) -> None:
    cap = read_capture(session.path)
    h = cap.header
    assert h["seq"] == 0 and h["type"] == "header"
    assert h["format"] == "qiterm-capture" and h["version"] == 1
    assert h["qiterm"] == app.__version__ and h["url"] == URL and h["baud"] == BAUD
    assert datetime.fromisoformat(h["started"].replace("Z", "+00:00")).tzinfo is not None
    assert set(h) == {
        "seq",
        "type",
        "t",
        "m",
        "format",
        "version",
        "qiterm",
        "url",
        "baud",
        "started",
        "polls",
    }
    assert h["polls"] == "all"  # the recorder's own default (the console's is "changes")
    seqs = [r["seq"] for r in cap.records]
    assert seqs == list(range(1, len(cap.records) + 1))
    lo, hi = (int(w * 1e6) for w in session.wall)
    for rec in (h, *cap.records):
        assert isinstance(rec["t"], int) and isinstance(rec["m"], int)
        assert lo - 1000 <= rec["t"] <= hi + 1000
        assert rec["type"] in capfmt.RECORD_TYPES
    # Everything from the worker thread is in monotonic order.
    worker_m = [r["m"] for r in cap.records if r["type"] not in ("note", "marker", "identity")]
    assert worker_m == sorted(worker_m)
    types = {r["type"] for r in cap.records}
    assert {"rx", "tx", "link", "datamode", "result", "identity", "note", "marker"} <= types


def test_rx_tx_and_result_fields(session: Session) -> None:
    cap = read_capture(session.path)
    results = [r for r in cap.records if r["type"] == "result"]
    by_line = {r["line"]: r for r in results}
    assert by_line[QIOPEN]["outcome"] == "ok" and by_line[QIOPEN]["code"] == 0
    assert by_line["AT+NOPE"]["outcome"] == "error" and by_line["AT+NOPE"]["code"] is None
    assert by_line["AT+BAD"]["code"] == 552
    assert "552" in by_line["AT+BAD"]["message"]
    for r in results:
        assert isinstance(r["cmd"], int) and r["elapsed_ms"] >= 0
    # Rx records name their command; the deferred +QIOPEN is tied back to it.
    deferred = next(r for r in cap.records if r.get("kind") == "deferred.qiopen")
    assert deferred["role"] == "deferred" and deferred["cmd"] == by_line[QIOPEN]["cmd"]
    finals = [r for r in cap.records if r["type"] == "rx" and r["role"] == "final"]
    assert {r["kind"] for r in finals} >= {"ok", "error", "send_ok"}
    modes = [r["active"] for r in cap.records if r["type"] == "datamode"]
    assert modes[:2] == [True, False]
    ident = next(r for r in cap.records if r["type"] == "identity")
    assert ident["revision"] == "BC660KGLAAR01A05"


def test_note_and_marker_land_in_order(session: Session) -> None:
    cap = read_capture(session.path)
    recs = cap.records
    note = next(r for r in recs if r["type"] == "note")
    assert note["seq"] == session.note_seq and note["text"] == "socket 0 is open"
    ref = next(r for r in recs if r["seq"] == note["ref"])
    assert ref["type"] == "result" and ref["line"] == QIOPEN  # the last record before it
    marker = next(r for r in recs if r["type"] == "marker")
    assert marker["n"] == session.marker_n == 1 and marker["text"] == "errors next"
    pos = {id(r): i for i, r in enumerate(recs)}
    qiopen_done = next(r for r in recs if r["type"] == "result" and r["line"] == QIOPEN)
    odd = next(r for r in recs if r.get("kind") == "urc.recv")
    nope_tx = next(r for r in recs if r["type"] == "tx" and record_bytes(r) == b"AT+NOPE\r")
    send_done = next(r for r in recs if r["type"] == "result" and r["line"] == "AT+QISEND=0")
    assert pos[id(qiopen_done)] < pos[id(note)] < pos[id(odd)]
    assert pos[id(send_done)] < pos[id(marker)] < pos[id(nope_tx)]


def test_header_holds_no_environment(session: Session, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QITERM_TEST_SECRET", "s3cr3t-token-do-not-record")
    path = tmp_path / "env.jsonl"
    with CaptureRecorder(path, url=URL, baud=BAUD) as rec:
        rec.note("hello")
    for file in (path, session.path):
        content = file.read_text("utf-8")
        leaked = [v for v in os.environ.values() if len(v) > 8 and v not in URL and v in content]
        assert leaked == [], f"environment values in {file.name}"
    header = json.loads(path.read_bytes().split(b"\n")[0])
    assert set(header) == {
        "seq",
        "type",
        "t",
        "m",
        "format",
        "version",
        "qiterm",
        "url",
        "baud",
        "started",
        "polls",
    }


def test_url_password_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "pw.jsonl"
    with CaptureRecorder(path, url="rfc2217://me:hunter22@10.0.0.9:4000", baud=9600):
        pass
    content = path.read_text()
    assert "hunter22" not in content and "me:***@10.0.0.9:4000" in content


# --- exporters ---------------------------------------------------------------------


#: The odd payload as the log shows it: quoted, odd bytes escaped.
ODD_SHOWN = '"<script>alert("x")</script> & \\r\\n"q",\\xff"'
#: A transcript line: the group's gutter, time since the start, mark, the line.
LINE = re.compile(r"^[┌│└╶ ] \+\s*(\d+\.\d{3})s ([→↩←⇐¶·]) (.*?)(?:  \[\d+\.\d ms\])?$")


def test_text_export_reads_like_the_spec(session: Session) -> None:
    text = report_string(session.path, "text")
    lines = text.splitlines()
    # The header: what a reader asks first.
    assert lines[0] == f"qiterm report: {session.path.name}"
    assert re.search(rf"^Port +{re.escape(URL)} at {BAUD} baud$", text, re.M)
    assert re.search(r"^Module +Quectel_Ltd Quectel_BC660K-GL$", text, re.M)
    assert re.search(r"^Firmware +BC660KGLAAR01A05$", text, re.M)
    assert re.search(r"^Started +\d{4}-\d\d-\d\d ", text, re.M)
    body = [m for m in map(LINE.match, text.split("\nTranscript\n", 1)[1].splitlines()) if m]
    assert body and body[0].group(1).startswith("0.0")
    content = [(m.group(2), m.group(3)) for m in body]
    for expected in (
        ("→", QIOPEN),
        ("←", "OK"),
        ("←", "+QIOPEN: 0,0"),
        ("→", "ATI"),
        ("←", "Quectel_BC660K-GL"),
        ("←", "Revision: BC660KGLAAR01A05"),
        ("→", "AT+QISEND=0"),
        ("←", ">"),
        ("→", 'say "hi"\\r\\n'),
        ("→", "<Ctrl-Z>"),
        ("←", "SEND OK"),
        ("→", "AT+NOPE"),
        ("←", "ERROR"),
        ("←", f"+CME ERROR: 552  ({describe(552)})"),
        ("¶", "// socket 0 is open"),
        ("¶", "── marker 1: errors next ──"),
        ("·", "AT+NOPE: ERROR"),
        ("·", "link connected: connected to fake://bench"),
        ("·", "link closed: closed"),
        ("⇐", f'+QIURC: "recv",0,{len(ODD_PAYLOAD)},{ODD_SHOWN}'),
    ):
        assert expected in content, expected
    # OK results get no line of their own.
    assert not any(arrow == "·" and line.startswith("AT+QIOPEN") for arrow, line in content)
    assert not any(line == "" for _, line in content)  # blank frames are skipped
    # Frames are in order: the command before its OK and its deferred result.
    i = content.index(("→", QIOPEN))
    assert content[i + 1] == ("←", "OK") and content[i + 2] == ("←", "+QIOPEN: 0,0")
    # Relative times never go backwards for worker frames.
    times = [float(m.group(1)) for m in body]
    assert times[0] >= 0 and max(times) < 30


def test_html_export_is_one_coloured_safe_file(session: Session) -> None:
    html = report_string(session.path, "html")
    assert html.lstrip().startswith("<!DOCTYPE html>") and "<html" in html
    assert html.rstrip().endswith("</html>")
    assert "<style>" in html and "--ok: #1a7f37" in html  # inline styles, nothing fetched
    assert "<link" not in html and "<script" not in html
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp;' in html
    assert html.count("<span") == html.count("</span>")
    assert html.count("<div") == html.count("</div>")
    # Kinds get their own colours (classes): OK, ERROR, the recv URC.
    assert '<span class="c-ok">OK</span>' in html
    assert '<span class="c-error">ERROR</span>' in html
    assert re.search(r'<span class="c-recv">\+QIURC: "recv', html)
    # The lines are the text export's, drawn by the same renderer: time, mark.
    assert re.search(r'<span class="ts">\+\s+0\.\d{3}s</span> <span class="mk">→</span>', html)
    assert '<span class="c-error">AT+NOPE: ERROR</span>' in html


def test_jsonl_export_round_trips(session: Session, tmp_path: Path) -> None:
    cap = read_capture(session.path)
    out = tmp_path / "copy.jsonl"
    out.write_text(report_string(session.path, "jsonl"), "utf-8")
    again = read_capture(out)
    assert again.header == cap.header and again.records == cap.records
    assert rx_stream(again) == rx_stream(cap) and not again.torn


# --- reading damaged captures ---------------------------------------------------------


def small_capture(path: Path) -> None:
    with CaptureRecorder(path, url="loop://", baud=9600) as rec:
        rec.record(Tx(b"AT\r", TxKind.COMMAND, 1, time.monotonic(), time.time()))
        rec.record(
            Rx(ev.Ok(raw=b"\r\nOK\r\n", line=b"OK"), Role.FINAL, 1, time.monotonic(), time.time())
        )
        rec.note("ünïcode note\nsecond line")
        rec.marker()
        rec.record(
            Rx(
                ev.OverlongLine(raw=b"\x80abc", line=b"\x80abc", truncated=True),
                Role.URC,
                None,
                time.monotonic(),
                time.time(),
            )
        )


def test_torn_last_line_is_skipped_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    small_capture(path)
    whole = read_capture(path)
    assert len(whole.records) == 5 and not whole.torn
    assert whole.records[-1]["flags"] == ["truncated"]
    with open(path, "ab") as fh:
        fh.write(b'{"seq":6,"type":"rx","t":1,"m":2,"kind":"ok","d":"\\r\\nO')
    cap = read_capture(path)
    assert cap.torn and cap.problems == []
    assert cap.records == whole.records
    problems: list[str] = []
    assert list(iter_records(path, problems=problems)) == [whole.header, *whole.records]
    assert problems == ["line 7: torn"]


def test_a_bad_line_in_the_middle_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    small_capture(path)
    lines = path.read_bytes().split(b"\n")
    lines.insert(3, b"\x00garbage{")
    lines.insert(5, b"[1, 2]")
    path.write_bytes(b"\n".join(lines))
    cap = read_capture(path)
    assert not cap.torn
    assert cap.problems == ["line 4: not JSON", "line 6: not a JSON object"]
    assert [r["seq"] for r in cap.records] == [1, 2, 3, 4, 5]


def test_a_capture_cut_at_any_byte_reads_as_a_prefix(tmp_path: Path) -> None:
    """What kill -9 can leave: the file cut anywhere. The reader never fails
    after the header and returns exactly the complete records."""
    path = tmp_path / "full.jsonl"
    small_capture(path)
    data = path.read_bytes()
    full = read_capture(path)
    header_end = data.index(b"\n") + 1
    cut_path = tmp_path / "cut.jsonl"
    for cut in range(1, len(data)):
        cut_path.write_bytes(data[:cut])
        if cut < header_end - 1:
            with pytest.raises(CaptureError):
                read_capture(cut_path)
            continue
        cap = read_capture(cut_path)
        complete = max(0, data[:cut].count(b"\n") - 1)  # whole records after the header
        assert cap.records[:complete] == full.records[:complete]
        assert len(cap.records) in (complete, complete + 1)  # +1: all but its "\n"
        tail = data[header_end:cut].rpartition(b"\n")[2]  # the last, unfinished line
        assert cap.torn == (tail != b"" and len(cap.records) == complete)
        assert cap.problems == []


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty file"),
        (b"hello world\nmore\n", "not JSON"),
        (b'{"seq":0,"type":"rx"}\n', "no qiterm-capture header"),
        (b"\n\n", "first line is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not JSON"),
    ],
)
def test_not_a_capture(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "other.txt"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match="not a qiterm capture") as info:
        read_capture(path)
    assert why in str(info.value) and str(path) in str(info.value)


def test_a_newer_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v2.jsonl"
    path.write_text('{"seq":0,"type":"header","t":0,"m":0,"format":"qiterm-capture","version":2}\n')
    with pytest.raises(CaptureError, match="version 2 is not supported"):
        read_capture(path)


# --- recorder behaviour ------------------------------------------------------------


def test_recorder_counters_listeners_and_close(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    seen: list[dict] = []

    def bad_listener(record: dict) -> None:
        raise RuntimeError("listener bug")

    rec = CaptureRecorder(path, url=URL, baud=BAUD)
    assert rec.records_written == 1 and rec.last_seq == 0 and rec.path == path
    remove = rec.add_listener(seen.append)
    rec.add_listener(bad_listener)
    assert rec.note("a") == 1
    assert path.read_bytes().endswith(b'"text":"a"}\n')  # on disk at once, not buffered
    assert rec.marker("m1") == 1 and rec.marker() == 2
    assert rec.screenshot(tmp_path / "shot.svg") == 4
    remove()
    rec.note("unseen")
    assert [r["type"] for r in seen] == ["note", "marker", "marker", "screenshot"]
    assert seen[1] == {**seen[1], "n": 1, "text": "m1"} and "text" not in seen[2]
    assert rec.records_written == 6 and rec.last_seq == 5
    rec.close()
    rec.close()
    rec.record(Tx(b"AT\r", TxKind.COMMAND, 1, 0.0, 0.0))  # after close: ignored
    with pytest.raises(ValueError, match="closed"):
        rec.note("too late")
    cap = read_capture(path)
    assert [r["seq"] for r in cap.records] == [1, 2, 3, 4, 5]
    assert cap.records[3]["path"] == str(tmp_path / "shot.svg")
    assert (path.stat().st_mode & 0o777) == 0o600 or os.name == "nt"


def test_concurrent_notes_and_records_keep_lines_whole(tmp_path: Path) -> None:
    path = tmp_path / "threads.jsonl"
    rec = CaptureRecorder(path, url=URL, baud=BAUD)
    payload = b"x" * 3000 + b"\xff"  # long lines: a torn interleaving would show

    def worker() -> None:
        for i in range(300):
            rec.record(
                Rx(
                    ev.TextLine(raw=payload, line=payload),
                    Role.URC,
                    i,
                    time.monotonic(),
                    time.time(),
                )
            )

    def ui(name: str) -> None:
        for i in range(150):
            rec.note(f"{name} {i}")

    threads = [threading.Thread(target=worker)] + [
        threading.Thread(target=ui, args=(f"ui{n}",)) for n in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    rec.close()
    cap = read_capture(path)
    assert cap.problems == [] and not cap.torn
    assert [r["seq"] for r in cap.records] == list(range(1, 300 + 450 + 1))
    assert all(record_bytes(r) == payload for r in cap.records if r["type"] == "rx")
    assert [r["cmd"] for r in cap.records if r["type"] == "rx"] == list(range(300))


class _FullDisk:
    """Wraps the capture file: the Nth write stores half the line, then ENOSPC."""

    def __init__(self, real, fail_at: int) -> None:
        self.real = real
        self.calls = 0
        self.fail_at = fail_at
        self.failing = False

    def write(self, data) -> int:
        self.calls += 1
        if self.calls == self.fail_at:
            half = bytes(data[: len(data) // 2])
            self.failing = True
            return self.real.write(half)
        if self.failing:
            self.failing = False
            raise OSError(28, "No space left on device")
        return self.real.write(data)

    def close(self) -> None:
        self.real.close()


def test_a_failed_write_is_counted_and_later_records_stay_readable(tmp_path: Path) -> None:
    path = tmp_path / "full.jsonl"
    rec = CaptureRecorder(path, url=URL, baud=BAUD)
    rec.note("before")
    rec._file = _FullDisk(rec._file, fail_at=1)  # type: ignore[assignment]
    assert rec.note("this one is cut") == -1  # not written; never raises to the caller
    assert "No space" in rec.problem and rec.lost == 1 and rec.last_seq == 1
    assert rec.note("after") == 3  # after the note that marks the gap; no seq skipped
    assert rec.problem == "" and not rec.complete
    rec.close()
    cap = read_capture(path)
    assert [r.get("text") for r in cap.records] == [
        "before",
        "capture: 1 record missing here (not written: No space left on device)",
        "after",
    ]
    assert [r["seq"] for r in cap.records] == [1, 2, 3]
    assert len(cap.problems) == 1 and not cap.torn


def test_default_capture_path(monkeypatch, tmp_path: Path) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5)
    path = default_capture_path(when)
    assert path.parent == Path(platformdirs.user_log_dir("qiterm"))
    assert path.name == "qiterm-20240102-030405.jsonl"
    assert re.fullmatch(r"qiterm-\d{8}-\d{6}\.jsonl", default_capture_path().name)
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "logs"))
    first = default_capture_path(when)
    assert first == tmp_path / "logs" / "qiterm-20240102-030405.jsonl"
    CaptureRecorder(first, url=URL, baud=BAUD, make_folder=True).close()  # creates it
    assert first.exists()
    assert default_capture_path(when).name == "qiterm-20240102-030405-2.jsonl"


# --- kill -9 in the middle of a flood ------------------------------------------------


def test_sigkill_mid_flood_loses_at_most_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "flood.jsonl"
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "capture_child.py"), str(path), "200000", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready, "the child did not start"
        assert child.stdout.readline().strip() == b"ready", child.stderr.read()  # type: ignore[union-attr]
        wait_until(lambda: path.stat().st_size > 200_000, timeout=10)
        time.sleep(0.3)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    cap = read_capture(path)
    assert cap.header["url"] == "fake://flood"
    assert cap.problems == []  # at most the last line is damaged
    records = [cap.header, *cap.records]
    assert [r["seq"] for r in records] == list(range(len(records)))  # no hole in seq
    rx = [r for r in cap.records if r["type"] == "rx"]
    assert len(rx) > 1000, "the flood did not reach the file"
    for i, r in enumerate(rx):  # each record a whole URC frame, none missing
        assert r["kind"] == "urc.recv"
        assert record_bytes(r) == flood_urc(i), f"rx record {i}"
    expected = b"".join(flood_urc(i) for i in range(len(rx)))
    assert rx_stream(cap) == expected


# --- qiterm export -----------------------------------------------------------------


def test_export_main_refuses_a_non_capture(tmp_path: Path, capsys) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("just some notes\n")
    assert export_main(str(other), "text", None) == 2
    err = capsys.readouterr().err
    assert f"not a qiterm capture: {other}" in err and "Traceback" not in err
    assert export_main(str(tmp_path / "missing.jsonl"), "text", None) == 2
    assert "cannot read" in capsys.readouterr().err
    assert export_main(str(other), "pdf", None) == 2
    assert "unknown format" in capsys.readouterr().err


def test_export_main_writes_file_or_stdout_and_repairs_torn(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cap.jsonl"
    small_capture(path)
    with open(path, "ab") as fh:
        fh.write(b'{"seq":6,"ty')
    out = tmp_path / "out" / "repaired.jsonl"
    out.parent.mkdir()
    assert export_main(str(path), "jsonl", str(out)) == 0
    assert "cut off (qiterm stopped while writing it)" in capsys.readouterr().err
    fixed = read_capture(out)
    assert not fixed.torn and len(fixed.records) == 5
    assert out.read_bytes().endswith(b"}\n")
    assert export_main(str(path), "text", None) == 0
    captured = capsys.readouterr()
    assert "// ünïcode note" in captured.out and "AT" in captured.out
    assert "⇐ \\x80abc  (line cut at the cap)" in captured.out
    assert export_main(str(path), "html", str(tmp_path / "nodir" / "x.html")) == 1
    assert "cannot write" in capsys.readouterr().err


# --- a full disk ------------------------------------------------------------------------


class FullDisk:
    """Stands in for the capture's file: while ``full``, every write fails with ENOSPC."""

    def __init__(self, real) -> None:
        self.real = real
        self.full = False

    def write(self, data) -> int:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def close(self) -> None:
        self.real.close()


def test_a_full_disk_is_said_counted_and_the_gap_noted_when_it_heals(tmp_path: Path) -> None:
    path = tmp_path / "full.jsonl"
    port = module_port()
    capture = CaptureRecorder(path, url=URL, baud=BAUD)
    disk = FullDisk(capture._file)
    capture._file = disk
    worker = SerialWorker(URL, port_factory=PortFactory(lambda: port), init=False, recorder=capture)
    worker.start()
    try:
        assert worker.wait_connected(3)
        assert worker.submit(c.at()).result(3).ok
        assert capture.problem == "" and capture.summary() == f"session captured in {path}"
        disk.full = True
        assert worker.submit(c.at()).result(3).ok  # the link goes on
        assert "No space left on device" in capture.problem
        assert "records lost" in capture.problem and capture.lost >= 3  # tx, echo-less rx, done
        assert worker.recorder is capture  # still asked to record: it retries every record
        lost = capture.lost
        summary = capture.summary()
        assert "INCOMPLETE" in summary and f"{lost} record(s)" in summary
        assert "still failing" in summary and "No space left" in summary
        disk.full = False
        assert worker.submit(c.at()).result(3).ok
        assert capture.problem == ""
        assert "INCOMPLETE" in capture.summary() and "still failing" not in capture.summary()
    finally:
        worker.close()
        capture.close()
    records = read_capture(path).records
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))  # no hole in seq
    gap = [r for r in records if r["type"] == "note" and "missing here" in r["text"]]
    assert len(gap) == 1 and f"{lost} records missing" in gap[0]["text"]
    assert "No space left on device" in gap[0]["text"]
