"""The socket timeline screen, for the console (``t`` in the socket table, or the
palette) and ``qiterm view`` (``t``).

It shows the same timeline model the HTML report draws as SVG
(:mod:`app.capture.timeline`): one row per connectID drawn with one mark per
event (open, send, receive, SEND FAIL, remote close, AT+QICLOSE, gaps) over a
time axis that squeezes long quiet stretches, and below it every event in a
table (time, socket, what, size, detail). The model is read from the capture
file on a thread (a long capture never blocks the screen); ``r`` reads it
again (the console's capture keeps growing).
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from app.capture.reader import CaptureError
from app.capture.survey import read_timeline
from app.capture.timeline import KIND_LABELS, ROW_STYLES, Timeline, fmt_bytes, fmt_offset
from app.capture.timeline_draw import legend_lines, timeline_rows

#: The most events the table lists (the chart shows them all).
TABLE_MAX = 5_000


class TimelineScreen(Screen[None]):
    """The socket timeline of the capture at ``path``."""

    DEFAULT_CSS = """
    TimelineScreen { background: $surface; }
    TimelineScreen #tl-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    TimelineScreen #tl-chart { height: auto; padding: 1 1 0 1; }
    TimelineScreen #tl-legend { height: auto; color: $text-muted; padding: 0 1 1 1; }
    TimelineScreen #tl-events { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("r", "reload", "Read again"),
    ]

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.path = Path(path)
        self.timeline: Timeline | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static(f"Socket timeline: {self.path.name}  (reading…)", id="tl-title")
        yield Static("", id="tl-chart")
        yield Static("\n".join(legend_lines(4)), id="tl-legend")
        table: DataTable[str | Text] = DataTable(id="tl-events", cursor_type="row")
        table.zebra_stripes = True
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("time", "socket", "event", "size", "detail")
        self.action_reload()

    def action_close(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="timeline")
    def _read(self) -> None:
        try:
            timeline = read_timeline(self.path)
        except (OSError, CaptureError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.app.call_from_thread(self.failed, message)
            return
        self.app.call_from_thread(self.show, timeline)

    def failed(self, message: str) -> None:
        self.error = message
        self.query_one("#tl-title", Static).update(f"Socket timeline: {message}")

    def show(self, timeline: Timeline) -> None:
        """Draw ``timeline``: the chart at this width, every event in the table."""
        self.timeline = timeline
        lives = timeline.lives()
        count = timeline.events_count
        self.query_one("#tl-title", Static).update(
            f"Socket timeline: {self.path.name}  {len(lives)} socket(s), {count:,} event(s)"
            f"  (+{timeline.begin:.3f}s to +{timeline.end:.3f}s)"
        )
        self._draw_chart()
        table = self.query_one(DataTable)
        table.clear()
        for event in timeline.events()[:TABLE_MAX]:
            what = Text(KIND_LABELS[event.kind], style=ROW_STYLES[event.kind])
            size = fmt_bytes(event.size) if event.size else ""
            table.add_row(fmt_offset(event.t), f"#{event.connect_id}", what, size, event.detail)
        if count > TABLE_MAX:
            table.add_row("", "", Text(f"… {count - TABLE_MAX:,} more", style="dim"), "", "")

    def _draw_chart(self) -> None:
        if self.timeline is None:
            return
        width = max(40, self.size.width - 2)
        rows = timeline_rows(self.timeline, width)
        self.query_one("#tl-chart", Static).update(Text("\n").join(rows))

    def on_resize(self) -> None:
        self._draw_chart()


__all__ = ["TimelineScreen"]
