"""What every part of the console reaches: the session it is a view of, the state
and log it shows, and the one way a command is sent (:meth:`ConsoleBase.submit`).

:class:`~app.console.app.QitermApp` is made of this base and of mixins that
group its actions (:mod:`app.console.socket_actions`, :mod:`app.console.panes`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from textual.app import App

from app.capture.recorder import CaptureRecorder
from app.link.results import CommandResult, Outcome, RawResult
from app.model.journal import Journal
from app.model.state import ModuleState
from app.protocol import commands as c
from app.protocol.payload import PayloadError
from app.protocol.syntax import AtSyntaxError
from app.session.session import Session, SessionError


class ConsoleBase(App[None]):
    #: The session this console is a view of (set by the app's constructor).
    session: Session
    #: Which pane the person types data-mode payload in: "cmdline" or "composer".
    _data_source: str
    _pending: set[asyncio.Task[Any]]

    # -- what the panes read --------------------------------------------------------

    @property
    def state(self) -> ModuleState:
        return self.session.state

    @property
    def journal(self) -> Journal:
        return self.session.journal

    @property
    def capture(self) -> CaptureRecorder | None:
        return self.session.capture

    @property
    def form_defaults(self) -> dict[str, object]:
        """Values that pre-fill the forms and the choices they offer (the demo
        peers, the profile's favourites): :meth:`Target.form_defaults`."""
        return self.session.target.form_defaults(self.session.profile.favourites)

    # -- submitting -------------------------------------------------------------------

    def submit(
        self,
        command: c.AtCommand | str,
        tag: str = "user",
        on_done: Callable[[CommandResult], None] | None = None,
    ) -> Future[CommandResult] | None:
        """Queue a command; ``on_done(result)`` runs on the app's loop. Lines that
        are not AT commands are refused here, before anything reaches the wire."""
        try:
            future = self.session.submit(command, tag=tag)
        except AtSyntaxError as exc:
            self.say(f"not sent: {exc}", error=True)
            return None
        if on_done is not None:
            self._when_done(future, on_done)
        return future

    def send_line(self, line: str, tag: str = "user") -> bool:
        """Send a line as typed (an AT command, ``A/``, ``+++``, ``!raw``, ``!hex``);
        what is wrong with it is said, and nothing is sent. True when it went to
        the link."""
        try:
            future = self.session.send_line(line, tag=tag)
        except (AtSyntaxError, PayloadError, SessionError) as exc:
            self.say(f"{line}: not sent: {exc}", error=True)
            return False
        self._when_done(future, self._line_result)
        return True

    def _line_result(self, result: CommandResult | RawResult) -> None:
        if isinstance(result, RawResult):
            if not result.sent:
                self.say(result.message, error=True)
            return
        self._user_result(result)

    def _when_done(self, future: Future[Any], on_done: Callable[[Any], None]) -> None:
        async def wait() -> None:
            on_done(await asyncio.wrap_future(future))

        task = asyncio.get_running_loop().create_task(wait())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def say(self, text: str, *, error: bool = False, toast: bool = True) -> None:
        """A message of qiterm's own in the log (and a toast for errors)."""
        self.session.say(text, error=error, loud=toast)

    def _user_result(self, result: CommandResult) -> None:
        if not result.ok and result.outcome is not Outcome.CANCELLED:
            self.notify(result.message, severity="error", timeout=6)


__all__ = ["ConsoleBase"]
