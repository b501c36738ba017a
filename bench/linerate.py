"""CPU per MB at the line rate: the console against tio, each in its own tmux.

What a user pays for watching a real module: a flood at 1x the 921,600-baud line
rate (92,160 B/s of payload, paced by ``bench/pacer.py`` in a child process) on a
socket the module opened, shown on a terminal and logged to a file. Two variants,
each in a tmux server of its own (``tmux -L``, a 120x36 window, no client attached:
tmux is the terminal emulator that parses and keeps every byte drawn):

* ``qiterm`` - ``qiterm -p PTY -b 921600 --log F --no-welcome`` on a ``qiterm sim
  --pty`` child: the whole console (log, socket table with its QISTATE polling,
  header) and its JSON Lines capture;
* ``tio`` - ``tio -b 921600 -t --log --log-file F PTY`` on a second ``qiterm sim
  --pty`` child: timestamps on and a log file, the closest setting tio has.

The ``AT+QIOPEN`` is typed with ``tmux send-keys``. After a warm-up the clock runs
for a fixed window in which the CPU time (utime + stime from ``/proc``) of the
program and of its tmux server is read at both ends, and the bytes the pacer wrote
in the window are the denominator. Each run is checked: the program's log file
must have grown by at least the payload the pacer wrote in the window (the flood
was taken in, not left in a kernel buffer). Variants alternate within a round, the
order swapping each round; the ratio is per round.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    LINE_RATE,
    LINE_RATE_BAUD,
    MB,
    Figure,
    Stat,
    cpu_seconds,
    say,
    start_pacer,
    start_sim_child,
    stop_child,
)
from bench.pacer import PATTERN

NAME = "linerate"
TITLE = "CPU per MB at 1x the line rate, qiterm and tio side by side in tmux"

QITERM = Path(sys.executable).with_name("qiterm")
#: The pacer's payload pattern twice over: any 12 characters of it on the screen show
#: that the flood is being drawn, not only logged.
PATTERN_2 = (PATTERN * 2).decode("ascii")


@dataclass
class Sample:
    cpu_s: float  # the program's CPU seconds in the window
    tmux_s: float  # its tmux server's CPU seconds in the window
    payload: int  # bytes the pacer wrote in the window
    logged: int  # bytes the program's log file grew by in the window
    window_s: float

    @property
    def per_mb(self) -> float:
        return (self.cpu_s + self.tmux_s) / (self.payload / MB)


class _Tmux:
    """A tmux server of our own running one command in a 120x36 window."""

    def __init__(self, name: str, argv: list[str], cwd: Path) -> None:
        self.socket = f"qiterm-bench-{os.getpid()}-{name}"
        command = "exec " + " ".join(shlex.quote(a) for a in argv)
        self._tmux("new-session", "-d", "-x", "120", "-y", "36", "-c", str(cwd), command)
        self.pid = int(self._tmux("display-message", "-p", "#{pane_pid}").strip())
        self.server = int(self._tmux("display-message", "-p", "#{pid}").strip())

    def _tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def wait_screen(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in (text := self.screen()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} never appeared; the screen:\n{text}")
            time.sleep(0.1)

    def type(self, line: str) -> None:
        self._tmux("send-keys", "-l", line)
        self._tmux("send-keys", "Enter")

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._tmux("kill-server")


def _wait_growing(path: Path, timeout: float) -> None:
    """Until ``path`` grows by a line rate's second: the flood has reached the program."""
    deadline = time.monotonic() + timeout
    start = path.stat().st_size if path.exists() else 0
    while not path.exists() or path.stat().st_size < start + LINE_RATE:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} did not grow: is the flood running?")
        time.sleep(0.1)


def _measure(tmux: _Tmux, log: Path, pacer_rate: float, warmup: float, window: float) -> Sample:
    _wait_growing(log, 30.0)
    time.sleep(warmup)  # bench: a fixed warm-up before the measured window, not a wait for state
    cpu0, tmux0, size0, t0 = (
        cpu_seconds(tmux.pid),
        cpu_seconds(tmux.server),
        log.stat().st_size,
        time.monotonic(),
    )
    time.sleep(window)  # bench: the measured window itself
    cpu1, tmux1, size1, t1 = (
        cpu_seconds(tmux.pid),
        cpu_seconds(tmux.server),
        log.stat().st_size,
        time.monotonic(),
    )
    payload = int(pacer_rate * (t1 - t0))
    sample = Sample(cpu1 - cpu0, tmux1 - tmux0, payload, size1 - size0, t1 - t0)
    screen = tmux.screen()
    if not any(PATTERN_2[i : i + 12] in screen for i in range(len(PATTERN))):
        raise AssertionError(f"the flood's payload is not on the screen:\n{screen}")
    if sample.logged < sample.payload:
        raise AssertionError(
            f"{log.name} grew {sample.logged:,} bytes in the window, the pacer wrote {payload:,}: "
            "the program fell behind the line rate"
        )
    return sample


def _run_qiterm(folder: Path, warmup: float, window: float) -> Sample:
    def argv(device: str, log: Path) -> list[str]:
        return [
            str(QITERM),
            "-p",
            device,
            "-b",
            str(LINE_RATE_BAUD),
            "--log",
            str(log),
            "--no-welcome",
        ]

    def ready(tmux: _Tmux) -> None:
        tmux.wait_screen("connected", 30.0)

    return _run(
        "qiterm",
        ("--pty",),
        argv,
        ready,
        folder / f"qiterm-{time.monotonic_ns()}.jsonl",
        warmup,
        window,
    )


