"""A small synchronous AT client for tests that talk to the simulated module byte for
byte (no serial worker in between): write a line, collect what the module prints,
split into events by the real framer, with every wait bounded."""

from __future__ import annotations

import re
import time
from typing import Any

from app.protocol import StreamDecoder
from app.protocol import events as ev

FINAL = (ev.Ok, ev.Error, ev.CmeError)


class AtClient:
    def __init__(self, port: Any) -> None:
        self.port = port
        self.decoder = StreamDecoder()
        self.pending: list[ev.Event] = []
        self.received = bytearray()

    # -- low level ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def _pump(self, wait: float) -> None:
        self.port.timeout = wait
        data = self.port.read(max(1, self.port.in_waiting))
        if data:
            self.received += data
            self.pending += [e for e in self.decoder.feed(data) if not isinstance(e, ev.BlankLines)]

    def events_until(self, done: Any, timeout: float = 5.0) -> list[ev.Event]:
        """Events until ``done(events)`` is true; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        got: list[ev.Event] = []
        while True:
            while self.pending:
                got.append(self.pending.pop(0))
                if done(got):
                    return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s; got {[e.text for e in got]!r}")
            self._pump(min(left, 0.1))

    def quiet(self, seconds: float = 0.1) -> list[ev.Event]:
        """Whatever arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pump(0.02)
        got, self.pending = self.pending, []
        return got

    # -- commands ----------------------------------------------------------------

    def command(self, line: str, timeout: float = 5.0) -> list[ev.Event]:
        """Send ``line``; events up to its final result (OK/ERROR, SEND OK, CLOSE OK)."""
        self.write(line.encode("latin-1") + b"\r")
        upper = line.upper().strip()
        if upper.endswith("=?"):
            final = FINAL
        elif upper.startswith("AT+QISEND=") and not upper.endswith(",0"):
            final: tuple[type[ev.Event], ...] = (
                ev.SendOk,
                ev.SendFail,
                ev.Error,
                ev.CmeError,
                ev.Prompt,
            )
        elif upper.startswith("AT+QICLOSE="):
            final = (ev.CloseOk, ev.Error, ev.CmeError)
        else:
            final = FINAL
        return self.events_until(lambda got: isinstance(got[-1], final), timeout)

    def lines(self, line: str, timeout: float = 5.0) -> list[str]:
        """The module's lines for ``line``, without the command's own echo."""
        return [e.text for e in self.command(line, timeout) if not _is_echo(e, line)]

    def ok(self, line: str, timeout: float = 5.0) -> list[str]:
        out = self.lines(line, timeout)
        assert out and out[-1] in ("OK", "SEND OK", "CLOSE OK"), f"{line}: {out}"
        return out

    def expect(self, pattern: str, timeout: float = 5.0) -> list[ev.Event]:
        """Events until one whose text matches ``pattern`` (a regex)."""
        rx = re.compile(pattern)
        return self.events_until(lambda got: bool(rx.search(got[-1].text)), timeout)


def _is_echo(event: ev.Event, line: str) -> bool:
    return isinstance(event, ev.CommandLineEcho) and event.command.strip() == line.strip()
