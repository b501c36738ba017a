"""Key-press-to-screen latency on the AT command line, idle and during a flood.

The console runs headless (``run_test``) with a ``CaptureRecorder`` writing to a
temporary directory and its usual QISTATE polling, on two transports, one session
each: ``sim://`` (the module in this process, as ``qiterm`` runs by default) and
``qiterm sim --pty`` (the module in a child process, as a real module on a serial
port would be: its work is not on the console's cores' GIL). A sample: the command line holds
``at+qz``; after a random pause (40-120 ms, so presses do not lock to the frame or
batch clock) one letter is pressed the way a terminal delivers it (a ``Key`` event
through the driver, ``driver.send_message``, what Textual's pilot does) and the
clock runs until the first frame the compositor renders whose lines contain
``at+qz`` plus that letter (the app's ``_display`` hook sees every frame; headless,
the frame is computed and not written anywhere). That is key-press-to-screen
minus the terminal's own drawing.

Flood: a paced source (``bench/pacer.py``, a child process) writes to a TCP socket
the module opened (``AT+QIOPEN``) at ``RATE`` bytes/s, 10x the line rate; the
achieved rate is what the console's log took in (plus lines the worker kept from
the display) over the samples, and is reported.

A session first takes one block of samples on the fresh console (empty log), then
floods for a few seconds so that the log is full of 1 KiB payload lines (and the
log shows scroll bars) for every later block: how much a keystroke costs depends
on what is on screen, and idle and flood blocks must see the same screen. Then
each round runs a block of idle samples and a block of flood samples (the order
alternates); a round's ratio is its flood median (p90) over its idle median (p90).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import string
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import events
from textual.screen import Screen
from textual.widgets import Input

import app.sim  # noqa: F401  (registers sim://)
from app.capture.recorder import CaptureRecorder
from app.protocol import commands as c
from app.sim import registry
from bench.common import (
    LINE_RATE,
    MB,
    Figure,
    Stat,
    percentile,
    say,
    start_pacer,
    start_sim_child,
    stop_child,
    throughput_figure,
)
from bench.headless import CountingApp, collector_as_qiterm_runs, frame_lines, wait_ready

NAME = "keylatency"
BAUD = 921_600
RATE = 10 * LINE_RATE  # payload bytes/s asked of the pacer
PREFIX = "at+qz"
LETTERS = string.ascii_lowercase
#: Aims during the flood: a block's p90 under 50 ms (median over blocks), and the slowest
#: press of all blocks under 100 ms.
AIM_P90_MS = 50.0
AIM_MAX_MS = 100.0
SAMPLE_TIMEOUT_S = 10.0
WARM_S = 1.0  # flood running this long before the first sample
WARM_FLOOD_S = 3.0  # a first flood, so that idle blocks see the same full log


class _KeyApp(CountingApp):
    """Notes when a frame first shows the text expected on the command line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expect: str | None = None
        self.shown = asyncio.Event()
        self.shown_at = 0.0

    def arm(self, text: str) -> None:
        self.expect = text
        self.shown = asyncio.Event()
        self.shown_at = 0.0

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        want = self.expect
        if want is None or renderable is None or self.shown.is_set():
            return
        now = time.perf_counter()
        if any(want in line for line in frame_lines(renderable, self.console)):
            self.shown_at = now
            self.expect = None
            self.shown.set()


async def _sample(app: _KeyApp, rng: random.Random, letter: str) -> float:
    """One key press: seconds from the key event to the frame that shows it."""
    cmdline = app.query_one("#at-input", Input)
    if not cmdline.has_focus:
        cmdline.focus()
    cmdline.value = PREFIX
    cmdline.cursor_position = len(PREFIX)
    await asyncio.sleep(rng.uniform(0.04, 0.12))
    if cmdline.value != PREFIX:
        raise RuntimeError(f"the command line holds {cmdline.value!r}")
    driver = app._driver
    assert driver is not None
    app.arm(PREFIX + letter)
    started = time.perf_counter()
    driver.send_message(events.Key(letter, letter))
    try:
        await asyncio.wait_for(app.shown.wait(), SAMPLE_TIMEOUT_S)
    except TimeoutError:
        raise TimeoutError(f"{letter!r} not on screen within {SAMPLE_TIMEOUT_S} s") from None
    return app.shown_at - started


async def _open(app: _KeyApp, pacer: tuple[str, int]) -> None:
    host, port = pacer
    opened = app.submit(c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port))
    assert opened is not None
    if not (await asyncio.wrap_future(opened)).ok:
        raise RuntimeError("AT+QIOPEN to the pacer failed")


async def _close(app: _KeyApp) -> None:
    closed = app.submit(c.qiclose(0))
    assert closed is not None
    if not (await asyncio.wrap_future(closed)).ok:
        raise RuntimeError("AT+QICLOSE failed")
    await asyncio.sleep(0.5)  # let the last batches drain


async def _flood_for(app: _KeyApp, pacer: tuple[str, int], seconds: float) -> None:
    await _open(app, pacer)
    await asyncio.sleep(seconds)
    await _close(app)


@dataclass
class _Blocks:
    """One console session's samples (seconds), a list per block, and flood rates."""

    #: One block on the fresh console (empty log), before any flood.
    fresh: list[float] = field(default_factory=list)
    idle: list[list[float]] = field(default_factory=list)
    flood: list[list[float]] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)


