"""Capture -> text, HTML or clean JSON Lines, and the ``qiterm export`` entry point.

The text form reads like the spec's chapter 4 examples: one line per frame,
commands as written, responses and URCs verbatim (odd bytes escaped), each
line prefixed with the time since the capture started; annotations, markers
and link changes are ``//`` comments. The HTML form is the same lines in
colour, as one self-contained file.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path

from rich.console import Console
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from rich.text import Text

from app.capture import format as capfmt
from app.capture.format import Record, decode_bytes
from app.capture.reader import Capture, CaptureError, read_capture
from app.protocol.text import escape_bytes

#: Rich styles by line class, chosen to read on the HTML's white background.
STYLES: dict[str, str] = {
    "header": "italic #6e7781",
    "time": "#8c959f",
    "command": "bold #0550ae",
    "echo": "#57606a",
    "payload": "#bf3989",
    "control": "bold #bf3989",
    "prompt": "bold #24292f",
    "response": "#24292f",
    "ok": "bold #1a7f37",
    "error": "bold #cf222e",
    "urc.recv": "#9a6700",
    "urc.closed": "bold #bc4c00",
    "urc.incoming": "#1b7c83",
    "urc": "#953800",
    "deferred": "bold #6639ba",
    "note": "italic #116329 on #dafbe1",
    "marker": "bold #ffffff on #0550ae",
    "link": "italic #6e7781",
    "comment": "italic #6e7781",
    "failed": "italic #cf222e",
}

_OK_KINDS = frozenset({"ok", "send_ok", "close_ok"})
_ERROR_KINDS = frozenset({"error", "send_fail"})
_CONTROL_NAMES = {0x1A: "<Ctrl-Z>", 0x1B: "<Esc>"}

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


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the rendered capture."""

    text: str
    style: str
    #: Seconds since the capture started; None for the header block.
    rel: float | None = None
    #: A continuation of the previous line (multi-line notes): no timestamp.
    cont: bool = False


def _clean(text: str) -> list[str]:
    """Free text (notes, messages) as safe lines: control bytes escaped."""
    data = str(text).encode("utf-8", "surrogatepass")
    return [escape_bytes(part, show_line_endings=False) for part in data.split(b"\n")]


def _frame_text(raw: bytes, after_prompt: bool) -> str:
    """A received frame as the module printed it, without its framing (the
    leading blank terminators and one line ending); odd bytes escaped."""
    body = raw
    if after_prompt and body[:1] == b" ":
        body = body[1:]  # the space of "> "
    body = body.lstrip(b"\r\n")
    if body.endswith(b"\r\n"):
        body = body[:-2]
    elif body.endswith((b"\r", b"\n")):
        body = body[:-1]
    return escape_bytes(body, show_line_endings=True)


def _tx_text(what: str, data: bytes) -> str:
    if what == "command" and data.endswith(b"\r"):
        data = data[:-1]
    if what not in ("ctrl_z", "esc"):
        return escape_bytes(data, show_line_endings=True)
    out: list[str] = []
    start = 0
    for i, byte in enumerate(data):
        if byte in _CONTROL_NAMES:
            out.append(escape_bytes(data[start:i]))
            out.append(_CONTROL_NAMES[byte])
            start = i + 1
    out.append(escape_bytes(data[start:]))
    return "".join(out)


def _rx_style(kind: str, role: str) -> str:
    if kind in _OK_KINDS:
        return "ok"
    if kind in _ERROR_KINDS:
        return "error"
    if kind == "prompt":
        return "prompt"
    if kind in ("urc.recv", "urc.closed", "urc.incoming"):
        return kind
    if role == "deferred" or kind.startswith("deferred."):
        return "deferred"
    if role == "echo":
        return "echo"
    if role == "urc" or kind.startswith("urc."):
        return "urc"
    return "response"


def _tx_style(what: str) -> str:
    if what == "command":
        return "command"
    if what == "payload":
        return "payload"
    return "control"


def _identity_text(rec: Record) -> str:
    identity = str(rec.get("identity") or "").strip()
    revision = str(rec.get("revision") or "").strip()
    if identity and revision:
        return f"{identity} (revision {revision})"
    return identity or (f"revision {revision}" if revision else "")


def _header_lines(capture: Capture) -> list[Line]:
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
    lines: list[Line] = []
    for row in rows:
        lines.extend(Line(f"// {part}", "header") for part in _clean(row))
    lines.append(Line("", "header"))
    return lines


