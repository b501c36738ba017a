"""``qiterm --pick``: the port picker as an app of its own, before the console opens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer

from app.console.hangup import watch_hangup
from app.link.ports import PortChoice
from widgets.dialogs.port_picker import PortPicker


class PickerApp(App[str | None]):
    """``qiterm --pick``: choose the port before the console opens."""

    TITLE = "qiterm: pick a port"

    def __init__(self, lister: Callable[[], Sequence[PortChoice]], **kwargs: Any) -> None:
        super().__init__()
        self.lister = lister
        self.kwargs = kwargs

    def compose(self) -> ComposeResult:
        yield Footer()

    def on_mount(self) -> None:
        watch_hangup(self)
        self.push_screen(PortPicker(self.lister, **self.kwargs), self.exit)
