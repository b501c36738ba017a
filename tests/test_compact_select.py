"""CompactSelect (widgets/compact_select.py) ends up as Textual's compact Select does:
the same classes on every part, the same value, the same choosing by keys; it
only gives its parts their classes before they mount (a faster first frame)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import OptionList, Select
from textual.widgets._select import SelectCurrent

from widgets.compact_select import CompactSelect

RAI = [("rai -", -1), ("rai 0", 0), ("rai 1", 1)]
CASES: list[dict[str, Any]] = [
    {"options": RAI, "value": 0, "allow_blank": False},  # a value given
    {"options": RAI, "allow_blank": False},  # the first option, picked by Select
    {"options": [], "allow_blank": True, "prompt": "socket"},  # blank: the prompt shows
    {"options": RAI, "allow_blank": True, "prompt": "socket"},  # options, none chosen
]


class Pair(App[None]):
    def __init__(self, case: dict[str, Any]) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        case = dict(self.case)
        options = case.pop("options")
        yield Select(options, compact=True, id="textual", **case)
        yield CompactSelect(options, id="ours", **case)


def _parts(select: Select[Any]) -> list[tuple[str, frozenset[str]]]:
    nodes: list[Widget] = [select, *select.walk_children(Widget)]
    return [
        (type(n).__name__.replace("CompactSelect", "Select"), frozenset(n.classes)) for n in nodes
    ]


@pytest.mark.parametrize("case", CASES)
async def test_it_mounts_as_a_compact_select_does(case: dict[str, Any]) -> None:
    app = Pair(case)
    async with app.run_test() as pilot:
        await pilot.pause()
        textual = app.query_one("#textual", Select)
        ours = app.query_one("#ours", CompactSelect)
        assert _parts(ours) == _parts(textual)
        assert ours.value == textual.value
        assert ours.compact and ours.query_one(OptionList).compact
        current = ours.query_one(SelectCurrent)
        assert current.has_value == textual.query_one(SelectCurrent).has_value
        assert current.has_value == (ours.value != Select.NULL)
        assert ours.region.size == textual.region.size


async def test_a_value_is_chosen_with_the_keys() -> None:
    app = Pair({"options": RAI, "value": -1, "allow_blank": False})
    changed: list[object] = []
    async with app.run_test() as pilot:
        ours = app.query_one("#ours", CompactSelect)

        def seen(value: object) -> None:
            changed.append(value)

        app.watch(ours, "value", seen, init=False)
        ours.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert ours.expanded and ours.has_class("-expanded")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert ours.value == 0 and changed == [0] and not ours.expanded
        assert _parts(ours) == _parts(app.query_one("#textual", Select))
