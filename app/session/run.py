"""``qiterm run SCRIPT``: run a scenario headless, show progress, summarise, exit.

On the built-in simulator (no ``-p``, or a ``sim://`` URL) the loopback demo
peers are started for the run and their names and ports become the script's
variables; on any other port nothing is started and the script's variables
come from ``--var``. Exit codes: 0 every step passed, 1 a step failed (or the
port could not be opened), 2 the script (or an option) is wrong, 130
interrupted.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from rich import box
from rich.console import Console, OverflowMethod
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from app.capture.recorder import CaptureRecorder, capture_open_error, default_capture_path
from app.config.shipped import load_scenario, scenarios
from app.playback import variables_note
from app.scenario.runner import Report, StepResult, StepStatus
from app.scenario.script import (
    MarkerStep,
    NoteStep,
    Script,
    ScriptError,
    SetStep,
    SleepStep,
    Step,
)
from app.session.session import Session
from app.session.target import Target, TargetError, resolve

#: ``qiterm run`` has no baud option: modules ship at 115200 (the worker's default).
BAUDRATE = 115200
#: How long opening the port may take (a socket:// connect, a slow USB adapter).
CONNECT_TIMEOUT = 10.0
#: How long the worker's start-up queries (AT, ATI, formats, QISTATE...) may take.
INIT_TIMEOUT = 20.0
#: How long to wait for the run to stop after Ctrl-C.
STOP_TIMEOUT = 5.0
#: Columns of step text shown in the progress line.
PROGRESS_TEXT = 60

_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_STATUS_TEXT = {
    StepStatus.PASSED: ("✓ pass", "green"),
    StepStatus.FAILED: ("✗ FAIL", "bold red"),
    StepStatus.TOLERATED: ("~ try", "yellow"),
    StepStatus.SKIPPED: ("- skip", "dim"),
    StepStatus.RUNNING: ("… run", "cyan"),
}


def parse_var_options(items: list[str]) -> dict[str, str]:
    """``["HOST=1.2.3.4", ...]`` -> ``{"HOST": "1.2.3.4"}``; ValueError names a bad one."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _VAR_NAME.fullmatch(name):
            raise ValueError(f"--var {item!r}: expected NAME=VALUE (NAME: letters, digits, _)")
        values[name] = value
    return values


def list_main(out: Console | None = None) -> int:
    """``qiterm run --list``: the shipped scenarios, one line each."""
    out = out or Console(highlight=False)
    found_all = scenarios()
    table = Table(box=None, pad_edge=False, show_header=False)
    width = max((len(s.name) for s in found_all), default=4)
    table.add_column("name", style="bold cyan", no_wrap=True, min_width=width)
    table.add_column("what it shows", no_wrap=True, overflow="ellipsis")
    for found in found_all:
        table.add_row(found.name, found.title)
    out.print(table)
    out.print("run one: qiterm run NAME  (a file of that name wins)", style="dim")
    return 0


def run_main(
    script_path: str,
    port: str | None,
    log_path: str | None,
    variables: list[str],
    *,
    out: Console | None = None,
    err: Console | None = None,
    force: bool = False,
) -> int:
    """``qiterm run``: returns the process exit code (never raises for a bad
    script, a port that cannot be opened or a failing module)."""
    out = out or Console(highlight=False)
    # Messages to stderr are plain lines (file:line: ...), never wrapped or styled.
    err = err or Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        overrides = parse_var_options(variables)
    except ValueError as exc:
        err.print(f"qiterm run: {exc}")
        return 2
    try:
        target = resolve(port)
    except TargetError as exc:
        err.print(f"qiterm run: {exc}")
        return 2
    except OSError as exc:
        err.print(f"qiterm run: cannot start the demo peers on loopback: {exc}")
        return 1
    try:
        return _run_with(script_path, target, overrides, log_path, out, err, force=force)
    except KeyboardInterrupt:
        err.print("qiterm run: interrupted")
        return 130
    finally:
        target.stop()


def _run_with(
    script_path: str,
    target: Target,
    overrides: Mapping[str, str],
    log_path: str | None,
    out: Console,
    err: Console,
    *,
    force: bool = False,
) -> int:
    url = target.url
    try:
        script = load_scenario(script_path, target.variables, overrides=overrides)
    except ScriptError as exc:
        for problem in exc.problems:
            err.print(str(problem))
        count = len(exc.problems)
        err.print(
            f"qiterm run: {count} problem{'s' if count != 1 else ''} in {script_path}; "
            "nothing was sent."
        )
        return 2

    capture_path = Path(log_path) if log_path else default_capture_path()
    try:
        capture: CaptureRecorder | None = CaptureRecorder(
            capture_path,
            url=url,
            baud=BAUDRATE,
            replace=force and bool(log_path),
            make_folder=not log_path,
        )
    except OSError as exc:
        err.print(f"qiterm run: {capture_open_error(capture_path, exc)}")
        if log_path:
            return 2  # asked for a file we cannot write: say so rather than run unrecorded
        capture = None

    _header(out, script, target)
    if capture is not None:
        # The values the script ran with: a replay of this capture gives them back.
        capture.note(variables_note({**target.variables, **overrides}))
    session = Session(target, BAUDRATE, capture=capture, reconnect=False)
    try:
        session.start()
        why = session.wait_ready(CONNECT_TIMEOUT, INIT_TIMEOUT)
        if why is not None:
            err.print(f"qiterm run: {why}")
            if capture is not None and not log_path:
                # Nothing happened worth keeping: no clutter in the log directory.
                capture.close()
                capture.path.unlink(missing_ok=True)
            return 1
        where = str(capture.path) if capture is not None else "(none: not recorded)"
        out.print(f"  capture  {where}", markup=False, soft_wrap=True)
        out.print(f"  steps    {len(script)}")
        report = _run_with_progress(script, session, out)
    finally:
        session.link.close()
        if capture is not None:
            capture.close()
    _summary(out, report, capture)
    if report.cancelled:
        return 130
    return 0 if report.passed else 1