def _run_tio(folder: Path, warmup: float, window: float) -> Sample:
    def argv(device: str, log: Path) -> list[str]:
        return ["tio", "-b", str(LINE_RATE_BAUD), "-t", "--log", "--log-file", str(log), device]

    def ready(tmux: _Tmux) -> None:
        tmux.wait_screen("Connected", 30.0)
        # tio drops what is typed before its terminal is in raw mode: AT until OK.
        deadline = time.monotonic() + 15
        while "OK" not in tmux.screen():
            if time.monotonic() > deadline:
                raise TimeoutError("tio: no OK to AT")
            tmux.type("AT")
            time.sleep(0.3)  # bench: gives the module time to answer before typing AT again

    return _run(
        "tio",
        ("--pty", "--no-echo"),
        argv,
        ready,
        folder / f"tio-{time.monotonic_ns()}.log",
        warmup,
        window,
    )


def _run(
    name: str,
    sim_args: tuple[str, ...],
    argv: Callable[[str, Path], list[str]],
    ready: Callable[[_Tmux], None],
    log: Path,
    warmup: float,
    window: float,
) -> Sample:
    """One program on a ``qiterm sim`` child of its own, in a tmux of its own, logging
    to ``log``: once ``ready``, it opens a socket to a pacer and is measured."""
    sim, device = start_sim_child(*sim_args)
    pacer, (host, port) = start_pacer(LINE_RATE, lifetime=warmup + window + 120, chunk=1024)
    tmux = _Tmux(name, argv(device, log), log.parent)
    try:
        ready(tmux)
        tmux.type(f'AT+QIOPEN=0,0,"TCP","{host}",{port},0,1')
        return _measure(tmux, log, LINE_RATE, warmup, window)
    finally:
        tmux.close()
        stop_child(pacer)
        stop_child(sim)


def run(quick: bool = False) -> dict[str, Figure]:
    for tool in ("tio", "tmux"):
        if shutil.which(tool) is None:
            raise SystemExit(f"linerate: {tool} is missing (make tools)")
    rounds, warmup, window = (1, 3.0, 6.0) if quick else (4, 5.0, 20.0)
    say(f"{NAME}: {rounds} rounds, {warmup:g} s warm-up, {window:g} s window at {LINE_RATE:,} B/s")
    samples: dict[str, list[Sample]] = {"qiterm": [], "tio": []}
    variants: dict[str, Callable[[Path, float, float], Sample]] = {
        "qiterm": _run_qiterm,
        "tio": _run_tio,
    }
    with tempfile.TemporaryDirectory(prefix="qiterm-bench-linerate-") as tmp:
        folder = Path(tmp)
        for r in range(rounds):
            order = list(variants) if r % 2 == 0 else list(reversed(variants))
            for name in order:
                s = variants[name](folder, warmup, window)
                samples[name].append(s)
                say(
                    f"  round {r + 1} {name:<6} {s.per_mb:6.3f} CPU-s/MB "
                    f"(program {s.cpu_s:.2f} s + tmux {s.tmux_s:.2f} s over {s.window_s:.1f} s, "
                    f"{s.payload / MB:.2f} MB; log grew {s.logged / MB:.2f} MB)"
                )
    q, t = samples["qiterm"], samples["tio"]
    vs_tio = Stat.of([a.per_mb / b.per_mb for a, b in zip(q, t, strict=True)])
    figures = {
        "qiterm": Figure(
            key="qiterm",
            label="qiterm console + capture, CPU-s per MB (its own + its tmux)",
            value=Stat.of([s.per_mb for s in q]),
            unit="s/MB",
            ratio=vs_tio,
            ratio_unit="x tio",
            aim="<= 1x tio",
            met=vs_tio.median <= 1.0,
        ),
        **_program_figures("qiterm", "qiterm", q, with_total=False),
        **_program_figures("tio", "tio -t --log", t, with_total=True),
    }
    for fig in figures.values():
        say(f"  {fig.label:<62} {fig.value_text():>24}  {fig.ratio_text()}")
    return figures


def _program_figures(
    key: str, name: str, runs: list[Sample], *, with_total: bool
) -> dict[str, Figure]:
    """A program's CPU per MB (with its tmux, unless given beside a ratio already),
    its share of a core and its own CPU per MB."""
    out: dict[str, Figure] = {}
    if with_total:
        out[key] = Figure(
            key=key,
            label=f"{name}, CPU-s per MB (its own + its tmux)",
            value=Stat.of([s.per_mb for s in runs]),
            unit="s/MB",
        )
    short = name.split()[0]
    out[f"{key}_core"] = Figure(
        key=f"{key}_core",
        label=f"{short}: share of one core at 1x line rate (its own + its tmux)",
        value=Stat.of([100 * (s.cpu_s + s.tmux_s) / s.window_s for s in runs]),
        unit="%",
    )
    out[f"{key}_own"] = Figure(
        key=f"{key}_own",
        label=f"{short} process alone, CPU-s per MB",
        value=Stat.of([s.cpu_s / (s.payload / MB) for s in runs]),
        unit="s/MB",
    )
    return out
