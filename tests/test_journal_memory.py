"""The log's memory bounded in bytes: the journal's estimate of what its entries
keep, the bound itself over entries of every size, the setting as written on the
command line and in a profile, and what the log says when older lines have left."""

from __future__ import annotations

import gc
import time
import tracemalloc

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli import main
from app.config.size import (
    DEFAULT_LOG_MEMORY,
    MIB,
    format_size,
    parse_log_memory,
    parse_size,
)
from app.link.results import Role, Rx
from app.model.journal import Category, Journal, LogEntry, entries_for, entry_size
from app.protocol import events as ev


def recv(i: int, size: int) -> Rx:
    data = b"%08d" % i + b"x" * max(0, size - 8)
    line = b'+QIURC: "recv",0,%d,"' % len(data) + data + b'"'
    event = ev.QiUrcRecv(
        raw=line + b"\r\n",
        line=line,
        connect_id=0,
        current_recv_length=len(data),
        data=data,
        hex_payload=False,
    )
    return Rx(event, Role.URC, None, time.monotonic(), time.time())


@pytest.mark.parametrize("size", [16, 1024])
def test_entry_size_is_what_tracemalloc_sees_the_journal_keep(size: int) -> None:
    """The estimate (strings, bytes, a measured overhead) within 10 % of the
    memory the journal's entries really hold, short lines and long."""
    count = 5_000
    gc.collect()
    tracemalloc.start()
    try:
        journal = Journal(maxlen=10 * count, max_bytes=None)
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            journal.add(entries_for(recv(i, size)))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(journal.entries) == count
    assert journal.retained_bytes == sum(entry_size(e) for e in journal.entries)
    assert 0.9 * held <= journal.retained_bytes <= 1.1 * held, (journal.retained_bytes, held)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=8192), min_size=1, max_size=400),
    budget=st.integers(min_value=4096, max_value=256 * 1024),
    batch=st.integers(min_value=1, max_value=50),
    hidden=st.booleans(),
)
def test_the_byte_bound_holds_for_entries_of_any_size(
    sizes: list[int], budget: int, batch: int, hidden: bool
) -> None:
    """After every add, the entries and the view together never keep more than
    the setting plus one entry; the newest entry is always kept; the view holds
    the kept entries that pass the filter, in order, newest last."""
    journal = Journal(maxlen=10_000, max_bytes=budget)
    if hidden:
        journal.filter.hidden = {Category.RECV}
    made: list[LogEntry] = []
    for start in range(0, len(sizes), batch):
        chunk = [
            entries_for(recv(start + k, size))[0]
            for k, size in enumerate(sizes[start : start + batch])
        ]
        # Every other line is not a recv URC: the filter can hide some, not all.
        for k, entry in enumerate(chunk):
            if k % 2:
                entry.category = Category.RESPONSE
        made += chunk
        journal.add(chunk)
        largest = max(entry_size(e) for e in made)
        assert journal.retained_bytes <= budget + largest
        in_view = {id(e) for e in journal.view}
        kept = [e for e in journal.entries if journal.filter.passes(e)]
        assert all(id(e) in in_view for e in kept), "a kept entry is missing from the view"
        assert journal.entries[-1] is made[-1]
        assert [e.seq for e in journal.view] == sorted(e.seq for e in journal.view)
    assert journal.evicted == len(made) - len(journal.entries)


def test_the_view_front_is_counted_and_trimmed_by_bytes() -> None:
    """Entries that left the journal but not yet the view count towards the bound,
    and the view lets them go in chunks (take_dropped says how many)."""
    journal = Journal(maxlen=100_000, max_bytes=1 * MIB)
    for i in range(5_000):
        journal.add(entries_for(recv(i, 1024)))
        assert journal.retained_bytes <= 1 * MIB
    assert journal.evicted > 4_000
    dropped = journal.take_dropped()
    assert dropped > 0 and journal.view[0].seq == dropped + 1
    assert len(journal.view) >= len(journal.entries)


def test_the_line_count_bound_still_holds_with_a_byte_bound() -> None:
    journal = Journal(maxlen=1000, max_bytes=64 * MIB)
    for i in range(10_000):
        journal.add([LogEntry(0.0, "rx", Category.RECV, f"line {i}")])
    assert len(journal.entries) == 1000 and len(journal.view) <= 1250
    assert journal.evicted == 9000


