"""Start-up: first frame and time to interactive, ``qiterm`` vs termapy vs a minimal Textual app.

Each program is started as a child process on a new pty (120x40, ``TERM=xterm-256color``),
as a person starts it from a shell; the clock runs from just before the process is
created. *First frame*: the first moment its terminal output, after the
alternate-screen switch (``ESC [?1049h``), shows a text only its first frame holds
(``qiterm``: the status bar; termapy: its input's placeholder; the minimal apps: their
one ``Label`` or the ``Input``'s placeholder). Escape sequences (CSI and OSC, so a window
title cannot count) are removed before looking. *Interactive*: at that moment a key
(``µ``, which nothing else on these screens shows) is typed, and the clock stops when
the output shows it. Then Ctrl+Q quits the program (killed if it does not go within a
bounded time).

The programs: ``qiterm --no-welcome --log <tmp>`` on its built-in simulator (with the
loopback demo peers), ``qiterm -p PTY`` and termapy on a ``qiterm sim --pty`` child
(the same job: a serial port), a one-``Label`` Textual app and a one-``Input`` one.
Before timing, the tree, the project's venv and termapy's venv are byte-compiled
(``compileall``), as pip leaves an installed package. The programs rotate their order
each round; ratios are per round.
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
import sysconfig
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, Stat, say, start_sim_child, stop_child
from bench.termapy_venv import compile_venv, termapy_bin

NAME = "startup"
ROWS, COLS = 40, 120
FIRST_FRAME_TIMEOUT_S = 30.0
SHOWN_TIMEOUT_S = 10.0
ALT_SCREEN = b"\x1b[?1049h"
KEY = "µ".encode()
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
MINIMAL_INPUT = f"""
from textual.app import App
from textual.widgets import Input


class Minimal(App):
    def compose(self):
        yield Input(placeholder={MINIMAL_MARKER!r})


Minimal().run()
"""
TERMAPY_MARKER = b"for REPL"


@dataclass(frozen=True)
class Program:
    argv: list[str]
    marker: bytes
    #: Whether a typed key shows (the app has a focused input at its first frame).
    types: bool = True


@dataclass(frozen=True)
class Times:
    """Seconds from the process's creation."""

    first_byte: float
    first_frame: float
    interactive: float | None


def _screen(out: bytes) -> bytes:
    return _CSI.sub(b"", _OSC.sub(b"", out))


def measure(program: Program, cwd: Path) -> Times:
    """Start ``program`` on a new pty; time its first frame and, when it ``types``,
    the key typed then showing."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    env.pop("TEXTUAL", None)
    argv = program.argv
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    out = after = b""
    first_byte = shown = typed = 0.0
    try:
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
        while not typed if program.types else not shown:
            if time.monotonic() > deadline or proc.poll() is not None:
                what = "typed key never shown" if shown else "no first frame"
                raise RuntimeError(f"{argv[0]}: {what} ({(after or out)[-300:]!r})")
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
            if shown:
                after += chunk
                if KEY in _screen(after):
                    typed = now
                continue
            out += chunk
            at = out.find(ALT_SCREEN)
            if at >= 0 and program.marker in _screen(out[at:]):
                shown = now
                if program.types:
                    os.write(master, KEY)
                    deadline = time.monotonic() + SHOWN_TIMEOUT_S
    finally:
        _quit(proc, master)
    return Times(
        first_byte - started, shown - started, (typed - started) if program.types else None
    )


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


def compile_bytecode(root: Path) -> None:
    """Byte-compile the tree and the project's venv, as an installed package has it."""
    paths = [str(root / "app"), str(root / "widgets"), sysconfig.get_paths()["purelib"]]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *paths], capture_output=True, check=False
    )


def _qiterm(log: Path, *port: str) -> list[str]:
    script = Path(sys.executable).with_name("qiterm")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return [*head, "--no-welcome", *port, "--log", str(log)]


def _ratios(a: list[Times], b: list[Times], attr: str) -> Stat:
    return Stat.of([getattr(x, attr) / getattr(y, attr) for x, y in zip(a, b, strict=True)])


