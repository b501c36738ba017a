"""Re-synchronising with the module after the port opens, or after it rebooted.

The link cannot know what the module was doing while it was away: it may still be
in data mode (§2.3.4: after ``>`` everything written is payload until Ctrl-Z or
Esc), it may be booting or asleep and answer late, and its configuration may have
changed (AT+QICFG="dataformat", §2.3.9, decides whether payloads are text or hex).
So, before the link is called connected:

1. **Esc**, then **drain**: read (and record) until the line has been quiet for a
   while. The module's ``ERROR`` for an Esc it got in command mode, or whatever a
   late answer still carries, is taken here, as a line nobody asked for, and can
   never be taken as the answer to the next command.
2. **AT until OK**, each try bounded in time and followed by another drain, so a
   late ``OK`` is consumed before the state is read. The same probe (without
   Esc) follows any command that timed out, before the next command goes out.
3. **Read the state** (echo, ATI, dataformat, showRA, sockets, registration,
   IP). Each answer must be complete (OK *and* its information line where the
   command has one); otherwise the whole round starts again from step 1.

A round that fails is tried again after a back-off, forever, until it completes or
the link closes; the header says *synchronising* meanwhile. Pure policy: the
worker provides the I/O (:class:`SyncLink`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Protocol

import msgspec

from app.link.results import CommandResult, Outcome
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.commands import AtCommand


class SyncLink(Protocol):
    """What the synchronisation needs from the worker (all on the worker thread)."""

    @property
    def stopping(self) -> bool: ...

    def write_esc(self) -> None: ...

    def drain(self, quiet: float, limit: float) -> None:
        """Read and record until nothing arrived for ``quiet`` s (at most ``limit`` s)."""

    def run_now(self, command: AtCommand, tag: str) -> CommandResult:
        """Write ``command`` and read until its result (or the link closes)."""

    def syncing(self, message: str, retry_at: float | None = None) -> None:
        """Tell subscribers the link is synchronising, and why."""

    def idle(self, seconds: float) -> None:
        """Keep reading and recording for ``seconds`` (a back-off)."""


class SyncPolicy(msgspec.Struct, frozen=True):
    #: The line must be quiet this long before a drain ends.
    quiet: float = 0.2
    #: A drain ends after this long even if the module keeps talking (URCs).
    drain_limit: float = 3.0
    #: How long one AT waits for its OK (a sleeping module may drop the first one).
    at_timeout: float = 1.0
    #: ATs per round before backing off.
    at_tries: int = 3
    #: Delays between failed rounds, in seconds; the last one repeats.
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 5.0)


#: The information line a state query must carry to count as answered.
_EXPECTED: dict[str, type[ev.Event] | tuple[type[ev.Event], ...]] = {
    "ati": (ev.TextLine, ev.InfoResponse),
    "qicfg.dataformat": ev.QiCfgDataFormat,
    "qicfg.showra": ev.QiCfgShowRA,
    "cereg.read": ev.CeregStatus,
}


def state_queries(echo: bool | None) -> list[AtCommand]:
    """What is read after every (re)connect, in order."""
    return [
        *([] if echo is None else [c.ate(echo)]),
        c.ati(),
        c.qicfg_dataformat(),
        c.qicfg_showra(),
        c.qistate_read(),
        c.cereg_read(),
        c.cgpaddr(),
    ]


def complete(result: CommandResult) -> bool:
    """``result`` is the command's own full answer (not a stale OK taken for it)."""
    if result.outcome is not Outcome.OK:
        return False
    expected = _EXPECTED.get(result.command.key)
    return expected is None or any(isinstance(line, expected) for line in result.lines)


def why_not(result: CommandResult) -> str:
    if result.outcome is Outcome.OK:
        return f"{result.command.line}: the answer had no information line"
    return result.message


def probe(link: SyncLink, policy: SyncPolicy, *, esc: bool = True) -> str | None:
    """(Esc,) drain, then AT until OK (each followed by a drain); None when the
    module answered, else why not. Without Esc it is what follows a command that
    timed out: its late answer is taken as a line nobody asked for."""
    if esc:
        link.write_esc()
    link.drain(policy.quiet, policy.drain_limit)
    probe = dataclasses.replace(c.at(), timeout=policy.at_timeout)
    reason = "no answer to AT"
    for _ in range(policy.at_tries):
        if link.stopping:
            return "the link is closing"
        result = link.run_now(probe, "sync")
        link.drain(policy.quiet, policy.drain_limit)
        if result.outcome is Outcome.OK:
            return None
        if result.outcome is Outcome.LINK_LOST:
            return result.message
        reason = f"AT: {result.detail or result.outcome.value}"
    return reason


def synchronise(
    link: SyncLink, policy: SyncPolicy, queries: Sequence[AtCommand]
) -> list[CommandResult] | None:
    """Rounds of Esc / drain / AT-until-OK / state read until one completes; its
    results, or None when the link closed first."""
    attempt = 0
    while not link.stopping:
        why = probe(link, policy)
        results: list[CommandResult] = []
        if why is None:
            for command in queries:
                result = link.run_now(command, "init")
                results.append(result)
                if not complete(result):
                    why = why_not(result)
                    break
            else:
                return results
        if link.stopping:
            return None
        delay = policy.backoff[min(attempt, len(policy.backoff) - 1)]
        attempt += 1
        link.syncing(
            f"the module is not in step ({why}); trying again in {delay:g} s",
            time.monotonic() + delay,
        )
        link.idle(delay)
        link.syncing("synchronising with the module")
    return None