def _comment(text: str, style: str, rel: float) -> list[Line]:
    parts = _clean(text)
    lines = [Line(f"// {parts[0]}", style, rel)]
    lines.extend(Line(f"// {p}", style, rel, cont=True) for p in parts[1:])
    return lines


def render_lines(capture: Capture) -> list[Line]:
    """The capture as display lines: the header block, then one line per frame,
    note, marker and notable event, in file order."""
    lines = _header_lines(capture)
    base = capture.header.get("m")
    rel = 0.0
    after_prompt = False
    identity_shown = next(
        (_identity_text(r) for r in capture.records if r.get("type") == capfmt.IDENTITY), ""
    )
    times: dict[int, float] = {}
    previous: object = None
    for rec in capture.records:
        rtype = rec.get("type")
        m = rec.get("m")
        if isinstance(m, int):
            if not isinstance(base, int):
                base = m
            rel = (m - base) / 1_000_000
        seq = rec.get("seq")
        ref_is_previous = rec.get("ref") == previous
        previous = seq
        if isinstance(seq, int):
            times[seq] = rel
        if rtype == capfmt.RX:
            kind = str(rec.get("kind", ""))
            raw = decode_bytes(rec)
            text = _frame_text(raw, after_prompt)
            after_prompt = kind == "prompt"
            if kind == "blank" or not text:
                continue
            flags = rec.get("flags")
            if flags:
                text += "  // " + ", ".join(str(f) for f in flags).replace("_", " ")
            lines.append(Line(text, _rx_style(kind, str(rec.get("role", ""))), rel))
        elif rtype == capfmt.TX:
            what = str(rec.get("what", ""))
            lines.append(Line(_tx_text(what, decode_bytes(rec)), _tx_style(what), rel))
        elif rtype == capfmt.NOTE:
            text = str(rec.get("text", ""))
            ref = rec.get("ref")
            if isinstance(ref, int) and ref in times and not ref_is_previous:
                text = f"(re +{times[ref]:.3f}s) {text}"
            lines.extend(_comment(text, "note", rel))
        elif rtype == capfmt.MARKER:
            label = f"marker {rec.get('n', '?')}"
            if rec.get("text"):
                label += ": " + " ".join(str(rec["text"]).splitlines())
            lines.extend(_comment(f"--- {label} ---", "marker", rel))
        elif rtype == capfmt.LINK:
            state = rec.get("state", "?")
            message = rec.get("message")
            if message == state:
                message = ""
            lines.extend(
                _comment(f"link: {state}" + (f" ({message})" if message else ""), "link", rel)
            )
        elif rtype == capfmt.RESULT:
            code = rec.get("code")
            if rec.get("outcome") != "ok" or code not in (None, 0):
                lines.extend(_comment(f"=> {rec.get('message', '')}", "failed", rel))
        elif rtype == capfmt.DATAFORMAT:
            send = "hex" if rec.get("send_hex") else "text"
            recv = "hex" if rec.get("recv_hex") else "text"
            show_ra = "on" if rec.get("show_ra") else "off"
            text = f"dataformat: send {send}, recv {recv}, showRA {show_ra}"
            lines.extend(_comment(text, "comment", rel))
        elif rtype == capfmt.REBOOT:
            lines.extend(_comment("module rebooted (RDY)", "comment", rel))
        elif rtype == capfmt.IDENTITY:
            text = _identity_text(rec)
            if text and text != identity_shown:
                lines.extend(_comment(f"module: {text}", "comment", rel))
                identity_shown = text
        elif rtype == capfmt.SCREENSHOT:
            lines.extend(_comment(f"screenshot: {rec.get('path', '')}", "comment", rel))
        # datamode records: the prompt, payload and Ctrl-Z lines already show it.
    return lines


def _stamp(rel: float) -> str:
    return f"+{rel:8.3f}s  "


def export_text(capture: Capture) -> str:
    out: list[str] = []
    for line in render_lines(capture):
        if line.rel is None:
            out.append(line.text)
        elif line.cont:
            out.append(" " * len(_stamp(line.rel)) + line.text)
        else:
            out.append(_stamp(line.rel) + line.text)
    return "\n".join(out) + "\n"


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
    for line in render_lines(capture):
        text = Text(no_wrap=True)
        if line.rel is not None:
            stamp = _stamp(line.rel)
            text.append(" " * len(stamp) if line.cont else stamp, style=STYLES["time"])
        text.append(line.text, style=STYLES.get(line.style, ""))
        console.print(text)
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
    "Line",
    "export_html",
    "export_jsonl",
    "export_main",
    "export_text",
    "render_lines",
]
