"""Command round trip through the SerialWorker vs raw pyserial, on the same module.

For each transport, batches alternate between

* **worker** - ``SerialWorker(url, init=False)``; one ``worker.submit(c.at()).result()``
  per command, timed from submit to the resolved future (queue, worker thread, engine,
  framer, parser, future), and
* **raw** - a pyserial port on the same module; ``write(b"AT\\r")`` then read until
  ``OK\\r\\n``: the least any client can do.

Transports: ``sim://`` (a named in-process module: closing one port and opening the
next keeps the module), ``qiterm sim --pty`` and ``qiterm sim --tcp`` (``socket://``)
in child processes. Only one port is open on a module at a time; each batch opens its
port, sends a few untimed warm-up commands, then times ``N`` commands back to back.
The figure per transport is the median over batches of each batch's median; the ratio
is worker / raw per pair of neighbouring batches, so both halves share the same minute.

What to look for: the worker blocks in ``port.read`` with a 50 ms timeout and is woken
for a new command by ``port.cancel_read()``. pyserial's posix ports and ``sim://`` have
``cancel_read``; ``socket://`` does not, so there a command waits for the read to time
out before it is written (0-50 ms, about 25 ms on average).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import serial

import app.sim  # noqa: F401  (registers sim://)
from app.link.results import Outcome
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.sim import registry
from bench.common import Figure, Stat, num, percentile, say, start_sim_child, stop_child

NAME = "roundtrip"
OK_TAIL = b"OK\r\n"
COMMAND_TIMEOUT_S = 5.0


def _raw_round_trip(port: Any) -> float:
    t0 = time.perf_counter()
    port.write(b"AT\r")
    got = b""
    deadline = time.monotonic() + COMMAND_TIMEOUT_S
    while not got.endswith(OK_TAIL):
        got += port.read(port.in_waiting or 1)
        if time.monotonic() > deadline:
            raise TimeoutError(f"raw AT: no OK within {COMMAND_TIMEOUT_S} s (got {got!r})")
    return time.perf_counter() - t0


def _raw_batch(open_port: Callable[[], Any], n: int, warmup: int) -> list[float]:
    port = open_port()
    try:
        _settle_raw(port)
        for _ in range(warmup):
            _raw_round_trip(port)
        return [_raw_round_trip(port) for _ in range(n)]
    finally:
        port.close()


def _settle_raw(port: Any) -> None:
    """Get one OK back (a pty server may notice the new client late); drop leftovers."""
    for _ in range(5):
        port.reset_input_buffer()
        port.write(b"AT\r")
        got = b""
        deadline = time.monotonic() + 1.0
        while not got.endswith(OK_TAIL) and time.monotonic() < deadline:
            got += port.read(port.in_waiting or 1)
        if got.endswith(OK_TAIL):
            time.sleep(0.02)
            port.reset_input_buffer()
            return
    raise TimeoutError("raw port: the module never answered AT")


def _worker_round_trip(worker: SerialWorker) -> float:
    t0 = time.perf_counter()
    result = worker.submit(c.at()).result(COMMAND_TIMEOUT_S + 1)
    elapsed = time.perf_counter() - t0
    if result.outcome is not Outcome.OK:
        raise RuntimeError(f"worker AT: {result.outcome.value} {result.detail}")
    return elapsed


def _worker_batch(url: str, n: int, warmup: int) -> list[float]:
    worker = SerialWorker(url, init=False, reconnect=False, name="bench-worker").start()
    try:
        if not worker.wait_connected(5.0):
            raise RuntimeError(f"worker: {url} did not connect ({worker.status.message})")
        for _ in range(5):  # a pty server may notice the new client late
            result = worker.submit(c.at()).result(COMMAND_TIMEOUT_S + 1)
            if result.outcome is Outcome.OK:
                break
        else:
            raise RuntimeError("worker: the module never answered AT")
        for _ in range(warmup):
            _worker_round_trip(worker)
        return [_worker_round_trip(worker) for _ in range(n)]
    finally:
        worker.close()


def _measure(
    label: str,
    url: str,
    open_raw: Callable[[], Any],
    batches: int,
    n_worker: int,
    n_raw: int,
    warmup: int = 3,
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(worker batch medians, raw batch medians, per-pair ratios, all worker samples)."""
    worker_medians: list[float] = []
    raw_medians: list[float] = []
    ratios: list[float] = []
    worker_all: list[float] = []
    for b in range(batches):
        first_worker = b % 2 == 0
        pair: dict[str, list[float]] = {}
        for which in ("worker", "raw") if first_worker else ("raw", "worker"):
            if which == "worker":
                pair[which] = _worker_batch(url, n_worker, warmup=warmup)
            else:
                pair[which] = _raw_batch(open_raw, n_raw, warmup=3)
        w = statistics.median(pair["worker"])
        r = statistics.median(pair["raw"])
        worker_medians.append(w)
        raw_medians.append(r)
        ratios.append(w / r)
        worker_all += pair["worker"]
        say(f"  {label} batch {b + 1}: worker {w * 1e3:.3f} ms, raw {r * 1e3:.3f} ms")
    return worker_medians, raw_medians, ratios, worker_all


