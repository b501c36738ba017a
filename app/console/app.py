"""The console: a Textual app that is a view of one :class:`~app.session.Session`.

The session owns the link, the capture, the module state and the log; it hands
what happens to :meth:`QitermApp._from_session` (from its threads), which posts
one coalescing :class:`SessionBatch` message; on the app's loop the batch is
folded into the session's state (:meth:`Session.apply`) and the panes that
changed are redrawn. The panes build their own commands and ask for them with a
:class:`~widgets.requests.CommandRequest`; results come back as futures awaited
on the app's loop, so nothing here ever blocks the serial thread.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import TabbedContent, TabPane

from app.capture.recorder import CaptureRecorder
from app.config import shipped
from app.config.files import create_unique
from app.config.profile import profile_path
from app.console.bindings import MacroKeys
from app.console.hangup import exit_on_terminate, watch_hangup
from app.console.module_actions import ModuleActions
from app.console.palette import console_commands
from app.console.panes import PaneActions
from app.console.screenshot import screen_exports
from app.console.socket_actions import SocketActions
from app.console.terminal_actions import TerminalActions
from app.link.outbox import EVENT_OVERHEAD, MAX_OUTBOX_BYTES, Skipped, droppable, event_size
from app.link.results import LinkState, Rx, Tx
from app.link.worker import SerialWorker
from app.model.journal import DEFAULT_MAXLEN
from app.model.state import Changed
from app.protocol import commands as c
from app.protocol import events as ev
from app.session.session import Session, SessionError, SessionEvent
from app.session.target import Choice, Target, TargetError, check_device, module_ip
from widgets.cmdline import AtCommandsProvider, CommandLine
from widgets.cmdlist import CommandList
from widgets.deferred import Deferred, reveal_in, reveal_later
from widgets.dialogs.choice import PollDialog
from widgets.footer import KeyFooter
from widgets.log import EventLog, LogPane
from widgets.macrobar import MacroBar
from widgets.module import ModulePane
from widgets.requests import CommandRequest
from widgets.send.composer import SendComposer
from widgets.send.history import SendHistory
from widgets.sockets import EMPTY, SocketTable
from widgets.status import StatusBar
from widgets.tools.dns import DnsForm
from widgets.tools.ntp import NtpForm
from widgets.tools.ping import PingForm

if TYPE_CHECKING:
    from app.config.macros import Macro
    from app.config.profile import LoadedProfile
    from app.config.recent import RecentPorts
    from app.demo.wiring import Demo
    from app.link.ports import PortChoice


#: The footer shows these first, whatever has the focus: Ctrl+Z and Esc while the
#: module waits for data, F1, the pane keys, quit.
PINNED_KEYS = ("ctrl+z", "escape", "f1", "ctrl+y", "ctrl+n", "ctrl+r", "ctrl+l", "ctrl+q")


def _collect_garbage_again() -> None:
    """After the first frame: turn the garbage collector back on if ``qiterm``'s
    start left it off, with what start-up built set aside for good (``gc.freeze``:
    the modules, classes and widgets stay, so later collections skip them)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _is_macro_editor(screen: Screen[Any]) -> bool:
    """Whether ``screen`` is the macro editor, without importing it (it loads
    Textual's TextArea, which the first frame does not need)."""
    editor = sys.modules.get("widgets.dialogs.macro_editor")
    return editor is not None and isinstance(screen, editor.MacroEditor)


#: Events the session handed over that the screen has not taken yet may keep this
#: much memory (the link's outbox bound); past it, lines the display can skip are
#: counted in a DisplayDropped instead: a UI that falls behind a flood stays bounded.
INBOX_MAX_BYTES = MAX_OUTBOX_BYTES
#: The view's clock at its fastest (seconds): the socket counters are redrawn at
#: most this often, a retry's countdown moves, and a poll that is due while the
#: line is busy is tried again. Idle, the clock sleeps until the next poll is due.
TICK_S = 0.25
#: "Now" for the view's clock: a Textual timer cannot be armed for 0 s.
TICK_SOONEST_S = 0.01


