"""The session core: one link, its capture, the module state and the log, and
what runs on them — the QISTATE polling, scripts and macros, line control and
port switches. No Textual: the console is a view of a session, and
``qiterm run`` drives one headless.

Threads and the one path into a view
------------------------------------
The serial worker's dispatcher thread, a playing script's thread and a port
switch's thread all hand what happened to :meth:`Session._publish`, which calls
the one listener a view registered (:meth:`Session.listen`) with a batch of
:data:`SessionEvent` items. The listener must not block: the console turns each
call into a coalescing Textual message. The view then calls :meth:`apply` on
its own thread, the only one that touches :attr:`state` and :attr:`journal`.

Everything else here may be called from any thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from app.capture.recorder import CaptureRecorder
from app.config.profile import (
    DEFAULT_POLL,
    LINE_ENDINGS,
    LoadedProfile,
    Profile,
    profile_path,
)
from app.link.port import PortSettings
from app.link.ports import is_builtin_simulator
from app.link.results import CommandResult, LinkEvent, LinkState, RawResult, Rx
from app.link.worker import SerialWorker
from app.model.journal import DEFAULT_MAXLEN, Category, Journal, LogEntry, entries_for
from app.model.state import Changed, ModuleState
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.typed import ESCAPE_GUARD_S, Kind, parse_typed
from app.session import module_reads
from app.session.answers import Answers, AnswersChanged
from app.session.cycles import CycleChanged, Cycles
from app.session.module_reads import ModuleReads
from app.session.target import Target, check_device, resolve, rewire
from app.sim.config import url_exposes
from app.sim.reach import EXPOSED_WARNING

if TYPE_CHECKING:
    from app.capture.textlog import TextLog
    from app.config.macros import Macro
    from app.config.recent import RecentPorts
    from app.scenario import Report, Script, StepResult

log = logging.getLogger(__name__)

DEFAULT_BAUD = 115200


class SessionError(Exception):
    """An action that cannot be done now; the message says why, for a person."""


# -- what a session publishes besides link events ------------------------------------


class Said(msgspec.Struct, frozen=True):
    """A line of qiterm's own for the log: a message, an error, a note or a marker."""

    text: str
    category: Category = Category.APP
    wall: float = msgspec.field(default_factory=time.time)
    #: An error a view should show beyond the log (a toast); False for problems
    #: that are listed together (a profile's).
    loud: bool = True


class ScriptProgress(msgspec.Struct, frozen=True):
    """A step of the playing script or macro finished (``done`` of ``total``)."""

    text: str
    failed: bool
    done: int
    total: int


class ScriptEnded(msgspec.Struct, frozen=True):
    summary: str
    passed: bool


class PortSwitched(msgspec.Struct, frozen=True):
    """The session now talks to ``target`` at ``baudrate`` (a fresh module state)."""

    target: Target
    baudrate: int


SessionEvent = (
    LinkEvent | Said | ScriptProgress | ScriptEnded | PortSwitched | CycleChanged | AnswersChanged
)
Listener = Callable[[list[SessionEvent]], None]


@dataclass
class Update:
    """What one :meth:`Session.apply` changed, for the view to redraw."""

    changed: set[Changed] = field(default_factory=set)
    #: Journal entries that became visible.
    shown: int = 0
    #: Lines received, in order (for views that route deferred results).
    received: list[Rx] = field(default_factory=list)
    #: Errors said by the session (a view may also toast them).
    errors: list[str] = field(default_factory=list)
    #: A script started a step, or ended (``ended``: its summary and whether it passed).
    script: bool = False
    ended: ScriptEnded | None = None
    #: The port changed: forms and welcome lines follow :attr:`Session.target`.
    switched: bool = False
    #: Cyclic macros that started, ran once more or stopped, in order.
    cycles: list[CycleChanged] = field(default_factory=list)
    #: An automatic answer fired or was switched on or off.
    answers: bool = False


