"""The NTP form (AT+QNTP, spec §2.3.6): server and port, the module's time and its
offset from this computer's clock."""

from __future__ import annotations

import math
import time

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label

from app.link.results import CommandResult
from app.protocol import catalog
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.codes import describe
from app.session.target import Choice
from widgets.choices import Choices
from widgets.fields import Field, param_input, value_of
from widgets.tools.base import ToolForm


class NtpForm(ToolForm):
    def __init__(self, *, server: str = "", port: int = 123, id: str | None = None) -> None:
        super().__init__(id=id)
        self._server = server
        self._port = port
        self._choices: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Field(
                "Server", param_input(catalog.NTP_SERVER, value=self._server, id="ntp-server")
            )
            yield Choices("ntp-server", self._choices, title="NTP server", id="ntp-pick")
            yield Field(
                "Port",
                param_input(catalog.NTP_PORT, value=str(self._port), id="ntp-port"),
                id="f-ntp-port",
            )
        with Horizontal(classes="row"):
            # The button first: a narrow pane cuts the checkbox's label, never the button.
            yield Button("Sync", id="ntp-go", variant="primary", compact=True)
            yield Checkbox(
                "set the module's clock",
                value=True,
                id="ntp-auto",
                tooltip="<auto_set_time> (§2.3.6): 1 sets the module's clock from the server",
            )
        yield Label("", classes="result")

    def prefill(self, server: str, port: int, choices: list[Choice] | None = None) -> None:
        self._server, self._port = server, port
        self._choices = list(choices or [])
        if self.is_mounted:
            self.query_one("#ntp-server", Input).value = server
            self.query_one("#ntp-port", Input).value = str(port)
            self.query_one(Choices).offer(self._choices)

    @on(Button.Pressed, "#ntp-go")
    @on(Input.Submitted)
    def submit(self) -> None:
        server_in, port_in = (
            self.query_one("#ntp-server", Input),
            self.query_one("#ntp-port", Input),
        )
        if not self.check(server_in, port_in):
            return
        server, port = value_of(server_in), value_of(port_in)
        assert isinstance(server, str) and isinstance(port, int)
        auto = int(self.query_one(Checkbox).value)
        if self.request(lambda: c.qntp(server, port=port, auto_set_time=auto), "ntp", self._done):
            self.say(f"asking {server}:{port}…", None)

    def _done(self, result: CommandResult) -> None:
        self.finished(result.deferred[-1] if result.deferred else None, result.message, result.ok)

    def finished(self, result: ev.Event | None, message: str, ok: bool) -> None:
        if isinstance(result, ev.QNtpResult) and result.result == 0 and result.time:
            offset = ntp_offset(result.time)
            extra = f"; {describe_offset(offset)}" if offset is not None else ""
            self.say(f"UTC {result.time}{extra}", True)
        elif isinstance(result, ev.QNtpResult):
            self.say(f"+QNTP: {describe(result.result)}", False)
        else:
            self.say(message, ok)


def describe_offset(offset: int) -> str:
    """The offset as precisely as the module gives it: its time has whole seconds
    (§2.3.6), so a difference of one second is within its resolution."""
    if offset == 0:
        return (
            "0 s from this computer's clock (to the second: the module's clock has 1 s resolution)"
        )
    if abs(offset) == 1:
        return "±1 s from this computer's clock (the module's clock has 1 s resolution)"
    return f"{offset:+d} s from this computer's clock (±1 s: the module's clock has 1 s resolution)"


def ntp_offset(stamp: str, now: float | None = None) -> int | None:
    """Whole seconds between the module's NTP time ("2019/06/11,11:08:20", or
    two-digit years as §2.3.6 words it) and the host clock read to the second
    (the module's time has no fraction: comparing it with a fractional host time
    would show a made-up part of a second)."""
    try:
        date, clock = stamp.split(",")
        y, mo, d = (int(x) for x in date.split("/"))
        h, mi, s = (int(x) for x in clock.split(":")[:3])
    except ValueError:
        return None
    if y < 100:
        y += 2000
    import calendar  # here, not at the top: its import is not needed for the first frame

    then = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    return then - math.floor(time.time() if now is None else now)
