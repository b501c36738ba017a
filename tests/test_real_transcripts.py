"""Sessions with real modules, replayed byte for byte (tests/realreplay.py): into the
link (the worker and its engine, over a fake port that plays the module's side of the
transcript when it sees the host's lines) and into the console (header, log
categories). Each transcript in tests/fixtures/real/ names its source and module."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from app.console.app import QitermApp
from app.link.results import CommandResult, CommandRetried, Outcome, Role, Rx
from app.link.worker import SerialWorker
from app.model.journal import Category
from app.model.state import ModuleState
from app.protocol import commands as c
from app.protocol import events as ev
from tests.consolekit import until
from tests.realreplay import RecordedModule, Transcript, all_transcripts, load
from tests.test_link import Collector
from widgets.status import status_text

#: The first AT of the start-up transcript got only a blank line back (the UART
#: waking): the engine's own retry plays the host's second AT. A short timeout keeps
#: the test quick.
WAKING_AT = dataclasses.replace(c.at(), timeout=0.5)


@dataclasses.dataclass
class Replay:
    module: RecordedModule
    worker: SerialWorker
    collector: Collector

    def rx(self, command_id: int | None = None, role: Role | None = None) -> list[Rx]:
        return [
            e
            for e in self.collector.events
            if isinstance(e, Rx)
            and (command_id is None or e.command_id == command_id)
            and (role is None or e.role is role)
        ]

    def state(self) -> ModuleState:
        state = ModuleState()
        for item in self.collector.events:
            state.apply(item)
        return state


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Iterator[Replay]:
    transcript = load(request.param)
    module = RecordedModule(transcript)
    worker = SerialWorker(
        f"replay://{transcript.name}", port_factory=module.factory, init=False, backoff=(0.2,)
    )
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    assert worker.wait_connected(5)
    try:
        yield Replay(module, worker, collector)
    finally:
        worker.close()


def run(replay: Replay, skip: int = 0) -> list[CommandResult]:
    """Submit the transcript's host lines in order (the first ``skip`` ones aside),
    wait until the module played everything and the line is free, and return the
    results (a command still waiting for a deferred result is left out)."""
    futures = [replay.worker.submit(line) for line in replay.module.transcript.commands[skip:]]
    assert replay.worker.wait_idle(15)
    assert replay.module.finished and replay.module.unexpected == []
    done = [f.result() for f in futures if f.done()]
    last = done[-1].command_id
    replay.collector.wait_for(
        lambda e: isinstance(e, Rx) and e.command_id == last and e.role is Role.FINAL
    )
    return done


@pytest.mark.parametrize("name", all_transcripts())
def test_every_transcript_names_its_source_and_module(name: str) -> None:
    transcript = load(name)
    assert transcript.header["source"].startswith("https://")
    assert transcript.header["module"].startswith("Quectel BC66")
    assert transcript.exchanges and all(
        x.host.upper().startswith("AT") for x in transcript.exchanges
    )
    assert len(all_transcripts()) >= 3


@pytest.mark.parametrize("replay", ["bc660k_a05_startup"], indirect=True)
def test_startup_and_registration(replay: Replay) -> None:
    first = replay.worker.submit(WAKING_AT).result(10)
    assert first.outcome is Outcome.OK  # written again: the second AT got OK
    results = [first, *run(replay, skip=2)]
    by_line = {r.command.line: r for r in results}
    retried = [e for e in replay.collector.events if isinstance(e, CommandRetried)]
    assert [r.why for r in retried] == ["the module was asleep: AT sent again"]
    assert by_line["AT+QTEMP"].outcome is Outcome.ERROR
    assert all(r.outcome is Outcome.OK for r in results if r.command.line != "AT+QTEMP")
    assert [e.text for e in by_line["ATI"].lines] == [
        "Quectel_Ltd",
        "Quectel_BC660K-GL",
        "Revision: BC660KGLAAR01A05",
    ]
    assert replay.worker.engine.echo is False and replay.worker.engine.sleep_mode == 1
    # The ping's deferred result follows its OK after two blank lines.
    # The ping's first deferred result follows its OK after two blank lines; the
    # recording stops before the other three.
    assert 'AT+QPING=0,"8.8.8.8",4,4' not in by_line
    deferred = replay.rx(role=Role.DEFERRED)
    assert [e.event.line for e in deferred] == [b"+QPING: 569"]
    assert deferred[0].command_id is not None
    assert not replay.rx(role=Role.URC)  # nothing here is unsolicited
    state = replay.state()
    assert state.cereg == 5 and state.psm_timers == ("00100011", "00101010")
    assert state.registration is not None and state.registration.ci == "0000ABCD"
    assert state.csq is not None and state.csq.rssi == 11


@pytest.mark.parametrize("replay", ["bc660k_socket_close"], indirect=True)
def test_socket_close_and_a_three_line_answer(replay: Replay) -> None:
    eng, feature, close = run(replay)
    assert [r.outcome for r in (eng, feature, close)] == [Outcome.OK] * 3
    assert [e.text for e in feature.lines] == [
        "+QR14FEATURE: 14,1",
        "+QR14FEATURE: 0",
        "+QR14FEATURE: 0,0,0,0,0",
    ]
    assert isinstance(close.final, ev.CloseOk)  # OK, then CLOSE OK 50 ms later (§2.3.2)
    assert not replay.rx(role=Role.URC)


@pytest.mark.parametrize("replay", ["bc66_registration_urcs"], indirect=True)
def test_registration_urcs_between_answers(replay: Replay) -> None:
    results = run(replay)
    assert [r.outcome for r in results].count(Outcome.ERROR) == 1  # AT+CGATT=1
    urcs = [e.event for e in replay.rx(role=Role.URC)]
    assert len(urcs) == 8 and all(isinstance(u, ev.CeregStatus) for u in urcs)
    assert [u.reject_cause for u in urcs if isinstance(u, ev.CeregStatus) and u.stat == 3] == [15]
    read = results[-2]
    assert [e.text for e in read.lines] == ["+CEREG: 5,0,,,,,0,0"]
    state = replay.state()
    assert state.cereg == 0 and not state.registered
    assert state.cesq is not None and state.cesq.rsrp_dbm == -140  # 0: below -140 dBm


@pytest.mark.parametrize("replay", ["bc66_echo_on"], indirect=True)
def test_echo_on(replay: Replay) -> None:
    results = run(replay)
    assert replay.worker.engine.echo is True
    for result in results:
        echoes = replay.rx(result.command_id, Role.ECHO)
        assert [e.event.line for e in echoes] == [result.command.line.encode()]
    errors = [r.command.line for r in results if r.outcome is Outcome.ERROR]
    assert errors == ["AT+QSCLK=0", "AT+CSON=1"]
    assert [e.text for e in results[-1].lines] == ["+CESQ: 16,7,255,255,22,38"]
    assert not replay.rx(role=Role.URC)


# -- the console ----------------------------------------------------------------


def console_on(transcript: Transcript) -> tuple[QitermApp, RecordedModule]:
    module = RecordedModule(transcript)
    url = f"replay://{transcript.name}"
    worker = SerialWorker(url, port_factory=module.factory, init=False, backoff=(0.2,))
    return QitermApp.for_url(url, 115200, poll_interval=0, worker=worker), module


def categories(app: QitermApp, text: str) -> list[Category]:
    return [e.category for e in app.journal.entries if e.text == text]


async def play(pilot, app: QitermApp, module: RecordedModule, first=None) -> None:
    link = app.session.link
    pending = [first] if first is not None else []
    pending += module.transcript.commands[2 if first is not None else 0 :]
    for line in pending:
        link.submit(line)
    await until(pilot, lambda: module.finished and not link.busy, timeout=15)
    await pilot.pause(0.2)


async def test_console_shows_the_startup_transcript() -> None:
    app, module = console_on(load("bc660k_a05_startup"))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.state.connected)
        await play(pilot, app, module, first=WAKING_AT)
        await until(pilot, lambda: app.state.csq is not None and app.state.csq.rssi == 11)
        header = status_text(app.state).plain
        assert "registered (roaming)  CSQ 11 (-91 dBm)" in header
        assert header.index("registered") < header.index("replay://")
        assert Category.LINK in categories(app, "the module was asleep: AT sent again")
        assert categories(app, "+QPING: 569") == [Category.DEFERRED]
        assert categories(app, "ERROR") == [Category.ERROR]
        assert Category.RESPONSE in categories(app, "Quectel_BC660K-GL")
        assert module.unexpected == []


async def test_console_shows_the_registration_urcs() -> None:
    app, module = console_on(load("bc66_registration_urcs"))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.state.connected)
        await play(pilot, app, module)
        await until(pilot, lambda: app.state.cesq is not None)
        assert categories(app, "+CEREG: 3,,,,,0,15") == [Category.URC]
        assert categories(app, "+CEREG: 2,,,,,0,0") == [Category.URC] * 4
        assert categories(app, "+CEREG: 5,0,,,,,0,0") == [Category.RESPONSE]
        header = status_text(app.state).plain
        assert "not registered" in header
        assert module.unexpected == []


async def test_console_shows_the_socket_close() -> None:
    app, module = console_on(load("bc660k_socket_close"))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.state.connected)
        app.state.row(0).state = ev.SocketState.CONNECTED  # the socket the session had open
        await play(pilot, app, module)
        assert categories(app, "CLOSE OK") == [Category.OK]
        assert categories(app, "+QR14FEATURE: 0,0,0,0,0") == [Category.RESPONSE]
        await until(pilot, lambda: 0 not in app.state.sockets)  # CLOSE OK removed the row
        assert module.unexpected == []
