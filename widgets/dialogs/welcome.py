"""The welcome panel: what the built-in simulator has to talk to, and three first steps."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def welcome_text(peers: list[str], defaults: dict[str, object]) -> Text:
    """The panel's text; paragraphs wrap to the window (no line is cut)."""
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
    text.append("\nFirst steps, all from the keyboard\n", style="bold")
    text.append(
        f"1. F2 opens a socket; the form is filled in for TCP to {host}:{port}. "
        "Press Enter and watch +QIOPEN: 0,0 arrive.\n"
    )
    text.append(
        "2. Ctrl+N goes to the Send tab: type hello and press Ctrl+S; the echo comes "
        'back as +QIURC: "recv". Ctrl+T shows payloads in hex.\n'
    )
    text.append("3. Ctrl+N again: the Ping, NTP and DNS tabs, filled in too; Enter runs them.\n")
    text.append(
        "\nCtrl+Y the socket table, Ctrl+R the log (Enter shows a line whole), Ctrl+L "
        "the AT command line at the bottom, where any command can be typed; Ctrl+P "
        "lists them all and F1 every key. Every byte is captured to a file you can "
        "export or view later.\n"
    )
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
    /* The text scrolls on a short screen; the button stays in view below it. */
    WelcomeScreen VerticalScroll { height: auto; max-height: 1fr; }
    WelcomeScreen #welcome-bottom { height: auto; dock: bottom; padding-top: 1; }
    WelcomeScreen #welcome-keys { color: $text-muted; margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape,enter", "dismiss_welcome", "Close", show=False),
        Binding("up", "scroll(-1)", "Scroll", show=False),
        Binding("down", "scroll(1)", "Scroll", show=False),
    ]

    def __init__(self, peers: list[str], defaults: dict[str, object]) -> None:
        super().__init__()
        self.peers = peers
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal(id="welcome-bottom"):
                yield Button("Start", id="start", variant="primary", compact=True)
                yield Static("Enter or Esc starts · ↑↓ scroll", id="welcome-keys")
            with VerticalScroll(id="welcome-scroll"):
                yield Static(welcome_text(self.peers, self.defaults), id="welcome-text")

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    def action_scroll(self, step: int) -> None:
        scroll = self.query_one("#welcome-scroll", VerticalScroll)
        scroll.scroll_to(y=scroll.scroll_y + step, animate=False)

    @on(Button.Pressed, "#start")
    def action_dismiss_welcome(self) -> None:
        self.dismiss(None)
