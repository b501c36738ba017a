"""The one log renderer (app.model.render): what a line says and which of its
parts each semantic style reaches."""

from __future__ import annotations

import unicodedata

import pytest
from rich.style import Style
from rich.text import Text

from app.config.highlight import HighlightRule
from app.model import render
from app.model.journal import Category, LogEntry
from app.model.render import (
    KIND_NAMES,
    MARKS,
    PAYLOAD_MODES,
    STAMP_MODES,
    STYLE_NAMES,
    LineView,
    escape_invisible,
    line_kind,
    line_width,
    render_entry,
)
from app.protocol import text
from app.protocol.text import escape_bytes

#: A distinct colour per style name, so a span says which name it came from.
STYLES = {name: Style(color=f"#{i + 1:02x}0000") for i, name in enumerate(STYLE_NAMES)}
STYLES["poll"] = Style(dim=True)
STYLES["match"] = Style(bgcolor="#0000aa")

WALL = 1_767_225_600.318  # 2026-01-01T00:00:00.318Z


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "stamp", lambda wall: "04:15:10.860")


def recv(payload: bytes = b"Hi\r\n") -> LogEntry:
    head = f'+QIURC: "recv",0,{len(payload)},'
    quoted = b'"' + payload + b'"'
    return LogEntry(
        WALL,
        "rx",
        Category.RECV,
        head + escape_bytes(quoted),
        connect_id=0,
        payload=payload,
        head=head,
        raw=b"\r\n" + head.encode() + quoted + b"\r\n",
    )


def styles_at(text: Text, offset: int) -> Style:
    """The combined style of the character at ``offset``."""
    style = Style()
    for span in text.spans:
        if span.start <= offset < span.end:
            style += span.style if isinstance(span.style, Style) else Style.parse(span.style)
    return style


def test_a_line_is_stamp_arrow_message_and_meaning() -> None:
    entry = LogEntry(WALL, "rx", Category.ERROR, "+CME ERROR: 566", meaning="566 failed")
    text = render_entry(entry, STYLES)
    assert text.plain == "04:15:10.860 ← +CME ERROR: 566  (566 failed)"
    assert styles_at(text, 0) == STYLES["timestamp"]
    assert styles_at(text, 13) == STYLES["arrow"]
    assert styles_at(text, 15) == STYLES["error"]
    assert styles_at(text, text.plain.index("(566")) == STYLES["meaning"]
    for direction, arrow in (("tx", "→"), ("app", "·")):
        line = render_entry(LogEntry(WALL, direction, Category.APP, "x"), {})
        assert line.plain == f"04:15:10.860 {arrow} x"


@pytest.mark.parametrize(
    ("direction", "category", "kind"),
    [
        ("tx", Category.COMMAND, "sent"),
        ("tx", Category.PAYLOAD, "sent"),
        ("rx", Category.ECHO, "echo"),
        ("rx", Category.RESPONSE, "response"),
        ("rx", Category.OK, "response"),
        ("rx", Category.ERROR, "response"),
        ("rx", Category.DEFERRED, "response"),
        ("rx", Category.PROMPT, "response"),
        ("rx", Category.URC, "urc"),
        ("rx", Category.RECV, "urc"),
        ("rx", Category.CLOSED, "urc"),
        ("rx", Category.INCOMING, "urc"),
        ("app", Category.NOTE, "note"),
        ("app", Category.MARKER, "note"),
        ("app", Category.APP, "app"),
        ("app", Category.LINK, "app"),
        ("app", Category.ERROR, "app"),
    ],
)
def test_each_kind_of_line_has_its_own_mark(direction: str, category: Category, kind: str) -> None:
    entry = LogEntry(WALL, direction, category, "AT")
    assert line_kind(entry) == kind
    assert render_entry(entry, {}).plain == f"04:15:10.860 {MARKS[kind]} AT"


def test_a_command_and_its_echo_read_apart() -> None:
    sent = render_entry(LogEntry(WALL, "tx", Category.COMMAND, "AT+CSQ"), {}).plain
    echo = render_entry(LogEntry(WALL, "rx", Category.ECHO, "AT+CSQ"), {}).plain
    assert sent != echo and len(set(MARKS.values())) == len(MARKS) == len(KIND_NAMES)


def test_invisible_characters_are_drawn_escaped() -> None:
    hidden = "a\u202eb\u2066c\u2069d\u200be\u200dz\ufeffy\u2028x\u3164w\x1b[31m"
    entry = LogEntry(WALL, "rx", Category.RECV, hidden, meaning="m\u202en")
    drawn = render_entry(entry, {}).plain
    for ch in "\u202e\u2066\u2069\u200b\u200d\ufeff\u2028\u3164\x1b":
        assert ch not in drawn
    assert drawn.endswith(
        "a\\u202eb\\u2066c\\u2069d\\u200be\\u200dz\\ufeffy\\u2028x\\u3164w\\x1b[31m  (m\\u202en)"
    )
    # Letters and symbols of any script are shown as they are.
    assert escape_invisible("Grüße ✓ 日本 é") == "Grüße ✓ 日本 é"
    # The width the log reserves still covers the escaped line.
    assert line_width(entry, LineView()) >= len(drawn)


