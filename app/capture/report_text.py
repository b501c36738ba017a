"""The report as plain text (``--format text``) and as Markdown (``--format md``).

Both write as they read (:func:`write_text`, :func:`write_markdown` take a
``write`` callable and call it line by line); the transcript's lines are the
log's own, drawn by :func:`app.model.render.render_entry` with the time since
the start, so they read as ``qiterm view`` shows them. Each line starts with a
gutter that shows a command's group::

    ┌ +   0.042s → AT+QIOPEN=0,0,"TCP","127.0.0.1",7,0,1
    │ +   0.043s ↩ AT+QIOPEN=0,0,"TCP","127.0.0.1",7,0,1
    │ +   0.043s ← OK
    └ +   0.044s ← +QIOPEN: 0,0                          [1.9 ms]

The header facts, tables and legend are shared with the HTML writer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app import __version__
from app.capture.format import Record
from app.capture.report import Fold, Heading, Line, Report, transcript
from app.capture.survey import FOLDED_TAGS, SOMETIMES_TAGS
from app.capture.timeline import Life, fmt_bytes, fmt_offset, fmt_seconds
from app.capture.timeline_draw import legend_lines, timeline_rows
from app.model.render import (
    KIND_NAMES,
    LINE_KINDS,
    MARKS,
    LineView,
    escape_invisible,
    render_entry,
)
from app.protocol.text import escape_bytes

Write = Callable[[str], None]

#: The transcript's line view: payloads as text, time since the capture began.
VIEW = LineView(stamps="relative")
#: Tags counted as the user's own commands (everything but the console's own).
CONSOLE_TAGS = FOLDED_TAGS


def safe(text: object) -> str:
    """Free text (from a capture) as one line: control, bidi and other
    invisible characters escaped."""
    raw = str(text).encode("utf-8", "surrogatepass")
    return escape_invisible(escape_bytes(raw, show_line_endings=False))


def _started(report: Report) -> str:
    header = report.summary.header
    started = str(header.get("started", ""))
    try:
        when = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return safe(started) or "?"
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d} UTC"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def commands_text(report: Report) -> str:
    counts = report.summary.commands
    yours = sum(n for tag, n in counts.items() if tag not in CONSOLE_TAGS)
    parts = [f"{yours:,} yours"]
    by = ", ".join(f"{tag} {n:,}" for tag, n in sorted(counts.items()) if tag not in CONSOLE_TAGS)
    if by:
        parts[0] += f" ({by})"
    for tag, name in CONSOLE_TAGS.items():
        if counts.get(tag) or tag not in SOMETIMES_TAGS:  # e.g. a re-sync: only when there was one
            parts.append(f"{counts.get(tag, 0):,} {name}")
    return ", ".join(parts)


def polling_recorded(header: Record, left_out: int = 0) -> str:
    """What the capture holds of the polling, from its header's ``polls`` ("" when
    it holds every poll)."""
    policy = header.get("polls")
    if policy == "none":
        return "omitted when recorded (the capture holds no polling)"
    if policy == "changes":
        skipped = f"; {left_out:,} repeated answers left out" if left_out else ""
        return f"folded when recorded: a poll is kept when its answer changed{skipped}"
    return ""


def facts(report: Report) -> list[tuple[str, str]]:
    """The header's rows: what a reader asks first."""
    s = report.summary
    h = s.header
    rows: list[tuple[str, str]] = []
    rows.append(("Module", safe(s.identity) or "unknown (no ATI answer in the capture)"))
    rows.append(("Firmware", safe(s.revision) or "unknown"))
    if s.imei:
        rows.append(("IMEI", s.imei))
    if s.module_ip:
        rows.append(("Module IP", safe(s.module_ip)))
    rows.extend((label, safe(words)) for label, words in s.module)
    baud = h.get("baud")
    rows.append(("Port", f"{safe(h.get('url') or '?')}" + (f" at {baud} baud" if baud else "")))
    rows.append(("Started", _started(report)))
    if not s.slice.whole:
        first = fmt_offset(s.first_t or 0.0)
        last = fmt_offset(s.last_t or 0.0)
        rows.append(("Slice", f"{safe(s.slice.label)}: {first} to {last}"))
    rows.append(("Duration", f"{fmt_seconds(s.duration)} ({plural(s.records, 'record')})"))
    rows.append(("Commands", commands_text(report)))
    lives = s.timeline.lives()
    sent = sum(life.bytes_sent for life in lives)
    received = sum(life.bytes_received for life in lives)
    rows.append(
        (
            "Traffic",
            f"socket data {fmt_bytes(sent)} sent, {fmt_bytes(received)} received; "
            f"on the serial line {fmt_bytes(s.wire_sent)} sent, "
            f"{fmt_bytes(s.wire_received)} received",
        )
    )
    failed = sum(1 for life in lives if life.failed)
    opened = plural(len(lives), "socket")
    rows.append(("Sockets", opened + (f" ({failed} failed to open)" if failed else "")))
    rows.append(("Errors", f"{s.error_count:,}" if s.errors else "none"))
    rows.append(("Notes", f"{plural(s.notes, 'note')}, {plural(s.markers, 'marker')}"))
    folded = [
        f"{plural(s.folded_commands[tag], 'command')} of {name} "
        f"({plural(s.folded_lines[tag], 'line')})"
        for tag, name in CONSOLE_TAGS.items()
        if s.folded_lines[tag] or s.folded_commands[tag]
    ]
    if folded:
        rows.append(("Folded", "; ".join(folded) + " (qiterm export --all keeps them)"))
    recorded = polling_recorded(h, s.polls_not_recorded)
    if recorded:
        rows.append(("Polling", recorded))
    if report.masker is not None:
        hidden = ", ".join(report.masker.summary()) or "none found"
        rows.append(("Masked", f"identifiers replaced by placeholders: {hidden}"))
    if s.warnings:
        rows.append(("Problems", plural(len(s.warnings), "line") + " of the capture skipped"))
    written = f"qiterm {safe(h.get('qiterm', '?'))}, capture format {safe(h.get('version', '?'))}"
    rows.append(("Report", f"qiterm {__version__} from a capture written by {written}"))
    return rows


