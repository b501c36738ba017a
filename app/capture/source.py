"""A capture file opened for reading at any line: ``qiterm view``'s source.

A capture can hold a million records, so the file is read once, in batches of
log entries (the caller shows each as it comes), and at most
:data:`DEFAULT_LIMIT` records are loaded (:attr:`CaptureSource.more` says when a
file holds more). The module state at any line is not kept per line: a copy of
it is kept every :data:`CHECKPOINT_EVERY` records, with the byte offset of the
record that follows, and the few records in between are read again from the
file when asked (:meth:`CaptureSource.state_at`). A capture in numbered parts
(:func:`app.capture.reader.capture_parts`) is read as one session, given any
part; a place in it is a (part, byte offset) pair. No Textual.
"""

from __future__ import annotations

import bisect
import copy
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.capture.format import Record
from app.capture.reader import capture_parts, iter_records
from app.capture.replay import Replayer, initial_state
from app.link.results import ModuleIdentity
from app.model.journal import LogEntry
from app.model.state import ModuleState

#: The most records one viewer loads (about 100 MB of log lines).
DEFAULT_LIMIT = 200_000
#: A copy of the module state is kept once per this many records.
CHECKPOINT_EVERY = 200
#: Records read between two updates of the screen while loading.
BATCH = 2_000


def _record(line: bytes) -> Record | None:
    """A capture record, or None for a line that is not one (as the reader judges)."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if (
        isinstance(value, dict)
        and isinstance(value.get("type"), str)
        and isinstance(value.get("seq"), int)
    ):
        return value
    return None


#: A place in a capture: (index of the part, byte offset in that part's file).
Position = tuple[int, int]


@dataclass(slots=True)
class Checkpoint:
    """The state before record ``seq``, whose line starts at ``offset`` (part, byte)."""

    seq: int
    offset: Position
    state: ModuleState
    replayer: Replayer


class CaptureSource:
    """A capture file opened for viewing.

    The constructor reads the header and refuses a file that is not a capture
    (:class:`CaptureError`, or OSError when it cannot be read). :meth:`load`
    then reads the records once, in batches of log entries; :meth:`state_at`
    answers from any thread while it runs.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        limit: int = DEFAULT_LIMIT,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self.path = Path(path)
        self.limit = limit
        self.checkpoint_every = max(1, checkpoint_every)
        # The reader's own check of the header (its generator, dropped at once,
        # closes the file).
        self.header: Record = next(iter_records(self.path))
        #: Problems finding the parts (a first part missing).
        self.part_problems: list[str] = []
        #: The session's files, in order (one unless the recorder went on in parts).
        self.parts: list[Path] = capture_parts(self.path, self.part_problems)
        self._first_offset: Position = (0, 0)
        #: Records read so far (the header not counted).
        self.records = 0
        #: Lines that were not records, in the middle of the file (skipped).
        self.bad_lines = 0
        #: The last line was cut off (qiterm stopped while writing it); skipped.
        self.torn = False
        #: The file holds more than ``limit`` records; about how many in all.
        self.more: int | None = None
        self.loaded = False
        self.identity: ModuleIdentity | None = None
        self._checkpoints: list[Checkpoint] = []
        self._lock = threading.Lock()

    @property
    def started_wall(self) -> float:
        """The capture's start (the header's wall clock), in seconds."""
        t = self.header.get("t")
        return t / 1_000_000 if isinstance(t, int) else 0.0

    def _lines(self, start: Position) -> Iterator[tuple[Position, bytes]]:
        """(position, line) for every record line from ``start`` on, across the
        parts; each part's header line is left out."""
        first, offset = start
        for index in range(first, len(self.parts)):
            with open(self.parts[index], "rb") as stream:
                if index == first and offset:
                    stream.seek(offset)
                else:
                    offset = len(stream.readline())  # the part's header
                for line in stream:
                    yield (index, offset), line
                    offset += len(line)

    def _count_lines(self, start: Position) -> int:
        """About how many records there are from ``start`` on (lines counted)."""
        count = 0
        for index in range(start[0], len(self.parts)):
            last = b"\n"
            with open(self.parts[index], "rb") as stream:
                if index == start[0] and start[1]:
                    stream.seek(start[1])
                else:
                    stream.readline()
                while chunk := stream.read(1 << 20):
                    count += chunk.count(b"\n")
                    last = chunk[-1:]
            count += last != b"\n"
        return count

    def load(self, batch: int = BATCH) -> Iterator[list[LogEntry]]:
        """Read the records in order, yielding their log entries every ``batch``
        records (and once at the end), keeping a state checkpoint every
        ``checkpoint_every`` records. Stops after ``limit`` records."""
        replayer = Replayer()
        state = initial_state(self.header)
        entries: list[LogEntry] = []
        lines = self._lines(self._first_offset)
        for offset, line in lines:
            if not line.strip():
                continue
            record = _record(line)
            if record is None:
                if line.endswith(b"\n"):
                    self.bad_lines += 1
                else:
                    self.torn = True
                continue
            if self.records >= self.limit:
                self.more = self.records + self._count_lines(offset)
                break
            if self.records % self.checkpoint_every == 0:
                with self._lock:
                    self._checkpoints.append(
                        Checkpoint(record["seq"], offset, copy.deepcopy(state), replayer.copy())
                    )
            self.records += 1
            for step in replayer.steps(record):
                if step.event is not None:
                    state.apply(step.event)
                    if self.identity is None and isinstance(step.event, ModuleIdentity):
                        self.identity = step.event
                entries.extend(step.entries)
            if self.records % batch == 0:
                yield entries
                entries = []
        self.loaded = True
        yield entries

    def state_at(self, seq: int) -> ModuleState:
        """The module state after every record up to and including record ``seq``."""
        with self._lock:
            index = bisect.bisect_right(self._checkpoints, seq, key=lambda c: c.seq) - 1
            checkpoint = self._checkpoints[index] if index >= 0 else None
        if checkpoint is None:
            return initial_state(self.header)
        state = copy.deepcopy(checkpoint.state)
        replayer = checkpoint.replayer.copy()
        for _, line in self._lines(checkpoint.offset):
            record = _record(line)
            if record is None:
                continue
            if record["seq"] > seq:
                break
            for step in replayer.steps(record):
                if step.event is not None:
                    state.apply(step.event)
        return state


__all__ = [
    "BATCH",
    "CHECKPOINT_EVERY",
    "DEFAULT_LIMIT",
    "CaptureSource",
    "Checkpoint",
    "Position",
]
