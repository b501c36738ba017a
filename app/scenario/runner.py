"""Run a parsed scenario script against the shared serial worker.

:func:`run` is synchronous: call it from any thread except the worker's own
(a UI runs it in a thread of its own, as ``qiterm run`` does, and follows it
through the ``on_step`` / ``on_result`` callbacks). It goes through the steps
in order and stops at the first step that fails (a ``try`` step never fails);
the rest are reported as skipped.
Every wait is bounded: the link engine times commands out, ``expect`` and
``sleep`` carry their own limits, and a ``cancel`` event stops the run within
a fraction of a second.

``expect`` searches the lines and URCs received since the run started: the
runner subscribes to the worker and keeps every received line except command
echoes and the answers to other people's commands (the console's poller, a
person typing at the same time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from app.link.results import CommandResult, LinkEvent, Role, Rx
from app.link.worker import SerialWorker
from app.protocol import commands
from app.protocol import events as ev
from app.protocol.catalog import ParamError
from app.scenario.script import (
    AtStep,
    ExpectStep,
    MarkerStep,
    NoteStep,
    Script,
    SendStep,
    SetStep,
    SleepStep,
    Step,
)

log = logging.getLogger(__name__)


class Annotations(Protocol):
    """Where a script's notes and markers go (the session's capture)."""

    def note(self, text: str, ref: int | None = None) -> int:
        """Keep ``text`` (about record ``ref``); returns where it was kept."""

    def marker(self, text: str = "") -> int:
        """Drop a numbered marker; returns its number."""


#: The tag the runner's commands carry (the worker's Rx events keep it).
SCRIPT_TAG = "script"
#: Waited beyond a command's own time limits before giving up on the link.
LINK_MARGIN = 15.0
#: How often waits look at the cancel event.
POLL = 0.1
#: How many received lines an ``expect`` failure quotes.
LAST_LINES = 4
#: How many received lines after the cursor ``expect`` keeps to search.
MAX_KEPT = 10_000
#: Longest detail text kept for a passed command step.
DETAIL_MAX = 160


class StepStatus(Enum):
    RUNNING = "running"  # on_step only: the step has started
    PASSED = "passed"
    FAILED = "failed"
    TOLERATED = "tolerated"  # a ``try`` step that failed: recorded, does not fail the run
    SKIPPED = "skipped"  # not run: an earlier step failed, or the run was cancelled


@dataclass
class StepResult:
    index: int
    step: Step
    status: StepStatus
    message: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (StepStatus.PASSED, StepStatus.TOLERATED)


@dataclass
class Report:
    script: Script
    #: One per step, in order (steps after a failure are SKIPPED).
    results: list[StepResult] = field(default_factory=list)
    elapsed: float = 0.0
    cancelled: bool = False

    @property
    def passed(self) -> bool:
        return (
            not self.cancelled
            and len(self.results) == len(self.script.steps)
            and all(r.ok for r in self.results)
        )

    @property
    def failure(self) -> StepResult | None:
        """The step that failed the run, if one did."""
        return next((r for r in self.results if r.status is StepStatus.FAILED), None)

    def count(self, status: StepStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    def summary(self) -> str:
        """One line: how the run ended."""
        total = len(self.script.steps)
        if self.passed:
            text = f"all {total} steps passed in {self.elapsed:.1f} s"
            tolerated = self.count(StepStatus.TOLERATED)
            if tolerated:
                text += f" ({tolerated} try step{'s' if tolerated != 1 else ''} failed)"
            return text
        failure = self.failure
        if self.cancelled:
            where = f" at step {failure.index + 1}/{total}" if failure else ""
            return f"cancelled{where} after {self.elapsed:.1f} s"
        if failure is None:
            return f"failed after {self.elapsed:.1f} s"
        return (
            f"step {failure.index + 1}/{total} (line {failure.step.line_no}) failed: "
            f"{failure.message}"
        )


StepCallback = Callable[[int, Step, StepStatus], None]
ResultCallback = Callable[[StepResult], None]


class _Inbox:
    """Lines and URCs received since the run started, searched by ``expect``.

    Positions are absolute (counted from the start of the run). Lines before the
    cursor are never searched again and are let go; at most ``MAX_KEPT`` unmatched
    lines are kept (the oldest go first), so a long flood cannot eat memory.
    """

    def __init__(self, tag: str, since: float) -> None:
        self._tag = tag
        self._since = since
        self._events: list[Rx] = []
        #: The absolute position of ``_events[0]``.
        self._base = 0
        #: Where the next search starts: just after the last match.
        self.cursor = 0
        self._recent: deque[str] = deque(maxlen=LAST_LINES)
        self._cv = threading.Condition()

    def __call__(self, batch: list[LinkEvent]) -> None:
        keep = [
            e
            for e in batch
            if isinstance(e, Rx)
            and e.mono >= self._since
            and e.role not in (Role.ECHO, Role.NOISE)
            and (e.tag is None or e.tag == self._tag)
        ]
        if not keep:
            return
        with self._cv:
            self._events.extend(keep)
            self._recent.extend(e.event.text for e in keep)
            self._drop(len(self._events) - MAX_KEPT)
            self._cv.notify_all()

    def find(self, step: ExpectStep, cancel: threading.Event) -> Rx | None:
        """The first line at or after the cursor that matches, waiting up to the
        step's timeout; the cursor moves past it. None on timeout or cancel (the
        cursor stays)."""
        deadline = time.monotonic() + step.timeout
        with self._cv:
            position = max(self.cursor, self._base)
            while True:
                position = max(position, self._base)
                while position - self._base < len(self._events):
                    event = self._events[position - self._base]
                    if step.pattern.search(event.event.text):
                        self.cursor = position + 1
                        self._drop(self.cursor - self._base)
                        return event
                    position += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or cancel.is_set():
                    return None
                self._cv.wait(min(remaining, POLL))

    def last(self) -> list[str]:
        """The last few lines received (matched or not), oldest first."""
        with self._cv:
            return list(self._recent)

    def _drop(self, count: int) -> None:
        if count > 0:
            del self._events[:count]
            self._base += count


class _Cancelled(Exception):
    """The run was cancelled while a step waited."""


class _Run:
    def __init__(
        self,
        script: Script,
        worker: SerialWorker,
        capture: Annotations | None,
        on_step: StepCallback | None,
        on_result: ResultCallback | None,
        cancel: threading.Event,
        tag: str,
    ) -> None:
        self.script = script
        self.worker = worker
        self.capture = capture
        self.on_step = on_step
        self.on_result = on_result
        self.cancel = cancel
        self.tag = tag
        self.inbox = _Inbox(tag, time.monotonic())

    def go(self) -> Report:
        report = Report(self.script)
        started = time.monotonic()
        total = len(self.script.steps)
        self._note(f"scenario {self.script.name}: {total} steps")
        unsubscribe = self.worker.subscribe(self.inbox)
        try:
            stopped = False
            for index, step in enumerate(self.script.steps):
                if stopped:
                    result = StepResult(index, step, StepStatus.SKIPPED, "not run")
                else:
                    result = self._step(index, step)
                    if result.status is StepStatus.FAILED:
                        # The closing note says which step failed and why.
                        stopped = True
                        report.cancelled = self.cancel.is_set()
                    elif result.status is StepStatus.TOLERATED:
                        where = f"step {index + 1}/{total} (line {step.line_no})"
                        self._note(f"{where} failed (try, not counted): {result.message}")
                report.results.append(result)
                self._callback(index, step, result)
        finally:
            unsubscribe()
        report.elapsed = time.monotonic() - started
        self._note(f"scenario {self.script.name}: {report.summary()}")
        return report

    # -- steps ------------------------------------------------------------------

    def _step(self, index: int, step: Step) -> StepResult:
        self._notify(index, step, StepStatus.RUNNING)
        started = time.monotonic()
        try:
            if self.cancel.is_set():
                raise _Cancelled
            ok, message = self._do(step)
        except _Cancelled:
            ok, message = False, "cancelled"
        except TimeoutError as exc:
            ok, message = False, str(exc)
        except Exception as exc:  # a bug must not leave the run (or the UI) hanging
            log.exception("scenario step failed unexpectedly")
            ok, message = False, f"internal error: {exc}"
        if ok:
            status = StepStatus.PASSED
        elif step.tolerate and not self.cancel.is_set():
            status = StepStatus.TOLERATED
        else:
            status = StepStatus.FAILED
        return StepResult(index, step, status, message, time.monotonic() - started)

    def _do(self, step: Step) -> tuple[bool, str]:
        if isinstance(step, AtStep):
            return self._at(step.command)
        if isinstance(step, SendStep):
            return self._send(step)
        if isinstance(step, ExpectStep):
            return self._expect(step)
        if isinstance(step, SleepStep):
            if self.cancel.wait(step.seconds):
                raise _Cancelled
            return True, f"slept {step.seconds:g} s"
        if isinstance(step, NoteStep | MarkerStep):
            return self._annotate(step)
        if isinstance(step, SetStep):
            if step.applied:
                return True, f"{step.name} = {step.value}"
            value = self.script.variables.get(step.name, "")
            return True, f"{step.name} stays {value} (fixed by --var)"
        raise TypeError(f"unknown step type {type(step).__name__}")

    def _annotate(self, step: NoteStep | MarkerStep) -> tuple[bool, str]:
        what = "note" if isinstance(step, NoteStep) else "marker"
        if self.capture is None:
            return True, f"no capture: {what} not recorded"
        try:
            if isinstance(step, NoteStep):
                self.capture.note(step.note)
                return True, "noted in the capture"
            return True, f"marker {self.capture.marker(step.label)} in the capture"
        except (OSError, ValueError) as exc:
            return False, f"the capture did not take the {what}: {exc}"

    def _at(self, command: commands.AtCommand) -> tuple[bool, str]:
        result = self._submit(command)
        if not result.ok:
            return False, result.message
        return True, _detail(result)

    def _send(self, step: SendStep) -> tuple[bool, str]:
        try:
            command = commands.qisend(
                step.connect_id,
                step.data,
                hex_format=self.worker.engine.send_hex,
                remote=step.remote,
            )
        except ParamError as exc:
            return False, f"cannot send: {exc}"
        result = self._submit(command)
        if not result.ok:
            return False, result.message
        how = "inline" if command.data_mode is None else "in data mode"
        size = len(step.data)
        return True, f"SEND OK ({size} byte{'s' if size != 1 else ''} {how})"

    def _expect(self, step: ExpectStep) -> tuple[bool, str]:
        event = self.inbox.find(step, self.cancel)
        if event is not None:
            return True, event.event.text
        if self.cancel.is_set():
            raise _Cancelled
        seen = self.inbox.last()
        last = " | ".join(seen) if seen else "nothing received"
        return False, (
            f"no line matching /{step.pattern.pattern}/ within {step.timeout:g} s; "
            f"last received: {last}"
        )

    def _submit(self, command: commands.AtCommand) -> CommandResult:
        future = self.worker.submit(command, tag=self.tag)
        limit = command.timeout + LINK_MARGIN
        if command.deferred is not None:
            limit += command.deferred.timeout
        return self._wait(future, command, limit)

    def _wait(
        self, future: Future[CommandResult], command: commands.AtCommand, limit: float
    ) -> CommandResult:
        deadline = time.monotonic() + limit
        while True:
            try:
                return future.result(POLL)
            except TimeoutError:
                if self.cancel.is_set():
                    raise _Cancelled from None
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"{command.line}: no result from the link within {limit:.0f} s"
                    ) from None

    # -- reporting --------------------------------------------------------------

    def _note(self, text: str) -> None:
        if self.capture is None:
            return
        try:
            self.capture.note(text)
        except (OSError, ValueError) as exc:
            log.warning("capture note failed: %s", exc)

    def _notify(self, index: int, step: Step, status: StepStatus) -> None:
        if self.on_step is None:
            return
        try:
            self.on_step(index, step, status)
        except Exception:
            log.exception("on_step callback failed")

    def _callback(self, index: int, step: Step, result: StepResult) -> None:
        self._notify(index, step, result.status)
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("on_result callback failed")


def _detail(result: CommandResult) -> str:
    """What a passed command answered, in one line: its information lines and its
    deferred result (the last one: the ping summary, the resolved address)."""
    texts = [e.text for e in result.lines if not isinstance(e, ev.BlankLines)]
    if result.deferred:
        texts.append(result.deferred[-1].text)
    final = result.final.text if result.final is not None else "OK"
    detail = " | ".join(texts) if texts else final
    if len(detail) > DETAIL_MAX:
        detail = detail[: DETAIL_MAX - 1] + "…"
    return detail


def run(
    script: Script,
    worker: SerialWorker,
    *,
    capture: Annotations | None = None,
    on_step: StepCallback | None = None,
    on_result: ResultCallback | None = None,
    cancel: threading.Event | None = None,
    tag: str = SCRIPT_TAG,
) -> Report:
    """Run ``script`` on ``worker`` (started and connected) and report every step.

    ``on_step(index, step, status)`` is called (from this thread; ``index`` is
    0-based) with ``RUNNING`` when a step starts and with its final status when
    it ends, skipped steps included; ``on_result(step_result)`` follows with the
    message and elapsed time. ``capture`` receives the script's notes and
    markers, plus a note when the run starts, when a step fails and when it
    ends. Setting ``cancel`` stops the run within about 0.1 s (the step in
    progress fails as cancelled; a command already sent still completes on the
    link). Never raises for module errors, timeouts or link loss: they are
    failed steps.
    """
    return _Run(script, worker, capture, on_step, on_result, cancel or threading.Event(), tag).go()


__all__ = [
    "SCRIPT_TAG",
    "Report",
    "StepResult",
    "StepStatus",
    "run",
]
