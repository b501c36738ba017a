"""Start-up to first frame: ``qiterm`` on its built-in simulator vs a minimal Textual app.

Each program is started as a child process on a new pty (120x40, ``TERM=xterm-256color``),
as a person starts it from a shell; the clock runs from just before the process is
created to the first moment its terminal output, after the alternate-screen switch
(``ESC [?1049h``), shows a text only its first frame holds: ``qiterm`` (the status
bar; the console's code is not changed for this, so the frame is recognised from the
screen) or the minimal app's one ``Label``. Escape sequences (CSI and OSC, so a
window title cannot count) are removed before looking. The time to the first
output byte (the alternate-screen switch, once Python, Textual and the app's
modules are imported and the app has started) is noted as well. Then Ctrl+Q quits
the program (killed if it does not go within a bounded time).

``qiterm`` runs as ``qiterm --no-welcome --log <tmp>``: the built-in simulator, its
loopback demo peers, a capture file in a temporary directory, no welcome panel.
The two programs alternate, the order swapping each round; the ratio is per round.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from bench.common import Figure, Stat, say

NAME = "startup"
ROWS, COLS = 40, 120
FIRST_FRAME_TIMEOUT_S = 30.0
ALT_SCREEN = b"\x1b[?1049h"
_OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CSI = re.compile(rb"\x1b\[[0-9;?<=>$]*[ -/]*[@-~]")
MINIMAL_MARKER = "minimal-textual-app"
MINIMAL = f"""
from textual.app import App
from textual.widgets import Label


class Minimal(App):
    def compose(self):
        yield Label({MINIMAL_MARKER!r})


Minimal().run()
"""


def _qiterm_argv(log: Path) -> list[str]:
    script = Path(sys.executable).with_name("qiterm")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return [*head, "--no-welcome", "--log", str(log)]


def first_frame(argv: list[str], marker: bytes, cwd: Path) -> tuple[float, float]:
    """(seconds to the first output byte, seconds to the first frame showing ``marker``)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    env.pop("TEXTUAL", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    out = b""
    first_byte = shown = 0.0
    try:
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
        while not shown:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{argv[0]}: no first frame ({out[-300:]!r})")
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                continue
            now = time.perf_counter()
            if not first_byte:
                first_byte = now
            out += chunk
            at = out.find(ALT_SCREEN)
            if at >= 0:
                screen = _CSI.sub(b"", _OSC.sub(b"", out[at:]))
                if marker in screen:
                    shown = now
    finally:
        _quit(proc, master)
    return first_byte - started, shown - started


def _quit(proc: subprocess.Popen[bytes], master: int) -> None:
    with contextlib.suppress(OSError):
        os.write(master, b"\x11")  # Ctrl+Q
    deadline = time.monotonic() + 10.0
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                os.read(master, 65536)  # keep its output flowing while it shuts down
            except OSError:
                break
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)
    os.close(master)


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 3 if quick else 7
    say(f"startup: {rounds} rounds, qiterm (built-in simulator) and a one-Label Textual app")
    root = Path(__file__).resolve().parent.parent
    times: dict[str, list[tuple[float, float]]] = {"qiterm": [], "minimal": []}
    with tempfile.TemporaryDirectory(prefix="qiterm-bench-") as tmp:
        folder = Path(tmp)
        for r in range(rounds):
            order = ("qiterm", "minimal") if r % 2 == 0 else ("minimal", "qiterm")
            for which in order:
                if which == "qiterm":
                    argv = _qiterm_argv(folder / f"capture-{r}.jsonl")
                    marker = b"qiterm"
                else:
                    argv = [sys.executable, "-c", MINIMAL]
                    marker = MINIMAL_MARKER.encode()
                byte_s, frame_s = first_frame(argv, marker, root)
                times[which].append((byte_s, frame_s))
                say(
                    f"  round {r + 1} {which:8}: first byte {byte_s * 1000:6.0f} ms, "
                    f"first frame {frame_s * 1000:6.0f} ms"
                )
    ratios = [q[1] / m[1] for q, m in zip(times["qiterm"], times["minimal"], strict=True)]
    byte_ratios = [q[0] / m[0] for q, m in zip(times["qiterm"], times["minimal"], strict=True)]
    figures = {
        "qiterm": Figure(
            key="qiterm",
            label="qiterm --no-welcome (built-in simulator): start to first frame",
            value=Stat.of([t[1] * 1000 for t in times["qiterm"]]),
            unit="ms",
            ratio=Stat.of(ratios),
            ratio_unit="x minimal app",
        ),
        "minimal": Figure(
            key="minimal",
            label="minimal Textual app (one Label): start to first frame",
            value=Stat.of([t[1] * 1000 for t in times["minimal"]]),
            unit="ms",
        ),
        "qiterm.byte": Figure(
            key="qiterm.byte",
            label="qiterm: start to first output byte (alternate screen)",
            value=Stat.of([t[0] * 1000 for t in times["qiterm"]]),
            unit="ms",
            ratio=Stat.of(byte_ratios),
            ratio_unit="x minimal app",
        ),
        "minimal.byte": Figure(
            key="minimal.byte",
            label="minimal Textual app: start to first output byte",
            value=Stat.of([t[0] * 1000 for t in times["minimal"]]),
            unit="ms",
        ),
    }
    for fig in figures.values():
        say(f"  {fig.label:<64} {fig.value_text():>22}  {fig.ratio_text()}")
    return figures
