"""How a pane asks for a command: it builds the command itself (it owns the
fields) and posts a :class:`CommandRequest`; the console sends it through the
session and calls ``reply`` with the result, on the UI thread."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from app.link.results import CommandResult
from app.protocol.commands import AtCommand

Reply = Callable[[CommandResult], None]


class CommandRequest(Message):
    def __init__(
        self,
        command: AtCommand,
        tag: str,
        reply: Reply | None = None,
        *,
        typed_by: str | None = None,
    ) -> None:
        super().__init__()
        self.command = command
        #: Who asked ("ping", "send", "open"...): kept with the command in the capture.
        self.tag = tag
        self.reply = reply
        #: For a data-mode command a person types the payload of: which pane holds
        #: it ("composer"), so Ctrl+Z sends that pane's data.
        self.typed_by = typed_by