def run(quick: bool = False) -> dict[str, Figure]:
    batches = 3 if quick else 7
    n_fast = 30 if quick else 200
    n_socket = 4 if quick else 15
    say(f"roundtrip: AT -> OK, {batches} alternating batch pairs per transport")
    name = f"bench-rt-{os.getpid()}"
    sim_url = f"sim://{name}?echo=0"
    results: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {}
    with contextlib.ExitStack() as stack:
        keeper = serial.serial_for_url(sim_url)  # create the named module once
        keeper.close()
        stack.callback(registry.destroy, name)
        results["sim"] = _measure(
            "sim://",
            sim_url,
            lambda: serial.serial_for_url(sim_url, timeout=1.0),
            batches,
            n_fast,
            n_fast,
        )

        proc, path = start_sim_child("--pty", "--no-echo")
        stack.callback(stop_child, proc)
        results["pty"] = _measure(
            "pty",
            path,
            lambda: serial.Serial(path, 921_600, timeout=1.0),
            batches,
            n_fast,
            n_fast,
        )

        tproc, url = start_sim_child("--tcp", "127.0.0.1:0", "--no-echo")
        stack.callback(stop_child, tproc)
        if not url.startswith("socket://127.0.0.1:"):
            raise RuntimeError(f"qiterm sim --tcp printed {url!r}")
        results["socket"] = _measure(
            "socket://",
            url,
            lambda: serial.serial_for_url(url, timeout=1.0),
            2 if quick else batches,  # pyserial sleeps 0.3 s in socket:// close()
            n_socket,
            n_fast,
            warmup=1,  # every socket:// worker command costs a 50 ms read timeout
        )

    labels = {
        "sim": "sim:// (in process)",
        "pty": "qiterm sim --pty (child process)",
        "socket": "qiterm sim --tcp, socket:// (child process)",
    }
    figures: dict[str, Figure] = {}
    for key, (worker_m, raw_m, ratios, worker_all) in results.items():
        figures[f"{key}.worker"] = Figure(
            key=f"{key}.worker",
            label=f"AT round trip via SerialWorker, {labels[key]}",
            value=Stat.of([x * 1e3 for x in worker_m]),
            unit="ms",
            ratio=Stat.of(ratios),
            ratio_unit="x raw",
        )
        figures[f"{key}.raw"] = Figure(
            key=f"{key}.raw",
            label=f"AT round trip via raw pyserial, {labels[key]}",
            value=Stat.of([x * 1e3 for x in raw_m]),
            unit="ms",
        )
        say(
            f"  {labels[key]}: worker {Stat.of([x * 1e3 for x in worker_m]).fmt()} ms, "
            f"raw {Stat.of([x * 1e3 for x in raw_m]).fmt()} ms, "
            f"ratio {Stat.of(ratios).fmt()}x; worker samples p10/p50/p90/max "
            + "/".join(num(percentile(worker_all, q) * 1e3) for q in (0.1, 0.5, 0.9, 1.0))
            + " ms"
        )
    return figures
