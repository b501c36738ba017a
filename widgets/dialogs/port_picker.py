"""The port picker: serial ports (pyserial list_ports), Quectel devices first,
the built-in simulator always, recently used ports remembered; or type any
device or pyserial URL."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from app.link.ports import PortChoice


def choice_text(choice: PortChoice, current: str | None = None) -> Text:
    """One picker row: the device in bold, what it is, its USB id and marks."""
    text = Text()
    text.append("● " if current is not None and choice.device == current else "  ", "green")
    text.append(choice.device, "bold" if choice.present or choice.is_url else "dim")
    if choice.quectel:
        text.append("  Quectel", "bold magenta")
    if choice.description:
        text.append(f"  {choice.description}", "" if choice.present else "dim")
    if choice.vid_pid:
        text.append(f"  [{choice.vid_pid}]", "cyan")
    if choice.recent:
        text.append("  recent", "italic yellow")
    if not choice.present and not choice.is_url:
        text.append("  (not present)", "dim")
    return text


class PortPicker(ModalScreen[str | None]):
    """Dismisses with the device (or URL) to open, or None."""

    DEFAULT_CSS = """
    PortPicker { align: center middle; }
    PortPicker > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PortPicker OptionList { height: auto; max-height: 16; width: 1fr; }
    PortPicker Input { width: 1fr; }
    PortPicker .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "rescan", "Rescan"),
    ]

    def __init__(
        self,
        lister: Callable[[], Sequence[PortChoice]],
        *,
        current: str | None = None,
        title: str = "Open which port?",
    ) -> None:
        super().__init__()
        self.lister = lister
        self.current = current
        self.title_text = title
        self.choices: list[PortChoice] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield OptionList(id="ports")
            yield Label(
                "Enter opens; or type a device or URL (socket://host:port, rfc2217://...):",
                classes="hint",
            )
            yield Input(placeholder="/dev/ttyUSB0, COM3, socket://host:7000", id="port-typed")
            yield Label("Ctrl+R rescans, Esc cancels", classes="hint")

    def on_mount(self) -> None:
        self.action_rescan()
        self.query_one(OptionList).focus()

    def action_rescan(self) -> None:
        self.choices = list(self.lister())
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            [Option(choice_text(c, self.current), id=str(i)) for i, c in enumerate(self.choices)]
        )
        at = next((i for i, c in enumerate(self.choices) if c.device == self.current), 0)
        if self.choices:
            options.highlighted = at

    @on(OptionList.OptionSelected, "#ports")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index].device)

    @on(Input.Submitted, "#port-typed")
    def _typed(self, event: Input.Submitted) -> None:
        device = event.value.strip()
        if not device:
            self.notify("Type a device (/dev/ttyUSB0, COM3) or a URL.", severity="warning")
            return
        self.dismiss(device)

    def action_cancel(self) -> None:
        self.dismiss(None)
