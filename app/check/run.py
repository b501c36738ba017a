"""``qiterm check``: run the conformance suite on a port, print and save the report.

With no port it checks the built-in simulated module. The check starts its own
loopback peers; a ``sim://`` port is wired to them (its network's DNS server and
default NTP port), like the console's. The run is recorded like any session.
Exit codes: 0 every check conforms, 1 the module differs, 2 a bad option,
3 the check could not run (the port did not open).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

import app.playback
import app.sim  # noqa: F401  (registers the sim:// URL handler with pyserial)
from app.capture.recorder import CaptureRecorder, default_capture_path
from app.check import services, sockets
from app.check.link import ProbeLink
from app.check.model import Report
from app.check.net import Network, PeerOptions
from app.check.report import print_report, write_html
from app.check.suite import Suite
from app.demo.wiring import add_options
from app.link.ports import SIM_PORT, is_builtin_simulator

BAUDRATE = 115200


#: The run, in order: (what the progress line says, the probe).
def test_forms(suite: Suite) -> None:
    sockets.test_forms(suite)
    services.test_forms(suite)


STEPS: list[tuple[str, Callable[[Suite], None]]] = [
    ("test commands", test_forms),
    ("AT+QICFG", services.options),
    ("TCP client (4.1)", sockets.tcp_client),
    ('+QIURC: "closed"', sockets.closed_urc),
    ("a refused connection", sockets.refused_open),
    ("parameter errors", sockets.parameter_errors),
    ("UDP SERVICE (4.2)", sockets.udp_service),
    ("TCP server (4.3)", sockets.tcp_server),
    ("AT+QPING", services.ping),
    ("AT+QNTP", services.ntp),
    ("DNS", services.dns),
    ("names (4.4, 4.5)", services.flows_by_name),
]


def wire(url: str, net: Network) -> str:
    """A ``sim://`` URL pointed at the check's DNS and NTP peers (its own options win)."""
    peers = net.peers
    if peers is None or peers.dns is None or peers.ntp is None:
        return url
    dns_ip, dns_port = peers.dns
    return add_options(url, dns=f"{dns_ip}:{dns_port}", dns_port=dns_port, ntp_port=peers.ntp[1])


def run_check(
    port: str | None,
    *,
    peers: PeerOptions | None = None,
    log_path: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check the module on ``port`` (None: the built-in simulator); never raises for
    what the module does. OSError when the capture cannot be written."""
    device = port or SIM_PORT
    started = time.monotonic()
    report = Report(port=device, started=datetime.now(UTC).isoformat(timespec="seconds"))
    capture = CaptureRecorder(
        Path(log_path) if log_path else default_capture_path(),
        url=device,
        baud=BAUDRATE,
        make_folder=not log_path,  # the default log folder is made; a --log folder must exist
    )
    report.capture = str(capture.path)
    net = Network(peers).start()
    wired = is_builtin_simulator(device)
    url = wire(device, net) if wired else device
    link = ProbeLink(url, capture)
    try:
        why = link.open()
        if why is not None:
            report.aborted = why
            return report
        identity = link.worker.identity
        if identity is not None:
            report.module, report.revision = identity.identity, identity.revision
        suite = Suite(link, net, report, wired=wired)
        why = suite.setup()
        if why is not None:
            report.aborted = why
            return report
        report.notes += [f"peer {line}" for line in net.describe(suite.local)]
        if not suite.module_ip:
            report.notes.append(
                "the module has no IP address (not registered to a network): the tests "
                "that need the network are not judged"
            )
        elif not suite.local and not net.is_remote:
            report.notes.append(
                f"the module's address is {suite.module_ip or 'unknown'}: it cannot reach "
                "this machine's loopback peers, so tests that need a peer are skipped "
                "(name peers it can reach: --tcp-echo, --udp-echo, --ntp, --ping, --dns-name)"
            )
        try:
            for label, step in STEPS:
                if progress is not None:
                    progress(label)
                step(suite)
        finally:
            suite.teardown()
        suite.finish()
    finally:
        link.close()
        net.stop()
        capture.close()
        report.elapsed = time.monotonic() - started
    return report


def check_main(
    port: str | None,
    *,
    report_path: str | None = None,
    log_path: str | None = None,
    peers: PeerOptions | None = None,
    out: Console | None = None,
    err: Console | None = None,
) -> int:
    """``qiterm check``: returns the exit code (see the module docstring)."""
    out = out or Console(highlight=False)
    err = err or Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        with out.status("checking…") as status:

            def progress(label: str) -> None:
                status.update(f"checking: {label}…")

            report = run_check(port, peers=peers, log_path=log_path, progress=progress)
    except OSError as exc:
        err.print(f"qiterm check: cannot write the capture: {exc.strerror or exc}")
        return 2
    print_report(out, report)
    if report_path is not None:
        try:
            written = write_html(report, report_path)
        except OSError as exc:
            err.print(f"qiterm check: cannot write {report_path}: {exc.strerror or exc}")
            return 2
        out.print(f"report: {written}", markup=False, soft_wrap=True)
    if report.aborted:
        err.print(f"qiterm check: {report.aborted}")
        return 3
    return 0 if report.conforms else 1


__all__ = ["check_main", "run_check"]