async def _session(
    label: str, url: str, pacer: tuple[str, int], rounds: int, per_block: int, folder: Path
) -> _Blocks:
    capture = CaptureRecorder(folder / f"keylatency-{label}.jsonl", url=url, baud=BAUD)
    app = _KeyApp.for_url(url, BAUD, capture=capture)
    rng = random.Random(20261125)
    out = _Blocks()
    n = 0
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot)
        for _ in range(per_block):
            out.fresh.append(await _sample(app, rng, LETTERS[n % len(LETTERS)]))
            n += 1
        say(
            f"  {label} fresh console: median {percentile(out.fresh, 0.5) * 1000:6.1f} ms, "
            f"p90 {percentile(out.fresh, 0.9) * 1000:6.1f} ms, max {max(out.fresh) * 1000:6.1f} ms"
        )
        await _flood_for(app, pacer, WARM_FLOOD_S)  # every idle block then sees a full log
        for r in range(rounds):
            order = ("idle", "flood") if r % 2 == 0 else ("flood", "idle")
            for which in order:
                if which == "flood":
                    await _open(app, pacer)
                    await asyncio.sleep(WARM_S)
                app.reset_counts()
                t0 = time.perf_counter()
                block: list[float] = []
                for _ in range(per_block):
                    block.append(await _sample(app, rng, LETTERS[n % len(LETTERS)]))
                    n += 1
                elapsed = time.perf_counter() - t0
                extra = ""
                if which == "flood":
                    rate = (app.recv_bytes + app.dropped_bytes) / elapsed
                    out.rates.append(rate)
                    out.stalls.append(app.longest_batch_s)
                    await _close(app)
                    out.flood.append(block)
                    extra = f"; {rate / MB:.3f} MB/s ({rate / LINE_RATE:.1f}x line rate)"
                else:
                    out.idle.append(block)
                say(
                    f"  {label} round {r + 1} {which:5}: "
                    f"median {percentile(block, 0.5) * 1000:6.1f} ms, "
                    f"p90 {percentile(block, 0.9) * 1000:6.1f} ms, "
                    f"max {max(block) * 1000:6.1f} ms; "
                    f"longest UI batch {app.longest_batch_s * 1000:.0f} ms{extra}"
                )
        app.exit()
    return out


def _latency_figures(key: str, label: str, blocks: _Blocks) -> dict[str, Figure]:
    out: dict[str, Figure] = {
        f"{key}.fresh": Figure(
            key=f"{key}.fresh",
            label=f"{label}, fresh console, empty log (samples of one block)",
            value=Stat.of([x * 1000 for x in blocks.fresh]),
            unit="ms",
        )
    }
    for which in ("idle", "flood"):
        samples: list[list[float]] = getattr(blocks, which)
        idle = blocks.idle
        where = "link idle" if which == "idle" else "during the flood"
        for name, q in (("median", 0.5), ("p90", 0.9), ("max", 1.0)):
            fkey = f"{key}.{which}.{name}"
            value = Stat.of([percentile(b, q) * 1000 for b in samples])
            fig = Figure(key=fkey, label=f"{label}, {where}, {name}", value=value, unit="ms")
            if which == "idle" and name == "median":
                fresh = percentile(blocks.fresh, 0.5)
                fig = Figure(
                    key=fkey,
                    label=fig.label,
                    value=value,
                    unit="ms",
                    ratio=Stat.of([percentile(b, 0.5) / fresh for b in samples]),
                    ratio_unit="x fresh console",
                )
            if which == "flood":
                ratios = [
                    percentile(f, q) / percentile(i, q) for f, i in zip(samples, idle, strict=True)
                ]
                if name == "max":
                    aim, met = f"slowest of all < {AIM_MAX_MS:g} ms", value.hi < AIM_MAX_MS
                elif name == "p90":
                    aim, met = f"< {AIM_P90_MS:g} ms", value.median < AIM_P90_MS
                else:
                    aim, met = "", None
                fig = Figure(
                    key=fkey,
                    label=fig.label,
                    value=value,
                    unit="ms",
                    ratio=Stat.of(ratios),
                    ratio_unit="x idle",
                    aim=aim,
                    met=met,
                )
            out[fkey] = fig
    out[f"{key}.rate"] = throughput_figure(
        f"{key}.rate", f"{label}: flood the console took in", blocks.rates
    )
    return out


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 2 if quick else 5
    per_block = 8 if quick else 20
    say(
        f"keylatency: per transport {rounds} rounds of {per_block} idle and {per_block} flood "
        f"samples; flood paced at {RATE:,} B/s ({RATE / LINE_RATE:.0f}x line rate)"
    )
    name = f"bench-key-{os.getpid()}"
    results: dict[str, _Blocks] = {}
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qiterm-bench-")))
        pacer_proc, pacer = start_pacer(RATE, lifetime=600.0)
        stack.callback(stop_child, pacer_proc)
        stack.callback(registry.destroy, name)
        pty_proc, pty_path = start_sim_child("--pty")
        stack.callback(stop_child, pty_proc)
        for label, url in (("sim", f"sim://{name}"), ("pty", pty_path)):
            with collector_as_qiterm_runs():
                results[label] = asyncio.run(_session(label, url, pacer, rounds, per_block, folder))

    figures: dict[str, Figure] = {}
    labels = {"sim": "sim:// (module in process)", "pty": "qiterm sim --pty (module in a child)"}
    for label, blocks in results.items():
        figures.update(_latency_figures(label, labels[label], blocks))
        for which in ("idle", "flood"):
            xs = [x * 1000 for b in getattr(blocks, which) for x in b]
            say(
                f"  {label}: all {which} samples ({len(xs)}): median {percentile(xs, 0.5):.1f} ms,"
                f" p90 {percentile(xs, 0.9):.1f} ms, max {max(xs):.1f} ms"
            )
        longest = max(blocks.stalls) * 1000
        say(f"  {label}: longest UI batch during the floods {longest:.0f} ms")
    for fig in figures.values():
        say(f"  {fig.label:<66} {fig.value_text():>26}  {fig.ratio_text()}")
    return figures
