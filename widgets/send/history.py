"""The history of sends: each with its target, size and result; Enter refills the
composer."""

from __future__ import annotations

import time

from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from app.protocol.text import escape_bytes
from widgets.send.composer import SendRecord

#: What the list says before the first send.
EMPTY = "No sends yet: Ctrl+N, type the data, Ctrl+S. Enter on a send here puts it back."


class SendHistory(OptionList):
    """The sends of this session, newest first; Enter refills the composer."""

    class Picked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def on_mount(self) -> None:
        if not self.option_count:
            self.add_option(Option(EMPTY, disabled=True))

    def show(self, history: list[SendRecord]) -> None:
        self.clear_options()
        if not history:
            self.add_option(Option(EMPTY, disabled=True))
        for rec in history:
            stamp = time.strftime("%H:%M:%S", time.localtime(rec.wall))
            preview = escape_bytes(rec.data[:40]) + ("…" if len(rec.data) > 40 else "")
            self.add_option(f"{stamp} #{rec.connect_id} {len(rec.data)} B  {preview}  {rec.result}")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(event.option_index))
