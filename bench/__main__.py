"""``python -m bench [name ...] [--quick] [--write]``: run benchmarks, print a table.

With no names every benchmark runs. ``--quick`` is a smoke run (smaller inputs,
fewer repetitions; figures are rougher). ``--write`` rewrites each benchmark's block
of figures in BENCHMARKS.md (between its ``<!-- bench:NAME -->`` markers) with what
this run measured, the date and the machine; it refuses a quick run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench import (
    capture_growth,
    export,
    framer,
    idle,
    ingest,
    keylatency,
    linerate,
    memory,
    pipeline,
    roundtrip,
    sim_recv,
    startup,
)
from bench.common import Figure, say

BENCHMARKS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (
        framer,
        sim_recv,
        roundtrip,
        ingest,
        pipeline,
        linerate,
        keylatency,
        startup,
        idle,
        memory,
        export,
        capture_growth,
    )
}
DOC = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
BUDGET_S = {False: 60.0, True: 10.0}


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    py = platform.python_version()
    return (
        f"{cores} cores ({cpu or platform.machine()}), shared and noisy; "
        f"Linux {platform.release()}; Python {py}"
    )


def table(results: dict[str, dict[str, Figure]]) -> list[str]:
    rows = [("figure", "median (min-max)", "ratio, median (min-max)", "aim", "runs")]
    for name, figures in results.items():
        for fig in figures.values():
            rows.append(
                (
                    f"{name}: {fig.label}",
                    fig.value_text(),
                    fig.ratio_text(),
                    fig.aim_text(),
                    str(fig.value.n),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def markdown_block(name: str, figures: dict[str, Figure], when: str, where: str) -> str:
    command = f".venv/bin/python -m bench {name}"
    lines = [
        f"<!-- bench:{name} -->",
        f"Measured {when} on {where}. Reproduce: `{command}` (or `make bench` for all).",
        "",
        "| figure | median (min-max) | ratio, median (min-max) | aim | runs |",
        "|---|---|---|---|---|",
    ]
    for fig in figures.values():
        lines.append(
            f"| {fig.label} | {fig.value_text()} | {fig.ratio_text()} | {fig.aim_text()} "
            f"| {fig.value.n} |"
        )
    lines.append(f"<!-- /bench:{name} -->")
    return "\n".join(lines)


def write_doc(results: dict[str, dict[str, Figure]], when: str, where: str) -> None:
    text = DOC.read_text()
    for name, figures in results.items():
        block = markdown_block(name, figures, when, where)
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.DOTALL)
        match = pattern.search(text)
        if match is None:
            raise SystemExit(f"BENCHMARKS.md has no <!-- bench:{name} --> block to rewrite")
        text = text[: match.start()] + block + text[match.end() :]
    DOC.write_text(text)
    say(f"wrote {len(results)} block(s) of figures to {DOC}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="fast smoke run (rough figures)")
    parser.add_argument("--write", action="store_true", help="rewrite figures in BENCHMARKS.md")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.write and args.quick:
        parser.error("--write records figures; a --quick run is too rough for that")
    names = args.names or list(BENCHMARKS)

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = machine()
    say(f"qiterm benchmarks{' (quick)' if args.quick else ''}: {when}; {where}")
    results: dict[str, dict[str, Figure]] = {}
    started = time.monotonic()
    for name in names:
        run: Callable[[bool], dict[str, Figure]] = BENCHMARKS[name].run
        t0 = time.monotonic()
        say()
        results[name] = run(args.quick)
        say(f"  ({name}: {time.monotonic() - t0:.1f} s)")
    total = time.monotonic() - started
    say()
    for line in table(results):
        say(line)
    say()
    budget = BUDGET_S[args.quick]
    say(f"total {total:.1f} s" + (f" (over the {budget:.0f} s budget)" if total > budget else ""))
    if args.write:
        write_doc(results, when, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
