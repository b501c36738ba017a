"""The ping form (AT+QPING, spec §2.3.5): a row per reply, the summary and an RTT
sparkline."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Sparkline

from app.link.results import CommandResult
from app.protocol import catalog
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.codes import describe
from app.session.target import Choice
from widgets.choices import Choices
from widgets.fields import Field, param_input, value_of
from widgets.tools.base import ToolForm


class PingForm(ToolForm):
    DEFAULT_CSS = """
    PingForm #ping-replies { height: 7; }
    PingForm Sparkline { height: 2; margin: 0 1; }
    Screen.-short PingForm Sparkline { height: 1; }
    """

    def __init__(self, *, host: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._host = host
        self._choices: list[Choice] = []
        self.rtts: list[float] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Field("Host", param_input(catalog.PING_HOST, value=self._host, id="ping-host"))
            yield Choices("ping-host", self._choices, title="Host to ping", id="ping-pick")
            yield Button("Ping", id="ping-go", variant="primary", compact=True)
        with Horizontal(classes="row"):
            yield Field("Timeout", param_input(catalog.TIME_OUT, value="4", id="ping-timeout"))
            yield Field("Count", param_input(catalog.PING_NUM, value="4", id="ping-count"))
            yield Field("Size", param_input(catalog.PING_SIZE, value="32", id="ping-size"))
            yield Checkbox("RAI", id="ping-rai")
        yield Label("", classes="result")
        yield Sparkline([], id="ping-spark")
        yield DataTable(id="ping-replies", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        # The form mounts after the first frame: a quit just then removes its
        # children before this runs, and there is no table left to set up.
        for table in self.query("#ping-replies").results(DataTable):
            table.add_columns("#", "Result", "IP", "Bytes", "ms", "TTL")

    def prefill(self, host: str, choices: list[Choice] | None = None) -> None:
        self._host = host
        self._choices = list(choices or [])
        if self.is_mounted:
            self.query_one("#ping-host", Input).value = host
            self.query_one(Choices).offer(self._choices)

    @on(Button.Pressed, "#ping-go")
    @on(Input.Submitted)
    def submit(self) -> None:
        fields = [self.query_one(f"#ping-{n}", Input) for n in ("host", "timeout", "count", "size")]
        if not self.check(*fields):
            return
        host, time_out, count, size = (value_of(f) for f in fields)
        assert isinstance(host, str)
        assert isinstance(time_out, int) and isinstance(count, int) and isinstance(size, int)
        rai = 1 if self.query_one(Checkbox).value else None

        def build() -> c.AtCommand:
            return c.qping(host, time_out=time_out, ping_num=count, ping_size=size, rai_enable=rai)

        self.start()
        if self.request(build, "ping", self._done):
            self.say(f"pinging {host}: up to {time_out * count} s…", None)

    def _done(self, result: CommandResult) -> None:
        summary = result.deferred[-1] if result.deferred else None
        self.finished(summary, result.message, result.ok)

    def start(self) -> None:
        self.rtts = []
        self.query_one("#ping-replies", DataTable).clear()
        self.query_one(Sparkline).data = []

    def reply(self, event: ev.Event) -> None:
        """One +QPING: line arrived (§2.3.5)."""
        table = self.query_one("#ping-replies", DataTable)
        n = str(table.row_count + 1)
        if isinstance(event, ev.QPingReply):
            table.add_row(
                n,
                Text("0 ok", style="green"),
                event.ip_address or "",
                str(event.bytes),
                str(event.time),
                str(event.ttl),
            )
            self.rtts.append(float(event.time or 0))
            self.query_one(Sparkline).data = list(self.rtts)
        elif isinstance(event, ev.QPingResult):
            table.add_row(n, Text(describe(event.result), style="red"), "", "", "", "")
        table.scroll_end(animate=False)

    def finished(self, summary: ev.Event | None, message: str, ok: bool) -> None:
        if isinstance(summary, ev.QPingSummary):
            text = (
                f"{summary.rcvd}/{summary.sent} replies, {summary.lost} lost; "
                f"min {summary.min} / avg {summary.avg} / max {summary.max} ms"
            )
            self.say(text, summary.finresult == 0 and summary.rcvd > 0)
        else:
            self.say(message, ok)
