"""The DNS form (AT+QIDNSCFG and AT+QIDNSGIP, spec §2.3.7-2.3.8): set or show the
DNS servers, resolve a name."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label

from app.link.results import CommandResult
from app.protocol import catalog
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.codes import describe
from app.session.target import Choice
from widgets.choices import Choices
from widgets.fields import Field, param_input, value_of
from widgets.tools.base import ToolForm


class DnsForm(ToolForm):
    def __init__(self, *, hostname: str = "", primary: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._hostname = hostname
        self._primary = primary
        self._names: list[Choice] = []
        self._servers: list[Choice] = []

    def compose(self) -> ComposeResult:
        # Resolving comes first: it is what the tab is for (Enter in the name runs it).
        with Horizontal(classes="row"):
            yield Field("Name", param_input(catalog.HOSTNAME, value=self._hostname, id="dns-name"))
            yield Choices("dns-name", self._names, title="Name to resolve", id="dns-name-pick")
            yield Button("Resolve", id="dns-go", variant="primary", compact=True)
        yield Label("", classes="result")
        with Horizontal(classes="row"):
            yield Field(
                "DNS 1", param_input(catalog.PRI_DNS, value=self._primary, id="dns-primary")
            )
            yield Choices("dns-primary", self._servers, title="DNS server", id="dns-primary-pick")
            yield Field("DNS 2", param_input(catalog.SEC_DNS, optional=True, id="dns-secondary"))
        with Horizontal(classes="row"):
            yield Button(
                "Set", id="dns-set", compact=True, tooltip="AT+QIDNSCFG=0,<DNS 1>[,<DNS 2>]"
            )
            yield Button("Show", id="dns-show", compact=True, tooltip="AT+QIDNSCFG=0")

    def _offer(self) -> None:
        self.query_one("#dns-name-pick", Choices).offer(self._names)
        self.query_one("#dns-primary-pick", Choices).offer(self._servers)

    def prefill(
        self,
        hostname: str,
        primary: str,
        names: list[Choice] | None = None,
        servers: list[Choice] | None = None,
    ) -> None:
        self._hostname, self._primary = hostname, primary
        self._names, self._servers = list(names or []), list(servers or [])
        if self.is_mounted:
            self.query_one("#dns-name", Input).value = hostname
            self.query_one("#dns-primary", Input).value = primary
            self._offer()

    @on(Button.Pressed, "#dns-set")
    @on(Input.Submitted, "#dns-primary, #dns-secondary")
    def configure(self) -> None:
        pri, sec = self.query_one("#dns-primary", Input), self.query_one("#dns-secondary", Input)
        if not self.check(pri, sec):
            return
        primary, secondary = value_of(pri), value_of(sec)
        assert isinstance(primary, str)
        second = secondary if isinstance(secondary, str) else None

        def done(result: CommandResult) -> None:
            self.say("DNS servers set" if result.ok else result.message, result.ok)

        self.request(lambda: c.qidnscfg(primary, second), "dns", done)

    @on(Button.Pressed, "#dns-show")
    def show(self) -> None:
        def done(result: CommandResult) -> None:
            cfg = next((e for e in result.lines if isinstance(e, ev.QiDnsCfg)), None)
            self.configured(cfg, result.message, result.ok)

        self.request(c.qidnscfg_query, "dns", done)

    @on(Button.Pressed, "#dns-go")
    @on(Input.Submitted, "#dns-name")
    def resolve(self) -> None:
        name = self.query_one("#dns-name", Input)
        if not self.check(name):
            return
        hostname = value_of(name)
        assert isinstance(hostname, str)

        def done(result: CommandResult) -> None:
            self.resolved(result.deferred, result.message, result.ok)

        if self.request(lambda: c.qidnsgip(hostname), "dns", done):
            self.say(f"resolving {hostname}…", None)

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
