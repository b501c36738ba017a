"""Scenario scripts: the parser, the runner against the simulated module with the
demo peers, and ``qiterm run`` on every shipped scenario."""

from __future__ import annotations

import io
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.demo.wiring import Demo, simulator_variables, start_demo
from app.link.results import Role, Rx
from app.link.worker import SerialWorker
from app.protocol import events as ev
from app.scenario import (
    AtStep,
    ExpectStep,
    MarkerStep,
    NoteStep,
    Report,
    ScriptError,
    SendStep,
    SetStep,
    SleepStep,
    Step,
    StepStatus,
    load_script,
    parse_script,
    run,
    runner,
)
from app.session.run import parse_var_options, run_main
from app.sim import registry

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "assets" / "scenarios").glob("*.qis"))
#: A shipped scenario on the simulator takes a few seconds; this is the ceiling.
CLI_TIMEOUT = 90

_names = itertools.count(1)


def parse(text: str, **variables: str) -> list[Step]:
    return list(parse_script(text, "t.qis", variables).steps)


def problems_of(text: str, **variables: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        parse_script(text, "t.qis", variables)
    return [str(p) for p in info.value.problems]


# --- the parser ----------------------------------------------------------------------


def test_every_step_kind() -> None:
    steps = parse(
        "\n".join(
            [
                "# a comment",
                "",
                'AT+QIOPEN=0,0,"TCP","${HOST}",${PORT},0,1',
                "send 0 hello\\r\\n",
                "send 1 to 127.0.0.1:5000 hex:41 42 43",
                'send 2 "  padded  "',
                'expect ^\\+QIURC: "recv",0 2.5',
                "expect SEND OK",
                "sleep 0.25",
                "note opened ${HOST}",
                "marker",
                "marker after the send",
                "set GREETING hi there",
                "note ${GREETING}",
            ]
        ),
        HOST="echo.example",
        PORT="7",
    )
    at, send, udp, padded, expect, expect_default, sleep, note, m1, m2, set_, note2 = steps
    assert isinstance(at, AtStep) and at.line_no == 3
    assert at.command.line == 'AT+QIOPEN=0,0,"TCP","echo.example",7,0,1'
    assert at.command.deferred is not None and not at.tolerate
    assert isinstance(send, SendStep) and send.connect_id == 0 and send.data == b"hello\r\n"
    assert send.remote is None
    assert isinstance(udp, SendStep) and udp.remote == ("127.0.0.1", 5000) and udp.data == b"ABC"
    assert isinstance(padded, SendStep) and padded.data == b"  padded  "
    assert isinstance(expect, ExpectStep) and expect.timeout == 2.5
    assert expect.pattern.search('+QIURC: "recv",0,5,"hello"')
    assert isinstance(expect_default, ExpectStep) and expect_default.timeout == 10.0
    assert isinstance(sleep, SleepStep) and sleep.seconds == 0.25
    assert isinstance(note, NoteStep) and note.note == "opened echo.example"
    assert isinstance(m1, MarkerStep) and m1.label == ""
    assert isinstance(m2, MarkerStep) and m2.label == "after the send"
    assert isinstance(set_, SetStep) and (set_.name, set_.value) == ("GREETING", "hi there")
    assert isinstance(note2, NoteStep) and note2.note == "hi there"
    assert note2.text == "note hi there"  # the line as it runs


def test_keywords_and_at_are_case_insensitive() -> None:
    steps = parse("at+qistate?\nAti\nSLEEP 0\nTry Expect x 1")
    assert [type(s) for s in steps] == [AtStep, AtStep, SleepStep, ExpectStep]
    assert steps[3].tolerate


def test_all_problems_are_reported_with_file_and_line() -> None:
    found = problems_of(
        "\n".join(
            [
                "# header",
                "AT",
                "frobnicate 3",  # 3
                "AT+QICLOSE=9",  # 4
                "send 0 bad \\q escape",  # 5
                "sleep soon",  # 6
                "expect (unclosed",  # 7
                "AT+QISEND=0",  # 8
                "send 7 hello",  # 9
                "send 0 to 1.2.3:5 x",  # 10
                "send 0 hex:4",  # 11
                "expect x 0",  # 12
                "set 9X 1",  # 13
                "note",  # 14
                "send 0",  # 15
            ]
        )
    )
    assert [p.split(":")[1] for p in found] == [str(n) for n in range(3, 16)]
    assert all(p.startswith("t.qis:") for p in found)
    text = "\n".join(found)
    assert "unknown step 'frobnicate'" in text
    assert "<connectID> = 9: out of range" in text
    assert "unknown escape \\q" in text
    assert "'soon' is not a number" in text
    assert "bad regex '(unclosed'" in text
    assert "enters data mode" in text and "use send" in text
    assert "<connectID> = 7" in text
    assert "'1.2.3' is not an IP address" in text
    assert "odd number of hex digits" in text
    assert "0 s is out of range" in text


def test_undefined_variable_is_a_script_error() -> None:
    (problem,) = problems_of('AT\nAT+QPING=0,"${ECHO_HOST}"\n')
    assert problem.startswith("t.qis:2: undefined variable ${ECHO_HOST}")
    assert "--var ECHO_HOST=" in problem
    (problem,) = problems_of("note ${not a name}")
    assert "is not a variable name" in problem
    (problem,) = problems_of("note ${OPEN")
    assert "without a closing" in problem


def test_bad_regex_names_the_pattern_and_position() -> None:
    (problem,) = problems_of("expect a[b 5")
    assert problem.startswith("t.qis:1: bad regex 'a[b'")
    assert "position" in problem


def test_try_tolerates_at_send_and_expect_only() -> None:
    at, send, expect = parse("try AT+QICLOSE=0\ntry send 0 x\ntry expect y 1")
    assert at.tolerate and send.tolerate and expect.tolerate
    assert at.text == "try AT+QICLOSE=0"
    found = problems_of("try note hello\ntry\ntry try AT\ntry sleep 1")
    assert found[0] == "t.qis:1: try applies to AT commands, send and expect, not note"
    assert found[1].startswith("t.qis:2: try needs a step")
    assert found[2] == "t.qis:3: try cannot be repeated"
    assert found[3].startswith("t.qis:4: try applies")


def test_variables_set_override_and_dollar_escape() -> None:
    script = parse_script(
        "set PORT 7\nnote ${HOST}:${PORT}\nset HOST b\nnote ${HOST} costs $$5\n",
        "t.qis",
        {"HOST": "a", "PORT": "1"},
        overrides={"HOST": "fixed"},
    )
    set_port, note1, set_host, note2 = script.steps
    assert isinstance(note1, NoteStep) and note1.note == "fixed:7"
    assert isinstance(set_port, SetStep) and set_port.applied
    assert isinstance(set_host, SetStep) and not set_host.applied  # --var wins
    assert isinstance(note2, NoteStep) and note2.note == "fixed costs $5"
    assert script.variables["PORT"] == "7" and script.variables["HOST"] == "fixed"


def test_send_forms_and_their_problems() -> None:
    (quoted,) = parse('send 0 "to be \\"quoted\\""')
    assert isinstance(quoted, SendStep) and quoted.data == b'to be "quoted"'
    assert quoted.remote is None
    (v6,) = parse("send 4 to [::1]:9 x")
    assert isinstance(v6, SendStep) and v6.remote == ("::1", 9)
    found = problems_of(
        "send x hi\nsend 0 to 127.0.0.1 hi\nsend 0 to 127.0.0.1:0 hi\nsend 0 to 127.0.0.1:5\n"
        'send 0 ""\n' + "send 0 " + "a" * 1025
    )
    assert "connectID must be a number" in found[0]
    assert "is not <ip>:<port>" in found[1]
    assert "port must be 1-65535" in found[2]
    assert "nothing to send after" in found[3]
    assert "nothing to send (empty data)" in found[4]
    assert "too long" in found[5]


def test_description_title_and_empty_script(tmp_path: Path) -> None:
    script = parse_script("# Title here\n# more words\n#\nAT\n# not description\n", "x.qis")
    assert script.title == "Title here"
    assert script.description == ("Title here", "more words")
    assert script.name == "x.qis" and len(script) == 1
    assert problems_of("# only a comment\n\n") == [
        "t.qis:1: no steps (only comments and blank lines)"
    ]
    path = tmp_path / "latin1.qis"
    path.write_bytes(b"AT\nnote caf\xe9\n")
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert str(info.value) == f"{path}:2: not UTF-8 text"
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.qis")


def test_var_options() -> None:
    assert parse_var_options(["A=1", "B_2=x=y", "C="]) == {"A": "1", "B_2": "x=y", "C": ""}
    with pytest.raises(ValueError, match="expected NAME=VALUE"):
        parse_var_options(["no-equals"])


# --- the runner on the simulated module ---------------------------------------------------


@dataclass
class Session:
    demo: Demo
    worker: SerialWorker
    variables: dict[str, str]

    def run(self, text: str, **kw: Any) -> Report:
        return run(parse_script(text, "t.qis", self.variables), self.worker, **kw)


@contextmanager
def session(capture: CaptureRecorder | None = None) -> Iterator[Session]:
    name = f"scn{os.getpid()}-{next(_names)}"
    demo = start_demo(f"sim://{name}")
    worker: SerialWorker | None = None
    try:
        worker = SerialWorker(demo.url, recorder=capture, reconnect=False)
        worker.start()
        assert worker.wait_connected(5)
        assert worker.wait_idle(10)
        yield Session(demo, worker, simulator_variables(demo))
    finally:
        if worker is not None:
            worker.close()
        demo.stop()
        registry.destroy(name)


@pytest.fixture
def sim() -> Iterator[Session]:
    with session() as s:
        yield s


def statuses(report: Report) -> list[StepStatus]:
    return [r.status for r in report.results]


def test_a_passing_run_reports_every_step(sim: Session) -> None:
    seen: list[tuple[int, str, StepStatus]] = []
    report = sim.run(
        'AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1\n'
        "send 0 ping\\r\\n\n"
        'expect ^\\+QIURC: "recv",0,6,"ping\\\\r\\\\n"$ 5\n'
        "AT+QISEND=0,0\n"
        "AT+QICLOSE=0\n",
        on_step=lambda i, step, status: seen.append((i, step.kind, status)),
    )
    assert report.passed, report.summary()
    assert statuses(report) == [StepStatus.PASSED] * 5
    assert report.results[0].message == "+QIOPEN: 0,0"
    assert report.results[1].message == "SEND OK (6 bytes in data mode)"
    assert report.results[2].message == '+QIURC: "recv",0,6,"ping\\r\\n"'
    assert re.fullmatch(r"\+QISEND: 6,\d+,\d+", report.results[3].message)
    assert report.summary().startswith("all 5 steps passed")
    assert seen[:2] == [(0, "at", StepStatus.RUNNING), (0, "at", StepStatus.PASSED)]
    assert len(seen) == 10


def test_a_failing_at_command_fails_the_step_and_the_run(sim: Session) -> None:
    report = sim.run("AT\nAT+QICLOSE=3\nAT\n")
    assert not report.passed
    assert statuses(report) == [StepStatus.PASSED, StepStatus.FAILED, StepStatus.SKIPPED]
    failure = report.failure
    assert failure is not None and failure.index == 1
    assert failure.message == "AT+QICLOSE=3: ERROR"
    assert report.summary() == "step 2/3 (line 2) failed: AT+QICLOSE=3: ERROR"


def test_a_non_zero_result_code_fails_the_step(sim: Session) -> None:
    # Nothing listens on the echo host's port 1: +QIOPEN: 0,566.
    report = sim.run('AT+QIOPEN=0,0,"TCP","${ECHO_IP}",1,0,1\ntry AT+QICLOSE=0\n')
    assert statuses(report) == [StepStatus.FAILED, StepStatus.SKIPPED]
    assert report.results[0].message.endswith("566 Socket connection failed")


def test_try_records_a_failure_without_failing_the_run(sim: Session) -> None:
    report = sim.run("try AT+QICLOSE=3\ntry expect ^never 0.2\nAT\n")
    assert report.passed
    assert statuses(report) == [StepStatus.TOLERATED, StepStatus.TOLERATED, StepStatus.PASSED]
    assert report.results[0].message == "AT+QICLOSE=3: ERROR"
    assert "2 try steps failed" in report.summary()


def test_expect_timeout_fails_with_the_last_lines_received(sim: Session) -> None:
    report = sim.run("AT+CEREG?\nexpect ^\\+QIURC: never 0.3\nAT\n")
    assert statuses(report) == [StepStatus.PASSED, StepStatus.FAILED, StepStatus.SKIPPED]
    message = report.results[1].message
    assert message.startswith("no line matching /^\\+QIURC: never/ within 0.3 s")
    assert "last received: +CEREG: 0,1 | OK" in message


def test_expect_does_not_search_command_echoes(sim: Session) -> None:
    # The module echoes commands (ATE1); an echo is not an answer.
    report = sim.run("AT+QISTATE?\nexpect ^AT\\+QISTATE 0.3\n")
    assert statuses(report) == [StepStatus.PASSED, StepStatus.FAILED]


def test_expect_sees_a_urc_that_arrived_during_the_previous_step(sim: Session) -> None:
    # The "incoming" URC comes while the client's AT+QIOPEN waits for +QIOPEN:,
    # so it is already in before the expect step starts.
    report = sim.run(
        'AT+QIOPEN=0,0,"TCP LISTENER","${MODULE_IP}",0,${LISTENER_PORT},1\n'
        'AT+QIOPEN=0,1,"TCP","${MODULE_IP}",${LISTENER_PORT},0,1\n'
        "send 1 one\n"
        "send 1 two\n"
        "sleep 0.3\n"
        'expect ^\\+QIURC: "incoming",2,0, 0.5\n'
        'expect "recv",2,\\d+,"(one|onetwo)"$ 2\n'
        'try expect "incoming" 0.2\n'
        "AT+QICLOSE=1\nAT+QICLOSE=2\nAT+QICLOSE=0\n"
    )
    assert report.passed, report.summary()
    # The cursor moved past the incoming URC: a second expect does not see it again.
    assert report.results[7].status is StepStatus.TOLERATED


def test_expect_finds_a_line_received_before_it_started(sim: Session) -> None:
    # The echo arrives during the sleep; a 0.2 s expect only passes if it searches
    # what came in before it started.
    report = sim.run(
        'AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1\n'
        "send 0 early bird\n"
        "sleep 0.5\n"
        'expect "recv",0,10,"early bird"$ 0.2\n'
        "AT+QICLOSE=0\n"
    )
    assert report.passed, report.summary()


def test_the_inbox_keeps_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_KEPT", 3)
    inbox = runner._Inbox("script", since=0.0)

    def rx(text: str, tag: str | None = None, role: Role = Role.URC) -> Rx:
        return Rx(ev.TextLine(line=text.encode()), role, None, 1.0, 1.0, tag)

    inbox([rx("a"), rx("b"), rx("echo", role=Role.ECHO), rx("poll", tag="poll")])
    inbox([rx("c"), rx("d"), rx("e")])  # "a" and "b" no longer fit
    never = threading.Event()

    def expect(pattern: str) -> str | None:
        step = parse_script(f"expect {pattern} 0.01", "t.qis").steps[0]
        assert isinstance(step, ExpectStep)
        found = inbox.find(step, never)
        return None if found is None else found.event.text

    assert expect("^[ab]$") is None
    assert expect("echo|poll") is None  # echoes and other tags' answers are not kept
    assert expect("^d$") == "d" and inbox.cursor == 4  # a b c d: absolute positions
    assert expect("^c$") is None  # behind the cursor
    assert expect("^e$") == "e"
    assert inbox.last() == ["b", "c", "d", "e"]


def test_the_cursor_moves_past_each_match(sim: Session) -> None:
    report = sim.run(
        'AT+QIOPEN=0,0,"TCP","${ECHO_HOST}",${ECHO_TCP_PORT},0,1\n'
        'send 0 first\nexpect "first"$ 5\nsend 0 second\n'
        'expect "recv",0 5\n'
        'try expect "first" 0.2\n'
        "AT+QICLOSE=0\n"
    )
    assert report.passed, report.summary()
    assert report.results[4].message.endswith('"second"')
    assert report.results[5].status is StepStatus.TOLERATED


def test_notes_and_markers_land_in_the_capture(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    capture = CaptureRecorder(path, url="sim://", baud=115200)
    with session(capture) as s:
        report = run(
            parse_script("note hello ${ECHO_HOST}\nAT\nmarker after AT\n", "n.qis", s.variables),
            s.worker,
            capture=capture,
        )
    capture.close()
    assert report.passed
    assert report.results[2].message == "marker 1 in the capture"
    records = read_capture(path)
    notes = [r["text"] for r in records.of_type("note")]
    assert "hello echo.qiterm.local" in notes
    assert notes[0] == "scenario n.qis: 3 steps"
    assert notes[-1].startswith("scenario n.qis: all 3 steps passed")
    (marker,) = records.of_type("marker")
    assert marker["n"] == 1 and marker["text"] == "after AT"
    # In script order: the note, the script's AT (the last command written), the marker.
    (hello,) = [r for r in records.of_type("note") if r["text"].startswith("hello")]
    last_tx = records.of_type("tx")[-1]
    assert hello["seq"] < last_tx["seq"] < marker["seq"]


def test_a_run_without_capture_still_passes_notes(sim: Session) -> None:
    report = sim.run("note nowhere to write\nmarker\n")
    assert report.passed
    assert report.results[0].message == "no capture: note not recorded"


def test_cancel_stops_a_long_wait(sim: Session) -> None:
    cancel = threading.Event()
    reports: list[Report] = []
    script = parse_script("AT\nsleep 60\nAT\n", "c.qis")

    def started(index: int, step: Step, status: StepStatus) -> None:
        if isinstance(step, SleepStep) and status is StepStatus.RUNNING:
            cancel.set()

    thread = threading.Thread(
        target=lambda: reports.append(run(script, sim.worker, on_step=started, cancel=cancel))
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    (report,) = reports
    assert report.cancelled and not report.passed
    assert statuses(report) == [StepStatus.PASSED, StepStatus.FAILED, StepStatus.SKIPPED]
    assert report.results[1].message == "cancelled"


def test_run_main_in_process_prints_the_table(tmp_path: Path) -> None:
    script = tmp_path / "tiny.qis"
    script.write_text("# Tiny: one command\nnote ${WHO}\nAT\n")
    out, err = io.StringIO(), io.StringIO()
    code = run_main(
        str(script),
        None,
        str(tmp_path / "tiny.jsonl"),
        ["WHO=tester"],
        out=Console(file=out, width=100),
        err=Console(file=err, width=100),
    )
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "Tiny: one command" in text and "TCP echo" in text
    assert "note tester" in text and "✓ all 2 steps passed" in text
    assert (tmp_path / "tiny.jsonl").exists()


# --- qiterm run ----------------------------------------------------------------------------


def qiterm_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def test_the_shipped_scenarios_are_there() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"tcp_echo.qis", "udp_service.qis", "tcp_listener.qis", "health_check.qis"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_passes_under_qiterm_run(path: Path, tmp_path: Path) -> None:
    log = tmp_path / f"{path.stem}.jsonl"
    proc = qiterm_run(str(path), "--log", str(log))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert log.exists()
    assert "steps passed" in proc.stdout and "FAIL" not in proc.stdout
    capture = read_capture(log)
    assert capture.of_type("note"), "a shipped scenario annotates its capture"
    text = path.read_text()
    assert "qiterm run assets/scenarios/" + path.name in text
    assert "-p /dev/ttyUSB0" in text


def test_a_broken_script_exits_2_with_file_and_line(tmp_path: Path) -> None:
    script = tmp_path / "broken.qis"
    script.write_text("AT\nfrobnicate\nexpect (\n")
    proc = qiterm_run(str(script), "--log", str(tmp_path / "b.jsonl"))
    assert proc.returncode == 2
    assert f"{script}:2: unknown step 'frobnicate'" in proc.stderr
    assert f"{script}:3: bad regex" in proc.stderr
    assert "nothing was sent" in proc.stderr
    assert not (tmp_path / "b.jsonl").exists()


def test_a_failing_scenario_exits_1_and_shows_the_failure(tmp_path: Path) -> None:
    script = tmp_path / "fails.qis"
    script.write_text("AT\nAT+QICLOSE=3\nAT\n")
    proc = qiterm_run(str(script), "--log", str(tmp_path / "f.jsonl"))
    assert proc.returncode == 1
    assert "step 2/3 (line 2) failed: AT+QICLOSE=3: ERROR" in proc.stdout
    assert "skip" in proc.stdout


def test_a_port_that_cannot_be_opened_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    script = tmp_path / "at.qis"
    script.write_text("AT\n")
    proc = qiterm_run(str(script), "-p", str(tmp_path / "no-such-tty"))
    assert proc.returncode == 1
    assert "qiterm run: cannot open" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_a_real_port_gets_no_demo_variables(tmp_path: Path) -> None:
    # With -p nothing is started, so the demo peers' names are undefined...
    script = tmp_path / "ping.qis"
    script.write_text('AT+QPING=0,"${ECHO_HOST}"\n')
    proc = qiterm_run(str(script), "-p", str(tmp_path / "no-such-tty"))
    assert proc.returncode == 2
    assert f"{script}:1: undefined variable ${{ECHO_HOST}}" in proc.stderr
    # ...until --var gives them.
    proc = qiterm_run(
        str(script), "-p", str(tmp_path / "no-such-tty"), "--var", "ECHO_HOST=192.0.2.1"
    )
    assert proc.returncode == 1 and "cannot open" in proc.stderr


def test_ctrl_c_cancels_the_run_and_still_prints_the_summary(tmp_path: Path) -> None:
    script = tmp_path / "sleepy.qis"
    script.write_text("AT\nsleep 60\nAT\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(script), "--log", str(tmp_path / "s.jsonl")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl-C at a terminal: SIGINT as a shell's foreground job has it. A job
        # started with "&" by a script inherits SIGINT ignored, and Python then
        # never raises KeyboardInterrupt (the run went on for its whole 60 s).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        log = tmp_path / "s.jsonl"
        deadline = time.monotonic() + CLI_TIMEOUT
        # The run's first note is written: the sleep step is next.
        while not (log.exists() and "scenario sleepy.qis" in log.read_text()):
            assert proc.poll() is None, "qiterm run ended before its first note"
            assert time.monotonic() < deadline, "qiterm run wrote no note"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=CLI_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 130, out + err
    assert "cancelled" in out  # "at step N/M" when a step was running, else "after N s"
    assert "Traceback" not in out + err
