"""Full pipeline ingest: a flood through port -> SerialWorker -> capture -> console log.

The loopback blaster (:class:`app.demo.peers.Peers`) writes ``FLOOD`` bytes on a TCP
socket the simulated module opened to it; the module prints them as
``+QIURC: "recv"`` URCs. What is timed is one flood from the ``AT+QIOPEN`` going out
to the ``+QIURC: "closed"`` that follows the last payload byte having been handled,
and the figure is the payload bytes over that time. Variants, alternated round by
round (the order rotates):

* ``app.pty`` - the console as a person runs it: :class:`QitermApp` headless
  (``run_test``, so the Journal, EventLog, socket table and status bar are real)
  with its own ``SerialWorker`` and a ``CaptureRecorder`` writing JSON Lines to a
  temporary directory, on ``qiterm sim --pty`` (a child process). The end is the
  console's ``apply_batch`` having handled the closed URC; the capture has
  every line by then (the worker writes it before it publishes).
* ``app.sim`` - the same console on ``sim://`` (the module in this process, as
  ``qiterm`` runs by default).
* ``capture.pty`` - the first two stages alone, to show what the UI costs: a
  ``SerialWorker`` with the ``CaptureRecorder`` and no console, on the same pty.
* ``tio`` - ``tio -t --log --log-file F`` on its own ``qiterm sim --pty``, with a
  pty of ours as its terminal (read and thrown away as fast as it comes); the
  ``AT+QIOPEN`` is typed into it and the end is ``+QIURC: "closed"`` in its log file.

Ratios: each variant against the line rate, and ``app.pty`` / ``tio`` per round.
After each console flood the capture is read back and must hold every recv line;
each tio log must hold every payload byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import app.sim  # noqa: F401  (registers sim://)
from app.capture.reader import iter_records
from app.capture.recorder import CaptureRecorder
from app.demo.peers import Peers
from app.link.results import LinkEvent, Outcome, Rx
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from app.sim import registry
from bench.common import (
    LINE_RATE,
    MB,
    Figure,
    Stat,
    say,
    start_sim_child,
    stop_child,
    throughput_figure,
)
from bench.headless import CountingApp, collector_as_qiterm_runs, wait_ready

NAME = "pipeline"
BAUD = 921_600
FLOOD_DEADLINE_S = 120.0
COMMAND_WAIT_S = 10.0
#: The line printed after the last payload byte (the blaster closes its end).
CLOSED = b'+QIURC: "closed",0'
RECV_HEAD = re.compile(rb'\+QIURC: "recv",0,(\d+),"')


@dataclass
class Run:
    rate: float  # payload bytes/s
    longest_batch_s: float = 0.0
    largest_batch: int = 0
    dropped_lines: int = 0
    #: Time on the app's loop in apply_batch per recv line it handled, seconds.
    ui_per_line_s: float = 0.0
    #: Payload bytes/s up to the frame that showed the flood's last line (console only).
    shown_rate: float = 0.0


# -- the console (headless) -------------------------------------------------------


async def _app_flood(url: str, blaster: tuple[str, int], total: int, folder: Path) -> Run:
    capture = CaptureRecorder(folder / "console.jsonl", url=url, baud=BAUD, replace=True)
    app = CountingApp.for_url(url, BAUD, capture=capture)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot)
        app.reset_counts()
        host, port = blaster
        started = time.perf_counter()
        opened = app.submit(c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port))
        assert opened is not None
        deadline = time.monotonic() + FLOOD_DEADLINE_S
        while not app.closed_at:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"console flood: {app.recv_bytes + app.dropped_bytes:,} of {total:,} "
                    f"bytes in {FLOOD_DEADLINE_S} s"
                )
            await asyncio.sleep(0.02)
        elapsed = app.closed_at - started
        while not app.closed_shown_at:
            if time.monotonic() > deadline:
                raise TimeoutError("console flood: the closed URC never reached the screen")
            await asyncio.sleep(0.01)
        shown = app.closed_shown_at - started
        say(f"    last line on screen {(shown - elapsed) * 1000:.0f} ms after it was handled")
        result = await asyncio.wrap_future(opened)
        if not result.ok:
            raise RuntimeError(f"AT+QIOPEN: {result.message}")
        closed = app.submit(c.qiclose(0))
        assert closed is not None
        if not (await asyncio.wrap_future(closed)).ok:
            raise RuntimeError("AT+QICLOSE failed")
        await pilot.pause()
        got = app.recv_bytes + app.dropped_bytes
        lines = app.recv_lines + app.dropped_lines
        run = Run(
            total / elapsed,
            app.longest_batch_s,
            app.largest_batch,
            app.dropped_lines,
            app.batch_seconds / max(1, app.recv_lines),
            total / shown,
        )
    if got != total:
        raise AssertionError(f"console flood: {got:,} of {total:,} payload bytes arrived")
    recorded = sum(
        1
        for record in iter_records(capture.path)
        if record.get("type") == "rx" and record.get("kind") == "urc.recv"
    )
    if recorded != lines:
        raise AssertionError(f"capture: {recorded:,} recv records, the console saw {lines:,}")
    say(
        f"    {run.rate / MB:7.3f} MB/s payload; longest UI batch {run.longest_batch_s * 1000:,.0f}"
        f" ms ({run.largest_batch:,} events); {run.ui_per_line_s * 1e6:,.0f} us of UI loop per"
        f" recv line; {run.dropped_lines:,} lines kept from the display"
    )
    return run


# -- the worker and capture alone -----------------------------------------------------


class _Closed:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.at = 0.0
        self.got = 0

    def __call__(self, batch: list[LinkEvent]) -> None:
        for item in batch:
            if isinstance(item, Rx):
                if isinstance(item.event, ev.QiUrcRecv):
                    self.got += len(item.event.data)
                elif isinstance(item.event, ev.QiUrcClosed):
                    self.at = time.perf_counter()
                    self.event.set()


def _capture_flood(url: str, blaster: tuple[str, int], total: int, folder: Path) -> Run:
    capture = CaptureRecorder(folder / "worker.jsonl", url=url, baud=BAUD, replace=True)
    worker = SerialWorker(url, BAUD, recorder=capture, init=False, reconnect=False)
    closed = _Closed()
    worker.subscribe(closed)
    try:
        worker.start()
        if not worker.wait_connected(5.0):
            raise RuntimeError(f"{url}: {worker.status.message}")
        for _ in range(5):  # a pty server may notice the new client late
            if worker.submit(c.at()).result(COMMAND_WAIT_S).outcome is Outcome.OK:
                break
        else:
            raise RuntimeError(f"{url}: the module never answered AT")
        host, port = blaster
        started = time.perf_counter()
        opened = worker.submit(
            c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port)
        )
        if not closed.event.wait(FLOOD_DEADLINE_S):
            raise TimeoutError(f"worker flood: {closed.got:,} of {total:,} bytes")
        elapsed = closed.at - started
        if not opened.result(COMMAND_WAIT_S).ok:
            raise RuntimeError("AT+QIOPEN failed")
        if not worker.submit(c.qiclose(0)).result(COMMAND_WAIT_S).ok:
            raise RuntimeError("AT+QICLOSE failed")
    finally:
        worker.close()
        capture.close()
    if closed.got != total:
        raise AssertionError(f"worker flood: {closed.got:,} of {total:,} payload bytes arrived")
    run = Run(total / elapsed)
    say(f"    {run.rate / MB:7.3f} MB/s payload")
    return run


# -- tio ------------------------------------------------------------------------------


class _Tio:
    """``tio`` on a pty of ours; everything it prints is read and discarded."""

    def __init__(self, device: str, log: Path) -> None:
        self.log = log
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            ["tio", "-b", str(BAUD), "-t", "--log", "--log-file", str(log), device],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.shown = b""

    def pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            self.shown = (self.shown + data)[-4096:]

    def wait_shown(self, needle: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.shown:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError(f"tio never showed {needle!r} ({self.shown[-200:]!r})")
            self.pump(0.05)

    def type(self, line: str) -> None:
        os.write(self.master, line.encode("ascii") + b"\r")

    def wait_logged(self, needle: bytes, timeout: float) -> float:
        """Pump until ``needle`` is in the log file; perf_counter() when it was seen."""
        deadline = time.monotonic() + timeout
        size = 0
        with open(self.log, "rb") as log:
            while True:
                self.pump(0.005)
                now_size = os.fstat(log.fileno()).st_size
                if now_size != size:
                    log.seek(max(0, size - len(needle)))
                    tail = log.read(now_size - max(0, size - len(needle)))
                    size = now_size
                    if needle in tail:
                        return time.perf_counter()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"tio log: no {needle!r} after {size:,} bytes")

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"\x14q")  # Ctrl-T q
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.master)


def _tio_flood(device: str, blaster: tuple[str, int], total: int, folder: Path) -> Run:
    log = folder / "tio.log"
    log.write_bytes(b"")
    tio = _Tio(device, log)
    try:
        tio.wait_shown(b"Connected", 10.0)
        time.sleep(0.2)  # raw mode set, the log open
        host, port = blaster
        started = time.perf_counter()
        tio.type(f'AT+QIOPEN=0,0,"TCP","{host}",{port},0,1')
        ended = tio.wait_logged(CLOSED, FLOOD_DEADLINE_S)
        tio.type("AT+QICLOSE=0")
        tio.wait_logged(b"CLOSE OK", COMMAND_WAIT_S)
    finally:
        tio.quit()
    logged = log.read_bytes()
    got = sum(int(m.group(1)) for m in RECV_HEAD.finditer(logged))
    if got != total:
        raise AssertionError(f"tio log: {got:,} of {total:,} payload bytes")
    run = Run(total / (ended - started))
    say(f"    {run.rate / MB:7.3f} MB/s payload ({len(logged) / MB:.1f} MB logged)")
    return run


# -- the benchmark ----------------------------------------------------------------------


def run(quick: bool = False) -> dict[str, Figure]:
    if shutil.which("tio") is None:
        raise SystemExit("pipeline: tio is missing (make tools)")
    rounds = 2 if quick else 5
    total = (1 if quick else 8) * 1024 * 1024
    say(
        f"pipeline: {total // 1024 // 1024} MiB floods, {rounds} rounds; console over the pty "
        "and sim://, worker+capture alone, tio"
    )
    runs: dict[str, list[Run]] = {"app.pty": [], "app.sim": [], "capture.pty": [], "tio": []}
    name = f"bench-pipe-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qiterm-bench-")))
        peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
        stack.callback(peers.stop)
        peers.blaster_bytes = total
        assert peers.blaster is not None
        blaster = peers.blaster
        stack.callback(registry.destroy, name)
        pty_proc, pty_path = start_sim_child("--pty", "--no-echo")
        stack.callback(stop_child, pty_proc)
        tio_proc, tio_path = start_sim_child("--pty", "--no-echo")
        stack.callback(stop_child, tio_proc)

        def console(url: str) -> Run:
            with collector_as_qiterm_runs():
                return asyncio.run(_app_flood(url, blaster, total, folder))

        plan: dict[str, Callable[[], Run]] = {
            "app.pty": lambda: console(pty_path),
            "app.sim": lambda: console(f"sim://{name}?echo=0"),
            "capture.pty": lambda: _capture_flood(pty_path, blaster, total, folder),
            "tio": lambda: _tio_flood(tio_path, blaster, total, folder),
        }
        keys = list(plan)
        for r in range(rounds):
            shift = r % len(keys)
            for key in keys[shift:] + keys[:shift]:
                say(f"  round {r + 1} {key}:")
                runs[key].append(plan[key]())

    rates = {key: [x.rate for x in value] for key, value in runs.items()}
    labels = {
        "app.pty": "console: port -> worker -> capture -> log, qiterm sim --pty",
        "app.sim": "console: port -> worker -> capture -> log, sim:// (in process)",
        "capture.pty": "worker -> capture only (no console), qiterm sim --pty",
        "tio": "tio -t --log (timestamps, log file), qiterm sim --pty",
    }
    figures = {key: throughput_figure(key, labels[key], rates[key]) for key in runs}
    figures["vs_tio"] = Figure(
        key="vs_tio",
        label="console over the pty / tio, same flood, same round",
        value=Stat.of([a / t for a, t in zip(rates["app.pty"], rates["tio"], strict=True)]),
        unit="x tio",
    )
    for key in ("app.pty", "app.sim"):
        figures[f"{key}.shown"] = throughput_figure(
            f"{key}.shown",
            f"console, {key.split('.')[1]}: to the frame that shows the flood's last line",
            [x.shown_rate for x in runs[key]],
        )
    figures["vs_tio.shown"] = Figure(
        key="vs_tio.shown",
        label="console over the pty to its last frame / tio to its log's last line",
        value=Stat.of(
            [a.shown_rate / t for a, t in zip(runs["app.pty"], rates["tio"], strict=True)]
        ),
        unit="x tio",
    )
    for key in ("app.pty", "app.sim"):
        figures[f"{key}.stall"] = Figure(
            key=f"{key}.stall",
            label=f"longest single apply_batch (UI loop blocked), {key.split('.')[1]}",
            value=Stat.of([x.longest_batch_s * 1000 for x in runs[key]]),
            unit="ms",
        )
    for key in ("app.pty", "app.sim"):
        figures[f"{key}.per_line"] = Figure(
            key=f"{key}.per_line",
            label=f"apply_batch time per 1 KiB recv line, {key.split('.')[1]}",
            value=Stat.of([x.ui_per_line_s * 1e6 for x in runs[key]]),
            unit="us",
        )
    for fig in figures.values():
        say(f"  {fig.label:<66} {fig.value_text():>28}  {fig.ratio_text()}")
    say(f"  (line rate {LINE_RATE:,} B/s = 921,600 baud 8N1)")
    return figures
