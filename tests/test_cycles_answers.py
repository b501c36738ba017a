"""Cyclic sends (a macro repeated every N seconds or N times, driven by the session,
shown running in the macro bar, stopped by key) and automatic answers (profile
rules that answer a received line, with a hold-off and a limit, switchable in the
palette, each firing in the log and the capture). Over sim://."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import SelectionList

from app.capture.reader import read_capture
from app.capture.recorder import CaptureRecorder
from app.config.answers import parse_answers
from app.config.profile import LoadedProfile, parse_profile, read_macros
from app.console.app import QitermApp
from app.demo.peers import Peers
from app.link.results import Role, Rx
from app.protocol import StreamDecoder
from app.protocol.events import SocketState
from app.session.answers import Answers
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import command, log_texts, ready, tx_lines, until
from widgets.dialogs.answers import AnswersDialog
from widgets.macrobar import MacroBar

SIZE = (120, 36)


def console_with(
    tmp_path: Path, profile_text: str, peers: Peers | None = None
) -> tuple[QitermApp, Path, str]:
    loaded = parse_profile(textwrap.dedent(profile_text), "test.toml")
    assert loaded.problems == [], loaded.problems
    loaded = LoadedProfile(loaded.profile, [], tmp_path / "test.toml", loaded.given)
    name, url = sim_url(peers)
    path = tmp_path / "c.jsonl"
    capture = CaptureRecorder(path, url=url, baud=115200)
    app = QitermApp.for_url(url, 115200, capture=capture, poll_interval=0, profile=loaded)
    return app, path, name


# -- cyclic sends --------------------------------------------------------------------------------


def test_a_macro_takes_every_and_times() -> None:
    macros, problems = read_macros(
        textwrap.dedent(
            """
            [[macro]]
            name = "csq"
            at = "AT+CSQ"
            every = 2.5
            [[macro]]
            name = "thrice"
            at = "AT"
            times = 3
            [[macro]]
            name = "bad"
            at = "AT"
            every = 0
            """
        )
    )
    assert [m.name for m in macros] == ["csq", "thrice", "bad"]
    assert macros[0].cyclic and macros[0].summary() == "AT+CSQ (every 2.5 s until stopped)"
    assert macros[1].cyclic and macros[1].repeat_text() == "3 times"
    assert not macros[2].cyclic
    assert any("every: expected a number of seconds" in p for p in problems)
    assert macros[0].to_dict() == {"name": "csq", "at": "AT+CSQ", "every": 2.5}


@pytest.fixture
def cyclic(tmp_path: Path) -> Iterator[tuple[QitermApp, Path]]:
    app, path, name = console_with(
        tmp_path,
        """
        [[macro]]
        name = "csq"
        key = "f11"
        at = "AT+CSQ"
        every = 0.2

        [[macro]]
        name = "three"
        at = "AT+CGMR"
        every = 0.1
        times = 3
        """,
    )
    try:
        yield app, path
    finally:
        registry.destroy(name)


async def test_a_cyclic_macro_repeats_shows_running_and_stops_by_key(
    cyclic: tuple[QitermApp, Path],
) -> None:
    app, path = cyclic
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        bar = app.query_one(MacroBar)
        await until(pilot, lambda: len(bar.macros) == 2)
        await pilot.press("f11")
        await until(pilot, lambda: tx_lines(app).count("AT+CSQ") >= 3)
        assert app.session.cycles.running("csq")
        await until(pilot, lambda: bar.query_one("#macro-0").has_class("-running"))
        label = str(bar.query_one("#macro-0").label)  # type: ignore[attr-defined]
        assert label.startswith("⟳ F11 csq ")
        # Its key again stops it.
        await pilot.press("f11")
        await until(pilot, lambda: not app.session.cycles.running("csq"))
        await until(pilot, lambda: not bar.query_one("#macro-0").has_class("-running"))
        count = tx_lines(app).count("AT+CSQ")
        # N times: three runs, then it stops by itself.
        await app.run_action("run_macro(1)")
        await until(pilot, lambda: tx_lines(app).count("AT+CGMR") == 3)
        await until(pilot, lambda: not app.session.cycles.running("three"))
        # Ctrl+B stops every cyclic macro.
        await pilot.press("f11")
        await until(pilot, lambda: tx_lines(app).count("AT+CSQ") > count)
        await pilot.press("ctrl+b")
        await until(pilot, lambda: not app.session.cycles.names)
        stopped = tx_lines(app).count("AT+CSQ")
        await until(pilot, lambda: not app.session.link.busy)
        assert tx_lines(app).count("AT+CSQ") == stopped
        texts = log_texts(app)
        assert "macro three: done after 3 runs" in texts
        assert any(t.startswith("macro csq: stopped (Ctrl+B) after") for t in texts)
    events = [r["text"] for r in read_capture(path).records if r["type"] == "event"]
    assert "macro csq: repeating every 0.2 s until stopped" in events
    assert "macro three: repeating every 0.1 s, 3 times" in events
    assert "macro three: done after 3 runs" in events
    sent = [r for r in read_capture(path).records if r["type"] == "tx" and r["d"] == "AT+CGMR\r"]
    assert len(sent) == 3 and {r["tag"] for r in sent} == {"macro"}


# -- automatic answers ---------------------------------------------------------------------------


def test_answer_rules_are_checked_with_re2_and_name_their_problems() -> None:
    rules, problems = parse_answers(
        [
            {"name": "ok", "match": r"^\+CSQ: (\d+)", "line": "AT+CESQ", "limit": 2},
            {"name": "backref", "match": r"(a)\1", "line": "AT"},
            {"name": "both", "match": "x", "line": "AT", "script": "AT"},
            {"name": "notat", "match": "x", "line": "hello"},
            {"name": "raw", "match": "RDY", "line": "!hex 41 54 0D", "holdoff": 0.01},
        ]
    )
    assert [r.name for r in rules] == ["ok", "raw"]
    assert rules[1].holdoff == 1.0  # a bad hold-off keeps the default
    assert rules[0].variables("+CSQ: 24,99") == {"MATCH": "+CSQ: 24,99", "MATCH1": "24"}
    assert rules[0].variables("+CESQ: 1") is None
    text = "\n".join(problems)
    assert "answer[2].match" in text and "backreferences" in text
    assert "answer[3]: expected exactly one of line or script" in text
    assert "answer[4].line" in text
    assert "answer[5].holdoff: expected a number of seconds" in text


class FakeSession:
    """What :class:`Answers` uses of a session: events, sends, variables."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.target = type("T", (), {"variables": {"HOST": "127.0.0.1"}})()

    def event(self, what: str, text: str) -> None:
        self.events.append(text)

    def publish(self, batch: list[object]) -> None:
        pass

    def say(self, text: str, error: bool = False) -> None:
        self.events.append(text)

    def send_line(self, line: str, tag: str = "user") -> None:
        self.sent.append((line, tag))


