"""Cyclic sends: a macro run again and again (``every`` seconds, ``times`` runs),
driven by the session on a thread of its own per macro, never by a widget.

Each run is the macro as it runs once: an ``at`` macro is one command (the next
run starts only once it finished, so runs never pile up on the half-duplex
link), a ``send`` or ``script`` macro plays through the scenario runner. A run
that could not even be written (the link is down) stops the repetition: it
would only fail the same way every period. Starting and stopping are qiterm
events in the log and the capture; each run's commands are recorded as any.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from app.link.results import Outcome

if TYPE_CHECKING:
    from app.config.macros import Macro
    from app.session.session import Session

#: The tag of a cyclic macro's commands (the log and the capture say who asked).
TAG = "macro"


class CycleChanged(msgspec.Struct, frozen=True):
    """A cyclic macro started, ran once more, or stopped (for the macro bar)."""

    name: str
    running: bool
    done: int
    times: int | None

    @property
    def text(self) -> str:
        """``3/10`` or ``3`` (runs so far, of how many)."""
        return f"{self.done}/{self.times}" if self.times is not None else str(self.done)


@dataclass
class _Cycle:
    macro: Macro
    cancel: threading.Event
    done: int = 0
    why: str = ""


class Cycles:
    """The cyclic macros running on one session, by macro name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._running: dict[str, _Cycle] = {}

    def running(self, name: str) -> bool:
        with self._lock:
            return name in self._running

    @property
    def names(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def start(self, macro: Macro) -> None:
        """Repeat ``macro`` as it says (``every``, ``times``) until stopped."""
        with self._lock:
            if macro.name in self._running:
                return
            cycle = self._running[macro.name] = _Cycle(macro, threading.Event())
        self.session.event("cycle", f"macro {macro.name}: repeating {macro.repeat_text()}")
        self.session.publish([CycleChanged(macro.name, True, 0, macro.times)])
        threading.Thread(
            target=self._run, args=(cycle,), name=f"qiterm-cycle-{macro.name}", daemon=True
        ).start()

    def stop(self, name: str, why: str = "stopped") -> bool:
        """Stop one cyclic macro (a command in flight still completes); False when
        it was not running."""
        with self._lock:
            cycle = self._running.get(name)
        if cycle is None:
            return False
        cycle.why = cycle.why or why
        cycle.cancel.set()
        return True

    def stop_all(self, why: str = "stopped") -> int:
        """Stop every cyclic macro; how many were running."""
        with self._lock:
            cycles = list(self._running.values())
        for cycle in cycles:
            cycle.why = cycle.why or why
            cycle.cancel.set()
        return len(cycles)

    # -- the thread --------------------------------------------------------------

    def _run(self, cycle: _Cycle) -> None:
        macro = cycle.macro
        try:
            while not cycle.cancel.is_set():
                start = time.monotonic()
                problem = self._once(macro, cycle.cancel)
                if problem is not None:
                    cycle.why = problem
                    break
                cycle.done += 1
                self.session.publish([CycleChanged(macro.name, True, cycle.done, macro.times)])
                if macro.times is not None and cycle.done >= macro.times:
                    cycle.why = cycle.why or "done"
                    break
                if macro.every is not None:
                    cycle.cancel.wait(max(0.0, start + macro.every - time.monotonic()))
        except Exception as exc:  # a bug must not leave the macro shown as running
            cycle.why = f"stopped by an internal error: {exc}"
        finally:
            with self._lock:
                self._running.pop(macro.name, None)
            runs = f"{cycle.done} run{'s' if cycle.done != 1 else ''}"
            self.session.event(
                "cycle", f"macro {macro.name}: {cycle.why or 'stopped'} after {runs}"
            )
            self.session.publish([CycleChanged(macro.name, False, cycle.done, macro.times)])

    def _once(self, macro: Macro, cancel: threading.Event) -> str | None:
        """Run ``macro`` once; why the repetition must stop, or None."""
        from app.config.macros import macro_script
        from app.scenario import ScriptError, run

        session = self.session
        if not session.link.connected:
            return "stopped: the link is not connected"
        try:
            script = macro_script(macro, session.target.variables)
        except ScriptError as exc:
            return "stopped: " + "; ".join(str(p) for p in exc.problems)
        if macro.at is not None and len(script.steps) == 1:
            result = session.submit(script.steps[0].text, tag=TAG).result()
            if result.outcome is Outcome.NOT_SENT:
                return f"stopped: {result.detail or 'not sent'}"
            return None
        run(script, session.link, capture=session.capture, cancel=cancel, tag=TAG)
        return None


__all__ = ["TAG", "CycleChanged", "Cycles"]
