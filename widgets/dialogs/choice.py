"""Pick one value from a short list: the baud rate, the polling interval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


#: The polling periods offered (seconds); 0 pauses the polling.
POLL_INTERVALS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 0.0)


class ChoiceDialog(ModalScreen[Any]):
    """Pick one value from a short list (Enter), or Esc for None."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical {
        width: 44; height: auto; border: thick $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, Any]], current: Any) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList

        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield OptionList(*(label for label, _ in self.choices), id="choices")

    def on_mount(self) -> None:
        from textual.widgets import OptionList

        options = self.query_one(OptionList)
        values = [value for _, value in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: Any) -> None:
        self.dismiss(self.choices[event.option_index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class BaudDialog(ChoiceDialog):
    """Dismisses with the baud rate chosen, or None."""

    def __init__(self, current: int) -> None:
        super().__init__(f"Baud rate (now {current})", [(str(r), r) for r in BAUD_RATES], current)


class PollDialog(ChoiceDialog):
    """How often AT+QISTATE? polls the sockets (only while the link is idle); 0: paused."""

    def __init__(self, current: float) -> None:
        choices = [(f"every {s:g} s" if s else "paused (F6 resumes)", s) for s in POLL_INTERVALS]
        super().__init__("AT+QISTATE? polling", choices, current)
