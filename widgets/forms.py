"""Ping, NTP and DNS forms (spec §2.3.5-2.3.8): fields checked as you type with
the spec's ranges, results with their result codes' meanings."""

from __future__ import annotations

import calendar
import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Sparkline

from app.protocol import catalog
from app.protocol import events as ev
from app.protocol.codes import describe
from widgets.fields import Field, param_input, problems, value_of


class _Form(Vertical):
    DEFAULT_CSS = """
    _Form { height: auto; padding: 0 1; }
    _Form .row { height: auto; }
    _Form .result { height: auto; padding: 0 1; }
    _Form Button { min-width: 10; }
    _Form Checkbox { padding: 0 1; border: none; margin-top: 1; }
    """

    def say(self, message: str | Text, ok: bool | None = None) -> None:
        style = {True: "bold green", False: "bold red", None: ""}[ok]
        text = message if isinstance(message, Text) else Text(message, style=style)
        self.query_one(".result", Label).update(text)

    def check(self, *inputs: Input) -> bool:
        wrong = problems(*inputs)
        if wrong:
            self.say("; ".join(wrong), False)
            return False
        return True


class PingForm(_Form):
    DEFAULT_CSS = """
    PingForm #ping-replies { height: 7; }
    PingForm Sparkline { height: 2; margin: 0 1; }
    """

    class Requested(Message):
        def __init__(
            self, host: str, time_out: int, ping_num: int, ping_size: int, rai: bool
        ) -> None:
            super().__init__()
            self.host = host
            self.time_out = time_out
            self.ping_num = ping_num
            self.ping_size = ping_size
            self.rai = rai

    def __init__(self, *, host: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._host = host
        self.rtts: list[float] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Field("Host", param_input(catalog.PING_HOST, value=self._host, id="ping-host"))
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
        table = self.query_one("#ping-replies", DataTable)
        table.add_columns("#", "Result", "IP", "Bytes", "ms", "TTL")

    def prefill(self, host: str) -> None:
        self._host = host
        if self.is_mounted:
            self.query_one("#ping-host", Input).value = host

    @on(Button.Pressed, "#ping-go")
    @on(Input.Submitted)
    def submit(self) -> None:
        fields = [self.query_one(f"#ping-{n}", Input) for n in ("host", "timeout", "count", "size")]
        if not self.check(*fields):
            return
        host, time_out, count, size = (value_of(f) for f in fields)
        assert isinstance(host, str)
        assert isinstance(time_out, int) and isinstance(count, int) and isinstance(size, int)
        self.start()
        self.say(f"pinging {host}: up to {time_out * count} s…", None)
        self.post_message(
            self.Requested(host, time_out, count, size, self.query_one(Checkbox).value)
        )

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


class NtpForm(_Form):
    class Requested(Message):
        def __init__(self, server: str, port: int, auto_set_time: bool) -> None:
            super().__init__()
            self.server = server
            self.port = port
            self.auto_set_time = auto_set_time

    def __init__(self, *, server: str = "", port: int = 123, id: str | None = None) -> None:
        super().__init__(id=id)
        self._server = server
        self._port = port

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Field(
                "Server", param_input(catalog.NTP_SERVER, value=self._server, id="ntp-server")
            )
            yield Field("Port", param_input(catalog.NTP_PORT, value=str(self._port), id="ntp-port"))
        with Horizontal(classes="row"):
            yield Checkbox("auto_set_time (move the module clock)", value=True, id="ntp-auto")
            yield Button("Sync", id="ntp-go", variant="primary", compact=True)
        yield Label("", classes="result")

    def prefill(self, server: str, port: int) -> None:
        self._server, self._port = server, port
        if self.is_mounted:
            self.query_one("#ntp-server", Input).value = server
            self.query_one("#ntp-port", Input).value = str(port)

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
        self.say(f"asking {server}:{port}…", None)
        self.post_message(self.Requested(server, port, self.query_one(Checkbox).value))

    def finished(self, result: ev.Event | None, message: str, ok: bool) -> None:
        if isinstance(result, ev.QNtpResult) and result.result == 0 and result.time:
            offset = ntp_offset(result.time)
            extra = f"; {offset:+.1f} s from this computer's clock" if offset is not None else ""
            self.say(f"UTC {result.time}{extra}", True)
        elif isinstance(result, ev.QNtpResult):
            self.say(f"+QNTP: {describe(result.result)}", False)
        else:
            self.say(message, ok)


def ntp_offset(stamp: str, now: float | None = None) -> float | None:
    """Seconds between the module's NTP time ("2019/06/11,11:08:20", or two-digit
    years as §2.3.6 words it) and the host clock."""
    try:
        date, clock = stamp.split(",")
        y, mo, d = (int(x) for x in date.split("/"))
        h, mi, s = (int(x) for x in clock.split(":")[:3])
    except ValueError:
        return None
    if y < 100:
        y += 2000
    then = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    return then - (time.time() if now is None else now)


class DnsForm(_Form):
    class Configure(Message):
        def __init__(self, primary: str, secondary: str | None) -> None:
            super().__init__()
            self.primary = primary
            self.secondary = secondary

    class Show(Message):
        pass

    class Resolve(Message):
        def __init__(self, hostname: str) -> None:
            super().__init__()
            self.hostname = hostname

    def __init__(self, *, hostname: str = "", primary: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._hostname = hostname
        self._primary = primary

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Field(
                "Primary", param_input(catalog.PRI_DNS, value=self._primary, id="dns-primary")
            )
            yield Field(
                "Secondary", param_input(catalog.SEC_DNS, optional=True, id="dns-secondary")
            )
        with Horizontal(classes="row"):
            yield Button("Set", id="dns-set", compact=True)
            yield Button("Show", id="dns-show", compact=True)
        with Horizontal(classes="row"):
            yield Field("Name", param_input(catalog.HOSTNAME, value=self._hostname, id="dns-name"))
            yield Button("Resolve", id="dns-go", variant="primary", compact=True)
        yield Label("", classes="result")

    def prefill(self, hostname: str, primary: str) -> None:
        self._hostname, self._primary = hostname, primary
        if self.is_mounted:
            self.query_one("#dns-name", Input).value = hostname
            self.query_one("#dns-primary", Input).value = primary

    @on(Button.Pressed, "#dns-set")
    @on(Input.Submitted, "#dns-primary, #dns-secondary")
    def configure(self) -> None:
        pri, sec = self.query_one("#dns-primary", Input), self.query_one("#dns-secondary", Input)
        if not self.check(pri, sec):
            return
        primary, secondary = value_of(pri), value_of(sec)
        assert isinstance(primary, str)
        self.post_message(
            self.Configure(primary, secondary if isinstance(secondary, str) else None)
        )

    @on(Button.Pressed, "#dns-show")
    def show(self) -> None:
        self.post_message(self.Show())

    @on(Button.Pressed, "#dns-go")
    @on(Input.Submitted, "#dns-name")
    def resolve(self) -> None:
        name = self.query_one("#dns-name", Input)
        if not self.check(name):
            return
        hostname = value_of(name)
        assert isinstance(hostname, str)
        self.say(f"resolving {hostname}…", None)
        self.post_message(self.Resolve(hostname))

    def resolved(self, deferred: list[ev.Event], message: str, ok: bool) -> None:
        header = next((e for e in deferred if isinstance(e, ev.QiDnsGipHeader)), None)
        address = next((e for e in deferred if isinstance(e, ev.QiDnsGipAddress)), None)
        if header is not None and header.result == 0 and address is not None:
            self.say(
                f"{address.address}  ({header.ip_count} address(es), TTL {header.dns_ttl} s)",
                True,
            )
        elif header is not None:
            self.say(f"+QIDNSGIP: {describe(header.result)}", False)
        else:
            self.say(message, ok)

    def configured(self, cfg: ev.QiDnsCfg | None, message: str, ok: bool) -> None:
        if cfg is not None:
            self.say(f"DNS servers: {cfg.pridnsaddr}, {cfg.secdnsaddr}", True)
        else:
            self.say(message, ok)
