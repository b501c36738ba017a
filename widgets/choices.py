"""A small button beside a form field offering values to pick (the demo peers, the
profile's favourites): it opens the list, and the value picked fills the
field. Hidden while there is nothing to offer besides what the field holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.widgets import Button, Input

from app.session.target import Choice
from widgets.dialogs.choice import ChoiceDialog


class Choices(Button):
    """Fills the input ``#<target>`` (in the same screen) with the value picked."""

    DEFAULT_CSS = """
    Choices { display: none; min-width: 6; margin-right: 1; }
    Choices.-some { display: block; }
    """

    def __init__(
        self,
        target: str,
        choices: Sequence[Choice] = (),
        *,
        title: str = "Pick one",
        id: str | None = None,
    ) -> None:
        super().__init__("▾ pick", id=id, compact=True)
        self.target = target
        self.title = title
        self.choices: list[Choice] = []
        self.tooltip = "The demo peers and the profile's favourites"
        self.offer(choices)

    def offer(self, choices: Sequence[Choice]) -> None:
        """Offer ``choices``; shown when one is a favourite or there are several
        (a lone demo peer is what the field is filled with already)."""
        self.choices = list(choices)
        some = len(choices) > 1 or any(c.origin == "favourite" for c in choices)
        self.set_class(some, "-some")

    @on(Button.Pressed)
    def _open(self, event: Button.Pressed) -> None:
        event.stop()
        field = self.screen.query_one(f"#{self.target}", Input)

        def picked(value: Any) -> None:
            if value is not None:
                field.value = str(value)
                field.cursor_position = len(field.value)
            field.focus()

        options = [(choice.label, choice.value) for choice in self.choices]
        self.app.push_screen(ChoiceDialog(self.title, options, field.value), picked)


__all__ = ["Choices"]
