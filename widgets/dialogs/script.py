"""Choose a scenario script to play in the console (shipped ones or any path)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ScriptDialog(ModalScreen[str | None]):
    """Choose a scenario script to play in the console (the shipped ones are listed)."""

    DEFAULT_CSS = """
    ScriptDialog { align: center middle; }
    ScriptDialog > Vertical {
        width: 80; max-width: 98%; height: auto; max-height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ScriptDialog OptionList { height: auto; max-height: 10; }
    ScriptDialog #script-problem { height: auto; width: 100%; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scripts: list[str]) -> None:
        super().__init__()
        self.scripts = scripts

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList

        with Vertical():
            yield Label(Text("Play a scenario script", style="bold"))
            yield OptionList(*self.scripts, id="script-list")
            yield Input(placeholder="or a path to a .qis script", id="script-path", compact=True)
            yield Label("", id="script-problem")

    @on(Input.Submitted, "#script-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def on_option_list_option_selected(self, event: Any) -> None:
        self.dismiss(self.scripts[event.option_index])

    def problem(self, message: str) -> None:
        self.query_one("#script-problem", Label).update(Text(message, style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
