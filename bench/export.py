"""``qiterm export`` of a 100,000-line capture: time, output size and peak memory per format.

The capture is made up (:mod:`bench.capturegen`): a long console session, most of
its lines the 2 s AT+QISTATE? polling, with the user's sockets, sends, recv URCs,
notes and markers in between (about 18 MB). Each export runs in a child process
of its own (``python -m bench.export --child FMT CAPTURE OUT``) that reports its
wall time, its peak resident set (``VmHWM``) and the output's size. Side by side
in the same round, a child that only reads and replays the capture once (the
records streamed through :class:`~app.capture.replay.Replayer`, as the viewer
does) gives the baseline: the report reads the capture twice (a summary pass,
then the transcript), so about 2x that is the floor.

When chromium is installed, the HTML report is also opened in it (headless,
over the DevTools protocol as the tests do): the time from navigation to the
load event, and to the first contentful paint.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.capturegen import write_capture
from bench.common import Figure, Stat, say

NAME = "export"
LINES = 100_000
QUICK_LINES = 20_000
FORMATS = ("html", "text", "md", "jsonl")
CHILD_TIMEOUT_S = 600.0
ROOT = Path(__file__).resolve().parent.parent


def _vm_hwm_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export")
    parser.add_argument("--child", required=True, help="a format, or 'replay'")
    parser.add_argument("capture")
    parser.add_argument("output")
    args = parser.parse_args(argv)
    before = _vm_hwm_kib()
    started = time.perf_counter()
    if args.child == "replay":
        from app.capture.reader import iter_records
        from app.capture.replay import Replayer

        replayer = Replayer()
        for record in iter_records(args.capture):
            replayer.steps(record)
        size = 0
    else:
        from app.capture.export import export_main

        code = export_main(args.capture, args.child, args.output)
        if code != 0:
            return code
        size = Path(args.output).stat().st_size
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "hwm_kib": _vm_hwm_kib(), "start_kib": before, "size": size}
        ),
        flush=True,
    )
    return 0


def _child(what: str, capture: Path, output: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.export", "--child", what, str(capture), str(output)],
        cwd=ROOT,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"export child ({what}) failed: {proc.stderr.decode()[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return result


def _browser_load(html: Path, folder: Path) -> dict[str, float] | None:
    """Load and first-paint times of ``html`` in headless chromium (None without it)."""
    try:
        from tests.browser import Browser, find_chromium
    except ImportError:
        return None
    exe = find_chromium()
    if exe is None:
        return None
    with Browser(exe, folder / "chromium-profile", timeout=120) as browser:
        started = time.perf_counter()
        browser.open(html)
        loaded = time.perf_counter() - started
        paint = browser.evaluate(
            "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0"
        )
    return {"load_s": loaded, "fcp_ms": float(paint)}


def run(quick: bool = False) -> dict[str, Figure]:
    lines = QUICK_LINES if quick else LINES
    rounds = 1 if quick else 3
    say(f"export: a {lines:,}-line capture, each format in a child process, {rounds} round(s)")
    results: dict[str, list[dict[str, Any]]] = {what: [] for what in ("replay", *FORMATS)}
    loads: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="qiterm-bench-") as tmp:
        folder = Path(tmp)
        capture = write_capture(folder / "capture.jsonl", lines)
        say(f"  capture: {capture.stat().st_size / 1e6:.1f} MB")
        for r in range(rounds):
            order = ("replay", *FORMATS) if r % 2 == 0 else (*reversed(FORMATS), "replay")
            for what in order:
                out = folder / f"out-{r}.{what}"
                result = _child(what, capture, out)
                results[what].append(result)
                say(
                    f"  round {r + 1} {what:6}: {result['seconds']:6.2f} s, peak "
                    f"{result['hwm_kib'] / 1024:6.1f} MiB, output {result['size'] / 1e6:6.2f} MB"
                )
                if what == "html" and r == 0:
                    load = _browser_load(out, folder)
                    if load is not None:
                        loads.append(load)
                        say(
                            f"  chromium: load event {load['load_s']:.2f} s, first contentful "
                            f"paint {load['fcp_ms']:.0f} ms"
                        )
    figures: dict[str, Figure] = {}
    replay = [r["seconds"] for r in results["replay"]]
    figures["replay"] = Figure(
        key="replay",
        label=f"baseline: read and replay the {lines:,}-line capture once",
        value=Stat.of(replay),
        unit="s",
    )
    for what in FORMATS:
        runs = results[what]
        figures[f"{what}.time"] = Figure(
            key=f"{what}.time",
            label=f"--format {what}: time",
            value=Stat.of([r["seconds"] for r in runs]),
            unit="s",
            ratio=Stat.of([r["seconds"] / b for r, b in zip(runs, replay, strict=True)]),
            ratio_unit="x one replay",
        )
        figures[f"{what}.memory"] = Figure(
            key=f"{what}.memory",
            label=f"--format {what}: peak memory (VmHWM of the process)",
            value=Stat.of([r["hwm_kib"] / 1024 for r in runs]),
            unit="MiB",
            aim="< 200 MiB",
            met=max(r["hwm_kib"] for r in runs) / 1024 < 200,
        )
        figures[f"{what}.size"] = Figure(
            key=f"{what}.size",
            label=f"--format {what}: output size",
            value=Stat.of([r["size"] / 1e6 for r in runs]),
            unit="MB",
        )
    if loads:
        figures["html.load"] = Figure(
            key="html.load",
            label="HTML report in headless chromium: navigation to load event",
            value=Stat.of([x["load_s"] for x in loads]),
            unit="s",
        )
        figures["html.fcp"] = Figure(
            key="html.fcp",
            label="HTML report in headless chromium: first contentful paint",
            value=Stat.of([x["fcp_ms"] for x in loads]),
            unit="ms",
        )
    return figures


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
