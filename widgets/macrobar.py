"""The macro bar: one button per macro, hidden when there is none; a cyclic
macro that runs shows ⟳ and its runs so far (its key or button stops it)."""

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
    MacroBar > Button.-running { background: $warning 60%; text-style: bold; }
    """

    class Run(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.macros: list[Macro] = []
        self._keys: dict[int, str] = {}
        #: Cyclic macros running now, by name: how many runs so far ("3/10").
        self.running: dict[str, str] = {}

    async def show(self, macros: Sequence[Macro], keys: Mapping[int, str]) -> None:
        """``keys``: the macro index -> how its key is shown (unbound ones have none)."""
        self.macros = list(macros)
        self._keys = dict(keys)
        self.set_class(bool(self.macros), "-some")
        await self.remove_children()
        if not self.macros:
            return
        buttons: list[Widget] = [Label("Macros", classes="title")]
        for i, macro in enumerate(self.macros):
            button = Button(self._label(i), id=f"macro-{i}", compact=True)
            button.tooltip = macro.summary()
            button.set_class(macro.name in self.running, "-running")
            buttons.append(button)
        await self.mount(*buttons)

    def _label(self, index: int) -> str:
        macro = self.macros[index]
        label = f"{self._keys[index]} {macro.name}" if index in self._keys else macro.name
        runs = self.running.get(macro.name)
        return f"⟳ {label} {runs}" if runs is not None else label

    def set_running(self, name: str, runs: str | None) -> None:
        """A cyclic macro runs (``runs``: how many so far, "3/10") or stopped (None)."""
        if runs is None:
            self.running.pop(name, None)
        else:
            self.running[name] = runs
        for index, macro in enumerate(self.macros):
            if macro.name != name:
                continue
            found = self.query(f"#macro-{index}")
            if found:
                button = found.first(Button)
                button.label = self._label(index)
                button.set_class(runs is not None, "-running")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("macro-"):
            self.post_message(self.Run(int(event.button.id.removeprefix("macro-"))))
