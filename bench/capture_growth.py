"""How fast an idle session's capture grows: the default policy (a poll kept only
when its answer changed) vs every poll kept, side by side on the same traffic.

One console runs headless (``QitermApp`` under ``run_test``) on ``sim://``, connected
and idle, with its polling on: AT+QISTATE? and the Module pane's reads, as a
console on the built-in simulator has them. Its serial worker hands every link
event to two recorders at once (a tee): the session's own, with the console's
default policy (``polls="changes"``), and one keeping every poll
(``polls="all"``). Both therefore see exactly the same events.

The polling runs four times faster than normal (AT+QISTATE? every 0.5 s instead of
2 s, the Module pane's reads every 7.5 s instead of 30 s), so that a short run
holds many polls. The figures are scaled back by the polls counted: each window's
bytes are divided by the time those AT+QISTATE? polls take at the normal 2 s
period. The console's clock wakes when each poll or read is due, so both keep
their normal 1:15 ratio (a 0.25 s tick used to stretch the fast poll to 0.5-0.75 s,
the reads then over-represented by up to 1.5x).

After a warm-up (the console connected and read the module once, and the first
polls recorded) the run is cut into windows; each window gives one figure per
recorder: the bytes its files grew by (all parts), per hour of normal polling.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Figure, Stat, say

NAME = "capture_growth"
#: The polling runs this many times faster than normal (figures are scaled back).
SPEEDUP = 4.0
NORMAL_POLL_S = 2.0
NORMAL_MODULE_S = 30.0
AIM_BYTES_PER_HOUR = 1_000_000
WARM_S = {False: 10.0, True: 8.0}
WINDOW_S = {False: 20.0, True: 5.0}
WINDOWS = {False: 4, True: 2}


class Tee:
    """A worker's recorder that hands every event to several recorders."""

    def __init__(self, *recorders: Any) -> None:
        self.recorders = recorders

    def record(self, item: Any) -> None:
        for recorder in self.recorders:
            recorder.record(item)


def _size(recorder: Any) -> int:
    return sum(part.stat().st_size for part in recorder.parts)


def _poll_results(path: Path) -> int:
    """AT+QISTATE? polls answered so far in a capture that keeps every poll."""
    from app.capture.reader import iter_records

    return sum(
        1
        for r in iter_records(path)
        if r.get("type") == "result" and r.get("tag") == "poll" and r.get("line") == "AT+QISTATE?"
    )


async def _measure(folder: Path, quick: bool) -> dict[str, Any]:
    from app.capture.recorder import CaptureRecorder
    from app.config.profile import DEFAULT_CAPTURE_MAX_SIZE, DEFAULT_CAPTURE_POLLS
    from app.console.app import QitermApp
    from app.link.worker import SerialWorker
    from bench.headless import wait_ready

    url = "sim://"
    default = CaptureRecorder(
        folder / "default.jsonl",
        url=url,
        baud=115200,
        max_size=DEFAULT_CAPTURE_MAX_SIZE,
        polls=DEFAULT_CAPTURE_POLLS,
    )
    every = CaptureRecorder(folder / "all.jsonl", url=url, baud=115200, polls="all")
    worker = SerialWorker(url, 115200, recorder=Tee(default, every))
    app = QitermApp.for_url(
        url,
        115200,
        capture=default,
        worker=worker,
        poll_interval=NORMAL_POLL_S / SPEEDUP,
        module_interval=NORMAL_MODULE_S / SPEEDUP,
    )
    windows: list[dict[str, float]] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await asyncio.sleep(WARM_S[quick])
            sizes = (_size(default), _size(every))
            polls = _poll_results(every.path)
            started = time.monotonic()
            for _ in range(WINDOWS[quick]):
                await asyncio.sleep(WINDOW_S[quick])
                now_sizes = (_size(default), _size(every))
                now_polls = _poll_results(every.path)
                now = time.monotonic()
                windows.append(
                    {
                        "seconds": now - started,
                        "polls": now_polls - polls,
                        "default": now_sizes[0] - sizes[0],
                        "all": now_sizes[1] - sizes[1],
                    }
                )
                sizes, polls, started = now_sizes, now_polls, now
            app.exit()
    finally:
        default.close()
        every.close()
    return {
        "windows": windows,
        "left_out": default.polls_left_out,
        "default_total": _size(default),
        "all_total": _size(every),
    }


def run(quick: bool) -> dict[str, Figure]:
    say(f"{NAME}: an idle console on sim://, polling {SPEEDUP:g}x faster, two recorders")
    with tempfile.TemporaryDirectory(prefix="qiterm-bench-growth-") as tmp:
        result = asyncio.run(_measure(Path(tmp), quick))
    default_rates: list[float] = []
    all_rates: list[float] = []
    fractions: list[float] = []
    for w in result["windows"]:
        hours = w["polls"] * NORMAL_POLL_S / 3600  # the time these polls take normally
        if hours <= 0:
            raise SystemExit(f"{NAME}: no poll was answered in a window; is the console idle?")
        default_rates.append(w["default"] / hours)
        all_rates.append(w["all"] / hours)
        fractions.append(w["default"] / w["all"] if w["all"] else 0.0)
        say(
            f"  window {w['seconds']:.1f} s: {w['polls']:.0f} polls "
            f"({w['seconds'] / max(w['polls'], 1):.2f} s apart); "
            f"default +{w['default']:.0f} B, all +{w['all']:.0f} B"
        )
    say(
        f"  whole run: default {result['default_total']:,} B, all {result['all_total']:,} B; "
        f"{result['left_out']} polls left out by the default policy"
    )
    kb = 1000.0
    default_stat = Stat.of([r / kb for r in default_rates])
    return {
        "default": Figure(
            key="default",
            label="idle capture growth, default policy (a poll kept when its answer changed)",
            value=default_stat,
            unit="kB/hour",
            ratio=Stat.of(fractions),
            ratio_unit="x the growth keeping every poll",
            aim=f"< {AIM_BYTES_PER_HOUR / 1e6:g} MB/hour",
            met=default_stat.median * kb < AIM_BYTES_PER_HOUR,
        ),
        "all": Figure(
            key="all",
            label="idle capture growth, every poll kept (--capture-polls all)",
            value=Stat.of([r / kb for r in all_rates]),
            unit="kB/hour",
        ),
    }


__all__ = ["NAME", "run"]
