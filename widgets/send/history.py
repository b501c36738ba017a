"""The history of sends: each with its target, size and result; Enter refills the
composer."""

from __future__ import annotations

import time

from textual import on
from textual.message import Message
from textual.widgets import OptionList

from app.protocol.text import escape_bytes
from widgets.send.composer import SendRecord


class SendHistory(OptionList):
    """The sends of this session, newest first; Enter refills the composer."""

    class Picked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def show(self, history: list[SendRecord]) -> None:
        self.clear_options()
        for rec in history:
            stamp = time.strftime("%H:%M:%S", time.localtime(rec.wall))
            preview = escape_bytes(rec.data[:40]) + ("…" if len(rec.data) > 40 else "")
            self.add_option(f"{stamp} #{rec.connect_id} {len(rec.data)} B  {preview}  {rec.result}")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(event.option_index))
