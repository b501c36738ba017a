"""``qiterm view LOG``: a capture opened read-only in the console's log pane.

The person who receives a capture sees what the person who made it saw: the
log with its notes and markers, the same filters (F7), search (Ctrl+F) and
hex/text payloads (Ctrl+T) as the live console, and the socket table as it was
at the selected line. Nothing is ever written to any port: there is no link.

A capture can hold a million records, so the file is read once, on a thread,
in batches that appear as they come (the first screen shows at once), and at
most :data:`DEFAULT_LIMIT` records are loaded (the header says so when a file
holds more). The module state at the selected line is not kept per line: a
copy of it is kept every :data:`CHECKPOINT_EVERY` records, with the byte
offset of the record that follows, and the few records in between are read
again from the file when a line is selected.
"""

from __future__ import annotations

import bisect
import copy
import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from app.capture.format import Record
from app.capture.reader import CaptureError, iter_records
from app.capture.replay import Replayer, initial_state
from app.console.hangup import watch_hangup
from app.link.results import LinkState, ModuleIdentity
from app.model.journal import Category, Filter, Journal, LogEntry
from app.model.state import ModuleState
from widgets import log as logpane
from widgets.dialogs.filter import FilterDialog
from widgets.log import EventLog
from widgets.sockets import SocketTable
from widgets.status import CEREG_SHORT

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


@dataclass(slots=True)
class Checkpoint:
    """The state before record ``seq``, whose line starts at byte ``offset``."""

    seq: int
    offset: int
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
        with open(self.path, "rb") as stream:
            self._first_offset = len(stream.readline())
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

    def _lines(self, offset: int) -> Iterator[tuple[int, bytes]]:
        """(offset, line) for every line from byte ``offset`` on."""
        with open(self.path, "rb") as stream:
            stream.seek(offset)
            for line in stream:
                yield offset, line
                offset += len(line)

    def _count_lines(self, offset: int) -> int:
        """About how many records there are from byte ``offset`` on (lines counted)."""
        count = 0
        last = b"\n"
        with open(self.path, "rb") as stream:
            stream.seek(offset)
            while chunk := stream.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk[-1:]
        return count + (last != b"\n")

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


# -- what the header shows --------------------------------------------------------


def capture_text(source: CaptureSource) -> Text:
    """The first header line: which capture this is and how it was read (what
    matters most comes first, so a narrow terminal cuts the least useful)."""
    h = source.header
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" qiterm view ", style="bold reverse")
    text.append(f" {source.path.name}", style="bold")
    if not source.loaded:
        text.append(f"  loading… {source.records:,} records", style="bold yellow")
    elif source.more is not None:
        text.append(
            f"  first {source.records:,} of about {source.more:,} records shown",
            style="bold yellow",
        )
    else:
        text.append(f"  {source.records:,} records")
    if source.torn:
        text.append("  ⚠ torn last line (skipped)", style="bold red")
    if source.bad_lines:
        text.append(f"  ⚠ {source.bad_lines} unreadable lines skipped", style="bold red")
    started = str(h.get("started", "?")).replace("T", " ")
    text.append(f"  started {started}")
    text.append(f"  {h.get('url') or '-'}")
    if h.get("baud"):
        text.append(f" @{h['baud']}", style="dim")
    if source.identity is not None:
        model = source.identity.identity.split()[-1] if source.identity.identity else "?"
        text.append(f"  {model}", style="bold")
        if source.identity.revision:
            text.append(f" {source.identity.revision}", style="dim")
    text.append(f"  by qiterm {h.get('qiterm', '?')}", style="dim")
    return text


