"""Link events on their way to the subscribers: queued by the worker thread,
handed over in batches by a dispatcher thread of their own, so a slow subscriber
(a busy UI) can never stall reading or recording.

Beyond :data:`MAX_OUTBOX` waiting events, lines a display can skip (recv payloads,
blank lines, plain text lines nobody asked for, payload writes) are not queued for
the subscribers (the capture still records every one); a :class:`DisplayDropped`
says how many, and how many payload bytes per socket, so counters stay right.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.link.results import DisplayDropped, LinkEvent, Role, Rx, Tx, TxKind
from app.protocol import events as ev

log = logging.getLogger(__name__)

Subscriber = Callable[[list[LinkEvent]], None]

#: Events waiting for subscribers beyond which display-only lines are skipped.
MAX_OUTBOX = 20_000


class Outbox:
    def __init__(self, batch_interval: float, max_items: int = MAX_OUTBOX) -> None:
        self.batch_interval = batch_interval
        self.max_items = max_items
        self.items: list[LinkEvent] = []
        self._cv = threading.Condition()
        self._subscribers: list[Subscriber] = []
        self._dropped = 0
        self._dropped_bytes: dict[int, int] = {}

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
        with self._cv:
            if len(self.items) >= self.max_items and droppable(item):
                self._dropped += 1
                if isinstance(item, Rx) and isinstance(item.event, ev.QiUrcRecv):
                    cid = item.event.connect_id
                    size = len(item.event.payload(recv_hex))
                    self._dropped_bytes[cid] = self._dropped_bytes.get(cid, 0) + size
                return
            self.items.append(item)

    def kick(self) -> None:
        """Wake the dispatcher when something is queued (it goes out now); with
        nothing queued the dispatcher is left asleep (an idle link wakes no thread)."""
        with self._cv:
            if self.items or self._dropped:
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
                    self._cv.wait(0.2)
                if not self.items and stopped.is_set():
                    return
                batch, self.items = self.items, []
                if self._dropped:
                    batch.append(DisplayDropped(self._dropped, self._dropped_bytes))
                    self._dropped, self._dropped_bytes = 0, {}
                subscribers = list(self._subscribers)
            for sub in subscribers:
                try:
                    sub(batch)
                except Exception:
                    log.exception("subscriber failed")
            # Coalesce: at most one batch per interval under load.
            time.sleep(self.batch_interval)


def droppable(item: LinkEvent) -> bool:
    """Lines a display can skip without getting the module's state wrong."""
    if isinstance(item, Tx):
        return item.what is TxKind.PAYLOAD
    if isinstance(item, Rx):
        return isinstance(
            item.event, ev.QiUrcRecv | ev.BlankLines | ev.OverlongLine | ev.TextLine
        ) and item.role in (Role.URC, Role.NOISE)
    return False


__all__ = ["MAX_OUTBOX", "Outbox", "Subscriber", "droppable"]
