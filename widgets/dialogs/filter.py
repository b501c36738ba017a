"""The log filter dialog: which kinds of lines to show, and which socket."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, Select

from app.model.journal import GROUPS, Category, Filter


class FilterDialog(ModalScreen[Filter | None]):
    DEFAULT_CSS = """
    FilterDialog { align: center middle; }
    FilterDialog > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    /* One line per checkbox, focused or not: a focus border on a one-line box
       would cover its label; the focused one shows by its label's colours. */
    FilterDialog Checkbox, FilterDialog Checkbox:focus { border: none; padding: 0; height: 1; }
    FilterDialog Checkbox:focus > .toggle--label {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    FilterDialog #filter-buttons { height: auto; margin-top: 1; }
    FilterDialog Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "app.focus_next", "Next", show=False),
        Binding("up", "app.focus_previous", "Previous", show=False),
    ]

    def __init__(self, current: Filter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Show in the log", style="bold"))
            for i, (name, cats) in enumerate(GROUPS.items()):
                shown = not any(c in self.current.hidden for c in cats)
                yield Checkbox(name, value=shown, id=f"g{i}")
            yield Checkbox(
                "Polling (QISTATE, Module pane reads)", value=self.current.show_poll, id="poll"
            )
            yield Select(
                [("all sockets", -1)] + [(f"socket {i} only", i) for i in range(5)],
                value=-1 if self.current.connect_id is None else self.current.connect_id,
                allow_blank=False,
                id="socket",
                compact=True,
            )
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", id="apply", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        hidden: set[Category] = set()
        for i, cats in enumerate(GROUPS.values()):
            if not self.query_one(f"#g{i}", Checkbox).value:
                hidden.update(cats)
        socket = self.query_one("#socket", Select).value
        self.dismiss(
            Filter(
                hidden=hidden,
                connect_id=socket if isinstance(socket, int) and socket >= 0 else None,
                show_poll=self.query_one("#poll", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
