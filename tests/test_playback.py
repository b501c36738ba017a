"""``sim://?replay=`` and ``qiterm sim --replay``: a capture played back as a module."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import serial
from rich.console import Console

from app.capture.reader import read_capture
from app.playback import recorded_variables, replay_path
from app.playback.script import build, command_key, load
from app.session.run import run_main
from app.session.target import resolve
from app.sim import registry
from tests.atclient import AtClient

# -- a capture written by hand ------------------------------------------------------


def write_capture(path: Path, items: list[tuple[str, float, dict[str, Any]]]) -> Path:
    """A capture file: (type, monotonic seconds, fields) per record after the header."""
    lines = [
        {
            "seq": 0,
            "type": "header",
            "t": 0,
            "m": 0,
            "format": "qiterm-capture",
            "version": 1,
            "qiterm": "0.1.0",
            "url": "/dev/ttyUSB0",
            "baud": 115200,
            "started": "2026-01-01T00:00:00.000Z",
        }
    ]
    for seq, (rtype, at, fields) in enumerate(items, start=1):
        mono = round(at * 1_000_000)
        lines.append({"seq": seq, "type": rtype, "t": mono, "m": mono, **fields})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def tx(at: float, data: str, what: str = "command") -> tuple[str, float, dict[str, Any]]:
    return ("tx", at, {"what": what, "cmd": None, "d": data})


def rx(at: float, data: str, role: str = "response") -> tuple[str, float, dict[str, Any]]:
    return ("rx", at, {"kind": "line", "role": role, "cmd": None, "d": data})


CONNECTED = ("link", 0.0, {"state": "connected", "message": "", "url": "x", "baud": 115200})


def simple_capture(path: Path) -> Path:
    """AT, AT+CSQ (a URC 0.3 s after its answer), AT+QISTATE?, with echo on."""
    return write_capture(
        path,
        [
            CONNECTED,
            rx(0.05, "\r\nRDY\r\n", "urc"),
            tx(1.0, "AT\r"),
            rx(1.001, "AT\r", "echo"),
            rx(1.002, "\r\nOK\r\n", "final"),
            tx(2.0, "AT+CSQ\r"),
            rx(2.001, "AT+CSQ\r", "echo"),
            rx(2.002, "\r\n+CSQ: 20,99\r\n", "response"),
            rx(2.003, "\r\nOK\r\n", "final"),
            rx(2.3, '\r\n+QIURC: "closed",0\r\n', "urc"),
            tx(3.0, "AT+QISTATE?\r"),
            rx(3.001, "AT+QISTATE?\r", "echo"),
            rx(3.002, "\r\nOK\r\n", "final"),
        ],
    )


def open_replay(path: Path, **options: str) -> tuple[AtClient, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"replay": str(path), **options}.items())
    port = serial.serial_for_url(f"sim://?{query}", timeout=0.1)
    return AtClient(port), port


def texts(events: list[Any]) -> list[str]:
    return [e.text for e in events]


# -- reading a capture as a script --------------------------------------------------


def test_a_capture_becomes_steps_with_the_echo_taken_out(tmp_path: Path) -> None:
    path = write_capture(
        tmp_path / "c.jsonl",
        [
            CONNECTED,
            rx(0.1, "\r\nRDY\r\n", "urc"),
            tx(1.0, "\x1b", "esc"),  # the link's resync: not an input to answer
            tx(1.0, "AT+QISEND=0,5\r"),
            rx(1.0005, "AT+QISEND=0,5\r", "echo"),
            rx(1.001, "\r\n>", "prompt"),
            tx(1.01, "12345", "payload"),
            # The framer glues the prompt's space to the echoed payload.
            rx(1.011, " 12345", "echo"),
            rx(1.02, "\r\nOK\r\n", "final"),
            rx(1.021, "\r\nSEND OK\r\n", "final"),
            rx(1.5, '\r\n+QIURC: "recv",0,5,"12345"\r\n', "urc"),
        ],
    )
    recording = load(path)
    assert [e.data for e in recording.banner] == [b"\r\nRDY\r\n"]
    (step,) = recording.steps
    assert step.line == "AT+QISEND=0,5" and step.echo
    # The prompt and its space went out before the payload came in.
    assert [e.data for e in step.output] == [b"\r\n>", b" "]
    assert step.output[0].offset == pytest.approx(0.001, abs=1e-6)
    data = step.data
    assert data is not None and data.payload == b"12345" and data.echo
    assert data.terminator is None  # fixed length: no Ctrl-Z
    assert [e.data for e in data.output] == [
        b"\r\nOK\r\n",
        b"\r\nSEND OK\r\n",
        b'\r\n+QIURC: "recv",0,5,"12345"\r\n',
    ]
    assert [round(e.offset, 3) for e in data.output] == [0.01, 0.011, 0.49]


def test_without_echo_nothing_is_taken_out(tmp_path: Path) -> None:
    banner, steps = build(
        [
            {"seq": 1, "type": "tx", "m": 1_000_000, "what": "command", "d": "ATE0\r"},
            {"seq": 2, "type": "rx", "m": 1_001_000, "role": "final", "d": "\r\nOK\r\n"},
        ]
    )
    assert banner == [] and not steps[0].echo
    assert [e.data for e in steps[0].output] == [b"\r\nOK\r\n"]


def test_commands_match_in_upper_case_outside_quotes() -> None:
    assert command_key(' at+qiopen=0,0,"tcp","Host",7 ') == 'AT+QIOPEN=0,0,"tcp","Host",7'


# -- playing it back ------------------------------------------------------------------


def test_answers_come_from_the_capture_with_its_urcs(tmp_path: Path) -> None:
    at, port = open_replay(simple_capture(tmp_path / "c.jsonl"))
    try:
        assert texts(at.events_until(lambda got: len(got) >= 1, 2)) == ["RDY"]
        at.write(b"AT\r")
        assert texts(at.events_until(lambda got: got[-1].text == "OK")) == ["AT", "OK"]
        at.write(b"at+csq\r")  # the same command, typed in lower case
        got = at.events_until(lambda got: got[-1].text.startswith("+QIURC"), 3)
        assert texts(got) == ["at+csq", "+CSQ: 20,99", "OK", '+QIURC: "closed",0']
        # Byte for byte, as the module printed them (echo as typed).
        assert bytes(at.received).endswith(
            b'at+csq\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n\r\n+QIURC: "closed",0\r\n'
        )
    finally:
        port.close()


def test_recorded_delays_are_kept_or_scaled(tmp_path: Path) -> None:
    path = write_capture(
        tmp_path / "slow.jsonl",
        [
            tx(1.0, 'AT+QPING=0,"127.0.0.1",1,1\r'),
            rx(1.01, "\r\nOK\r\n", "final"),
            rx(3.0, "\r\n+QPING: 0,1,1,0,1,1,1\r\n", "deferred"),
        ],
    )
    at, port = open_replay(path, speed="10")
    try:
        at.write(b'AT+QPING=0,"127.0.0.1",1,1\r')
        at.expect("^OK$")
        sent = time.monotonic()
        at.expect(r"^\+QPING: 0,1,1,0")
        waited = time.monotonic() - sent
        # Recorded 1.99 s after the OK; ten times faster is about 0.2 s.
        assert 0.15 <= waited < 1.5, waited
    finally:
        port.close()


def test_the_next_occurrence_answers_a_command_out_of_order(tmp_path: Path) -> None:
    at, port = open_replay(simple_capture(tmp_path / "c.jsonl"))
    try:
        at.expect("^RDY$")
        at.write(b"AT+QISTATE?\r")  # recorded third: found further on
        assert texts(at.events_until(lambda got: got[-1].text == "OK")) == ["AT+QISTATE?", "OK"]
        at.write(b"AT\r")  # the first one is still next in order
        assert texts(at.events_until(lambda got: got[-1].text == "OK")) == ["AT", "OK"]
    finally:
        port.close()


def test_a_command_the_capture_cannot_answer_gets_error_and_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "own.jsonl"
    name = "replay-divergence"
    port = serial.serial_for_url(
        f"sim://{name}?replay={simple_capture(tmp_path / 'c.jsonl')}&log={own}", timeout=0.1
    )
    at = AtClient(port)
    try:
        at.write(b"AT\r")
        at.expect("^OK$")
        at.write(b"AT+CGATT?\r")
        assert texts(at.events_until(lambda got: got[-1].text == "ERROR")) == [
            "AT+CGATT?",
            "ERROR",
        ]
        player = registry.get_device(name)
        expected = "command 2: capture has AT+CSQ here, host sent AT+CGATT?"
        assert player.divergences == [expected]  # type: ignore[attr-defined]
        assert expected in capsys.readouterr().err
        # The capture goes on where it was.
        at.write(b"AT+CSQ\r")
        at.expect(r"^\+CSQ: 20,99$")
        at.write(b"AT+QISTATE?\r")
        at.expect("^OK$")
        at.write(b"AT\r")
        at.expect("^ERROR$")
        assert player.divergences[-1] == (  # type: ignore[attr-defined]
            "command 5: the capture has no more commands, host sent AT"
        )
    finally:
        port.close()
        registry.destroy(name)
    notes = [r["text"] for r in read_capture(own).of_type("note")]
    assert expected in notes
    sent = [r["d"] for r in read_capture(own).of_type("tx")]
    assert sent[:2] == ["AT\r", "AT+CGATT?\r"]


def test_a_different_payload_diverges(tmp_path: Path) -> None:
    path = write_capture(
        tmp_path / "send.jsonl",
        [
            tx(1.0, "AT+QISEND=0\r"),
            rx(1.001, "\r\n>", "prompt"),
            tx(1.01, "hello", "payload"),
            tx(1.01, "\x1a", "ctrl_z"),
            rx(1.02, " \r\nOK\r\n", "final"),
            rx(1.03, "\r\nSEND OK\r\n", "final"),
        ],
    )
    name = "replay-payload"
    port = serial.serial_for_url(f"sim://{name}?replay={path}", timeout=0.1)
    at = AtClient(port)
    try:
        at.write(b"AT+QISEND=0\r")
        at.events_until(lambda got: any(e.kind == "prompt" for e in got))
        at.write(b"hullo\x1a")
        at.expect("^ERROR$")
        (why,) = registry.get_device(name).divergences  # type: ignore[attr-defined]
        assert why == (
            "command 1: capture has payload b'hello' + Ctrl-Z here, host sent payload b'hullo'"
            " + Ctrl-Z"
        )
    finally:
        port.close()
        registry.destroy(name)


def test_a_bad_replay_url_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(serial.SerialException, match=r"nothing\.jsonl"):
        serial.serial_for_url(f"sim://?replay={tmp_path / 'nothing.jsonl'}")
    text = tmp_path / "text.jsonl"
    text.write_text("hello\n")
    with pytest.raises(serial.SerialException, match="not a qiterm capture"):
        serial.serial_for_url(f"sim://?replay={text}")
    with pytest.raises(serial.SerialException, match="speed"):
        serial.serial_for_url(f"sim://?replay={text}&speed=0")


# -- record with qiterm run, replay, run the same scenario again ----------------------


def transcript(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What went over the wire and how it was read, then the script's notes and
    markers, without times and seq numbers. (The two are compared apart: a run's
    first notes are written while the link's start-up queries may still be
    answered, so where they fall among those records is not fixed.)"""
    wire, notes = [], []
    for record in read_capture(path).records:
        if record["type"] == "link":
            continue  # names the port, which differs
        kept = {k: v for k, v in record.items() if k not in ("seq", "t", "m", "elapsed_ms")}
        (notes if record["type"] in ("note", "marker") else wire).append(kept)
    return wire, notes


