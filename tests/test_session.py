"""The session core without a UI: one listener path, the polling policy, port
switches, line control kept across reconnects, and the target shared by the
console and ``qiterm run``."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.console.launch import prepare_console
from app.link.results import LinkState, LinkStatus
from app.link.worker import SerialWorker
from app.model.journal import Category
from app.model.state import ModuleState
from app.protocol import commands as c
from app.session.run import run_main
from app.session.session import PortSwitched, Said, Session, SessionEvent
from app.session.target import Target, module_ip, resolve
from tests.conftest import sim_url
from tests.fakeport import PortFactory, ScriptedPort
from widgets.status import status_text

ANSWERS = {
    r"AT": b"\r\nOK\r\n",
    r"ATI": b"\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\nRevision: BC660KGLAAR01A05\r\n\r\nOK\r\n",
    r'AT\+QICFG="dataformat"': b'\r\n+QICFG: "dataformat",0,0\r\n\r\nOK\r\n',
    r'AT\+QICFG="showRA"': b'\r\n+QICFG: "showRA",0\r\n\r\nOK\r\n',
    r"AT\+QISTATE\?": b"\r\nOK\r\n",
    r"AT\+CEREG\?": b"\r\n+CEREG: 0,1\r\n\r\nOK\r\n",
    r"AT\+CGPADDR": b'\r\n+CGPADDR: 0,"10.0.0.2"\r\n\r\nOK\r\n',
}


class Listener:
    """Stands in for a view: takes batches from any thread, applies them on its own."""

    def __init__(self) -> None:
        self.cv = threading.Condition()
        self.waiting: list[SessionEvent] = []

    def __call__(self, batch: list[SessionEvent]) -> None:
        with self.cv:
            self.waiting.extend(batch)
            self.cv.notify_all()

    def apply_until(self, session: Session, predicate, timeout: float = 5.0) -> None:
        """Apply what arrives (as a view's loop would) until ``predicate()``."""
        ok = False

        def ready() -> bool:
            return bool(self.waiting)

        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while not (ok := bool(predicate())) and not deadline.is_set():
                with self.cv:
                    self.cv.wait_for(ready, 0.2)
                    batch, self.waiting = self.waiting, []
                session.apply(batch)
        finally:
            timer.cancel()
        assert ok, "the condition was not met in time"


@pytest.fixture
def fake_session() -> Iterator[tuple[Session, PortFactory, Listener]]:
    factory = PortFactory(lambda: ScriptedPort(dict(ANSWERS)))
    worker = SerialWorker("fake://", port_factory=factory, backoff=(0.1,))
    session = Session(Target("fake://", "fake://"), worker=worker, poll_interval=0)
    listener = Listener()
    session.listen(listener)
    session.start()
    try:
        yield session, factory, listener
    finally:
        session.close()


def test_dtr_and_rts_are_reapplied_after_a_reconnect_and_shown(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    session, factory, listener = fake_session
    listener.apply_until(session, lambda: session.state.identity is not None)
    session.set_dtr(False).result(3)
    session.set_rts(False).result(3)
    first = factory.current
    assert (first.dtr, first.rts) == (False, False)
    listener.apply_until(session, lambda: not session.state.dtr and not session.state.rts)
    first.vanish()
    listener.apply_until(
        session,
        lambda: (
            len(factory.ports) == 2
            and session.state.connected
            and session.state.identity is not None
        ),
    )
    second = factory.current
    # The new port opened with the lines as the person left them ...
    assert (second.dtr, second.rts) == (False, False)
    # ... and the state the header reads says so.
    assert session.state.link is not None
    assert (session.state.link.dtr, session.state.link.rts) == (False, False)
    header = status_text(session.state).plain
    assert "connected" in header and "DTR ○ RTS ○" in header


def test_a_baud_rate_change_is_kept_across_a_reconnect(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    session, factory, listener = fake_session
    listener.apply_until(session, lambda: session.state.connected)
    session.set_baudrate(9600).result(3)
    factory.current.vanish()
    listener.apply_until(session, lambda: len(factory.ports) == 2 and session.state.connected)
    assert factory.current.baudrate == 9600
    assert session.state.baudrate == 9600


def test_everything_reaches_the_view_through_the_one_listener(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    session, _, listener = fake_session
    session.say("hello from a thread")
    session.note("a note")
    number = session.marker()
    listener.apply_until(
        session,
        lambda: {"hello from a thread", "// a note"} <= {e.text for e in session.journal.view},
    )
    kinds = {e.text: e.category for e in session.journal.view}
    assert kinds["// a note"] is Category.NOTE
    assert kinds[f"── marker {number} ──"] is Category.MARKER


def test_polling_policy_sends_only_when_idle_and_due(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    session, factory, listener = fake_session
    listener.apply_until(session, lambda: session.state.connected and session.idle)
    assert not session.tick(), "polling is paused (poll_interval 0)"
    session.set_polling(True, 1.0)
    assert session.tick(1000.0), "due: the first poll goes out"
    assert not session.tick(1000.5), "not due again before its period"
    session.link.wait_idle(3)
    listener.apply_until(session, lambda: session.idle)
    assert session.tick(1001.1)
    session.link.wait_idle(3)
    polls = [line for line in factory.current.lines if line == b"AT+QISTATE?"]
    assert len(polls) >= 3  # the start-up read and two polls


def test_due_in_says_when_the_next_poll_is_due_and_none_while_paused(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    """The view's clock sleeps until then (it no longer asks four times a second)."""
    session, _, listener = fake_session
    listener.apply_until(session, lambda: session.state.connected and session.idle)
    assert session.module_interval == 0.0  # a real port: the Module pane reads when asked
    assert session.due_in(1000.0) is None, "polling paused, no reads: nothing is ever due"
    session.set_polling(True, 2.0)
    assert session.due_in(1000.0) == 0.0, "never polled: due now"
    assert session.tick(1000.0)
    assert session.due_in(1000.5) == 1.5
    assert session.due_in(1003.0) == 0.0, "overdue: now, never a negative wait"
    session.set_module_interval(30.0)
    assert session.due_in(1000.5) == 0.0, "reads turned on: at once, the sooner of the two"
    session.set_module_interval(0.0)
    session.set_polling(False)
    assert session.due_in(1000.5) is None
    session.link.wait_idle(3)


def test_command_ids_are_unique_when_many_threads_submit(
    fake_session: tuple[Session, PortFactory, Listener],
) -> None:
    session, _, listener = fake_session
    listener.apply_until(session, lambda: session.state.connected)
    futures = []
    lock = threading.Lock()

    def submit() -> None:
        for _ in range(20):
            f = session.submit(c.at(), tag="thread")
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [f.result(20).command_id for f in futures]
    assert len(ids) == len(set(ids)) == 160


def test_switching_port_gives_a_fresh_state_through_the_listener(peers) -> None:
    _, first = sim_url(peers)
    _, second = sim_url(peers)
    session = Session(Target(first, first), poll_interval=0)
    listener = Listener()
    session.listen(listener)
    session.start()
    try:
        listener.apply_until(session, lambda: session.state.connected)
        old_state: ModuleState = session.state
        switched: list[PortSwitched] = []
        listener_inner = listener.__call__

        def spy(batch: list[SessionEvent]) -> None:
            switched.extend(e for e in batch if isinstance(e, PortSwitched))
            listener_inner(batch)

        session.listen(spy)
        session.switch(second)
        listener.apply_until(session, lambda: session.state is not old_state)
        assert switched and switched[0].target.url == second
        listener.apply_until(session, lambda: session.state.connected)
        assert session.state.url == second
        said = [e.text for e in session.journal.view]
        assert any(t.startswith("closed ") for t in said)
        assert f"opening {second} at 115200 baud" in said
    finally:
        session.close()


def test_console_and_qiterm_run_get_the_same_target_for_sim(tmp_path: Path) -> None:
    """Both resolve ``sim://`` through one function: the same wiring, and the same
    ``${MODULE_IP}`` (the simulated module's own address, from its URL)."""
    device = "sim://?ip=127.0.0.9"
    console = prepare_console(
        port=device, baud=None, log_path=str(tmp_path / "console.jsonl"), welcome=False
    )
    assert console is not None
    try:
        target = console.session.target
        assert target.variables["MODULE_IP"] == "127.0.0.9" == module_ip(target.url)
        assert target.demo is not None and target.url.startswith("sim://?")
        assert target.label == "sim:// built-in simulator"
    finally:
        console.close()
        if console.capture is not None:
            console.capture.close()
    script = tmp_path / "ip.qis"
    script.write_text("note module ${MODULE_IP} echo ${ECHO_HOST}\nAT\n")
    log = tmp_path / "run.jsonl"
    code = run_main(str(script), device, str(log), [])
    assert code == 0
    notes = [r["text"] for r in read_capture(log).records if r["type"] == "note"]
    assert "module 127.0.0.9 echo echo.qiterm.local" in notes
    # And the keys a script can use are the same on both paths.
    fresh = resolve(device)
    try:
        assert set(fresh.variables) == set(target.variables)
    finally:
        fresh.stop()


def test_a_capture_note_and_the_log_come_from_one_call(tmp_path: Path) -> None:
    capture = CaptureRecorder(tmp_path / "c.jsonl", url="fake://", baud=115200)
    session = Session(Target("fake://", "fake://"), capture=capture)
    seen: list[SessionEvent] = []
    session.listen(seen.extend)
    session.note("checked the antenna")
    capture.close()
    assert [r["text"] for r in read_capture(capture.path).records if r["type"] == "note"] == [
        "checked the antenna"
    ]
    [said] = seen
    assert isinstance(said, Said)
    assert (said.text, said.category) == ("// checked the antenna", Category.NOTE)


def test_link_status_carries_the_lines() -> None:
    status = LinkStatus(LinkState.CONNECTED, "x", 9600, dtr=False)
    state = ModuleState()
    state.apply(status)
    assert state.dtr is False and state.rts is True and state.baudrate == 9600


LAYERS_WITHOUT_TEXTUAL = (
    "app.protocol",
    "app.link",
    "app.model",
    "app.config",
    "app.capture",
    "app.scenario",
    "app.sim",
    "app.demo",
    "app.session",
)


def test_the_layers_below_the_ui_load_no_textual() -> None:
    """Importing every module of the link, simulator, capture, scenario, protocol,
    model, config, demo and session packages loads no Textual (and no widget)."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {LAYERS_WITHOUT_TEXTUAL!r}:\n"
        "    pkg = importlib.import_module(name)\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, name + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'widgets'))\n"
        "print(bad[:5])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
