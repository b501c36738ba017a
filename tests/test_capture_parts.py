"""The capture in numbered parts (a size limit) and what it keeps of the polling.

Rotation: every record is in exactly one part, seq goes on across the parts with
no gap, each part opens with a header naming its part of the same session, no
file passes the limit, and the reader, the viewer's source, export and replay read
the parts as one session from any part. A part that cannot be created is a failed
write (counted, said, retried), never a traceback. The polling: under ``changes``
a poll is kept only when its answer differs from the one before; ``all`` keeps
every poll and ``none`` none; the header says which, and the report says so.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.capture import format as fmt
from app.capture.export import report_string
from app.capture.reader import capture_parts, iter_records, read_capture
from app.capture.recorder import CaptureRecorder
from app.capture.report import ReportOptions
from app.capture.source import CaptureSource
from app.cli import main
from app.config.profile import parse_profile
from app.config.size import DEFAULT_CAPTURE_MAX_SIZE, parse_capture_size
from app.link.results import CommandFinished, CommandResult, Outcome, Role, Rx, Tx, TxKind
from app.protocol import commands as c
from app.protocol.parse import parse_line

URL = "sim://"
LIMIT = 4_000


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def write_notes(path: Path, count: int, *, max_size: int | None = LIMIT) -> CaptureRecorder:
    rec = CaptureRecorder(path, url=URL, baud=115200, max_size=max_size)
    for n in range(count):
        rec.note(f"note {n:04d} " + "x" * 60)
    rec.close()
    return rec


# -- rotation ------------------------------------------------------------------------


def test_parts_hold_every_record_once_with_seq_going_on(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = write_notes(path, 300)
    parts = rec.parts
    assert len(parts) > 3
    assert parts[1] == tmp_path / "s.1.jsonl" and parts[2] == tmp_path / "s.2.jsonl"
    assert capture_parts(path) == parts
    first_header = lines_of(path)[0]
    seqs: list[int] = []
    notes: list[str] = []
    for number, part in enumerate(parts):
        assert part.stat().st_size <= LIMIT
        assert (part.stat().st_mode & 0o777) == 0o600
        records = lines_of(part)
        header = records[0]
        assert header["type"] == "header"
        assert header["started"] == first_header["started"]
        assert header.get("part", 0) == number
        assert header["max_size"] == LIMIT
        assert len(records) > 1  # never a part with its header alone
        seqs += [int(str(r["seq"])) for r in records]
        notes += [str(r["text"]) for r in records if r["type"] == "note"]
    assert seqs == list(range(len(seqs)))
    assert notes == [f"note {n:04d} " + "x" * 60 for n in range(300)]
    assert rec.complete and "more part(s)" in rec.summary()


def test_any_part_reads_as_the_whole_session(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = write_notes(path, 200)
    whole = read_capture(path)
    texts = [r["text"] for r in whole.records]
    assert texts == [f"note {n:04d} " + "x" * 60 for n in range(200)]
    assert whole.header.get("part") is None and not whole.problems and not whole.torn
    from_middle = read_capture(rec.parts[2])
    assert from_middle.header == whole.header
    assert [r["seq"] for r in from_middle.records] == [r["seq"] for r in whole.records]
    streamed = list(iter_records(rec.parts[-1]))
    assert len(streamed) == len(whole.records) + 1


def test_a_missing_first_part_is_said_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = write_notes(path, 200)
    path.unlink()
    capture = read_capture(rec.parts[1])
    assert capture.records and capture.records[0]["text"] != "note 0000 " + "x" * 60
    assert any("missing" in p for p in capture.problems)


def test_a_part_of_another_session_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_notes(path, 10, max_size=None)
    stray = tmp_path / "other.jsonl"
    other = write_notes(stray, 200)
    os.replace(other.parts[1], tmp_path / "s.1.jsonl")  # same name, another session
    assert capture_parts(path) == [path]
    assert len(read_capture(path).records) == 10


def test_viewer_source_and_export_read_all_parts(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = write_notes(path, 250)
    source = CaptureSource(rec.parts[1], checkpoint_every=7)
    entries = [e for batch in source.load(batch=50) for e in batch]
    assert source.parts == rec.parts
    assert source.records == 250 and not source.torn and source.bad_lines == 0
    texts = [e.text for e in entries]
    assert sum(1 for t in texts if "note 0000 " in t) == 1
    assert sum(1 for t in texts if "note 0249 " in t) == 1
    # The state at a record in the last part is read back across the parts.
    last_seq = read_capture(path).records[-1]["seq"]
    assert source.state_at(last_seq) is not None
    from app.viewer.app import capture_text

    assert f"+{len(rec.parts) - 1} part(s)" in capture_text(source).plain
    limited = CaptureSource(path, limit=100)
    list(limited.load())
    assert limited.records == 100 and limited.more == 250

    text = report_string(path, "text", ReportOptions())
    assert "note 0000" in text and "note 0249" in text
    jsonl = report_string(rec.parts[-1], "jsonl", ReportOptions())
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert records[0]["type"] == "header" and len(records) == 251
    assert [r["seq"] for r in records[1:]] == [r["seq"] for r in read_capture(path).records]


def test_export_never_writes_over_a_part(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = write_notes(path, 200)
    before = rec.parts[1].read_bytes()
    result = CliRunner().invoke(main, ["export", str(path), "-o", str(rec.parts[1])])
    assert result.exit_code == 2
    assert "itself" in result.output
    assert rec.parts[1].read_bytes() == before


def test_a_part_that_cannot_be_created_is_a_failed_write(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    (tmp_path / "s.1.jsonl").mkdir()  # the next part's name is taken: it cannot be created
    rec = CaptureRecorder(path, url=URL, baud=115200, max_size=LIMIT)
    written = 0
    while not rec.problem:
        rec.note(f"note {written:04d} " + "x" * 60)
        written += 1
        assert written < 200, "the first part never filled"
    assert rec.lost == 1 and "not recording" in rec.problem
    for n in range(5):
        rec.note(f"lost {n}")  # each one tries the part again
    assert rec.lost == 6 and not rec.complete
    (tmp_path / "s.1.jsonl").rmdir()
    rec.note("after")
    rec.close()
    assert rec.problem == "" and rec.parts[1] == tmp_path / "s.1.jsonl"
    assert "INCOMPLETE" in rec.summary() and "6 record(s)" in rec.summary()
    capture = read_capture(path)
    texts = [str(r.get("text")) for r in capture.records]
    assert texts[-2].startswith("capture: 6 records missing here")
    assert texts[-1] == "after"
    seqs = [r["seq"] for r in lines_of(path) + lines_of(rec.parts[1])]
    assert seqs == list(range(len(seqs)))


def test_a_part_whose_header_cannot_be_written_is_removed_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.jsonl"
    rec = CaptureRecorder(path, url=URL, baud=115200, max_size=LIMIT)
    real_fdopen = os.fdopen
    failing = {"on": True}

    class FullDisk:
        def __init__(self, fd: int) -> None:
            self.file = real_fdopen(fd, "wb", buffering=0)

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            self.file.close()

    def fdopen(fd: int, *args: object, **kwargs: object) -> object:
        if failing["on"]:
            return FullDisk(fd)
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("app.capture.recorder.os.fdopen", fdopen)
    n = 0
    while not rec.problem:
        rec.note(f"note {n} " + "x" * 60)
        n += 1
    assert not (tmp_path / "s.1.jsonl").exists()  # the half-made part is gone
    assert "No space left" in rec.problem
    failing["on"] = False
    rec.note("again")
    rec.close()
    assert rec.lost == 1 and len(rec.parts) == 2
    assert read_capture(path).records[-1]["text"] == "again"


def test_no_limit_means_one_file(tmp_path: Path) -> None:
    rec = write_notes(tmp_path / "s.jsonl", 200, max_size=None)
    assert rec.parts == [tmp_path / "s.jsonl"]
    assert "max_size" not in lines_of(tmp_path / "s.jsonl")[0]


# -- the polling -----------------------------------------------------------------------


class Poller:
    """Link events of polls and other traffic, as the worker hands them to a recorder."""

    def __init__(self, rec: CaptureRecorder) -> None:
        self.rec = rec
        self.pid = 0

    def poll(self, answer: list[bytes], tag: str = "poll", final: bytes = b"OK") -> None:
        self.pid += 1
        command = c.qistate_read()
        now, mono = time.time(), time.monotonic()
        self.rec.record(Tx(b"AT+QISTATE?\r", TxKind.COMMAND, self.pid, mono, now, tag))
        self.rec.record(Rx(parse_line(b"AT+QISTATE?"), Role.ECHO, self.pid, mono, now, tag))
        for line in answer:
            self.rec.record(Rx(parse_line(line), Role.RESPONSE, self.pid, mono, now, tag))
        self.rec.record(Rx(parse_line(final), Role.FINAL, self.pid, mono, now, tag))
        outcome = Outcome.OK if final == b"OK" else Outcome.ERROR
        result = CommandResult(command, outcome, command_id=self.pid, tag=tag)
        self.rec.record(CommandFinished(result))

    def urc(self, line: bytes) -> None:
        self.rec.record(Rx(parse_line(line), Role.URC, None, time.monotonic(), time.time()))


SOCKET = b'+QISTATE: 0,"TCP","127.0.0.1",7,0,2,1,0'


def polls_in(path: Path) -> list[tuple[str, ...]]:
    """Each poll in the capture: its answer lines (what came between echo and OK)."""
    out: list[tuple[str, ...]] = []
    current: list[str] = []
    for record in read_capture(path).records:
        if record.get("tag") != "poll":
            continue
        if record["type"] == "tx":
            current = []
        elif record["type"] == "rx" and record["role"] == "response":
            current.append(str(record["d"]).strip())
        elif record["type"] == "result":
            out.append(tuple(current))
    return out


def test_changes_keeps_a_poll_only_when_its_answer_changed(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with CaptureRecorder(path, url=URL, baud=115200, polls="changes") as rec:
        polls = Poller(rec)
        for _ in range(5):
            polls.poll([])
        for _ in range(3):
            polls.poll([SOCKET])
        polls.poll([])
        polls.poll([])
    assert polls_in(path) == [(), (SOCKET.decode(),), ()]
    assert rec.polls_left_out == 7
    header = read_capture(path).header
    assert header["polls"] == "changes"
    tx = [r for r in read_capture(path).records if r["type"] == "tx"]
    # Each kept poll says how many of the same command were left out since the last kept.
    assert [r.get("folded") for r in tx] == [None, 4, 2]
    seqs = [r["seq"] for r in lines_of(path)]
    assert seqs == list(range(len(seqs)))


def test_a_poll_cut_by_other_traffic_is_written_in_order(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with CaptureRecorder(path, url=URL, baud=115200, polls="changes") as rec:
        polls = Poller(rec)
        polls.poll([])
        # The same answer again, but a URC comes in the middle: kept, in order.
        pid = polls.pid + 1
        polls.pid = pid
        now, mono = time.time(), time.monotonic()
        rec.record(Tx(b"AT+QISTATE?\r", TxKind.COMMAND, pid, mono, now, "poll"))
        rec.record(Rx(parse_line(b"AT+QISTATE?"), Role.ECHO, pid, mono, now, "poll"))
        polls.urc(b'+QIURC: "closed",0')
        rec.record(Rx(parse_line(b"OK"), Role.FINAL, pid, mono, now, "poll"))
        result = CommandResult(c.qistate_read(), Outcome.OK, command_id=pid, tag="poll")
        rec.record(CommandFinished(result))
        note = rec.note("a person's note")
        polls.poll([])  # the same as the one before it: left out
    kinds = [(r["type"], r.get("tag")) for r in read_capture(path).records]
    assert kinds[-6:] == [
        ("tx", "poll"),
        ("rx", "poll"),
        ("rx", None),  # the URC, after the poll that went out before it
        ("rx", "poll"),
        ("result", "poll"),
        ("note", None),
    ]
    assert note == read_capture(path).records[-1]["seq"]


def test_all_keeps_every_poll_and_none_keeps_none(tmp_path: Path) -> None:
    for policy, expected in (("all", 6), ("none", 0)):
        path = tmp_path / f"{policy}.jsonl"
        with CaptureRecorder(path, url=URL, baud=115200, polls=policy) as rec:
            polls = Poller(rec)
            for _ in range(3):
                polls.poll([])
            polls.poll([], tag="module")
            polls.poll([SOCKET])
            polls.urc(b'+QIURC: "closed",0')
            polls.poll([SOCKET])
            rec.record(Tx(b"AT\r", TxKind.COMMAND, 99, time.monotonic(), time.time(), "user"))
        capture = read_capture(path)
        assert capture.header["polls"] == policy
        results = [r for r in capture.records if r["type"] == "result"]
        assert len(results) == expected
        assert [r["type"] for r in capture.records][-1] == "tx"  # the user's command is kept
        assert any(
            r.get("kind") == "qiurc_closed" or "closed" in str(r.get("d")) for r in capture.records
        )
        assert rec.polls_left_out == (6 if policy == "none" else 0)


def test_a_poll_held_at_close_is_written(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with CaptureRecorder(path, url=URL, baud=115200, polls="changes") as rec:
        rec.record(Tx(b"AT+QISTATE?\r", TxKind.COMMAND, 1, time.monotonic(), time.time(), "poll"))
    assert [r["type"] for r in read_capture(path).records] == ["tx"]


def test_an_unknown_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="polls"):
        CaptureRecorder(tmp_path / "p.jsonl", url=URL, baud=115200, polls="some")
    assert not (tmp_path / "p.jsonl").exists()


def test_the_report_says_how_the_polling_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with CaptureRecorder(path, url=URL, baud=115200, polls="changes") as rec:
        polls = Poller(rec)
        for _ in range(4):
            polls.poll([])
        polls.poll([SOCKET])
    text = report_string(path, "text", ReportOptions())
    assert "folded when recorded" in text and "3 repeated answers left out" in text
    assert "1 command of polling" in text or "polling" in text
    kept = report_string(path, "text", ReportOptions(keep_all=True))
    assert SOCKET.decode() in kept
    none = tmp_path / "none.jsonl"
    with CaptureRecorder(none, url=URL, baud=115200, polls="none") as rec:
        Poller(rec).poll([])
    assert "omitted when recorded" in report_string(none, "text", ReportOptions())
    plain = tmp_path / "all.jsonl"
    with CaptureRecorder(plain, url=URL, baud=115200, polls="all") as rec:
        Poller(rec).poll([])
    assert "when recorded" not in report_string(plain, "text", ReportOptions())


# -- the settings ------------------------------------------------------------------------


def test_sizes_read_as_people_write_them() -> None:
    # The same units as --log-memory: K, M, G are 1024, 1024², 1024³ bytes.
    assert parse_capture_size("100M") == 100 * 1024 * 1024
    assert parse_capture_size("1.5G") == 1536 * 1024 * 1024
    assert parse_capture_size("512K") == 512 * 1024
    assert parse_capture_size("64KiB") == 65_536
    assert parse_capture_size("200000") == 200_000
    assert parse_capture_size(200_000) == 200_000
    assert parse_capture_size("off") is None and parse_capture_size("0") is None
    for bad in ("", "x", "10Q", "-5M"):
        with pytest.raises(ValueError, match="not a size"):
            parse_capture_size(bad)
    with pytest.raises(ValueError, match="too small"):
        parse_capture_size("1K")


def test_profile_keys_for_the_capture() -> None:
    loaded = parse_profile('capture_max_size = "10M"\ncapture_polls = "ALL"\n')
    assert not loaded.problems
    assert loaded.profile.capture_max_size == 10 * 1024 * 1024
    assert loaded.profile.capture_polls == "all"
    assert parse_profile('capture_max_size = "off"').profile.capture_max_size == 0
    bad = parse_profile('capture_max_size = "huge"\ncapture_polls = "some"\n')
    assert len(bad.problems) == 2
    assert bad.profile.capture_max_size == DEFAULT_CAPTURE_MAX_SIZE
    assert bad.profile.capture_polls == "changes"
    assert all("expected" in p for p in bad.problems)


def test_the_console_takes_the_flags_over_the_profile(tmp_path: Path) -> None:
    from app.console.launch import prepare_console

    profile = tmp_path / "p.toml"
    profile.write_text('capture_max_size = "1M"\ncapture_polls = "none"\n')
    cases: tuple[tuple[dict[str, Any], int | None, str], ...] = (
        ({}, 1024 * 1024, "none"),
        ({"capture_max_size": 0, "capture_polls": "all"}, None, "all"),
        ({"capture_max_size": 200_000}, 200_000, "none"),
    )
    for n, (flags, size, polls) in enumerate(cases):
        console = prepare_console(
            port=URL,
            baud=None,
            log_path=str(tmp_path / f"c{n}.jsonl"),
            peers=False,
            profile=str(profile),
            **flags,
        )
        assert console is not None and console.capture is not None
        try:
            assert console.capture.max_size == size
            assert console.capture.polls == polls
            header = read_capture(tmp_path / f"c{n}.jsonl").header
            assert header["polls"] == polls and header.get("max_size") == size
        finally:
            console.capture.close()
            console.close()


def test_a_bad_size_flag_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["console", "--capture-max-size", "lots", "-p", URL])
    assert result.exit_code == 2
    assert "--capture-max-size" in result.output and "a size such as" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_format_names_the_parts() -> None:
    first = Path("/tmp/x.jsonl")
    assert fmt.part_path(first, 0) == first
    assert fmt.part_path(first, 3) == Path("/tmp/x.3.jsonl")
    assert fmt.first_part(Path("/tmp/x.3.jsonl"), 3) == first
    assert fmt.first_part(Path("/tmp/x.3.jsonl"), 2) is None
    assert fmt.first_part(fmt.part_path(Path("/tmp/x"), 2), 2) == Path("/tmp/x")


def test_replay_reads_a_session_in_parts(tmp_path: Path) -> None:
    """``qiterm sim --replay`` plays every part: the recorded answers of all of them."""
    from app.playback.script import load

    path = tmp_path / "s.jsonl"
    with CaptureRecorder(path, url=URL, baud=115200, max_size=LIMIT, polls="all") as rec:
        polls = Poller(rec)
        for n in range(40):
            polls.poll([SOCKET] if n % 2 else [])
    assert len(rec.parts) > 2
    whole, later = load(path), load(rec.parts[-1])
    assert len(whole.steps) == len(later.steps) >= 40
    assert not whole.problems
