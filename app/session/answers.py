"""Automatic answers at run time: each received line is matched against the
profile's ``[[answer]]`` rules (:mod:`app.config.answers`) and a rule that
matches sends its line or plays its script.

Lines are matched on the serial worker's dispatcher thread, with RE2 (linear
time: no line can stall it), never on the thread that reads and records the
port; firing only queues (a command on the link, a script on a thread of its
own), so nothing here blocks. The module's echo of a command is never matched.

A rule fires at most once per hold-off, and at most ``limit`` times; then it
switches itself off and says so (the palette's *Automatic answers* switches it
on again, with a fresh count). Every firing is a qiterm event in the log and
the capture, before what it sends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import msgspec

from app.link.results import Role, Rx

if TYPE_CHECKING:
    from app.config.answers import AnswerRule
    from app.session.session import Session

#: The tag of what an answer sends.
TAG = "answer"
#: Roles of received lines a rule may answer (not the echo of a command, not
#: blank-line noise).
_ANSWERED = frozenset({Role.RESPONSE, Role.FINAL, Role.URC, Role.DEFERRED, Role.PROMPT})


class AnswersChanged(msgspec.Struct, frozen=True):
    """A rule fired, or was switched on or off (for views that list the rules)."""

    index: int


@dataclass
class RuleState:
    rule: AnswerRule
    fired: int = 0
    last: float = float("-inf")


class Answers:
    """The rules of one session and how often each fired."""

    def __init__(self, session: Session, rules: Sequence[AnswerRule]) -> None:
        self.session = session
        self._lock = threading.Lock()
        self.states = [RuleState(rule) for rule in rules]

    @property
    def rules(self) -> list[AnswerRule]:
        with self._lock:
            return [s.rule for s in self.states]

    def fired(self, index: int) -> int:
        with self._lock:
            return self.states[index].fired

    def set_enabled(self, index: int, on: bool) -> None:
        """Switch a rule on (its count starts again) or off; said in the capture."""
        with self._lock:
            state = self.states[index]
            if state.rule.enabled == on:
                return
            state.rule = replace(state.rule, enabled=on)
            if on:
                state.fired = 0
                state.last = float("-inf")
            name = state.rule.name
        self.session.event("answer", f"answer {name}: switched {'on' if on else 'off'}")
        self.session.publish([AnswersChanged(index)])

    # -- the dispatcher thread ----------------------------------------------------------

    def check(self, batch: Sequence[Any]) -> None:
        """Match every received line of ``batch`` (link events) and fire the rules
        that answer it."""
        if not self.states:
            return
        for item in batch:
            if not isinstance(item, Rx) or item.role not in _ANSWERED:
                continue
            text = item.event.text
            for index in range(len(self.states)):
                self._match(index, text)

    def _match(self, index: int, text: str) -> None:
        with self._lock:
            state = self.states[index]
            rule = state.rule
            if not rule.enabled:
                return
            values = rule.variables(text)
            now = time.monotonic()
            if values is None or now - state.last < rule.holdoff:
                return
            state.last = now
            state.fired += 1
            count = state.fired
            last = count >= rule.limit
            if last:
                state.rule = replace(rule, enabled=False)
        what = rule.line if rule.line is not None else "its script"
        self.session.event(
            "answer", f"answer {rule.name} ({count}/{rule.limit}): {text!r} matched; sending {what}"
        )
        self.session.publish([AnswersChanged(index)])
        self._fire(rule, values)
        if last:
            self.session.event(
                "answer",
                f"answer {rule.name}: fired {count} times, its limit; switched off "
                "(palette: Automatic answers switches it on again)",
            )

    def _fire(self, rule: AnswerRule, values: dict[str, str]) -> None:
        from app.scenario import ScriptError, parse_script
        from app.scenario.script import substitute

        session = self.session
        variables = {**session.target.variables, **values}
        if rule.line is not None:
            try:
                line = substitute(rule.line, variables)
                session.send_line(line, tag=TAG)
            except Exception as exc:
                session.say(f"answer {rule.name}: not sent: {exc}", error=True)
            return
        try:
            script = parse_script(rule.script or "", f"answer {rule.name}", variables)
        except ScriptError as exc:
            problems = "; ".join(str(p) for p in exc.problems)
            session.say(f"answer {rule.name}: not run: {problems}", error=True)
            return
        threading.Thread(
            target=self._play, args=(rule, script), name="qiterm-answer", daemon=True
        ).start()

    def _play(self, rule: AnswerRule, script: Any) -> None:
        from app.scenario import run

        report = run(script, self.session.link, capture=self.session.capture, tag=TAG)
        if not report.passed:
            self.session.say(f"answer {rule.name}: {report.summary()}", error=True)


__all__ = ["TAG", "Answers", "AnswersChanged", "RuleState"]
