"""One log line shown whole (Enter in the log): what kind of line it is, which
socket, the line wrapped to the window, and a payload as text and as a hex dump.
However narrow the terminal, nothing of a line is out of reach."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.model import render
from app.model.journal import GROUPS, Category, LogEntry
from app.protocol.text import escape_bytes

DIRECTIONS = {"tx": "→ to the module", "rx": "← from the module", "app": "· qiterm"}


def kind_of(category: Category) -> str:
    """A category as the filter dialog names its group ("URC recv", "Responses")."""
    for name, members in GROUPS.items():
        if category in members:
            return f"{name} ({category.value})"
    return category.value


def hex_dump(data: bytes, per_line: int = 16) -> str:
    """Offset, hex bytes and printable ASCII, ``per_line`` bytes a line."""
    lines = []
    for offset in range(0, len(data), per_line):
        chunk = data[offset : offset + per_line]
        digits = " ".join(f"{b:02X}" for b in chunk).ljust(per_line * 3 - 1)
        printable = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:04X}  {digits}  |{printable}|")
    return "\n".join(lines)


def line_text(entry: LogEntry, number: int | None = None) -> Text:
    """Everything about ``entry``, to read in a window of any width (it wraps)."""
    out = Text()
    facts = [
        ("line", f"{number + 1}" if number is not None else "-"),
        ("time", render.stamp(entry.wall)),
        ("direction", DIRECTIONS.get(entry.direction, entry.direction)),
        ("kind", kind_of(entry.category)),
        ("socket", f"#{entry.connect_id}" if entry.connect_id is not None else "-"),
    ]
    if entry.tag:
        facts.append(("asked by", entry.tag))
    if entry.meaning:
        facts.append(("meaning", entry.meaning))
    for name, value in facts:
        out.append(f"{name:>10}  ", style="dim")
        out.append(f"{value}\n", style="bold" if name == "kind" else "")
    out.append("\n")
    out.append(entry.text + "\n")
    if entry.payload is not None:
        size = len(entry.payload)
        out.append(f"\npayload, {size} byte{'s' if size != 1 else ''}, as text:\n", style="dim")
        out.append(escape_bytes(entry.payload) + "\n")
        out.append("\nas hex:\n", style="dim")
        out.append(hex_dump(entry.payload) + "\n")
    if entry.raw is not None and entry.direction != "app":
        out.append("\nas on the wire:\n", style="dim")
        out.append(escape_bytes(entry.raw) + "\n")
    return out


class LineDialog(ModalScreen[None]):
    """A log line whole; Esc or Enter closes it, the arrows scroll."""

    DEFAULT_CSS = """
    LineDialog { align: center middle; }
    LineDialog > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    LineDialog #line-title { text-style: bold; }
    LineDialog VerticalScroll { height: auto; max-height: 100%; }
    LineDialog #line-help { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, entry: LogEntry, number: int | None = None) -> None:
        super().__init__()
        self.entry = entry
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The log line, whole", id="line-title")
            with VerticalScroll(id="line-scroll"):
                yield Static(line_text(self.entry, self.number), id="line-body")
            yield Static("Esc or Enter closes · ↑↓ scroll", id="line-help")

    def on_mount(self) -> None:
        self.query_one("#line-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