def _header(out: Console, script: Script, target: Target) -> None:
    out.print(Text.assemble(("qiterm run ", "bold"), (script.name, "bold cyan")))
    if script.title != script.name:
        out.print(f"  {script.title}", markup=False, soft_wrap=True)
    module = "built-in simulated BC660K-GL (sim://)" if target.demo is not None else target.url
    out.print(f"  module   {module}", markup=False, soft_wrap=True)
    for i, line in enumerate(target.peers_info):
        out.print(f"  {'peers' if i == 0 else '':<8} {line}", markup=False, soft_wrap=True)


def _run_with_progress(script: Script, session: Session, out: Console) -> Report:
    total = len(script)
    cancel = threading.Event()
    outcome: list[Report] = []
    failure: list[BaseException] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("step {task.fields[n]}/{task.total:.0f}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=total, n=0)

        def on_step(index: int, step: Step, status: StepStatus) -> None:
            if status is StepStatus.RUNNING:
                progress.update(task, n=index + 1, description=_clip(step.text))
            else:
                progress.update(task, completed=index + 1)

        def target() -> None:
            try:
                outcome.append(session.run_script(script, on_step=on_step, cancel=cancel))
            except BaseException as exc:  # handed to the main thread
                failure.append(exc)

        thread = threading.Thread(target=target, name="qiterm-scenario", daemon=True)
        thread.start()
        stop_by: float | None = None
        while thread.is_alive():
            try:
                thread.join(0.1)
            except KeyboardInterrupt:
                if stop_by is None:
                    cancel.set()
                    stop_by = time.monotonic() + STOP_TIMEOUT
                    progress.console.print("interrupted: stopping the run…")
            if stop_by is not None and time.monotonic() > stop_by:
                break
    if failure:
        raise failure[0]
    if not outcome:  # the runner did not stop within STOP_TIMEOUT of Ctrl-C
        return Report(script, [], 0.0, cancelled=True)
    return outcome[0]


def _clip(text: str, width: int = PROGRESS_TEXT) -> str:
    """One short line of step text for the progress display (which reads markup)."""
    if len(text) > width:
        text = text[: width - 1] + "…"
    return escape(text)


def _summary(out: Console, report: Report, capture: CaptureRecorder | None) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("line", justify="right", style="dim")
    table.add_column("step", ratio=3)
    table.add_column("result", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("detail", ratio=4)
    for result in report.results:
        table.add_row(*_row(result))
    out.print(table)
    mark, style = ("✓", "bold green") if report.passed else ("✗", "bold red")
    out.print(Text(f"{mark} {report.summary()}", style=style), soft_wrap=True)
    if capture is not None:
        out.print(f"capture: {capture.path}", markup=False, soft_wrap=True)
        if not capture.complete:
            out.print(Text(f"✗ {capture.summary()}", style="bold red"), soft_wrap=True)
        out.print(
            f"share it: qiterm export {capture.path} --format html", markup=False, soft_wrap=True
        )


#: Steps that only annotate or wait: shown dimmed so the commands stand out.
_QUIET_STEPS = (NoteStep, MarkerStep, SetStep, SleepStep)


def _row(result: StepResult) -> tuple[str, str, Text, Text, str, Text]:
    """A table row: one line per step, except a failed step, shown in full."""
    label, status_style = _STATUS_TEXT[result.status]
    failed = result.status is StepStatus.FAILED
    quiet = isinstance(result.step, _QUIET_STEPS) and not failed
    elapsed = "" if result.status is StepStatus.SKIPPED else f"{result.elapsed:.2f}s"
    overflow: OverflowMethod = "fold" if failed else "ellipsis"
    text_style = "dim" if quiet or result.status is StepStatus.SKIPPED else ""
    return (
        str(result.index + 1),
        str(result.step.line_no),
        Text(result.step.text, style=text_style, no_wrap=not failed, overflow=overflow),
        Text(label, style=status_style),
        elapsed,
        Text(
            result.message,
            style="red" if failed else text_style,
            no_wrap=not failed,
            overflow=overflow,
        ),
    )


__all__ = ["list_main", "parse_var_options", "run_main"]
