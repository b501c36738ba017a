"""Serial settings while the console runs: any baud rate, data bits, parity, stop
bits, RTS/CTS and XON/XOFF flow control. Applied at once and kept for every
reconnect (the header shows them: ``115200 8N1 RTS/CTS``)."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from app.link.port import DATA_BITS, PARITIES, STOP_BITS, PortSettings

PARITY_NAMES = {"N": "none", "E": "even", "O": "odd", "M": "mark", "S": "space"}


class SerialDialog(ModalScreen[PortSettings | None]):
    """Dismisses with the settings chosen (Apply, or Enter in the baud field), or None."""

    DEFAULT_CSS = """
    SerialDialog { align: center middle; }
    SerialDialog > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    SerialDialog Horizontal { height: auto; }
    SerialDialog .name { width: 12; padding: 1 0 0 0; }
    SerialDialog Select { width: 1fr; }
    SerialDialog #baud { width: 1fr; }
    SerialDialog #problem { color: $text-error; height: auto; }
    SerialDialog #buttons { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: PortSettings) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        s = self.current
        with Vertical():
            yield Label(
                Text(
                    f"Serial settings (now {s.baudrate} {s.framing}"
                    f"{' ' + s.flow if s.flow else ''})",
                    style="bold",
                )
            )
            with Horizontal():
                yield Label("Baud rate", classes="name")
                yield Input(
                    str(s.baudrate),
                    id="baud",
                    restrict=r"[0-9]*",
                    tooltip="any rate the port takes",
                )
            with Horizontal():
                yield Label("Data bits", classes="name")
                yield Select(
                    [(str(b), b) for b in DATA_BITS],
                    value=s.bytesize,
                    allow_blank=False,
                    id="bytesize",
                )
            with Horizontal():
                yield Label("Parity", classes="name")
                yield Select(
                    [(f"{p} ({PARITY_NAMES[p]})", p) for p in PARITIES],
                    value=s.parity,
                    allow_blank=False,
                    id="parity",
                )
            with Horizontal():
                yield Label("Stop bits", classes="name")
                yield Select(
                    [(f"{b:g}", b) for b in STOP_BITS],
                    value=s.stopbits,
                    allow_blank=False,
                    id="stopbits",
                )
            yield Checkbox("RTS/CTS hardware flow control", s.rtscts, id="rtscts")
            yield Checkbox("XON/XOFF software flow control", s.xonxoff, id="xonxoff")
            yield Label("", id="problem")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#baud", Input).focus()

    def chosen(self) -> PortSettings | None:
        """The settings in the form, or None (and the problem shown)."""
        text = self.query_one("#baud", Input).value.strip()
        problem = self.query_one("#problem", Label)
        if not text.isdigit() or int(text) <= 0:
            problem.update("The baud rate is a positive whole number, such as 9600 or 115200.")
            return None
        try:
            return replace(
                self.current,
                baudrate=int(text),
                bytesize=int(self.query_one("#bytesize", Select).value),  # type: ignore[arg-type]
                parity=str(self.query_one("#parity", Select).value),
                stopbits=float(self.query_one("#stopbits", Select).value),  # type: ignore[arg-type]
                rtscts=self.query_one("#rtscts", Checkbox).value,
                xonxoff=self.query_one("#xonxoff", Checkbox).value,
            )
        except ValueError as exc:
            problem.update(str(exc))
            return None

    @on(Input.Submitted, "#baud")
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        settings = self.chosen()
        if settings is not None:
            self.dismiss(settings)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["SerialDialog"]
