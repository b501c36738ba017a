"""The console run headless for benchmarks: a :class:`~app.console.app.QitermApp` that
counts what reaches its log and how long its loop is held, and bounded waits.

The subclass changes nothing the console does: it calls the real
``on_link_batch`` (state, journal, event log, socket table) and only then counts the
batch (recv payload bytes and lines, lines the worker dropped for the display, the
``+QIURC: "closed"`` that ends a flood) and times the call (the app's loop runs
nothing else meanwhile, so the longest call is the longest the UI is frozen by
incoming data).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.pilot import Pilot

from app.console.app import QitermApp
from app.link.results import DisplayDropped, LinkEvent, Rx
from app.protocol import events as ev

READY_TIMEOUT_S = 20.0


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
        self.batches = 0
        self.largest_batch = 0
        #: The longest on_link_batch call, in seconds.
        self.longest_batch_s = 0.0
        self.batch_seconds = 0.0

    def on_link_batch(self, batch: list[LinkEvent]) -> None:
        started = time.perf_counter()
        super().on_link_batch(batch)
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
