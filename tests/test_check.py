"""``qiterm check``: the conformance suite against the simulator, with and without
deliberate deviations, and how it tells a different module from a network down."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.check.expect import intervals, split_fields
from app.check.model import Finding, Report, Verdict
from app.check.net import Network, PeerOptions, parse_host_port
from app.check.report import render_html
from app.check.run import run_check
from app.cli import main
from app.sim.deviations import DEVIATIONS

#: Each deviation the simulator can be asked for, and the one finding that must name it.
NAMED_BY = {
    "qistate_order": "qistate.row.order",
    "qistate_fields": "qistate.row.fields",
    "no_closed_urc": "urc.closed",
    "no_close_ok": "qiclose.write",
    "send_ok_without_ok": "qisend.inline",
    "prompt": "data.prompt",
    "qping_summary": "qping.summary",
    "qiopen_used_code": "qiopen.used",
    "qntp_unquoted": "qntp.write",
    "no_incoming_urc": "urc.incoming",
    "qiclose_test_range": "qiclose.test",
    "qidnscfg_ipv6": "qidnscfg.params",
    "recv_no_address": "urc.recv.showra",
}


def differing(report: Report) -> set[str]:
    return {f.id for f in report.differences}


def test_the_simulator_conforms_to_every_check(tmp_path: Path) -> None:
    report = run_check(None, log_path=str(tmp_path / "run.jsonl"))
    assert not report.aborted
    assert report.differences == [], [(f.id, f.got) for f in report.differences]
    assert all(f.verdict is Verdict.CONFORMS for f in report.findings)
    # Every command of chapter 2.3, its URCs, data mode and chapter 4's flows.
    sections = {name for name, _ in report.sections()}
    for name in ("AT+QIOPEN", "AT+QISEND", "AT+QICFG", "URCs", "Data mode", "Chapter 4 flows"):
        assert name in sections
    assert len(report.findings) >= 60
    assert report.module == "Quectel_Ltd Quectel_BC660K-GL"
    assert (tmp_path / "run.jsonl").stat().st_size > 0  # the run is recorded


def test_every_deviation_has_a_finding_that_names_it() -> None:
    assert set(NAMED_BY) == set(DEVIATIONS)
    assert len(NAMED_BY) >= 10
    assert len(set(NAMED_BY.values())) == len(NAMED_BY)


@pytest.mark.slow
@pytest.mark.parametrize("deviation", sorted(NAMED_BY))
def test_a_deviation_is_named_and_nothing_else(deviation: str, tmp_path: Path) -> None:
    report = run_check(f"sim://?deviate={deviation}", log_path=str(tmp_path / "run.jsonl"))
    assert not report.aborted
    assert differing(report) == {NAMED_BY[deviation]}, [(f.id, f.got) for f in report.differences]
    assert report.count(Verdict.CONFORMS) == len(report.findings) - 1


def test_a_peer_that_is_down_is_the_network_not_the_module(tmp_path: Path) -> None:
    closed = Network.closed_port()
    report = run_check(
        None,
        peers=PeerOptions(tcp_echo=("127.0.0.1", closed)),
        log_path=str(tmp_path / "run.jsonl"),
    )
    opened = next(f for f in report.findings if f.id == "qiopen.tcp")
    assert opened.verdict is Verdict.NETWORK
    assert f"127.0.0.1:{closed} does not answer from this machine either" in opened.got
    assert report.differences == []


def test_a_failed_open_to_a_peer_that_is_up_is_the_module(tmp_path: Path) -> None:
    # The simulated module reports 566 for its first AT+QIOPEN whatever the peer does.
    report = run_check("sim://?fail_qiopen=566", log_path=str(tmp_path / "run.jsonl"))
    opened = next(f for f in report.findings if f.id == "qiopen.tcp")
    assert opened.verdict is Verdict.DIFFERS
    assert "result 566 though the peer answers from this machine" in opened.got
    assert differing(report) == {"qiopen.tcp"}
    skipped = {f.id for f in report.findings if f.verdict is Verdict.SKIPPED}
    assert {"qisend.inline", "urc.recv", "flow.4.1"} <= skipped


def test_a_module_off_the_network_is_not_judged_on_what_needs_it(tmp_path: Path) -> None:
    # Waiting for its SIM PIN, the module never registers: no IP address.
    report = run_check("sim://?pin=1234", log_path=str(tmp_path / "run.jsonl"))
    assert report.differences == []
    network = {f.id for f in report.findings if f.verdict is Verdict.NETWORK}
    assert {"qiopen.tcp", "qping.replies", "qntp.write", "urc.closed", "flow.4.3"} <= network
    assert any("no IP address" in note for note in report.notes)


def test_a_module_on_another_network_gets_no_loopback_peer(tmp_path: Path) -> None:
    # Its address is not a loopback one: the check's own peers are out of its reach,
    # and by default nothing else is tried.
    report = run_check("sim://?ip=10.11.12.13", log_path=str(tmp_path / "run.jsonl"))
    assert report.differences == []
    skipped = {f.id for f in report.findings if f.verdict is Verdict.SKIPPED}
    assert {"qiopen.tcp", "qping.replies", "qntp.write", "flow.4.2", "flow.4.3"} <= skipped
    assert any("cannot reach this machine's loopback peers" in n for n in report.notes)
    # What needs no peer is still checked.
    judged = {f.id for f in report.findings if f.verdict is Verdict.CONFORMS}
    assert {"qiopen.test", "qiopen.params", "qicfg.dataformat", "qidnscfg.write"} <= judged


def test_peers_named_by_the_person_are_used(tmp_path: Path) -> None:
    from app.demo.peers import Peers

    with Peers(udp_echo=False, ntp=False, dns=False) as peers:
        assert peers.tcp_echo is not None
        report = run_check(
            "sim://?ip=10.11.12.13",
            peers=PeerOptions(tcp_echo=peers.tcp_echo),
            log_path=str(tmp_path / "run.jsonl"),
        )
        assert b"qiterm check inline" in peers.tcp_received
    by_id = {f.id: f.verdict for f in report.findings}
    assert by_id["qiopen.tcp"] is Verdict.CONFORMS and by_id["flow.4.1"] is Verdict.CONFORMS
    assert by_id["urc.closed"] is Verdict.SKIPPED  # it cannot make a remote peer close


def test_qiterm_check_writes_the_report_and_the_capture(tmp_path: Path) -> None:
    html, log = tmp_path / "out" / "report.html", tmp_path / "run.jsonl"
    result = CliRunner().invoke(
        main, ["check", "-p", "sim://?deviate=prompt", "--report", str(html), "--log", str(log)]
    )
    assert result.exit_code == 1, result.output
    assert "✗ differs" in result.output and "differs: data.prompt" in result.output
    assert "62 conform, 1 differ" in result.output
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "data.prompt" in page and "b&#x27;&gt;&#x27; (not &lt;CR&gt;&lt;LF&gt;&gt;)" in page
    if os.name == "posix":
        assert stat.S_IMODE(html.stat().st_mode) == 0o600
    assert log.exists()


def test_qiterm_check_refuses_a_bad_peer_and_reports_a_port_that_does_not_open() -> None:
    result = CliRunner().invoke(main, ["check", "--tcp-echo", "nowhere"])
    assert result.exit_code == 2 and "--tcp-echo takes HOST:PORT" in result.output
    result = CliRunner().invoke(main, ["check", "-p", "sim://?nonsense=1"])
    assert result.exit_code == 3
    assert "unknown sim:// option 'nonsense'" in result.output


def test_fields_and_ranges_are_read_as_the_spec_prints_them() -> None:
    assert split_fields('0,"TCP LISTENER","a,b",(0-4),(0,1)') == [
        "0",
        '"TCP LISTENER"',
        '"a,b"',
        "(0-4)",
        "(0,1)",
    ]
    assert intervals("(0,1)") == intervals("(0-1)") == ((0, 1),)
    assert intervals("(0-63,99)") == ((0, 63), (99, 99))
    assert intervals("<host>") is None
    assert parse_host_port("127.0.0.1:123", "x") == ("127.0.0.1", 123)
    assert parse_host_port("time.example", "--ntp", default_port=123) == ("time.example", 123)


def test_the_html_report_escapes_what_the_module_printed() -> None:
    report = Report(port="sim://", module="<b>odd</b>")
    report.add(Finding("x.y", "URCs", "§2.4", "a check", Verdict.DIFFERS, "<a>", '"<script>"'))
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;odd&lt;/b&gt;" in page
