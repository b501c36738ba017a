"""A check's report: a table per command in the terminal (rich), and an HTML page.

The HTML report stands alone (styles inline, no script, nothing fetched) so it can
be attached to a support case, and is written readable by its owner only, as
captures are: it quotes what the module printed.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from app.check.model import Finding, Report, Verdict

_MARK = {
    Verdict.CONFORMS: ("✓ conforms", "green"),
    Verdict.DIFFERS: ("✗ differs", "bold red"),
    Verdict.NETWORK: ("~ network", "yellow"),
    Verdict.SKIPPED: ("- skipped", "dim"),
}


def header_lines(report: Report) -> list[str]:
    lines = [f"port     {report.port}"]
    if report.module:
        lines.append(f"module   {report.module}  {report.revision}".rstrip())
    if report.started:
        lines.append(f"started  {report.started} ({report.elapsed:.1f} s)")
    if report.capture:
        lines.append(f"capture  {report.capture}")
    lines += [f"note     {note}" for note in report.notes]
    return lines


def tables(report: Report) -> Group:
    """One table per section: what, clause, verdict, what the spec expects, what came."""
    parts: list[Table | Text] = []
    for section, findings in report.sections():
        table = Table(
            title=section,
            title_justify="left",
            title_style="bold cyan",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            expand=True,
        )
        table.add_column("check", ratio=3, overflow="fold")
        table.add_column("§", no_wrap=True, style="dim")
        table.add_column("result", no_wrap=True)
        table.add_column("expected", ratio=4, overflow="fold")
        table.add_column("came", ratio=4, overflow="fold")
        for f in findings:
            label, style = _MARK[f.verdict]
            quiet = f.verdict is not Verdict.DIFFERS
            table.add_row(
                f.what,
                f.chapter,
                Text(label, style=style),
                Text(f.expected, style="dim" if quiet else ""),
                Text(f.got, style="dim" if quiet else "red"),
            )
        parts.append(table)
    return Group(*parts)


def print_report(out: Console, report: Report) -> None:
    out.print(Text("qiterm check", style="bold"))
    for line in header_lines(report):
        out.print(f"  {line}", markup=False, soft_wrap=True)
    out.print(tables(report))
    mark, style = ("✓", "bold green") if report.conforms else ("✗", "bold red")
    out.print(Text(f"{mark} {report.summary()}", style=style), soft_wrap=True)
    for f in report.differences:
        out.print(
            Text.assemble(("  differs: ", "red"), f"{f.id} ({f.chapter}) {f.what}: {f.got}"),
            soft_wrap=True,
        )


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3em .6em; border-bottom: 1px solid #ddd; }
th { background: #f3f3f3; } td.mono { font-family: ui-monospace, monospace; font-size: 12px; }
.conforms { color: #1a7f37; } .differs { color: #cf222e; font-weight: bold; }
.network { color: #9a6700; } .skipped { color: #6e7781; }
tr.differs td { background: #fff0f0; }
.summary { font-size: 1.1em; margin: 1em 0; } .meta { color: #57606a; }
"""


def _row(f: Finding) -> str:
    label = _MARK[f.verdict][0]
    cls = f.verdict.value
    return (
        f'<tr class="{cls}"><td>{html.escape(f.what)}<br><span class="meta">'
        f"{html.escape(f.id)}</span></td><td>{html.escape(f.chapter)}</td>"
        f'<td class="{cls}">{html.escape(label)}</td>'
        f'<td class="mono">{html.escape(f.expected)}</td>'
        f'<td class="mono">{html.escape(f.got)}</td></tr>'
    )


def render_html(report: Report) -> str:
    meta = "".join(f"<div>{html.escape(line)}</div>" for line in header_lines(report))
    cls = "conforms" if report.conforms else "differs"
    sections = []
    for section, findings in report.sections():
        rows = "".join(_row(f) for f in findings)
        sections.append(
            f"<h2>{html.escape(section)}</h2><table><tr><th>check</th><th>§</th>"
            f"<th>result</th><th>expected</th><th>came</th></tr>{rows}</table>"
        )
    title = f"qiterm check: {report.module or report.port}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><div class="meta">{meta}</div>'
        f'<p class="summary {cls}">{html.escape(report.summary())}</p>'
        f"{''.join(sections)}"
        '<p class="meta">Checked against the Quectel BC660K-GL TCP/IP Application Note '
        "V1.1; each row names its clause.</p></body></html>\n"
    )


def write_html(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report, readable by its owner only (replaces the file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        if hasattr(os, "fchmod"):
            os.fchmod(stream.fileno(), 0o600)  # an existing file keeps no wider mode
        stream.write(render_html(report))
    return target
