"""The URC / event log pane: every line in both directions, timestamped, coloured
by kind, filterable and searchable, bounded in memory.

A ScrollView that renders only the lines on screen (like Textual's own ``Log``),
so a flood costs an append per line, not a re-layout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.model.journal import Category, Journal, LogEntry

#: Colours per kind, chosen to stay readable on dark and on light themes.
DARK: dict[Category, str] = {
    Category.COMMAND: "bold #7ab8ff",
    Category.PAYLOAD: "#7ab8ff",
    Category.ECHO: "#7f8a99",
    Category.RESPONSE: "#d8dee9",
    Category.OK: "bold #7ccf85",
    Category.ERROR: "bold #ff6b6b",
    Category.PROMPT: "bold #f2c14e",
    Category.RECV: "#5ed6c8",
    Category.CLOSED: "bold #ff9f5a",
    Category.INCOMING: "bold #c792ea",
    Category.DEFERRED: "#f2c14e",
    Category.URC: "#b4a7f5",
    Category.LINK: "italic #9aa5b1",
    Category.APP: "italic #9aa5b1",
    Category.NOTE: "bold #ffd866",
    Category.MARKER: "bold reverse #ffd866",
}
LIGHT: dict[Category, str] = {
    Category.COMMAND: "bold #0b4fa8",
    Category.PAYLOAD: "#0b4fa8",
    Category.ECHO: "#6b7280",
    Category.RESPONSE: "#1f2933",
    Category.OK: "bold #1b7a2c",
    Category.ERROR: "bold #b42318",
    Category.PROMPT: "bold #8a5a00",
    Category.RECV: "#006d6a",
    Category.CLOSED: "bold #b54708",
    Category.INCOMING: "bold #6b2fa8",
    Category.DEFERRED: "#8a5a00",
    Category.URC: "#4b3fbf",
    Category.LINK: "italic #52606d",
    Category.APP: "italic #52606d",
    Category.NOTE: "bold #7a5c00",
    Category.MARKER: "bold reverse #7a5c00",
}
ARROWS = {"tx": "→", "rx": "←", "app": "·"}
#: How often a growing log applies its new size (and follows the newest line).
GROWTH_HZ = 5


def stamp(wall: float) -> str:
    """``HH:MM:SS.mmm`` local time (snapshot tests replace this with a fixed clock)."""
    return time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int((wall % 1) * 1000):03d}"


@dataclass(frozen=True)
class LineView:
    """How log lines are drawn (the line view options)."""

    #: Payloads of recv URCs and data-mode writes: "text", "hex" or "both" side by side.
    payload: str = "text"
    #: Show each frame as on the wire, line endings (``\\r\\n``) included.
    endings: bool = False
    #: "absolute" wall clock, "relative" to the session's start, "delta" from the line above.
    stamps: str = "absolute"


PAYLOAD_MODES = ("text", "hex", "both")
STAMP_MODES = ("absolute", "relative", "delta")


def stamp_text(wall: float, view: LineView, origin: float, previous: float | None) -> str:
    if view.stamps == "relative":
        return f"+{wall - origin:11.3f}"
    if view.stamps == "delta":
        return f"Δ{(wall - previous) if previous is not None else 0.0:11.3f}"
    return stamp(wall)


def render_entry(
    entry: LogEntry,
    *,
    hex_payload: bool | str = False,
    dark: bool,
    match: bool = False,
    view: LineView | None = None,
    origin: float = 0.0,
    previous: float | None = None,
) -> Text:
    view = view or LineView(payload="hex" if hex_payload is True else "text")
    palette = DARK if dark else LIGHT
    text = Text(no_wrap=True, end="")
    muted = "#7f8a99" if dark else "#5b6470"
    text.append(f"{stamp_text(entry.wall, view, origin, previous)} ", style=muted)
    text.append(f"{ARROWS.get(entry.direction, ' ')} ", style=muted)
    text.append(entry.shown(view.payload, view.endings), style=palette[entry.category])
    if entry.meaning:
        text.append(f"  ({entry.meaning})", style=f"italic {muted}")
    if entry.tag == "poll":
        text.stylize("dim")
    if match:
        # A marker is already drawn in reverse: its highlight undoes that instead.
        marker = entry.category is Category.MARKER
        text.stylize("not reverse underline" if marker else "reverse")
    return text


class EventLog(ScrollView, can_focus=True):
    """A view of a :class:`Journal`'s filtered entries."""

    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        overflow: auto auto;
    }
    EventLog:focus { background-tint: $foreground 4%; }
    """

    BINDINGS = [
        Binding("end", "follow", "Follow", show=False),
        Binding("home", "scroll_home", "Top", show=False),
    ]

    #: Keep the newest line in view as lines arrive.
    following: reactive[bool] = reactive(True)
    #: How lines are drawn (payload text/hex/both, line endings, timestamps).
    view: reactive[LineView] = reactive(LineView)
    #: Highlight rules from the profile: (compiled regex, rich style) pairs.
    highlights: reactive[tuple[tuple[Any, Any], ...]] = reactive(tuple)

    def __init__(self, journal: Journal, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.journal = journal
        self._cache: LRUCache[tuple[int, LineView, bool, bool, float | None, int], Strip] = (
            LRUCache(2048)
        )
        self._width = 0
        self._growth_pending = False
        self.match_index: int | None = None
        #: The session's start: relative timestamps count from here.
        self.origin = time.time()

    @property
    def hex_payload(self) -> bool:
        return self.view.payload != "text"

    @hex_payload.setter
    def hex_payload(self, on: bool) -> None:
        self.view = replace(self.view, payload="hex" if on else "text")

    # -- content changes ----------------------------------------------------------

    def entries_added(self) -> None:
        """The journal grew (or was trimmed). The new size is applied at most
        ``GROWTH_HZ`` times a second: under a flood that is what keeps the console
        answering keys (each size change used to mean a full-screen layout)."""
        dropped = self.journal.take_dropped()
        if dropped:
            if self.match_index is not None:
                self.match_index = max(0, self.match_index - dropped)
            if not self.following:
                self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        if not self.is_mounted:
            self._apply_growth()  # before mounting there are no timers: apply at once
        elif not self._growth_pending:
            self._growth_pending = True
            self.set_timer(1 / GROWTH_HZ, self._apply_growth)

    def _apply_growth(self) -> None:
        self._growth_pending = False
        self._grow_width(self.journal.view[-200:])
        self._set_virtual_size(Size(self._width, len(self.journal.view)))
        if self.following:
            self._follow_end()
        self.refresh()

    def _set_virtual_size(self, size: Size) -> None:
        """Change the virtual size; a layout only when a scroll bar appears or goes
        (otherwise the scroll bars are told directly, and only this widget repaints)."""
        old = self.virtual_size
        if size == old:
            return
        region = self.scrollable_content_region
        bars_before = (old.height > region.height, old.width > region.width)
        bars_after = (size.height > region.height, size.width > region.width)
        if bars_before != bars_after or not self.is_mounted:
            self.virtual_size = size
            return
        self.set_reactive(EventLog.virtual_size, size)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = size.height
            self.vertical_scrollbar.refresh()
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = size.width
            self.horizontal_scrollbar.refresh()

    def reset(self) -> None:
        """The filter changed: the whole view is new."""
        self._cache.clear()
        self._width = 0
        self._grow_width(self.journal.view)
        self.match_index = None
        self.virtual_size = Size(self._width, len(self.journal.view))
        if self.following:
            self._follow_end()
        self.refresh()

    def _follow_end(self) -> None:
        """Scroll to the newest line now, and again once the new size is laid out
        (until then the end is where the old size put it). ``force``: a scroll bar
        that has just become needed is only shown after the next layout, and until
        then Textual would refuse to scroll."""
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.call_after_refresh(self._scroll_to_end_if_following)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # A layout changed the window (first layout, a scroll bar came, the terminal
        # was resized): the end moved, so a following log goes there again.
        resized = super()._size_updated(size, virtual_size, container_size, layout)
        if self.following:
            self.call_after_refresh(self._scroll_to_end_if_following)
        return resized

    def _scroll_to_end_if_following(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def _grow_width(self, entries: list[LogEntry]) -> None:
        for e in entries:
            width = 16 + len(e.text) + (len(e.meaning) + 4 if e.meaning else 0)
            if e.payload is not None:
                width = max(width, 16 + len(e.head) + 3 * len(e.payload))
            self._width = max(self._width, width)

    def watch_view(self) -> None:
        self._redraw()

    def watch_highlights(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self._cache.clear()
        self._grow_width(self.journal.view)
        self.virtual_size = Size(self._width, len(self.journal.view))
        self.refresh()

    # A person scrolling up stops following; scrolling back to the end resumes it.
    # (Decided from what the person did, not from scroll positions, which layout
    # changes also move.)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.following = False
        super()._on_mouse_scroll_up(event)

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        super()._on_mouse_scroll_down(event)
        self.call_after_refresh(self._resume_at_end)

    def action_scroll_up(self) -> None:
        self.following = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.following = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.following = False
        super().action_scroll_home()

    def action_scroll_down(self) -> None:
        super().action_scroll_down()
        self.call_after_refresh(self._resume_at_end)

    def action_page_down(self) -> None:
        super().action_page_down()
        self.call_after_refresh(self._resume_at_end)

    def _resume_at_end(self) -> None:
        if self.is_vertical_scroll_end:
            self.following = True

    def action_follow(self) -> None:
        self.following = True
        self.scroll_end(animate=False)

    def show_index(self, index: int, *, center: bool = True) -> None:
        """Scroll so ``view[index]`` is visible and highlighted (search, or a
        selected line). ``center=False`` scrolls only as far as needed, the way
        a cursor moving line by line keeps its place on screen."""
        self.match_index = index
        self.following = False
        self._cache.clear()
        if center:
            top = max(0, index - self.size.height // 2)
        else:
            height = max(1, self.scrollable_content_region.height)
            top = min(max(int(self.scroll_y), index - height + 1), index)
        self.scroll_to(y=top, animate=False)
        self.refresh()

    # -- rendering -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        view = self.journal.view
        if index >= len(view):
            return Strip.blank(width, style)
        entry = view[index]
        dark = self.app.current_theme.dark if self.app.current_theme else True
        match = index == self.match_index
        previous = view[index - 1].wall if index > 0 and self.view.stamps == "delta" else None
        # Render only what can be seen: a 1 KiB payload line is cut to the window.
        reach = scroll_x + width
        key = (entry.seq, self.view, dark, match, previous, reach)
        strip = self._cache.get(key)
        if strip is None:
            text = self.render_text(entry, dark=dark, match=match, previous=previous)
            text.truncate(reach)
            text.stylize(Style(bgcolor=style.bgcolor))
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def render_text(
        self, entry: LogEntry, *, dark: bool = True, match: bool = False, previous: float | None
    ) -> Text:
        text = render_entry(
            entry, dark=dark, match=match, view=self.view, origin=self.origin, previous=previous
        )
        for pattern, rule_style in self.highlights:
            for found in pattern.finditer(text.plain):
                if found.end() > found.start():
                    text.stylize(rule_style, found.start(), found.end())
        return text

    def visible_text(self) -> list[str]:
        """The lines on screen as plain text (tests, screenshots as text)."""
        top = int(self.scroll_y)
        view = self.journal.view
        out = []
        for index in range(top, min(len(view), top + self.size.height)):
            previous = view[index - 1].wall if index > 0 else None
            out.append(self.render_text(view[index], previous=previous).plain)
        return out
