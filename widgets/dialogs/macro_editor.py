"""The macro editor: the profile's ``[[macro]]`` tables as TOML, checked before saving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

if TYPE_CHECKING:
    from app.config.macros import Macro


class MacroEditor(ModalScreen["list[Macro] | None"]):
    """Edit the macros as TOML; Save refuses (and says why) until they all check out."""

    DEFAULT_CSS = """
    MacroEditor { align: center middle; }
    MacroEditor > Vertical {
        width: 100; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MacroEditor TextArea { height: 1fr; }
    MacroEditor #macro-problems { height: auto; max-height: 8; color: $error; }
    MacroEditor .buttons { height: auto; align-horizontal: right; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, macros: Sequence[Macro], where: str) -> None:
        super().__init__()
        self.macros = list(macros)
        self.where = where

    def compose(self) -> ComposeResult:
        from app.config.toml_write import macros_toml

        with Vertical():
            yield Label(Text(f"Macros (saved to {self.where})", style="bold"))
            yield TextArea(macros_toml(self.macros), id="macro-text", show_line_numbers=True)
            yield Static("", id="macro-problems")
            with Horizontal(classes="buttons"):
                yield Button("Save (Ctrl+S)", id="macro-save", variant="primary")
                yield Button("Cancel (Esc)", id="macro-cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @on(Button.Pressed, "#macro-save")
    def action_save(self) -> None:
        from app.config.profile import read_macros

        macros, problems = read_macros(self.query_one(TextArea).text)
        if problems:
            self.query_one("#macro-problems", Static).update(
                Text("Not saved:\n" + "\n".join(problems))
            )
            return
        self.dismiss(macros)

    @on(Button.Pressed, "#macro-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
