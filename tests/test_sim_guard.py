"""The loopback guard: with QITERM_SIM_LOOPBACK_ONLY=1 (set for every test by
conftest.py) no simulated module reaches off this machine, whatever it is told.

The addresses below are from the documentation ranges (RFC 5737 TEST-NET-1); they are
never contacted: the guard refuses them before any packet is built. Result codes are the
TCP/IP application note's chapter 3 (Table 2): 566 "Socket connection failed" for an
open to an unreachable host, 556 "Socket bind failed", 569 "Operation timeout" for a
ping, NTP or DNS query that gets no answer.
"""

from __future__ import annotations

import os
import socket

import pytest

from app.sim.config import SimConfig, SimConfigError, parse_url
from app.sim.guard import ENV_VAR, Guard, is_loopback
from app.sim.module import Module
from app.sim.serve_main import apply_options
from tests.atclient import AtClient

Sim = tuple[AtClient, Module]

#: Documentation addresses (RFC 5737): refused by the guard, never contacted.
UNREACHABLE_DOC_ADDRESS = "192.0.2.1"
UNREACHABLE_DOC_DNS = "192.0.2.53"


def test_the_whole_test_run_is_guarded() -> None:
    assert os.environ[ENV_VAR] == "1"
    assert Guard.for_config(None).loopback_only


def test_what_counts_as_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.5.6.7") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback(UNREACHABLE_DOC_ADDRESS) and not is_loopback("localhost")
    assert Guard(loopback_only=False).allows(UNREACHABLE_DOC_ADDRESS)  # the users' default
    assert not Guard(loopback_only=True).allows(UNREACHABLE_DOC_ADDRESS)


def test_the_guard_option() -> None:
    assert parse_url("sim://?guard=loopback").guard == "loopback"
    assert parse_url("sim://?guard=none").guard is None
    with pytest.raises(SimConfigError, match="guard"):
        parse_url("sim://?guard=lan")
    config = apply_options(SimConfig(), ("sleep=1", "imei=490154203237518", "guard=loopback"))
    assert (config.sleep, config.imei, config.guard) == (1, "490154203237518", "loopback")
    with pytest.raises(SimConfigError):
        apply_options(SimConfig(), ("nonsense",))


def test_non_loopback_qiopen_and_qping_are_refused(sim: Sim) -> None:
    at, module = sim
    assert module.guard.loopback_only
    at.ok(f'AT+QIOPEN=0,0,"TCP","{UNREACHABLE_DOC_ADDRESS}",80,0,1')
    assert at.expect(r"\+QIOPEN: 0,")[-1].text == "+QIOPEN: 0,566"
    at.ok("AT+QICLOSE=0")
    at.ok(f'AT+QIOPEN=0,1,"UDP","{UNREACHABLE_DOC_ADDRESS}",5683,0,1')
    assert at.expect(r"\+QIOPEN: 1,")[-1].text == "+QIOPEN: 1,566"
    at.ok("AT+QICLOSE=1")
    at.ok(f'AT+QIOPEN=0,2,"TCP LISTENER","{UNREACHABLE_DOC_ADDRESS}",0,5000,1')
    assert at.expect(r"\+QIOPEN: 2,")[-1].text == "+QIOPEN: 2,556"
    at.ok("AT+QICLOSE=2")
    # Every request of the ping "times out" at once, and the summary says none came back.
    at.ok(f'AT+QPING=0,"{UNREACHABLE_DOC_ADDRESS}",1,2')
    lines = [e.text for e in at.expect(r"^\+QPING: 0,2,")]
    assert lines == ["+QPING: 569", "+QPING: 569", "+QPING: 0,2,0,2,0,0,0"]


def test_non_loopback_ntp_dns_and_udp_service_sends_are_refused(sim: Sim) -> None:
    at, _ = sim
    at.ok(f'AT+QNTP=0,"{UNREACHABLE_DOC_ADDRESS}",123,0')
    assert at.expect(r"\+QNTP")[-1].text == "+QNTP: 569"
    at.ok(f'AT+QIDNSCFG=0,"{UNREACHABLE_DOC_DNS}"')
    at.ok('AT+QIDNSGIP=0,"example.org"')
    assert at.expect(r"\+QIDNSGIP")[-1].text == "+QIDNSGIP: 569"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    at.ok(f'AT+QIOPEN=0,3,"UDP SERVICE","127.0.0.1",0,{local_port},1')
    assert at.expect(r"\+QIOPEN: 3,")[-1].text == "+QIOPEN: 3,0"
    assert at.lines(f'AT+QISEND=3,"{UNREACHABLE_DOC_ADDRESS}",7,2,"hi"') == ["OK", "SEND FAIL"]
    at.ok("AT+QICLOSE=3")