def moment_text(state: ModuleState, entry: LogEntry | None, started: float) -> Text:
    """The second header line: the module as it was at the selected line."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if entry is None:
        text.append(" no line selected", style="dim")
        return text
    text.append(f" at {logpane.stamp(entry.wall)}", style="bold")
    text.append(f" (+{max(0.0, entry.wall - started):.3f} s)", style="dim")
    link = state.link
    if link is None or link.state is LinkState.CONNECTING:
        text.append("  ● connecting", style="yellow")
    elif link.state is LinkState.CONNECTED:
        text.append("  ● connected", style="green")
    else:
        text.append(f"  ● {link.state.value}", style="red")
    text.append(f"  IP {state.ip or '-'}")
    if state.cereg is not None:
        style = "green" if state.cereg in (1, 5) else "yellow"
        text.append(f"  {CEREG_SHORT.get(state.cereg, state.cereg)}", style=style)
    kind = {False: "text", True: "hex"}
    text.append(f"  send {kind[state.send_hex]}/recv {kind[state.recv_hex]}", style="dim")
    if state.show_ra:
        text.append(" showRA", style="dim")
    if state.data_mode:
        text.append("  DATA MODE", style="bold red")
    if state.reboots:
        text.append(f"  {state.reboots} reboot(s) so far", style="yellow")
    return text


class CaptureHeader(Static):
    DEFAULT_CSS = """
    CaptureHeader {
        height: 2;
        background: $panel;
        color: $foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, source: CaptureSource, state: ModuleState, entry: LogEntry | None) -> None:
        lines = [capture_text(source), moment_text(state, entry, source.started_wall)]
        self.update(Text("\n", no_wrap=True, overflow="ellipsis").join(lines))


# -- the log with a cursor ------------------------------------------------------------


