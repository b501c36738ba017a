"""The command list, in the manner of QCOM: a pane of saved lines (AT commands,
``!raw``/``!hex`` lines, ``+++``), one row each with its own send key.

* **Enter** in a row, or its **▶** button, sends the row's line (as the command
  line would: checked, or raw when it says so);
* a row is **edited in place**: type over it; when the focus leaves a changed
  row the list is saved to the profile (:class:`Edited`; an emptied row goes);
* the empty row at the end **adds** a line; **↑/↓** move between rows.

The pane fits the narrow layouts: a row is one line high (a number, the line,
a three-cell button).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label

#: What the pane says under its rows.
HELP = "Enter or ▶ sends a row · type over a row to change it (saved to the profile)"


class CommandRow(Horizontal):
    DEFAULT_CSS = """
    CommandRow { height: 1; }
    CommandRow > .number { width: 3; color: $text-muted; }
    CommandRow > Input { width: 1fr; }
    CommandRow > Button { width: 3; min-width: 3; height: 1; border: none; padding: 0; }
    """

    def __init__(self, index: int, line: str) -> None:
        super().__init__(id=f"cmdrow-{index}")
        self.index = index
        self.line = line

    def compose(self) -> ComposeResult:
        yield Label(f"{self.index + 1:>2}", classes="number")
        yield Input(
            self.line,
            placeholder="add: AT..., A/, +++, !raw TEXT, !hex 41 54 0D",
            id=f"cmd-{self.index}",
            compact=True,
        )
        button = Button("▶", id=f"cmdsend-{self.index}", compact=True)
        button.tooltip = "send this line"
        yield button


class CommandList(VerticalScroll, can_focus=False):
    """Rows of saved lines; sends and edits go to the app as messages."""

    DEFAULT_CSS = """
    CommandList { height: auto; }
    CommandList > .help { color: $text-muted; width: 1fr; height: auto; padding: 0 1; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Row up", show=False, tooltip="the row above"),
        Binding("down", "move(1)", "Row down", show=False, tooltip="the row below"),
    ]

    class Send(Message):
        """Send the line of row ``index``."""

        def __init__(self, index: int, line: str) -> None:
            super().__init__()
            self.index = index
            self.line = line

    class Edited(Message):
        """The rows changed (``lines``: every non-empty row, in order): save them."""

        def __init__(self, lines: list[str]) -> None:
            super().__init__()
            self.lines = lines

    def __init__(self, lines: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.saved = [line for line in lines if line.strip()]

    def compose(self) -> ComposeResult:
        for index, line in enumerate(self.saved):
            yield CommandRow(index, line)
        yield CommandRow(len(self.saved), "")
        yield Label(HELP, classes="help")

    @property
    def rows(self) -> list[CommandRow]:
        return list(self.query(CommandRow))

    def lines(self) -> list[str]:
        """Every non-empty row, in order."""
        return [v for v in (r.query_one(Input).value.strip() for r in self.rows) if v]

    def row_input(self, index: int) -> Input:
        return self.query_one(f"#cmd-{index}", Input)

    # -- sending -------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._send(event.input)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("cmdsend-"):
            index = int(event.button.id.removeprefix("cmdsend-"))
            self._send(self.row_input(index))

    def _send(self, field: Input) -> None:
        line = field.value.strip()
        if not line:
            self.notify("This row is empty: type a line in it first.")
            return
        self._save_if_changed()
        index = int((field.id or "cmd-0").removeprefix("cmd-"))
        self.post_message(self.Send(index, line))

    # -- editing ---------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        rows = self.rows
        if rows and event.input is rows[-1].query_one(Input) and event.value.strip():
            # The empty row got a line: another empty row to add the next.
            self.mount(CommandRow(len(rows), ""), before=self.query_one(".help"))

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self._save_if_changed()

    def _save_if_changed(self) -> None:
        lines = self.lines()
        if lines != self.saved:
            self.saved = lines
            self.post_message(self.Edited(lines))

    def action_move(self, step: int) -> None:
        """↑/↓: the row above or below (from a row's field or its button)."""
        focused = self.app.focused
        rows = self.rows
        if not rows:
            return
        current = next(
            (i for i, row in enumerate(rows) if focused is not None and row in focused.ancestors),
            None,
        )
        index = 0 if current is None else current + step
        if 0 <= index < len(rows):
            field = rows[index].query_one(Input)
            field.focus()
            self.scroll_to_widget(field)


__all__ = ["HELP", "CommandList", "CommandRow"]