def _rx(line: bytes, role: Role = Role.URC) -> Rx:
    decoder = StreamDecoder()
    event = (decoder.feed(line) + decoder.flush())[0]
    return Rx(event, role, None, 0.0, 0.0)


def test_the_hold_off_and_the_limit_keep_an_answer_from_looping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules, problems = parse_answers(
        [
            {
                "name": "csq",
                "match": r"^\+CSQ: (\d+)",
                "line": 'AT+QPING=0,"${HOST}",${MATCH1}',
                "holdoff": 2,
                "limit": 2,
            }
        ]
    )
    assert problems == []
    session = FakeSession()
    answers = Answers(session, rules)  # type: ignore[arg-type]
    clock = [100.0]
    monkeypatch.setattr("app.session.answers.time.monotonic", lambda: clock[0])
    line = _rx(b"\r\n+CSQ: 24,99\r\n")
    answers.check([line])
    assert session.sent == [('AT+QPING=0,"127.0.0.1",24', "answer")]
    clock[0] += 1.0  # within the hold-off: not again
    answers.check([line, _rx(b"\r\n+CSQ: 24,99\r\n", Role.ECHO)])
    assert len(session.sent) == 1
    clock[0] += 1.5
    answers.check([line])
    assert len(session.sent) == 2 and not answers.rules[0].enabled  # its limit: off
    clock[0] += 10
    answers.check([line])
    assert len(session.sent) == 2
    assert any("fired 2 times, its limit; switched off" in e for e in session.events)
    answers.set_enabled(0, True)  # on again, with a fresh count
    answers.check([line])
    assert len(session.sent) == 3 and answers.fired(0) == 1
    # The echo of a command is never answered.
    clock[0] += 10
    answers.check([_rx(b"\r\n+CSQ: 24,99\r\n", Role.ECHO)])
    assert len(session.sent) == 3


@pytest.fixture
def answering(tmp_path: Path, peers: Peers) -> Iterator[tuple[QitermApp, Path]]:
    app, path, name = console_with(
        tmp_path,
        r"""
        [[answer]]
        name = "echo back"
        match = '\+QIURC: "recv",(\d),\d+,"ping'
        line = 'AT+QISEND=${MATCH1},4,"ping"'
        holdoff = 0.1
        limit = 3

        [[answer]]
        name = "signal"
        match = '^\+CSQ: (\d+),'
        line = "AT+CGMR"
        enabled = false
        """,
        peers,
    )
    try:
        yield app, path
    finally:
        registry.destroy(name)


