"""The automatic answers of the profile, each switchable: a list with a check box
per rule (Space or Enter switches it; Esc closes). Switching a rule on starts
its count again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from app.config.answers import AnswerRule

#: What the dialog says when the profile has no [[answer]] table.
NONE = "The profile has no automatic answers: add [[answer]] tables (README: Automatic answers)."


def rule_text(rule: AnswerRule, fired: int) -> str:
    return (
        f"{rule.name}: {rule.summary()}  (fired {fired}/{rule.limit}, hold-off {rule.holdoff:g} s)"
    )


class AnswersDialog(ModalScreen[None]):
    """Switches rules through ``switch(index, on)`` as the person toggles them."""

    DEFAULT_CSS = """
    AnswersDialog { align: center middle; }
    AnswersDialog > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AnswersDialog SelectionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(
        self,
        rules: Sequence[AnswerRule],
        fired: Sequence[int],
        switch: Callable[[int, bool], None],
    ) -> None:
        super().__init__()
        self.rules = list(rules)
        self.fired = list(fired)
        self.switch = switch

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Automatic answers (Space switches a rule; Esc closes)", style="bold"))
            if not self.rules:
                yield Label(NONE, id="none")
                return
            yield SelectionList[int](
                *(
                    Selection(rule_text(rule, fired), index, rule.enabled)
                    for index, (rule, fired) in enumerate(zip(self.rules, self.fired, strict=True))
                ),
                id="answers",
            )

    def on_mount(self) -> None:
        found = self.query(SelectionList)
        if found:
            found.first().focus()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[int]) -> None:
        index = event.selection.value
        self.switch(index, index in event.selection_list.selected)

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["AnswersDialog", "rule_text"]
