"""Reliability under faults, end to end with the real pieces: the console, the
serial worker, the simulator in-process and in a child process (socket://, pty),
loopback peers. Every wait is bounded.

A bench console is trusted only if it never hangs, never loses a line and always
tells the truth about the link.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.reader import iter_records, read_capture, record_bytes
from app.capture.recorder import CaptureRecorder
from app.console.app import QitermApp
from app.demo.peers import Peers
from app.link.results import LinkState, LinkStatus, Outcome, Tx, TxKind
from app.link.worker import SerialWorker
from app.model.journal import Category
from app.protocol import StreamDecoder
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.events import SocketState
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, connects, log_texts, ready, tx_lines, until
from tests.test_link import Collector
from widgets.status import status_text

SIZE = (140, 40)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sim_tcp(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--tcp", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == f"socket://127.0.0.1:{port}"
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


@pytest.fixture
def named_sim(peers: Peers) -> Iterator[tuple[str, str]]:
    name, url = sim_url(peers)
    yield name, url
    registry.destroy(name)


# --- the port vanishes and comes back ------------------------------------------------


async def test_port_lost_and_back_console_reconnects_and_the_capture_shows_the_gap(
    tmp_path: Path,
) -> None:
    port = free_port()
    sim = start_sim_tcp(port)
    url = f"socket://127.0.0.1:{port}"
    capture = CaptureRecorder(tmp_path / "gap.jsonl", url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0.5)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await command(pilot, "AT+CGMR")
            await until(
                pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE)
            )
            atis_before = tx_lines(app).count("ATI")
            stop(sim)  # the module's side goes away (kill -9)
            await until(pilot, lambda: "disconnected" in status_text(app.state).plain)
            assert "retry in" in status_text(app.state).plain
            # While down, a command is refused with the reason, not queued forever.
            await command(pilot, "AT")
            await until(pilot, lambda: any("not sent" in t for t in log_texts(app)))
            sim = start_sim_tcp(port)  # ... and comes back on the same address
            await until(pilot, lambda: app.state.connected, timeout=15)
            await until(pilot, lambda: tx_lines(app).count("ATI") > atis_before)
            await until(pilot, lambda: not app.session.link.busy)
            assert {'AT+QICFG="dataformat"', "AT+QISTATE?"} <= set(tx_lines(app)[-8:])
            await command(pilot, "AT+CSQ")
            await until(pilot, lambda: "+CSQ: 24,99" in log_texts(app, Category.RESPONSE))
    finally:
        stop(sim)
        capture.close()
    cap = read_capture(tmp_path / "gap.jsonl")
    assert [r["seq"] for r in cap.records] == list(range(1, len(cap.records) + 1))
    states = [r["state"] for r in cap.records if r["type"] == "link"]
    gap = states.index("disconnected")
    assert "connected" in states[:gap] and "connected" in states[gap:]
    texts = b"".join(
        bytes.fromhex(r["x"]) if "x" in r else r["d"].encode()
        for r in cap.records
        if r["type"] == "rx"
    )
    assert b"BC660KGLAAR01A05" in texts and b"+CSQ: 24,99" in texts


def test_pty_with_a_stable_link_survives_the_simulator_being_killed(
    tmp_path: Path,
) -> None:
    link = tmp_path / "module"

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "sim", "--pty", "--link", str(link)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == str(link)
        return proc

    sim = start()
    worker = SerialWorker(str(link), backoff=(0.2,))
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    try:
        assert worker.wait_connected(5) and worker.wait_idle(10)
        os.kill(sim.pid, signal.SIGKILL)
        sim.wait(5)
        collector.wait_for(
            lambda e: isinstance(e, LinkStatus) and e.state is LinkState.DISCONNECTED
        )
        sim = start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not worker.connected:
            time.sleep(0.05)
        assert worker.connected and worker.wait_idle(10)
        assert worker.submit(c.ati()).result(5).ok
    finally:
        worker.close()
        stop(sim)
    assert not link.exists()  # qiterm sim removes its link when it ends


# --- the module reboots, or never answers ------------------------------------------------


async def test_reboot_mid_command_fails_it_clearly_and_empties_the_table(
    named_sim: tuple[str, str],
) -> None:
    name, url = named_sim
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        module = registry.get(name)
        await command(pilot, 'AT+QIOPEN=0,0,"UDP","127.0.0.1",9,0,1')
        await until(
            pilot,
            lambda: (
                app.state.sockets.get(0) is not None
                and app.state.sockets[0].state == SocketState.CONNECTED
            ),
        )
        module.hang_next(1)
        before = connects(app)
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: "AT+CSQ" in tx_lines(app))
        # The module has taken the line (and left it unanswered) before it reboots.
        await until(pilot, lambda: module.hang_commands == 0)
        module.reboot()
        await until(
            pilot,
            lambda: any(
                "rebooted (RDY) before AT+CSQ finished" in t for t in log_texts(app, Category.ERROR)
            ),
        )
        await until(pilot, lambda: not app.state.sockets)
        assert app.query_one("#sockets").row_count == 0
        # The module's state is read again before the link is called connected.
        await until(pilot, lambda: connects(app) > before and app.state.connected)
        assert tx_lines(app)[-6:] == [
            "ATI",
            'AT+QICFG="dataformat"',
            'AT+QICFG="showRA"',
            "AT+QISTATE?",
            "AT+CEREG?",
            "AT+CGPADDR",
        ]
        await command(pilot, "AT+CGMR")
        await until(
            pilot,
            lambda: log_texts(app, Category.RESPONSE).count("Revision: BC660KGLAAR01A05") >= 1,
        )


async def test_a_command_that_never_answers_times_out_and_the_next_works(
    named_sim: tuple[str, str],
) -> None:
    name, url = named_sim
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        registry.get(name).hang_next(1)
        await command(pilot, "AT+CGMR")
        await until(
            pilot,
            lambda: any(
                "no answer within 5 s (the spec's maximum response time)" in t
                for t in log_texts(app, Category.ERROR)
            ),
            timeout=10,
        )
        await command(pilot, "AT+CGMR")
        await until(
            pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE)
        )


# --- data mode interrupted ---------------------------------------------------------------


def test_data_mode_interrupted_no_later_command_becomes_payload(
    named_sim: tuple[str, str], peers: Peers
) -> None:
    name, url = named_sim
    worker = SerialWorker(url, backoff=(0.2,))
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    try:
        assert worker.wait_connected(5) and worker.wait_idle(10)
        assert peers.tcp_echo is not None
        assert (
            worker.submit(
                c.qiopen(
                    connect_id=0,
                    service_type="TCP",
                    host="127.0.0.1",
                    remote_port=peers.tcp_echo[1],
                )
            )
            .result(10)
            .ok
        )
        module = registry.get(name)
        pending = worker.submit("AT+QISEND=0")  # '>' then a person would type
        deadline = time.monotonic() + 5
        while not worker.awaiting_input and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.awaiting_input and module.data_mode is not None
        t0 = time.monotonic()
        module.unplug(for_seconds=0.3)  # the port goes away after '>'
        result = pending.result(5)
        assert result.outcome is Outcome.LINK_LOST and "link lost" in result.message

        def back() -> bool:
            states = [e.state for e in collector.events if isinstance(e, LinkStatus)]
            if LinkState.DISCONNECTED not in states:
                return False
            return LinkState.CONNECTED in states[states.index(LinkState.DISCONNECTED) :]

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not back():
            time.sleep(0.02)
        assert back() and worker.wait_idle(10)
        after = [e for e in collector.events if isinstance(e, Tx) and e.mono > t0]
        assert after[0].what is TxKind.ESC  # resynchronised before anything else
        assert module.data_mode is None  # the Esc ended the module's data mode
        time.sleep(0.2)
        assert peers.tcp_received == b""  # no init command was sent as payload
        assert worker.submit(c.qisend(0, b"fine", hex_format=False)).result(5).ok
    finally:
        worker.close()


# --- garbage on the line ------------------------------------------------------------------


async def test_garbage_on_the_line_keeps_the_console_working_and_shows_it_escaped(
    named_sim: tuple[str, str],
) -> None:
    name, url = named_sim
    app = QitermApp.for_url(url, 115200, poll_interval=0, journal_size=2000)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        module = registry.get(name)
        rng = random.Random(1234)
        module.emit_raw(bytes(rng.randrange(256) for _ in range(64 * 1024)))
        module.emit_raw(b"\r\n" + b"Z" * (1024 * 1024) + b"\r\n")  # a 1 MiB line
        module.emit_raw(b"\r\nNUL\x00in\x00the\x00middle\r\n")
        module.emit_raw(b'\r\n+QIURC: "recv",0,50,"short"\r\n')  # a length that lies
        module.emit_raw(b'\r\n+QIURC: "recv",0,100,"half a URC')  # then the module reboots
        before = connects(app)
        module.reboot()
        await until(pilot, lambda: any("module rebooted" in t for t in log_texts(app)), 15)
        await until(pilot, lambda: connects(app) > before and not app.session.link.busy, 15)
        await command(pilot, "AT+CGMR")
        await until(
            pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app, Category.RESPONSE), 15
        )
        texts = log_texts(app)
        assert "NUL\\0in\\0the\\0middle" in texts
        assert any(e.meaning == "line cut at the cap" for e in app.journal.entries)
        assert any(e.meaning == "length does not match the data" for e in app.journal.entries)
        assert len(app.journal.entries) <= 2000 and len(app.journal.view) <= 2500
        assert app.session.link._framer.pending < 8192


# --- overload -----------------------------------------------------------------------------

#: 20 s in the suite (the journal and the outbox fill within seconds, so 20 s shows
#: them bounded over several times their size); QITERM_FLOOD_SECONDS=600 makes it a soak.
FLOOD_SECONDS = float(os.environ.get("QITERM_FLOOD_SECONDS", "20"))
#: At full speed the pipeline takes ~40 MB/s here, which would write a capture of
#: gigabytes in a minute; so the flood runs flat out for the first seconds, then paced
#: at about 20x the 921,600-baud line rate for the rest.
FULL_SPEED_SECONDS = min(5.0, FLOOD_SECONDS / 4)
PACED_RATE = 2_000_000.0


@pytest.mark.timeout(FLOOD_SECONDS + 240)
async def test_a_flood_loses_nothing_in_the_capture_and_the_log_stays_bounded(
    tmp_path: Path,
) -> None:
    """A loopback blaster pushes into an open socket for FLOOD_SECONDS (20 by
    default; QITERM_FLOOD_SECONDS changes it): as fast as the simulator takes it at
    first, then paced. Every byte the module printed is in the capture; the log pane
    and the worker's queue stay bounded; the console answers afterwards."""
    peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
    peers.blaster_bytes = 1 << 40  # more than a minute can carry
    name, url = sim_url(None)
    path = tmp_path / "flood.jsonl"
    capture = CaptureRecorder(path, url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0, journal_size=5000)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            module = registry.get(name)
            assert peers.blaster is not None
            await command(pilot, f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.blaster[1]},0,1')
            started = time.monotonic()
            peak_view = 0
            full_speed_bytes = 0
            while time.monotonic() - started < FLOOD_SECONDS:
                await pilot.pause(0.5)
                if peers.blaster_rate is None and time.monotonic() - started > FULL_SPEED_SECONDS:
                    full_speed_bytes = peers.blaster_sent
                    peers.blaster_rate = PACED_RATE
                peak_view = max(peak_view, len(app.journal.view))
                assert len(app.session.link._outbox) <= app.session.link.max_outbox + 1
            t_close = time.monotonic()
            await command(pilot, "AT+QICLOSE=0")
            await until(pilot, lambda: 0 not in app.state.sockets, timeout=30)
            await until(pilot, lambda: not app.session.link.busy, timeout=30)
            assert peak_view <= 5000 * 1.25
            printed = module.bytes_out
            t_closed = time.monotonic()
    finally:
        capture.close()
        peers.stop()
        registry.destroy(name)
    t_read = time.monotonic()
    # Stream the capture (hundreds of MB): count its received bytes and decode them.
    decoder = StreamDecoder()
    captured = payload = 0
    first_tx = b""
    for record in iter_records(path):
        if record["type"] == "rx":
            data = record_bytes(record)
            captured += len(data)
            payload += sum(
                len(e.payload()) for e in decoder.feed(data) if isinstance(e, ev.QiUrcRecv)
            )
        elif record["type"] == "tx" and not first_tx:
            first_tx = record_bytes(record)
    print(f"close took {t_closed - t_close:.1f} s, reading {time.monotonic() - t_read:.1f} s")
    assert captured == printed, "every byte the module printed is in the capture"
    assert payload > 1_000_000 and first_tx == b"\x1b"
    print(
        f"flood: {FLOOD_SECONDS:.0f} s, {payload / 1e6:.1f} MB of payload in the capture "
        f"({path.stat().st_size / 1e6:.0f} MB); the first {FULL_SPEED_SECONDS:.0f} s at full "
        f"speed: {full_speed_bytes / FULL_SPEED_SECONDS / 92160:.0f}x the line rate"
    )
    path.unlink()  # hundreds of MB: do not leave them in pytest's temp folders


