"""The serial worker against the simulated module: over sim:// and over a real pty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.demo.peers import Peers
from app.link import worker as worker_module
from app.link.results import (
    CommandFinished,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    Outcome,
    Role,
    Rx,
    Tx,
)
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from app.sim import registry
from tests.conftest import sim_url
from tests.test_link import Collector


def start(url: str, **kw: object) -> tuple[SerialWorker, Collector]:
    worker = SerialWorker(url, backoff=(0.2,), **kw)  # type: ignore[arg-type]
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    assert worker.wait_connected(5)
    # The init queries (AT, then ATI, dataformat, QISTATE... queued once AT is answered)
    # ran: the link is idle for a moment before they are queued, so wait for the last.
    collector.wait_for(
        lambda e: isinstance(e, CommandFinished) and e.result.command.name == "+CGPADDR", 10
    )
    assert worker.wait_idle(10)
    return worker, collector


@pytest.fixture
def named(peers: Peers) -> Iterator[tuple[str, str]]:
    name, url = sim_url(peers)
    yield name, url
    registry.destroy(name)


def test_init_reads_identity_and_formats(named: tuple[str, str]) -> None:
    _, url = named
    worker, collector = start(url)
    try:
        ident = collector.wait_for(lambda e: isinstance(e, ModuleIdentity))
        assert isinstance(ident, ModuleIdentity)
        assert ident.identity == "Quectel_Ltd Quectel_BC660K-GL"
        assert ident.revision == "BC660KGLAAR01A05"
        echoes = [e for e in collector.events if isinstance(e, Rx) and e.role is Role.ECHO]
        assert echoes, "echo is on (ATE1): the worker must recognise and consume it"
        assert all(e.command_id is not None for e in echoes)
    finally:
        worker.close()


def test_open_send_receive_and_deferred_results(named: tuple[str, str], peers: Peers) -> None:
    _, url = named
    worker, collector = start(url)
    try:
        host, port = peers.tcp_echo  # type: ignore[misc]
        opened = worker.submit(
            c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port)
        ).result(10)
        assert opened.ok and opened.result_code == 0
        # Text with a quote and CR LF cannot go inline: the builder picks data mode.
        payload = b'say "hi"\r\n'
        cmd = c.qisend(0, payload, hex_format=worker.engine.send_hex)
        assert cmd.data_mode is not None
        sent = worker.submit(cmd).result(10)
        assert sent.ok, sent.message
        urc = collector.wait_for(lambda e: isinstance(e, Rx) and isinstance(e.event, ev.QiUrcRecv))
        assert isinstance(urc, Rx) and isinstance(urc.event, ev.QiUrcRecv)
        assert urc.role is Role.URC and urc.event.payload() == payload
        ping = worker.submit(c.qping("127.0.0.1", ping_num=2, time_out=2)).result(15)
        assert ping.ok and isinstance(ping.deferred[-1], ev.QPingSummary)
        assert len([d for d in ping.deferred if isinstance(d, ev.QPingReply)]) == 2
        dns = worker.submit(c.qidnsgip("echo.qiterm.local")).result(10)
        assert dns.ok and isinstance(dns.deferred[-1], ev.QiDnsGipAddress)
        assert dns.deferred[-1].address == "127.0.0.1"
    finally:
        worker.close()


def test_an_idle_sim_link_blocks_and_a_command_or_urc_wakes_it(
    named: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On ``sim://`` an idle worker blocks in the port's read (no 50 ms polling) and
    is woken at once by a command and by the module's output: with the idle wait made
    a minute long, both still come through within seconds (a lost wake-up would hold
    them for the minute)."""
    monkeypatch.setattr(worker_module, "IDLE_WAIT_S", 60.0)
    name, url = named
    worker, collector = start(url)
    try:
        port = worker._port
        assert port is not None and port.timeout == 60.0  # idle: the long, woken read
        for _ in range(3):  # each while the worker is blocked waiting
            assert worker.wait_idle(10)
            assert worker.submit(c.at()).result(10).ok
        registry.get(name).emit_raw(b'\r\n+QIURC: "closed",3\r\n')
        urc = collector.wait_for(
            lambda e: isinstance(e, Rx) and isinstance(e.event, ev.QiUrcClosed), 10
        )
        assert isinstance(urc, Rx) and urc.role is Role.URC
    finally:
        worker.close()


