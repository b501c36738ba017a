"""A capture as a report: the model every report format writes from.

``qiterm export LOG --format html|text|md`` reads the capture twice, as a
stream (a capture of hundreds of megabytes is never held in memory):

1. :func:`prepare` surveys it (:mod:`app.capture.survey`): the summary for the
   header, the table of contents, the socket timeline, the identifiers to mask;
2. :func:`transcript` replays it again and hands the transcript as items, in
   capture order, for a writer to write as they come:

   * :class:`Line`: one log line, the log's own entry as the console and
     ``qiterm view`` draw it (the writers draw it with
     :func:`app.model.render.render_entry`), with its kind (sent, echo,
     response, URC, note, app event) and its place in a command's group: a
     command, its echo, its response lines, its final (and deferred) result,
     the last line carrying the elapsed time of the capture's ``result`` record;
   * :class:`Fold`: where polling (``tag: poll``) or the console's start-up
     queries (``tag: init``) were, how many commands and lines (``--all``
     keeps them instead);
   * :class:`Heading`: a note (a sub-section) or a marker (a section), with
     its anchor.

Nothing here writes: :mod:`app.capture.report_text` and
:mod:`app.capture.report_html` do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.capture import format as fmt
from app.capture.format import Record
from app.capture.mask import Masker
from app.capture.reader import CaptureError
from app.capture.replay import Replayer, Step
from app.capture.survey import (
    FOLDED_TAGS,
    Section,
    Slice,
    Summary,
    Surveyor,
    checked_records,
    needs_markers,
    parse_bound,
    record_time,
    resolve_slice,
    scan_markers,
    shown,
)
from app.capture.timeline import GAP_S
from app.model.journal import LogEntry
from app.model.render import line_kind


class ReportError(ValueError):
    """The report cannot be made as asked (a ``--from`` marker that is not there)."""


@dataclass(frozen=True)
class ReportOptions:
    #: ``--all``: keep the polling and start-up lines instead of folding them.
    keep_all: bool = False
    #: ``--mask``: replace IMEI, IMSI, ICCID and the module's address.
    mask: bool = False
    #: ``--from`` / ``--to`` as given.
    start: str | None = None
    stop: str | None = None
    gap_s: float = GAP_S


@dataclass
class Report:
    """What the first pass found, and how to read the capture again."""

    path: str
    options: ReportOptions
    summary: Summary
    masker: Masker | None

    @property
    def origin(self) -> float:
        return self.summary.origin

    def mask(self, text: str) -> str:
        """``text`` as the report may show it (identifiers masked with ``--mask``);
        writers pass everything they write through this."""
        return self.masker.mask(text) if self.masker else text


# -- the items ----------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    entry: LogEntry
    #: One of :data:`app.model.render.LINE_KINDS`.
    kind: str
    #: Part of a command's group: it opens it / closes it (both for a lone line).
    grouped: bool = False
    first: bool = False
    last: bool = False
    #: On the group's last line: the command's elapsed time and how it ended.
    elapsed_ms: float | None = None
    ok: bool | None = None
    #: An anchor for this line (a note refers to it).
    anchor: str = ""
    #: On a note: the anchor of the line it is about (when that line is in the report).
    ref: str = ""


@dataclass(slots=True)
class Fold:
    tag: str
    commands: int = 0
    lines: int = 0
    names: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        what = FOLDED_TAGS.get(self.tag, self.tag)
        lines = f"{self.lines} line{'s' if self.lines != 1 else ''} folded"
        if not self.commands:  # the answers of a command folded just before
            return f"⋯ {what}: {lines}"
        names = ", ".join(self.names[:6]) + (", …" if len(self.names) > 6 else "")
        count = f"{self.commands} command{'s' if self.commands != 1 else ''}"
        return f"⋯ {what}: {count} ({names}), {lines}"


@dataclass(slots=True)
class Heading:
    section: Section
    line: Line


Item = Line | Fold | Heading


# -- pass 1 ---------------------------------------------------------------------------------


def prepare(
    path: str | os.PathLike[str],
    options: ReportOptions = ReportOptions(),
    *,
    survey: bool = True,
) -> Report:
    """Survey the capture (the first pass). Raises :class:`CaptureError` when it
    is not a capture, :class:`ReportError` for a slice that cannot be made,
    OSError when it cannot be read. ``survey=False`` (JSON Lines without
    ``--mask``) only checks the records and resolves the slice."""
    where = os.fspath(path)
    try:
        start = parse_bound(options.start) if options.start is not None else None
        stop = parse_bound(options.stop) if options.stop is not None else None
    except ValueError as exc:
        raise ReportError(f"--from/--to: {exc}") from None
    warnings: list[str] = []
    records = checked_records(where, warnings)
    header = next(records)
    origin = record_time(header, 0.0) or 0.0
    piece = Slice()
    if start is not None or stop is not None:
        markers = scan_markers(where)[1] if needs_markers(start, stop) else []
        try:
            piece = resolve_slice(start, stop, origin, markers)
        except ValueError as exc:
            raise ReportError(str(exc)) from None
    masker = Masker() if options.mask else None
    surveyor = Surveyor(
        where, header, piece, keep_all=options.keep_all, masker=masker, gap_s=options.gap_s
    )
    if masker is not None:
        masker.scan(str(header.get("url", "")))
    for record in records:
        if survey:
            surveyor.feed(record)
    summary = surveyor.finish()
    summary.warnings = warnings
    return Report(where, options, summary, masker)


# -- pass 2 ---------------------------------------------------------------------------------


class _Transcript:
    """Records -> items, keeping a command's lines together. One line is held
    back while a command is open, so the line that ends up closing it can carry
    the elapsed time."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.keep_all = report.options.keep_all
        self.refs = report.summary.refs
        self.sections = {section.seq: section for section in report.summary.sections}
        self.anchors: set[str] = set()
        self.open_cmd: int | None = None
        self.held: Line | None = None
        self.fold: Fold | None = None

    # -- groups -------------------------------------------------------------------

    def _put(self, line: Line, out: list[Item]) -> None:
        """A line inside the open group: the one held goes out, this one waits."""
        if self.held is not None:
            out.append(self.held)
        self.held = line

    def release(self, out: list[Item]) -> None:
        """A live reader went quiet: the line held back goes out now (its group
        stays open; it can no longer carry the elapsed time)."""
        if self.held is not None:
            out.append(self.held)
            self.held = None

    def close_group(self, out: list[Item]) -> None:
        """End the open group (no result came for it, or a heading comes)."""
        if self.held is not None:
            self.held.last = True
            out.append(self.held)
        self.held = None
        self.open_cmd = None

    def _flush_fold(self, out: list[Item]) -> None:
        if self.fold is not None:
            out.append(self.fold)
            self.fold = None

    def line(self, entry: LogEntry, seq: int, first_of_record: bool) -> Line:
        line = Line(entry, line_kind(entry))
        if first_of_record and seq in self.refs:
            line.anchor = f"r{seq}"
            self.anchors.add(line.anchor)
        return line

    # -- one record -----------------------------------------------------------------

    def push(self, record: Record, steps: list[Step], out: list[Item]) -> None:
        rtype = record.get("type")
        seq = int(record["seq"])
        tag = record.get("tag")
        cmd = record.get("cmd") if isinstance(record.get("cmd"), int) else None
        if not self.keep_all and isinstance(tag, str) and tag in FOLDED_TAGS:
            self._folded(record, tag, steps, out)
            return
        entries = [entry for step in steps for entry in step.entries]
        if rtype in (fmt.NOTE, fmt.MARKER):
            self._flush_fold(out)
            self.close_group(out)
            for entry in entries:
                line = self.line(entry, seq, True)
                ref = record.get("ref")
                if isinstance(ref, int) and f"r{ref}" in self.anchors:
                    line.ref = f"r{ref}"
                section = self._section(record, seq)
                out.append(Heading(section, line))
            return
        if not entries and rtype != fmt.RESULT:
            return
        self._flush_fold(out)
        starts = rtype == fmt.TX and record.get("what") == "command" and cmd is not None
        if starts:
            self.close_group(out)
            self.open_cmd = cmd
        if rtype == fmt.RESULT and cmd is not None and cmd == self.open_cmd:
            self._result(record, entries, seq, out)
            return
        for i, entry in enumerate(entries):
            line = self.line(entry, seq, i == 0)
            if self.open_cmd is None:
                out.append(line)
                continue
            line.grouped = True
            line.first = starts and i == 0
            self._put(line, out)

    def _result(self, record: Record, entries: list[LogEntry], seq: int, out: list[Item]) -> None:
        elapsed = record.get("elapsed_ms")
        ok = record.get("outcome") == "ok" and not entries
        for i, entry in enumerate(entries):  # a failure: the renderer's line for it
            line = self.line(entry, seq, i == 0)
            line.grouped = True
            self._put(line, out)
        if self.held is not None:
            self.held.elapsed_ms = float(elapsed) if isinstance(elapsed, int | float) else None
            self.held.ok = ok
        self.close_group(out)

    def _folded(self, record: Record, tag: str, steps: list[Step], out: list[Item]) -> None:
        if self.open_cmd is not None:
            # The console sends one command at a time: a command of its own
            # means the open one never got its result (the link went away).
            self.close_group(out)
        fold = self.fold
        if fold is None or fold.tag != tag:
            self._flush_fold(out)  # two kinds of folded lines back to back
            fold = self.fold = Fold(tag)
        fold.lines += sum(len(step.entries) for step in steps)
        if record.get("type") == fmt.TX and record.get("what") == "command":
            fold.commands += 1
            text = shown(fmt.decode_bytes(record).decode("utf-8", "replace").strip())
            if text not in fold.names:
                fold.names.append(text)

    def _section(self, record: Record, seq: int) -> Section:
        found = self.sections.get(seq)
        return found if found is not None else Section(f"s{seq}", 2, "", 0.0, seq)