# --- the terminal goes away -------------------------------------------------------------


def run_on_a_pty_and_hang_up(args: list[str], shown: bytes, *, terminate: bool = False) -> int:
    """Start ``qiterm ARGS`` on a pty with SIGHUP ignored, wait until ``shown`` is on
    its screen, close the terminal (or, with ``terminate``, send SIGTERM and check
    that the terminal was restored), and return the exit code (bounded in time)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(os.environ, TERM="xterm-256color"),
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    os.close(slave)
    try:
        import select

        seen = b""
        deadline = time.monotonic() + 30
        while shown not in seen and time.monotonic() < deadline:
            if not select.select([master], [], [], 0.2)[0]:
                continue
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
        assert shown in seen, f"{args}: {shown!r} never showed"
        if terminate:
            proc.send_signal(signal.SIGTERM)
            tail = b""
            while True:  # what it writes on the way out, until it has gone
                try:
                    if select.select([master], [], [], 0.2)[0]:
                        chunk = os.read(master, 65536)
                        if not chunk:
                            break
                        tail += chunk
                    elif proc.poll() is not None:
                        break
                except OSError:
                    break
                assert time.monotonic() < deadline + 20, "still running after SIGTERM"
            code = proc.wait(timeout=10)
            attrs = termios.tcgetattr(master)
            assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO, "left raw"
            assert b"\x1b[?1049l" in tail, "left on the alternate screen"
            return code
        os.close(master)  # the terminal hangs up
        master = -1
        return proc.wait(timeout=10)
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_hung_up_terminal_ends_the_console_and_the_viewer(tmp_path: Path) -> None:
    """The window closes (or ssh drops) and no SIGHUP reaches qiterm (started under
    nohup, or by a tool that ignores it): qiterm notices the hang-up and exits
    instead of spinning on end of input, and the capture is complete."""
    capture = tmp_path / "hup.jsonl"
    args = ["--no-welcome", "--no-peers", "--log", str(capture)]
    assert run_on_a_pty_and_hang_up(args, b"AT+CGPADDR") == 129
    records = read_capture(capture).records
    assert records[-1]["type"] == "link" and records[-1]["state"] == "closed"
    assert run_on_a_pty_and_hang_up(["view", str(capture)], b"qiterm view") == 129


def test_sigterm_ends_the_console_as_ctrl_q_does(tmp_path: Path) -> None:
    capture = tmp_path / "term.jsonl"
    args = ["--no-welcome", "--no-peers", "--log", str(capture)]
    assert run_on_a_pty_and_hang_up(args, b"AT+CGPADDR", terminate=True) == 143
    records = read_capture(capture).records
    assert records[-1]["type"] == "link" and records[-1]["state"] == "closed"
    assert run_on_a_pty_and_hang_up(["view", str(capture)], b"qiterm view", terminate=True) == 143


# --- the disk fills up ------------------------------------------------------------------


async def test_a_full_disk_shows_in_the_header_until_it_heals_and_the_exit_says_so(
    named_sim: tuple[str, str], tmp_path: Path
) -> None:
    from tests.test_capture import FullDisk

    _, url = named_sim
    capture = CaptureRecorder(tmp_path / "full.jsonl", url=url, baud=115200)
    disk = FullDisk(capture._file)
    capture._file = disk
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            disk.full = True
            await command(pilot, "AT+CSQ")
            header = lambda: status_text(app.state).plain  # noqa: E731
            await until(
                pilot, lambda: "CAPTURE not recording: No space left" in header(), message=header
            )
            errors = [t for t in log_texts(app, Category.ERROR) if "not recording" in t]
            assert len(errors) == 1 and "writing is retried" in errors[0]
            await command(pilot, "AT+CGMR")  # still failing: said once, still shown
            await until(
                pilot,
                lambda: any("BC660KGLAAR01A05" in t for t in log_texts(app, Category.RESPONSE)),
            )
            assert "CAPTURE not recording" in header()
            assert len([t for t in log_texts(app, Category.ERROR) if "not recording" in t]) == 1
            disk.full = False
            await command(pilot, "AT")
            await until(pilot, lambda: "CAPTURE" not in header())
            assert any("writing again" in t for t in log_texts(app))
    finally:
        capture.close()
    assert "INCOMPLETE" in capture.summary() and "session captured" not in capture.summary()
