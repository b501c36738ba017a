"""Who reaches the simulated module: every bind is loopback unless the module is
exposed on purpose (``sim://?expose=1``, ``qiterm sim --expose``), with a warning;
``qiterm sim --tcp`` serves one client at a time and tells the others it is busy.

No test here binds an address beyond loopback without the flag: the ``binds``
fixture sees every bind of this process and refuses (never makes) such a bind, so
a simulator that still tried would fail the test, not open a port. With the flag,
the wildcard address is bound on an ephemeral port and closed at once; every
connection goes to 127.0.0.1. The outgoing guard (QITERM_SIM_LOOPBACK_ONLY, set by
conftest.py) is turned off where it would refuse the bind first and hide whether
the reach rule did.
"""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import serial
from click.testing import CliRunner

from app.capture.reader import read_capture
from app.cli import main
from app.session.run import run_main
from app.sim import registry
from app.sim.config import SimConfig, SimConfigError, parse_url
from app.sim.guard import ENV_VAR, is_loopback
from app.sim.module import Module
from app.sim.reach import BindRefused
from app.sim.serve import BUSY_MESSAGE, TcpServer
from app.sim.serve_main import serve
from tests.atclient import AtClient

#: A documentation address (RFC 5737): never bound, never contacted.
DOC_ADDRESS = "192.0.2.1"


@dataclass
class Binds:
    """Every (host, port) bound in this process during a test."""

    seen: list[tuple[str, int]] = field(default_factory=list)
    #: Let the wildcard address be bound (tests of the flag: an ephemeral port, closed at once).
    allow_wildcard: bool = False

    def beyond_loopback(self) -> list[tuple[str, int]]:
        return [(host, port) for host, port in self.seen if not is_loopback(host)]