def socket_rows(report: Report) -> list[list[str]]:
    """The sockets table: one row per socket, in the order they opened."""
    rows = []
    for life in report.summary.timeline.lives():
        rows.append(
            [
                str(life.connect_id),
                safe(life.service_type or "?"),
                safe(life.peer),
                fmt_offset(_opened(life)),
                safe(life.open_text),
                _closed(life),
                f"{fmt_bytes(life.bytes_sent)} in {plural(life.sends, 'send')}"
                + (f", {life.send_fails} failed" if life.send_fails else ""),
                f"{fmt_bytes(life.bytes_received)} in {plural(life.receives, 'URC')}",
            ]
        )
    return rows


SOCKET_COLUMNS = ["#", "type", "peer", "opened", "open result", "closed", "sent", "received"]


def _opened(life: Life) -> float:
    for t in (life.opened, life.requested):
        if t is not None:
            return t
    return 0.0


def _closed(life: Life) -> str:
    parts = []
    if life.remote_closed is not None:
        parts.append(f"{fmt_offset(life.remote_closed)} by the peer")
    if life.closed is None:
        parts.append("still open at the end")
    elif life.close_reason != "closed by the peer":
        parts.append(f"{fmt_offset(life.closed)} {safe(life.close_reason)}".strip())
    elif life.closed != life.remote_closed:
        parts.append(f"{fmt_offset(life.closed)} AT+QICLOSE")
    return "; ".join(parts)


ERROR_COLUMNS = ["time", "command or event", "answer", "meaning"]


