"""The check's side of the link: send a command, get every frame it brought back.

A :class:`ProbeLink` drives a :class:`~app.link.worker.SerialWorker` (so the run
is recorded like any session, and data mode, echo and deferred results are
handled as the console handles them) and keeps every event the worker
publishes. A :class:`Reply` is one command's share of them: the frames tied to
it (without the echo), exactly as received, and the URCs that came meanwhile.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.capture.recorder import CaptureRecorder
from app.link.results import (
    CommandResult,
    LinkEvent,
    LinkState,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.commands import AtCommand

#: How long the port may take to open, and the start-up queries to finish.
CONNECT_TIMEOUT = 10.0
INIT_TIMEOUT = 20.0
#: Room on top of a command's own timeout before the check gives up on it.
MARGIN = 5.0

FINALS = (ev.Ok, ev.Error, ev.CmeError)


@dataclass
class Reply:
    """What one command brought back."""

    line: str
    result: CommandResult | None
    #: Every frame tied to the command, in order, without its echo.
    frames: list[Rx] = field(default_factory=list)
    #: URCs that arrived while it ran.
    urcs: list[Rx] = field(default_factory=list)
    #: When its line went out (monotonic), None when it did not.
    sent_at: float | None = None

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome if self.result is not None else Outcome.NOT_SENT

    @property
    def lines(self) -> list[str]:
        """The frames as text (the prompt is ``>``; payload echo lines are left out)."""
        return [
            f.event.text
            for f in self.frames
            if not (f.role is Role.ECHO or isinstance(f.event, ev.BlankLines))
        ]

    @property
    def shown(self) -> str:
        """The reply as one line for a report: ``+QISTATE: ... | OK``."""
        lines = self.lines
        if not lines:
            return f"nothing ({self.outcome.value})" if self.result is not None else "not sent"
        return " | ".join(lines)

    def first_final(self) -> float | None:
        """Seconds from the command line to its first final result code (OK, ERROR,
        +CME ERROR), or None when none came."""
        for frame in self.frames:
            if isinstance(frame.event, FINALS) and self.sent_at is not None:
                return max(0.0, frame.mono - self.sent_at)
        return None

    def prompt(self) -> Rx | None:
        return next((f for f in self.frames if isinstance(f.event, ev.Prompt)), None)


class ProbeLink:
    """One port, driven command by command (not thread-safe: one caller)."""

    def __init__(self, url: str, recorder: CaptureRecorder | None = None) -> None:
        self.url = url
        # No UI batches its events: publish them as they come.
        self.worker = SerialWorker(
            url, recorder=recorder, reconnect=False, init=True, batch_interval=0.002
        )
        self._events: list[LinkEvent] = []
        self._changed = threading.Condition()
        self.worker.subscribe(self._collect)

    # ------------------------------------------------------------ lifecycle

    def open(self) -> str | None:
        """Open the port and let the start-up queries run; None, or why not."""
        worker = self.worker
        worker.start()
        state = worker.wait_state(LinkState.CONNECTED, LinkState.CLOSED, timeout=CONNECT_TIMEOUT)
        if state is not LinkState.CONNECTED:
            return worker.status.message or f"cannot open {self.url}"
        # The start-up queries are queued once AT is answered: wait for ATI's.
        deadline = time.monotonic() + INIT_TIMEOUT
        while worker.identity is None and time.monotonic() < deadline:
            if not worker.busy and self._init_ended():
                break
            time.sleep(0.02)
        worker.wait_idle(INIT_TIMEOUT)
        return None

    def _init_ended(self) -> bool:
        """The start-up's AT came back without OK (no ATI will follow)."""
        for item in self.events():
            result = getattr(item, "result", None)
            if isinstance(result, CommandResult) and result.tag == "init":
                return result.outcome is not Outcome.OK or result.command.line != "AT"
        return False

    def close(self) -> None:
        self.worker.close()

    # -------------------------------------------------------------- events

    def _collect(self, batch: Sequence[LinkEvent]) -> None:
        with self._changed:
            self._events.extend(batch)
            self._changed.notify_all()

    def events(self) -> list[LinkEvent]:
        with self._changed:
            return list(self._events)

    def mark(self) -> int:
        """A point in the event stream, for :meth:`urcs` and :meth:`wait_urc`."""
        with self._changed:
            return len(self._events)

    def urcs(self, since: int = 0) -> list[Rx]:
        return [
            e
            for e in self.events()[since:]
            if isinstance(e, Rx) and e.role is Role.URC and e.command_id is None
        ]

    def wait_urc(self, wanted: Callable[[str], bool], timeout: float, since: int = 0) -> Rx | None:
        """The first URC from ``since`` on whose text ``wanted`` accepts, waiting up
        to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        seen = since
        with self._changed:
            while True:
                for item in self._events[seen:]:
                    if isinstance(item, Rx) and item.role is Role.URC and wanted(item.event.text):
                        return item
                seen = len(self._events)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)

    # -------------------------------------------------------------- commands

    @property
    def send_hex(self) -> bool:
        return self.worker.engine.send_hex

    def send(self, command: str | AtCommand, timeout: float | None = None) -> Reply:
        """Send one command and wait for its result (never raises for the module's
        answers; a line that is not an AT command at all raises AtSyntaxError)."""
        cmd = c.classify(command) if isinstance(command, str) else command
        if timeout is not None:
            cmd = dataclasses.replace(cmd, timeout=timeout)
        start = self.mark()
        future = self.worker.submit(cmd, tag="check")
        wait = cmd.timeout + (cmd.deferred.timeout if cmd.deferred else 0.0) + MARGIN
        try:
            result = future.result(wait)
        except TimeoutError:
            return Reply(cmd.line, None)
        # The worker publishes the result after the frames it carries.
        self._wait_for(lambda e: getattr(e, "result", None) is result, 2.0, start)
        events = self.events()[start:]
        reply = Reply(cmd.line, result)
        for item in events:
            if isinstance(item, Tx) and item.command_id == result.command_id:
                if item.what is TxKind.COMMAND and reply.sent_at is None:
                    reply.sent_at = item.mono
            elif isinstance(item, Rx):
                if item.command_id == result.command_id:
                    if item.role is not Role.ECHO or not isinstance(item.event, ev.CommandLineEcho):
                        reply.frames.append(item)
                elif item.role is Role.URC and item.command_id is None:
                    reply.urcs.append(item)
        return reply

    def _wait_for(self, wanted: Callable[[LinkEvent], bool], timeout: float, since: int) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(wanted(e) for e in self._events[since:]):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._changed.wait(left)
