"""The send composer: target socket, text/hex input with a live byte count against
the spec's limit, send mode (inline, data mode with Ctrl-Z / Esc, fixed length),
rai_mode, the UDP SERVICE remote, and the history of sends."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from app.link.results import CommandResult, Outcome
from app.model.state import ModuleState
from app.protocol import catalog
from app.protocol.catalog import ParamError
from app.protocol.commands import (
    MAX_HEX_SEND,
    MAX_TEXT_SEND,
    AtCommand,
    SendMode,
    build,
    inline_safe,
    qisend,
)
from app.protocol.payload import PayloadError, parse, parse_hex, parse_text
from app.protocol.text import escape_bytes, hex_encode
from widgets.compact_select import CompactSelect
from widgets.dialogs.confirm import ConfirmDialog
from widgets.fields import Field, ParamValidator, param_input, problems, value_of
from widgets.requests import CommandRequest

#: "data mode" below is the interactive one: '>' then Ctrl+Z sends, Esc cancels.
MODES: list[tuple[str, str]] = [
    ("auto: inline, or data mode if needed", "auto"),
    ('inline  AT+QISEND=id,len,"data"', "inline"),
    ("data mode  > ... Ctrl+Z / Esc", "interactive"),
    ("fixed length  AT+QISEND=id,len", "fixed"),
]
SEND_MODES = {"auto": SendMode.AUTO, "inline": SendMode.INLINE, "fixed": SendMode.FIXED}
#: Ctrl-Z ends variable-length data mode and Esc cancels it (§2.3.4).
DATA_MODE_ENDERS = (0x1A, 0x1B)


def data_mode_problem(wire: bytes) -> str | None:
    """Why ``wire`` (the bytes typed after '>') cannot go through variable-length
    data mode, or None: a 0x1A would send what came before it and a 0x1B would
    cancel the send (§2.3.4); the rest would reach the module as a new command."""
    enders = [b for b in DATA_MODE_ENDERS if b in wire]
    if not enders:
        return None
    what = " and ".join(
        "0x1A (Ctrl+Z ends data mode: the bytes before it are sent, the rest is not)"
        if b == 0x1A
        else "0x1B (Esc cancels the send)"
        for b in enders
    )
    return f"The payload holds {what}; data mode cannot carry it (§2.3.4)."


def spaced_hex(data: bytes) -> str:
    """``b"hi"`` -> ``"68 69"``: hex digits as a person reads them."""
    return " ".join(f"{b:02X}" for b in data)


def as_text(data: bytes) -> str | None:
    """``data`` as composer text (escapes for control bytes), or None when the
    text would not read back as the same bytes."""
    text = escape_bytes(data)
    try:
        return text if parse_text(text) == data else None
    except PayloadError:
        return None


@dataclass
class SendRecord:
    wall: float
    connect_id: int
    data: bytes
    hex_input: bool
    text: str
    result: str = "…"


class SendComposer(Vertical):
    DEFAULT_CSS = """
    SendComposer { height: auto; padding: 0 1; }
    SendComposer .row { height: auto; }
    SendComposer Select { width: 1fr; }
    SendComposer #target { width: 2fr; }
    SendComposer #format { width: 12; }
    SendComposer #rai { width: 14; }
    SendComposer #data { width: 1fr; }
    SendComposer #count { width: 12; padding: 0 1; }
    SendComposer #send-status { height: auto; width: 100%; padding: 0 1; }
    SendComposer .udp { display: none; }
    SendComposer.-udp .udp { display: block; }
    SendComposer #send { min-width: 10; }
    /* One line whatever the width: a narrow pane cuts the label, not the layout. */
    SendComposer SelectCurrent > #label { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class HistoryChanged(Message):
        """A send was added to :attr:`SendComposer.history` or got its result."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.send_hex = False
        self.history: list[SendRecord] = []
        self._targets: list[tuple[int, str]] = []
        self._udp: set[int] = set()
        #: Whether the UDP remote's fields exist yet (made when first needed).
        self._udp_fields_made = False
        #: The data field's format as it was before the last change (to convert).
        self._format = "text"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield CompactSelect[int]([], prompt="socket", id="target", allow_blank=True)
            yield CompactSelect(
                [("text", "text"), ("hex", "hex")], value="text", allow_blank=False, id="format"
            )
            yield CompactSelect(
                [("rai -", -1), ("rai 0", 0), ("rai 1", 1), ("rai 2", 2)],
                value=-1,
                allow_blank=False,
                id="rai",
            )
        yield CompactSelect(MODES, value="auto", allow_blank=False, id="mode")
        # The UDP SERVICE remote: its fields are made when a UDP target is first
        # chosen (most sessions never choose one; they were 6 of the first frame's
        # widgets).
        yield Horizontal(classes="row udp", id="udp-row")
        with Horizontal(classes="row"):
            yield Input(
                placeholder="data: text with \\r \\n \\xNN escapes",
                id="data",
                tooltip='Text (escapes \\r \\n \\t \\0 \\\\ \\" \\xNN) or hex digits',
                compact=True,
            )
            yield Label("0/1024 B", id="count")
            yield Button(
                "Send", id="send", variant="primary", tooltip="Send (Ctrl+S)", compact=True
            )
        yield Label("", id="send-status")

    # -- from the app --------------------------------------------------------------

    def update_targets(self, state: ModuleState) -> None:
        targets = [
            (cid, f"#{cid} {row.service_type}")
            for cid, row in sorted(state.sockets.items())
            if row.service_type != "TCP LISTENER"
        ]
        udp = {cid for cid, row in state.sockets.items() if row.service_type == "UDP SERVICE"}
        if (targets, udp, state.send_hex) == (self._targets, self._udp, self.send_hex):
            return  # nothing the composer shows has changed
        self.send_hex = state.send_hex
        self._udp = udp
        if targets != self._targets:
            self._targets = targets
            select = self.query_one("#target", Select)
            current = select.value
            select.set_options([(label, cid) for cid, label in targets])
            if current in {cid for cid, _ in targets}:
                select.value = current
            elif targets:
                select.value = targets[0][0]
        self._refresh_udp()
        self._update_count()

    def select_target(self, connect_id: int) -> None:
        select = self.query_one("#target", Select)
        if connect_id in {cid for cid, _ in self._targets}:
            select.value = connect_id

    def show_status(self, message: str, ok: bool | None) -> None:
        style = {True: "bold green", False: "bold red", None: "yellow"}[ok]
        self.query_one("#send-status", Label).update(Text(message, style=style))

    # -- internals ---------------------------------------------------------------------

    @property
    def hex_input(self) -> bool:
        return self.query_one("#format", Select).value == "hex"

    @property
    def target(self) -> int | None:
        value = self.query_one("#target", Select).value
        return value if isinstance(value, int) else None

    def _refresh_udp(self) -> None:
        udp = self.target in self._udp
        if udp and not self._udp_fields_made:
            self._udp_fields_made = True
            self.query_one("#udp-row", Horizontal).mount_all(
                [
                    Field("IP", param_input(catalog.REMOTE_IP, id="remote-ip")),
                    Field("Port", param_input(catalog.UDP_REMOTE_PORT, id="remote-port")),
                ]
            )
        self.set_class(udp, "-udp")

    def payload(self) -> bytes:
        """The bytes typed, or PayloadError."""
        return parse(self.query_one("#data", Input).value, hex_input=self.hex_input)

    def data_mode_wire(self) -> bytes:
        """What to type after '>' for the field's bytes: the bytes themselves, or
        their hex digits while the send format is hex (§2.3.4 note 2)."""
        data = self.payload()
        return hex_encode(data).encode("ascii") if self.send_hex else data

    def _update_count(self) -> None:
        label = self.query_one("#count", Label)
        limit = MAX_HEX_SEND if self.send_hex else MAX_TEXT_SEND
        try:
            size = len(self.payload())
        except PayloadError as exc:
            label.update(Text("bad input", style="bold red"), layout=False)
            label.tooltip = str(exc)
            return
        style = "bold red" if size > limit else ""
        label.update(Text(f"{size}/{limit} B", style=style), layout=False)
        label.tooltip = f"§2.3.4: at most {limit} bytes while the send format is " + (
            "hex" if self.send_hex else "text"
        )

    @on(Input.Changed, "#data")
    def _changed(self) -> None:
        self._update_count()

    def on_mount(self) -> None:
        # Watched, not a Changed message: the field is converted as it is at the
        # moment of the switch, before anything typed after it.
        self.watch(self.query_one("#format", Select), "value", self._format_changed, init=False)

    def _format_changed(self, _value: object = None) -> None:
        """Text <-> hex: what the field holds is converted, not reinterpreted."""
        new = "hex" if self.hex_input else "text"
        old, self._format = self._format, new
        field = self.query_one("#data", Input)
        if old != new and field.value.strip():
            self._convert(field, to_hex=new == "hex")
        self._update_count()

    def _convert(self, field: Input, *, to_hex: bool) -> None:
        try:
            data = parse_text(field.value) if to_hex else parse_hex(field.value)
        except PayloadError as exc:
            self.show_status(
                f"Not converted ({exc}): the field is read as {self._format} now.", False
            )
            return
        converted = spaced_hex(data) if to_hex else as_text(data)
        if converted is None:
            self.show_status("These bytes have no text form here: kept as hex.", False)
            self._format = "hex"
            self.query_one("#format", Select).value = "hex"
            return
        field.value = converted
        field.cursor_position = len(converted)
        self.show_status(f"{len(data)} B as {'hex' if to_hex else 'text'}", None)

    @on(Select.Changed, "#target")
    def _target_changed(self) -> None:
        self._refresh_udp()

    @on(Button.Pressed, "#send")
    @on(Input.Submitted, "#data")
    def submit(self) -> None:
        request = self.build_request()
        if request is not None:
            self.post_message(request)
            self.post_message(self.HistoryChanged())

    def build_request(self) -> CommandRequest | None:
        """Validate everything and build the AT+QISEND (§2.3.4); show what is
        wrong, or return the request (its reply shows the outcome)."""
        target = self.target
        if target is None:
            self.show_status("No socket to send to: open one first (Ctrl+O).", False)
            return None
        mode = str(self.query_one("#mode", Select).value)
        try:
            data = self.payload()
        except PayloadError as exc:
            self.show_status(f"Data: {exc}", False)
            return None
        limit = MAX_HEX_SEND if self.send_hex else MAX_TEXT_SEND
        if mode != "interactive":
            if not data:
                self.show_status("Nothing to send: type the data first.", False)
                return None
            if len(data) > limit:
                self.show_status(
                    f"{len(data)} bytes: at most {limit} in "
                    f"{'hex' if self.send_hex else 'text'} send format (§2.3.4).",
                    False,
                )
                return None
        if mode == "interactive":
            wire = hex_encode(data).encode("ascii") if self.send_hex else data
            problem = data_mode_problem(wire)
            if problem is not None:
                self.show_status(f"{problem} Not sent: fixed length (or auto) carries it.", False)
                self.offer_fixed(problem, len(data))
                return None
        if mode == "inline" and not self.send_hex and not inline_safe(data):
            self.show_status(
                'Inline text cannot hold ", CR, LF or control bytes: choose auto or data mode.',
                False,
            )
            return None
        rai_value = self.query_one("#rai", Select).value
        rai = rai_value if isinstance(rai_value, int) and rai_value >= 0 else None
        if rai is not None and mode not in ("inline", "auto"):
            self.show_status("rai_mode goes with inline sends only (§2.3.4).", False)
            return None
        remote: tuple[str, int] | None = None
        if self.has_class("-udp"):
            ip_input = self.query_one("#remote-ip", Input)
            port_input = self.query_one("#remote-port", Input)
            wrong = problems(ip_input, port_input)
            if wrong:
                self.show_status("; ".join(wrong), False)
                return None
            ip, port = value_of(ip_input), value_of(port_input)
            assert isinstance(ip, str) and isinstance(port, int)
            remote = (ip, port)
        try:
            command = self._command(target, data, mode, rai, remote)
        except ParamError as exc:
            self.show_status(str(exc), False)
            return None
        text = self.query_one("#data", Input).value
        record = SendRecord(time.time(), target, data, self.hex_input, text)
        self.history.insert(0, record)
        del self.history[50:]
        self.show_status("sending…", None)
        started = time.monotonic()

        def done(result: CommandResult) -> None:
            ms = (time.monotonic() - started) * 1000
            if result.ok:
                what = "" if mode == "interactive" else f"{len(data)} B "
                status = f"SEND OK: {what}to #{target} ({ms:.0f} ms)"
            elif result.outcome is Outcome.SEND_FAIL:
                status = f"SEND FAIL on #{target}: the data did not reach the stack"
            else:
                status = result.message
            self.show_status(status, result.ok)
            record.result = "SEND OK" if result.ok else "failed"
            self.post_message(self.HistoryChanged())

        typed_by = "composer" if mode == "interactive" else None
        return CommandRequest(command, "send", done, typed_by=typed_by)

    def offer_fixed(self, problem: str, size: int) -> None:
        """Ask whether to send the same bytes with fixed length instead."""

        def answer(yes: bool | None) -> None:
            if yes:
                self.query_one("#mode", Select).value = "fixed"
                self.call_after_refresh(self.submit)

        self.app.push_screen(
            ConfirmDialog(
                "Data mode cannot send this",
                f"{problem}\n\nSend the {size} bytes with fixed length instead "
                f"(AT+QISEND=<id>,{size}: the module takes exactly {size} bytes, any value)?",
                yes="Send with fixed length",
                no="Cancel",
            ),
            answer,
        )

    def _command(
        self,
        target: int,
        data: bytes,
        mode: str,
        rai: int | None,
        remote: tuple[str, int] | None,
    ) -> AtCommand:
        if mode == "interactive":
            # '>' then the data field, sent with Ctrl+Z (or Esc to cancel).
            form = f"qisend.{'udp_' if remote else ''}variable"
            return build("+QISEND", form, target, *(remote or ()))
        return qisend(
            target,
            data,
            hex_format=self.send_hex,
            mode=SEND_MODES[mode],
            rai_mode=rai,
            remote=remote,
        )

    def refill(self, record: SendRecord) -> None:
        self.query_one("#format", Select).value = "hex" if record.hex_input else "text"
        self.query_one("#data", Input).value = record.text
        self.select_target(record.connect_id)


__all__ = ["MODES", "ParamValidator", "SendComposer", "SendRecord"]
