"""The macro bar (one button per macro, hidden when there is none) and the
macro editor (the profile's ``[[macro]]`` tables as TOML, checked before saving)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Static, TextArea

if TYPE_CHECKING:
    from app.macros import Macro


class MacroBar(Horizontal):
    """A button per macro; the key (when it has one) is in the label."""

    DEFAULT_CSS = """
    MacroBar { height: 1; display: none; }
    MacroBar.-some { display: block; }
    MacroBar > .title { width: auto; color: $text-muted; padding: 0 1 0 0; }
    MacroBar > Button { height: 1; min-width: 6; border: none; margin: 0 1 0 0; padding: 0 1; }
    """

    class Run(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.macros: list[Macro] = []

    async def show(self, macros: Sequence[Macro], keys: Mapping[int, str]) -> None:
        """``keys``: the macro index -> how its key is shown (unbound ones have none)."""
        self.macros = list(macros)
        self.set_class(bool(self.macros), "-some")
        await self.remove_children()
        if not self.macros:
            return
        buttons: list[Widget] = [Label("Macros", classes="title")]
        for i, macro in enumerate(self.macros):
            label = f"{keys[i]} {macro.name}" if i in keys else macro.name
            button = Button(label, id=f"macro-{i}", compact=True)
            button.tooltip = macro.summary()
            buttons.append(button)
        await self.mount(*buttons)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("macro-"):
            self.post_message(self.Run(int(event.button.id.removeprefix("macro-"))))


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
        from app.profile import macros_toml

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
        from app.profile import read_macros

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
