"""``qiterm export`` with bad input and dangerous outputs: bad records are skipped
with a warning naming their line, invisible characters never reach an export
raw, the capture is never overwritten, outputs are private and never written
through a symbolic link, and a big capture is never held in memory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from app.capture.export import FORMATS, export_main, report_string
from app.capture.reader import read_capture
from app.model.journal import Category, LogEntry
from app.model.render import render_entry
from bench.capturegen import write_capture

T0 = 1_767_225_600_000_000

#: Characters that reorder or hide text when shown raw.
INVISIBLE = ("\u202e", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\u2028")


def capture_file(path: Path, records: list[dict | str]) -> Path:
    """A capture: a header, then ``records`` with seq and times filled in (a
    string is written as it is, a line that is not a record)."""
    header = {
        "seq": 0,
        "type": "header",
        "t": T0,
        "m": 0,
        "format": "qiterm-capture",
        "version": 1,
        "qiterm": "0.1.0",
        "url": "/dev/ttyUSB0",
        "baud": 115200,
        "started": "2026-01-01T00:00:00.000Z",
    }
    lines = [json.dumps(header)]
    for i, record in enumerate(records, 1):
        if isinstance(record, str):
            lines.append(record)
        else:
            full = {"seq": i, "t": T0 + i * 1000, "m": i * 1000, **record}
            lines.append(json.dumps(full, ensure_ascii=False))
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


def small(path: Path) -> Path:
    return capture_file(
        path,
        [
            {"type": "tx", "what": "command", "cmd": 1, "d": "AT\r", "tag": "user"},
            {"type": "rx", "kind": "echo", "role": "echo", "cmd": 1, "d": "AT\r", "tag": "user"},
            {"type": "rx", "kind": "ok", "role": "final", "cmd": 1, "d": "\r\nOK\r\n"},
            {
                "type": "result",
                "cmd": 1,
                "tag": "user",
                "line": "AT",
                "outcome": "ok",
                "message": "AT: OK",
                "code": None,
                "elapsed_ms": 1.5,
            },
            {"type": "note", "text": "all good"},
        ],
    )


# -- bad records ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_hex_field_is_skipped_with_a_warning_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = capture_file(
        tmp_path / "bad.jsonl",
        [
            {"type": "tx", "what": "command", "cmd": 1, "d": "AT\r"},
            {"type": "rx", "kind": "text", "role": "urc", "cmd": None, "x": "zz"},
            "{not a record",
            {"type": "rx", "kind": "text", "role": "urc", "cmd": None, "x": "0d0a68690d0a"},
        ],
    )
    out = tmp_path / f"out.{fmt}"
    assert export_main(str(path), fmt, str(out)) == 0
    err = capsys.readouterr().err
    assert f'warning: {path}: line 3: its "x" field is not hex (zz); record skipped' in err
    assert "line 4: not JSON; line skipped" in err
    assert "Traceback" not in err
    written = out.read_text("utf-8")
    if fmt == "jsonl":
        kept = [json.loads(line) for line in written.splitlines()]
        assert [r.get("x") for r in kept[1:]] == [None, "0d0a68690d0a"]
    else:
        assert "hi" in written and "line 3" in written  # the header says what was skipped


def test_a_torn_last_line_is_reported_and_the_rest_exported(tmp_path: Path, capsys) -> None:
    path = small(tmp_path / "torn.jsonl")
    with open(path, "ab") as fh:
        fh.write(b'{"seq":6,"ty')
    assert export_main(str(path), "text", str(tmp_path / "out.txt")) == 0
    assert "line 7: cut off (qiterm stopped while writing it); skipped" in capsys.readouterr().err
    assert "// all good" in (tmp_path / "out.txt").read_text()


# -- invisible characters ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bidi_and_invisible_characters_are_never_written_raw(tmp_path: Path, fmt: str) -> None:
    sneaky = "abc\u202edcb\u2066x\u2069\u200by\u200f\ufeffz\u2028w"
    payload = sneaky.encode("utf-8")
    urc = b'\r\n+QIURC: "recv",0,%d,"%s"\r\n' % (len(payload), payload)
    path = capture_file(
        tmp_path / "bidi.jsonl",
        [
            {
                "type": "rx",
                "kind": "urc.recv",
                "role": "urc",
                "cmd": None,
                "d": urc.decode("utf-8"),
            },
            {"type": "rx", "kind": "text", "role": "urc", "cmd": None, "d": f"\r\n{sneaky}\r\n"},
            {"type": "note", "text": f"look: {sneaky}"},
            {"type": "marker", "n": 1, "text": sneaky},
            {"type": "tx", "what": "command", "cmd": 2, "d": f"AT+X={sneaky}\r"},
        ],
    )
    written = report_string(path, fmt)
    for ch in INVISIBLE:
        assert ch not in written, f"U+{ord(ch):04X} written raw"
    assert "\\u202e" in written
    if fmt == "jsonl":  # escaped the JSON way: the records mean the same
        again = [json.loads(line) for line in written.splitlines()]
        assert again[3]["text"] == f"look: {sneaky}"


def test_the_live_log_draws_invisible_characters_escaped() -> None:
    entry = LogEntry(0.0, "rx", Category.URC, "a\u202eb\u200bc\u3164d")
    drawn = render_entry(entry, {}).plain
    assert drawn.endswith("a\\u202eb\\u200bc\\u3164d")
    for ch in INVISIBLE:
        assert ch not in drawn


# -- where the output goes ---------------------------------------------------------------------


def test_the_capture_itself_is_never_the_output(tmp_path: Path, capsys) -> None:
    path = small(tmp_path / "cap.jsonl")
    before = path.read_bytes()
    for output in (str(path), str(tmp_path / "." / "cap.jsonl")):
        assert export_main(str(path), "text", output) == 2
        assert "is the capture" in capsys.readouterr().err
    link = tmp_path / "hard.jsonl"
    os.link(path, link)
    assert export_main(str(path), "html", str(link)) == 2
    assert "is the capture" in capsys.readouterr().err
    symlink = tmp_path / "soft.jsonl"
    symlink.symlink_to(path)
    assert export_main(str(path), "jsonl", str(symlink)) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_standard_output_that_is_the_capture_is_refused(tmp_path: Path) -> None:
    path = small(tmp_path / "cap.jsonl")
    before = path.read_bytes()
    with open(path, "ab") as append:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "export", str(path)],
            stdout=append,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert b"standard output is the capture" in done.stderr
    assert path.read_bytes() == before


def test_an_output_that_is_a_symbolic_link_is_not_written_through(tmp_path: Path, capsys) -> None:
    path = small(tmp_path / "cap.jsonl")
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("keep me")
    link = tmp_path / "report.txt"
    link.symlink_to(elsewhere)
    assert export_main(str(path), "text", str(link)) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert elsewhere.read_text() == "keep me" and link.is_symlink()


def test_outputs_are_private_and_replace_what_was_there(tmp_path: Path) -> None:
    path = small(tmp_path / "cap.jsonl")
    out = tmp_path / "report.html"
    out.write_text("old")
    os.chmod(out, 0o644)
    old_umask = os.umask(0)
    try:
        for fmt in FORMATS:
            assert export_main(str(path), fmt, str(out)) == 0
            assert stat.S_IMODE(out.stat().st_mode) == 0o600, fmt
    finally:
        os.umask(old_umask)
    assert "qiterm report" not in out.read_text()  # the last one: jsonl
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_output_that_cannot_be_written_says_so(tmp_path: Path, capsys) -> None:
    path = small(tmp_path / "cap.jsonl")
    assert export_main(str(path), "text", str(tmp_path / "no" / "dir" / "x.txt")) == 1
    assert "cannot write" in capsys.readouterr().err
    assert export_main(str(path), "text", str(tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err


def test_jsonl_round_trips_to_a_readable_capture(tmp_path: Path) -> None:
    path = small(tmp_path / "cap.jsonl")
    out = tmp_path / "clean.jsonl"
    assert export_main(str(path), "jsonl", str(out)) == 0
    assert read_capture(out).records == read_capture(path).records


# -- streaming ----------------------------------------------------------------------------------


def _peak_mib(path: Path, out: Path, fmt: str) -> float:
    tracemalloc.start()
    try:
        assert export_main(str(path), fmt, str(out)) == 0
        return tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_export_memory_does_not_grow_with_the_capture(tmp_path: Path) -> None:
    """Ten times the records, about the same peak: the capture is streamed."""
    small_capture = write_capture(tmp_path / "small.jsonl", 1_000)
    big_capture = write_capture(tmp_path / "big.jsonl", 10_000)
    for fmt in ("html",):
        small_peak = _peak_mib(small_capture, tmp_path / f"s.{fmt}", fmt)
        big_peak = _peak_mib(big_capture, tmp_path / f"b.{fmt}", fmt)
        # The timeline's arrays and the table of contents grow a little with
        # the capture; the capture's records and lines do not stay.
        print(f"{fmt}: peak {small_peak:.1f} MiB for 1,000 records, {big_peak:.1f} for 10,000")
        assert big_peak < small_peak * 1.5 + 2, (fmt, small_peak, big_peak)
        assert (tmp_path / f"b.{fmt}").stat().st_size > 5 * (tmp_path / f"s.{fmt}").stat().st_size
