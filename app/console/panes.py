"""Getting around by keyboard: a key per pane (the socket table, the tabs, the log,
the command line), shown in the footer, and F1, which lists the console's keys
first and then those of the field with the focus."""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent

from app.console.base import ConsoleBase
from app.console.keys import key_display
from widgets.cmdline import CommandLine
from widgets.dialogs.keys import KeysScreen, Section
from widgets.log import EventLog
from widgets.sockets import SocketTable

#: The field each tab's key lands in (the one whose Enter runs the tab's command).
FIRST_FIELD = {
    "tab-send": "#data",
    "tab-ping": "#ping-host",
    "tab-ntp": "#ntp-server",
    "tab-dns": "#dns-name",
    "tab-history": "#history",
    "tab-commands": "#cmd-0",
    "tab-module": "#module",
}
TAB_ORDER = tuple(FIRST_FIELD)

#: How F1 names the widget with the focus.
FIELD_NAMES = {
    "at-input": "the AT command line",
    "data": "the composer's data field",
    "log": "the log",
    "sockets": "the socket table",
    "search": "the log search",
    "history": "the history of sends",
    "cmdlist": "the command list",
    "module": "the Module pane",
}

#: Keys that no binding lists but that always work.
ALWAYS = [
    ("Tab / Shift+Tab", "next / previous field (on the command line Tab completes first)"),
    ("Ctrl+P", "the palette: every AT command, ports, macros, line control, log options"),
]


def _name(widget: Widget) -> str:
    if widget.id in FIELD_NAMES:
        return FIELD_NAMES[widget.id]
    if widget.id and widget.id.startswith("cmd-"):
        return f"the command list (row {int(widget.id.removeprefix('cmd-')) + 1})"
    kind = type(widget).__name__
    return f"the {kind} #{widget.id}" if widget.id else f"the {kind}"


def _rows(node: DOMNode, skip: set[str]) -> list[tuple[str, str]]:
    """``node``'s own bindings, one row per action, without the keys in ``skip``."""
    grouped: dict[str, tuple[list[str], Binding]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        if key in skip:
            continue
        for binding in bindings:
            text = binding.tooltip or binding.description
            if not text:
                continue
            keys, _ = grouped.setdefault(binding.action, ([], binding))
            keys.append(binding.key_display or key_display(key))
    return [
        (" / ".join(keys), binding.tooltip or binding.description)
        for keys, binding in grouped.values()
    ]


class PaneActions(ConsoleBase):
    def action_focus_pane(self, pane: str) -> None:
        """Ctrl+Y the socket table, Ctrl+N the tabs (again: the next tab), Ctrl+R
        the log, Ctrl+L the command line."""
        if pane == "sockets":
            table = self.query_one(SocketTable)
            table.focus()
            if table.row_count == 0:
                self.notify("No socket is open: F2 opens one.")
        elif pane == "tabs":
            self._focus_tabs()
        elif pane == "log":
            self.query_one(EventLog).focus()
        else:
            self.query_one(CommandLine).input.focus()

    #: The tab a Ctrl+N is on its way to (keys typed fast come before the focus).
    _tab_on_its_way: str | None = None

    def _focus_tabs(self) -> None:
        tabs = self.query_one(TabbedContent)
        focused = self.focused
        inside = focused is not None and tabs in focused.ancestors_with_self
        current = tabs.active if tabs.active in TAB_ORDER else TAB_ORDER[0]
        if self._tab_on_its_way is not None:
            inside, current = True, self._tab_on_its_way
        target = TAB_ORDER[(TAB_ORDER.index(current) + 1) % len(TAB_ORDER)] if inside else current
        self._tab_on_its_way = target
        if target != tabs.active:
            # Focus left in the old pane would pull the tabs back to it.
            tabs.query_one("ContentTabs").focus()
            tabs.active = target
        self.call_after_refresh(self._focus_field, target)

    def action_module_pane(self) -> None:
        """The Module tab with its pane focused (the palette's "Module pane")."""
        tabs = self.query_one(TabbedContent)
        self._tab_on_its_way = "tab-module"
        if tabs.active != "tab-module":
            tabs.query_one("ContentTabs").focus()
            tabs.active = "tab-module"
        self.call_after_refresh(self._focus_field, "tab-module")

    def _focus_field(self, tab: str) -> None:
        if self._tab_on_its_way != tab:
            return  # a later Ctrl+N goes further
        found = self.query(FIRST_FIELD[tab])
        if found:
            found.first().focus()
            self._tab_on_its_way = None
        else:  # a lazy tab not mounted yet: once it is
            self.call_after_refresh(self._focus_field, tab)

    # -- F1 ---------------------------------------------------------------------------

    def key_sections(self) -> list[Section]:
        """The console's keys (wherever the focus is), then the focused field's."""
        # Ctrl+P is in ALWAYS, said the console's way.
        app_rows = _rows(self, {self.COMMAND_PALETTE_BINDING}) + ALWAYS
        sections: list[Section] = [("Everywhere", app_rows)]
        focused = self.focused
        if focused is None:
            return sections
        skip = set(self._bindings.key_to_bindings)
        rows: list[tuple[str, str]] = []
        for node in focused.ancestors_with_self:
            if isinstance(node, Screen):
                break
            found = _rows(node, skip)
            rows += found
            skip |= set(node._bindings.key_to_bindings)
        if rows:
            sections.append((f"In {_name(focused)}", rows))
        return sections

    def action_toggle_keys(self) -> None:
        """F1: the list of keys (F1 again, Esc or Enter closes it)."""
        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(KeysScreen(self.key_sections()))


__all__ = ["FIRST_FIELD", "TAB_ORDER", "PaneActions"]
