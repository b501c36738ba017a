"""F1: every key, the application's first (they work wherever the focus is), then
those of the field that has the focus."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: A section: its title and its (keys, what they do) rows.
Section = tuple[str, Sequence[tuple[str, str]]]


def keys_table(sections: Sequence[Section]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", max_width=24)
    table.add_column(ratio=1)
    for n, (title, rows) in enumerate(sections):
        if n:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for keys, what in rows:
            table.add_row(Text(keys, style="bold"), what)
    return table


class KeysScreen(ModalScreen[None]):
    """The keys, in sections; F1, Esc or Enter closes it, the arrows scroll."""

    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    KeysScreen VerticalScroll { height: auto; max-height: 100%; }
    KeysScreen #keys-help { color: $text-muted; dock: bottom; }
    """
    BINDINGS = [Binding("escape,f1,enter,q", "close", "Close")]

    def __init__(self, sections: Sequence[Section]) -> None:
        super().__init__()
        self.sections = list(sections)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("F1, Esc or Enter closes · ↑↓ PgUp PgDn scroll", id="keys-help")
            with VerticalScroll(id="keys-scroll"):
                yield Static(keys_table(self.sections), id="keys-body")

    def on_mount(self) -> None:
        self.query_one("#keys-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
