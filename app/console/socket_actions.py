"""The console's socket actions (open, close, acked, send to) and data mode (Ctrl+Z
sends, Esc cancels), with what keeps them from misleading: a close names the
socket and asks first, an open says when every connectID is taken or when it
waits behind data mode, and data mode refuses a payload it cannot carry."""

from __future__ import annotations

from textual import on
from textual.widgets import DataTable, Input, Select, TabbedContent

from app.console.base import ConsoleBase
from app.protocol import commands as c
from app.protocol.catalog import ParamError
from app.protocol.payload import PayloadError, parse_text
from app.protocol.syntax import AtSyntaxError
from app.session.target import Endpoint
from widgets.cmdline import CommandLine
from widgets.dialogs.confirm import ConfirmDialog
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.send.composer import SendComposer, data_mode_problem
from widgets.sockets import SocketTable

#: Said when F2 finds no free connectID (§2.3.1: <connectID> 0-4).
ALL_IN_USE = "All five connectIDs (0-4) are in use: close one first (F3). Nothing was sent."


class SocketActions(ConsoleBase):
    # -- sockets ----------------------------------------------------------------------

    def _selected_socket(self) -> int | None:
        return self.query_one(SocketTable).selected_id

    @on(DataTable.RowHighlighted, "#sockets")
    def _socket_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The composer's target follows the table's selection."""
        table = event.data_table
        cid = table.selected_id if isinstance(table, SocketTable) else None
        composers = self.query(SendComposer)  # none while the screen is torn down
        if cid is not None and composers:
            composers.first().select_target(cid)

    def action_timeline(self) -> None:
        """The socket timeline, read from this session's capture (``t`` in the table)."""
        from widgets.timeline import TimelineScreen

        if self.capture is None:
            self.notify("No capture: the timeline is drawn from the capture file.")
            return
        self.push_screen(TimelineScreen(self.capture.path))

    def action_close_socket(self) -> None:
        """F3: close the socket selected in the table, once the person has seen
        which one it is."""
        cid = self._selected_socket()
        if cid is None:
            self.notify("No socket selected in the table.", severity="warning")
            return
        what = self.query_one(SocketTable).describe(cid)

        def answer(yes: bool | None) -> None:
            if yes and cid in self.state.sockets:
                self.submit(c.qiclose(cid), on_done=self._user_result)

        self.push_screen(
            ConfirmDialog(
                f"Close socket {cid}?",
                f"AT+QICLOSE={cid} closes {what}.\n\n"
                "↑↓ in the socket table (Ctrl+Y) choose another one.",
                yes=f"Close #{cid}",
                no="Keep it",
            ),
            answer,
        )

    def action_query_acked(self) -> None:
        cid = self._selected_socket()
        if cid is None:
            self.notify("No socket selected in the table.", severity="warning")
            return
        self.submit(c.qisend_query(cid), on_done=self._user_result)

    def action_send_to(self) -> None:
        cid = self._selected_socket()
        self.query_one(TabbedContent).active = "tab-send"
        composer = self.query_one(SendComposer)
        if cid is not None:
            composer.select_target(cid)
        composer.query_one("#data", Input).focus()

    def action_open_socket(self) -> None:
        """F2: the open-socket form, unless no connectID is free."""
        free = self.state.free_ids()
        if not free:
            self.notify(ALL_IN_USE, severity="warning", timeout=8)
            self.say(ALL_IN_USE, toast=False)
            return
        defaults = self.form_defaults
        port, udp_port = defaults.get("tcp_port"), defaults.get("udp_port")
        endpoints = defaults.get("endpoints")
        self.push_screen(
            OpenSocketDialog(
                free,
                module_ip=self.state.ip or "127.0.0.1",
                host=str(defaults.get("tcp_host", "")),
                remote_port=port if isinstance(port, int) else None,
                udp_port=udp_port if isinstance(udp_port, int) else None,
                endpoints=[e for e in endpoints if isinstance(e, Endpoint)]
                if isinstance(endpoints, list)
                else [],
                queued=self.state.data_mode,
            )
        )

    # -- data mode ----------------------------------------------------------------------

    def _data_mode_changed(self) -> None:
        cmdline = self.query_one(CommandLine)
        interactive = self.state.data_mode and self.state.awaiting_input
        if interactive and self._data_source == "cmdline":
            cmdline.set_data_mode(True)
            cmdline.input.focus()
        elif not self.state.data_mode and cmdline.data_mode:
            cmdline.set_data_mode(False)
        if interactive and self._data_source == "composer":
            self.query_one(SendComposer).show_status(
                "DATA MODE: '>' came. Ctrl+Z sends the data field, Esc cancels.", None
            )
        for screen in self.screen_stack:
            if isinstance(screen, OpenSocketDialog):
                screen.set_queued(self.state.data_mode)
        self.refresh_bindings()

    def action_data_send(self) -> None:
        """Ctrl+Z at the '>' prompt: type the payload and end it. A payload holding
        0x1A or 0x1B is refused (§2.3.4: they end or cancel data mode), and the
        same bytes are offered with fixed length."""
        if not self.state.awaiting_input:
            return
        composer = self._data_source == "composer"
        try:
            if composer:
                wire = self.query_one(SendComposer).data_mode_wire()
            else:
                wire = parse_text(self.query_one(CommandLine).input.value)
        except PayloadError as exc:
            self.notify(f"payload: {exc}", severity="error")
            return
        problem = data_mode_problem(wire)
        if problem is not None:
            self._refuse_in_data_mode(problem, wire, composer=composer)
            return
        self.session.data_send(wire)
        if not composer:
            self.query_one(CommandLine).input.value = ""

    def action_data_cancel(self) -> None:
        if self.state.awaiting_input:
            self.session.data_cancel()

    def _refuse_in_data_mode(self, problem: str, wire: bytes, *, composer: bool) -> None:
        """Say why nothing was sent and offer: Esc, then the same bytes with fixed
        length (AT+QISEND=<id>,<length>, which takes any byte)."""
        self.say(f"not sent: {problem}", error=True, toast=False)
        fixed = None if composer else self._fixed_instead(wire)
        if composer:
            composer_widget = self.query_one(SendComposer)
            composer_widget.show_status(f"{problem} Nothing was sent.", False)
            try:
                size = len(composer_widget.payload())
            except PayloadError:
                size = len(wire)
            question = f"Cancel data mode (Esc) and send the {size} bytes with fixed length?"
        elif fixed is not None:
            question = f"Cancel data mode (Esc) and send them with {fixed.line} instead?"
        else:
            self.notify(
                f"{problem} Nothing was sent: Esc cancels data mode; in hex send format "
                "type the hex digits (1A) rather than the byte.",
                severity="error",
                timeout=10,
            )
            return

        def answer(yes: bool | None) -> None:
            if not yes or not self.state.awaiting_input:
                return
            self.session.data_cancel()
            if composer:
                self._composer_fixed()
            elif fixed is not None:
                self.query_one(CommandLine).input.value = ""
                self.submit(fixed, on_done=self._user_result)

        self.push_screen(
            ConfirmDialog(
                "Data mode cannot send this",
                f"{problem}\n\n{question}",
                yes="Send with fixed length",
                no="Keep editing",
            ),
            answer,
        )

    def _composer_fixed(self) -> None:
        composer = self.query_one(SendComposer)
        composer.query_one("#mode", Select).value = "fixed"
        self.call_after_refresh(composer.submit)

    def _fixed_instead(self, wire: bytes) -> c.AtCommand | None:
        """The fixed-length AT+QISEND for the data-mode command waiting now (its
        socket, and its remote for a UDP SERVICE), or None."""
        if self.state.send_hex or not wire:
            return None  # hex send format: the line should hold hex digits, not bytes
        try:
            waiting = c.classify(self.state.data_mode_line)
        except AtSyntaxError:
            return None
        cid, ip, port = (waiting.values.get(k) for k in ("connectID", "remote_ip", "remote_port"))
        if not isinstance(cid, int):
            return None
        remote = (ip, port) if isinstance(ip, str) and isinstance(port, int) else None
        try:
            return c.qisend(cid, wire, hex_format=False, mode=c.SendMode.FIXED, remote=remote)
        except ParamError:
            return None


__all__ = ["ALL_IN_USE", "SocketActions"]
