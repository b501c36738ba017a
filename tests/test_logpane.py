"""The log pane shared by the console and ``qiterm view``: the same keys, line
view options, search and follow in both (each test runs in each app)."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from app.capture.source import CaptureSource
from app.console.app import QitermApp
from app.model.journal import LogEntry
from app.model.render import LineView
from app.sim import registry
from app.viewer.app import CaptureLog, ViewerApp
from tests.consolekit import make_app, ready, type_into, until
from tests.test_viewer import loaded, shared_capture
from widgets.log import PAUSED, EventLog, LogPane

#: Small enough that the log scrolls in both apps.
SIZE = (100, 20)

Opened = Callable[[], Any]


@pytest.fixture(params=["console", "viewer"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    """A context manager factory: the app run (its log ready) and its pilot."""
    names: list[str] = []

    @asynccontextmanager
    async def run() -> AsyncIterator[Pilot[Any]]:
        app: App[Any]
        if request.param == "console":
            app, name = make_app(None, poll_interval=0)
            names.append(name)
        else:
            app = ViewerApp(shared_capture(tmp_path / "shared.jsonl"))
        async with app.run_test(size=SIZE) as pilot:
            if isinstance(app, QitermApp):
                await ready(pilot)
            else:
                await loaded(pilot)
            yield pilot

    yield run
    for name in names:
        registry.destroy(name)


def pane_of(pilot: Pilot[Any]) -> LogPane:
    return pilot.app.query_one(LogPane)


def notice(pilot: Pilot[Any]) -> Static:
    return pilot.app.query_one(".log-notice", Static)


async def test_ctrl_t_cycles_the_same_three_payload_modes(opened: Opened) -> None:
    async with opened() as pilot:
        log_ = pilot.app.query_one(EventLog)
        seen = []
        for _ in range(3):
            await pilot.press("ctrl+t")
            seen.append(log_.view.payload)
        assert seen == ["hex", "both", "text"]
        # The other line view options: keys of the focused log.
        log_.focus()
        await pilot.pause()
        await pilot.press("t")
        assert log_.view.stamps == "relative"
        await pilot.press("e")
        assert log_.view.endings
        assert re.match(r"\+\s+\d+\.\d{3}s ", log_.visible_text()[0])


async def test_search_goes_down_and_counts_matching_lines(opened: Opened) -> None:
    async with opened() as pilot:
        app = pilot.app
        journal = app.query_one(EventLog).journal
        log_ = app.query_one(EventLog)
        matching = [i for i, e in enumerate(journal.view) if e.text == "OK"]
        assert len(matching) >= 3
        await pilot.press("ctrl+f")
        search = app.query_one("#search", Input)
        assert search.has_focus
        await type_into(pilot, "#search", "^OK$")
        first = log_.match_index
        assert first in matching
        k = matching.index(first)
        assert search.border_subtitle == f"match {k + 1}/{len(matching)}"
        # Enter: the next match down, wrapping after the last; the count follows.
        for step in range(1, len(matching) + 1):
            await pilot.press("enter")
            expected = (k + step) % len(matching)
            assert log_.match_index == matching[expected]
            assert search.border_subtitle == f"match {expected + 1}/{len(matching)}"
        assert log_.match_index == first
        # Shift+Enter (or ↑): the one above; ↓ down again.
        await pilot.press("shift+enter")
        assert log_.match_index == matching[k - 1]
        await pilot.press("up")
        assert log_.match_index == matching[k - 2]
        await pilot.press("down")
        assert log_.match_index == matching[k - 1]
        await type_into(pilot, "#search", "no such line anywhere")
        assert search.border_subtitle == "no match"
        # Escape closes the field; the focus goes back where it was.
        before = app.focused
        await pilot.press("escape")
        assert not search.has_class("-shown") and not search.has_focus
        assert app.focused is not None and app.focused is not before


async def test_a_paused_log_says_so_and_end_follows_again(opened: Opened) -> None:
    async with opened() as pilot:
        app = pilot.app
        pane = pane_of(pilot)
        log_ = pane.event_log
        log_.focus()
        await pilot.pause()
        if isinstance(app, ViewerApp):
            # A loaded capture has nothing left to follow: no notice, End goes to
            # the last line.
            assert not pane.live and not notice(pilot).display
            await pilot.press("end")
            assert log_.match_index == len(log_.journal.view) - 1 and log_.following
            return
        assert log_.following and not notice(pilot).display
        await pilot.press("up")
        assert not log_.following
        await until(pilot, lambda: notice(pilot).display)
        assert str(notice(pilot).render()) == PAUSED
        await pilot.press("end")
        assert log_.following
        await until(pilot, lambda: not notice(pilot).display)
        # A search match stops following too; F8 resumes.
        await pilot.press("ctrl+f")
        await type_into(pilot, "#search", "AT")
        assert not log_.following and notice(pilot).display
        await pilot.press("f8")
        assert log_.following
        await until(pilot, lambda: not notice(pilot).display)
        await until(pilot, lambda: log_.scroll_y == log_.max_scroll_y)


class SlowSource(CaptureSource):
    """A capture that loads its first batch, then waits to be let go."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.go_on = threading.Event()

    def load(self, batch: int = 10) -> Iterator[list[LogEntry]]:
        for n, entries in enumerate(super().load(batch=10)):
            if n == 1:
                assert self.go_on.wait(10)
            yield entries


