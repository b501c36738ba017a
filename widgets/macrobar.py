"""The macro bar (one button per macro, hidden when there is none) and the
macro editor (the profile's ``[[macro]]`` tables as TOML, checked before saving)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from textual import on
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label

if TYPE_CHECKING:
    from app.config.macros import Macro


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
