"""The live text log (``--text-log PATH``): the session as plain text, written as
it runs, in the text export's format (``qiterm export --format text``): the same
lines, marks and command groups, polling and start-up queries folded unless
``--text-log-all`` keeps them.

It follows the capture: a listener (:meth:`CaptureRecorder.add_listener`)
hands each record to a queue and returns, so the serial thread that records
is never held up by this file; a thread of its own turns the records into
lines (:class:`app.capture.report.Transcript`, the export's own) and writes
them. If it falls behind by :data:`MAX_QUEUED` records, the records past that
are left out of the text log and a line says how many (the capture has them).
A line held back for its command group goes out after :data:`IDLE_S` of quiet.

The file is created private and new, like the capture (:mod:`app.config.files`:
mode 0600, never through a link, never over an existing file unless replacing
it was asked for).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from app.capture.format import Record
from app.capture.recorder import CaptureRecorder
from app.capture.replay import Replayer
from app.capture.report import Item, Report, ReportOptions, Transcript
from app.capture.report_text import item_lines, legend_rows, safe
from app.capture.survey import Slice, Summary, record_time
from app.config.files import create_private

log = logging.getLogger(__name__)

#: Records waiting to be written beyond which new ones are left out.
MAX_QUEUED = 100_000
#: Quiet time after which a line held for its group is written anyway.
IDLE_S = 0.5
_STOP = object()


class TextLog:
    """Writes ``capture``'s records as text to ``path`` (a new private file)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        capture: CaptureRecorder,
        *,
        keep_all: bool = False,
        replace: bool = False,
    ) -> None:
        self.path = Path(path)
        self.keep_all = keep_all
        self.lines_written = 0
        #: Records left out because the writer fell behind (the capture has them).
        self.dropped = 0
        #: Why writing stopped ("" while all is well).
        self.problem = ""
        fd = create_private(self.path, replace=replace)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        header = capture.header
        origin = record_time(header, 0.0) or 0.0
        summary = Summary(str(capture.path), header, origin, Slice())
        self._report = Report(str(capture.path), ReportOptions(keep_all=keep_all), summary, None)
        self._transcript = Transcript(self._report)
        self._replayer = Replayer()
        self._queue: queue.Queue[object] = queue.Queue(MAX_QUEUED)
        self._write_head(capture)
        self._remove = capture.add_listener(self._on_record)
        self._thread = threading.Thread(target=self._run, name="qiterm-text-log", daemon=True)
        self._thread.start()

    # -- the capture's thread(s) ---------------------------------------------------

    def _on_record(self, record: Record) -> None:
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    # -- the writer ------------------------------------------------------------------

    def _write_head(self, capture: CaptureRecorder) -> None:
        header = capture.header
        lines = [
            f"qiterm live log of {safe(capture.path.name)}",
            f"Port     {safe(header.get('url', '?'))} at {header.get('baud', '?')} baud",
            f"Started  {safe(header.get('started', '?'))}",
            "Polling  " + ("kept" if self.keep_all else "folded (--text-log-all keeps it)"),
            "Legend   " + "  ".join(f"{mark} {meaning}" for mark, meaning in legend_rows()),
            "",
        ]
        self._put(lines)

    def _run(self) -> None:
        dropped_said = 0
        while True:
            try:
                item = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                self._emit(self._transcript.release)
                continue
            if item is _STOP:
                break
            assert isinstance(item, dict)
            if self.dropped != dropped_said:
                missing = self.dropped - dropped_said
                dropped_said = self.dropped
                self._put([f"  … {missing} record(s) not written here (the capture has them)"])
            try:
                steps = self._replayer.steps(item)
                out: list[Item] = []
                self._transcript.push(item, steps, out)
                self._write_items(out)
            except Exception:  # one odd record must not end the text log
                log.exception("text log: record %s skipped", item.get("seq"))
        self._emit(self._transcript.close_group)
        fold = self._transcript.fold
        if fold is not None:
            self._write_items([fold])

    def _emit(self, step: Callable[[list[Item]], None]) -> None:
        out: list[Item] = []
        step(out)
        self._write_items(out)

    def _write_items(self, items: list[Item]) -> None:
        lines: list[str] = []
        for item in items:
            lines += item_lines(self._report, item)
        self._put(lines)

    def _put(self, lines: list[str]) -> None:
        if not lines or self.problem:
            return
        try:
            self._file.write("".join(line + "\n" for line in lines))
            self._file.flush()
        except OSError as exc:
            self.problem = f"not written: {exc.strerror or exc}"
            log.error("text log %s: %s", self.path, exc)
            return
        self.lines_written += len(lines)

    # -- the end -----------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Stop following the capture, write what is left and close the file."""
        self._remove()
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        try:
            self._file.close()
        except OSError as exc:
            self.problem = self.problem or f"not written: {exc.strerror or exc}"

    def summary(self) -> str:
        if self.problem:
            return f"the text log {self.path} is INCOMPLETE: {self.problem}"
        if self.dropped:
            return (
                f"the text log {self.path} leaves out {self.dropped} record(s) it fell "
                "behind on (the capture has them)"
            )
        return f"text log in {self.path}"


__all__ = ["IDLE_S", "MAX_QUEUED", "TextLog"]
