"""The open-socket dialog (AT+QIOPEN, spec §2.3.1): service type, host, ports and
access mode, checked as you type; it waits for ``+QIOPEN:`` and says what came."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, LoadingIndicator, Select

from app.link.results import CommandResult
from app.protocol import catalog
from app.protocol.catalog import ParamError
from app.protocol.codes import describe
from app.protocol.commands import AtCommand, qiopen
from app.session.target import Endpoint
from widgets.fields import Field, param_input, problems, value_of
from widgets.requests import CommandRequest

SERVICE_HELP = {
    "TCP": "TCP client: connects to host:remote port.",
    "UDP": "UDP client: sends to host:remote port.",
    "TCP LISTENER": "TCP server: listens on the local port; clients get their own IDs.",
    "UDP SERVICE": "UDP service: receives on the local port from anyone.",
}


#: What the dialog says while the module waits for a data-mode payload (§2.3.4).
QUEUED = (
    "The module is in data mode (it waits for the payload after '>'): AT+QIOPEN is "
    "queued behind it. Close this form (Esc), then Ctrl+Z sends the payload or Esc "
    "cancels it; the socket opens after."
)


class OpenSocketDialog(ModalScreen[int | None]):
    """AT+QIOPEN for the four service types (§2.3.1), validated as you type; waits
    (up to 60 s, note 2) for +QIOPEN: and shows the result code's meaning."""

    DEFAULT_CSS = """
    OpenSocketDialog { align: center middle; }
    OpenSocketDialog > Vertical {
        width: 80; max-width: 95%; height: auto; max-height: 95%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    OpenSocketDialog .row { height: auto; }
    OpenSocketDialog #service { width: 18; }
    OpenSocketDialog #cid { width: 16; }
    OpenSocketDialog #peer { width: 1fr; margin-left: 1; }
    OpenSocketDialog #help { color: $text-muted; padding: 0 1; width: 100%; }
    OpenSocketDialog #queued {
        display: none; height: auto; width: 100%; padding: 0 1; background: $warning 20%;
    }
    OpenSocketDialog.-queued #queued { display: block; }
    OpenSocketDialog #problem { height: auto; width: 100%; padding: 0 1; }
    OpenSocketDialog LoadingIndicator { height: 1; display: none; }
    OpenSocketDialog.-busy LoadingIndicator { display: block; }
    OpenSocketDialog.-server #f-remote-port { display: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        free_ids: list[int],
        *,
        module_ip: str = "127.0.0.1",
        host: str = "",
        remote_port: int | None = None,
        service: str = "TCP",
        udp_port: int | None = None,
        endpoints: list[Endpoint] | None = None,
        queued: bool = False,
    ) -> None:
        super().__init__()
        self.free_ids = free_ids
        self.module_ip = module_ip
        self.default_host = host
        self.default_port = remote_port
        #: The remote port each client service type starts with (the demo peers
        #: answer TCP and UDP on different ports).
        self.default_ports: dict[str, int | None] = {
            "TCP": remote_port,
            "UDP": udp_port or remote_port,
        }
        self.service = service
        self._last_service = service
        self.endpoints = list(endpoints or [])
        #: The module is in data mode: AT+QIOPEN waits behind it.
        self.queued = queued
        self.started: float | None = None
        self.command_line = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Open a socket  (AT+QIOPEN, §2.3.1)", style="bold"))
            with Horizontal(classes="row"):
                yield Select(
                    [(s, s) for s in catalog.SERVICE_TYPES],
                    value=self.service,
                    allow_blank=False,
                    id="service",
                    compact=True,
                )
                yield Select(
                    [(f"connectID {i}", i) for i in self.free_ids],
                    value=self.free_ids[0] if self.free_ids else Select.BLANK,
                    allow_blank=not self.free_ids,
                    prompt="no free ID",
                    id="cid",
                    compact=True,
                )
                yield Select(
                    [(e.label, i) for i, e in enumerate(self.endpoints)],
                    prompt="peers and favourites",
                    id="peer",
                    compact=True,
                    tooltip="Fill the host and the remote port from a demo peer or a favourite",
                )
            yield Label("", id="help")
            yield Label(QUEUED, id="queued")
            yield Field("Host", param_input(catalog.HOST, value=self.default_host, id="host"))
            with Horizontal(classes="row"):
                yield Field(
                    "Remote port",
                    param_input(
                        catalog.REMOTE_PORT,
                        value=str(self.default_port or ""),
                        placeholder="1-65535",
                        id="remote-port",
                    ),
                    id="f-remote-port",
                )
                yield Field(
                    "Local port",
                    param_input(catalog.LOCAL_PORT, value="0", optional=True, id="local-port"),
                )
            yield Label("", id="problem")
            yield LoadingIndicator()
            with Horizontal(classes="row"):
                yield Button("Open", id="open", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._service_changed()
        self.query_one("#peer", Select).display = bool(self.endpoints)
        self.set_class(self.queued, "-queued")
        if not self.free_ids:
            self.problem("All five connectIDs (0-4) are in use: close one first (F3).")
            self.query_one("#open", Button).disabled = True
        self.query_one("#host", Input).focus()

    def set_queued(self, queued: bool) -> None:
        """The module entered or left data mode (the console tells the dialog)."""
        self.queued = queued
        self.set_class(queued, "-queued")
        if self.started is not None:
            self._waiting()

    def _waiting(self) -> None:
        line = self.command_line
        if self.queued:
            text = Text(f"{line}\nqueued: it goes out once data mode ends.", style="bold yellow")
        else:
            text = Text(f"{line}\nwaiting for +QIOPEN: (up to 60 s)…", style="yellow")
        self.query_one("#problem", Label).update(text)

    @on(Select.Changed, "#peer")
    def _peer_picked(self, event: Select.Changed) -> None:
        if not isinstance(event.value, int):
            return
        endpoint = self.endpoints[event.value]
        if endpoint.service is not None:
            self.query_one("#service", Select).value = endpoint.service
        if endpoint.host:
            self.query_one("#host", Input).value = endpoint.host
        if endpoint.port is not None:
            self.query_one("#remote-port", Input).value = str(endpoint.port)

    @on(Select.Changed, "#service")
    def _service_changed(self) -> None:
        service = str(self.query_one("#service", Select).value)
        self.query_one("#help", Label).update(SERVICE_HELP[service])
        server = service in ("TCP LISTENER", "UDP SERVICE")
        self.set_class(server, "-server")
        # The remote port follows the service type while it holds the previous
        # type's default (TCP and UDP echo peers listen on different ports).
        previous, self._last_service = self._last_service, service
        rport = self.query_one("#remote-port", Input)
        before, after = self.default_ports.get(previous), self.default_ports.get(service)
        if after is not None and rport.value.strip() in ("", str(before or "")):
            rport.value = str(after)
        host = self.query_one("#host", Input)
        local = self.query_one("#local-port", Input)
        if server:
            if not host.value or host.value == self.default_host:
                host.value = self.module_ip  # §2.3.3: the local IP for servers
            if local.value in ("", "0"):
                local.value = ""
            local.placeholder = "1-65535 (required)"
        else:
            if host.value == self.module_ip and self.default_host:
                host.value = self.default_host
            local.placeholder = "0 = any"

    def build(self) -> AtCommand | None:
        """The AT+QIOPEN command, or None after showing what is wrong."""
        service = str(self.query_one("#service", Select).value)
        cid = self.query_one("#cid", Select).value
        host_in = self.query_one("#host", Input)
        rport_in = self.query_one("#remote-port", Input)
        lport_in = self.query_one("#local-port", Input)
        server = service in ("TCP LISTENER", "UDP SERVICE")
        if not isinstance(cid, int):
            self.problem("All five connectIDs (0-4) are in use: close one first (F3).")
            return None
        wrong = problems(host_in, lport_in) + ([] if server else problems(rport_in))
        if wrong:
            self.problem("; ".join(wrong))
            return None
        host = value_of(host_in)
        local = value_of(lport_in)
        remote = value_of(rport_in) if not server else None
        # Chapter 4 passes 0 (LISTENER) and 1 (UDP SERVICE) as the unused remote port.
        if remote is None:
            remote = 0 if service == "TCP LISTENER" else 1
        try:
            cmd = qiopen(
                connect_id=cid,
                service_type=service,
                host=str(host),
                remote_port=int(remote),
                local_port=int(local or 0),
            )
        except ParamError as exc:
            self.problem(str(exc))
            return None
        return cmd

    def problem(self, message: str) -> None:
        self.query_one("#problem", Label).update(Text(message, style="bold red"))

    @on(Button.Pressed, "#open")
    @on(Input.Submitted)
    def _open(self) -> None:
        if self.started is not None:
            return
        command = self.build()
        if command is None:
            return
        self.command_line = command.line
        self.started = time.monotonic()
        self.add_class("-busy")
        self.query_one("#open", Button).disabled = True
        self._waiting()
        cid = command.values.get("connectID")
        self.app.post_message(CommandRequest(command, "open", lambda r: self._reply(cid, r)))

    def _reply(self, cid: object, result: CommandResult) -> None:
        if not self.is_attached:
            return  # closed while waiting: the log has the result
        code = result.result_code
        self.opened(cid if isinstance(cid, int) else 0, code, result.message)
        if code == 0:
            self.app.notify(f"socket {cid} open")

    def opened(self, connect_id: int, result_code: int | None, message: str) -> None:
        """The app's answer: dismiss on success, else show why and allow a retry."""
        self.remove_class("-busy")
        self.started = None
        self.query_one("#open", Button).disabled = False
        if result_code == 0:
            self.dismiss(connect_id)
            return
        why = describe(result_code) if result_code is not None else message
        self.problem(f"{self.command_line}: {why}")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