class CaptureLog(EventLog):
    """The event log with a selected line that the arrow and page keys move."""

    BINDINGS = [
        Binding("down", "move(1)", "Move", key_display="↑↓"),
        Binding("up", "move(-1)", "Move", show=False),
        Binding("pagedown", "page(1)", "Page", key_display="PgUp/PgDn"),
        Binding("pageup", "page(-1)", "Page", show=False),
        Binding("home", "select(0)", "First", show=False),
        Binding("end", "select(-1)", "Last", show=False),
    ]

    class Selected(Message):
        """A line was selected (``index`` in the journal's view)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def select(self, index: int, *, center: bool = False) -> None:
        view = self.journal.view
        if not view:
            return
        index = min(max(0, index), len(view) - 1)
        self.show_index(index, center=center)
        self.post_message(self.Selected(index))

    def entries_added(self) -> None:
        # A viewer reads from the top: new lines never pull the view down.
        self.following = False
        super().entries_added()

    def action_move(self, delta: int) -> None:
        current = self.match_index
        self.select(0 if current is None else current + delta)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 1))

    def action_select(self, index: int) -> None:
        self.select(index if index >= 0 else len(self.journal.view) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and int(self.scroll_y) + offset.y < len(self.journal.view):
            self.select(int(self.scroll_y) + offset.y)


# -- the app --------------------------------------------------------------------------


class ViewerApp(App[None]):
    """A capture, read-only: the header, the socket table at the selected line,
    and the log with the console's filters and search. Given a path, it opens
    it at once (CaptureError when the file is not a capture)."""

    TITLE = "qiterm view"
    CSS = """
    #sockets { height: auto; max-height: 7; border-bottom: hkey $panel-lighten-2; }
    #search { display: none; }
    #search.-shown { display: block; }
    #log { height: 1fr; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+f", "search", "Search", priority=True),
        Binding("f7", "filter", "Filter"),
        Binding("ctrl+t", "toggle_hex", "Hex/Text", priority=True),
        Binding("n", "next_note(1)", "Next note"),
        Binding("N", "next_note(-1)", "Prev note"),
        Binding("escape", "close_search", "Close search", show=False),
    ]

    class Loaded(Message):
        """A batch of log entries read by the loading thread; ``final`` with the
        last one (or when reading failed: ``error`` says why)."""

        def __init__(self, entries: list[LogEntry], final: bool, error: str = "") -> None:
            super().__init__()
            self.entries = entries
            self.final = final
            self.error = error

    def __init__(self, capture: CaptureSource | str | os.PathLike[str]) -> None:
        super().__init__()
        self.source = capture if isinstance(capture, CaptureSource) else CaptureSource(capture)
        # The viewer holds the whole (limited) capture: the journal never trims.
        self.journal = Journal(maxlen=sys.maxsize)
        self.state = initial_state(self.source.header)
        #: Every record read has reached the log.
        self.loaded = False
        self._state_seq: int | None = None

    def compose(self) -> ComposeResult:
        yield CaptureHeader(id="header")
        yield SocketTable(id="sockets")
        yield Input(placeholder="search the capture (regex); Enter: next match", id="search")
        yield CaptureLog(self.journal, id="log")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        watch_hangup(self)
        table = self.query_one(SocketTable)
        table.can_focus = False  # a view of the past: nothing to act on
        log_ = self.query_one(CaptureLog)
        log_.following = False
        log_.focus()
        self._show_header()
        self._load()

    # -- loading ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            for entries in self.source.load():
                if worker.is_cancelled:
                    return
                self.post_message(self.Loaded(entries, final=self.source.loaded))
        except OSError as exc:
            self.post_message(self.Loaded([], final=True, error=str(exc.strerror or exc)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        log_ = self.query_one(CaptureLog)
        if message.entries and self.journal.add(message.entries):
            log_.entries_added()
            if log_.match_index is None:
                log_.select(0)
        if message.error:
            self.notify(f"reading the capture stopped: {message.error}", severity="error")
        self.loaded = message.final
        self._show_header()

    # -- the selected line ----------------------------------------------------------

    def selected_entry(self) -> LogEntry | None:
        index = self.query_one(CaptureLog).match_index
        view = self.journal.view
        return view[index] if index is not None and index < len(view) else None

    @on(CaptureLog.Selected)
    def _selected(self, message: CaptureLog.Selected) -> None:
        entry = self.selected_entry()
        seq = entry.capture_seq if entry is not None else None
        if seq is not None and seq != self._state_seq:
            self.state = self.source.state_at(seq)
            self._state_seq = seq
            self.query_one(SocketTable).show(self.state)
        self._show_header()

    def _show_header(self) -> None:
        self.query_one(CaptureHeader).show(self.source, self.state, self.selected_entry())

    def _reselect(self, entry: LogEntry | None) -> None:
        """After the view changed: select ``entry``, or the first line after it."""
        view = self.journal.view
        log_ = self.query_one(CaptureLog)
        if not view:
            log_.match_index = None
            self._show_header()
            return
        index = 0
        if entry is not None:
            index = bisect.bisect_left(view, entry.seq, key=lambda e: e.seq)
        log_.select(min(index, len(view) - 1), center=True)

    # -- actions ----------------------------------------------------------------------

    def action_filter(self) -> None:
        def apply(result: Filter | None) -> None:
            if result is None:
                return
            keep = self.selected_entry()
            self.journal.filter = result
            self.journal.refilter()
            self.query_one(CaptureLog).reset()
            self._reselect(keep)

        self.push_screen(FilterDialog(self.journal.filter), apply)

    def action_toggle_hex(self) -> None:
        log_ = self.query_one(CaptureLog)
        log_.hex_payload = not log_.hex_payload
        self.notify(f"payloads shown as {'hex' if log_.hex_payload else 'text'}")

    def action_next_note(self, step: int) -> None:
        view = self.journal.view
        current = self.query_one(CaptureLog).match_index
        start = (-1 if step > 0 else len(view)) if current is None else current
        stop = len(view) if step > 0 else -1
        for index in range(start + step, stop, step):
            if view[index].category in (Category.NOTE, Category.MARKER):
                self.query_one(CaptureLog).select(index, center=True)
                return
        where = "after" if step > 0 else "before"
        self.notify(f"no note or marker {where} this line", severity="warning")

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-shown")
        search.focus()

    def action_close_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("-shown"):
            search.remove_class("-shown")
            self.query_one(CaptureLog).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._find(event.value, skip_current=False)

    @on(Input.Submitted, "#search")
    def _search_next(self, event: Input.Submitted) -> None:
        self._find(event.value, skip_current=True)

    def _find(self, query: str, *, skip_current: bool) -> None:
        """Search forward from the selected line (wrapping at the end)."""
        search = self.query_one("#search", Input)
        log_ = self.query_one(CaptureLog)
        current = log_.match_index or 0
        index = self.journal.find(query, current + 1 if skip_current else current)
        if index is None:
            search.border_subtitle = "no match" if query else ""
            return
        search.border_subtitle = f"{index + 1}/{len(self.journal.view)}"
        log_.select(index, center=True)


def view_main(log: str) -> int:
    """``qiterm view LOG``: 0 when the viewer closed, 2 when LOG is not a capture
    that can be read (a message says why; never a traceback)."""
    try:
        source = CaptureSource(log)
    except CaptureError as exc:
        print(f"qiterm view: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError:
        print(f"qiterm view: cannot read {log}: no such file", file=sys.stderr)
        return 2
    except IsADirectoryError:
        print(f"qiterm view: cannot read {log}: it is a directory", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qiterm view: cannot read {log}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    viewer = ViewerApp(source)
    viewer.run()
    return viewer.return_code or 0


__all__ = [
    "CaptureHeader",
    "CaptureLog",
    "CaptureSource",
    "Checkpoint",
    "ViewerApp",
    "capture_text",
    "moment_text",
    "view_main",
]
