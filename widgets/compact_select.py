"""A compact ``Select`` that is composed the way it will look once mounted.

Textual's compact ``Select`` mounts its parts first and then changes their CSS
classes: the pop-up list gets its compact class (bound to the select's ``compact``)
and the line showing the value gets ``-has-value`` when a value is chosen. Each change
styles that part (and its children) again, a pass per part that only repeats what
mounting did: about 3 ms a select in the console's first frame, which has four. This
one gives both parts those classes before they mount (the console skips styling a
widget that is not mounted yet, :meth:`app.console.app.QitermApp.update_styles`),
so the changes after mounting find them set and style nothing. It looks and behaves
as a compact ``Select``; only the order of the work changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.widgets import OptionList, Select
from textual.widgets._select import SelectCurrent  # the value line (styled by name in CSS)
from textual.widgets.select import NoSelection

T = TypeVar("T")


class CompactSelect(Select[T]):
    """A compact :class:`~textual.widgets.Select` (see the module's docstring)."""

    def __init__(
        self,
        options: Iterable[tuple[RenderableType, T]],
        *,
        prompt: str = "Select",
        allow_blank: bool = True,
        value: T | NoSelection = Select.NULL,
        id: str | None = None,
    ) -> None:
        options = list(options)
        super().__init__(options, prompt=prompt, allow_blank=allow_blank, value=value, id=id)
        self.compact = True
        #: Whether it shows a value once mounted: Select picks the first option
        #: when it may not be blank and was given no value.
        self._shows_value = value != Select.NULL or (not allow_blank and bool(options))

    def compose(self) -> ComposeResult:
        for part in super().compose():
            if isinstance(part, OptionList):
                part.compact = self.compact  # what its binding to ``compact`` sets
            elif isinstance(part, SelectCurrent):
                part.has_value = self._shows_value  # what choosing the value sets
            yield part


__all__ = ["CompactSelect"]