async def test_a_loading_capture_follows_from_end(tmp_path: Path) -> None:
    source = SlowSource(shared_capture(tmp_path / "shared.jsonl"))
    app = ViewerApp(source)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(LogPane)
        log_ = app.query_one(CaptureLog)
        await until(pilot, lambda: len(app.journal.view) > 0)
        assert pane.live and not log_.following
        await until(pilot, lambda: pilot.app.query_one(".log-notice").display)
        await pilot.press("end")
        first = len(app.journal.view) - 1
        assert log_.following and log_.match_index == first
        await until(pilot, lambda: not pilot.app.query_one(".log-notice").display)
        source.go_on.set()
        await until(pilot, lambda: app.loaded)
        # The last line stays selected as the rest comes in.
        await until(pilot, lambda: log_.match_index == len(app.journal.view) - 1)
        assert log_.match_index > first and not pane.live


async def test_a_paused_log_says_how_many_older_lines_are_in_the_capture_only() -> None:
    """With the log's memory bound reached, reading back (the log paused) shows at
    the top how many older lines the log no longer keeps; following hides it."""
    from app.config.size import MIB
    from tests.test_journal_memory import recv
    from widgets.log import older_text

    app, name = make_app(None, poll_interval=0, log_memory=1 * MIB)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            older = app.query_one(LogPane).query_one(".log-older", Static)
            log_ = app.query_one(EventLog)
            assert app.journal.max_bytes == 1 * MIB
            for start in range(0, 2_000, 500):
                app.apply_batch([recv(i, 1024) for i in range(start, start + 500)])
                await pilot.pause()
            assert app.journal.evicted > 1_000 and app.journal.retained_bytes <= 1 * MIB
            assert not older.display, "a following log shows the newest lines only"
            log_.focus()
            await pilot.press("home")
            await until(pilot, lambda: older.display)
            evicted = app.journal.evicted
            assert str(older.render()) == older_text(evicted)
            assert f"{evicted:,} older lines are in the capture only" in str(older.render())
            await pilot.press("end")
            await until(pilot, lambda: not older.display)
    finally:
        registry.destroy(name)


async def test_a_rendered_line_is_freed_without_the_garbage_collector() -> None:
    """A line the log rendered and then dropped (its render cache cleared, or the line
    evicted by newer ones) is freed by reference counting, not left in a reference
    cycle for the collector's full pass: in a flood that is thousands of lines a
    second, and those full passes were the longest pauses a key press met. Two cycles
    there were: Textual's ``LRUCache`` links its entries in a ring of lists, and
    ``Strip.crop_extend`` keeps a strip already the window's size in its own cache."""
    import gc

    from textual.strip import Strip

    from tests.test_journal_memory import recv
    from widgets.log import RENDER_CACHE_LINES

    def left_in_a_cycle(address: int) -> bool:
        gc.set_debug(gc.DEBUG_SAVEALL)  # what only the collector frees, kept to look at
        try:
            gc.collect()
            return any(isinstance(x, Strip) and id(x) == address for x in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    app, name = make_app(None, poll_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            log_ = app.query_one(EventLog)
            app.apply_batch([recv(i, 1024) for i in range(3)])
            await pilot.pause()
            y = len(app.journal.view) - 1 - log_.scroll_offset.y  # the newest line
            gc.collect()
            gc.disable()  # nothing but reference counting frees anything from here
            try:
                strip = log_.render_line(y)
                assert strip.cell_length == log_.size.width, "a 1 KiB line fills the width"
                address = id(strip)  # no strip is made between here and the check
                del strip
                log_._cache.clear()  # a new line view, a resize, a clear
                assert not left_in_a_cycle(address), "a cleared line was left in a cycle"

                strip = log_.render_line(y)
                address = id(strip)
                del strip
                for n in range(RENDER_CACHE_LINES):  # newer lines push it out
                    log_._cache[(-1 - n, log_.view, False, None, 1)] = Strip.blank(1)
                assert len(log_._cache) == RENDER_CACHE_LINES
                assert not left_in_a_cycle(address), "an evicted line was left in a cycle"
            finally:
                gc.enable()
    finally:
        registry.destroy(name)


async def test_the_scroll_width_measures_each_new_line_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The log's scroll width grows with its newest lines, measuring each line once,
    not the newest 200 again at every growth (measuring escapes a line's text, which
    a log line derives from its bytes: at the line rate that was a fifth of the UI
    thread). A wider line still widens it; a new line view measures them all again."""
    import widgets.log as log_module
    from tests.test_journal_memory import recv

    measured: list[int] = []
    real = log_module.line_width

    def counting(entry: LogEntry, view: Any) -> int:
        measured.append(entry.seq)
        return real(entry, view)

    monkeypatch.setattr(log_module, "line_width", counting)
    app, name = make_app(None, poll_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            log_ = app.query_one(EventLog)
            await until(pilot, lambda: log_.virtual_size.height == len(app.journal.view))
            for start in range(0, 300, 30):
                app.apply_batch([recv(i, 16) for i in range(start, start + 30)])
                await until(pilot, lambda: log_.virtual_size.height == len(app.journal.view))
                newest = app.journal.view[-1].seq
                assert newest in measured, "the newest line was not measured"
            assert len(measured) == len(set(measured)), "a line was measured again"
            narrow = log_.virtual_size.width
            app.apply_batch([recv(300, 1024)])
            await until(pilot, lambda: log_.virtual_size.width > narrow)
            measured.clear()
            log_.view = LineView(payload="hex")  # each line's width is new
            await pilot.pause()
            assert len(measured) == len(app.journal.view)
    finally:
        registry.destroy(name)
