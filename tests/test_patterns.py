"""User regular expressions (highlight rules, log search) cannot stall the recorder.

Python's ``re`` backtracks: ``(a+)+$`` against 32 ``a`` and a ``!`` takes 2^32 steps,
all inside one C call that holds the GIL, so the serial thread could not record what
arrives meanwhile. qiterm matches user patterns with RE2 (linear time), and says at
profile load which patterns RE2 does not take."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from rich.text import Text

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.config.highlight import HighlightRule, apply, parse_rules
from app.config.pattern import compile_pattern
from app.link.worker import SerialWorker
from app.model.journal import Category, Journal, LogEntry, search_pattern
from tests.fakeport import PortFactory, ScriptedPort

EVIL = "(a+)+$"
BAIT = "a" * 32 + "!"
FLOOD = 3000


def test_the_evil_pattern_is_linear() -> None:
    started = time.monotonic()
    assert not list(compile_pattern(EVIL).finditer(BAIT))
    assert time.monotonic() - started < 1.0


def test_a_flood_is_recorded_in_full_while_the_ui_evaluates_evil_patterns(
    tmp_path: Path,
) -> None:
    port = ScriptedPort({r"AT": b"\r\nOK\r\n"})
    capture = CaptureRecorder(tmp_path / "flood.jsonl", url="fake://", baud=115200)
    worker = SerialWorker(
        "fake://", port_factory=PortFactory(lambda: port), init=False, recorder=capture
    )
    worker.start()
    assert worker.wait_connected(3)
    rules = [HighlightRule.parse(EVIL, "bold red")]
    journal = Journal()
    journal.add([LogEntry(time.time(), "rx", Category.URC, BAIT) for _ in range(50)])
    ui_done = threading.Event()

    def ui() -> None:  # what the console does with each line: highlight, then search
        for _ in range(20):
            for _ in range(50):
                apply(Text(BAIT), rules)
            journal.matches(EVIL)
        ui_done.set()

    ui_thread = threading.Thread(target=ui, daemon=True)
    try:
        ui_thread.start()
        for i in range(FLOOD):  # a bounded flood from the network, as the UI works
            port.inject(b'\r\n+QIURC: "recv",0,33,"%s"\r\n' % BAIT.encode() + b"%d" % i)
        deadline = time.monotonic() + 20
        while capture.records_written < FLOOD and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ui_done.wait(20), "the UI thread is still matching"
    finally:
        worker.close()
        capture.close()
    records = read_capture(tmp_path / "flood.jsonl").records
    received = [r for r in records if r["type"] == "rx" and "+QIURC" in r.get("d", "")]
    assert len(received) == FLOOD


def test_patterns_re2_does_not_take_are_refused_at_profile_load_with_the_reason() -> None:
    rules, problems = parse_rules(
        [{"pattern": r"(\w)\1", "style": "red"}, {"pattern": "(?=x)y", "style": "red"}]
    )
    assert rules == []
    assert len(problems) == 2
    assert "highlight[1].pattern" in problems[0] and "backreference" in problems[0]
    assert "highlight[2].pattern" in problems[1] and "RE2" in problems[1]


@pytest.mark.parametrize("query", [EVIL, r"(\w)\1", "a(", "[z-a]"])
def test_any_search_query_returns_at_once(query: str) -> None:
    journal = Journal()
    journal.add([LogEntry(time.time(), "rx", Category.URC, BAIT) for _ in range(10)])
    started = time.monotonic()
    journal.matches(query)
    assert time.monotonic() - started < 1.0
    assert search_pattern(query) is not None


def test_search_is_case_insensitive_and_falls_back_to_plain_text() -> None:
    assert search_pattern("ok") is not None
    assert list(search_pattern("ok").finditer("xx OK"))  # type: ignore[union-attr]
    plain = search_pattern("a(")
    assert plain is not None and list(plain.finditer("xa(y"))
