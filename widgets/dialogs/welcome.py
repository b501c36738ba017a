"""The welcome panel: what the built-in simulator has to talk to, and three first steps."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def welcome_text(peers: list[str], defaults: dict[str, object]) -> Text:
    text = Text()
    text.append("Welcome to qiterm\n", style="bold")
    text.append(
        "This console talks to a simulated BC660K-GL that opens real sockets on this "
        "computer. qiterm started these peers for it on 127.0.0.1:\n\n"
    )
    for line in peers:
        text.append(f"  {line}\n", style="cyan")
    host = defaults.get("tcp_host", "echo.qiterm.local")
    port = defaults.get("tcp_port", "")
    text.append("\nThree first steps\n", style="bold")
    text.append("  1. F2 opens a socket; the form is filled in for TCP to\n")
    text.append(f"     {host}:{port}. Press Enter and watch +QIOPEN: 0,0 arrive.\n")
    text.append("  2. In the Send tab type hello and press Ctrl+S: the echo comes back\n")
    text.append('     as +QIURC: "recv". Ctrl+T shows payloads in hex.\n')
    text.append("  3. The Ping, NTP and DNS tabs are filled in too: press their buttons.\n")
    text.append("\nAny AT command can be typed on the command line at the bottom; Ctrl+P lists\n")
    text.append("them all. Every byte is captured to a file you can export or view later.\n")
    text.append(
        "\nThis panel shows once; the palette (Ctrl+P) has 'Show the welcome panel'.", style="dim"
    )
    return text


class WelcomeScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > Vertical {
        width: 84; max-width: 98%; height: auto; max-height: 98%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    WelcomeScreen Button { margin-top: 1; }
    """
    BINDINGS = [Binding("escape,enter", "dismiss_welcome", "Close", show=False)]

    def __init__(self, peers: list[str], defaults: dict[str, object]) -> None:
        super().__init__()
        self.peers = peers
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(welcome_text(self.peers, self.defaults), id="welcome-text")
            yield Button("Start", id="start", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    @on(Button.Pressed, "#start")
    def action_dismiss_welcome(self) -> None:
        self.dismiss(None)
