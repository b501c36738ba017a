"""The report as one self-contained HTML file (``--format html``).

One file, nothing fetched: inline CSS (a light and a dark palette chosen by
``prefers-color-scheme``, and a print stylesheet for a clean PDF), the socket
timeline as inline SVG, no script at all (a Content-Security-Policy says so,
so nothing in a capture can ever run or load anything). It is written as it is
read: the header, contents, tables and timeline from the first pass, then the
transcript item by item. The transcript is cut into blocks the browser lays
out only when they come into view (``content-visibility: auto``), so a
100,000-line capture opens quickly.

Each transcript line is the log's own, drawn by
:func:`app.model.render.render_entry` with a style per semantic name; the
styles carry their name, so each part of a line becomes a ``<span>`` with a
CSS class (``ts`` the time, ``mk`` the mark, ``c-ok``, ``c-recv``...).
"""

from __future__ import annotations

from html import escape
from itertools import pairwise

from rich.style import Style
from rich.text import Text

from app import __version__
from app.capture.report import Fold, Heading, Report, transcript
from app.capture.report_text import (
    ERROR_COLUMNS,
    SERVICE_COLUMNS,
    SOCKET_COLUMNS,
    VIEW,
    elapsed_text,
    error_rows,
    facts,
    legend_rows,
    safe,
    service_rows,
    socket_rows,
    title,
)
from app.capture.report_text import Write as Write
from app.capture.survey import Section
from app.capture.timeline import fmt_offset
from app.capture.timeline_svg import legend_items, timeline_svg
from app.model.render import STYLE_NAMES, render_entry

#: The CSS class of each renderer style name.
CLASSES = {
    **{name: f"c-{name}" for name in STYLE_NAMES},
    "timestamp": "ts",
    "arrow": "mk",
    "meaning": "mn",
    "poll": "pl",
    "match": "hl",
}
#: Styles that say which name they stand for (their meta), for render_entry.
STYLES = {name: Style(meta={"c": cls}) for name, cls in CLASSES.items()}
_CLASS_OF = {id(style): style.meta["c"] for style in STYLES.values()}
#: Lines per block the browser lays out lazily.
CHUNK = 300