@pytest.mark.skipif(unicodedata.unidata_version != "14.0.0", reason="the table is Unicode 14's")
def test_the_invisible_table_is_what_the_scan_finds() -> None:
    table = [code for first, last in text._INVISIBLE_14 for code in range(first, last + 1)]
    assert table == text._scan_invisible()
    assert table == text._INVISIBLE


def test_a_digit_rule_never_paints_the_timestamp_or_the_arrow() -> None:
    rule = HighlightRule.parse(r"\d+", "bold magenta")
    entry = LogEntry(WALL, "rx", Category.RESPONSE, "+CSQ: 24,99")
    text = render_entry(entry, STYLES, highlights=[rule])
    start = text.plain.index("+CSQ")
    for offset in range(start):  # "04:15:10.860 ← " keeps its own styles only
        assert "magenta" not in str(styles_at(text, offset)), offset
    assert styles_at(text, 0) == STYLES["timestamp"]
    # The message's digits are painted, its other characters are not.
    digits = [i for i, ch in enumerate(text.plain) if i >= start and ch.isdigit()]
    assert digits and all(styles_at(text, i).color == rule.style.color for i in digits)
    assert styles_at(text, start).color == STYLES["response"].color
    # Relative and delta timestamps are digits too: still untouched.
    for stamps in ("relative", "delta"):
        line = render_entry(entry, STYLES, view=LineView(stamps=stamps), highlights=[rule])
        first = line.plain.index("+CSQ")
        assert not any("magenta" in str(styles_at(line, i)) for i in range(first))


def test_payloads_line_endings_and_timestamps() -> None:
    entry = recv()
    shown = {
        mode: render_entry(entry, {}, view=LineView(payload=mode)).plain for mode in PAYLOAD_MODES
    }
    assert shown["text"].endswith('+QIURC: "recv",0,4,"Hi\\r\\n"')
    assert shown["hex"].endswith('+QIURC: "recv",0,4,48 69 0D 0A')
    assert shown["both"].endswith('+QIURC: "recv",0,4,48 69 0D 0A  |Hi..|')
    endings = render_entry(entry, {}, view=LineView(endings=True)).plain
    assert endings.endswith('\\r\\n+QIURC: "recv",0,4,"Hi\\r\\n"\\r\\n')
    relative = render_entry(entry, {}, view=LineView(stamps="relative"), origin=WALL - 0.318)
    assert relative.plain.startswith("+   0.318s ⇐ ")
    delta = LineView(stamps="delta")
    assert render_entry(entry, {}, view=delta, previous=WALL - 0.04).plain.startswith(
        "Δ   0.040s ⇐ "
    )
    assert render_entry(entry, {}, view=delta).plain.startswith("Δ   0.000s ⇐ ")
    # The line view options cycle through their modes.
    view = LineView()
    assert [view := view.next_payload() for _ in PAYLOAD_MODES][-1] == LineView()
    assert [(view := view.next_stamps()).stamps for _ in STAMP_MODES] == [
        "relative",
        "delta",
        "absolute",
    ]
    assert LineView().toggled_endings().endings and not view.endings


def test_polling_dims_and_a_match_spans_the_width() -> None:
    poll = LogEntry(WALL, "tx", Category.COMMAND, "AT+QISTATE?", tag="poll")
    text = render_entry(poll, STYLES)
    assert all(styles_at(text, i).dim for i in range(len(text.plain)))
    matched = render_entry(poll, STYLES, match=True, width=60)
    assert matched.cell_len == 60  # the highlight reaches the window's edge
    assert styles_at(matched, 59).bgcolor == STYLES["match"].bgcolor
    assert styles_at(matched, 0).color == STYLES["timestamp"].color


def test_width_cuts_a_long_line_and_line_width_is_never_short() -> None:
    big = recv(bytes(range(256)) * 4)
    for payload in PAYLOAD_MODES:
        for endings in (False, True):
            view = LineView(payload=payload, endings=endings)
            full = render_entry(big, {}, view=view)
            assert line_width(big, view) >= full.cell_len, view
            cut = render_entry(big, {}, view=view, width=80)
            assert cut.cell_len == 80 and full.plain.startswith(cut.plain)
    short = LogEntry(WALL, "rx", Category.OK, "OK", raw=b"\r\nOK\r\n", meaning="fine")
    for view in (LineView(), LineView(endings=True)):
        assert line_width(short, view) >= render_entry(short, {}, view=view).cell_len
