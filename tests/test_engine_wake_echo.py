"""The engine against two things a real BC660K-GL does that the TCP/IP note does not
describe: echo of what is typed after '>' (ATE1, AT Commands Manual V1.4 §3.1), and
a UART that sleeps and loses the command line that wakes it (§9.10 note 1). Pure
tests (events and a clock), then the same over sim:// (echo=1, sleep=1)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from app.demo.peers import Peers
from app.link.engine import SLEEP_QUIET_FLOOR_S, Deliver, Engine, Notice, Output, Pending, Write
from app.link.results import CommandRetried, Outcome, Role, Rx, Tx, TxKind
from app.link.worker import SerialWorker
from app.model.journal import Category, entries_for
from app.protocol import commands as c
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame
from app.sim import registry
from tests.conftest import sim_url
from tests.test_link import Collector


def feed(engine: Engine, data: bytes, now: float) -> list[Output]:
    framer = Framer()
    out: list[Output] = []
    for frame in [*framer.feed(data), *framer.flush()]:
        out += engine.feed(parse_frame(frame), now)
    return out


def roles(outputs: list[Output]) -> list[tuple[Role, bytes]]:
    return [(o.role, o.event.line) for o in outputs if isinstance(o, Deliver)]


def start(
    engine: Engine, line: str, now: float = 0.0, **kw: object
) -> tuple[Pending, list[Output]]:
    cmd = c.classify(line)
    if kw:
        cmd = dataclasses.replace(cmd, **kw)  # type: ignore[arg-type]
    p = engine.new(cmd)
    return p, engine.start(p, now)


# -- echo in data mode ------------------------------------------------------------

PAYLOAD = b"OK\r\nSEND OK\r\nERROR\r\n"


def test_echoed_payload_of_result_lines_is_echo_and_the_real_result_ends_the_send() -> None:
    engine = Engine()
    cmd = c.classify("AT+QISEND=0").with_payload(PAYLOAD)
    p = engine.new(cmd)
    engine.start(p, 0.0)
    out = feed(engine, b"AT+QISEND=0\r\r\n> ", 0.1)  # the line's echo: echo is on
    assert any(isinstance(o, Write) and o.data == PAYLOAD for o in out)
    out = feed(engine, PAYLOAD, 0.2)  # the module echoes what was typed
    assert roles(out) == [(Role.ECHO, b"OK"), (Role.ECHO, b"SEND OK"), (Role.ECHO, b"ERROR")]
    assert p.result.outcome is Outcome.NOT_SENT  # still waiting
    out = feed(engine, b"\r\nOK\r\n\r\nSEND OK\r\n", 0.3)
    assert roles(out) == [(Role.FINAL, b"OK"), (Role.FINAL, b"SEND OK")]
    assert p.result.outcome is Outcome.OK
    assert engine.echo is True


def test_without_echo_nothing_is_taken_as_echo() -> None:
    engine = Engine()
    cmd = c.classify("AT+QISEND=0").with_payload(PAYLOAD)
    p = engine.new(cmd)
    engine.start(p, 0.0)
    feed(engine, b"\r\n> ", 0.1)  # no echo of the line: echo is off
    # A URC in data mode (a module that does not hold them) is a URC, and the
    # module's OK / SEND OK end the command.
    out = feed(engine, b"\r\n+CSCON: 1\r\n\r\nOK\r\n\r\nSEND OK\r\n", 0.2)
    assert roles(out) == [(Role.URC, b"+CSCON: 1"), (Role.FINAL, b"OK"), (Role.FINAL, b"SEND OK")]
    assert p.result.outcome is Outcome.OK


def test_typed_payload_is_echo_too_and_a_lost_echo_loses_nothing() -> None:
    engine = Engine()
    p = engine.new(c.classify("AT+QISEND=0"))
    engine.start(p, 0.0)
    feed(engine, b"AT+QISEND=0\r\r\n> ", 0.1)
    assert engine.awaiting_input
    engine.data_input(b"ERROR\r\nhi", b"\x1a", 0.2)
    out = feed(engine, b"ERROR\r\nhi\r\nOK\r\n\r\nSEND OK\r\n", 0.3)
    assert roles(out) == [
        (Role.ECHO, b"ERROR"),
        (Role.ECHO, b"hi"),
        (Role.FINAL, b"OK"),
        (Role.FINAL, b"SEND OK"),
    ]
    # Echo expected but the module sent none of it: its result still counts.
    p2 = engine.new(c.classify("AT+QISEND=0").with_payload(b"OK\r\n"))
    engine.start(p2, 1.0)
    feed(engine, b"AT+QISEND=0\r\r\n> ", 1.1)
    out = feed(engine, b"\r\nERROR\r\n", 1.2)
    assert roles(out) == [(Role.FINAL, b"ERROR")]
    assert p2.result.outcome is Outcome.ERROR


def test_echo_follows_ate() -> None:
    engine = Engine()
    start(engine, "ATE0")
    feed(engine, b"ATE0\r\r\nOK\r\n", 0.1)
    assert engine.echo is False
    start(engine, "ATE1", 0.2)
    feed(engine, b"\r\nOK\r\n", 0.3)
    assert engine.echo is True


# -- a command lost to a sleeping module ---------------------------------------------


def quiet_engine() -> Engine:
    engine = Engine()
    engine.last_io = 0.0  # the line last moved at t=0
    return engine


def timeout_at(p: Pending) -> float:
    assert p.deadline is not None
    return p.deadline + 0.01


def test_a_query_with_nothing_back_after_a_quiet_spell_is_sent_again_once() -> None:
    engine = quiet_engine()
    p, _ = start(engine, "AT+CSQ", now=5.0)  # quiet for 5 s
    out = engine.tick(timeout_at(p))
    notices = [o.item for o in out if isinstance(o, Notice)]
    assert notices == [CommandRetried(p.id, "AT+CSQ", "the module was asleep: AT+CSQ sent again")]
    assert [o.data for o in out if isinstance(o, Write)] == [b"AT+CSQ\r"]
    assert p.result.outcome is Outcome.NOT_SENT  # still in flight
    feed(engine, b"\r\n+CSQ: 24,0\r\n\r\nOK\r\n", timeout_at(p) - 4)
    assert p.result.outcome is Outcome.OK


def test_a_module_silent_after_the_second_write_is_not_taken_for_asleep() -> None:
    engine = quiet_engine()
    p, _ = start(engine, "AT+CSQ", now=5.0)
    engine.tick(timeout_at(p))  # written again
    out = engine.tick(timeout_at(p))  # silent again: no third write
    assert not any(isinstance(o, Write) for o in out)
    assert p.result.outcome is Outcome.TIMEOUT
    p2, _ = start(engine, "AT+CSQ", now=100.0)
    assert not any(isinstance(o, Write) for o in engine.tick(timeout_at(p2)))
    assert p2.result.outcome is Outcome.TIMEOUT
    feed(engine, b"\r\n+CEREG: 1\r\n", 101.0)  # it speaks again
    p3, _ = start(engine, "AT+CSQ", now=200.0)
    assert [o.data for o in engine.tick(timeout_at(p3)) if isinstance(o, Write)] == [b"AT+CSQ\r"]


def test_a_state_change_is_sent_again_only_when_nothing_at_all_came_back() -> None:
    engine = quiet_engine()
    p, _ = start(engine, "AT+CEREG=5", now=5.0)
    assert engine.tick(timeout_at(p))[0] == Notice(
        CommandRetried(p.id, "AT+CEREG=5", "the module was asleep: AT+CEREG=5 sent again")
    )
    engine = quiet_engine()
    p, _ = start(engine, "AT+CEREG=5", now=5.0)
    feed(engine, b'\r\n+QNBIOTEVENT: "EXIT DEEPSLEEP"\r\n', 5.5)  # a byte came back
    out = engine.tick(timeout_at(p))
    assert not any(isinstance(o, Write) and o.what is TxKind.COMMAND for o in out)
    assert p.result.outcome is Outcome.TIMEOUT


def test_a_query_is_sent_again_when_only_urcs_or_blank_lines_came_back() -> None:
    engine = quiet_engine()
    p, _ = start(engine, "AT+CEREG?", now=5.0)
    feed(engine, b'\r\n\r\n+QNBIOTEVENT: "EXIT DEEPSLEEP"\r\n', 5.5)
    out = engine.tick(timeout_at(p))
    assert [o.data for o in out if isinstance(o, Write)] == [b"AT+CEREG?\r"]


def test_no_retry_after_a_short_quiet_spell_with_sleep_off_or_in_data_mode() -> None:
    engine = quiet_engine()
    p, _ = start(engine, "AT+CSQ", now=SLEEP_QUIET_FLOOR_S / 2)  # not quiet long enough
    assert not any(isinstance(o, Write) for o in engine.tick(timeout_at(p)))
    assert p.result.outcome is Outcome.TIMEOUT

    engine = quiet_engine()
    engine.sleep_mode = 0  # AT+QSCLK=0: the UART never sleeps
    p, _ = start(engine, "AT+CSQ", now=50.0)
    assert not any(isinstance(o, Write) for o in engine.tick(timeout_at(p)))

    engine = quiet_engine()
    p, _ = start(engine, "AT+QISEND=0,3", now=50.0)  # a data-mode command: never
    out = engine.tick(timeout_at(p))
    assert not any(isinstance(o, Write) and o.what is TxKind.COMMAND for o in out)


def test_the_engine_learns_sleep_settings_from_the_module() -> None:
    engine = quiet_engine()
    start(engine, "AT+QSCLK?")
    feed(engine, b"\r\n+QSCLK: 0\r\n\r\nOK\r\n", 0.1)
    assert engine.sleep_mode == 0
    start(engine, 'AT+QCFG="slplocktimes"', 0.2)
    feed(engine, b'\r\n+QCFG: "slplocktimes",20\r\n\r\nOK\r\n', 0.3)
    assert engine.sleep_after == 20.0
    start(engine, "AT+QSCLK=2", 0.4)
    feed(engine, b"\r\nOK\r\n", 0.5)
    assert engine.sleep_mode == 2
    # Quiet for 10 s, but the module sleeps after 20: no retry.
    p, _ = start(engine, "AT+CSQ", now=10.5)
    assert not any(isinstance(o, Write) for o in engine.tick(timeout_at(p)))


def test_the_log_says_the_module_woke() -> None:
    item = CommandRetried(3, "AT+CSQ", "the module was asleep: AT+CSQ sent again")
    (entry,) = entries_for(item)
    assert entry.text == "the module was asleep: AT+CSQ sent again"
    assert entry.category is Category.LINK


# -- over sim:// ---------------------------------------------------------------------


@pytest.fixture
def module_url(request: pytest.FixtureRequest, peers: Peers) -> Iterator[tuple[str, str]]:
    name, url = sim_url(peers, **request.param)
    yield name, url
    registry.destroy(name)


def run_worker(url: str) -> tuple[SerialWorker, Collector]:
    worker = SerialWorker(url, backoff=(0.2,))
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    assert worker.wait_connected(5)
    assert worker.wait_idle(15)
    return worker, collector


def wait_until(predicate, timeout: float = 10.0) -> None:
    done = threading.Event()
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        done.wait(0.02)


@pytest.mark.parametrize("module_url", [{"echo": 1}], indirect=True)
def test_sim_echo_on_payload_of_result_lines(module_url: tuple[str, str], peers: Peers) -> None:
    _, url = module_url
    worker, collector = run_worker(url)
    try:
        host, port = peers.tcp_echo  # type: ignore[misc]
        opened = worker.submit(
            c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port)
        ).result(10)
        assert opened.ok
        payload = b"OK\r\nSEND OK\r\nERROR\r\nend"
        sent = worker.submit(c.classify("AT+QISEND=0").with_payload(payload)).result(10)
        assert sent.outcome is Outcome.OK, sent.detail
        assert sent.final is not None and sent.final.line == b"SEND OK"
        collector.wait_for(lambda e: isinstance(e, Rx) and e.event is sent.final)
        rx = [e for e in collector.events if isinstance(e, Rx) and e.command_id == sent.command_id]
        echoed = b"".join(e.event.raw for e in rx if e.role is Role.ECHO)
        assert b"OK\r\nSEND OK\r\nERROR\r\nend" in echoed
        assert [e.event.line for e in rx if e.role is Role.FINAL] == [b"OK", b"SEND OK"]
        # The peer echoes it back: the whole payload arrives in a recv URC.
        got = collector.wait_for(
            lambda e: isinstance(e, Rx) and e.event.kind == "urc.recv", timeout=10
        )
        assert isinstance(got, Rx)
        assert got.event.payload() == payload  # type: ignore[attr-defined]
    finally:
        worker.close()


@pytest.mark.parametrize("module_url", [{"echo": 0}], indirect=True)
def test_sim_echo_off_swallows_nothing(module_url: tuple[str, str], peers: Peers) -> None:
    _, url = module_url
    worker, collector = run_worker(url)
    try:
        host, port = peers.tcp_echo  # type: ignore[misc]
        assert (
            worker.submit(c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port))
            .result(10)
            .ok
        )
        sent = worker.submit(c.classify("AT+QISEND=0").with_payload(b"OK\r\nx")).result(10)
        assert sent.outcome is Outcome.OK
        collector.wait_for(lambda e: isinstance(e, Rx) and e.event is sent.final)
        assert not [e for e in collector.events if isinstance(e, Rx) and e.role is Role.ECHO]
    finally:
        worker.close()


# The module sleeps after 2 s of quiet: longer than the command's 1 s timeout, so the
# second write finds it awake (a real module's default is 10 s, §11.1.5).
@pytest.mark.parametrize("module_url", [{"sleep": 1, "sleep_after": 2}], indirect=True)
def test_sim_command_lost_to_the_waking_uart_is_sent_again(module_url: tuple[str, str]) -> None:
    name, url = module_url
    worker, collector = run_worker(url)
    try:
        module = registry.get(name)
        last = worker.engine

        def asleep_and_quiet() -> bool:
            quiet = last.last_io is not None and time.monotonic() - last.last_io
            return bool(module.power_state()["asleep"]) and quiet >= SLEEP_QUIET_FLOOR_S

        wait_until(asleep_and_quiet)
        csq = dataclasses.replace(c.csq(), timeout=1.0)
        result = worker.submit(csq).result(15)
        assert result.outcome is Outcome.OK, result.detail
        assert [e.line[:5] for e in result.lines] == [b"+CSQ:"]
        collector.wait_for(lambda e: isinstance(e, Rx) and e.event is result.final)
        retried = [e for e in collector.events if isinstance(e, CommandRetried)]
        assert [r.why for r in retried] == ["the module was asleep: AT+CSQ sent again"]
        sent = [
            e.data
            for e in collector.events
            if isinstance(e, Tx) and e.command_id == result.command_id
        ]
        assert sent == [b"AT+CSQ\r", b"AT+CSQ\r"]
    finally:
        worker.close()
