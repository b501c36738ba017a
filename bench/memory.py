"""Peak memory of the console after 1,000,000 recv URC lines of 1 KiB vs after 1,000.

Each measurement is a child process of its own (``python -m bench.memory --child N``)
that runs the console headless (``QitermApp`` under ``run_test``, 160x48, with a
``CaptureRecorder`` in a temporary directory and the default log memory setting,
its hidden tabs' widgets mounted first, as the console does a second after its
first frame, so both runs have them) and hands it N ``+QIURC: "recv"`` lines of
``SIZE`` (1024) byte text payloads (every line its own event and bytes, numbered)
in batches of ``BATCH``, calling
``QitermApp.apply_batch`` (what the console's batch handler calls for each batch
from the session) directly on the app's loop and letting it run (frames render)
between batches. So the Journal, the EventLog, the module state and the socket
table take in every line as they do from the worker; the worker, the framer and
the capture file are not in the loop. A million 1 KiB lines is a 1 GB flood.

``BATCH`` is 1,000 lines, the whole of the small run: both runs then have the same
batch in flight at their peak (the worker hands over about 120 such lines per 30 ms
batch at the fastest flood the console takes in; see *pipeline*).

Why not the whole pipeline (sim:// + blaster, or a scripted port into a
SerialWorker): through it the console takes in a few thousand recv lines of 1 KiB
a second on this machine (see *pipeline*), so a gigabyte would take many minutes a
run. The worker's outbox is bounded on its own (``MAX_OUTBOX`` events and
``MAX_OUTBOX_BYTES``), and so is the capture's ``seq_of`` map (50,000 ids).

Measured at the end and at checkpoints on the way (``CHECKPOINTS``): ``VmHWM``
(peak resident set) and ``VmRSS`` from ``/proc/self/status``, the journal's sizes
and its own estimate of the bytes it keeps, and the number of live objects the
garbage collector tracks. ``tracemalloc`` slows every allocation several times
over, so a pair of traced children (``TRACED_SMALL`` vs ``TRACED_BIG`` lines, past
the log's bound) is separate: its ``current`` is the Python heap the app holds,
which tells what the allocator adds to it in RSS.
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
SIZE = 1024  # payload bytes per line
BATCH = 1000  # lines per apply_batch call
SMALL = 1_000
BIG = 1_000_000
QUICK_BIG = 30_000
TRACED_SMALL = 1_000
TRACED_BIG = 30_000
#: The peak RSS after a million lines is held to this many times that after 1,000.
AIM_RATIO = 1.3
CHILD_TIMEOUT_S = 600.0
CHECKPOINTS = (1_000, 10_000, 100_000, 300_000, 600_000, 1_000_000)
#: The checkpoints shown as figures (within the big run: is it flat?).
SHOWN = (100_000, 300_000, 600_000)


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
    from widgets.deferred import reveal_in

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
        # The console mounts its hidden tabs' widgets a second after its first
        # frame: mounted now, so the small run (done within that second) has the
        # same widgets as the big one.
        await reveal_in(app.screen)
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
                "kept_bytes": app.journal.retained_bytes,
                "setting": app.journal.max_bytes,
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
            f"VmRSS {p['VmRSS'] / 1024:6.1f} MiB{traced}; journal {p['journal']:,} "
            f"({p['kept_bytes'] / 2**20:.1f} MiB kept), view {p['view']:,}, "
            f"{p['objects']:,} objects ({p['seconds']:.0f} s)"
        )


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 1 if quick else 2
    big = QUICK_BIG if quick else BIG
    traced_big = 10_000 if quick else TRACED_BIG
    say(
        f"memory: {SMALL:,} vs {big:,} recv lines of {SIZE} B into the console, "
        f"{rounds} round(s), the two alternating; tracemalloc: {TRACED_SMALL:,} vs "
        f"{traced_big:,} lines"
    )
    finals: dict[str, list[dict[str, Any]]] = {"small": [], "big": []}
    checkpoints: dict[int, list[dict[str, Any]]] = {}
    for r in range(rounds):
        order = ("small", "big") if r % 2 == 0 else ("big", "small")
        for which in order:
            n = SMALL if which == "small" else big
            say(f"  round {r + 1}: {n:,} lines")
            result = _child(n)
            _show(result)
            finals[which].append(result["points"][-1])
            if which == "big":
                for point in result["points"]:
                    checkpoints.setdefault(point["lines"], []).append(point)
    traced: dict[str, dict[str, Any]] = {}
    for which, n in (("small", TRACED_SMALL), ("big", traced_big)):
        say(f"  traced: {n:,} lines")
        result = _child(n, traced=True)
        _show(result)
        traced[which] = result["points"][-1]

    def mib(points: list[dict[str, Any]], key: str) -> Stat:
        return Stat.of([p[key] / 1024 for p in points])

    small, large = finals["small"], finals["big"]
    # Each big run against the small run of its own round (they ran side by side).
    hwm_ratio = Stat.of([b["VmHWM"] / s["VmHWM"] for s, b in zip(small, large, strict=True)])
    rss_ratio = Stat.of([b["VmRSS"] / s["VmRSS"] for s, b in zip(small, large, strict=True)])
    figures = {
        "hwm.small": Figure(
            "hwm.small",
            f"peak RSS (VmHWM) after {SMALL:,} lines of {SIZE} B",
            mib(small, "VmHWM"),
            "MiB",
        ),
    }
    for mark in SHOWN:
        points = checkpoints.get(mark)
        if not points or mark >= big:
            continue
        figures[f"hwm.at.{mark}"] = Figure(
            f"hwm.at.{mark}",
            f"peak RSS (VmHWM) at {mark:,} lines, inside the {big:,}-line run",
            mib(points, "VmHWM"),
            "MiB",
            ratio=Stat.of([p["VmHWM"] / s["VmHWM"] for s, p in zip(small, points, strict=True)]),
            ratio_unit=f"x after {SMALL:,}",
        )
    figures["hwm.big"] = Figure(
        "hwm.big",
        f"peak RSS (VmHWM) after {big:,} lines of {SIZE} B",
        mib(large, "VmHWM"),
        "MiB",
        ratio=hwm_ratio,
        ratio_unit=f"x after {SMALL:,}",
        aim=f"<= {AIM_RATIO:g}x",
        met=hwm_ratio.median <= AIM_RATIO,
    )
    figures["rss.big"] = Figure(
        "rss.big",
        f"RSS (VmRSS) after {big:,} lines of {SIZE} B",
        mib(large, "VmRSS"),
        "MiB",
        ratio=rss_ratio,
        ratio_unit=f"x after {SMALL:,}",
    )
    kept = Stat.of([p["kept_bytes"] / 2**20 for p in large])
    setting = large[0]["setting"]
    figures["kept.big"] = Figure(
        "kept.big",
        f"log memory kept (the journal's estimate) after {big:,} lines",
        kept,
        "MiB",
        ratio=kept.scaled(2**20 / setting),
        ratio_unit=f"x the setting ({setting / 2**20:g} MiB)",
    )
    t_small = traced["small"]["traced_current"] / 2**20
    t_big = traced["big"]["traced_current"] / 2**20
    figures["traced.small"] = Figure(
        "traced.small",
        f"tracemalloc current after {TRACED_SMALL:,} lines (one run)",
        Stat.of([t_small]),
        "MiB",
    )
    figures["traced.big"] = Figure(
        "traced.big",
        f"tracemalloc current after {traced_big:,} lines (one run)",
        Stat.of([t_big]),
        "MiB",
        ratio=Stat.of([t_big / t_small]),
        ratio_unit=f"x after {TRACED_SMALL:,}",
    )
    for fig in figures.values():
        say(f"  {fig.label:<60} {fig.value_text():>24}  {fig.ratio_text()}  {fig.aim_text()}")
    return figures


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(child_main(sys.argv[1:]))