#: The transcript's state machine, for a reader fed one record at a time (the
#: live text log): ``push(record, steps, out)``, ``release(out)``, ``close_group(out)``.
Transcript = _Transcript


def transcript(report: Report) -> Iterator[Item]:
    """The transcript's items, in capture order (the second pass)."""
    state = _Transcript(report)
    piece = report.summary.slice
    origin = report.origin
    replayer = Replayer()
    warnings: list[str] = []
    records = checked_records(report.path, warnings)
    next(records, None)  # the header
    out: list[Item] = []
    for record in records:
        steps = replayer.steps(record)
        seq = record.get("seq")
        t = record_time(record, origin)
        if not isinstance(seq, int) or not piece.contains(seq, t):
            if isinstance(seq, int) and piece.past(seq, t):
                break
            continue
        state.push(record, steps, out)
        if out:
            yield from out
            out.clear()
    state.close_group(out)
    if state.fold is not None:
        out.append(state.fold)
    yield from out


def describe_error(exc: BaseException) -> str:
    """A message for a capture that cannot be reported on."""
    if isinstance(exc, CaptureError | ReportError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"cannot read {exc.filename}: no such file"
    if isinstance(exc, OSError):
        return f"cannot read {exc.filename}: {exc.strerror or exc}"
    return str(exc)


__all__ = [
    "Fold",
    "Heading",
    "Item",
    "Line",
    "Report",
    "ReportError",
    "ReportOptions",
    "Transcript",
    "describe_error",
    "prepare",
    "transcript",
]