def error_rows(report: Report) -> list[list[str]]:
    s = report.summary
    more = s.error_count - len(s.errors)
    tail = [["", f"… {more:,} more (the transcript has them all)", "", ""]] if more > 0 else []
    return [
        [
            fmt_offset(e.t),
            safe(e.what) + (" (console's own)" if e.tag in CONSOLE_TAGS else ""),
            safe(e.answer),
            safe(e.meaning),
        ]
        for e in report.summary.errors
    ] + tail


SERVICE_COLUMNS = ["time", "service", "target", "result"]


def service_rows(report: Report) -> list[list[str]]:
    s = report.summary
    more = s.service_count - len(s.services)
    tail = [["", "", f"… {more:,} more", ""]] if more > 0 else []
    return [
        [fmt_offset(r.t), r.service, safe(r.target), ("" if r.ok else "failed: ") + safe(r.answer)]
        for r in report.summary.services
    ] + tail


def legend_rows() -> list[tuple[str, str]]:
    return [(MARKS[kind], KIND_NAMES[kind]) for kind in LINE_KINDS]


def elapsed_text(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def line_text(report: Report, line: Line) -> str:
    """A transcript line: the gutter, the log's line, the elapsed time."""
    text = render_entry(line.entry, {}, view=VIEW, origin=report.origin).plain
    gutter = "  "
    if line.grouped:
        gutter = (
            "╶ "
            if line.first and line.last
            else "┌ "
            if line.first
            else "└ "
            if line.last
            else "│ "
        )
    if line.last and line.elapsed_ms is not None:
        text += f"  [{elapsed_text(line.elapsed_ms)}]"
    return gutter + text


# -- plain text ---------------------------------------------------------------------------


def _table(columns: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    out = [indent + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out.append(indent + "  ".join("-" * w for w in widths))
    for row in rows:
        cells = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        out.append(indent + cells.rstrip())
    return out


def title(report: Report) -> str:
    name = report.path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"qiterm report: {safe(name)}"


def write_text(report: Report, write: Write, *, width: int = 100) -> None:
    """The whole report as plain text, written line by line."""
    s = report.summary

    def put(line: str = "") -> None:
        write(report.mask(line) + "\n")

    head = title(report)
    put(head)
    put("=" * len(head))
    put()
    label_w = max(len(k) for k, _ in facts(report))
    for key, value in facts(report):
        put(f"{key.ljust(label_w)}  {value}")
    for warning in s.warnings:
        put(f"{'':{label_w}}  {safe(warning)}")
    put()
    if s.timeline.lives():
        put("Sockets")
        for row in _table(SOCKET_COLUMNS, socket_rows(report)):
            put(row)
        put()
    if s.errors:
        put(f"Errors ({s.error_count})")
        for row in _table(ERROR_COLUMNS, error_rows(report)):
            put(row)
        put()
    if s.services:
        put("Ping, NTP and DNS")
        for row in _table(SERVICE_COLUMNS, service_rows(report)):
            put(row)
        put()
    put("Legend")
    for mark, meaning in legend_rows():
        put(f"  {mark}  {meaning}")
    put("  ┌│└  a command with its echo, response and final result; [1.2 ms] its elapsed time")
    if not report.options.keep_all:
        put("  ⋯  polling and start-up lines folded (qiterm export --all keeps them)")
    put()
    if s.sections:
        put("Contents")
        for number, section in enumerate(s.sections, 1):
            indent = "  " if section.level == 1 else "      "
            put(f"{indent}{number:>3}. {section.title}  {fmt_offset(section.t)}")
        put()
    if s.timeline.lanes:
        put("Socket timeline")
        for drawn in timeline_rows(s.timeline, width):
            put("  " + drawn.plain.rstrip())
        for key in legend_lines():
            put("  " + key)
        put()
    put("Transcript")
    put("==========")
    put()
    for item in transcript(report):
        for line in item_lines(report, item):
            put(line)


def item_lines(report: Report, item: Line | Fold | Heading) -> list[str]:
    """A transcript item as the text report's lines (a heading has a blank line
    before it, and a marker a rule under it)."""
    if isinstance(item, Line):
        return [line_text(report, item)]
    if isinstance(item, Fold):
        return ["  " + item.text]
    text = line_text(report, item.line)
    lines = ["", text]
    if item.section.level == 1:
        lines.append("  " + "═" * max(10, len(text) - 2))
    return lines


# -- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~&"})


def md(text: str) -> str:
    """Text for a Markdown table cell or heading: every special character escaped."""
    return text.translate(_MD_SPECIAL)


def _md_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(md(c) for c in columns) + " |"]
    out.append("|" + "---|" * len(columns))
    out.extend("| " + " | ".join(md(c) for c in row) + " |" for row in rows)
    return out


FENCE = "````"


def write_markdown(report: Report, write: Write, *, width: int = 100) -> None:
    """The report as Markdown: tables for the header, the transcript in fenced
    blocks cut at each note and marker (their headings have anchors the
    contents link to)."""
    s = report.summary

    def put(line: str = "") -> None:
        write(report.mask(line) + "\n")

    put(f"# {md(title(report))}")
    put()
    put("| | |")
    put("|---|---|")
    for key, value in facts(report):
        put(f"| {md(key)} | {md(value)} |")
    put()
    for warning in s.warnings:
        put(f"- {md(safe(warning))}")
    if s.warnings:
        put()
    if s.timeline.lives():
        put("## Sockets")
        put()
        for row in _md_table(SOCKET_COLUMNS, socket_rows(report)):
            put(row)
        put()
    if s.errors:
        put(f"## Errors ({s.error_count})")
        put()
        for row in _md_table(ERROR_COLUMNS, error_rows(report)):
            put(row)
        put()
    if s.services:
        put("## Ping, NTP and DNS")
        put()
        for row in _md_table(SERVICE_COLUMNS, service_rows(report)):
            put(row)
        put()
    put("## Legend")
    put()
    for mark, meaning in legend_rows():
        put(f"- `{mark}` {md(meaning)}")
    put("- `┌ │ └` a command with its echo, response and final result; `[1.2 ms]` its elapsed time")
    if not report.options.keep_all:
        put("- `⋯` polling and start-up lines folded (`qiterm export --all` keeps them)")
    put()
    if s.sections:
        put("## Contents")
        put()
        for section in s.sections:
            indent = "" if section.level == 1 else "  "
            put(f"{indent}- [{md(section.title)}](#{section.anchor}) {md(fmt_offset(section.t))}")
        put()
    if s.timeline.lanes:
        put("## Socket timeline")
        put()
        put(FENCE + "text")
        for drawn in timeline_rows(s.timeline, width):
            put(drawn.plain.rstrip())
        for key in legend_lines():
            put(key)
        put(FENCE)
        put()
    put("## Transcript")
    put()
    in_block = False
    for item in transcript(report):
        if isinstance(item, Heading):
            if in_block:
                put(FENCE)
                put()
                in_block = False
            level = "###" if item.section.level == 1 else "####"
            put(f'<a id="{item.section.anchor}"></a>')
            put()
            put(f"{level} {md(item.section.title)} {md(fmt_offset(item.section.t))}")
            put()
            continue
        if not in_block:
            put(FENCE + "text")
            in_block = True
        # Every line starts with its gutter and a time: none can close the fence.
        put(line_text(report, item) if isinstance(item, Line) else "  " + item.text)
    if in_block:
        put(FENCE)


__all__ = [
    "ERROR_COLUMNS",
    "SERVICE_COLUMNS",
    "SOCKET_COLUMNS",
    "VIEW",
    "error_rows",
    "facts",
    "item_lines",
    "legend_rows",
    "line_text",
    "md",
    "safe",
    "service_rows",
    "socket_rows",
    "write_markdown",
    "write_text",
]
