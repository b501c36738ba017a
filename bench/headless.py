"""The console run headless for benchmarks: a :class:`~app.console.app.QitermApp` that
counts what reaches its log and how long its loop is held, and bounded waits.

The subclass changes nothing the console does: it calls the real
``apply_batch`` (session state, journal, event log, socket table) and only then counts the
batch (recv payload bytes and lines, lines the worker dropped for the display, the
``+QIURC: "closed"`` that ends a flood) and times the call (the app's loop runs
nothing else meanwhile, so the longest call is the longest the UI is frozen by
incoming data).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import time
from collections.abc import Iterator
from typing import Any

from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.pilot import Pilot
from textual.screen import Screen

from app.console.app import QitermApp
from app.link.results import DisplayDropped, Rx
from app.protocol import events as ev
from app.session.session import SessionEvent

READY_TIMEOUT_S = 20.0
_ESCAPES = re.compile(r"\x1b\[[0-9;?<=>]*[ -/]*[@-~]")
#: What the log shows for the URC that ends a flood on connectID 0.
CLOSED_ON_SCREEN = '+QIURC: "closed",0'


def frame_lines(update: Any, console: Any) -> Iterator[str]:
    """The text of each screen line in a compositor update (plain, no styles)."""
    if isinstance(update, LayoutUpdate):
        for line in update.strips:
            yield "".join(strip.text for strip in line)
    elif isinstance(update, ChopsUpdate):
        for chops in update.chops:
            yield "".join(strip.text for strip in chops.values() if strip is not None)
    else:  # an update type this does not know: its terminal output, escapes removed
        yield _ESCAPES.sub("", update.render_segments(console))


@contextlib.contextmanager
def collector_as_qiterm_runs() -> Iterator[None]:
    """The garbage collector as ``qiterm`` runs the console: off from the start
    (``app/cli.py``) until the console's first frame, which sets aside what start-up
    built (``gc.freeze``) and turns it back on. A benchmark that built the console with
    the collector on would have every later collection walk start-up's objects too,
    which ``qiterm`` never does. Afterwards the set-aside objects are handed back and
    collected, so that a second console in the same process starts as clean."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()
        gc.collect()


class CountingApp(QitermApp):
    """The console, counting the recv URCs its log takes in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reset_counts()

    def reset_counts(self) -> None:
        #: Payload bytes and lines of recv URCs handed to the log.
        self.recv_bytes = 0
        self.recv_lines = 0
        #: Recv lines (and their payload bytes) the worker kept from the display.
        self.dropped_lines = 0
        self.dropped_bytes = 0
        #: perf_counter() when a batch with ``+QIURC: "closed"`` had been handled.
        self.closed_at = 0.0
        #: perf_counter() when a frame first showed that URC (the last line of a flood).
        self.closed_shown_at = 0.0
        self.batches = 0
        self.largest_batch = 0
        #: The longest apply_batch call, in seconds.
        self.longest_batch_s = 0.0
        self.batch_seconds = 0.0

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        watching = self.closed_at and not self.closed_shown_at and renderable is not None
        if watching and any(CLOSED_ON_SCREEN in x for x in frame_lines(renderable, self.console)):
            self.closed_shown_at = time.perf_counter()

    def apply_batch(self, batch: list[SessionEvent]) -> None:
        started = time.perf_counter()
        super().apply_batch(batch)
        ended = time.perf_counter()
        spent = ended - started
        self.batch_seconds += spent
        self.longest_batch_s = max(self.longest_batch_s, spent)
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        for item in batch:
            if isinstance(item, Rx):
                event = item.event
                if isinstance(event, ev.QiUrcRecv):
                    self.recv_bytes += len(event.data)
                    self.recv_lines += 1
                elif isinstance(event, ev.QiUrcClosed):
                    self.closed_at = ended
            elif isinstance(item, DisplayDropped):
                self.dropped_lines += item.count
                self.dropped_bytes += sum(item.recv_bytes.values())


async def wait_ready(pilot: Pilot[Any], timeout: float = READY_TIMEOUT_S) -> None:
    """Until the console has read the module (ATI answered, nothing in flight)."""
    app = pilot.app
    assert isinstance(app, QitermApp)
    deadline = time.monotonic() + timeout
    while app.state.identity is None or app.session.link.busy:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the console did not get ready in {timeout} s")
        await asyncio.sleep(0.02)
    await pilot.pause()
