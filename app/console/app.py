"""The console: a Textual app whose panes are views over the link.

Data flow (DESIGN.md): the serial worker owns the port and records every byte;
its dispatcher hands batches of link events to :meth:`QitermApp.on_link_batch`
(through ``call_from_thread``), which feeds :class:`~app.model.state.ModuleState` and
the :class:`~app.model.journal.Journal` and redraws what changed. Actions go the
other way through ``worker.submit`` and come back as futures awaited on the
app's loop, so nothing here ever blocks the serial thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.lazy import Lazy
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, TabbedContent, TabPane

from app.capture.recorder import CaptureRecorder
from app.config.profile import LoadedProfile, Profile, profile_path
from app.console.hangup import watch_hangup
from app.demo.wiring import Demo
from app.link.ports import is_builtin_simulator
from app.link.results import CommandResult, LinkEvent, Outcome, Rx
from app.link.worker import SerialWorker
from app.model.journal import Category, Journal, LogEntry, entries_for
from app.model.state import Changed, ModuleState
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.catalog import ParamError
from app.protocol.payload import PayloadError, parse_text
from app.protocol.syntax import AtSyntaxError
from widgets.cmdline import AtCommandsProvider, CommandLine
from widgets.dialogs.choice import BaudDialog, PollDialog
from widgets.dialogs.filter import FilterDialog
from widgets.dialogs.macro_editor import MacroEditor
from widgets.dialogs.note import NoteDialog
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.dialogs.script import ScriptDialog
from widgets.dialogs.welcome import WelcomeScreen
from widgets.log import EventLog, LogPane
from widgets.macrobar import MacroBar
from widgets.send.composer import SendComposer
from widgets.send.history import SendHistory
from widgets.sockets import SocketTable
from widgets.status import StatusBar
from widgets.tools.dns import DnsForm
from widgets.tools.ntp import NtpForm
from widgets.tools.ping import PingForm

if TYPE_CHECKING:
    from app.config.macros import Macro
    from app.config.recent import RecentPorts
    from app.link.ports import PortChoice

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
DEFAULT_POLL_S = 2.0


class QitermApp(App[None]):
    CSS_PATH = str(ASSETS / "qiterm.tcss")
    TITLE = "qiterm"
    COMMANDS = App.COMMANDS | {AtCommandsProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "toggle_keys", "Keys"),
        Binding("f2,ctrl+o", "open_socket", "Open", priority=True),
        Binding("f3", "close_socket", "Close"),
        Binding("f4", "query_acked", "Acked"),
        Binding("f5", "refresh", "QISTATE?"),
        Binding("f6", "toggle_poll", "Poll"),
        Binding("f7", "filter", "Filter"),
        Binding("f8", "toggle_follow", "Follow", show=False),
        Binding("f9", "note", "Note"),
        Binding("f10", "marker", "Marker", show=False),
        Binding("f12", "save_screenshot", "Screenshot", show=False),
        Binding("ctrl+f", "search", "Search", show=False, priority=True),
        Binding("ctrl+t", "toggle_hex", "Hex/Text", show=False, priority=True),
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("ctrl+z", "data_send", "Ctrl+Z send", priority=True),
        Binding("escape", "data_cancel", "Esc cancel", priority=True),
        Binding("ctrl+l", "focus_cmdline", "Cmd line", show=False, priority=True),
    ]

    def __init__(
        self,
        url: str = "sim://",
        baudrate: int = 115200,
        *,
        capture: CaptureRecorder | None = None,
        poll_interval: float = DEFAULT_POLL_S,
        journal_size: int = 20_000,
        worker: SerialWorker | None = None,
        demo: Demo | None = None,
        welcome: bool = False,
        port_label: str | None = None,
        profile: LoadedProfile | None = None,
        peers: bool = True,
        recent: RecentPorts | None = None,
        device: str | None = None,
        port_lister: Callable[[list[str]], list[PortChoice]] | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.baudrate = baudrate
        self.capture = capture
        self.state = ModuleState(url=url, baudrate=baudrate)
        #: How the header names the port (the built-in simulator's URL is long).
        self.port_label = port_label
        loaded = profile or LoadedProfile(Profile())
        #: The device profile (defaults when none was given) and where it saves.
        self.profile = loaded.profile
        self.profile_file = loaded.path
        self.profile_problems = list(loaded.problems)
        #: The keys the profile file set (the others are defaults, not choices).
        self.profile_given = loaded.given
        #: Start demo peers when switching to the built-in simulator.
        self.peers_enabled = peers
        self.recent = recent
        #: The port as the user chose it: remembered as recent once it connects.
        self._remember: str | None = device
        #: Lists the ports for the picker (app.link.ports.list_ports unless a test fakes it).
        self.port_lister = port_lister
        self._macro_keys: dict[int, str] = {}
        self._macro_key_labels: dict[int, str] = {}
        self.macros: list[Macro] = []
        self._script_cancel: threading.Event | None = None
        self._script_progress = ""
        self.journal = Journal(journal_size)
        #: 0 starts with the polling paused; F6 then resumes it at the default period.
        self.poll_interval = poll_interval if poll_interval > 0 else DEFAULT_POLL_S
        self.polling = poll_interval > 0
        self.link = worker or self._new_worker(url, baudrate)
        self._unsubscribe: Callable[[], None] | None = None
        self._data_source = "cmdline"
        self._counters_dirty = False
        self._last_poll = 0.0
        self._pending: set[asyncio.Task[Any]] = set()
        self._adopt_demo(demo)
        self.show_welcome_at_start = welcome and bool(self.peers_info)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Kept so a port switch can re-fill them, mounted or not yet (Lazy).
        self._forms = (PingForm(id="ping"), NtpForm(id="ntp"), DnsForm(id="dns"))
        self._prefill_forms()
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield SocketTable(id="sockets")
                with TabbedContent(id="tabs"):
                    with TabPane("Send", id="tab-send"):
                        yield SendComposer(id="composer")
                    # The hidden tabs mount after the first frame (a faster start).
                    with TabPane("Ping", id="tab-ping"):
                        yield Lazy(self._forms[0])
                    with TabPane("NTP", id="tab-ntp"):
                        yield Lazy(self._forms[1])
                    with TabPane("DNS", id="tab-dns"):
                        yield Lazy(self._forms[2])
                    with TabPane("History", id="tab-history"):
                        yield Lazy(SendHistory(id="history"))
            with Vertical(id="right"):
                yield LogPane(EventLog(self.journal, id="log"))
        yield MacroBar(id="macrobar")
        yield CommandLine(id="cmdline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._unsubscribe = self.link.subscribe(self._from_link_thread)
        if not self.link._thread.is_alive():
            self.link.start()
        watch_hangup(self)  # a dead terminal ends the console (link, capture closed)
        self.set_interval(0.25, self._tick)
        self._show_status()
        self.query_one("#cmdline", CommandLine).input.focus()
        if self.capture is not None:
            self.say(f"capturing to {self.capture.path}")
        for line in self.peers_info:
            self.say(f"demo peer: {line}")
        self.query_one(EventLog).highlights = tuple(
            (rule.pattern, rule.style) for rule in self.profile.highlights
        )
        self._apply_macros(self.profile.macros)
        if self.profile_file is not None and not self.profile_problems:
            self.say(f"profile: {self.profile_file}")
        for problem in self.profile_problems:
            self.say(f"profile: {problem}", error=True, toast=False)
        if self.profile_problems:
            n = len(self.profile_problems)
            self.notify(
                f"The profile has {n} problem{'s' if n != 1 else ''} (see the log); "
                "defaults are used for those keys.",
                severity="warning",
                timeout=8,
            )
        if self.show_welcome_at_start:
            self.action_welcome()

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await asyncio.to_thread(self.link.close)
        if self.capture is not None:
            self.capture.close()

    # -------------------------------------------------------------- link input

    def _from_link_thread(self, batch: list[LinkEvent]) -> None:
        """The dispatcher thread's callback: hand the batch to the app's loop."""
        try:
            self.call_from_thread(self.on_link_batch, batch)
        except RuntimeError:
            pass  # the app is shutting down; the capture has everything

    def on_link_batch(self, batch: list[LinkEvent]) -> None:
        try:
            self._link_batch(batch)
        except NoMatches:
            pass  # a batch that arrived while the screen was torn down at exit

    def _link_batch(self, batch: list[LinkEvent]) -> None:
        recv_hex = self.state.recv_hex
        entries: list[LogEntry] = []
        changed: set[Changed] = set()
        for item in batch:
            changed |= self.state.apply(item)
            for entry in entries_for(item, recv_hex):
                if self.capture is not None and isinstance(entry, LogEntry):
                    entry.capture_seq = self.capture.seq_of(item)
                entries.append(entry)
            if isinstance(item, Rx):
                self._route(item)
            recv_hex = self.state.recv_hex
        if entries and self.journal.add(entries):
            self.query_one(EventLog).entries_added()
        if Changed.SOCKETS in changed:
            self.query_one(SocketTable).show(self.state)
            self.query_one(SendComposer).update_targets(self.state)
            self._counters_dirty = False
        elif Changed.COUNTERS in changed:
            self._counters_dirty = True  # redrawn by _tick, at most 4 times a second
        if Changed.STATUS in changed:
            if self._remember is not None and self.state.connected:
                self._remember_port(self._remember)
            self._show_status()
            self.query_one(CommandLine).send_hex = self.state.send_hex
            self.query_one(SendComposer).update_targets(self.state)
        if Changed.DATA_MODE in changed:
            self._data_mode_changed()

    def _route(self, rx: Rx) -> None:
        """Deferred results reach the form that asked for them, as they arrive."""
        opened = isinstance(rx.event, ev.QiOpenResult) and rx.event.result == 0
        if opened or isinstance(rx.event, ev.QiUrcIncoming):
            # A new socket: poll at the next idle moment for its real local port.
            self._last_poll = 0.0
        if rx.tag == "ping" and isinstance(rx.event, ev.QPingReply | ev.QPingResult):
            self.query_one(PingForm).reply(rx.event)

    def _data_mode_changed(self) -> None:
        cmdline = self.query_one(CommandLine)
        interactive = self.state.data_mode and self.link.awaiting_input
        if interactive and self._data_source == "cmdline":
            cmdline.set_data_mode(True)
            cmdline.input.focus()
        elif not self.state.data_mode and cmdline.data_mode:
            cmdline.set_data_mode(False)
        if interactive and self._data_source == "composer":
            self.query_one(SendComposer).show_status(
                "DATA MODE: '>' came. Ctrl+Z sends the data field, Esc cancels.", None
            )
        self.refresh_bindings()
        self._show_status()

    # ----------------------------------------------------------- submitting

    def submit(
        self,
        command: c.AtCommand | str,
        tag: str = "user",
        on_done: Callable[[CommandResult], None] | None = None,
    ) -> Future[CommandResult] | None:
        """Queue a command; ``on_done(result)`` runs on the app's loop. Lines that
        are not AT commands are refused here, before anything reaches the wire."""
        try:
            future = self.link.submit(command, tag=tag)
        except AtSyntaxError as exc:
            self.say(f"not sent: {exc}", error=True)
            return None
        if on_done is not None:
            task = asyncio.get_running_loop().create_task(self._await(future, on_done))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return future

    async def _await(
        self, future: Future[CommandResult], on_done: Callable[[CommandResult], None]
    ) -> None:
        result = await asyncio.wrap_future(future)
        on_done(result)

    def say(self, text: str, *, error: bool = False, toast: bool = True) -> None:
        """A message of qiterm's own in the log (and a toast for errors)."""
        cat = Category.ERROR if error else Category.APP
        if self.journal.add([LogEntry(time.time(), "app", cat, text)]):
            self.query_one(EventLog).entries_added()
        if error and toast:
            self.notify(text, severity="error", timeout=6)

    @on(CommandLine.Submitted)
    def _command_line(self, message: CommandLine.Submitted) -> None:
        line = message.line
        if not self.state.connected:
            self.say(f"{line}: not sent, the link is not connected", error=True)
            return
        self._data_source = "cmdline"
        self.submit(line, on_done=self._user_result)

    def _user_result(self, result: CommandResult) -> None:
        if not result.ok and result.outcome is not Outcome.CANCELLED:
            self.notify(result.message, severity="error", timeout=6)

    # ------------------------------------------------------------- polling

    def _show_status(self) -> None:
        lines = f"DTR {'●' if self.link.dtr else '○'} RTS {'●' if self.link.rts else '○'}"
        self.query_one(StatusBar).show(
            self.state, f"{lines}  {self._poll_label()}", self.port_label
        )

    def _poll_label(self) -> str:
        label = "poll paused (F6)" if not self.polling else f"poll {self.poll_interval:g}s"
        if self._script_progress:
            label = f"{self._script_progress}  {label}"
        return label

    def _tick(self) -> None:
        try:
            table = self.query_one(SocketTable)
        except NoMatches:
            return  # the screen is being torn down at exit
        if self._counters_dirty:
            self._counters_dirty = False
            table.show(self.state)
        if self.state.link is not None and self.state.link.retry_at is not None:
            self._show_status()
        now = time.monotonic()
        if (
            self.polling
            and now - self._last_poll >= self.poll_interval
            and self.state.connected
            and not self.link.busy
            and not self.link.data_mode
        ):
            self._last_poll = now
            self.link.submit(c.qistate_read(), tag="poll")

    def action_toggle_poll(self) -> None:
        self.polling = not self.polling
        self._show_status()
        self.notify(f"QISTATE polling {'on' if self.polling else 'paused'}")

    def action_poll_interval(self) -> None:
        def chosen(seconds: float | None) -> None:
            if seconds is None:
                return
            if seconds <= 0:
                self.polling = False
            else:
                self.poll_interval = seconds
                self.polling = True
            self._show_status()
            self.notify(
                f"QISTATE polling every {seconds:g} s" if seconds > 0 else "QISTATE polling paused"
            )

        self.push_screen(PollDialog(self.poll_interval), chosen)

    def action_refresh(self) -> None:
        self.submit(c.qistate_read(), on_done=self._user_result)

    # ------------------------------------------------------------- sockets

    def _selected_socket(self) -> int | None:
        return self.query_one(SocketTable).selected_id

    @on(DataTable.RowHighlighted, "#sockets")
    def _socket_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The composer's target follows the table's selection."""
        cid = self._selected_socket()
        if cid is not None:
            self.query_one(SendComposer).select_target(cid)

    def action_close_socket(self) -> None:
        cid = self._selected_socket()
        if cid is None:
            self.notify("No socket selected in the table.", severity="warning")
            return
        self.submit(c.qiclose(cid), on_done=self._user_result)

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
        self.push_screen(
            OpenSocketDialog(
                self.state.free_ids(),
                module_ip=self.state.ip or "127.0.0.1",
                host=self.form_defaults.get("tcp_host", ""),
                remote_port=self.form_defaults.get("tcp_port"),
            )
        )

    @on(OpenSocketDialog.OpenRequested)
    def _open_requested(self, message: OpenSocketDialog.OpenRequested) -> None:
        dialog = message.dialog
        cmd = c.classify(message.line)
        cid = cmd.values.get("connectID")

        def done(result: CommandResult) -> None:
            code = result.result_code
            if result.outcome is not Outcome.OK and code is None:
                code = None
            if dialog.is_attached:
                dialog.opened(int(cid) if isinstance(cid, int) else 0, code, result.message)
            if code == 0:
                self.notify(f"socket {cid} open")

        self.submit(cmd, tag="open", on_done=done)

    # ---------------------------------------------------------------- send

    def action_send(self) -> None:
        self.query_one(TabbedContent).active = "tab-send"
        self.query_one(SendComposer).submit()

    @on(SendComposer.SendRequested)
    def _send_requested(self, message: SendComposer.SendRequested) -> None:
        composer = self.query_one(SendComposer)
        record = composer.history[0] if composer.history else None
        if message.mode == "interactive":
            self._data_source = "composer"
            udp = "udp_" if message.remote else ""
            prefix: list[object] = [message.connect_id]
            if message.remote:
                prefix += list(message.remote)
            cmd = c.build("+QISEND", f"qisend.{udp}variable", *prefix)  # type: ignore[arg-type]
        else:
            try:
                cmd = c.qisend(
                    message.connect_id,
                    message.data,
                    hex_format=self.state.send_hex,
                    mode=c.SendMode(message.mode),
                    rai_mode=message.rai_mode,
                    remote=message.remote,
                )
            except ParamError as exc:
                composer.show_status(str(exc), False)
                return
        started = time.monotonic()

        def done(result: CommandResult) -> None:
            ms = (time.monotonic() - started) * 1000
            if result.ok:
                text = f"SEND OK: {len(message.data)} B to #{message.connect_id} ({ms:.0f} ms)"
                if message.mode == "interactive":
                    text = f"SEND OK to #{message.connect_id} ({ms:.0f} ms)"
            elif result.outcome is Outcome.SEND_FAIL:
                text = f"SEND FAIL on #{message.connect_id}: the data did not reach the stack"
            else:
                text = result.message
            composer.show_status(text, result.ok)
            if record is not None:
                composer.record_result(record, "SEND OK" if result.ok else "failed")
            self.query_one(SendHistory).show(composer.history)

        self.submit(cmd, tag="send", on_done=done)
        self.query_one(SendHistory).show(composer.history)

    @on(SendHistory.Picked)
    def _history_picked(self, message: SendHistory.Picked) -> None:
        composer = self.query_one(SendComposer)
        if 0 <= message.index < len(composer.history):
            composer.refill(composer.history[message.index])
            self.query_one(TabbedContent).active = "tab-send"

    # ----------------------------------------------------------- data mode

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("data_send", "data_cancel"):
            return self.state.data_mode and self.link.awaiting_input
        if action == "send" and isinstance(self.screen, MacroEditor):
            return False  # the editor's own Ctrl+S saves
        # No macro runs while a dialog is open.
        return not (action == "run_macro" and isinstance(self.screen, ModalScreen))

    def action_data_send(self) -> None:
        if not self.link.awaiting_input:
            return
        try:
            if self._data_source == "composer":
                payload = self.query_one(SendComposer).payload()
            else:
                payload = parse_text(self.query_one(CommandLine).input.value)
        except PayloadError as exc:
            self.notify(f"payload: {exc}", severity="error")
            return
        self.link.data_mode_send(payload)
        if self._data_source == "cmdline":
            self.query_one(CommandLine).input.value = ""

    def action_data_cancel(self) -> None:
        if self.link.awaiting_input:
            self.link.data_mode_cancel()

    # --------------------------------------------------------- ping/NTP/DNS

    @on(PingForm.Requested)
    def _ping(self, message: PingForm.Requested) -> None:
        form = self.query_one(PingForm)
        try:
            cmd = c.qping(
                message.host,
                time_out=message.time_out,
                ping_num=message.ping_num,
                ping_size=message.ping_size,
                rai_enable=1 if message.rai else None,
            )
        except ParamError as exc:
            form.say(str(exc), False)
            return

        def done(result: CommandResult) -> None:
            summary = result.deferred[-1] if result.deferred else None
            form.finished(summary, result.message, result.ok)

        self.submit(cmd, tag="ping", on_done=done)

    @on(NtpForm.Requested)
    def _ntp(self, message: NtpForm.Requested) -> None:
        form = self.query_one(NtpForm)
        try:
            cmd = c.qntp(
                message.server, port=message.port, auto_set_time=int(message.auto_set_time)
            )
        except ParamError as exc:
            form.say(str(exc), False)
            return

        def done(result: CommandResult) -> None:
            form.finished(
                result.deferred[-1] if result.deferred else None, result.message, result.ok
            )

        self.submit(cmd, tag="ntp", on_done=done)

    @on(DnsForm.Configure)
    def _dns_configure(self, message: DnsForm.Configure) -> None:
        form = self.query_one(DnsForm)
        try:
            cmd = c.qidnscfg(message.primary, message.secondary)
        except ParamError as exc:
            form.say(str(exc), False)
            return
        self.submit(
            cmd,
            tag="dns",
            on_done=lambda r: form.say("DNS servers set" if r.ok else r.message, r.ok),
        )

    @on(DnsForm.Show)
    def _dns_show(self) -> None:
        form = self.query_one(DnsForm)

        def done(result: CommandResult) -> None:
            cfg = next((e for e in result.lines if isinstance(e, ev.QiDnsCfg)), None)
            form.configured(cfg, result.message, result.ok)

        self.submit(c.qidnscfg_query(), tag="dns", on_done=done)

    @on(DnsForm.Resolve)
    def _dns_resolve(self, message: DnsForm.Resolve) -> None:
        form = self.query_one(DnsForm)
        try:
            cmd = c.qidnsgip(message.hostname)
        except ParamError as exc:
            form.say(str(exc), False)
            return
        self.submit(cmd, tag="dns", on_done=lambda r: form.resolved(r.deferred, r.message, r.ok))

    # ------------------------------------------------------------ the log

    # The log pane owns these; the app's keys reach it wherever the focus is.

    def action_toggle_hex(self) -> None:
        self.query_one(LogPane).action_cycle_payload()

    def action_cycle_stamps(self) -> None:
        self.query_one(LogPane).action_cycle_stamps()

    def action_toggle_endings(self) -> None:
        self.query_one(LogPane).action_toggle_endings()

    # -------------------------------------------------------- line control

    def action_toggle_dtr(self) -> None:
        self._line_control("DTR", self.link.set_dtr, not self.link.dtr)

    def action_toggle_rts(self) -> None:
        self._line_control("RTS", self.link.set_rts, not self.link.rts)

    def action_send_break(self) -> None:
        self._line_control("Break", lambda _: self.link.send_break(0.25), True)

    def _line_control(self, what: str, call: Callable[[bool], Future[Any]], on: bool) -> None:
        try:
            future = call(on)
        except Exception as exc:
            self.say(f"{what}: {exc}", error=True)
            return

        async def report() -> None:
            try:
                await asyncio.wrap_future(future)
            except Exception as exc:
                self.say(f"{what}: {exc}", error=True)
                return
            state = "sent" if what == "Break" else ("on" if on else "off")
            self.say(f"{what} {state}")
            if self.capture is not None:
                self.capture.note(f"{what} {state}")
            self._show_status()

        self.run_worker(report(), group="line-control")

    def action_change_baud(self) -> None:
        def chosen(rate: int | None) -> None:
            if rate is None or rate == self.link.baudrate:
                return

            async def apply() -> None:
                try:
                    await asyncio.wrap_future(self.link.set_baudrate(rate))
                except Exception as exc:
                    self.say(f"baud rate {rate}: {exc}", error=True)
                    return
                self.baudrate = self.state.baudrate = rate
                self.say(f"baud rate now {rate}")
                self._show_status()

            self.run_worker(apply(), group="line-control")

        self.push_screen(BaudDialog(self.link.baudrate), chosen)

    # ---------------------------------------------------------- screenshots

    def action_save_screenshot(self) -> None:
        """Save the screen as SVG and as plain text next to the capture."""
        folder = self.capture.path.parent if self.capture is not None else Path.cwd()
        base = folder / f"qiterm-screen-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            svg, text = screen_exports(self)
            base.with_suffix(".svg").write_text(svg, encoding="utf-8")
            base.with_suffix(".txt").write_text(text, encoding="utf-8")
        except OSError as exc:
            self.say(f"screenshot not saved: {exc.strerror or exc}", error=True)
            return
        if self.capture is not None:
            self.capture.screenshot(base.with_suffix(".svg"))
        self.say(f"screenshot saved: {base}.svg and .txt")
        self.notify(f"screenshot: {base.name}.svg / .txt")

    def action_toggle_follow(self) -> None:
        self.query_one(LogPane).action_toggle_follow()

    def action_filter(self) -> None:
        def apply(result: Any) -> None:
            if result is None:
                return
            self.journal.filter = result
            self.journal.refilter()
            self.query_one(EventLog).reset()

        self.push_screen(FilterDialog(self.journal.filter), apply)

    def action_search(self) -> None:
        self.query_one(LogPane).action_search()

    def action_note(self) -> None:
        log_ = self.query_one(EventLog)
        selected = (
            self.journal.view[log_.match_index]
            if log_.match_index is not None and log_.match_index < len(self.journal.view)
            else None
        )

        def add(text: str | None) -> None:
            if not text:
                return
            ref = selected.capture_seq if selected is not None else None
            if self.capture is not None:
                self.capture.note(text, ref=ref)
            entry = LogEntry(time.time(), "app", Category.NOTE, f"// {text}")
            if self.journal.add([entry]):
                log_.entries_added()

        self.push_screen(NoteDialog(selected.text if selected is not None else ""), add)

    def action_marker(self) -> None:
        number = self.capture.marker() if self.capture is not None else self._next_marker()
        entry = LogEntry(time.time(), "app", Category.MARKER, f"── marker {number} ──")
        if self.journal.add([entry]):
            self.query_one(EventLog).entries_added()

    def _next_marker(self) -> int:
        self._markers = getattr(self, "_markers", 0) + 1
        return self._markers

    # ------------------------------------------------------------ scripts

    def action_run_script(self) -> None:
        """Play a scenario script on this link, with progress in the log."""
        if self._script_cancel is not None:
            self.notify("A script is already playing (palette: Stop the script).")
            return
        shipped = sorted(str(p.relative_to(ASSETS.parent)) for p in ASSETS.glob("scenarios/*.qis"))
        self.push_screen(ScriptDialog(shipped), self._script_chosen)

    def _script_chosen(self, path: str | None) -> None:
        from app.scenario import ScriptError, load_script

        if not path:
            return
        file = Path(path)
        if not file.is_absolute() and not file.exists():
            file = ASSETS.parent / path
        try:
            script = load_script(file, self.script_variables)
        except ScriptError as exc:
            for problem in exc.problems:
                self.say(str(problem), error=True)
            return
        self._start_script(script, str(script.path))

    def _start_script(self, script: Any, label: str) -> None:
        cancel = threading.Event()
        self._script_cancel = cancel
        total = len(script.steps)
        steps = f"{total} step{'s' if total != 1 else ''}"
        self.say(f"playing {label} ({steps}); palette: Stop the script")
        self.run_worker(
            lambda: self._play(script, cancel, total), thread=True, name="script", group="script"
        )

    def _play(self, script: Any, cancel: threading.Event, total: int) -> None:
        """On a worker thread: run the script, report each step on the app's loop."""
        from app.scenario import StepStatus, run

        def on_result(result: Any) -> None:
            text = f"script {result.index + 1}/{total} {result.status.value}: {result.step.text}"
            if result.message and result.status is not StepStatus.PASSED:
                text += f" — {result.message}"
            error = result.status is StepStatus.FAILED
            self.call_from_thread(self._script_step, text, error, result.index + 1, total)

        report = run(script, self.link, capture=self.capture, on_result=on_result, cancel=cancel)
        self.call_from_thread(self._script_done, report.summary(), report.passed)

    def _script_step(self, text: str, error: bool, done: int, total: int) -> None:
        self._script_progress = f"script {done}/{total}"
        self.say(text, error=error)
        self._show_status()

    def _script_done(self, summary: str, passed: bool) -> None:
        self._script_cancel = None
        self._script_progress = ""
        self.say(f"script: {summary}", error=not passed)
        if passed:
            self.notify(f"script: {summary}")
        self._show_status()

    def action_stop_script(self) -> None:
        if self._script_cancel is None:
            self.notify("No script is playing.")
            return
        self._script_cancel.set()

    def action_toggle_keys(self) -> None:
        """F1: the panel listing every key of the focused widget and the app."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_welcome(self) -> None:
        if not self.peers_info:
            self.notify("No demo peers: qiterm starts them only on the built-in simulator.")
            return
        self.push_screen(WelcomeScreen(self.peers_info, self.form_defaults))

    def action_focus_cmdline(self) -> None:
        self.query_one(CommandLine).input.focus()

    # ------------------------------------------------------------ ports

    def _new_worker(self, url: str, baudrate: int) -> SerialWorker:
        """A serial worker as the profile says: line ending, echo at connect."""
        explicit_echo = self.profile.echo if "echo" in self.profile_given else None
        return SerialWorker(
            url,
            baudrate,
            recorder=self.capture,
            line_ending=self.profile.line_terminator,
            echo=explicit_echo,
        )

    def action_pick_port(self) -> None:
        """List the ports (Quectel first, the simulator always, recent ones) and
        switch to the one chosen."""
        from app.link.ports import list_ports
        from widgets.dialogs.port_picker import PortPicker

        recent = self.recent.load() if self.recent is not None else []
        current = "sim://" if is_builtin_simulator(self.url) else self.url
        lister = self.port_lister or list_ports

        def chosen(device: str | None) -> None:
            if device is None or device == current:
                return
            self.run_worker(self.switch_port(device), group="switch-port", exclusive=True)

        self.push_screen(PortPicker(lambda: lister(recent), current=current), chosen)

    async def switch_port(self, device: str, baudrate: int | None = None) -> None:
        """Close the link cleanly and open ``device`` instead: a fresh module
        state, the demo peers started or stopped to match, noted in the capture."""
        from app.demo.wiring import start_demo

        if self._script_cancel is not None:
            self._script_cancel.set()
        baud = baudrate or self.baudrate
        old = self.link
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await asyncio.to_thread(old.close)
        self.say(f"closed {self.port_label or self.url}")
        builtin = is_builtin_simulator(device)
        url = device
        demo = self.demo
        if demo is not None and not builtin:
            await asyncio.to_thread(demo.stop)
            demo = None
        if builtin and self.peers_enabled and demo is None:
            try:
                demo = await asyncio.to_thread(start_demo, device)
            except OSError as exc:
                self.say(f"demo peers not started: {exc}", error=True)
        if demo is not None:
            url = demo.url
        self._adopt_demo(demo)
        self._prefill_forms()
        self.url = url
        self.baudrate = baud
        self.port_label = "sim:// built-in simulator" if builtin else None
        self.state = ModuleState(url=url, baudrate=baud)
        if self.capture is not None:
            self.capture.note(f"port switched to {device} at {baud} baud")
        self.say(f"opening {device} at {baud} baud")
        for line in self.peers_info if builtin else []:
            self.say(f"demo peer: {line}")
        self.link = self._new_worker(url, baud)
        self._unsubscribe = self.link.subscribe(self._from_link_thread)
        self.link.start()
        self.query_one(SocketTable).show(self.state)
        self.query_one(SendComposer).update_targets(self.state)
        self.query_one(CommandLine).set_data_mode(False)
        self._show_status()
        self.refresh_bindings()
        self._remember = device

    def _remember_port(self, device: str) -> None:
        """A port that connected goes first in the recent list (a typo never does)."""
        self._remember = None
        if self.recent is not None:
            recent = self.recent
            self.run_worker(lambda: recent.add(device), thread=True, group="recent")

    def _adopt_demo(self, demo: Demo | None) -> None:
        """Take on the demo peers of the built-in simulator (None: there are none).
        The welcome panel's lines, the scripts' ``${NAME}`` values and the forms'
        defaults follow them."""
        from app.demo.wiring import simulator_variables

        #: The demo peers (stopped on exit by whoever started the app; replaced
        #: when the port changes).
        self.demo = demo
        #: One line per peer (welcome panel, log).
        self.peers_info = demo.describe() if demo is not None else []
        #: ``${NAME}`` values for scenario scripts and macros played here.
        self.script_variables = simulator_variables(demo) if demo is not None else {}
        #: Defaults for the forms: the profile's favourites, and the demo peers'
        #: addresses, which win (they are what answers on the simulator).
        self.form_defaults: dict[str, Any] = {
            **self.profile.favourites.form_defaults(),
            **(demo.defaults if demo is not None else {}),
        }

    def _prefill_forms(self) -> None:
        """The ping, NTP and DNS forms filled from :attr:`form_defaults`."""
        d = self.form_defaults
        ping, ntp, dns = self._forms
        ping.prefill(str(d.get("ping_host", "")))
        port = d.get("ntp_port", 123)
        ntp.prefill(str(d.get("ntp_server", "")), port if isinstance(port, int) else 123)
        dns.prefill(str(d.get("dns_name", "")), str(d.get("dns_server", "")))

    # ------------------------------------------------------------ macros

    def _apply_macros(self, macros: list[Macro]) -> None:
        """Bind the macros' keys (those the console does not use) and show the bar."""
        if not macros and not self.macros:
            return  # nothing to bind or show (and the macro code stays unloaded)
        from app.config.macros import key_conflicts, key_display, parse_key_or_none, terminal_key

        # Textual has bind() but no unbind(): the old macro keys leave its map here.
        for key in self._macro_keys.values():
            self._bindings.key_to_bindings.pop(key, None)
        self._macro_keys = {}
        self.macros = list(macros)
        taken = [b.key for b in self.BINDINGS if isinstance(b, Binding)]
        conflicts = key_conflicts(self.macros, taken)
        for problem in conflicts:
            self.say(problem, error=True, toast=False)
        taken_keys = {parse_key_or_none(k) for keys in taken for k in keys.split(",")}
        for index, macro in enumerate(self.macros):
            bound = parse_key_or_none(macro.key) if macro.key is not None else None
            if bound is None or bound in taken_keys:
                continue
            bound = terminal_key(bound)
            if bound in self._macro_keys.values():
                continue
            self._macro_keys[index] = bound
            self._bindings.bind(
                bound,
                f"run_macro({index})",
                macro.name,
                show=True,
                key_display=key_display(macro.key or bound),
            )
        shown = {i: key_display(self.macros[i].key or k) for i, k in self._macro_keys.items()}
        self._macro_key_labels = shown
        self.call_later(self.query_one(MacroBar).show, self.macros, shown)
        self.refresh_bindings()

    @on(MacroBar.Run)
    def _macro_button(self, message: MacroBar.Run) -> None:
        self.action_run_macro(message.index)

    def action_run_macro(self, index: int) -> None:
        """Run a macro (one AT line, a composer send or a script) through the
        scenario engine, with progress in the log like a played script."""
        from app.config.macros import macro_script
        from app.scenario import ScriptError

        if not 0 <= index < len(self.macros):
            return
        macro = self.macros[index]
        if self._script_cancel is not None:
            self.notify(f"macro {macro.name}: a script is already playing", severity="warning")
            return
        if not self.state.connected:
            self.say(f"macro {macro.name}: not run, the link is not connected", error=True)
            return
        try:
            script = macro_script(macro, self.script_variables)
        except ScriptError as exc:
            for problem in exc.problems:
                self.say(str(problem), error=True)
            return
        if macro.at is not None and len(script.steps) == 1:
            # One AT line: sent like one typed on the command line, without a
            # script's progress lines around it.
            self._data_source = "cmdline"
            self.submit(script.steps[0].text, tag="macro", on_done=self._user_result)
            return
        self._start_script(script, f"macro {macro.name}")

    def action_edit_macros(self) -> None:
        from app.config.profile import save_macros

        target = self.profile_file or profile_path("default")

        def saved(macros: list[Macro] | None) -> None:
            if macros is None:
                return
            try:
                save_macros(macros, target)
            except (OSError, ValueError) as exc:
                self.say(f"macros not saved: {exc}", error=True)
                return
            self.profile = replace(self.profile, macros=macros)
            self.profile_file = target
            self._apply_macros(macros)
            self.say(f"{len(macros)} macro(s) saved to {target}")
            self.notify(f"macros saved to {target}")

        self.push_screen(MacroEditor(self.macros, str(target)), saved)

    # ------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Open a socket", "AT+QIOPEN with a form (F2)", self.action_open_socket)
        yield SystemCommand("Refresh sockets", "AT+QISTATE? now (F5)", self.action_refresh)
        yield SystemCommand("Pause/resume polling", "QISTATE polling (F6)", self.action_toggle_poll)
        yield SystemCommand(
            "Polling interval",
            "How often AT+QISTATE? refreshes the table",
            self.action_poll_interval,
        )
        yield SystemCommand("Filter the log", "By kind and socket (F7)", self.action_filter)
        yield SystemCommand("Add a note", "An annotation in the capture (F9)", self.action_note)
        yield SystemCommand(
            "Drop a marker", "A numbered marker in the capture (F10)", self.action_marker
        )
        yield SystemCommand(
            "Payloads as text / hex / both", "Cycle (Ctrl+T)", self.action_toggle_hex
        )
        yield SystemCommand(
            "Show the welcome panel", "The demo peers and three first steps", self.action_welcome
        )
        yield SystemCommand(
            "Play a scenario script", "Run a .qis script here, step by step", self.action_run_script
        )
        yield SystemCommand("Stop the script", "Cancel the script playing", self.action_stop_script)
        yield SystemCommand(
            "Log: timestamps absolute / relative / delta", "Cycle", self.action_cycle_stamps
        )
        yield SystemCommand(
            "Log: show line endings", "Frames as on the wire (\\r\\n)", self.action_toggle_endings
        )
        yield SystemCommand(
            "Log: follow new lines / pause",
            "Resume or stop following (F8)",
            self.action_toggle_follow,
        )
        yield SystemCommand(
            "Pick a port", "Serial ports, the simulator, recent ones", self.action_pick_port
        )
        for index, macro in enumerate(self.macros):
            key = self._macro_key_labels.get(index)
            yield SystemCommand(
                f"Macro: {macro.name}",
                macro.summary() + (f" ({key})" if key else ""),
                lambda i=index: self.action_run_macro(i),
            )
        yield SystemCommand(
            "Edit macros", "Add, change, remove; saved to the profile", self.action_edit_macros
        )
        yield SystemCommand("Toggle DTR", "Data Terminal Ready line", self.action_toggle_dtr)
        yield SystemCommand("Toggle RTS", "Request To Send line", self.action_toggle_rts)
        yield SystemCommand("Send a break", "Hold TX low for 250 ms", self.action_send_break)
        yield SystemCommand("Change the baud rate", "Without restarting", self.action_change_baud)
        yield SystemCommand(
            "Save a screenshot",
            "SVG and text into the log folder (F12)",
            self.action_save_screenshot,
        )


def screen_exports(app: App[Any]) -> tuple[str, str]:
    """The screen as SVG (Textual's screenshot) and as plain text."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    text = console.export_text(clear=False)
    return app.export_screenshot(), text
