"""``qiterm view LOG``: a capture opened read-only in the console's log pane.

The person who receives a capture sees what the person who made it saw: the
log with its notes and markers in the same :class:`~widgets.log.LogPane` as the
live console (the same keys, line view options, search and follow), the same
filters (F7), and the socket table as it was at the selected line. Nothing is
ever written to any port: there is no link.

The file is read on a thread by :class:`~app.capture.source.CaptureSource`, in
batches that appear as they come (the first screen shows at once).
"""

from __future__ import annotations

import bisect
import os
import sys
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from app.capture.reader import CaptureError
from app.capture.replay import initial_state
from app.capture.source import CaptureSource
from app.console.hangup import exit_on_terminate, watch_hangup
from app.link.results import LinkState
from app.model import render
from app.model.journal import Category, Filter, Journal, LogEntry
from app.model.state import ModuleState
from widgets.dialogs.filter import FilterDialog
from widgets.log import EventLog, LogPane
from widgets.module import ModulePane
from widgets.sockets import SocketTable
from widgets.status import CEREG_SHORT
from widgets.timeline import TimelineScreen

#: The search field's placeholder.
SEARCH_HINT = "search the capture (regex); Enter: next match, Shift+Enter/↑: previous"

# -- what the header shows --------------------------------------------------------


def capture_text(source: CaptureSource) -> Text:
    """The first header line: which capture this is and how it was read (what
    matters most comes first, so a narrow terminal cuts the least useful)."""
    h = source.header
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" qiterm view ", style="bold reverse")
    text.append(f" {source.parts[0].name}", style="bold")
    if len(source.parts) > 1:
        text.append(f" +{len(source.parts) - 1} part(s) to {source.parts[-1].name}")
    if not source.loaded:
        text.append(f"  loading… {source.records:,} records", style="bold yellow")
    elif source.more is not None:
        text.append(
            f"  first {source.records:,} of about {source.more:,} records shown",
            style="bold yellow",
        )
    else:
        text.append(f"  {source.records:,} records")
    if source.part_problems:
        text.append("  ⚠ the session's first part is missing", style="bold red")
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
    text.append(f" at {render.stamp(entry.wall)}", style="bold")
    text.append(f" (+{max(0.0, entry.wall - started):.3f} s)", style="dim")
    link = state.link
    if link is None or link.state in (LinkState.CONNECTING, LinkState.SYNCING):
        text.append(f"  ● {link.state.value if link else 'connecting'}", style="yellow")
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
    """The event log with a selected line that the arrow and page keys move
    (:class:`EventLog.Selected` says which). Following means keeping the last
    line selected while the capture loads."""

    BINDINGS = [
        Binding("down", "move(1)", "Move", key_display="↑↓"),
        Binding("up", "move(-1)", "Move", show=False),
        Binding("pagedown", "page(1)", "Page", key_display="PgUp/PgDn"),
        Binding("pageup", "page(-1)", "Page", show=False),
        Binding("home", "select(0)", "First", show=False),
        Binding("end", "follow", "Last", show=False),
    ]

    def entries_added(self) -> None:
        super().entries_added()
        if self.following and self.journal.view:
            # A following viewer keeps the newest line selected as batches come.
            self.match_index = len(self.journal.view) - 1
            self._cache.clear()
            self.post_message(self.Selected(self.match_index))

    def action_follow(self) -> None:
        self.select(len(self.journal.view) - 1)
        super().action_follow()

    def action_move(self, delta: int) -> None:
        current = self.match_index
        self.select(0 if current is None else current + delta)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 1))

    def action_select(self, index: int) -> None:
        self.select(index)

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
    #body { height: 1fr; }
    #body > LogPane { width: 1fr; }
    #module {
        display: none; width: 45%; min-width: 44; max-width: 96; height: 1fr;
        border-left: vkey $panel-lighten-2;
    }
    #module.-shown { display: block; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("f7", "filter", "Filter"),
        Binding("n", "next_note(1)", "Next note"),
        Binding("N", "next_note(-1)", "Prev note"),
        Binding("T", "timeline", "Timeline"),
        Binding("M", "module", "Module", tooltip="the Module pane at the selected line"),
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
        self.journal = Journal(maxlen=sys.maxsize, max_bytes=None)
        self.state = initial_state(self.source.header)
        #: Every record read has reached the log.
        self.loaded = False
        self._state_seq: int | None = None

    def compose(self) -> ComposeResult:
        yield CaptureHeader(id="header")
        yield SocketTable(id="sockets")
        log_ = CaptureLog(self.journal, id="log")
        log_.origin = self.source.started_wall  # relative timestamps: since the capture began
        with Horizontal(id="body"):
            yield LogPane(log_, placeholder=SEARCH_HINT)
            yield ModulePane(live=False, id="module")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        watch_hangup(self)
        exit_on_terminate(self)
        table = self.query_one(SocketTable)
        table.can_focus = False  # a view of the past: nothing to act on
        log_ = self.query_one(CaptureLog)
        log_.following = False  # a capture is read from the top
        log_.copy_folder = Path(self.source.path).parent  # c and p copy beside the capture
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
        self.query_one(LogPane).live = not message.final
        self._show_header()

    # -- the selected line ----------------------------------------------------------

    def selected_entry(self) -> LogEntry | None:
        index = self.query_one(CaptureLog).match_index
        view = self.journal.view
        return view[index] if index is not None and index < len(view) else None

    @on(EventLog.Selected)
    def _selected(self, message: EventLog.Selected) -> None:
        entry = self.selected_entry()
        seq = entry.capture_seq if entry is not None else None
        if seq is not None and seq != self._state_seq:
            self.state = self.source.state_at(seq)
            self._state_seq = seq
            self.query_one(SocketTable).show(self.state)
        self._show_header()

    def _show_header(self) -> None:
        entry = self.selected_entry()
        self.query_one(CaptureHeader).show(self.source, self.state, entry)
        pane = self.query_one(ModulePane)
        if pane.has_class("-shown"):
            at = entry.wall if entry is not None else self.source.started_wall
            offset = max(0.0, at - self.source.started_wall)
            note = f"the module at the selected line (+{offset:.3f} s)" if entry else ""
            pane.show(self.state, at=at, note=note)

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

    def action_module(self) -> None:
        """Show or hide the Module pane: the module as it was at the selected line."""
        pane = self.query_one(ModulePane)
        pane.toggle_class("-shown")
        self._show_header()

    def action_timeline(self) -> None:
        """The socket timeline of the whole capture (its own screen)."""
        self.push_screen(TimelineScreen(self.source.path))

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
    "ViewerApp",
    "capture_text",
    "moment_text",
    "view_main",
]
