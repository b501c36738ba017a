"""Idle CPU: ``qiterm`` connected and polling, doing nothing else, vs a minimal Textual app.

Side by side in the same window of time: ``qiterm -p PTY`` on a ``qiterm sim --pty``
child (the default QISTATE polling, every 2 s), ``qiterm`` on its built-in simulator
(the module and its demo peers in the same process), termapy on a second
``qiterm sim --pty`` (when it can be installed, see :mod:`bench.termapy_venv`) and a
Textual app with one focused ``Input`` (its cursor blinking). Each runs on a pty of its
own whose output is read and thrown away. After :data:`SETTLE_S` (start-up over, the
link synchronised, the AT cursor's blink over: it stops 10 s after the last key), the
processes' CPU time (utime + stime from ``/proc/PID/stat``, every thread) is read at
the start and the end of a :data:`WINDOW_S` window; the figure is CPU seconds per
minute, and the ratio is per round against the minimal app.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from bench.common import Figure, Stat, cpu_seconds, say, start_sim_child, stop_child
from bench.startup import COLS, MINIMAL_INPUT, ROWS, TERMAPY_MARKER, Program, measure
from bench.termapy_venv import termapy_bin

NAME = "idle"
SETTLE_S = 15.0
WINDOW_S = 30.0


class Child:
    """A program on a pty of its own, its output drained by a thread."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        env.pop("TEXTUAL", None)
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self.master = master
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                if not os.read(self.master, 65536):
                    return
            except OSError:
                return

    def cpu_s(self) -> float:
        return cpu_seconds(self.proc.pid)

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"\x11")  # Ctrl+Q
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.master)


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 1 if quick else 3
    window = 10.0 if quick else WINDOW_S
    termapy = termapy_bin()
    say(f"idle: {rounds} rounds of {window:g} s, the programs side by side")
    sims = [start_sim_child("--pty") for _ in range(2)]
    cpu: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="qiterm-bench-") as tmp:
            folder = Path(tmp)
            script = Path(sys.executable).with_name("qiterm")
            head = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
            argvs = {
                "qiterm-pty": [*head, "--no-welcome", "-p", sims[0][1]],
                "qiterm": [*head, "--no-welcome"],
                "minimal-input": [sys.executable, "-c", MINIMAL_INPUT],
            }
            if termapy is not None:
                cfg = folder / "termapy"
                cfg.mkdir()
                new = [str(termapy), "--cfg-dir", str(cfg), "--new", "idle", sims[1][1], "921600"]
                measure(Program(new, TERMAPY_MARKER), folder)  # writes its config
                argvs["termapy"] = [str(termapy), "--cfg-dir", str(cfg), str(cfg / "idle/idle.cfg")]
            cpu = {name: [] for name in argvs}
            for r in range(rounds):
                children: dict[str, Child] = {}
                try:
                    for name, argv in argvs.items():
                        if name.startswith("qiterm"):
                            argv = [*argv, "--log", str(folder / f"{name}-{r}.jsonl")]
                        children[name] = Child(argv, folder)
                    time.sleep(SETTLE_S)
                    start = {name: c.cpu_s() for name, c in children.items()}
                    time.sleep(window)
                    for name, c in children.items():
                        if c.proc.poll() is not None:
                            raise RuntimeError(f"idle: {name} ended early")
                        cpu[name].append((c.cpu_s() - start[name]) * 60.0 / window)
                finally:
                    for c in children.values():
                        c.quit()
                say(
                    "  round "
                    + str(r + 1)
                    + ": "
                    + ", ".join(f"{name} {v[-1]:.2f}" for name, v in cpu.items())
                    + " CPU-s/min"
                )
    finally:
        for proc, _ in sims:
            stop_child(proc)
    return _figures(cpu)


def _figures(cpu: dict[str, list[float]]) -> dict[str, Figure]:
    base = cpu["minimal-input"]
    labels = {
        "qiterm-pty": "qiterm -p (qiterm sim --pty), polling every 2 s",
        "qiterm": "qiterm on its built-in simulator (in process), polling",
        "termapy": "termapy 0.78.0 on a qiterm sim --pty",
    }
    figures: dict[str, Figure] = {}
    for name, label in labels.items():
        if name not in cpu:
            continue
        ratio = Stat.of([a / b for a, b in zip(cpu[name], base, strict=True)])
        aimed = name.startswith("qiterm")
        figures[name] = Figure(
            key=name,
            label=f"idle CPU: {label}",
            value=Stat.of(cpu[name]),
            unit="CPU-s/min",
            ratio=ratio,
            ratio_unit="x minimal app",
            aim="<= minimal app" if aimed else "",
            met=ratio.median <= 1.0 if aimed else None,
        )
    figures["minimal-input"] = Figure(
        key="minimal-input",
        label="idle CPU: minimal Textual app (one Input, cursor blinking)",
        value=Stat.of(base),
        unit="CPU-s/min",
    )
    for fig in figures.values():
        say(f"  {fig.label:<64} {fig.value_text():>26}  {fig.ratio_text()}")
    return figures