def test_clear_counts_the_cleared_lines_as_older_ones() -> None:
    journal = Journal(max_bytes=1 * MIB)
    journal.add(entries_for(recv(1, 100)) + entries_for(recv(2, 100)))
    assert journal.clear() == 2
    assert journal.evicted == 2 and journal.retained_bytes == 0 and not journal.view


# --- the setting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("32M", 32 * MIB),
        ("512K", 512 * 1024),
        ("1G", 1024 * MIB),
        ("1.5m", 3 * MIB // 2),
        ("16MiB", 16 * MIB),
        ("16 MB", 16 * MIB),
        ("2097152", 2 * MIB),
    ],
)
def test_sizes_parse_in_binary_units(text: str, value: int) -> None:
    assert parse_size(text) == value
    assert parse_size(format_size(value)) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("32Q", "not a size: '32Q'"),
        ("", "not a size: ''"),
        ("-1M", "not a size: '-1M'"),
        ("M", "not a size: 'M'"),
        ("10K", "too small: '10K' (at least 1M)"),
        ("65G", "too large: '65G' (at most 64G)"),
    ],
)
def test_bad_log_memory_values_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_log_memory(text)


def test_the_default_is_12m() -> None:
    assert format_size(DEFAULT_LOG_MEMORY) == "12M"
    assert Journal().max_bytes == DEFAULT_LOG_MEMORY


def test_log_memory_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """--log-memory reaches the console as bytes; a bad value is a usage error
    (exit 2, the reason said), never a traceback."""
    seen: dict[str, object] = {}

    def fake_run_console(**kw: object) -> int:
        seen.update(kw)
        return 0

    monkeypatch.setattr("app.console.launch.run_console", fake_run_console)
    runner = CliRunner()
    result = runner.invoke(main, ["--log-memory", "32M", "--no-welcome"])
    assert result.exit_code == 0, result.output
    assert seen["log_memory"] == 32 * MIB
    result = runner.invoke(main, ["--log-memory", "lots"])
    assert result.exit_code == 2
    assert "Invalid value for '--log-memory': not a size: 'lots'" in result.output
    assert "Traceback" not in result.output


async def test_the_screen_inbox_is_bounded_when_the_ui_falls_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches the session hands over while the UI's loop is busy wait in the
    console's inbox: past its byte bound, recv lines are counted, not kept, and the
    log says how many it did not show (the capture has every one)."""
    import time

    from app.console import app as console_app
    from app.link.results import Role, Rx
    from app.protocol.parse import parse_line
    from tests.consolekit import make_app, ready, until

    monkeypatch.setattr(console_app, "INBOX_MAX_BYTES", 64 * 1024)
    app, name = make_app(None, poll_interval=0)
    payload = b"x" * 1024
    line = b'+QIURC: "recv",0,1024,"' + payload + b'"'
    try:
        async with app.run_test() as pilot:
            await ready(pilot)
            shown_before = len(app.journal.entries)
            # 500 lines of 1 KiB handed over with the loop not running in between:
            # a UI stuck behind a flood.
            for _ in range(50):
                batch = [
                    Rx(parse_line(line), Role.URC, None, time.monotonic(), time.time())
                    for _ in range(10)
                ]
                app._from_session(list(batch))
            assert app._inbox_bytes <= 64 * 1024
            kept = sum(1 for item in app._inbox if isinstance(item, Rx))
            assert 0 < kept < 500 and app._inbox_skipped.count == 500 - kept
            await until(pilot, lambda: not app._inbox and not app._inbox_skipped.count)
            texts = [e.text for e in list(app.journal.entries)[shown_before:]]
            recv = sum(1 for t in texts if t.startswith('+QIURC: "recv"'))
            notes = [t for t in texts if "not shown" in t]
            assert recv == kept
            assert notes == [
                f"… {500 - kept} received line(s) not shown: the display fell behind a flood "
                "(the capture has every one)"
            ]
    finally:
        from app.sim import registry

        registry.destroy(name)