@pytest.fixture
def binds(monkeypatch: pytest.MonkeyPatch) -> Binds:
    record = Binds()
    real_bind = socket.socket.bind

    def bind(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            host, port = str(address[0]), int(address[1])
            record.seen.append((host, port))
            wildcard = host in ("0.0.0.0", "::") and record.allow_wildcard
            if not is_loopback(host) and not wildcard:
                raise PermissionError(errno.EACCES, f"test: no bind beyond loopback ({host})")
        real_bind(sock, address)

    monkeypatch.setattr(socket.socket, "bind", bind)
    return record


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outgoing guard off for the modules a test makes (only loopback is ever
    contacted here): what refuses a bind must be the reach rule."""
    monkeypatch.delenv(ENV_VAR)


@contextmanager
def module_at(url: str) -> Iterator[tuple[AtClient, Module]]:
    """An AT client on the named module of ``url`` (echo off), and the module."""
    port = serial.serial_for_url(url, timeout=0.1)
    name = parse_url(url).name
    try:
        at = AtClient(port)
        at.ok("ATE0")
        yield at, registry.get(name)
    finally:
        port.close()
        registry.destroy(name)


def free_port(service: str) -> int:
    """A port free on 127.0.0.1 now (a listener needs a local port of 1-65535)."""
    kind = socket.SOCK_DGRAM if service == "UDP SERVICE" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_listener(at: AtClient, cid: int, service: str, host: str) -> str:
    """AT+QIOPEN of a listener on ``host``; the +QIOPEN URC that answers it."""
    at.ok(f'AT+QIOPEN=0,{cid},"{service}","{host}",0,{free_port(service)},1')
    return str(at.expect(rf"\+QIOPEN: {cid},")[-1].text)


# --- the module's own listeners --------------------------------------------------------


@pytest.mark.parametrize("service", ["TCP LISTENER", "UDP SERVICE"])
def test_a_listener_beyond_loopback_is_refused_without_expose(
    binds: Binds, unguarded: None, capsys: pytest.CaptureFixture[str], service: str
) -> None:
    host = DOC_ADDRESS  # (AT+QIOPEN takes no IPv6 address: "::" is an ERROR before this)
    with module_at(f"sim://reach-{service[:3]}") as (at, module):
        assert not module.guard.loopback_only and not module.config.expose
        assert open_listener(at, 0, service, host) == "+QIOPEN: 0,556"
        at.ok("AT+QICLOSE=0")
        # 0.0.0.0 means the module's own address, loopback by default: bound there.
        assert open_listener(at, 1, service, "0.0.0.0") == "+QIOPEN: 1,0"
        at.ok("AT+QICLOSE=1")
    assert binds.beyond_loopback() == []
    assert "127.0.0.1" in {host for host, _ in binds.seen}
    err = capsys.readouterr().err
    assert f"AT+QIOPEN=0: the {service} address {host} is not a loopback address" in err
    assert "expose=1 allows it" in err


def test_the_module_address_decides_where_its_listeners_bind(binds: Binds, unguarded: None) -> None:
    # A module "on another network" keeps its address, but nothing binds it.
    with module_at(f"sim://reach-doc?ip={DOC_ADDRESS}") as (at, _):
        assert open_listener(at, 0, "TCP LISTENER", "0.0.0.0") == "+QIOPEN: 0,556"
        at.ok("AT+QICLOSE=0")
    assert binds.beyond_loopback() == []


def test_the_wildcard_module_address_needs_expose() -> None:
    with pytest.raises(SimConfigError, match=r"ip\) 0\.0\.0\.0 is not a loopback.*expose=1"):
        parse_url("sim://?ip=0.0.0.0")
    with pytest.raises(serial.SerialException, match="expose=1 allows it"):
        serial.serial_for_url("sim://reach-wild?ip=0.0.0.0")
    with pytest.raises(SimConfigError, match="expose=1"):
        registry.make(SimConfig(ip="0.0.0.0"))
    assert parse_url("sim://?ip=0.0.0.0&expose=1").expose
    with pytest.raises(SimConfigError, match="option expose takes 0 or 1"):
        parse_url("sim://?expose=maybe")


def test_exposed_the_wildcard_is_bound_with_a_warning(
    binds: Binds, unguarded: None, capsys: pytest.CaptureFixture[str]
) -> None:
    binds.allow_wildcard = True
    with module_at("sim://reach-exposed?ip=0.0.0.0&expose=1") as (at, module):
        assert module.config.expose
        assert open_listener(at, 0, "TCP LISTENER", "0.0.0.0") == "+QIOPEN: 0,0"
        at.ok("AT+QICLOSE=0")
    assert "0.0.0.0" in {host for host, _ in binds.seen}
    err = capsys.readouterr().err
    assert "warning: exposed: the simulated module may bind beyond loopback" in err
    assert (
        "warning: the simulated module is reachable from the network: "
        "the TCP LISTENER address 0.0.0.0" in err
    )


def test_the_session_says_an_exposed_module_in_its_log_and_capture(tmp_path: Path) -> None:
    script = tmp_path / "at.qis"
    script.write_text("AT\n")
    log = tmp_path / "run.jsonl"
    assert run_main(str(script), "sim://?expose=1", str(log), []) == 0
    notes = [r["text"] for r in read_capture(log).records if r["type"] == "note"]
    assert any("reachable from the network" in n for n in notes), notes


# --- qiterm sim --tcp ------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0:0", "[::]:0", f"{DOC_ADDRESS}:0"])
def test_qiterm_sim_tcp_beyond_loopback_is_refused_naming_the_flag(
    binds: Binds, address: str
) -> None:
    result = CliRunner().invoke(main, ["sim", "--tcp", address])
    assert result.exit_code == 2, result.output
    assert "is not a loopback address" in result.output
    assert "--expose" in result.output
    assert binds.seen == []  # refused before anything was bound


def test_qiterm_sim_refuses_the_wildcard_module_address_naming_the_flag(binds: Binds) -> None:
    with pytest.raises(SimConfigError, match=r"--expose \(or -o expose=1\) allows it"):
        serve(
            pty=False,
            tcp="127.0.0.1:0",
            profile="none",
            echo=True,
            dns="",
            dns_port=53,
            ntp_port=123,
            options=("ip=0.0.0.0",),
        )
    assert binds.seen == []


def test_a_name_stands_for_its_addresses() -> None:
    assert TcpServer.bind_addresses("localhost", 0, expose=False)  # every one loopback
    with pytest.raises(BindRefused, match="--expose allows it"):
        TcpServer.bind_addresses("0.0.0.0", 0, expose=False)


def test_the_tcp_server_exposed_binds_the_wildcard_with_a_warning(
    binds: Binds, capsys: pytest.CaptureFixture[str]
) -> None:
    binds.allow_wildcard = True
    module = registry.make(SimConfig(expose=True))
    try:
        server = TcpServer(module, "0.0.0.0", 0, expose=True).start()
        server.stop()
    finally:
        module.close()
    assert ("0.0.0.0", 0) in binds.seen
    err = capsys.readouterr().err
    assert "reachable from the network: the --tcp address 0.0.0.0" in err


@pytest.fixture
def served(binds: Binds) -> Iterator[tuple[TcpServer, str]]:
    module = registry.make(SimConfig(echo=False))
    server = TcpServer(module, "127.0.0.1", 0).start()
    try:
        yield server, f"socket://127.0.0.1:{server.port}"
    finally:
        server.stop()
        module.close()
    assert binds.beyond_loopback() == []


def read_to_eof(sock: socket.socket) -> bytes:
    got = bytearray()
    while chunk := sock.recv(4096):
        got += chunk
    return bytes(got)


def test_a_second_client_is_told_busy_and_the_first_keeps_its_session(
    served: tuple[TcpServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, url = served
    first = serial.serial_for_url(url, timeout=0.1)
    try:
        at = AtClient(first)
        assert at.lines("AT") == ["OK"]
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as second:
            assert read_to_eof(second) == BUSY_MESSAGE
            second.sendall(b"AT+CGSN=1\r")  # never reaches the module
        assert at.lines("AT+CGMR") == ["Revision: BC660KGLAAR01A05", "OK"]
        assert (server.clients, server.refused) == (1, 1)
    finally:
        first.close()
    assert "refused a client from 127.0.0.1:" in capsys.readouterr().err
    assert b"CGSN" not in at.received


def test_after_the_first_client_leaves_the_next_one_is_served(
    served: tuple[TcpServer, str],
) -> None:
    server, url = served
    for _ in range(3):
        port = serial.serial_for_url(url, timeout=0.1)
        try:
            assert AtClient(port).lines("AT") == ["OK"]
        finally:
            port.close()
    assert server.refused == 0 and server.clients == 3


def test_with_takeover_the_newest_client_wins(binds: Binds) -> None:
    module = registry.make(SimConfig(echo=False))
    server = TcpServer(module, "127.0.0.1", 0, takeover=True).start()
    try:
        url = f"socket://127.0.0.1:{server.port}"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as first:
            second = serial.serial_for_url(url, timeout=0.1)
            try:
                assert read_to_eof(first) == b""  # closed by the newcomer
                assert AtClient(second).lines("AT") == ["OK"]
            finally:
                second.close()
        assert server.refused == 0
    finally:
        server.stop()
        module.close()


def test_qiterm_sim_cli_expose_warns_and_serves_one_client() -> None:
    """The command line end to end, on 127.0.0.1 only: --expose warns on stderr, and a
    second client reads the busy line while the first goes on."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--tcp", "127.0.0.1:0", "--no-echo", "--expose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("socket://127.0.0.1:")
        said = [proc.stderr.readline() for _ in range(2)]
        assert any("reachable from the network" in line for line in said), said
        port_number = int(url.rsplit(":", 1)[1])
        first = serial.serial_for_url(url, timeout=0.1)
        try:
            at = AtClient(first)
            assert at.lines("AT") == ["OK"]
            with socket.create_connection(("127.0.0.1", port_number), timeout=5) as second:
                assert read_to_eof(second) == BUSY_MESSAGE
            assert at.lines("AT") == ["OK"]
        finally:
            first.close()
    finally:
        proc.terminate()
        proc.wait(5)


def test_the_help_says_it() -> None:
    text = CliRunner().invoke(main, ["sim", "--help"]).output
    assert "--expose" in text and "--allow-takeover" in text
    assert "busy" in text and "loopback" in text
