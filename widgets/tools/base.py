"""What the ping, NTP and DNS forms share: a titled form with a result line."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Input, Label

from app.protocol.catalog import ParamError
from app.protocol.commands import AtCommand
from widgets.fields import problems
from widgets.requests import CommandRequest, Reply


class ToolForm(Vertical):
    DEFAULT_CSS = """
    ToolForm { height: auto; padding: 0 1; }
    ToolForm .row { height: auto; }
    ToolForm .result { height: auto; width: 100%; padding: 0 1; }
    ToolForm Button { min-width: 10; margin-right: 1; }
    ToolForm Checkbox { padding: 0 1; border: none; }
    ToolForm Checkbox:focus { border: none; }
    ToolForm #f-ntp-port { width: 16; }
    """

    def say(self, message: str | Text, ok: bool | None = None) -> None:
        style = {True: "bold green", False: "bold red", None: ""}[ok]
        text = message if isinstance(message, Text) else Text(message, style=style)
        self.query_one(".result", Label).update(text)

    def check(self, *inputs: Input) -> bool:
        wrong = problems(*inputs)
        if wrong:
            self.say("; ".join(wrong), False)
            return False
        return True

    def request(self, build: Callable[[], AtCommand], tag: str, reply: Reply) -> bool:
        """Build the command (a parameter the spec refuses is shown, nothing sent)
        and ask the console to send it; ``reply`` gets the result."""
        try:
            command = build()
        except ParamError as exc:
            self.say(str(exc), False)
            return False
        self.post_message(CommandRequest(command, tag, reply))
        return True
