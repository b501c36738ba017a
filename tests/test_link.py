"""The serial worker and command engine over a scripted fake port."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from app.link.results import (
    CommandFinished,
    DataFormatChanged,
    DataModeChanged,
    LinkEvent,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.link.sync import SyncPolicy
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from tests.fakeport import Late, PortFactory, ScriptedPort

QISTATE_ROWS = (
    b'\r\n+QISTATE: 0,"TCP","127.0.0.1",7,40000,2,0,1\r\n'
    b'\r\n+QIURC: "recv",0,5,"a\r\n,""\r\n'  # a URC in the middle of the response
    b'\r\n+QISTATE: 1,"UDP","127.0.0.1",9,40001,2,0,1\r\n'
    b"\r\nOK\r\n"
)


class Collector:
    """Keeps every batch a worker publishes; waits for an event on a condition."""

    def __init__(self) -> None:
        self.batches: list[list[LinkEvent]] = []
        self.lock = threading.Condition()

    def __call__(self, batch: list[LinkEvent]) -> None:
        with self.lock:
            self.batches.append(batch)
            self.lock.notify_all()

    @property
    def events(self) -> list[LinkEvent]:
        with self.lock:
            return [e for b in self.batches for e in b]

    def wait_for(self, predicate, timeout: float = 3.0) -> LinkEvent:
        found: list[LinkEvent] = []

        def seen() -> bool:
            found[:] = [e for b in self.batches for e in b if predicate(e)][:1]
            return bool(found)

        with self.lock:
            if self.lock.wait_for(seen, timeout):
                return found[0]
        raise AssertionError("event did not arrive")


def make_worker(port: ScriptedPort, **kw) -> tuple[SerialWorker, PortFactory, Collector]:
    factory = PortFactory(lambda: port)
    worker = SerialWorker(
        "fake://",
        port_factory=factory,
        init=kw.pop("init", False),
        backoff=kw.pop("backoff", (0.1,)),
        **kw,
    )
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    assert worker.wait_connected(2)
    return worker, factory, collector


@pytest.fixture
def basic_port() -> ScriptedPort:
    return ScriptedPort(
        {
            r"AT": b"\r\nOK\r\n",
            r"ATI": b"\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\nRevision: BC660KGLAAR01A05\r\n"
            b"\r\nOK\r\n",
            r"AT\+QISTATE\?": QISTATE_ROWS,
            r'AT\+QISEND=0,\d+,".*"': b"\r\nOK\r\n\r\nSEND OK\r\n",
            r'AT\+QISEND=1,\d+,".*"': b"\r\nOK\r\n\r\nSEND FAIL\r\n",
            r"AT\+QISEND=\d": b"\r\n> ",
            r"AT\+QICLOSE=\d": b"\r\nOK\r\n\r\nCLOSE OK\r\n",
            r"AT\+QICFG=.*": b"\r\nOK\r\n",
            r"AT\+BAD": b"\r\n+CME ERROR: 552\r\n",
            r"AT\+SILENT": b"",
        }
    )


@pytest.fixture
def worker_port(basic_port: ScriptedPort) -> Iterator[tuple[SerialWorker, ScriptedPort, Collector]]:
    worker, _, collector = make_worker(basic_port)
    yield worker, basic_port, collector
    worker.close()


def short(cmd: c.AtCommand, timeout: float) -> c.AtCommand:
    return dataclasses.replace(cmd, timeout=timeout)


def test_command_with_a_urc_in_the_middle_of_its_response(worker_port) -> None:
    worker, _port, collector = worker_port
    result = worker.submit(c.qistate_read()).result(3)
    assert result.outcome is Outcome.OK and result.ok
    rows = [e for e in result.lines if isinstance(e, ev.QiStateRow)]
    assert [r.connect_id for r in rows] == [0, 1]
    assert not any(isinstance(e, ev.QiUrcRecv) for e in result.lines)
    urc = collector.wait_for(lambda e: isinstance(e, Rx) and isinstance(e.event, ev.QiUrcRecv))
    assert isinstance(urc, Rx) and urc.role is Role.URC
    assert urc.event.payload() == b'a\r\n,"'  # type: ignore[attr-defined]


def test_echo_on_is_recognised_and_consumed(basic_port: ScriptedPort) -> None:
    basic_port.echo = True
    worker, _, collector = make_worker(basic_port)
    try:
        result = worker.submit(c.ati()).result(3)
        assert result.ok
        assert [e.text for e in result.lines] == [
            "Quectel_Ltd",
            "Quectel_BC660K-GL",
            "Revision: BC660KGLAAR01A05",
        ]
        echo = collector.wait_for(lambda e: isinstance(e, Rx) and e.role is Role.ECHO)
        assert isinstance(echo, Rx) and echo.command_id == result.command_id
    finally:
        worker.close()


def test_echo_off(worker_port) -> None:
    worker, _port, collector = worker_port
    result = worker.submit("ATI").result(3)
    assert result.ok and len(result.lines) == 3
    assert not any(isinstance(e, Rx) and e.role is Role.ECHO for e in collector.events)


def test_error_and_cme_error(worker_port) -> None:
    worker, _, _ = worker_port
    err = worker.submit("AT+NOPE").result(3)
    assert err.outcome is Outcome.ERROR and not err.ok
    cme = worker.submit("AT+BAD").result(3)
    assert cme.outcome is Outcome.ERROR
    assert "552 Parameters invalid" in cme.message


def test_inline_send_waits_for_send_ok_or_send_fail(worker_port) -> None:
    worker, _, _ = worker_port
    ok = worker.submit(c.qisend(0, b"12345", hex_format=False)).result(3)
    assert ok.ok and isinstance(ok.final, ev.SendOk)
    fail = worker.submit(c.qisend(1, b"12345", hex_format=False)).result(3)
    assert fail.outcome is Outcome.SEND_FAIL and "SEND FAIL" in fail.message


def test_close_waits_for_close_ok(worker_port) -> None:
    worker, _, _ = worker_port
    result = worker.submit(c.qiclose(0)).result(3)
    assert result.ok and isinstance(result.final, ev.CloseOk)


def test_data_mode_variable_length_writes_payload_then_ctrl_z(worker_port) -> None:
    worker, port, collector = worker_port
    payload = b'say "hi"\r\n'
    cmd = c.qisend(0, payload, hex_format=False, mode=c.SendMode.VARIABLE)
    result = worker.submit(cmd).result(3)
    assert result.ok
    assert bytes(port.written) == b"AT+QISEND=0\r" + payload + b"\x1a"
    assert bytes(port.data_mode_input) == payload
    collector.wait_for(lambda e: isinstance(e, DataModeChanged) and not e.active)
    modes = [e.active for e in collector.events if isinstance(e, DataModeChanged)]
    assert modes[:2] == [True, False]


def test_data_mode_fixed_length_writes_exactly_n_bytes(worker_port) -> None:
    worker, port, _ = worker_port

    def fixed(line: bytes) -> bytes:
        port.fixed_length = int(line.split(b",")[1])
        return b"\r\n> "

    port.add(r"AT\+QISEND=0,[1-9]\d*", fixed)
    payload = b'\x1a\x1b\x00"\r\n'  # bytes that only fixed length can carry
    result = worker.submit(c.qisend(0, payload, hex_format=False)).result(3)
    assert result.ok
    assert bytes(port.written) == b"AT+QISEND=0,6\r" + payload


def test_interactive_data_mode_esc_cancels_and_nothing_else_is_written(worker_port) -> None:
    worker, port, _collector = worker_port
    future = worker.submit("AT+QISEND=0")
    deadline = time.monotonic() + 3
    while not worker.awaiting_input and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.awaiting_input and worker.data_mode
    # A poll submitted now must wait: in data mode it would become payload.
    poll = worker.submit(c.qistate_read(), tag="poll")
    time.sleep(0.3)
    assert b"QISTATE" not in port.written
    worker.data_mode_cancel().result(2)
    result = future.result(3)
    assert result.outcome is Outcome.CANCELLED
    assert poll.result(3).ok
    assert bytes(port.written).startswith(b"AT+QISEND=0\r\x1bAT+QISTATE?\r")


def test_interactive_data_mode_typed_payload_and_ctrl_z(worker_port) -> None:
    worker, port, _ = worker_port
    future = worker.submit("AT+QISEND=0")
    deadline = time.monotonic() + 3
    while not worker.awaiting_input and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.data_mode_send(b"typed").result(2)
    assert future.result(3).ok
    assert bytes(port.data_mode_input) == b"typed"


def test_timeout_gives_a_clear_error_and_the_next_command_works(worker_port) -> None:
    worker, _, _ = worker_port
    result = worker.submit(short(c.classify("AT+SILENT"), 0.3)).result(3)
    assert result.outcome is Outcome.TIMEOUT
    assert "no answer within 0.3 s" in result.message
    assert worker.submit(c.at()).result(3).ok


def test_timeout_waiting_for_the_prompt_and_a_late_prompt_is_escaped(worker_port) -> None:
    worker, port, _ = worker_port
    port.add(r"AT\+QISEND=3", b"")
    result = worker.submit(short(c.classify("AT+QISEND=3"), 0.3)).result(3)
    assert result.outcome is Outcome.TIMEOUT and "no '>' prompt" in result.message
    port.inject(b"\r\n> ")  # the module entered data mode after all
    deadline = time.monotonic() + 2
    while not port.written.endswith(b"\x1b") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert port.written.endswith(b"\x1b")
    assert worker.submit(c.at()).result(3).ok


def test_timeout_waiting_for_send_ok(worker_port) -> None:
    worker, port, _ = worker_port
    port.add(r'AT\+QISEND=2,\d+,".*"', b"\r\nOK\r\n")
    cmd = short(c.qisend(2, b"x", hex_format=False), 0.3)
    result = worker.submit(cmd).result(3)
    assert result.outcome is Outcome.TIMEOUT
    assert "no SEND OK / SEND FAIL" in result.message


def test_timeout_in_data_mode_escapes_the_module(worker_port) -> None:
    worker, port, _ = worker_port
    port.on_data_mode = lambda payload: b""  # the module never answers the payload
    cmd = short(c.qisend(0, b"abc", hex_format=False, mode=c.SendMode.VARIABLE), 0.3)
    result = worker.submit(cmd).result(3)
    assert result.outcome is Outcome.TIMEOUT
    assert port.written.endswith(b"\x1a\x1b")
    assert not worker.data_mode


def test_deferred_result_is_tied_back_and_the_line_is_free_meanwhile(worker_port) -> None:
    worker, port, collector = worker_port
    port.add(r"AT\+QIOPEN=.*", b"\r\nOK\r\n")
    opening = worker.submit(
        c.qiopen(connect_id=2, service_type="TCP", host="127.0.0.1", remote_port=7)
    )
    # While +QIOPEN: is pending, other commands run.
    assert worker.submit(c.at()).result(3).ok
    assert not opening.done()
    port.inject(b"\r\n+QIOPEN: 1,0\r\n")  # another socket's result: not ours
    port.inject(b"\r\n+QIOPEN: 2,566\r\n")
    result = opening.result(3)
    assert result.outcome is Outcome.OK and not result.ok
    assert result.result_code == 566 and "566 Socket connection failed" in result.message
    # The future resolves on the worker thread; subscribers get the batch a moment later.
    collector.wait_for(
        lambda e: isinstance(e, CommandFinished) and e.result.command_id == result.command_id
    )
    roles = [
        (e.event.connect_id, e.command_id)
        for e in collector.events  # type: ignore
        if isinstance(e, Rx) and isinstance(e.event, ev.QiOpenResult)
    ]
    assert roles == [(1, None), (2, result.command_id)]


def test_deferred_timeout(worker_port) -> None:
    worker, port, _ = worker_port
    port.add(r"AT\+QNTP=.*", b"\r\nOK\r\n")
    cmd = c.qntp("127.0.0.1")
    assert cmd.deferred is not None
    cmd = dataclasses.replace(cmd, deferred=dataclasses.replace(cmd.deferred, timeout=0.3))
    result = worker.submit(cmd).result(3)
    assert result.outcome is Outcome.DEFERRED_TIMEOUT
    assert "no final +QNTP: within" in result.message


def test_ping_replies_and_summary(worker_port) -> None:
    worker, port, _ = worker_port
    port.add(
        r"AT\+QPING=.*",
        b'\r\nOK\r\n\r\n+QPING: 0,"127.0.0.1",32,1,64\r\n\r\n+QPING: 569\r\n'
        b"\r\n+QPING: 0,2,1,1,1,1,1\r\n",
    )
    result = worker.submit(c.qping("127.0.0.1", ping_num=2)).result(3)
    assert result.ok and result.result_code == 0
    assert [type(e) for e in result.deferred] == [ev.QPingReply, ev.QPingResult, ev.QPingSummary]


def test_ping_dns_failure_is_final(worker_port) -> None:
    worker, port, _ = worker_port
    port.add(r"AT\+QPING=.*", b"\r\nOK\r\n\r\n+QPING: 565\r\n")
    result = worker.submit(c.qping("nowhere.example")).result(3)
    assert not result.ok and result.result_code == 565
    assert "565 DNS parse failed" in result.message


def test_reboot_mid_command_fails_it_at_once(worker_port) -> None:
    worker, port, collector = worker_port
    future = worker.submit(short(c.classify("AT+SILENT"), 30))
    collector.wait_for(lambda e: isinstance(e, Tx) and e.data.startswith(b"AT+SILENT"))
    port.inject(b"\r\nRDY\r\n")
    result = future.result(2)
    assert result.outcome is Outcome.REBOOTED and "rebooted" in result.message
    collector.wait_for(lambda e: isinstance(e, ModuleRebooted))
    assert worker.submit(c.at()).result(3).ok


def test_port_lost_mid_command_then_reconnect(basic_port: ScriptedPort) -> None:
    ports = [basic_port]

    def make() -> ScriptedPort:
        return ports[-1]

    worker, factory, collector = make_worker(basic_port)
    try:
        future = worker.submit(short(c.classify("AT+SILENT"), 30))
        collector.wait_for(lambda e: isinstance(e, Tx) and e.data.startswith(b"AT+SILENT"))
        fresh = ScriptedPort(dict(r for r in [(r"AT", b"\r\nOK\r\n")]))
        ports.append(fresh)
        factory.make = make
        factory.refuse = 1  # the first attempt fails, as when the device is still gone
        basic_port.vanish()
        result = future.result(2)
        assert result.outcome is Outcome.LINK_LOST and "link lost" in result.message
        down = collector.wait_for(
            lambda e: isinstance(e, LinkStatus) and e.state is LinkState.DISCONNECTED
        )
        assert isinstance(down, LinkStatus) and down.retry_at is not None
        # While down, a command is refused at once with a clear reason.
        refused = worker.submit(c.at()).result(1)
        assert refused.outcome is Outcome.NOT_SENT and "down" in refused.detail
        assert worker.wait_connected(5)
        assert worker.submit(c.at()).result(3).ok
        assert fresh.lines[-1] == b"AT"
    finally:
        worker.close()


def test_reconnect_resynchronises_and_rereads_state() -> None:
    def module() -> ScriptedPort:
        return ScriptedPort(
            {
                r"AT": b"\r\nOK\r\n",
                r"ATI": b"\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\nRevision: R1\r\n\r\nOK\r\n",
                r'AT\+QICFG="dataformat"': b'\r\n+QICFG: "dataformat",1,1\r\n\r\nOK\r\n',
                r'AT\+QICFG="showRA"': b'\r\n+QICFG: "showRA",0\r\n\r\nOK\r\n',
                r"AT\+QISTATE\?": b"\r\nOK\r\n",
                r"AT\+CEREG\?": b"\r\n+CEREG: 0,1\r\n\r\nOK\r\n",
                r"AT\+CGPADDR": b'\r\n+CGPADDR: 0,"10.0.0.2"\r\n\r\nOK\r\n',
            }
        )

    factory = PortFactory(module)
    worker = SerialWorker("fake://", port_factory=factory, backoff=(0.1,))
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    try:
        collector.wait_for(lambda e: isinstance(e, ModuleIdentity))
        first = factory.current
        assert first.written.startswith(b"\x1bAT\rATI\r")
        worker.wait_idle(3)
        assert worker.engine.send_hex and worker.engine.recv_hex
        first.vanish()
        deadline = time.monotonic() + 5
        while len(factory.ports) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        second = factory.current
        assert second is not first
        deadline = time.monotonic() + 5
        while b"AT+CGPADDR" not in second.written and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [ln for ln in second.lines] == [
            b"AT",
            b"ATI",
            b'AT+QICFG="dataformat"',
            b'AT+QICFG="showRA"',
            b"AT+QISTATE?",
            b"AT+CEREG?",
            b"AT+CGPADDR",
        ]
        assert second.written.startswith(b"\x1b")
    finally:
        worker.close()


MODULE_RULES: dict[str, bytes] = {
    r"AT": b"\r\nOK\r\n",
    r"ATI": b"\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\nRevision: R1\r\n\r\nOK\r\n",
    r'AT\+QICFG="dataformat"': b'\r\n+QICFG: "dataformat",0,0\r\n\r\nOK\r\n',
    r'AT\+QICFG="showRA"': b'\r\n+QICFG: "showRA",0\r\n\r\nOK\r\n',
    r"AT\+QISTATE\?": QISTATE_ROWS,
    r"AT\+CEREG\?": b"\r\n+CEREG: 0,1\r\n\r\nOK\r\n",
    r"AT\+CGPADDR": b'\r\n+CGPADDR: 0,"10.0.0.2"\r\n\r\nOK\r\n',
}
STATE_READ = [
    b"ATI",
    b'AT+QICFG="dataformat"',
    b'AT+QICFG="showRA"',
    b"AT+QISTATE?",
    b"AT+CEREG?",
    b"AT+CGPADDR",
]
#: Short enough for a test, with the same shape as the default policy.
FAST_SYNC = SyncPolicy(quiet=0.15, drain_limit=2.0, at_timeout=0.4, at_tries=2, backoff=(0.2,))


def reconnect_to(second: ScriptedPort, **kw) -> tuple[SerialWorker, ScriptedPort, Collector]:
    """A worker connected to a plain module, whose port then vanishes and comes back
    as ``second``; returns once the first connect has read the state."""
    first = ScriptedPort(dict(MODULE_RULES))
    ports = iter([first, second])
    factory = PortFactory(lambda: next(ports))
    worker = SerialWorker("fake://", port_factory=factory, backoff=(0.1,), **kw)
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    assert worker.wait_connected(5)
    first.vanish()
    collector.wait_for(lambda e: isinstance(e, LinkStatus) and e.state is LinkState.DISCONNECTED)
    return worker, first, collector


def identities(collector: Collector, n: int = 2) -> int:
    """How many times ATI was read, once it has been ``n`` times (bounded wait)."""
    with collector.lock:
        collector.lock.wait_for(
            lambda: sum(isinstance(e, ModuleIdentity) for b in collector.batches for e in b) >= n,
            5,
        )
    return sum(isinstance(e, ModuleIdentity) for e in collector.events)


def statuses(collector: Collector, state: LinkState) -> list[LinkStatus]:
    return [e for e in collector.events if isinstance(e, LinkStatus) and e.state is state]


def state_lines(port: ScriptedPort) -> list[bytes]:
    """What was written after the last AT that got its OK."""
    last_at = len(port.lines) - 1 - port.lines[::-1].index(b"AT")
    return port.lines[last_at + 1 :]


def test_reconnect_to_a_module_left_in_data_mode_reads_the_state_again() -> None:
    # The module is still at the '>' prompt: Esc makes it answer ERROR, which must
    # not be taken as the answer to AT.
    second = ScriptedPort(dict(MODULE_RULES), data_mode=True)
    worker, _, collector = reconnect_to(second)
    try:
        assert identities(collector) == 2
        assert worker.wait_connected(5)
        syncing = [
            e
            for e in collector.events
            if isinstance(e, LinkStatus) and e.state is LinkState.SYNCING
        ]
        assert len(syncing) >= 2  # at each connect, before "connected"
        assert second.written.startswith(b"\x1b")
        assert state_lines(second) == STATE_READ
        assert not second.data_mode_input  # nothing became payload
        poll = worker.submit(c.qistate_read()).result(3)
        assert poll.ok and len(poll.lines) == 2
    finally:
        worker.close()


def test_reconnect_to_a_module_that_drops_the_first_at_still_reads_the_state() -> None:
    # A sleeping module wakes on the first characters and drops them: the first AT
    # has no answer at all.
    second = ScriptedPort(dict(MODULE_RULES), deaf=1)
    worker, _, collector = reconnect_to(second, sync=FAST_SYNC)
    try:
        assert identities(collector) == 2
        assert worker.wait_connected(5)
        assert second.lines[:2] == [b"AT", b"AT"]
        assert state_lines(second) == STATE_READ
    finally:
        worker.close()


def test_late_answers_during_the_resync_are_never_taken_for_later_commands() -> None:
    # Everything the module says comes 0.6 s late for a while (booting): each AT
    # times out and its OK arrives during the next step. The state read must still
    # complete with every answer its own, and the first poll must get its rows.
    second = ScriptedPort(dict(MODULE_RULES), late=3, late_s=0.6)
    worker, _, collector = reconnect_to(second, sync=FAST_SYNC)
    try:
        assert identities(collector) == 2
        assert worker.wait_connected(8)
        assert state_lines(second) == STATE_READ
        read = {
            e.result.command.line: e.result
            for e in collector.events
            if isinstance(e, CommandFinished) and e.result.tag == "init"
        }
        assert all(r.ok for r in read.values()), {k: r.message for k, r in read.items()}
        assert len(read['AT+QICFG="dataformat"'].lines) == 1
        assert len(read["AT+QISTATE?"].lines) == 2
        # A round that failed backed off, saying so, and the link said it was
        # synchronising (not connected) the whole time.
        syncing = [
            e
            for e in collector.events
            if isinstance(e, LinkStatus) and e.state is LinkState.SYNCING
        ]
        assert any(e.retry_at is not None and "trying again" in e.message for e in syncing)
        poll = worker.submit(c.qistate_read()).result(3)
        assert poll.ok and len(poll.lines) == 2
    finally:
        worker.close()


def test_a_module_switched_to_hex_while_the_link_was_down_is_read_as_hex() -> None:
    rules = dict(MODULE_RULES)
    rules[r'AT\+QICFG="dataformat"'] = b'\r\n+QICFG: "dataformat",1,1\r\n\r\nOK\r\n'
    second = ScriptedPort(rules, data_mode=True, late=1, late_s=0.3)
    worker, _, collector = reconnect_to(second, sync=FAST_SYNC)
    try:
        assert identities(collector) == 2
        assert worker.wait_connected(5)
        assert worker.engine.send_hex and worker.engine.recv_hex
        collector.wait_for(lambda e: isinstance(e, DataFormatChanged) and e.recv_hex)
        second.inject(b'\r\n+QIURC: "recv",0,5,"68656C6C6F"\r\n')
        rx = collector.wait_for(
            lambda e: (
                isinstance(e, Rx)
                and isinstance(e.event, ev.QiUrcRecv)
                and b"68656C6C6F" in e.event.raw
            )
        )
        assert isinstance(rx, Rx) and isinstance(rx.event, ev.QiUrcRecv)
        assert rx.event.payload(worker.engine.recv_hex) == b"hello"
    finally:
        worker.close()


def test_a_late_answer_to_a_timed_out_command_does_not_close_the_next_one() -> None:
    rules: dict[str, bytes] = dict(MODULE_RULES)
    rules[r"AT\+CSQ"] = Late(b"\r\n+CSQ: 24,99\r\n\r\nOK\r\n", 0.5)
    rules[r"AT\+QISTATE\?"] = Late(QISTATE_ROWS, 0.5)
    port = ScriptedPort(rules)
    worker, _, _ = make_worker(port)
    try:
        slow = worker.submit(short(c.classify("AT+CSQ"), 0.2)).result(3)
        assert slow.outcome is Outcome.TIMEOUT
        poll = worker.submit(c.qistate_read()).result(3)
        assert poll.ok and len(poll.lines) == 2, poll.lines
    finally:
        worker.close()


def test_commands_are_refused_while_the_module_does_not_answer() -> None:
    silent = ScriptedPort({})
    silent.rules.clear()
    silent.answer = lambda data: None  # type: ignore[method-assign]
    factory = PortFactory(lambda: silent)
    worker = SerialWorker("fake://", port_factory=factory, sync=FAST_SYNC)
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    try:
        collector.wait_for(
            lambda e: (
                isinstance(e, LinkStatus)
                and e.state is LinkState.SYNCING
                and e.retry_at is not None
            ),
            timeout=5,
        )
        refused = worker.submit(c.at()).result(3)
        assert refused.outcome is Outcome.NOT_SENT
        assert "synchronising" in refused.detail
        assert not worker.connected
    finally:
        worker.close()


def test_dataformat_is_tracked_when_set(worker_port) -> None:
    worker, _, collector = worker_port
    assert worker.submit(c.qicfg_dataformat(1, 0)).result(3).ok
    assert worker.engine.send_hex and not worker.engine.recv_hex
    change = collector.wait_for(lambda e: isinstance(e, DataFormatChanged))
    assert isinstance(change, DataFormatChanged) and change.send_hex


def test_submit_refuses_text_that_is_not_a_command(worker_port) -> None:
    worker, port, _ = worker_port
    from app.protocol.syntax import AtSyntaxError

    with pytest.raises(AtSyntaxError):
        worker.submit("hello")
    assert port.written == b""


def test_subscribers_get_batches_not_lines(worker_port) -> None:
    _worker, port, collector = worker_port
    flood = b"".join(b'\r\n+QIURC: "recv",0,4,"%04d"\r\n' % i for i in range(3000))
    port.inject(flood)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        n = sum(1 for e in collector.events if isinstance(e, Rx))
        if n >= 3000:
            break
        time.sleep(0.02)
    rx = [e for e in collector.events if isinstance(e, Rx)]
    assert len(rx) == 3000
    assert [e.event.payload() for e in rx] == [b"%04d" % i for i in range(3000)]  # type: ignore
    assert len(collector.batches) < 300


def test_close_in_data_mode_sends_esc_first(basic_port: ScriptedPort) -> None:
    worker, _, _collector = make_worker(basic_port)
    future = worker.submit("AT+QISEND=0")
    deadline = time.monotonic() + 3
    while not worker.awaiting_input and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.close()
    assert basic_port.written.endswith(b"\x1b")
    assert future.result(1).outcome is Outcome.LINK_LOST
    assert not basic_port.is_open


def test_line_control_goes_through_the_worker(worker_port) -> None:
    worker, port, _ = worker_port
    worker.set_dtr(False).result(2)
    worker.set_rts(False).result(2)
    worker.send_break(0.1).result(2)
    worker.set_baudrate(9600).result(2)
    assert (port.dtr, port.rts, port.breaks, port.baudrate) == (False, False, [0.1], 9600)


def test_every_command_reports_finished_and_tx_is_recorded(worker_port) -> None:
    worker, _port, collector = worker_port
    result = worker.submit(c.at()).result(3)
    finished = collector.wait_for(lambda e: isinstance(e, CommandFinished))
    assert isinstance(finished, CommandFinished) and finished.result is result
    tx = [e for e in collector.events if isinstance(e, Tx)]
    assert tx[0].data == b"AT\r" and tx[0].what is TxKind.COMMAND


@pytest.mark.parametrize("bound", ["count", "bytes"])
def test_a_subscriber_that_falls_behind_costs_bounded_memory_and_is_told(
    basic_port, bound: str
) -> None:
    """The outbox stops queueing recv lines for subscribers past its bound (a count
    of events, or the bytes they keep: 1 KiB lines reach that one first); the
    recorder still gets every one, and subscribers get a DisplayDropped with the
    bytes they missed, so the socket counters stay right."""
    from app.link.outbox import event_size
    from app.link.results import DisplayDropped

    class Recorder:
        def __init__(self) -> None:
            self.items: list[object] = []

        def record(self, item: object) -> None:
            self.items.append(item)

    recorder = Recorder()
    gate = threading.Event()
    seen: list[object] = []

    def slow(batch: list[object]) -> None:
        gate.wait(5)
        seen.extend(batch)

    factory = PortFactory(lambda: basic_port)
    worker = SerialWorker("fake://", port_factory=factory, init=False, recorder=recorder)
    size = 4 if bound == "count" else 1024
    if bound == "count":
        worker.max_outbox = 100
    else:
        worker.max_outbox_bytes = 64 * 1024
    worker.subscribe(slow)
    worker.start()
    try:
        assert worker.wait_connected(2)
        line = b'+QIURC: "recv",1,%d,"%s"' % (size, b"a" * size)
        for _ in range(500):
            basic_port.inject(b"\r\n" + line + b"\r\n")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            got = sum(1 for i in recorder.items if isinstance(i, Rx))
            if got >= 500:
                break
            time.sleep(0.01)
        assert sum(1 for i in recorder.items if isinstance(i, Rx)) == 500
        waiting = list(worker._outbox)
        if bound == "count":
            assert len(waiting) <= 101
        else:
            assert 0 < len(waiting) < 500  # the byte bound, not the count, held them
            assert sum(event_size(i) for i in waiting) <= worker.max_outbox_bytes
        gate.set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(isinstance(i, DisplayDropped) for i in seen):
            time.sleep(0.01)
        dropped = [i for i in seen if isinstance(i, DisplayDropped)]
        shown = [i for i in seen if isinstance(i, Rx) and isinstance(i.event, ev.QiUrcRecv)]
        assert dropped and len(shown) + sum(d.count for d in dropped) == 500
        assert sum(d.recv_bytes.get(1, 0) for d in dropped) == size * sum(d.count for d in dropped)
    finally:
        gate.set()
        worker.close()


def test_the_dispatcher_sleeps_without_a_timeout_and_a_kick_hands_the_batch_over() -> None:
    """Nothing queued, the dispatcher waits with no timeout (an idle link wakes no
    thread); what is published goes out at the kick, in one batch, and stopping
    ends it."""
    from app.link.outbox import Outbox

    waits: list[float | None] = []

    class Counted(threading.Condition):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return super().wait(timeout)

    box = Outbox(batch_interval=0.0)
    box._cv = Counted()
    batches: list[list[object]] = []
    got = threading.Event()

    def take(batch: list[object]) -> None:
        batches.append(batch)
        got.set()

    box.subscribe(take)
    stopped = threading.Event()
    dispatcher = threading.Thread(target=box.run, args=(stopped,), daemon=True)
    dispatcher.start()
    deadline = time.monotonic() + 5
    while not waits:  # the dispatcher is asleep
        assert time.monotonic() < deadline, "the dispatcher never waited"
        time.sleep(0.001)
    status = LinkStatus(LinkState.CONNECTED, "fake://", 115200)
    box.publish(status, False)
    box.publish(status, False)
    box.kick()
    assert got.wait(5) and batches == [[status, status]]
    stopped.set()
    box.wake()
    dispatcher.join(5)
    assert not dispatcher.is_alive()
    assert waits and all(timeout is None for timeout in waits)