def run(script: str, port: str | None, log: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_main(
        script,
        port,
        str(log),
        [],
        out=Console(file=out, width=120),
        err=Console(file=err, width=120),
    )
    return code, out.getvalue(), err.getvalue()


def test_a_recorded_run_replays_to_the_same_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = tmp_path / "recorded.jsonl"
    code, out, err = run("tcp_echo", None, recorded)
    assert code == 0, out + err
    assert recorded_variables(recorded)["ECHO_TCP_PORT"].isdigit()

    replayed = tmp_path / "replayed.jsonl"
    code, out, err = run("tcp_echo", f"sim://?replay={recorded}", replayed)
    assert code == 0, out + err
    assert transcript(replayed) == transcript(recorded)

    # The same scenario with one step changed: the run fails at that step, and the
    # replay says where the host left the capture.
    changed = tmp_path / "changed.qis"
    original = (Path("assets/scenarios/tcp_echo.qis")).read_text()
    changed.write_text(original.replace("send 0 Hello from qiterm", "send 0 Hello from QITERM"))
    capsys.readouterr()
    code, out, err = run(str(changed), f"sim://?replay={recorded}", tmp_path / "changed.jsonl")
    assert code == 1
    assert "send 0 Hello from QITERM" in out and "✗ step 9/28 (line 28) failed" in out
    assert (
        'command 12: capture has AT+QISEND=0,17,"Hello from qiterm" here, host sent '
        'AT+QISEND=0,17,"Hello from QITERM"'
    ) in capsys.readouterr().err


def test_a_replay_target_starts_no_peers_and_gives_the_recorded_variables(
    tmp_path: Path,
) -> None:
    path = write_capture(
        tmp_path / "v.jsonl",
        [
            ("note", 0.0, {"text": 'scenario variables: {"ECHO_TCP_PORT": "4242"}'}),
            tx(1.0, "AT\r"),
            rx(1.001, "\r\nOK\r\n", "final"),
        ],
    )
    url = f"sim://?replay={path}"
    assert replay_path(url) == str(path) and replay_path("sim://") is None
    target = resolve(url)
    assert target.demo is None and target.url == url
    assert target.variables == {"ECHO_TCP_PORT": "4242"}
    assert target.label == f"sim:// replay of {path}"


# -- qiterm sim --replay over a pty ---------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pty")
def test_qiterm_sim_replay_serves_a_pty(tmp_path: Path) -> None:
    own = tmp_path / "own.jsonl"
    args = ["sim", "--pty", "--replay", str(simple_capture(tmp_path / "c.jsonl"))]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args, "--speed", "5", "--log", str(own)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), path
        port = serial.Serial(path, 115200, timeout=0.1)
        try:
            at = AtClient(port)
            at.write(b"AT\r")
            at.expect("^OK$")
            at.write(b'AT+QIDNSGIP=0,"x"\r')
            at.expect("^ERROR$")
        finally:
            port.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "replaying the capture" in err
    assert 'command 2: capture has AT+CSQ here, host sent AT+QIDNSGIP=0,"x"' in err
    assert 'host sent AT+QIDNSGIP=0,"x"' in " ".join(
        r["text"] for r in read_capture(own).of_type("note")
    )


# -- the console on a replay ----------------------------------------------------------


async def test_the_console_drives_a_replay(tmp_path: Path) -> None:
    from app.console.app import QitermApp
    from tests.consolekit import command, log_texts, ready, until

    script = tmp_path / "signal.qis"
    script.write_text("AT+CSQ\nAT+CGATT?\n")
    recorded = tmp_path / "recorded.jsonl"
    code, out, err = run(str(script), None, recorded)
    assert code == 0, out + err
    app = QitermApp.for_url(f"sim://?replay={recorded}", 115200, poll_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)  # the start-up queries were answered from the capture
        assert app.state.identity is not None
        await command(pilot, "AT+CGATT?")  # out of order: found further on
        await until(pilot, lambda: "+CGATT: 1" in log_texts(app))
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: any(t.startswith("+CSQ: ") for t in log_texts(app)))
        await command(pilot, "AT+CEREG=2")  # never recorded
        await until(pilot, lambda: "ERROR" in log_texts(app))
