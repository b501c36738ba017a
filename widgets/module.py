"""The Module pane: registration, signal, cell and power saving, decoded and live.

Each field in plain words, with the AT command (or URC) it came from and when;
the words come from :func:`app.model.module_view.module_sections`, this only lays
them out. Wide, the source stands in a column on the right; narrow (the stacked
layout, or a tab beside the log), it follows the rows it belongs to on a line of
its own. A line at the top answers "can a socket open now?".

In the console the pane asks for things by message (the app talks to the
session): ``r`` reads the module now, ``i`` sets the automatic reads' interval,
``u`` turns on the URCs that keep it current. ``m`` masks the IMEI, IMSI and
ICCID (for demos). In ``qiterm view`` it is read-only: the state at the selected
line of the capture, at that line's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from app.model.details import Source
from app.model.module_view import BAD, DIM, GOOD, WARN, Row, clock, glance, module_sections
from app.model.state import ModuleState
from app.session.module_reads import INTERVAL_CHOICES, interval_label
from widgets.dialogs.choice import ChoiceDialog

#: Row styles as colours.
STYLES = {GOOD: "green", WARN: "yellow", BAD: "bold red", DIM: "dim", "": ""}
#: Below this many cells the source goes on a line of its own.
SIDE_BY_SIDE = 72
LABEL_WIDTH = 17


def now() -> float:
    """The wall clock the countdown runs on (a test may pin it)."""
    return time.time()


def source_text(source: Source) -> str:
    return f"{source.what} · {clock(source.wall)}"


def _value(row: Row) -> Text:
    return Text(row.value, style=STYLES.get(row.style, ""))


def render_sections(state: ModuleState, at: float, width: int, *, mask: bool) -> RenderableType:
    """The pane's body for ``width`` cells: each section's title and rows."""
    parts: list[RenderableType] = []
    wide = width >= SIDE_BY_SIDE
    for section in module_sections(state, at, mask=mask):
        parts.append(Text(section.title, style="bold underline"))
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=LABEL_WIDTH, no_wrap=True, style="bold")
        table.add_column(ratio=1, overflow="fold")
        if wide:
            table.add_column(justify="right", no_wrap=True, style="dim")
        rows = section.rows
        for i, row in enumerate(rows):
            if wide:
                source = source_text(row.source) if row.source is not None else ""
                table.add_row(row.label, _value(row), source)
                continue
            table.add_row(row.label, _value(row))
            # Narrow: the source once, after the last row that shares it.
            following = rows[i + 1].source if i + 1 < len(rows) else None
            if row.source is not None and following != row.source:
                table.add_row("", Text(f"↳ {source_text(row.source)}", style="dim"))
        parts.append(table)
    return Group(*parts)


class IntervalDialog(ChoiceDialog):
    """How often the Module pane reads the module by itself (0: only when asked)."""

    def __init__(self, current: float) -> None:
        choices = [(interval_label(s) if s else "off (r reads)", s) for s in INTERVAL_CHOICES]
        super().__init__("Module pane: automatic reads", choices, current)


class ModulePane(VerticalScroll, can_focus=True):
    """The module's state in words (see the module docstring)."""

    # Not scoped: the rules follow the screen's size classes (the stacked layout
    # gives the tabs a few rows; the pane scrolls in them).
    SCOPED_CSS = False
    DEFAULT_CSS = """
    ModulePane { height: 1fr; padding: 0 1; }
    ModulePane > Static { height: auto; }
    ModulePane > #module-hint { margin-bottom: 1; color: $text-muted; }
    Screen.-narrow ModulePane { height: 9; }
    Screen.-narrow.-short ModulePane { height: 6; }
    Screen.-short ModulePane > #module-hint { display: none; }
    """
    BINDINGS = [
        Binding("r", "read", "Read now", tooltip="read the module now (AT+CEREG?, AT+QENG=0 ...)"),
        Binding(
            "i",
            "interval",
            "Every…",
            tooltip="how often the module is read by itself (or only when asked)",
        ),
        Binding(
            "u",
            "urcs",
            "URCs on",
            tooltip="turn on the URCs that keep this pane current: AT+CEREG=5, AT+CSCON=1, "
            "AT+QNBIOTEVENT=1,1 (saved in the module)",
        ),
        Binding("m", "mask", "Mask IDs", tooltip="show the IMEI, IMSI and ICCID masked, or not"),
    ]

    class Ready(Message):
        """The pane is mounted (after the first frame): show it something."""

    class ReadNow(Message):
        """Read the module now (``r``); the app sets ``pane.reading`` meanwhile."""

        def __init__(self, pane: ModulePane) -> None:
            super().__init__()
            self.pane = pane

    class IntervalChosen(Message):
        """Read the module every ``seconds`` (0: only when asked)."""

        def __init__(self, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds

    class UrcsWanted(Message):
        """Turn on the URCs that keep the pane current (``u``), then read."""

        def __init__(self, pane: ModulePane) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        #: False in the viewer: nothing is sent, the time is the selected line's.
        self.live = live
        self.mask = False
        self._state: ModuleState | None = None
        self._at: float | None = None
        self._auto = 0.0
        self._note = ""
        #: A read asked for with ``r`` is under way.
        self.reading = False
        #: Where "now" comes from (the wall clock, unless a test pins it).
        self.clock: Callable[[], float] = now
        #: The live pane's once-a-second redraw (the countdowns), only while shown.
        self._clock: Timer | None = None
        #: On screen (Textual's Show and Hide): a hidden pane is not redrawn for
        #: each new state (the module's reads, every 30 s on the simulator).
        self._shown = False

    def compose(self) -> ComposeResult:
        yield Static(id="module-glance")
        yield Static(id="module-hint")
        yield Static(id="module-body")

    def on_mount(self) -> None:
        if self.live:
            # Paused until the pane is shown (a tab not open wakes nobody).
            self._clock = self.set_interval(1.0, self._countdown, pause=True)
        self._redraw()
        self.post_message(self.Ready())

    # -- what the app calls ------------------------------------------------------------

    def show(
        self,
        state: ModuleState,
        *,
        at: float | None = None,
        interval: float | None = None,
        note: str = "",
    ) -> None:
        """Show ``state``: live (the clock runs) or as it was at ``at`` (the viewer).
        ``interval``: the automatic reads' period (0: off); ``note``: a line for
        the viewer (which line of the capture this is)."""
        self._state = state
        self._at = at
        if interval is not None:
            self._auto = interval
        self._note = note
        if self.is_mounted and self._shown:
            self._redraw()  # hidden, :meth:`on_show` draws it (a redraw lays the screen out)

    # -- drawing -------------------------------------------------------------------------

    def _countdown(self) -> None:
        if self._state is not None and self.is_on_screen:
            self._redraw()

    def on_show(self) -> None:
        """The pane is on screen: what it shows is brought up to date, its clock runs."""
        self._shown = True
        self._redraw()
        if self._clock is not None:
            self._clock.resume()

    def on_hide(self) -> None:
        """Another tab is open: no redraw, the clock stops, until :meth:`on_show`."""
        self._shown = False
        if self._clock is not None:
            self._clock.pause()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        state = self._state
        glance_line = self.query_one("#module-glance", Static)
        body = self.query_one("#module-body", Static)
        self.query_one("#module-hint", Static).update(self._hint())
        if state is None:
            glance_line.update(Text("Nothing read yet.", style="dim"))
            body.update("")
            return
        at = self._at if self._at is not None else self.clock()
        row = glance(state, at)
        glance_line.update(Text(row.value, style=STYLES.get(row.style, "")))
        width = max(20, self.scrollable_content_region.width or self.size.width)
        body.update(render_sections(state, at, width, mask=self.mask))

    def _hint(self) -> str:
        mask = "m unmasks IDs" if self.mask else "m masks IDs"
        if not self.live:
            return f"{self._note or 'the module at the selected line'} · {mask}"
        auto = (
            f"read {interval_label(self._auto)} (i)"
            if self._auto > 0
            else "no automatic reads (i sets them)"
        )
        read = "reading the module…" if self.reading else "r reads now"
        return f"{auto} · {read} · u URCs on · {mask}"

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("read", "interval", "urcs"):
            return self.live
        return True

    def action_read(self) -> None:
        self.post_message(self.ReadNow(self))

    def set_reading(self, reading: bool) -> None:
        """A read asked for is under way (the hint says so), or done."""
        self.reading = reading
        if self.is_mounted:
            self._redraw()

    def action_interval(self) -> None:
        def chosen(seconds: float | None) -> None:
            if seconds is not None:
                self._auto = seconds
                self.post_message(self.IntervalChosen(seconds))
                self._redraw()

        self.app.push_screen(IntervalDialog(self._auto), chosen)

    def action_urcs(self) -> None:
        self.post_message(self.UrcsWanted(self))

    def action_mask(self) -> None:
        self.mask = not self.mask
        self._redraw()


__all__ = ["IntervalDialog", "ModulePane", "render_sections", "source_text"]
