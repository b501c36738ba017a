"""The log pane: every line in both directions, timestamped, coloured by kind,
filterable and searchable, bounded in memory. The console and ``qiterm view``
both show their log in a :class:`LogPane`, so both have the same keys, line
view options, search and follow.

:class:`EventLog` is a ScrollView that renders only the lines on screen (like
Textual's own ``Log``), so a flood costs an append per line, not a re-layout.
Lines are drawn by :func:`app.model.render.render_entry`; their colours are the
widget's component classes (``log--ok``, ``log--recv``...), set from the theme's
variables, so a Textual theme restyles the log.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive, var
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static

from app.config.highlight import HighlightRule
from app.model.journal import Journal, LogEntry
from app.model.render import STYLE_NAMES, LineView, line_width, render_entry

#: How often a growing log applies its new size (and follows the newest line).
GROWTH_HZ = 5
#: What the pane says while it does not follow new lines.
PAUSED = "paused — End or F8 follows again"
#: Rendered lines kept (each cut to the window's reach, so a few screens of
#: them): a small count, so that the cache stays a few MB whatever the lines'
#: length and however long a flood runs.
RENDER_CACHE_LINES = 128

#: A rendered line's key: entry seq, line view, search match, previous stamp, reach.
_LineKey = tuple[int, LineView, bool, float | None, int]


class _RenderCache:
    """The last :data:`RENDER_CACHE_LINES` rendered lines, least recently used out.

    An ``OrderedDict`` rather than Textual's ``LRUCache``: that one links its entries
    in a ring of Python lists, so every line it evicts is a reference cycle that only
    the garbage collector's full pass frees, with the line's strips and their caches
    hanging off it; in a flood of new lines that is thousands a second, and those full
    passes are the longest pauses a key press meets. Here an evicted line is freed at
    once, by reference counting."""

    __slots__ = ("_lines",)

    def __init__(self) -> None:
        self._lines: OrderedDict[_LineKey, Strip] = OrderedDict()

    def get(self, key: _LineKey) -> Strip | None:
        strip = self._lines.get(key)
        if strip is not None:
            self._lines.move_to_end(key)
        return strip

    def __setitem__(self, key: _LineKey, strip: Strip) -> None:
        self._lines[key] = strip
        self._lines.move_to_end(key)
        if len(self._lines) > RENDER_CACHE_LINES:
            self._lines.popitem(last=False)

    def __len__(self) -> int:
        return len(self._lines)

    def clear(self) -> None:
        self._lines.clear()


def older_text(count: int) -> str:
    """What the top of a paused log says when ``count`` older lines have left it."""
    lines = "line is" if count == 1 else "lines are"
    return f"↑ {count:,} older {lines} in the capture only (the log keeps the newest: --log-memory)"


class EventLog(ScrollView, can_focus=True):
    """A view of a :class:`Journal`'s filtered entries, with one highlighted line
    (``match_index``: the search match, or the selected line)."""

    COMPONENT_CLASSES = {f"log--{name}" for name in STYLE_NAMES}

    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        overflow: auto auto;
        & > .log--timestamp { color: $text-muted; }
        & > .log--arrow { color: $text-muted; }
        & > .log--meaning { color: $text-muted; text-style: italic; }
        & > .log--poll { text-style: dim; }
        & > .log--match { background: $primary 40%; }
        & > .log--command { color: $text-primary; text-style: bold; }
        & > .log--payload { color: $text-primary; }
        & > .log--echo { color: $text-muted; }
        & > .log--response { color: $foreground; }
        & > .log--ok { color: $text-success; text-style: bold; }
        & > .log--error { color: $text-error; text-style: bold; }
        & > .log--prompt { color: $text-warning; text-style: bold; }
        & > .log--recv { color: $text-success; }
        & > .log--closed { color: $text-accent; text-style: bold; }
        & > .log--incoming { color: $text-secondary; text-style: bold; }
        & > .log--deferred { color: $text-warning; }
        & > .log--urc { color: $text-secondary; }
        & > .log--link { color: $text-muted; text-style: italic; }
        & > .log--app { color: $text-muted; text-style: italic; }
        & > .log--note { color: $text-warning; background: $warning 15%; text-style: bold; }
        & > .log--marker { color: auto 90%; background: $warning; text-style: bold; }
    }
    EventLog:focus { background-tint: $foreground 4%; }
    """

    BINDINGS = [
        Binding("end", "follow", "Follow", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("up", "move(-1)", "Line up", show=False),
        Binding("down", "move(1)", "Line down", show=False),
        Binding(
            "shift+up", "extend(-1)", "Range up", show=False, tooltip="select a range of lines"
        ),
        Binding(
            "shift+down", "extend(1)", "Range down", show=False, tooltip="select a range of lines"
        ),
        Binding("enter", "show_line", "Whole line"),
        Binding(
            "c", "copy", "Copy", show=False, tooltip="copy the selected line(s) to the clipboard"
        ),
        Binding(
            "p",
            "copy_payload",
            "Copy payload",
            show=False,
            tooltip="copy the payload of the selected recv URC (or data sent)",
        ),
        Binding(
            "x", "clear", "Clear", show=False, tooltip="clear the log view (the capture keeps all)"
        ),
    ]

    class Copied(Message):
        """Text went to the clipboard (``path``: the fallback file, if written)."""

        def __init__(self, what: str, path: Path | None, said: str) -> None:
            super().__init__()
            self.what = what
            self.path = path
            self.said = said

    class ClearAsked(Message):
        """A person asked to clear the view (the owner clears its journal)."""

    class Selected(Message):
        """A line was selected or found (``index`` in the journal's view)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    #: Keep the newest line in view as lines arrive.
    following: reactive[bool] = reactive(True)
    #: How lines are drawn (payload text/hex/both, line endings, timestamps).
    view: reactive[LineView] = reactive(LineView)
    #: Highlight rules from the profile: (compiled regex, rich style) pairs.
    highlights: reactive[tuple[tuple[Any, Any], ...]] = reactive(tuple)
    #: Lines that have left the journal (its bounds, a clear): the pane says so.
    evicted: var[int] = var(0)

    def __init__(self, journal: Journal, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.journal = journal
        self._cache = _RenderCache()
        self._styles: dict[str, Style] | None = None
        self._rules: tuple[HighlightRule, ...] = ()
        self._width = 0
        #: The newest entry (its seq) the scroll width has measured.
        self._measured_seq = 0
        self._growth_pending = False
        #: time.monotonic() of the last applied growth (a lone line shows at once).
        self._grown_at = 0.0
        self.match_index: int | None = None
        #: The other end of a range of selected lines (Shift+↑↓), or None.
        self.anchor_index: int | None = None
        #: Where copies are also written (None: copying only through OSC 52).
        self.copy_folder: Path | None = None
        #: The owner clears the journal when asked (:class:`ClearAsked`).
        self.clearable = False
        #: The session's start: relative timestamps count from here.
        self.origin = time.time()

    @property
    def hex_payload(self) -> bool:
        return self.view.payload != "text"

    # -- content changes ----------------------------------------------------------

    def entries_added(self) -> None:
        """The journal grew (or was trimmed). The new size is applied at most
        ``GROWTH_HZ`` times a second: under a flood that is what keeps the console
        answering keys (each size change used to mean a full-screen layout). A
        growth after a quiet spell is applied at once, so a reply typed for shows
        without waiting for the next tick."""
        dropped = self.journal.take_dropped()
        if dropped:
            if self.match_index is not None:
                self.match_index = max(0, self.match_index - dropped)
            if self.anchor_index is not None:
                self.anchor_index = max(0, self.anchor_index - dropped)
            if not self.following:
                self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        if not self.is_mounted:
            self._apply_growth()  # before mounting there are no timers: apply at once
        elif not self._growth_pending:
            wait = self._grown_at + 1 / GROWTH_HZ - time.monotonic()
            if wait <= 0:
                self._apply_growth()
            else:
                self._growth_pending = True
                self.set_timer(wait, self._apply_growth)

    def _apply_growth(self) -> None:
        self._growth_pending = False
        self._grown_at = time.monotonic()
        self._grow_width(self.journal.view[-200:])
        self._set_virtual_size(Size(self._width, len(self.journal.view)))
        self.evicted = self.journal.evicted
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
        self.match_index = None
        self.anchor_index = None
        self._redraw()
        if self.following:
            self._follow_end()

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
        if self.show_vertical_scrollbar:
            # A scroll made while the bar was hidden (the window was still being
            # laid out) never reached the bar: its thumb would show the top.
            bar = self.vertical_scrollbar
            bar.window_virtual_size = self.virtual_size.height
            bar.position = self.scroll_y

    def _grow_width(self, entries: list[LogEntry]) -> None:
        """Widen the scroll width to the lines of ``entries`` not measured yet: each
        line is measured once (measuring escapes its text, which a log line derives
        from its bytes when asked), however many growths see it among the newest."""
        view, after = self.view, self._measured_seq
        widths = [line_width(e, view) for e in entries if e.seq > after]
        if entries:
            self._measured_seq = max(after, entries[-1].seq)
        self._width = max(self._width, max(widths, default=0))

    def watch_view(self) -> None:
        self._redraw()

    def watch_highlights(self) -> None:
        self._rules = tuple(HighlightRule(pattern, style) for pattern, style in self.highlights)
        self._redraw()

    def _redraw(self) -> None:
        self._cache.clear()
        self._width = self._measured_seq = 0
        self._grow_width(self.journal.view)
        self.virtual_size = Size(self._width, len(self.journal.view))
        self.evicted = self.journal.evicted
        self.refresh()

    def notify_style_update(self) -> None:
        # The theme (or a pseudo-class such as :focus) changed: colours are new.
        super().notify_style_update()
        self._styles = None
        self._cache.clear()

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
        """Follow new lines again, from the newest one (a line selected above the
        newest is let go)."""
        if self.match_index is not None and self.match_index < len(self.journal.view) - 1:
            self.match_index = None
            self._cache.clear()
            self.refresh()
        self.following = True
        self.scroll_end(animate=False)

    # -- the selected line --------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """↑/↓: select the line above or below (the first ↑ selects the lowest line
        in view); the log stops following. ↓ from the newest line follows again."""
        view = self.journal.view
        if not view:
            return
        if self.anchor_index is not None:
            self.anchor_index = None
            self._cache.clear()
        current = self.match_index
        if current is None:
            bottom = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
            self.select(min(len(view) - 1, bottom))
            return
        if delta > 0 and current >= len(view) - 1:
            self.action_follow()
            return
        self.select(current + delta)

    def action_extend(self, delta: int) -> None:
        """Shift+↑/↓: select a range, from the line selected first to this one."""
        view = self.journal.view
        if not view:
            return
        current = self.match_index if self.match_index is not None else len(view) - 1
        anchor = current if self.anchor_index is None else self.anchor_index
        self.select(current + (delta if self.match_index is not None else 0))
        self.anchor_index = min(anchor, len(view) - 1)
        self._cache.clear()
        self.refresh()

    def selected_range(self) -> range:
        """The selected lines (a range of indexes in the view): the range, else
        the selected line, else the newest one; empty for an empty log."""
        index = self.selected_index()
        if index is None:
            return range(0)
        if self.anchor_index is None:
            return range(index, index + 1)
        low, high = sorted((index, min(self.anchor_index, len(self.journal.view) - 1)))
        return range(low, high + 1)

    def _in_selection(self, index: int) -> bool:
        if index == self.match_index:
            return True
        if self.anchor_index is None or self.match_index is None:
            return False
        low, high = sorted((self.match_index, self.anchor_index))
        return low <= index <= high

    # -- copy and clear ----------------------------------------------------------------

    def action_copy(self) -> None:
        """c: the selected line (or range, or the newest line) as shown, to the clipboard."""
        from widgets.clipboard import copy_lines

        copy_lines(self)

    def action_copy_payload(self) -> None:
        """p: the payload of the selected recv URC (or of data sent), as text when
        it is UTF-8, else as hex digits."""
        from widgets.clipboard import copy_payload

        copy_payload(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear":
            return self.clearable
        return True

    def action_clear(self) -> None:
        """x: ask the owner to clear the view (the capture keeps everything)."""
        self.post_message(self.ClearAsked())

    def selected_index(self) -> int | None:
        """The selected line, else the newest one (None for an empty log)."""
        view = self.journal.view
        if not view:
            return None
        index = self.match_index
        return index if index is not None and index < len(view) else len(view) - 1

    def action_show_line(self) -> None:
        """Enter: the selected line (or the newest) whole, in a window of its own."""
        from widgets.dialogs.line import LineDialog

        index = self.selected_index()
        if index is None:
            self.notify("The log is empty.")
            return
        self.app.push_screen(LineDialog(self.journal.view[index], index))

    def show_index(self, index: int, *, center: bool = True) -> None:
        """Scroll so ``view[index]`` is visible and highlighted (search, or a
        selected line); the log stops following. ``center=False`` scrolls only as
        far as needed, the way a cursor moving line by line keeps its place."""
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

    def select(self, index: int, *, center: bool = False) -> None:
        """Highlight ``view[index]`` (clamped to the view), show it, and say so
        (:class:`Selected`)."""
        view = self.journal.view
        if not view:
            return
        index = min(max(0, index), len(view) - 1)
        self.show_index(index, center=center)
        self.post_message(self.Selected(index))

    # -- rendering -------------------------------------------------------------------

    @property
    def styles_map(self) -> dict[str, Style]:
        """The style of each line part and kind, from the component classes (so
        from the theme)."""
        if self._styles is None:
            self._styles = {name: self._component_style(f"log--{name}") for name in STYLE_NAMES}
        return self._styles

    def _component_style(self, name: str) -> Style:
        """A component class as a style of only what it sets: its colours as they
        show on this widget (``$text-muted`` is a translucent colour), its text
        style; nothing that would cover the line's other styles."""
        rules = self.get_component_styles(name)
        shown = self.get_component_rich_style(name)
        colours = Style(
            color=shown.color if rules.has_rule("color") else None,
            bgcolor=shown.bgcolor if rules.has_rule("background") else None,
        )
        return colours + self.get_component_rich_style(name, partial=True).without_color

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        view = self.journal.view
        if index >= len(view):
            return Strip.blank(width, style)
        entry = view[index]
        match = self._in_selection(index)
        previous = view[index - 1].wall if index > 0 and self.view.stamps == "delta" else None
        # Render only what can be seen: a 1 KiB payload line is cut to the window.
        reach = scroll_x + width
        key = (entry.seq, self.view, match, previous, reach)
        strip = self._cache.get(key)
        if strip is None:
            text = self.render_text(entry, match=match, previous=previous, width=reach)
            text.style = Style(bgcolor=style.bgcolor)  # under the line's own styles
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[key] = strip
        if scroll_x == 0 and strip.cell_length == width:
            # Already the window's size. Strip.crop_extend would return the strip itself
            # and keep it in its own cache: a reference cycle that only the garbage
            # collector's slowest pass frees, once the line leaves the render cache. In a
            # flood of long lines (each cut to the window) that was every line.
            return strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def render_text(
        self,
        entry: LogEntry,
        *,
        match: bool = False,
        previous: float | None,
        width: int | None = None,
    ) -> Text:
        return render_entry(
            entry,
            self.styles_map,
            view=self.view,
            origin=self.origin,
            previous=previous,
            match=match,
            highlights=self._rules,
            width=width,
        )

    def visible_text(self) -> list[str]:
        """The lines on screen as plain text (tests, screenshots as text)."""
        top = int(self.scroll_y)
        view = self.journal.view
        out = []
        for index in range(top, min(len(view), top + self.size.height)):
            previous = view[index - 1].wall if index > 0 else None
            out.append(self.render_text(view[index], previous=previous).plain)
        return out


class LogPane(Vertical):
    """An :class:`EventLog` with what goes with it: the search field (Ctrl+F;
    Enter or ↓ the next match down, Shift+Enter or ↑ the one above, Escape
    closes it), the line view options (Ctrl+T payloads as text/hex/both, ``t``
    timestamps, ``e`` line endings), follow/pause (End or F8), with a notice
    while the log does not follow new lines, and ``z`` (zoom) for the log alone
    on the screen. In the log, ↑↓ select a line and Enter shows it whole."""

    DEFAULT_CSS = """
    LogPane {
        height: 1fr;
        & > EventLog { height: 1fr; }
        & > .log-search { display: none; dock: top; }
        & > .log-search.-shown { display: block; }
        & > .log-notice {
            display: none;
            dock: bottom;
            height: 1;
            padding: 0 1;
            background: $warning 25%;
            color: $foreground;
        }
        & > .log-notice.-shown { display: block; }
        & > .log-older {
            display: none;
            dock: top;
            height: 1;
            padding: 0 1;
            background: $primary 15%;
            color: $text-muted;
        }
        & > .log-older.-shown { display: block; }
    }
    """

    BINDINGS = [
        Binding("ctrl+f", "search", "Search", priority=True),
        Binding("ctrl+t", "cycle_payload", "Hex/Text", priority=True),
        Binding("f8", "toggle_follow", "Follow", show=False),
        Binding("t", "cycle_stamps", "Timestamps", show=False),
        Binding("e", "toggle_endings", "Line endings", show=False),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("escape", "close_search", "Close search", show=False),
        Binding("down", "search_next", "Next match", show=False),
        Binding("shift+enter,up", "search_previous", "Previous match", show=False),
    ]

    ALLOW_MAXIMIZE = True

    #: New lines can still arrive (a live console, a capture still loading): only
    #: then does the pane say that it does not follow them.
    live: reactive[bool] = reactive(True)

    def __init__(
        self,
        log: EventLog,
        *,
        placeholder: str = "search the log (regex); Enter: next match, Shift+Enter/↑: previous",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.event_log = log
        self.journal = log.journal
        self._placeholder = placeholder
        self._return_focus: Widget | None = None
        self._matches_key: tuple[str, int, int, int] | None = None
        self._matches: list[int] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self._placeholder, id="search", classes="log-search")
        yield Static("", classes="log-older")
        yield self.event_log
        yield Static(PAUSED, classes="log-notice")

    def on_mount(self) -> None:
        self.watch(self.event_log, "following", self._show_notice, init=False)
        self.watch(self.event_log, "evicted", self._show_notice, init=False)
        self._show_notice()

    @property
    def search(self) -> Input:
        return self.query_one(".log-search", Input)

    def _show_notice(self, _: object = None) -> None:
        """At the bottom, that the log is paused; at the top, while it is paused
        (a person reading back), how many older lines are in the capture only."""
        paused = self.live and not self.event_log.following
        self.query_one(".log-notice").set_class(paused, "-shown")
        evicted = self.event_log.evicted
        older = self.query_one(".log-older", Static)
        if evicted:
            older.update(older_text(evicted))
        older.set_class(paused and evicted > 0, "-shown")

    def watch_live(self) -> None:
        if self.is_mounted:
            self._show_notice()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_search":
            return self.search.has_class("-shown")
        if action in ("search_next", "search_previous"):
            return self.search.has_focus
        return True

    # -- line view options ------------------------------------------------------------

    def action_cycle_payload(self) -> None:
        """Payloads as text, as hex, or both side by side."""
        self.event_log.view = self.event_log.view.next_payload()
        mode = self.event_log.view.payload
        self.notify(f"payloads shown as {'hex and text' if mode == 'both' else mode}")

    def action_cycle_stamps(self) -> None:
        """Timestamps absolute, relative to the start, or delta from the line above."""
        self.event_log.view = self.event_log.view.next_stamps()
        self.notify(f"timestamps: {self.event_log.view.stamps}")

    def action_toggle_endings(self) -> None:
        """Show each frame as on the wire, line endings included (or not)."""
        self.event_log.view = self.event_log.view.toggled_endings()
        self.notify(f"line endings {'shown' if self.event_log.view.endings else 'hidden'}")

    def action_zoom(self) -> None:
        """The log alone on the screen, or back in its place."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        else:
            screen.maximize(self, container=False)

    # -- follow -------------------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        if self.event_log.following:
            self.event_log.following = False
        else:
            self.event_log.action_follow()
        self.notify(f"log {'follows new lines' if self.event_log.following else 'paused'}")

    # -- search -----------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.search
        if not search.has_focus:
            self._return_focus = self.app.focused
        search.add_class("-shown")
        search.focus()

    def action_close_search(self) -> None:
        """Hide the search field; the focus goes back where it was."""
        self.search.remove_class("-shown")
        back = self._return_focus
        self._return_focus = None
        if back is None or not back.is_attached or back is self.search:
            back = self.event_log
        back.focus()

    @on(Input.Changed, ".log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.find(event.value, 0)

    @on(Input.Submitted, ".log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.find(event.value, 1)

    def action_search_next(self) -> None:
        self.find(self.search.value, 1)

    def action_search_previous(self) -> None:
        self.find(self.search.value, -1)

    def matches(self, query: str) -> list[int]:
        """Indexes in the view of the lines matching ``query`` (kept until the
        query or the view changes)."""
        view = self.journal.view
        key = (query, self.journal.total, len(view), id(view))
        if key != self._matches_key:
            self._matches_key = key
            self._matches = self.journal.matches(query)
        return self._matches

    def find(self, query: str, step: int) -> int | None:
        """Go to a line matching ``query``: ``step`` 0 the first from the current
        line on (the highlighted line, else the top of the window), 1 the next one
        down, -1 the one above; wrapping around. The field's corner counts the
        matching lines: ``match k/N``."""
        found = self.matches(query)
        search = self.search
        if not found:
            search.border_subtitle = "no match" if query else ""
            return None
        log_ = self.event_log
        current = log_.match_index if log_.match_index is not None else int(log_.scroll_y)
        if step > 0:
            k = bisect.bisect_right(found, current)
        elif step < 0:
            k = bisect.bisect_left(found, current) - 1
        else:
            k = bisect.bisect_left(found, current)
        k %= len(found)  # past the last match: the first; before the first: the last
        search.border_subtitle = f"match {k + 1}/{len(found)}"
        log_.select(found[k], center=True)
        return found[k]


__all__ = ["GROWTH_HZ", "PAUSED", "RENDER_CACHE_LINES", "EventLog", "LogPane", "older_text"]
