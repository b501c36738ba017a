"""What every benchmark shares: the line rate, statistics over repetitions, figures,
and small bounded helpers for child processes."""

from __future__ import annotations

import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: 921,600 baud, 8N1: ten bits on the wire per byte.
LINE_RATE_BAUD = 921_600
LINE_RATE = LINE_RATE_BAUD // 10  # 92,160 bytes/s
MB = 1_000_000


@dataclass(frozen=True)
class Stat:
    """The median of ``n`` repetitions and their spread (lowest and highest)."""

    median: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        if not values:
            raise ValueError("no values")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def scaled(self, factor: float) -> Stat:
        return Stat(self.median * factor, self.lo * factor, self.hi * factor, self.n)

    def fmt(self) -> str:
        return f"{num(self.median)} ({num(self.lo)}-{num(self.hi)})"


@dataclass(frozen=True)
class Figure:
    """One reported figure: a value (median and spread over runs), optionally a
    ratio against a baseline measured side by side, and the aim it is held to."""

    key: str
    label: str
    value: Stat
    unit: str
    ratio: Stat | None = None
    #: What the ratio is against, e.g. "x line rate", "x raw pyserial".
    ratio_unit: str = ""
    #: Human-readable aim, e.g. ">= 50x line rate"; empty when there is none.
    aim: str = ""
    #: Whether the median meets the aim (None when there is no aim).
    met: bool | None = None

    def value_text(self) -> str:
        return f"{self.value.fmt()} {self.unit}"

    def ratio_text(self) -> str:
        return "" if self.ratio is None else f"{self.ratio.fmt()} {self.ratio_unit}"

    def aim_text(self) -> str:
        if not self.aim:
            return ""
        return f"{self.aim} ({'met' if self.met else 'NOT met'})"


def num(x: float) -> str:
    """A number with about three significant digits, no exponent."""
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def throughput_figure(
    key: str,
    label: str,
    rates: Sequence[float],
    *,
    aim_ratio: float | None = None,
) -> Figure:
    """Bytes/s measurements -> a figure in MB/s with its ratio to the line rate."""
    value = Stat.of([r / MB for r in rates])
    ratio = Stat.of([r / LINE_RATE for r in rates])
    return Figure(
        key=key,
        label=label,
        value=value,
        unit="MB/s",
        ratio=ratio,
        ratio_unit="x line rate",
        aim="" if aim_ratio is None else f">= {aim_ratio:g}x",
        met=None if aim_ratio is None else ratio.median >= aim_ratio,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; fine for a few hundred samples."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def say(text: str = "") -> None:
    print(text, flush=True)


# -- child processes (qiterm sim --pty / --tcp) -------------------------------------


def start_sim_child(*args: str, timeout: float = 15.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``qiterm sim ARGS`` (as ``python -m app.cli sim``) and return it with the
    first line it prints (the pty path or socket:// URL). Bounded by ``timeout``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    got = b""
    while b"\n" not in got:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            stop_child(proc)
            raise RuntimeError(f"qiterm sim {' '.join(args)} printed no address ({got!r})")
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                continue
            got += chunk
    return proc, got.split(b"\n", 1)[0].decode().strip()


def cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` so far, every thread: utime + stime from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the command: state(0) ppid(1) ... utime(11) stime(12)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_pacer(
    rate: float, lifetime: float, chunk: int | None = None
) -> tuple[subprocess.Popen[bytes], tuple[str, int]]:
    """``python -m bench.pacer RATE`` (a paced loopback TCP source in a child
    process) and the address it listens on."""
    argv = [sys.executable, "-m", "bench.pacer", str(rate), "--lifetime", str(lifetime)]
    if chunk is not None:
        argv += ["--chunk", str(chunk)]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().split()
    if len(line) != 2:
        stop_child(proc)
        raise RuntimeError(f"the pacer printed {line!r}")
    return proc, (line[0], int(line[1]))


def stop_child(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a child we started (by its own handle), waiting a bounded time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout is not None:
        proc.stdout.close()
