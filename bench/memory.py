"""Peak memory of the console after 1,000,000 recv URC lines vs after 1,000.

Each measurement is a child process of its own (``python -m bench.memory --child N``)
that runs the console headless (``QitermApp`` under ``run_test``, 160x48, with a
``CaptureRecorder`` in a temporary directory) and hands it N ``+QIURC: "recv"`` lines
of ``SIZE``-byte text payloads (every line its own event and bytes, numbered) in
batches of ``BATCH``, calling ``QitermApp.on_link_batch`` directly on the app's loop
and letting it run (frames render) between batches. So the Journal, the EventLog,
the module state and the socket table take in every line as they do from the
worker; the worker, the framer and the capture file are not in the loop.

Why not the whole pipeline (sim:// + blaster, or a scripted port into a
SerialWorker): on this 2-core machine the console takes in well under 10,000 recv
lines a second (see *pipeline*: its UI thread escapes every payload byte in
Python), so a million lines would take minutes per run, and the worker would keep
most of them from the display anyway once its bounded outbox is full (``MAX_OUTBOX``),
which is not what this measures. The worker's outbox and the capture's
``seq_of`` map are bounded on their own (20,000 events, 50,000 ids).

Measured at the end (and at checkpoints on the way): ``VmHWM`` (peak resident set)
and ``VmRSS`` from ``/proc/self/status``, ``ru_maxrss``, the journal's sizes and the
number of live objects the garbage collector tracks. ``tracemalloc`` slows every
allocation several times over, so the traced children are separate and stop at
``TRACED_BIG`` lines (2.5 times the journal's bound): its ``current`` is the Python
heap the app holds beyond what was there before the app was built. One more child
takes ``FLOOD_LINES`` lines of ``FLOOD_SIZE`` (1024) bytes, the lines a TCP flood
prints, to show what the same bounds cost with big lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.common import Figure, Stat, say

NAME = "memory"
SIZE = 64  # payload bytes per line
BATCH = 2000  # lines per on_link_batch call
SMALL = 1_000
BIG = 1_000_000
TRACED_BIG = 50_000
#: Lines as a TCP flood prints them (1024-byte payloads), past the journal's bound.
FLOOD_SIZE = 1024
FLOOD_LINES = 60_000
CHILD_TIMEOUT_S = 900.0
CHECKPOINTS = (1_000, 10_000, 30_000, 100_000, 300_000, 600_000, 1_000_000)


def _proc_status() -> dict[str, int]:
    """VmHWM and VmRSS in KiB."""
    out: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


async def _feed(lines: int, traced: bool, folder: Path, size: int = SIZE) -> dict[str, Any]:
    # Imported here so that a traced child traces the app, not the imports.
    from app.capture.recorder import CaptureRecorder
    from app.console.app import QitermApp
    from app.link.results import LinkEvent, Role, Rx
    from app.link.worker import SerialWorker
    from app.protocol import events as ev

    def no_port(url: str, settings: Any) -> Any:
        raise OSError("no port: lines are handed to the console directly")

    if traced:
        tracemalloc.start()
    capture = CaptureRecorder(folder / "memory.jsonl", url="bench://memory", baud=921_600)
    worker = SerialWorker("bench://memory", 921_600, reconnect=False, port_factory=no_port)
    app = QitermApp.for_url(
        "bench://memory", 921_600, capture=capture, worker=worker, poll_interval=0
    )
    points: list[dict[str, Any]] = []
    pad = b"x" * (size - 8)
    head = b'+QIURC: "recv",0,%d,"' % size
    started = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        fed = 0
        marks = [m for m in CHECKPOINTS if m < lines] + [lines]
        for mark in marks:
            while fed < mark:
                batch: list[LinkEvent] = []
                for i in range(fed, min(fed + BATCH, mark)):
                    data = b"%08d" % i + pad
                    line = head + data + b'"'
                    event = ev.QiUrcRecv(
                        raw=line + b"\r\n",
                        line=line,
                        connect_id=0,
                        current_recv_length=size,
                        data=data,
                        hex_payload=False,
                    )
                    batch.append(Rx(event, Role.URC, None, time.monotonic(), time.time()))
                fed += len(batch)
                app.apply_batch(batch)
                del batch
                await asyncio.sleep(0)  # frames and timers run between batches
            await pilot.pause()
            point: dict[str, Any] = {
                "lines": fed,
                "seconds": time.perf_counter() - started,
                **_proc_status(),
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "journal": len(app.journal.entries),
                "view": len(app.journal.view),
                "objects": len(gc.get_objects()),
            }
            if traced:
                current, peak = tracemalloc.get_traced_memory()
                point["traced_current"] = current
                point["traced_peak"] = peak
            points.append(point)
        app.exit()
    return {"lines": lines, "traced": traced, "size": size, "points": points}


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--child", type=int, required=True, help="recv lines to feed")
    parser.add_argument("--trace", action="store_true", help="run under tracemalloc")
    parser.add_argument("--size", type=int, default=SIZE, help="payload bytes per line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qiterm-bench-") as tmp:
        result = asyncio.run(_feed(args.child, args.trace, Path(tmp), args.size))
    print(json.dumps(result), flush=True)
    return 0


def _child(lines: int, traced: bool = False, size: int = SIZE) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.memory", "--child", str(lines), "--size", str(size)]
    if traced:
        argv.append("--trace")
    proc = subprocess.run(
        argv,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory child ({lines} lines) failed: {proc.stderr.decode()[-800:]}")
    last = proc.stdout.decode().strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last)
    return result


def _show(result: dict[str, Any]) -> None:
    for p in result["points"]:
        traced = ""
        if "traced_current" in p:
            traced = f", traced {p['traced_current'] / 2**20:6.1f} MiB"
        say(
            f"    {p['lines']:>9,} lines: VmHWM {p['VmHWM'] / 1024:6.1f} MiB, "
            f"VmRSS {p['VmRSS'] / 1024:6.1f} MiB{traced}; journal {p['journal']:,}, "
            f"view {p['view']:,}, {p['objects']:,} objects ({p['seconds']:.0f} s)"
        )


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 1 if quick else 2
    big = 20_000 if quick else BIG
    traced_big = 5_000 if quick else TRACED_BIG
    flood_lines = 5_000 if quick else FLOOD_LINES
    say(
        f"memory: {SMALL:,} vs {big:,} recv lines of {SIZE} B into the console, {rounds} "
        f"round(s); tracemalloc: {SMALL:,} vs {traced_big:,} lines"
    )
    finals: dict[str, list[dict[str, Any]]] = {"small": [], "big": []}
    for r in range(rounds):
        order = ("small", "big") if r % 2 == 0 else ("big", "small")
        for which in order:
            n = SMALL if which == "small" else big
            say(f"  round {r + 1}: {n:,} lines")
            result = _child(n)
            _show(result)
            finals[which].append(result["points"][-1])
    traced: dict[str, dict[str, Any]] = {}
    for which, n in (("small", SMALL), ("big", traced_big)):
        say(f"  traced: {n:,} lines")
        result = _child(n, traced=True)
        _show(result)
        traced[which] = result["points"][-1]

    say(f"  flood-sized lines: {flood_lines:,} lines of {FLOOD_SIZE} B")
    flood = _child(flood_lines, size=FLOOD_SIZE)
    _show(flood)

    def mib(points: list[dict[str, Any]], key: str) -> Stat:
        return Stat.of([p[key] / 1024 for p in points])

    small, large = finals["small"], finals["big"]
    hwm_ratio = Stat.of([b["VmHWM"] / s["VmHWM"] for s, b in zip(small, large, strict=True)])
    rss_ratio = Stat.of([b["VmRSS"] / s["VmRSS"] for s, b in zip(small, large, strict=True)])
    figures = {
        "hwm.small": Figure(
            "hwm.small", f"peak RSS (VmHWM) after {SMALL:,} lines", mib(small, "VmHWM"), "MiB"
        ),
        "hwm.big": Figure(
            "hwm.big",
            f"peak RSS (VmHWM) after {big:,} lines",
            mib(large, "VmHWM"),
            "MiB",
            ratio=hwm_ratio,
            ratio_unit=f"x after {SMALL:,}",
        ),
        "rss.small": Figure(
            "rss.small", f"RSS (VmRSS) after {SMALL:,} lines", mib(small, "VmRSS"), "MiB"
        ),
        "rss.big": Figure(
            "rss.big",
            f"RSS (VmRSS) after {big:,} lines",
            mib(large, "VmRSS"),
            "MiB",
            ratio=rss_ratio,
            ratio_unit=f"x after {SMALL:,}",
        ),
    }
    t_small = traced["small"]["traced_current"] / 2**20
    t_big = traced["big"]["traced_current"] / 2**20
    figures["traced.small"] = Figure(
        "traced.small",
        f"tracemalloc current after {SMALL:,} lines (one run)",
        Stat.of([t_small]),
        "MiB",
    )
    figures["traced.big"] = Figure(
        "traced.big",
        f"tracemalloc current after {traced_big:,} lines (one run)",
        Stat.of([t_big]),
        "MiB",
        ratio=Stat.of([t_big / t_small]),
        ratio_unit=f"x after {SMALL:,}",
    )
    last = flood["points"][-1]
    figures["flood.hwm"] = Figure(
        "flood.hwm",
        f"peak RSS (VmHWM) after {flood_lines:,} lines of {FLOOD_SIZE} B (one run)",
        Stat.of([last["VmHWM"] / 1024]),
        "MiB",
        ratio=Stat.of([last["VmHWM"] / s["VmHWM"] for s in small]),
        ratio_unit=f"x after {SMALL:,} of {SIZE} B",
    )
    for fig in figures.values():
        say(f"  {fig.label:<52} {fig.value_text():>24}  {fig.ratio_text()}")
    return figures


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(child_main(sys.argv[1:]))
