"""Add a note to the capture (about the selected log line, when there is one)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class NoteDialog(ModalScreen[str | None]):
    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    NoteDialog > Vertical {
        width: 70; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, about: str = "") -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Add a note to the capture", style="bold"))
            if self.about:
                yield Label(Text(f"about: {self.about}", style="dim"), id="about")
            yield Input(placeholder="what happened here?", id="note", compact=True)

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