CSS = """
:root {
  color-scheme: light dark;
  --fg: #1f2328; --bg: #ffffff; --muted: #656d76; --faint: #8c959f; --rule: #d0d7de;
  --panel: #f6f8fa; --command: #0550ae; --payload: #bf3989; --ok: #1a7f37;
  --error: #cf222e; --recv: #9a6700; --closed: #bc4c00; --incoming: #1b7c83;
  --deferred: #6639ba; --urc: #953800; --note-fg: #116329; --note-bg: #dafbe1;
  --marker-fg: #ffffff; --marker-bg: #0550ae; --link: #0969da; --send: #0550ae;
}
@media screen and (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --faint: #7d8590; --rule: #30363d;
    --panel: #161b22; --command: #79c0ff; --payload: #f778ba; --ok: #3fb950;
    --error: #f85149; --recv: #d29922; --closed: #db6d28; --incoming: #39c5cf;
    --deferred: #a371f7; --urc: #ffa657; --note-fg: #7ee787; --note-bg: #12261e;
    --marker-fg: #ffffff; --marker-bg: #1f6feb; --link: #4493f8; --send: #79c0ff;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem 2rem 4rem;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .8rem; }
h1 .file { font-weight: normal; color: var(--muted); }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--rule); }
a { color: var(--link); }
code, .l, .mono, h3.sec, .tlkey, .folded { font-family: ui-monospace, "DejaVu Sans Mono",
  Menlo, Consolas, monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1.2rem;
  margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.warnings { color: var(--error); }
table.data { border-collapse: collapse; font-size: .86rem; width: 100%; }
table.data th, table.data td { text-align: left; padding: .25rem .6rem;
  border-bottom: 1px solid var(--rule); vertical-align: top; overflow-wrap: anywhere; }
table.data th { color: var(--muted); font-weight: 600; background: var(--panel); }
td.bad { color: var(--error); }
td.nw { white-space: nowrap; }
nav.toc ol { margin: .2rem 0; padding-left: 1.4rem; }
nav.toc li { margin: .1rem 0; }
nav.toc .ts, h3 .ts { color: var(--faint); font-size: .85em; }
.legend { display: grid; grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr));
  gap: .2rem 1rem; padding: 0; list-style: none; }
.legend .mk { display: inline-block; width: 1.6em; text-align: center; font-weight: bold; }
.tlwrap { overflow-x: auto; border: 1px solid var(--rule); border-radius: 6px;
  background: var(--bg); }
svg.timeline { display: block; max-width: 100%; height: auto; font: 12px ui-monospace,
  "DejaVu Sans Mono", monospace; }
svg.tl-key { display: inline-block; vertical-align: middle; }
.tlkey { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .2rem 1.2rem;
  font-size: .85rem; }
.tl-lane { fill: transparent; }
.tl-odd { fill: var(--panel); }
.tl-label { fill: var(--fg); }
.tl-tick, .tl-size, .tl-breaktext, .tl-life-label { fill: var(--muted); font-size: 11px; }
.tl-life-label { font-size: 9.5px; }
.tl-breaktext { fill: var(--recv); }
.tl-grid { stroke: var(--rule); stroke-width: 1; }
.tl-break { fill: var(--panel); stroke: var(--recv); stroke-dasharray: 3 3; }
.tl-life { stroke: var(--faint); stroke-width: 2; }
.tl-failed { stroke: var(--error); stroke-dasharray: 2 3; }
.tl-gap { stroke: var(--bg); stroke-width: 3; stroke-dasharray: 4 4; }
.tl-open { fill: var(--ok); } .tl-send { fill: var(--send); } .tl-recv { fill: var(--recv); }
.tl-close { fill: var(--fg); } .tl-rclose { stroke: var(--closed); fill: var(--bg);
  stroke-width: 2; }
.tl-hollow { fill: var(--bg); stroke: currentColor; stroke-width: 2; }
circle.tl-open.tl-hollow { stroke: var(--ok); }
.tl-fail { fill: none; stroke: var(--error); stroke-width: 2.5; }
#transcript-section { font-size: 13px; }
#transcript-section h2 { font-size: 1.2rem; font-family: inherit; }
.l, h3.sec { white-space: pre-wrap; overflow-wrap: anywhere; }
.l { padding-left: 13ch; text-indent: -13ch; line-height: 1.4; }
.chunk { content-visibility: auto; padding-left: .7rem; }
.g { border-left: 3px solid var(--rule); margin: .15rem 0 .15rem -.7rem;
  padding-left: calc(.7rem - 3px); }
.g.ok { border-left-color: var(--ok); } .g.err { border-left-color: var(--error); }
.el { float: right; text-indent: 0; font-size: .85em; color: var(--muted);
  padding: 0 .4em; border-radius: 3px; background: var(--panel); }
.el.err { color: var(--error); }
.folded { color: var(--faint); font-style: italic; padding-left: 2ch; margin: .1rem 0; }
h3.sec { font-size: inherit; margin: 1.1rem 0 .3rem; padding: .25rem .5rem;
  border-radius: 4px; }
h3.sec.note { background: var(--note-bg); color: var(--note-fg); }
h3.sec.marker { background: var(--marker-bg); color: var(--marker-fg); font-weight: bold; }
h3.sec .ts, h3.sec .mk { color: inherit; opacity: .75; }
h3.sec .mn { font-style: italic; }
h3.sec a.self { color: inherit; text-decoration: none; }
.ts { color: var(--faint); } .mk { color: var(--faint); } .mn { color: var(--muted);
  font-style: italic; }
.k-sent .mk { color: var(--command); font-weight: bold; }
.k-urc .mk { color: var(--urc); font-weight: bold; }
.k-echo .mk, .k-response .mk { color: var(--muted); }
.c-command { color: var(--command); font-weight: bold; } .c-payload { color: var(--payload); }
.c-echo { color: var(--muted); } .c-response { color: var(--fg); }
.c-ok { color: var(--ok); font-weight: bold; } .c-error { color: var(--error); font-weight: bold; }
.c-prompt { font-weight: bold; } .c-recv { color: var(--recv); }
.c-closed { color: var(--closed); font-weight: bold; } .c-incoming { color: var(--incoming); }
.c-deferred { color: var(--deferred); font-weight: bold; } .c-urc { color: var(--urc); }
.c-link, .c-app { color: var(--muted); font-style: italic; }
.c-note { color: var(--note-fg); } .c-marker { font-weight: bold; }
.pl { opacity: .6; }
footer { margin-top: 3rem; color: var(--faint); font-size: .85rem; }
:target { outline: 2px solid var(--link); outline-offset: 1px; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  .chunk { content-visibility: visible; }
  a { color: inherit; text-decoration: none; }
  nav.toc { break-after: page; }
  h2, h3.sec { break-after: avoid; }
  .g, tr { break-inside: avoid; }
  .tlwrap { overflow: visible; border: none; }
  #transcript-section { font-size: 8pt; }
  .el { float: none; margin-left: 1em; }
}
"""

HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" \
content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="qiterm {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
"""


def html_line(text: Text, *, link_meaning: str = "") -> str:
    """A rendered log line as HTML: a ``<span>`` per styled part, by class."""
    plain = text.plain
    spans = [(s.start, s.end, _CLASS_OF.get(id(s.style), "")) for s in text.spans]
    spans = [s for s in spans if s[2] and s[0] < s[1]]
    if not spans:
        return escape(plain, quote=False)
    cuts = sorted({0, len(plain), *(s[0] for s in spans), *(s[1] for s in spans)})
    out = []
    for a, b in pairwise(cuts):
        classes = [cls for start, end, cls in spans if start <= a and b <= end]
        piece = escape(plain[a:b], quote=False)
        if not classes:
            out.append(piece)
            continue
        if link_meaning and "mn" in classes:
            piece = f'<a href="#{link_meaning}">{piece}</a>'
        out.append(f'<span class="{" ".join(classes)}">{piece}</span>')
    return "".join(out)


def _table(
    columns: list[str], rows: list[list[str]], bad: int | None = None, nowrap: tuple[int, ...] = ()
) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            classes = " ".join(
                name for name, on in (("bad", i == bad and c), ("nw", i in nowrap)) if on
            )
            cells.append(
                f'<td class="{classes}">{escape(c)}</td>' if classes else f"<td>{escape(c)}</td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    rows_html = "".join(body)
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>'


def _toc(report: Report) -> str:
    s = report.summary
    parts = ['<nav class="toc" aria-label="Contents"><h2 id="contents">Contents</h2><ol>']
    parts.append('<li><a href="#summary">Summary</a></li>')
    if s.timeline.lives():
        parts.append('<li><a href="#sockets">Sockets</a></li>')
    if s.errors:
        parts.append(f'<li><a href="#errors">Errors ({s.error_count})</a></li>')
    if s.services:
        parts.append('<li><a href="#services">Ping, NTP and DNS</a></li>')
    if s.timeline.lanes:
        parts.append('<li><a href="#timeline">Socket timeline</a></li>')
    parts.append('<li><a href="#legend">Legend</a></li>')
    parts.append('<li><a href="#transcript">Transcript</a>')
    if s.sections:
        parts.append("<ol>")
        open_sub = False
        for section in s.sections:
            item = _toc_item(section)
            if section.level == 1:
                if open_sub:
                    parts.append("</ol></li>")
                    open_sub = False
                parts.append(item)  # left open: its notes go inside
                parts.append("<ol>")
                open_sub = True
            else:
                parts.append(item + "</li>")
        if open_sub:
            parts.append("</ol></li>")
        parts.append("</ol>")
    parts.append("</li></ol></nav>")
    # A marker's <li> with no notes under it has an empty <ol>: harmless, but tidy.
    return "".join(parts).replace("<ol></ol>", "")


def _toc_item(section: Section) -> str:
    return (
        f'<li><a href="#{section.anchor}">{escape(section.title)}</a> '
        f'<span class="ts">{escape(fmt_offset(section.t))}</span>'
    )


def _legend(folding: bool = True) -> str:
    items = [
        f'<li class="k-{kind}"><span class="mk">{escape(mark)}</span>{escape(meaning)}</li>'
        for (mark, meaning), kind in zip(
            legend_rows(), ("sent", "echo", "response", "urc", "note", "app"), strict=True
        )
    ]
    items.append(
        '<li><span class="mk">▏</span>a command with its echo, response and final result '
        "(the bar green when it succeeded, red when not; the elapsed time on the right)</li>"
    )
    if folding:
        items.append(
            '<li><span class="mk">⋯</span>polling and start-up lines folded '
            "(<code>qiterm export --all</code> keeps them)</li>"
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def write_html(report: Report, write: Write) -> None:
    """The whole report as one HTML page, written piece by piece."""
    s = report.summary

    def put(piece: str) -> None:
        write(report.mask(piece))

    heading = title(report)
    put(HEAD.format(version=__version__, title=escape(heading), css=CSS))
    name = heading.split(": ", 1)[1] if ": " in heading else heading
    put(
        f'<header id="summary"><h1>qiterm report <span class="file">{escape(name)}</span></h1>'
        '<dl class="facts">'
    )
    for key, value in facts(report):
        put(f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>")
    put("</dl>")
    if s.warnings:
        items = "".join(f"<li>{escape(safe(w))}</li>" for w in s.warnings)
        put(f'<ul class="warnings">{items}</ul>')
    put("</header>\n")
    put(_toc(report) + "\n<main>\n")
    if s.timeline.lives():
        put('<section><h2 id="sockets">Sockets</h2>')
        put(_table(SOCKET_COLUMNS, socket_rows(report), nowrap=(0, 3)) + "</section>\n")
    if s.errors:
        put(f'<section><h2 id="errors">Errors ({s.error_count})</h2>')
        put(_table(ERROR_COLUMNS, error_rows(report), bad=2, nowrap=(0,)) + "</section>\n")
    if s.services:
        put('<section><h2 id="services">Ping, NTP and DNS</h2>')
        put(_table(SERVICE_COLUMNS, service_rows(report), nowrap=(0, 1)) + "</section>\n")
    if s.timeline.lanes:
        put('<section><h2 id="timeline">Socket timeline</h2><div class="tlwrap">')
        put(timeline_svg(s.timeline))
        keys = "".join(f"<li>{svg}{escape(label)}</li>" for svg, label in legend_items())
        put(f'</div><ul class="tlkey">{keys}</ul></section>\n')
    put(f'<section><h2 id="legend">Legend</h2>{_legend(not report.options.keep_all)}</section>\n')
    put('<section id="transcript-section"><h2 id="transcript">Transcript</h2>\n')
    _write_transcript(report, put)
    put("</section>\n</main>\n")
    put(
        f"<footer>Written by qiterm {escape(__version__)} from {escape(name)}. "
        "One file: nothing in it loads anything from the network.</footer>\n</body>\n</html>\n"
    )


def _write_transcript(report: Report, put: Write) -> None:
    origin = report.origin
    chunk: list[str] = []
    in_group = False

    def flush() -> None:
        if chunk:
            height = max(1, sum(piece.count("\n") for piece in chunk))
            put(f'<div class="chunk" style="contain-intrinsic-size:auto {height * 1.4:.0f}em">')
            put("".join(chunk))
            put("</div>\n")
            chunk.clear()

    for item in transcript(report):
        if isinstance(item, Heading):
            if in_group:
                chunk.append("</div>\n")
                in_group = False
            flush()
            section = item.section
            kind = "marker" if section.level == 1 else "note"
            drawn = render_entry(item.line.entry, STYLES, view=VIEW, origin=origin)
            body = html_line(drawn, link_meaning=item.line.ref)
            put(
                f'<h3 class="sec {kind}" id="{section.anchor}">'
                f'<a class="self" href="#{section.anchor}">{body}</a></h3>\n'
                if not item.line.ref
                else f'<h3 class="sec {kind}" id="{section.anchor}">{body}</h3>\n'
            )
            continue
        if isinstance(item, Fold):
            if not in_group and len(chunk) >= CHUNK:
                flush()
            chunk.append(f'<div class="folded">{escape(item.text)}</div>\n')
            continue
        line = item
        if line.grouped and not in_group:
            ok = "" if line.ok is None else (" ok" if line.ok else " err")
            chunk.append(f'<div class="g{ok}">')
            in_group = True
        elif not line.grouped and not in_group and len(chunk) >= CHUNK:
            flush()
        text = render_entry(line.entry, STYLES, view=VIEW, origin=origin)
        anchor = f' id="{line.anchor}"' if line.anchor else ""
        elapsed = ""
        if line.last and line.elapsed_ms is not None:
            cls = "el" if line.ok else "el err"
            elapsed = f'<span class="{cls}">{escape(elapsed_text(line.elapsed_ms))}</span>'
        chunk.append(f'<div class="l k-{line.kind}"{anchor}>{elapsed}{html_line(text)}</div>\n')
        if line.grouped and line.last:
            chunk.append("</div>\n")
            in_group = False
            if line.ok is not None:
                _mark_group(chunk, line.ok)
            if len(chunk) >= CHUNK:
                flush()
    if in_group:
        chunk.append("</div>\n")
    flush()


def _mark_group(chunk: list[str], ok: bool) -> None:
    """Colour the group just closed by how its command ended (its opening tag
    was written before the result was known)."""
    for i in range(len(chunk) - 1, -1, -1):
        if chunk[i] == '<div class="g">':
            chunk[i] = f'<div class="g {"ok" if ok else "err"}">'
            return
        if chunk[i].startswith('<div class="g'):
            return


__all__ = ["CSS", "STYLES", "html_line", "write_html"]