def _ms(times: list[Times], attr: str) -> Stat:
    return Stat.of([getattr(t, attr) * 1000 for t in times])


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 3 if quick else 7
    root = Path(__file__).resolve().parent.parent
    termapy = termapy_bin()
    compile_bytecode(root)
    if termapy is not None:
        compile_venv()
    say(
        f"startup: {rounds} rounds; qiterm (built-in simulator, and on a qiterm sim --pty), "
        "termapy on the same pty, a one-Label and a one-Input Textual app"
    )
    sim, pty_path = start_sim_child("--pty")
    times: dict[str, list[Times]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="qiterm-bench-") as tmp:
            folder = Path(tmp)
            programs = {
                "qiterm": Program(_qiterm(folder / "capture.jsonl"), b"qiterm"),
                "qiterm-pty": Program(_qiterm(folder / "pty.jsonl", "-p", pty_path), b"qiterm"),
                "minimal": Program([sys.executable, "-c", MINIMAL], MINIMAL_MARKER.encode(), False),
                "minimal-input": Program(
                    [sys.executable, "-c", MINIMAL_INPUT], MINIMAL_MARKER.encode()
                ),
            }
            if termapy is not None:
                cfg = folder / "termapy"
                cfg.mkdir()
                # Once, untimed: --new writes its config for the pty (then read as a file).
                new = [str(termapy), "--cfg-dir", str(cfg), "--new", "bench", pty_path, "921600"]
                measure(Program(new, TERMAPY_MARKER), folder)
                argv = [str(termapy), "--cfg-dir", str(cfg), str(cfg / "bench" / "bench.cfg")]
                programs["termapy"] = Program(argv, TERMAPY_MARKER)
            names = list(programs)
            for name in names:  # warm the page cache, untimed
                measure(_fresh_log(programs[name], folder), folder)
            times = {name: [] for name in names}
            for r in range(rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    t = measure(_fresh_log(programs[name], folder), folder)
                    times[name].append(t)
                    tti = (
                        ""
                        if t.interactive is None
                        else f", key shown {t.interactive * 1000:5.0f} ms"
                    )
                    say(
                        f"  round {r + 1} {name:13}: first frame {t.first_frame * 1000:5.0f} ms"
                        f"{tti}"
                    )
    finally:
        stop_child(sim)
    return _figures(times)


def _fresh_log(program: Program, folder: Path) -> Program:
    """``program`` with a capture file of its own (qiterm refuses to replace one)."""
    argv = list(program.argv)
    if "--log" in argv:
        at = argv.index("--log") + 1
        argv[at] = str(folder / f"capture-{time.monotonic_ns()}.jsonl")
    return Program(argv, program.marker, program.types)


def _figures(times: dict[str, list[Times]]) -> dict[str, Figure]:
    q, qp, m, mi = times["qiterm"], times["qiterm-pty"], times["minimal"], times["minimal-input"]
    tp = times.get("termapy")
    figures: dict[str, Figure] = {}

    def add(key: str, label: str, value: Stat, unit: str = "ms", **kw: object) -> None:
        figures[key] = Figure(key=key, label=label, value=value, unit=unit, **kw)  # type: ignore[arg-type]

    ff = _ratios(q, m, "first_frame")
    add(
        "qiterm",
        "first frame: qiterm (built-in simulator)",
        _ms(q, "first_frame"),
        ratio=ff,
        ratio_unit="x minimal app",
        aim="<= 2x minimal app",
        met=ff.median <= 2.0,
    )
    ffp = _ratios(qp, m, "first_frame")
    add(
        "qiterm-pty",
        "first frame: qiterm -p (qiterm sim --pty)",
        _ms(qp, "first_frame"),
        ratio=ffp,
        ratio_unit="x minimal app",
        aim="<= 2x minimal app",
        met=ffp.median <= 2.0,
    )
    if tp is not None:
        add(
            "termapy",
            "first frame: termapy 0.78.0 (the same pty)",
            _ms(tp, "first_frame"),
            ratio=_ratios(tp, m, "first_frame"),
            ratio_unit="x minimal app",
        )
        add(
            "qiterm-pty.vs-termapy",
            "first frame: qiterm -p / termapy, same round",
            _ratios(qp, tp, "first_frame"),
            unit="x termapy",
        )
    add("minimal", "first frame: minimal Textual app (one Label)", _ms(m, "first_frame"))
    if tp is not None:
        for key, runs, what in (
            ("qiterm.tti", q, "qiterm (built-in simulator)"),
            ("qiterm-pty.tti", qp, "qiterm -p (qiterm sim --pty)"),
        ):
            tti = _ratios(runs, tp, "interactive")
            add(
                key,
                f"interactive (typed key shown): {what}",
                _ms(runs, "interactive"),
                ratio=tti,
                ratio_unit="x termapy",
                aim="<= termapy",
                met=tti.median <= 1.0,
            )
        add(
            "termapy.tti",
            "interactive (typed key shown): termapy",
            _ms(tp, "interactive"),
            ratio=_ratios(tp, mi, "interactive"),
            ratio_unit="x minimal app",
        )
    add(
        "qiterm.tti-min",
        "interactive: qiterm (built-in simulator) / minimal app with one Input",
        _ratios(q, mi, "interactive"),
        unit="x minimal app",
    )
    add(
        "minimal-input.tti",
        "interactive (typed key shown): minimal Textual app (one Input)",
        _ms(mi, "interactive"),
    )
    for fig in figures.values():
        say(f"  {fig.label:<70} {fig.value_text():>24}  {fig.ratio_text()}")
    return figures