class Session:
    """One session of qiterm with a module (see the module docstring)."""

    def __init__(
        self,
        target: Target,
        baudrate: int = DEFAULT_BAUD,
        *,
        capture: CaptureRecorder | None = None,
        profile: LoadedProfile | None = None,
        poll_interval: float | None = None,
        journal_size: int = DEFAULT_MAXLEN,
        log_memory: int | None = None,
        worker: SerialWorker | None = None,
        reconnect: bool = True,
        peers: bool = True,
        recent: RecentPorts | None = None,
        remember: bool = True,
        module_interval: float | None = None,
        settings: PortSettings | None = None,
        line_ending: bytes | None = None,
        local_echo: bool | None = None,
        text_log: TextLog | None = None,
    ) -> None:
        loaded = profile or LoadedProfile(Profile())
        self.target = target
        self.capture = capture
        #: The device profile (defaults when none was given) and where it saves.
        self.profile: Profile = loaded.profile
        self.profile_file: Path | None = loaded.path
        self.profile_problems: list[str] = list(loaded.problems)
        #: The keys the profile file set (the others are defaults, not choices).
        self.profile_given: frozenset[str] = frozenset(loaded.given)
        self.reconnect = reconnect
        #: Start the demo peers when switching to the built-in simulator.
        self.peers = peers
        self.recent = recent
        self.state = ModuleState(url=target.url, baudrate=baudrate)
        #: The log's byte bound: the argument's, else the profile's (log_memory).
        self.log_memory = self.profile.log_memory if log_memory is None else log_memory
        self.journal = Journal(journal_size, self.log_memory)
        self.journal.filter.local_echo = (
            self.profile.local_echo if local_echo is None else local_echo
        )
        #: Framing and flow control the port opens with (the baud rate is apart).
        self.port_settings = settings or self.profile.port_settings
        self._line_ending = line_ending or self.profile.line_terminator
        #: The live text log following the capture (its owner closes it).
        self.text_log = text_log
        #: The last command line a person sent (``A/`` sends it again).
        self.last_line: str | None = None
        self.cycles = Cycles(self)
        self.answers = Answers(self, self.profile.answers)
        interval = self.profile.poll_interval if poll_interval is None else poll_interval
        #: 0 starts with the polling paused; resuming then polls at the default period.
        self.poll_interval = interval if interval > 0 else DEFAULT_POLL
        self.polling = interval > 0
        #: The Module pane's automatic reads (app/session/module_reads.py); None
        #: means the default: on for the built-in simulator, off on a real port.
        self._module_chosen = module_interval is not None
        self.module_reads = ModuleReads(
            module_interval if module_interval is not None else self._module_default(target)
        )
        #: "script 3/7" while a script or macro plays.
        self.script_progress = ""
        self.link = worker or self._new_worker(target.url, baudrate)
        self._listener: Listener | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._last_poll = 0.0
        self._script_cancel: threading.Event | None = None
        self._script_lock = threading.Lock()
        #: The port as chosen: remembered as recent once it connects (a typo never is).
        self._remember: str | None = target.device if remember else None

    # -- life ---------------------------------------------------------------------

    def listen(self, listener: Listener | None) -> None:
        """The one callback that receives what happens (from any thread; it must
        not block). None: nobody listens (headless)."""
        self._listener = listener

    def start(self) -> None:
        """Subscribe to the link and open the port (once)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.link.subscribe(self._from_link)
        if not self.link.started:
            self._warn_if_exposed()
            self.link.start()

    def _warn_if_exposed(self) -> None:
        """A simulated module opened with ``expose=1`` may be reachable from the
        network: said in the log (as an error, so it is seen) and in the capture."""
        if not url_exposes(self.target.url):
            return
        text = f"sim: {EXPOSED_WARNING}"
        if self.capture is not None:
            self.capture.note(text)
        self.say(text, error=True)

    def close(self) -> None:
        """Stop a playing script, close the link and stop the demo peers (blocks
        for up to a few seconds; the capture stays open for its owner to close)."""
        self.stop_script()
        self.cycles.stop_all("stopped: the session ended")
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.link.close()
        self.target.stop()

    def wait_ready(self, connect_timeout: float, init_timeout: float) -> str | None:
        """Wait for the port to open and the start-up queries to finish; None when
        ready, else why not (the port cannot be opened, or did not open in time)."""
        state = self.link.wait_state(LinkState.CONNECTED, LinkState.CLOSED, timeout=connect_timeout)
        if state is not LinkState.CONNECTED:
            return self.link.status.message or (
                f"cannot open {self.target.url} within {connect_timeout:.0f} s"
            )
        self.link.wait_idle(init_timeout)
        return None

    # -- the view's side -------------------------------------------------------------

    def apply(self, batch: Sequence[SessionEvent]) -> Update:
        """Fold ``batch`` into :attr:`state` and :attr:`journal` (on the view's thread)."""
        update = Update()
        entries: list[LogEntry] = []
        recv_hex = self.state.recv_hex
        for item in batch:
            if isinstance(item, Said):
                entries.append(LogEntry(item.wall, "app", item.category, item.text))
                if item.category is Category.ERROR and item.loud:
                    update.errors.append(item.text)
            elif isinstance(item, ScriptProgress):
                self.script_progress = f"script {item.done}/{item.total}"
                category = Category.ERROR if item.failed else Category.APP
                entries.append(LogEntry(time.time(), "app", category, item.text))
                update.script = True
            elif isinstance(item, ScriptEnded):
                self.script_progress = ""
                category = Category.APP if item.passed else Category.ERROR
                entries.append(LogEntry(time.time(), "app", category, f"script: {item.summary}"))
                update.script = True
                update.ended = item
            elif isinstance(item, CycleChanged):
                update.cycles.append(item)
            elif isinstance(item, AnswersChanged):
                update.answers = True
            elif isinstance(item, PortSwitched):
                problem = self.state.capture_problem
                self.state = ModuleState(url=item.target.url, baudrate=item.baudrate)
                self.state.capture_problem = problem
                recv_hex = False
                update.switched = True
                update.changed |= {Changed.SOCKETS, Changed.STATUS, Changed.DATA_MODE}
                if not self._module_chosen:
                    self.module_reads.set_interval(self._module_default(item.target))
                self.module_reads.connected()
            else:
                was_connected = self.state.connected
                update.changed |= self.state.apply(item)
                if self.state.connected and not was_connected:
                    self.module_reads.connected()  # in step again: read the module
                for entry in entries_for(item, recv_hex):
                    if self.capture is not None:
                        entry.capture_seq = self.capture.seq_of(item)
                    entries.append(entry)
                if isinstance(item, Rx):
                    update.received.append(item)
                    self._route(item)
                recv_hex = self.state.recv_hex
        self._capture_health(entries, update)
        if entries:
            update.shown = self.journal.add(entries)
        if Changed.STATUS in update.changed and self._remember and self.state.connected:
            self._remember_port(self._remember)
        return update

    def _capture_health(self, entries: list[LogEntry], update: Update) -> None:
        """A capture that stopped writing (a full disk) is said once, loudly, and
        shown in the header until writes work again; then the gap is said too."""
        if self.capture is None:
            return
        problem = self.capture.problem
        was = self.state.capture_problem
        if problem == was:
            return
        self.state.capture_problem = problem
        update.changed.add(Changed.STATUS)
        path = self.capture.path
        if problem and not was:
            text = f"capture {path}: {problem}; the link goes on, writing is retried"
            entries.append(LogEntry(time.time(), "app", Category.ERROR, text))
            update.errors.append(text)
        elif not problem:
            text = (
                f"capture {path}: writing again; {self.capture.lost} record(s) in all "
                "are missing (a note in the file marks each gap)"
            )
            entries.append(LogEntry(time.time(), "app", Category.APP, text))

    def _route(self, rx: Rx) -> None:
        opened = isinstance(rx.event, ev.QiOpenResult) and rx.event.result == 0
        if opened or isinstance(rx.event, ev.QiUrcIncoming):
            self._last_poll = 0.0  # a new socket: poll at the next idle moment for its port

    def _remember_port(self, device: str) -> None:
        """A port that connected goes first in the recent list."""
        self._remember = None
        if self.recent is not None:
            recent = self.recent
            threading.Thread(target=recent.add, args=(device,), daemon=True).start()

    # -- talking to the module ----------------------------------------------------------

    def submit(self, command: c.AtCommand | str, tag: str = "user") -> Future[CommandResult]:
        """Queue a command (a line is checked first: AtSyntaxError for one that is
        not an AT command, before anything reaches the wire)."""
        return self.link.submit(command, tag=tag)

    def send_line(self, line: str, tag: str = "user") -> Future[CommandResult] | Future[RawResult]:
        """Send a line as typed (:mod:`app.protocol.typed`): an AT command, ``A/``
        (the last command line again), ``+++``, ``!raw TEXT`` or ``!hex DIGITS``.
        AtSyntaxError, PayloadError or SessionError say why a line cannot go."""
        typed = parse_typed(line)
        if typed.kind is Kind.COMMAND:
            future = self.submit(typed.text, tag=tag)
            if tag == "user":
                self.last_line = typed.text
            return future
        if typed.kind is Kind.REPEAT:
            if self.last_line is None:
                raise SessionError("A/: no command line to repeat yet")
            self.say(f"A/: {self.last_line} again")
            return self.submit(self.last_line, tag=tag)
        data = typed.data + (self._line_ending if typed.with_line_ending else b"")
        guard = ESCAPE_GUARD_S if typed.kind is Kind.ESCAPE else 0.0
        return self.link.send_raw(data, tag=tag, guard=guard)

    def retry_port(self) -> None:
        """Try to open the port again now (after an open error that is not retried
        by itself, such as no such device or permission denied)."""
        self.link.retry()

    def data_send(self, payload: bytes) -> Future[Any]:
        """Type ``payload`` at the '>' prompt and send it with Ctrl-Z."""
        return self.link.data_mode_send(payload)

    def data_cancel(self) -> Future[Any]:
        """Esc at the '>' prompt: leave data mode without sending."""
        return self.link.data_mode_cancel()

    @property
    def idle(self) -> bool:
        """Connected, nothing queued or in flight, not in data mode."""
        return self.state.connected and not self.link.busy

    def say(self, text: str, *, error: bool = False, loud: bool = True) -> None:
        """A message of qiterm's own in the log (from any thread); an error is
        also shown beyond the log unless ``loud`` is False."""
        self._publish([Said(text, Category.ERROR if error else Category.APP, loud=loud)])

    def event(self, what: str, text: str) -> None:
        """One of qiterm's own events (an answer fired, a cyclic send, a setting
        changed): a record in the capture and a line in the log (any thread)."""
        if self.capture is not None:
            self.capture.event(what, text)
        self._publish([Said(text)])

    def note(self, text: str, ref: int | None = None) -> None:
        """An annotation in the capture (about record ``ref``) and the log."""
        if self.capture is not None:
            self.capture.note(text, ref=ref)
        self._publish([Said(f"// {text}", Category.NOTE)])

    def marker(self) -> int:
        """A numbered marker in the capture and the log; returns its number."""
        if self.capture is not None:
            number = self.capture.marker()
        else:
            with self._script_lock:
                self._markers = getattr(self, "_markers", 0) + 1
                number = self._markers
        self._publish([Said(f"── marker {number} ──", Category.MARKER)])
        return number

    # -- polling ----------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> bool:
        """The polling policy, called by the view when :meth:`due_in` says
        something is due (and again while the line is busy), sending only while
        the line is idle (never in data mode): the Module pane's reads when they
        are due (at connect, then every :attr:`module_interval`), else AT+QISTATE?
        when polling is on and its period has passed. True when something went out."""
        now = time.monotonic() if now is None else now
        if not self.idle:
            return False
        reads = self.module_reads.take(now)
        if reads:
            for command in reads:
                self.link.submit(command, tag=module_reads.TAG)
            return True
        if not self.polling or now - self._last_poll < self.poll_interval:
            return False
        self._last_poll = now
        self.link.submit(c.qistate_read(), tag="poll")
        return True

    def due_in(self, now: float | None = None) -> float | None:
        """Seconds from ``now`` until :meth:`tick` has something to send, were the
        line idle (0: now): the sooner of the Module pane's reads and the next
        poll; None when neither runs by itself (polling paused, reads off). The
        view's clock sleeps until then rather than asking a few times a second."""
        now = time.monotonic() if now is None else now
        due = [self.module_reads.due_in(now)]
        if self.polling:
            due.append(max(0.0, self._last_poll + self.poll_interval - now))
        times = [d for d in due if d is not None]
        return min(times) if times else None

    def set_polling(self, on: bool, interval: float | None = None) -> None:
        """Resume or pause the polling; ``interval`` (seconds, 0 pauses) sets its period."""
        if interval is not None:
            if interval <= 0:
                on = False
            else:
                self.poll_interval = interval
        self.polling = on

    # -- the Module pane's reads ----------------------------------------------------------

    @staticmethod
    def _module_default(target: Target) -> float:
        return module_reads.SIM_INTERVAL if target.builtin else 0.0

    @property
    def module_interval(self) -> float:
        """Seconds between the Module pane's automatic reads (0: off)."""
        return self.module_reads.interval

    def set_module_interval(self, seconds: float) -> None:
        """Read the module every ``seconds`` (0: only when asked), from now on."""
        self._module_chosen = True
        self.module_reads.set_interval(seconds)

    def read_module(self, *, identity: bool = True) -> list[Future[CommandResult]]:
        """Read the module now (the pane's refresh): its state, and its identity."""
        commands = module_reads.status_reads()
        if identity:
            commands += module_reads.identity_reads()
        return [self.link.submit(command, tag=module_reads.TAG) for command in commands]

    @property
    def polling_label(self) -> str:
        label = f"poll {self.poll_interval:g}s" if self.polling else "poll paused (F6)"
        return f"{self.script_progress}  {label}" if self.script_progress else label

    # -- line control ---------------------------------------------------------------------

    def set_dtr(self, on: bool) -> Future[Any]:
        return self._control("DTR", self.link.set_dtr, on)

    def set_rts(self, on: bool) -> Future[Any]:
        return self._control("RTS", self.link.set_rts, on)

    def send_break(self, seconds: float = 0.25) -> Future[Any]:
        return self._control("Break", self.link.send_break, seconds)

    def set_baudrate(self, rate: int) -> Future[Any]:
        return self._control(f"baud rate {rate}", self.link.set_baudrate, rate)

    def set_serial(self, settings: PortSettings) -> Future[Any]:
        """Baud rate, framing and flow control now, and at every reopen."""
        self.port_settings = settings
        return self._control("serial settings", self.link.set_serial, settings)

    @property
    def line_ending(self) -> str:
        """``CR``, ``CRLF`` or ``LF``: what ends each command line now."""
        return next(k for k, v in LINE_ENDINGS.items() if v == self._line_ending)

    def set_line_ending(self, name: str) -> Future[Any]:
        """What ends each command line from now on: ``CR``, ``CRLF`` or ``LF``."""
        ending = LINE_ENDINGS[name.upper()]
        self._line_ending = ending
        return self._control("line ending", self.link.set_line_ending, ending)

    @property
    def local_echo(self) -> bool:
        return self.journal.filter.local_echo

    def set_local_echo(self, on: bool) -> None:
        """Show what qiterm sends in the log, or only what comes back (the view's
        thread: the journal is refiltered); said in the capture."""
        self.journal.filter.local_echo = on
        self.journal.refilter()
        what = "the log shows what is sent" if on else "the log shows only what comes back"
        self.event("setting", f"local echo {'on' if on else 'off'}: {what}")

    def clear_log(self) -> int:
        """Empty the log view (the view's thread); the capture keeps every record.
        Returns how many lines went."""
        count = self.journal.clear()
        where = f" ({self.capture.path})" if self.capture is not None else ""
        self.say(f"log view cleared ({count} lines); the capture keeps every one{where}")
        return count

    def _control(self, what: str, call: Callable[[Any], Future[Any]], value: Any) -> Future[Any]:
        """A line control request; its result reaches the log as a link event (or
        an error line when the link refuses it)."""
        future = call(value)

        def done(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                self.say(f"{what}: {exc}", error=True)

        future.add_done_callback(done)
        return future

    # -- scripts and macros -----------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self._script_cancel is not None

    def play(self, script: Script, label: str) -> None:
        """Play ``script`` on this link on a thread of its own, its progress in the
        log; SessionError when one is already playing."""
        with self._script_lock:
            if self._script_cancel is not None:
                raise SessionError("a script is already playing (palette: Stop the script)")
            cancel = self._script_cancel = threading.Event()
        total = len(script.steps)
        steps = f"{total} step{'s' if total != 1 else ''}"
        self.say(f"playing {label} ({steps}); palette: Stop the script")
        threading.Thread(
            target=self._play, args=(script, cancel, total), name="qiterm-script", daemon=True
        ).start()

    def _play(self, script: Script, cancel: threading.Event, total: int) -> None:
        from app.scenario import StepStatus, run

        def on_result(result: StepResult) -> None:
            text = f"script {result.index + 1}/{total} {result.status.value}: {result.step.text}"
            if result.message and result.status is not StepStatus.PASSED:
                text += f" — {result.message}"
            failed = result.status is StepStatus.FAILED
            self._publish([ScriptProgress(text, failed, result.index + 1, total)])

        try:
            report = run(
                script, self.link, capture=self.capture, on_result=on_result, cancel=cancel
            )
            ended = ScriptEnded(report.summary(), report.passed)
        except Exception as exc:  # a bug must not leave the session "playing" forever
            log.exception("script failed")
            ended = ScriptEnded(f"stopped by an internal error: {exc}", False)
        with self._script_lock:
            self._script_cancel = None
        self._publish([ended])

    def run_script(
        self,
        script: Script,
        *,
        on_step: Callable[..., None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Report:
        """Play ``script`` here and now (``qiterm run``), returning its report."""
        from app.scenario import run

        return run(
            script,
            self.link,
            capture=self.capture,
            on_step=on_step,
            cancel=cancel or threading.Event(),
        )

    def stop_script(self) -> bool:
        """Cancel the playing script; False when none plays."""
        cancel = self._script_cancel
        if cancel is None:
            return False
        cancel.set()
        return True

    @property
    def macros(self) -> list[Macro]:
        return list(self.profile.macros)

    def run_macro(self, macro: Macro) -> Future[CommandResult] | None:
        """Run a macro: one AT line is sent like a typed line (its future is
        returned); a send or a script plays as a script (None). SessionError
        says why it cannot run."""
        from app.config.macros import macro_script
        from app.scenario import ScriptError

        if macro.cyclic:
            if not self.cycles.stop(macro.name, "stopped"):
                if not self.state.connected:
                    raise SessionError(f"macro {macro.name}: not run, the link is not connected")
                self.cycles.start(macro)
            return None
        if self.playing:
            raise SessionError(f"macro {macro.name}: a script is already playing")
        if not self.state.connected:
            raise SessionError(f"macro {macro.name}: not run, the link is not connected")
        try:
            script = macro_script(macro, self.target.variables)
        except ScriptError as exc:
            raise SessionError("\n".join(str(p) for p in exc.problems)) from None
        if macro.at is not None and len(script.steps) == 1:
            return self.submit(script.steps[0].text, tag="macro")
        self.play(script, f"macro {macro.name}")
        return None

    def save_macros(self, macros: list[Macro]) -> Path:
        """Write ``macros`` into the profile (``default`` when none was given) and
        use them from now on; OSError/ValueError when it cannot be saved."""
        from app.config.toml_write import save_macros  # tomlkit: loaded when first saving

        target = self.profile_file or profile_path("default")
        save_macros(macros, target)
        self.profile = replace(self.profile, macros=macros)
        self.profile_file = target
        return target

    def save_commands(self, lines: list[str]) -> Path:
        """Write the command list into the profile (``default`` when none was
        given) and keep it; OSError/ValueError when it cannot be saved."""
        from app.config.commandlist import clean, save_commands

        target = self.profile_file or profile_path("default")
        save_commands(lines, target)
        self.profile = replace(self.profile, commands=clean(lines))
        self.profile_file = target
        return target

    # -- ports ------------------------------------------------------------------------------

    def _new_worker(self, url: str, baudrate: int) -> SerialWorker:
        """A serial worker as the profile and the person say: framing and flow
        control, line ending, echo at connect."""
        echo = self.profile.echo if "echo" in self.profile_given else None
        return SerialWorker(
            url,
            baudrate,
            recorder=self.capture,
            reconnect=self.reconnect,
            line_ending=self._line_ending,
            echo=echo,
            settings=self.port_settings,
        )

    def switch(self, device: str, baudrate: int | None = None) -> Target:
        """Close the link cleanly and open ``device`` instead (blocks: call it from
        a thread): the demo peers started or stopped to match, a fresh module
        state, noted in the capture. Returns the new target."""
        check_device(device)  # TargetError before the old link is closed
        self.stop_script()
        self.cycles.stop_all("stopped: the port changed")
        baud = baudrate or self.link.baudrate
        old, old_target = self.link, self.target
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        old.close()
        self.say(f"closed {old_target.label}")
        keep_peers = self.peers and is_builtin_simulator(device) and old_target.demo is not None
        if old_target.demo is not None and not keep_peers:
            old_target.stop()
        target: Target
        if keep_peers:
            target = rewire(old_target, device)  # the running peers serve the new simulator
        else:
            try:
                target = resolve(device, peers=self.peers)
            except OSError as exc:
                self.say(f"demo peers not started: {exc}", error=True)
                target = resolve(device, peers=False)
        self.target = target
        if self.capture is not None:
            self.capture.note(f"port switched to {device} at {baud} baud")
        self._publish([PortSwitched(target, baud)])
        self.say(f"opening {device} at {baud} baud")
        for line in target.peers_info:
            self.say(f"demo peer: {line}")
        self.link = self._new_worker(target.url, baud)
        self._remember = device
        self.start()
        return target

    # -- the one path out --------------------------------------------------------------------

    def _from_link(self, batch: list[Any]) -> None:
        """The link's subscriber (its dispatcher thread): on to the view, then
        the automatic answers look at what was received."""
        self._publish(batch)
        try:
            self.answers.check(batch)
        except Exception:
            log.exception("automatic answers failed")

    def publish(self, batch: list[Any]) -> None:
        """Hand ``batch`` to the view (the session's parts use it from any thread)."""
        self._publish(batch)

    def _publish(self, batch: list[Any]) -> None:
        listener = self._listener
        if listener is None:
            return
        try:
            listener(batch)
        except Exception:
            log.exception("session listener failed")


__all__ = [
    "PortSwitched",
    "Said",
    "ScriptEnded",
    "ScriptProgress",
    "Session",
    "SessionError",
    "SessionEvent",
    "Update",
]