def test_reboot_mid_command_fails_it_and_the_link_reinitialises(named: tuple[str, str]) -> None:
    name, url = named
    worker, collector = start(url)
    try:
        module = registry.get(name)
        module.hang_next(1)
        seen = len(collector.events)
        future = worker.submit(c.at())
        # Reboot once the AT is on the wire (the module then has it, unanswered).
        collector.wait_for(
            lambda e: isinstance(e, Tx) and e.data == b"AT\r" and e not in collector.events[:seen]
        )
        module.reboot()
        result = future.result(5)
        assert result.outcome is Outcome.REBOOTED
        assert "rebooted" in result.message
        assert worker.wait_idle(10)
        assert worker.submit(c.at()).result(5).ok
    finally:
        worker.close()


def test_unplugged_port_reconnects_and_keeps_the_module(named: tuple[str, str]) -> None:
    name, url = named
    worker, collector = start(url)
    try:
        module = registry.get(name)
        module.unplug(for_seconds=0.5)
        down = collector.wait_for(
            lambda e: isinstance(e, LinkStatus) and e.state is LinkState.DISCONNECTED
        )
        assert isinstance(down, LinkStatus) and "disconnected" in down.message
        with collector.lock:  # connected a second time, once the state was read again
            assert collector.lock.wait_for(
                lambda: (
                    sum(
                        isinstance(e, LinkStatus) and e.state is LinkState.CONNECTED
                        for b in collector.batches
                        for e in b
                    )
                    >= 2
                ),
                10,
            )
        assert worker.wait_idle(10)
        assert worker.submit(c.at()).result(5).ok
    finally:
        worker.close()


def test_worker_over_a_real_pty_with_echo_and_data_mode(sim_pty: str, peers: Peers) -> None:
    worker, collector = start(sim_pty)
    try:
        host, port = peers.tcp_echo  # type: ignore[misc]
        assert (
            worker.submit(c.qiopen(connect_id=1, service_type="TCP", host=host, remote_port=port))
            .result(10)
            .ok
        )
        result = worker.submit(
            c.qisend(1, b"over the pty", hex_format=False, mode=c.SendMode.VARIABLE)
        ).result(10)
        assert result.ok, result.message
        echo = collector.wait_for(
            lambda e: isinstance(e, Rx) and e.role is Role.ECHO and e.event.line == b"over the pty"
        )
        assert isinstance(echo, Rx) and echo.command_id == result.command_id
        urc = collector.wait_for(lambda e: isinstance(e, Rx) and isinstance(e.event, ev.QiUrcRecv))
        assert isinstance(urc, Rx) and isinstance(urc.event, ev.QiUrcRecv)
        assert urc.event.payload() == b"over the pty"
    finally:
        worker.close()


def test_worker_over_socket_url_keeps_up_with_a_flood() -> None:
    """socket:// (qiterm sim --tcp): pyserial reports at most one byte waiting there,
    so a worker that trusted in_waiting took 2 bytes a pass (~40 KB/s). 2 MiB must
    arrive whole well inside the bound."""
    import subprocess
    import sys
    import time

    peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
    peers.blaster_bytes = 2 * 1024 * 1024
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--tcp", "127.0.0.1:0", "--no-echo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        worker, _ = start(url)
        try:
            got = 0

            def count(batch: list) -> None:
                nonlocal got
                got += sum(
                    len(e.event.payload())
                    for e in batch
                    if isinstance(e, Rx) and isinstance(e.event, ev.QiUrcRecv)
                )

            worker.subscribe(count)
            assert peers.blaster is not None
            opened = worker.submit(
                c.qiopen(
                    connect_id=0, service_type="TCP", host="127.0.0.1", remote_port=peers.blaster[1]
                )
            ).result(10)
            assert opened.ok
            deadline = time.monotonic() + 20
            while got < peers.blaster_bytes and time.monotonic() < deadline:
                time.sleep(0.05)
            assert got == peers.blaster_bytes
            assert worker.submit(c.at()).result(5).ok
        finally:
            worker.close()
    finally:
        proc.terminate()
        proc.wait(5)
        peers.stop()