class SessionBatch(Message):
    """Something happened in the session: the app folds what is waiting in."""


class ConsoleScreen(Screen[None]):
    """The console's screen: Textual's default one, but it does not style every widget
    again on its first ScreenResume, nor lay itself out on a Resize that changes
    nothing (below). Each widget was styled as it mounted (and again on any
    class, focus or order change since), so that second pass over all the console's
    widgets changed nothing and only delayed the first frame. A later
    resume (back from a modal) still re-styles as Textual does."""

    _resumed = False
    #: The command line's input has the focus from the start (Textual would give it
    #: to the first focusable widget, the socket table, and on_mount then moved it:
    #: two more style passes before the first frame).
    AUTO_FOCUS = "#at-input"

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (Textual dispatches down the class's MRO).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        # Textual sends the screen several Resizes as the console starts (three seen),
        # all at the size the screen was first laid out at, and each made it lay the
        # whole screen out again before a key typed at the first frame showed. A
        # Resize to the size the screen already has changes neither the layout nor
        # the breakpoint classes: Screen's handler is skipped. Any pending layout
        # still happens on the next refresh.
        if event.size == self.outer_size:
            event.stop()
            event.prevent_default()


class QitermApp(SocketActions, PaneActions, TerminalActions, ModuleActions):
    CSS = shipped.stylesheet()
    TITLE = "qiterm"
    COMMANDS = App.COMMANDS | {AtCommandsProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "toggle_keys", "Keys", tooltip="this list of keys"),
        # A key per pane, wherever the focus is.
        Binding(
            "ctrl+y",
            "focus_pane('sockets')",
            "Sockets",
            priority=True,
            tooltip="the socket table (↑↓ Home End choose a socket for F3, F4, s)",
        ),
        Binding(
            "ctrl+n",
            "focus_pane('tabs')",
            "Tabs",
            priority=True,
            tooltip="the tabs: the shown one's first field; again: the next tab "
            "(Send, Ping, NTP, DNS, History, Commands, Module)",
        ),
        Binding(
            "ctrl+r",
            "focus_pane('log')",
            "Log",
            priority=True,
            tooltip="the log (↑↓ select a line, Enter shows it whole, z zooms, End follows)",
        ),
        Binding(
            "ctrl+l",
            "focus_pane('cmdline')",
            "Cmd line",
            priority=True,
            tooltip="the AT command line",
        ),
        Binding(
            "f2,ctrl+o", "open_socket", "Open", priority=True, tooltip="open a socket (AT+QIOPEN)"
        ),
        Binding("ctrl+s", "send", "Send", priority=True, tooltip="send what the composer holds"),
        Binding("f3", "close_socket", "Close", tooltip="close the selected socket (asks first)"),
        Binding(
            "f4", "query_acked", "Acked", tooltip="sent / acked / nAcked of the selected socket"
        ),
        Binding("f5", "refresh", "QISTATE?", tooltip="AT+QISTATE? now"),
        Binding("f6", "toggle_poll", "Poll", tooltip="pause or resume the QISTATE polling"),
        Binding("f7", "filter", "Filter", tooltip="filter the log by kind and socket"),
        Binding(
            "f8",
            "toggle_follow",
            "Follow",
            show=False,
            tooltip="the log follows new lines, or pauses",
        ),
        Binding("f9", "note", "Note", tooltip="add a note (about the selected log line)"),
        Binding("f10", "marker", "Marker", show=False, tooltip="drop a numbered marker"),
        Binding(
            "ctrl+b",
            "stop_cycles",
            "Stop repeats",
            show=False,
            priority=True,
            tooltip="stop every repeating (cyclic) macro",
        ),
        Binding(
            "f12",
            "save_screenshot",
            "Screenshot",
            show=False,
            tooltip="save the screen as SVG and text",
        ),
        Binding(
            "ctrl+f",
            "search",
            "Search",
            show=False,
            priority=True,
            tooltip="search the log (regex)",
        ),
        Binding(
            "ctrl+t",
            "toggle_hex",
            "Hex/Text",
            show=False,
            priority=True,
            tooltip="payloads in the log as text, hex, or both",
        ),
        Binding(
            "ctrl+z",
            "data_send",
            "Send",
            priority=True,
            tooltip="in data mode: send the payload",
        ),
        Binding(
            "escape",
            "data_cancel",
            "Cancel",
            priority=True,
            tooltip="in data mode: cancel the send",
        ),
    ]

    def __init__(
        self,
        session: Session,
        *,
        welcome: bool = False,
        port_lister: Callable[[list[str]], list[PortChoice]] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        #: Lists the ports for the picker (app.link.ports.list_ports unless a test fakes it).
        self.port_lister = port_lister
        self.macro_keys = MacroKeys(self)
        self.show_welcome_at_start = welcome and bool(session.target.peers_info)
        #: Which pane the person types data-mode payload in: "cmdline" or "composer".
        self._data_source = "cmdline"
        self._counters_dirty = False
        #: The view's clock (:meth:`_tick`): one timer, armed for the next moment
        #: there is work (a poll due, counters to redraw), none while nothing is.
        self._tick_timer: Timer | None = None
        self._tick_at = 0.0
        self._pending: set[asyncio.Task[Any]] = set()
        self._inbox: list[SessionEvent] = []
        self._inbox_lock = threading.Lock()
        self._inbox_posted = False
        #: What the waiting events keep (event_size); past INBOX_MAX_BYTES lines the
        #: display can skip are counted instead (the capture has every one).
        self._inbox_bytes = 0
        self._inbox_skipped = Skipped()
        #: Set once a port switch's fresh state has reached the screen.
        self._switched = asyncio.Event()

    @classmethod
    def for_url(
        cls,
        url: str = "sim://",
        baudrate: int = 115200,
        *,
        capture: CaptureRecorder | None = None,
        poll_interval: float | None = None,
        journal_size: int = DEFAULT_MAXLEN,
        log_memory: int | None = None,
        worker: SerialWorker | None = None,
        demo: Demo | None = None,
        profile: LoadedProfile | None = None,
        peers: bool = True,
        recent: RecentPorts | None = None,
        welcome: bool = False,
        port_lister: Callable[[list[str]], list[PortChoice]] | None = None,
        module_interval: float = 0.0,
    ) -> QitermApp:
        """A console on ``url`` as it is given (no demo peers are started; pass
        ``demo`` when ``url`` is already wired to running ones). The Module pane
        reads the module only when asked unless ``module_interval`` says."""
        variables: dict[str, str] = {}
        if demo is not None:
            from app.demo.wiring import simulator_variables

            variables = simulator_variables(demo, module_ip(url))
        target = Target(url, url, demo, variables)
        session = Session(
            target,
            baudrate,
            capture=capture,
            profile=profile,
            poll_interval=poll_interval,
            journal_size=journal_size,
            log_memory=log_memory,
            worker=worker,
            peers=peers,
            recent=recent,
            remember=False,  # a port chosen by the caller, not picked by a person
            module_interval=module_interval,
        )
        return cls(session, welcome=welcome, port_lister=port_lister)

    # ------------------------------------------------------------------ layout

    def get_default_screen(self) -> Screen[None]:
        return ConsoleScreen(id="_default")

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Style ``node`` and its children again after a class change, as Textual
        does, unless ``node`` is not in the DOM yet. Textual styles a widget as it
        mounts; a class set before that (a ``compact=True`` given to a Select, a
        Button or a footer key, a Select's ``-has-value``, a class a widget sets in
        its constructor) made it style the lone widget at once as well, for nothing:
        about forty such passes before the console's first frame."""
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def _size_classes(self) -> None:
        """Give the screen its breakpoint classes (``-wide``, ``-tall``...) for the
        terminal's size before its widgets are styled. Textual sets them on the
        screen's first Resize, which comes after the first frame, and then styles the
        whole screen again (about 35 ms, which a key typed at the first frame waited
        behind); set already, that Resize changes nothing."""
        width, height = self.size
        wanted: dict[str, bool] = {}
        for size, breakpoints in (
            (width, self.HORIZONTAL_BREAKPOINTS),
            (height, self.VERTICAL_BREAKPOINTS),
        ):
            chosen = [name for at, name in sorted(breakpoints, reverse=True) if size >= at][:1]
            wanted.update({name: name in chosen for _, name in breakpoints})
        self.screen.update_classes(wanted)

    def compose(self) -> ComposeResult:
        self._size_classes()
        # Kept so a port switch can re-fill them, mounted or not yet (Deferred).
        self._forms = (PingForm(id="ping"), NtpForm(id="ntp"), DnsForm(id="dns"))
        self._prefill_forms()
        yield StatusBar(id="status")
        yield SocketTable(id="sockets", empty=EMPTY)
        with Container(id="work"):
            with Vertical(id="left"), TabbedContent(id="tabs"):
                with TabPane("Send", id="tab-send"):
                    yield SendComposer(id="composer")
                # The hidden tabs mount when first shown, or a second after the first
                # frame, one at a time (a faster start; widgets/deferred.py).
                with TabPane("Ping", id="tab-ping"):
                    yield Deferred(self._forms[0])
                with TabPane("NTP", id="tab-ntp"):
                    yield Deferred(self._forms[1])
                with TabPane("DNS", id="tab-dns"):
                    yield Deferred(self._forms[2])
                with TabPane("History", id="tab-history"):
                    yield Deferred(SendHistory(id="history"))
                with TabPane("Commands", id="tab-commands"):
                    yield Deferred(CommandList(self.session.profile.commands, id="cmdlist"))
                with TabPane("Module", id="tab-module"):
                    yield Deferred(ModulePane(id="module"))
            with Vertical(id="right"):
                yield LogPane(EventLog(self.journal, id="log"))
        yield MacroBar(id="macrobar")
        yield CommandLine(id="cmdline")
        yield KeyFooter(PINNED_KEYS)

    def on_mount(self) -> None:
        self.call_after_refresh(_collect_garbage_again)
        self.call_after_refresh(reveal_later, self.screen)
        session = self.session
        session.listen(self._from_session)
        self.call_after_refresh(self._start_session)
        watch_hangup(self)  # a dead terminal ends the console (link, capture closed)
        exit_on_terminate(self)  # so does SIGTERM, with the terminal restored
        self._show_status()
        self.arm_tick()
        self.query_one("#cmdline", CommandLine).input.focus()
        if self.capture is not None:
            self.say(f"capturing to {self.capture.path}")
        for line in session.target.peers_info:
            self.say(f"demo peer: {line}")
        event_log = self.query_one(EventLog)
        event_log.highlights = tuple(
            (rule.pattern, rule.style) for rule in session.profile.highlights
        )
        event_log.copy_folder = self.copy_folder()
        event_log.clearable = True
        if session.text_log is not None:
            self.say(f"text log: {session.text_log.path}")
        self._apply_macros(session.macros)
        if session.profile_file is not None and not session.profile_problems:
            self.say(f"profile: {session.profile_file}")
        for problem in session.profile_problems:
            self.say(f"profile: {problem}", error=True, toast=False)
        if session.profile_problems:
            n = len(session.profile_problems)
            self.notify(
                f"The profile has {n} problem{'s' if n != 1 else ''} (see the log); "
                "defaults are used for those keys.",
                severity="warning",
                timeout=8,
            )
        if self.show_welcome_at_start:
            self.action_welcome()

    def _start_session(self) -> None:
        """Open the link once the first frame is on the screen. Opened from on_mount,
        its thread (loading the simulated module, the start-up queries, the capture,
        the first batches for the log) ran alongside the first layout and delayed the
        first frame, and a key typed at it, by tens of ms. The capture still has
        everything from the link's first byte: it was opened before the app ran, and
        the port is opened here. Not when the console is already closing."""
        if self.screen.is_attached:
            self.session.start()

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        await reveal_in(event.pane)  # a hidden tab opened before its widget mounted

    async def on_unmount(self) -> None:
        self.session.listen(None)
        await asyncio.to_thread(self.session.close)
        if self.capture is not None:
            self.capture.close()
        if self.session.text_log is not None:
            await asyncio.to_thread(self.session.text_log.close)

    # -- the one path from the session ------------------------------------------------

    def _from_session(self, batch: list[SessionEvent]) -> None:
        """The session's listener (any thread): queue, and post one message for
        whatever is waiting."""
        with self._inbox_lock:
            for item in batch:
                if isinstance(item, Rx | Tx):
                    size = event_size(item)
                    if self._inbox_bytes + size > INBOX_MAX_BYTES and droppable(item):
                        self._inbox_skipped.add(item, self.state.recv_hex)
                        continue
                else:
                    size = EVENT_OVERHEAD
                self._inbox.append(item)
                self._inbox_bytes += size
            if self._inbox_posted:
                return
            self._inbox_posted = True
        try:
            self.post_message(SessionBatch())
        except RuntimeError:
            pass  # the app's loop is gone (shutting down); the capture has everything

    @on(SessionBatch)
    def _session_batch(self) -> None:
        with self._inbox_lock:
            batch, self._inbox = self._inbox, []
            self._inbox_posted = False
            self._inbox_bytes = 0
            dropped = self._inbox_skipped.take()
            if dropped is not None:
                batch.append(dropped)
        if batch:
            try:
                self.apply_batch(batch)
            except NoMatches:
                pass  # a batch that arrived while the screen was torn down at exit

    def apply_batch(self, batch: list[SessionEvent]) -> None:
        """Fold ``batch`` into the session and redraw what changed."""
        update = self.session.apply(batch)
        if update.shown:
            self.query_one(EventLog).entries_added()
        for error in update.errors:
            self.notify(error, severity="error", timeout=6)
        ping = self._forms[0]
        for rx in update.received:
            is_reply = isinstance(rx.event, ev.QPingReply | ev.QPingResult)
            if rx.tag == "ping" and is_reply and ping.is_mounted:
                ping.reply(rx.event)
        if update.switched:
            self._prefill_forms()
            self.query_one(CommandLine).set_data_mode(False)
            self._switched.set()
        changed = update.changed
        if Changed.SOCKETS in changed:
            self.query_one(SocketTable).show(self.state)
            self.query_one(SendComposer).update_targets(self.state)
            self._counters_dirty = False
        elif Changed.COUNTERS in changed:
            self._counters_dirty = True  # redrawn by _tick, at most 4 times a second
        if Changed.STATUS in changed or Changed.MODULE in changed:
            self.show_module()
        if Changed.STATUS in changed or update.script:
            self._show_status()
            self.query_one(CommandLine).send_hex = self.state.send_hex
            self.query_one(SendComposer).update_targets(self.state)
        if Changed.DATA_MODE in changed:
            self._data_mode_changed()
        if update.cycles:
            self.cycles_changed(update.cycles)
        if update.ended is not None and update.ended.passed:
            self.notify(f"script: {update.ended.summary}")
        self.arm_tick()  # counters to redraw, or a poll due now (connected, idle again)

    @on(CommandLine.Submitted)
    def _command_line(self, message: CommandLine.Submitted) -> None:
        line = message.line
        if not self.state.connected:
            link = self.state.link
            why = "the link is not connected"
            if link is not None and link.state is LinkState.SYNCING:
                why = "the link is synchronising with the module (the header says when done)"
            self.say(f"{line}: not sent, {why}", error=True)
            return
        self._data_source = "cmdline"
        self.send_line(line)

    @on(CommandRequest)
    def _command_request(self, message: CommandRequest) -> None:
        """A pane's command (a form, the composer, the open-socket dialog)."""
        if message.typed_by is not None:
            self._data_source = message.typed_by
        self.submit(message.command, tag=message.tag, on_done=message.reply)

    # ------------------------------------------------------------- polling

    def _show_status(self) -> None:
        self.query_one(StatusBar).show(
            self.state,
            self.session.polling_label,
            self.session.target.label,
            local_echo=self.session.local_echo,
        )

    def show_status(self) -> None:
        self._show_status()

    def _tick(self) -> None:
        self._tick_timer = None
        try:
            table = self.query_one(SocketTable)
        except NoMatches:
            return  # the screen is being torn down at exit
        if self._counters_dirty:
            self._counters_dirty = False
            table.show(self.state)
        if self.state.link is not None and self.state.link.retry_at is not None:
            self._show_status()
        self.session.tick()
        self.arm_tick()

    def _tick_delay(self) -> float | None:
        """Seconds until :meth:`_tick` has work, or None: counters to redraw or a
        retry's countdown (every :data:`TICK_S`), a poll or a Module pane read
        when due, and, due but the line busy, every :data:`TICK_S` until it is
        idle. Not connected, nothing is sent: the link's status wakes it."""
        soon: list[float] = []
        link = self.state.link
        if self._counters_dirty or (link is not None and link.retry_at is not None):
            soon.append(TICK_S)
        due = self.session.due_in()
        if due is not None and self.state.connected:
            soon.append(due if due > 0 or self.session.idle else TICK_S)
        return min(soon) if soon else None

    def arm_tick(self) -> None:
        """Arm the view's clock for the next moment it has work (sooner only: a
        timer armed for earlier stays); with nothing to do it sleeps, so an
        idle console wakes when a poll is due rather than four times a second."""
        if not self.is_running:
            return
        delay = self._tick_delay()
        if delay is None:
            return  # what would need it (a batch, a choice) arms it again
        delay = max(delay, TICK_SOONEST_S)
        at = time.monotonic() + delay
        if self._tick_timer is not None:
            if self._tick_at <= at:
                return
            self._tick_timer.stop()
        self._tick_at = at
        self._tick_timer = self.set_timer(delay, self._tick, name="view clock")

    def action_toggle_poll(self) -> None:
        self.session.set_polling(not self.session.polling)
        self._show_status()
        self.arm_tick()
        self.notify(f"QISTATE polling {'on' if self.session.polling else 'paused'}")

    def action_poll_interval(self) -> None:
        def chosen(seconds: float | None) -> None:
            if seconds is None:
                return
            self.session.set_polling(True, seconds)
            self._show_status()
            self.arm_tick()
            self.notify(
                f"QISTATE polling every {seconds:g} s" if seconds > 0 else "QISTATE polling paused"
            )

        self.push_screen(PollDialog(self.session.poll_interval), chosen)

    def action_refresh(self) -> None:
        self.submit(c.qistate_read(), on_done=self._user_result)

    # ------------------------------------------------------------- sockets

    # ---------------------------------------------------------------- send

    def action_send(self) -> None:
        self.query_one(TabbedContent).active = "tab-send"
        self.query_one(SendComposer).submit()

    @on(SendComposer.HistoryChanged)
    def _history_changed(self) -> None:
        history = self.query(SendHistory)
        if history:
            history.first().show(self.query_one(SendComposer).history)

    @on(SendHistory.Picked)
    def _history_picked(self, message: SendHistory.Picked) -> None:
        composer = self.query_one(SendComposer)
        if 0 <= message.index < len(composer.history):
            composer.refill(composer.history[message.index])
            self.query_one(TabbedContent).active = "tab-send"

    # ----------------------------------------------------------- data mode

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("data_send", "data_cancel"):
            # Not under a dialog: its Esc is its own (a form about to be left open).
            modal = isinstance(self.screen, ModalScreen)
            return self.state.data_mode and self.state.awaiting_input and not modal
        if action == "send" and _is_macro_editor(self.screen):
            return False  # the editor's own Ctrl+S saves
        # No macro runs while a dialog is open.
        return not (action == "run_macro" and isinstance(self.screen, ModalScreen))

    # ------------------------------------------------------------ the log

    # The log pane owns these; the app's keys reach it wherever the focus is.

    def action_toggle_hex(self) -> None:
        self.query_one(LogPane).action_cycle_payload()

    def action_cycle_stamps(self) -> None:
        self.query_one(LogPane).action_cycle_stamps()

    def action_toggle_endings(self) -> None:
        self.query_one(LogPane).action_toggle_endings()

    def action_toggle_follow(self) -> None:
        self.query_one(LogPane).action_toggle_follow()

    def action_filter(self) -> None:
        def apply(result: Any) -> None:
            if result is None:
                return
            self.journal.filter = result
            self.journal.refilter()
            self.query_one(EventLog).reset()

        from widgets.dialogs.filter import FilterDialog  # loaded when first opened

        self.push_screen(FilterDialog(self.journal.filter), apply)

    def action_search(self) -> None:
        self.query_one(LogPane).action_search()

    def action_note(self) -> None:
        log_ = self.query_one(EventLog)
        view = self.journal.view
        index = log_.match_index
        selected = view[index] if index is not None and index < len(view) else None

        def add(text: str | None) -> None:
            if text:
                self.session.note(text, ref=selected.capture_seq if selected is not None else None)

        from widgets.dialogs.note import NoteDialog  # loaded when first opened

        self.push_screen(NoteDialog(selected.text if selected is not None else ""), add)

    def action_marker(self) -> None:
        self.session.marker()

    # ---------------------------------------------------------- screenshots

    def action_save_screenshot(self) -> None:
        """Save the screen as SVG and as plain text next to the capture."""
        folder = self.capture.path.parent if self.capture is not None else Path.cwd()
        try:
            svg, text = screen_exports(self)
            # New private files (0600, like the capture); a second F12 in the same
            # second gets a -2 name instead of overwriting the first.
            base, fds = create_unique(
                folder, f"qiterm-screen-{time.strftime('%Y%m%d-%H%M%S')}", (".svg", ".txt")
            )
            for fd, content in zip(fds, (svg, text), strict=True):
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(content)
        except OSError as exc:
            self.say(f"screenshot not saved: {exc.strerror or exc}", error=True)
            return
        if self.capture is not None:
            self.capture.screenshot(base.with_name(base.name + ".svg"))
        self.say(f"screenshot saved: {base}.svg and .txt")
        self.notify(f"screenshot: {base.name}.svg / .txt")

    # ------------------------------------------------------------ scripts

    def action_run_script(self) -> None:
        """Play a scenario script on this link, with progress in the log."""
        if self.session.playing:
            self.notify("A script is already playing (palette: Stop the script).")
            return
        names = [s.name for s in shipped.scenarios()]
        from widgets.dialogs.script import ScriptDialog  # loaded when first opened

        self.push_screen(ScriptDialog(names), self._script_chosen)

    def _script_chosen(self, name: str | None) -> None:
        """A shipped scenario by name, or a path to a script."""
        from app.scenario import ScriptError

        if not name:
            return
        try:
            script = shipped.load_scenario(name, self.session.target.variables)
        except ScriptError as exc:
            for problem in exc.problems:
                self.say(str(problem), error=True)
            return
        try:
            self.session.play(script, str(script.path))
        except SessionError as exc:
            self.notify(str(exc), severity="warning")

    def action_stop_script(self) -> None:
        if not self.session.stop_script():
            self.notify("No script is playing.")

    def action_welcome(self) -> None:
        peers = self.session.target.peers_info
        if not peers:
            self.notify("No demo peers: qiterm starts them only on the built-in simulator.")
            return
        from widgets.dialogs.welcome import WelcomeScreen  # loaded when first opened

        self.push_screen(WelcomeScreen(peers, self.form_defaults))

    # ------------------------------------------------------------ ports

    def action_pick_port(self) -> None:
        """List the ports (Quectel first, the simulator always, recent ones) and
        switch to the one chosen."""
        from app.link.ports import list_ports
        from widgets.dialogs.port_picker import PortPicker

        recent = self.session.recent.load() if self.session.recent is not None else []
        target = self.session.target
        current = "sim://" if target.builtin else target.device
        lister = self.port_lister or list_ports

        def chosen(device: str | None) -> None:
            if device is None or device == current:
                return
            try:
                check_device(device)
            except TargetError as exc:
                self.say(f"not switched: {exc}", error=True)
                return
            self.run_worker(self.switch_port(device), group="switch-port", exclusive=True)

        self.push_screen(PortPicker(lambda: lister(recent), current=current), chosen)

    async def switch_port(self, device: str, baudrate: int | None = None) -> None:
        """Close the link cleanly and open ``device`` instead (the session does it
        on a thread); returns once the fresh state is on screen."""
        self._switched.clear()
        await asyncio.to_thread(self.session.switch, device, baudrate)
        await self._switched.wait()

    def _prefill_forms(self) -> None:
        """The ping, NTP and DNS forms filled from :attr:`form_defaults`."""
        d = self.form_defaults

        def choices(key: str) -> list[Choice]:
            found = d.get(key)
            return [c for c in found if isinstance(c, Choice)] if isinstance(found, list) else []

        ping, ntp, dns = self._forms
        ping.prefill(str(d.get("ping_host", "")), choices("host_choices"))
        port = d.get("ntp_port", 123)
        ntp.prefill(
            str(d.get("ntp_server", "")),
            port if isinstance(port, int) else 123,
            choices("ntp_choices"),
        )
        dns.prefill(
            str(d.get("dns_name", "")),
            str(d.get("dns_server", "")),
            choices("name_choices"),
            choices("dns_choices"),
        )

    # ------------------------------------------------------------ macros

    def _apply_macros(self, macros: list[Macro]) -> None:
        """Bind the macros' keys (those the console does not use) and show the bar."""
        if not macros and not self.macro_keys.bound and not self.query_one(MacroBar).macros:
            return  # nothing to bind or show (and the macro code stays unloaded)
        for problem in self.macro_keys.bind(macros):
            self.say(problem, error=True, toast=False)
        self.call_later(self.query_one(MacroBar).show, macros, dict(self.macro_keys.labels))

    @on(MacroBar.Run)
    def _macro_button(self, message: MacroBar.Run) -> None:
        self.action_run_macro(message.index)

    def action_run_macro(self, index: int) -> None:
        """Run a macro: one AT line is sent like a typed one; a send or a script
        plays with progress in the log."""
        macros = self.session.macros
        if not 0 <= index < len(macros):
            return
        try:
            future = self.session.run_macro(macros[index])
        except SessionError as exc:
            for line in str(exc).splitlines():
                self.say(line, error=True)
            return
        if future is not None:
            self._data_source = "cmdline"
            self._when_done(future, self._user_result)

    def action_edit_macros(self) -> None:
        target = self.session.profile_file or profile_path("default")

        def saved(macros: list[Macro] | None) -> None:
            if macros is None:
                return
            try:
                path = self.session.save_macros(macros)
            except (OSError, ValueError) as exc:
                self.say(f"macros not saved: {exc}", error=True)
                return
            self._apply_macros(macros)
            self.say(f"{len(macros)} macro(s) saved to {path}")
            self.notify(f"macros saved to {path}")

        from widgets.dialogs.macro_editor import MacroEditor  # on first use: a faster start

        self.push_screen(MacroEditor(self.session.macros, str(target)), saved)

    # ------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from console_commands(self)
