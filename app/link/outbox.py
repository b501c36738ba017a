"""Link events on their way to the subscribers: queued by the worker thread,
handed over in batches by a dispatcher thread of their own, so a slow subscriber
(a busy UI) can never stall reading or recording.

Beyond :data:`MAX_OUTBOX` waiting events, or :data:`MAX_OUTBOX_BYTES` of memory
they keep (:func:`event_size`: under a flood of 1 KiB lines the bytes come first),
lines a display can skip (recv payloads, blank lines, plain text lines nobody asked
for, payload writes) are not queued for the subscribers; a :class:`DisplayDropped`
says how many, and how many payload bytes per socket, so counters stay right.
Nothing is lost: the worker records every event in the capture before it
publishes it here. The events that change what the console knows (results,
deferred results, other URCs, link status) are always queued; they are few and
short.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from app.link.results import DisplayDropped, LinkEvent, Role, Rx, Tx, TxKind
from app.protocol import events as ev

log = logging.getLogger(__name__)

Subscriber = Callable[[list[LinkEvent]], None]

#: Events waiting for subscribers beyond which display-only lines are skipped.
MAX_OUTBOX = 20_000
#: The memory (event_size) waiting events may keep before display-only lines are
#: skipped: about 2,400 recv lines of 1 KiB, over half a second of the fastest
#: flood the console takes in, half a minute at the 921,600-baud line rate.
MAX_OUTBOX_BYTES = 8 * 1024 * 1024
#: What a queued event costs beyond its frame's bytes: the Rx (or Tx) and the
#: parsed event objects and the list slot. Measured with tracemalloc over 20,000
#: events each: 241 bytes for a recv URC, 185 for a text line, 137 for a Tx.
EVENT_OVERHEAD = 240


class Skipped:
    """Display-only lines left out of a queue, counted: how many, and the payload
    bytes of the recv lines among them per connectID (so counters stay right)."""

    def __init__(self) -> None:
        self.count = 0
        self.recv_bytes: dict[int, int] = {}

    def add(self, item: Rx | Tx, recv_hex: bool) -> None:
        self.count += 1
        if isinstance(item, Rx) and isinstance(item.event, ev.QiUrcRecv):
            cid = item.event.connect_id
            size = len(item.event.payload(recv_hex))
            self.recv_bytes[cid] = self.recv_bytes.get(cid, 0) + size

    def take(self) -> DisplayDropped | None:
        """What was counted since the last take, as the event that says so."""
        if not self.count:
            return None
        dropped = DisplayDropped(self.count, self.recv_bytes)
        self.count, self.recv_bytes = 0, {}
        return dropped


class Outbox:
    def __init__(
        self,
        batch_interval: float,
        max_items: int = MAX_OUTBOX,
        max_bytes: int = MAX_OUTBOX_BYTES,
    ) -> None:
        self.batch_interval = batch_interval
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.items: list[LinkEvent] = []
        #: What ``items`` keep (event_size), for the byte bound.
        self.bytes = 0
        self._cv = threading.Condition()
        self._subscribers: list[Subscriber] = []
        self._skipped = Skipped()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(batch)`` with lists of link events (from the dispatcher thread)."""
        with self._cv:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cv:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, item: LinkEvent, recv_hex: bool) -> None:
        """Queue ``item`` (``recv_hex``: how recv payloads are encoded now, to count
        the bytes of one that is skipped)."""
        size = event_size(item)
        with self._cv:
            full = len(self.items) >= self.max_items or self.bytes + size > self.max_bytes
            if full and droppable(item):
                assert isinstance(item, Rx | Tx)  # droppable() says so
                self._skipped.add(item, recv_hex)
                return
            self.items.append(item)
            self.bytes += size

    def kick(self) -> None:
        """Wake the dispatcher when something is queued (it goes out now); with
        nothing queued the dispatcher is left asleep (an idle link wakes no thread).
        The dispatcher waits for this without a timeout: whoever publishes kicks
        once it has published what goes together (:meth:`publish` alone does not
        wake it, so one read's lines go out in one batch)."""
        with self._cv:
            if self.items or self._skipped.count:
                self._cv.notify_all()

    def wake(self) -> None:
        """Wake the dispatcher whatever is queued (to see that it is to stop)."""
        with self._cv:
            self._cv.notify_all()

    def run(self, stopped: threading.Event) -> None:
        """The dispatcher thread: until ``stopped`` is set and nothing is left."""
        while True:
            with self._cv:
                while not self.items and not stopped.is_set():
                    # No timeout: the worker kicks after every read and every turn
                    # of its loop, so an idle link wakes this thread never.
                    self._cv.wait()
                if not self.items and stopped.is_set():
                    return
                batch, self.items = self.items, []
                self.bytes = 0
                dropped = self._skipped.take()
                if dropped is not None:
                    batch.append(dropped)
                subscribers = list(self._subscribers)
            for sub in subscribers:
                try:
                    sub(batch)
                except Exception:
                    log.exception("subscriber failed")
            # Coalesce: at most one batch per interval under load.
            time.sleep(self.batch_interval)


def event_size(item: LinkEvent) -> int:
    """The memory a queued event keeps alive, approximately: its frame as read
    (raw bytes and line) and a recv URC's data, or the bytes written, plus
    :data:`EVENT_OVERHEAD`. Other events are counted at the overhead alone."""
    if isinstance(item, Rx):
        event = item.event
        size = EVENT_OVERHEAD + sys.getsizeof(event.raw) + sys.getsizeof(event.line)
        if isinstance(event, ev.QiUrcRecv):
            size += sys.getsizeof(event.data)
        return size
    if isinstance(item, Tx):
        return EVENT_OVERHEAD + sys.getsizeof(item.data)
    return EVENT_OVERHEAD


def droppable(item: LinkEvent) -> bool:
    """Lines a display can skip without getting the module's state wrong."""
    if isinstance(item, Tx):
        return item.what is TxKind.PAYLOAD
    if isinstance(item, Rx):
        return isinstance(
            item.event, ev.QiUrcRecv | ev.BlankLines | ev.OverlongLine | ev.TextLine
        ) and item.role in (Role.URC, Role.NOISE)
    return False


__all__ = [
    "MAX_OUTBOX",
    "MAX_OUTBOX_BYTES",
    "Outbox",
    "Skipped",
    "Subscriber",
    "droppable",
    "event_size",
]