async def test_an_answer_fires_on_a_matching_line_and_cannot_loop(
    answering: tuple[QitermApp, Path], peers: Peers
) -> None:
    """The echo peer sends every "ping" back, and the rule answers each with another
    "ping": a loop the hold-off and the limit end (three firings at most)."""
    app, path = answering
    assert peers.tcp_echo is not None
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await command(pilot, f'AT+QIOPEN=0,0,"TCP","127.0.0.1",{peers.tcp_echo[1]},0,1')
        await until(
            pilot,
            lambda: 0 in app.state.sockets and app.state.sockets[0].state == SocketState.CONNECTED,
        )
        await command(pilot, 'AT+QISEND=0,4,"ping"')
        await until(pilot, lambda: app.session.answers.fired(0) >= 1)
        # The loop ends: the last answer's echo comes back and nothing answers it.
        await until(
            pilot,
            lambda: (
                not app.session.link.busy
                and sum(t.startswith('+QIURC: "recv"') for t in log_texts(app))
                == app.session.answers.fired(0) + 1
            ),
        )
        fired = app.session.answers.fired(0)
        assert 1 <= fired <= 3
        sends = [t for t in tx_lines(app) if t.startswith("AT+QISEND")]
        assert len(sends) == fired + 1  # the person's, then one per firing
        # The disabled rule does not fire; switched on in the palette's dialog, it does.
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: not app.session.link.busy and "+CSQ: 24,99" in log_texts(app))
        assert "AT+CGMR" not in tx_lines(app)
        await app.run_action("answers")
        await until(
            pilot,
            lambda: isinstance(app.screen, AnswersDialog) and app.screen.query(SelectionList),
        )
        selection = app.screen.query_one(SelectionList)
        assert 1 not in selection.selected  # "signal" is off; "echo back" is off once at its limit
        assert (0 in selection.selected) == (fired < 3)
        selection.focus()
        await pilot.press("down", "space")
        await until(pilot, lambda: app.session.answers.rules[1].enabled)
        await pilot.press("escape")
        await command(pilot, "AT+CSQ")
        await until(pilot, lambda: "AT+CGMR" in tx_lines(app))
    records = read_capture(path).records
    events = [r["text"] for r in records if r["type"] == "event" and r["what"] == "answer"]
    matched = [t for t in events if "matched; sending" in t]
    assert len(matched) == fired + 1
    assert matched[0].startswith('answer echo back (1/3): \'+QIURC: "recv",0,4,"ping"\' matched')
    assert matched[-1].startswith("answer signal (1/10): '+CSQ: 24,99' matched; sending AT+CGMR")
    assert "answer signal: switched on" in events
    answered = [r for r in records if r["type"] == "tx" and r.get("tag") == "answer"]
    assert [r["d"] for r in answered if r["what"] == "command"] == [
        'AT+QISEND=0,4,"ping"\r'
    ] * fired + ["AT+CGMR\r"]
    # Each firing is in the capture before what it sends.
    first = next(r["seq"] for r in records if r["type"] == "event" and "(1/3)" in r["text"])
    assert first < answered[0]["seq"]


def test_the_readme_example_of_cyclic_sends_and_answers_loads() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Cyclic sends and automatic answers", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None, "the README's cyclic sends section has a TOML sample"
    loaded = parse_profile(block.group(1), "README.md")
    assert loaded.problems == []
    macros = loaded.profile.macros
    assert [(m.name, m.every, m.times) for m in macros] == [
        ("signal", 5.0, None),
        ("ten pings", 1.0, 10),
    ]
    answers = loaded.profile.answers
    assert [a.name for a in answers] == ["close after peer", "after RDY"]
    closing = answers[0]
    assert closing.variables('+QIURC: "closed",3') == {
        "MATCH": '+QIURC: "closed",3',
        "MATCH1": "3",
    }
    assert (closing.holdoff, closing.limit, closing.enabled) == (2.0, 5, True)
    assert answers[1].script is not None and not answers[1].enabled


def test_the_readme_serial_settings_example_loads() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Serial settings", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    loaded = parse_profile(block.group(1), "README.md")
    assert loaded.problems == []
    assert loaded.profile.port_settings.framing == "7E2"
    assert loaded.profile.port_settings.flow == "RTS/CTS"
