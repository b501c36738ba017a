"""Capture -> text, HTML or clean JSON Lines, and the ``qiterm export`` entry point.

The text and HTML forms are the log as ``qiterm view`` shows it: the capture's
records become log entries again (:class:`~app.capture.replay.Replayer`) and
each is drawn by the log's own renderer (:func:`app.model.render.render_entry`),
with its time since the capture started (``+   0.318s``) and its direction
(``→`` to the module, ``←`` from it, ``·`` qiterm's own lines and the ``//``
notes). A ``//`` header block says what was captured, where and when. The HTML
form is the same lines in colour (a fixed light palette), as one
self-contained file.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from html import escape as html_escape
from pathlib import Path

from rich.console import Console
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from rich.text import Text

from app.capture import format as capfmt
from app.capture.format import Record
from app.capture.reader import Capture, CaptureError, read_capture
from app.capture.replay import Replayer
from app.model.journal import LogEntry
from app.model.render import LineView, StyleMap, render_entry
from app.protocol.text import escape_bytes

#: The line view of an export: payloads as recorded, time since the start.
VIEW = LineView(stamps="relative")

#: The HTML's palette, by the renderer's style names, chosen for a white page.
HTML_STYLES: dict[str, Style] = {
    name: Style.parse(style)
    for name, style in {
        "timestamp": "#8c959f",
        "arrow": "#8c959f",
        "meaning": "italic #6e7781",
        "poll": "dim",
        "match": "reverse",
        "command": "bold #0550ae",
        "payload": "#bf3989",
        "echo": "#57606a",
        "response": "#24292f",
        "ok": "bold #1a7f37",
        "error": "bold #cf222e",
        "prompt": "bold #24292f",
        "recv": "#9a6700",
        "closed": "bold #bc4c00",
        "incoming": "#1b7c83",
        "deferred": "bold #6639ba",
        "urc": "#953800",
        "link": "italic #6e7781",
        "app": "italic #6e7781",
        "note": "italic #116329 on #dafbe1",
        "marker": "bold #ffffff on #0550ae",
    }.items()
}
#: The header block's style in the HTML.
HTML_HEADER = Style.parse("italic #6e7781")

_HTML_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>{title}</title>
<style>
{stylesheet}
body {{
    color: {foreground};
    background-color: {background};
}}
</style>
</head>
<body>
<pre style="font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace">\
<code style="font-family:inherit">{code}</code></pre>
</body>
</html>
"""


def _clean(text: str) -> list[str]:
    """Free text from the header as safe lines: control bytes escaped."""
    data = str(text).encode("utf-8", "surrogatepass")
    return [escape_bytes(part, show_line_endings=False) for part in data.split(b"\n")]


def _identity_text(rec: Record) -> str:
    identity = str(rec.get("identity") or "").strip()
    revision = str(rec.get("revision") or "").strip()
    if identity and revision:
        return f"{identity} (revision {revision})"
    return identity or (f"revision {revision}" if revision else "")


def header_lines(capture: Capture) -> list[str]:
    """The ``//`` block before the transcript: qiterm, port, module, start, and
    what could not be read."""
    h = capture.header
    identity = next(
        (_identity_text(r) for r in capture.records if r.get("type") == capfmt.IDENTITY), ""
    )
    rows = [
        f"qiterm capture (qiterm {h.get('qiterm', '?')}, format {h.get('version', '?')})",
        f"port:     {h.get('url', '?')}",
        f"baud:     {h.get('baud', '?')}",
    ]
    if identity:
        rows.append(f"module:   {identity}")
    rows.append(f"started:  {h.get('started', '?')}")
    if capture.torn:
        rows.append("the capture's last line was cut off (qiterm stopped while writing it)")
    rows.extend(f"skipped {p}" for p in capture.problems)
    return [f"// {part}" for row in rows for part in _clean(row)]


def transcript(capture: Capture) -> Iterator[LogEntry]:
    """The capture's log entries, in file order, as the viewer shows them."""
    replayer = Replayer()
    for record in capture.records:
        for step in replayer.steps(record):
            yield from step.entries


def render_lines(capture: Capture, styles: StyleMap | None = None) -> list[Text]:
    """The capture as display lines: the header block, a blank line, then one
    line per log entry. ``styles``: the renderer's style map (none: plain)."""
    styles = styles or {}
    header = styles.get("header", Style())
    lines = [Text(row, style=header) for row in header_lines(capture)]
    lines.append(Text(""))
    t = capture.header.get("t")
    origin = t / 1_000_000 if isinstance(t, int) else 0.0
    for entry in transcript(capture):
        lines.append(render_entry(entry, styles, view=VIEW, origin=origin))
    return lines


def export_text(capture: Capture) -> str:
    return "\n".join(line.plain for line in render_lines(capture)) + "\n"


def export_html(capture: Capture, *, width: int = 160) -> str:
    console = Console(
        record=True,
        width=width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        soft_wrap=True,
    )
    for line in render_lines(capture, {**HTML_STYLES, "header": HTML_HEADER}):
        console.print(line)
    title = f"qiterm capture {capture.header.get('started', '')} {capture.header.get('url', '')}"
    safe_title = html_escape(title.strip()).replace("{", "{{").replace("}", "}}")
    template = _HTML_TEMPLATE.replace("{title}", safe_title)
    return console.export_html(
        theme=DEFAULT_TERMINAL_THEME, code_format=template, inline_styles=True
    )


def export_jsonl(capture: Capture) -> str:
    """The header and every readable record as clean JSON Lines (a torn last
    line or bad lines in the middle are left out)."""
    return "".join(
        capfmt.encode_line(rec).decode("utf-8") for rec in (capture.header, *capture.records)
    )


EXPORTERS: dict[str, Callable[[Capture], str]] = {
    "text": export_text,
    "html": export_html,
    "jsonl": export_jsonl,
}


def _error(message: str) -> None:
    print(f"qiterm export: {message}", file=sys.stderr)


def _write_output(output: str, content: str) -> None:
    target = Path(output)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def _write_stdout(content: str) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(content)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    buffer.write(content.encode("utf-8", "backslashreplace"))
    buffer.flush()


def export_main(log: str, fmt: str, output: str | None) -> int:
    """``qiterm export LOG --format FMT [-o OUTPUT]``; returns the exit code:
    0 done, 1 the output could not be written, 2 bad input."""
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        _error(f"unknown format {fmt!r} (choose one of: {', '.join(EXPORTERS)})")
        return 2
    try:
        capture = read_capture(log)
    except CaptureError as exc:
        _error(str(exc))
        return 2
    except FileNotFoundError:
        _error(f"cannot read {log}: no such file")
        return 2
    except OSError as exc:
        _error(f"cannot read {log}: {exc.strerror or exc}")
        return 2
    for problem in capture.problems:
        _error(f"warning: {log}: {problem} (skipped)")
    if capture.torn:
        _error(f"note: {log}: the last line was cut off (qiterm stopped mid-write); skipped")
    content = exporter(capture)
    if output is None:
        try:
            _write_stdout(content)
        except BrokenPipeError:
            # `qiterm export x | head`: the reader went away; not an error. Point
            # stdout at devnull so the interpreter's final flush stays quiet.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):
                pass
        return 0
    try:
        _write_output(output, content)
    except OSError as exc:
        _error(f"cannot write {output}: {exc.strerror or exc}")
        return 1
    return 0


__all__ = [
    "EXPORTERS",
    "HTML_STYLES",
    "export_html",
    "export_jsonl",
    "export_main",
    "export_text",
    "header_lines",
    "render_lines",
    "transcript",
]
