"""One log line, drawn: a journal entry -> styled rich ``Text``.

The live log, ``qiterm view`` and ``qiterm export`` all draw their lines here,
so they read the same. Styles are semantic: the caller hands a style map from
names to rich styles (a :class:`~app.model.journal.Category`'s value such as
``"ok"`` or ``"recv"``, and :data:`PART_NAMES` for the parts of a line), so the
log pane takes its colours from the Textual theme and the HTML export from a
fixed palette of its own. A missing name means no style.

A line is::

    <timestamp> <mark> <message>  (<meaning>)

The mark says what the line is (:data:`MARKS`): sent to the module, the
module's echo of a command, a response, an unsolicited result code, a note or
marker, or qiterm's own event. Characters that would hide or reorder text
(bidi controls such as U+202E, zero-width and other format characters) are
drawn escaped (``\\u202e``), never raw (:func:`escape_invisible`).

Highlight rules (from a profile) apply to the message only: a rule such as
``\\d+`` never paints the clock.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rich.style import Style
from rich.text import Text

from app.config.highlight import HighlightRule, apply
from app.model.journal import POLL_TAGS, Category, LogEntry

#: Payloads of recv URCs and data-mode writes: as text, as hex, or both side by side.
PAYLOAD_MODES = ("text", "hex", "both")
#: Timestamps: wall clock, since the session's start, since the line above.
STAMP_MODES = ("absolute", "relative", "delta")
#: What a line is, in the order a legend lists them.
LINE_KINDS = ("sent", "echo", "response", "urc", "note", "app")
#: The mark drawn before each kind of line.
MARKS = {"sent": "→", "echo": "↩", "response": "←", "urc": "⇐", "note": "¶", "app": "·"}
#: What each mark means, for a legend.
KIND_NAMES = {
    "sent": "sent to the module",
    "echo": "the module's echo of a command",
    "response": "response to a command (final and deferred results too)",
    "urc": "unsolicited result code (URC)",
    "note": "note or marker",
    "app": "qiterm's own event (link, results, data mode)",
}
#: The direction marker by direction alone (kept for callers that have no entry).
ARROWS = {"tx": MARKS["sent"], "rx": MARKS["response"], "app": MARKS["app"]}
_URC_CATEGORIES = frozenset({Category.URC, Category.RECV, Category.CLOSED, Category.INCOMING})
#: The style names of a line's parts (besides one per category): the timestamp,
#: the arrow, the meaning after a result code, a polling line (the console's own
#: QISTATE traffic, drawn on top of its category), a search match / selected line.
PART_NAMES = ("timestamp", "arrow", "meaning", "poll", "match")
#: Every name a style map may hold.
STYLE_NAMES = tuple(c.value for c in Category) + PART_NAMES

StyleMap = Mapping[str, Style]

_NO_STYLE = Style()


@dataclass(frozen=True, slots=True)
class LineView:
    """How log lines are drawn (the line view options)."""

    #: One of :data:`PAYLOAD_MODES`.
    payload: str = "text"
    #: Show each frame as on the wire, line endings (``\\r\\n``) included.
    endings: bool = False
    #: One of :data:`STAMP_MODES`.
    stamps: str = "absolute"

    def next_payload(self) -> LineView:
        return replace(self, payload=_after(PAYLOAD_MODES, self.payload))

    def next_stamps(self) -> LineView:
        return replace(self, stamps=_after(STAMP_MODES, self.stamps))

    def toggled_endings(self) -> LineView:
        return replace(self, endings=not self.endings)


def _after(modes: tuple[str, ...], mode: str) -> str:
    return modes[(modes.index(mode) + 1) % len(modes)] if mode in modes else modes[0]


def line_kind(entry: LogEntry) -> str:
    """Which of :data:`LINE_KINDS` ``entry`` is."""
    if entry.direction == "tx":
        return "sent"
    if entry.direction == "rx":
        if entry.category is Category.ECHO:
            return "echo"
        return "urc" if entry.category in _URC_CATEGORIES else "response"
    return "note" if entry.category in (Category.NOTE, Category.MARKER) else "app"


#: Format characters that are printable for Python but show nothing: fillers and
#: the combining grapheme joiner.
_FILLERS = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0]")
#: Unicode categories drawn escaped: controls, format characters (bidi, zero
#: width), surrogates, private use, unassigned, line and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_invisible(text: str) -> str:
    """``text`` with every character that could hide, reorder or restyle what is
    drawn (controls, bidi and other format characters, separators, fillers)
    written as an escape: ``\\u202e``, ``\\x1b``. Printable text comes back as is."""
    if text.isprintable() and (text.isascii() or not _FILLERS.search(text)):
        return text
    return "".join(
        _escape_char(ch) if unicodedata.category(ch) in _HIDDEN or _FILLERS.match(ch) else ch
        for ch in text
    )


def stamp(wall: float) -> str:
    """``HH:MM:SS.mmm`` local time (snapshot tests replace this with a fixed clock)."""
    return time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int((wall % 1) * 1000):03d}"


def stamp_text(wall: float, view: LineView, origin: float, previous: float | None) -> str:
    """The timestamp column: the clock, ``+   0.318s`` since ``origin``, or
    ``Δ   0.040s`` since ``previous`` (the line above; none for the first line)."""
    if view.stamps == "relative":
        return f"+{wall - origin:8.3f}s"
    if view.stamps == "delta":
        return f"Δ{(wall - previous) if previous is not None else 0.0:8.3f}s"
    return stamp(wall)


def render_entry(
    entry: LogEntry,
    styles: StyleMap,
    *,
    view: LineView = LineView(),
    origin: float = 0.0,
    previous: float | None = None,
    match: bool = False,
    highlights: Sequence[HighlightRule] = (),
    width: int | None = None,
) -> Text:
    """One log line. ``origin``: the session's start (relative timestamps);
    ``previous``: the time of the line above (delta timestamps); ``match``: the
    line is the search match or the selected line; ``width``: cut the line at
    this many cells (what a window shows of it), and pad a match to it so its
    highlight spans the window."""
    get = styles.get
    text = Text(no_wrap=True, end="")
    text.append(stamp_text(entry.wall, view, origin, previous), style=get("timestamp", _NO_STYLE))
    text.append(" ")
    text.append(MARKS[line_kind(entry)], style=get("arrow", _NO_STYLE))
    text.append(" ")
    shown = escape_invisible(entry.shown(view.payload, view.endings, limit=width))
    if width is not None:
        # Cut before styling: the text's own cut measures every character of it.
        shown = shown[:width]
    message = Text(shown, style=get(entry.category.value, _NO_STYLE))
    if highlights:
        apply(message, highlights)
    text.append_text(message)
    if entry.meaning:
        text.append(f"  ({escape_invisible(entry.meaning)})", style=get("meaning", _NO_STYLE))
    if entry.tag in POLL_TAGS:
        text.stylize(get("poll", _NO_STYLE))
    if width is not None:
        text.truncate(width, pad=match)
    if match:
        text.stylize(get("match", _NO_STYLE))
    return text


def line_width(entry: LogEntry, view: LineView) -> int:
    """About how wide :func:`render_entry` draws ``entry`` (at least as wide), without
    drawing it: the log's scroll width is taken over thousands of lines at once."""
    width = 16 + (len(escape_invisible(entry.meaning)) + 4 if entry.meaning else 0)
    if entry.payload is not None and view.payload != "text":
        per_byte = 3 if view.payload == "hex" else 4
        return width + len(entry.head) + per_byte * len(entry.payload) + 3
    if view.endings and entry.raw is not None:
        raw = entry.raw  # as on the wire: each CR and LF escaped as two characters
        return width + max(len(entry.text) + 8, len(raw) + raw.count(b"\r") + raw.count(b"\n"))
    return width + len(escape_invisible(entry.text))


__all__ = [
    "ARROWS",
    "KIND_NAMES",
    "LINE_KINDS",
    "MARKS",
    "PART_NAMES",
    "PAYLOAD_MODES",
    "STAMP_MODES",
    "STYLE_NAMES",
    "LineView",
    "StyleMap",
    "escape_invisible",
    "line_kind",
    "line_width",
    "render_entry",
    "stamp",
    "stamp_text",
]
