"""The Module pane over the simulated module: registration lost and regained and the
signal changed through the simulator's test API, its keys (r reads, u turns the URCs
on, m masks), the automatic reads (at connect, then on the interval, tagged
"module" and hidden with the polling), and the same pane read-only in ``qiterm
view`` at any line of a capture."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Static

from app.capture.export import report_string
from app.capture.recorder import CaptureRecorder
from app.capture.report import ReportOptions
from app.console.app import QitermApp
from app.console.palette import console_commands
from app.demo.peers import Peers
from app.link.results import CommandFinished, CommandResult, Outcome, Role, Rx, Tx, TxKind
from app.model.details import SAMPLE_MERGE_S
from app.model.module_view import module_sections, sparkline
from app.protocol import commands as c
from app.protocol.parse import parse_line
from app.session.module_reads import ModuleReads, identity_reads, status_reads
from app.session.session import Session
from app.session.target import Target
from app.sim import registry
from app.viewer.app import CaptureLog, ViewerApp
from tests.conftest import sim_url
from tests.consolekit import command, make_app, ready, screen_text, until
from widgets.module import IntervalDialog, ModulePane


@pytest.fixture
async def console(peers: Peers) -> AsyncIterator[tuple[QitermApp, str]]:
    app, name = make_app(peers, poll_interval=0)
    try:
        yield app, name
    finally:
        registry.destroy(name)


def row(app: QitermApp, title: str, label: str) -> str:
    section = next(s for s in module_sections(app.state, time.time()) if s.title == title)
    return next((r.value for r in section.rows if r.label == label), "")


def glance_text(pane: ModulePane) -> str:
    """The pane's first line as drawn now."""
    return str(pane.query_one("#module-glance", Static).content)


async def open_pane(pilot: object, app: QitermApp) -> ModulePane:
    # Ctrl+N walks the tabs: Send, Ping, NTP, DNS, History, Commands, Module.
    await pilot.press(*["ctrl+n"] * 7)  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.focused, ModulePane))  # type: ignore[arg-type]
    pane = app.query_one(ModulePane)
    return pane


async def test_the_pane_follows_registration_lost_and_regained(
    console: tuple[QitermApp, str],
) -> None:
    app, name = console
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_pane(pilot, app)
        # What the start-up queries read is there before any read of its own.
        await until(pilot, lambda: "registered, home network" in screen_text(app))
        await pilot.press("u")  # AT+CEREG=5, AT+CSCON=1, AT+QNBIOTEVENT=1,1, then a read
        details = app.state.details
        await until(
            pilot,
            lambda: (
                details.cereg_n == 5
                and details.cscon_n == 1
                and details.psm_events_on is True
                and not app.session.link.busy
            ),
            timeout=15,
        )
        await until(
            pilot, lambda: "CEREG n=5, CSCON n=1, PSM events on" in row(app, "Power saving", "URCs")
        )
        module = registry.get(name)
        module.drop_registration(stat=3, reject_cause=15)
        # The +CEREG URC alone (no read) turns the pane: denied, with the EMM cause.
        await until(
            pilot,
            lambda: "#15 no suitable cells" in screen_text(app),
            message=lambda: screen_text(app),
        )
        text = screen_text(app)
        assert "registration denied" in text
        assert "+CEREG URC" in text  # where it came from
        assert row(app, "Power saving", "Reachable") == "no: not registered"
        module.regain_registration()
        await until(
            pilot,
            lambda: app.state.registered and "#15" not in screen_text(app),
            message=lambda: screen_text(app),
        )
        assert row(app, "Registration", "Reject cause") == "none"  # n=5 reports causes
        assert "registered, home network" in screen_text(app)
        assert row(app, "Registration", "Tracking area").startswith("1A2B")  # +CEREG n=5


async def test_the_pane_follows_the_signal(console: tuple[QitermApp, str]) -> None:
    app, name = console
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_pane(pilot, app)
        details = app.state.details
        await pilot.press("r")
        await until(pilot, lambda: details.serving is not None and not app.session.link.busy)
        first = details.rsrp_history[-1][1]
        assert "signal " in screen_text(app)
        module = registry.get(name)
        module.set_signal(rsrp=-118, rsrq=-14, sinr=-5)
        # A read of its own, not merged with the first (reads closer than that are one).
        await until(pilot, lambda: time.time() - details.rsrp_history[-1][0] > SAMPLE_MERGE_S)
        await pilot.press("r")
        await until(
            pilot,
            lambda: "signal weak" in screen_text(app),
            timeout=10,
            message=lambda: screen_text(app),
        )
        assert row(app, "Radio", "Quality") == "weak: sends may fail (RSRP -118 dBm is below -110)"
        assert row(app, "Radio", "RSRP") == "-118 dBm"
        assert row(app, "Radio", "SINR") == "-5 dB"
        history = row(app, "Radio", "RSRP history")
        assert history == f"{sparkline([first, -118])}  -118 to {first:g} dBm, 2 reads"
        assert history[1] == "▂"  # -118 dBm: near the bottom of -130 to -60


async def test_palette_interval_and_mask(console: tuple[QitermApp, str]) -> None:
    app, _ = console
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot)
        assert "Module pane" in [cmd.title for cmd in console_commands(app)]
        await app.run_action("module_pane")  # the palette's entry
        await until(pilot, lambda: isinstance(app.focused, ModulePane))
        pane = app.query_one(ModulePane)
        assert "no automatic reads (i sets them)" in screen_text(app)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        await pilot.press("down", "enter")  # from "off" to every 10 s
        await until(pilot, lambda: app.session.module_interval == 10.0)
        await until(pilot, lambda: "read every 10 s (i)" in screen_text(app))
        await until(pilot, lambda: isinstance(app.focused, ModulePane))
        await pilot.press("r")
        await until(
            pilot, lambda: app.state.details.iccid is not None and not app.session.link.busy
        )
        imei = app.state.details.imei
        assert imei is not None
        pane.scroll_end(animate=False)
        await until(pilot, lambda: imei in screen_text(app))
        await pilot.press("m")
        await until(pilot, lambda: imei not in screen_text(app))
        assert "•" * 11 + imei[-4:] in screen_text(app)
        assert pane.mask
        await pilot.press("m")
        await until(pilot, lambda: imei in screen_text(app))


async def test_reads_go_out_at_connect_then_on_the_interval_tagged_module(peers: Peers) -> None:
    app, name = make_app(peers, poll_interval=0, module_interval=1.0)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)

            def sent(line: str) -> int:
                return sum(
                    1
                    for e in app.journal.entries
                    if e.direction == "tx" and e.text == line and e.tag == "module"
                )

            # At connect: the state and the identity; then the state again.
            await until(pilot, lambda: sent("AT+QENG=0") >= 2, timeout=15)
            assert sent("AT+CIMI") == 1
            assert app.state.details.imsi is not None
            # The log hides them with the polling; the filter shows them.
            assert not any(e.tag == "module" for e in app.journal.view)
            app.journal.filter.show_poll = True
            app.journal.refilter()
            assert any(e.tag == "module" for e in app.journal.view)
            assert app.session.module_interval == 1.0
            app.session.set_module_interval(0)
            await until(pilot, lambda: not app.session.link.busy)
            count = sent("AT+QENG=0")
            await pilot.pause(1.5)
            assert sent("AT+QENG=0") == count  # off: no more reads by themselves
    finally:
        registry.destroy(name)


def test_the_read_policy() -> None:
    reads = ModuleReads(30.0)
    first = reads.take(100.0)
    assert [cmd.line for cmd in first] == [cmd.line for cmd in status_reads() + identity_reads()]
    assert all(cmd.timeout <= 15.0 for cmd in first)  # AT+COPS? never waits 305 s
    assert reads.take(110.0) == []
    assert [cmd.line for cmd in reads.take(130.0)] == [cmd.line for cmd in status_reads()]
    reads.connected()  # a reconnect or a reboot: all of it again
    assert len(reads.take(131.0)) == len(first)
    reads.set_interval(0)
    assert reads.take(1000.0) == [] and not reads.on
    reads.connected()
    assert reads.take(2000.0) == []  # off: not even at connect


def test_the_read_policy_says_when_its_next_reads_are_due() -> None:
    """What the console's clock sleeps until: at once at connect, then the period."""
    reads = ModuleReads(30.0)
    assert reads.due_in(100.0) == 0.0  # at connect: at once
    reads.take(100.0)
    assert reads.due_in(110.0) == 20.0
    assert reads.due_in(140.0) == 0.0  # overdue: now, never a negative wait
    reads.set_interval(60.0)  # a new period: the next read is at once
    assert reads.due_in(141.0) == 0.0
    reads.set_interval(0)
    assert reads.due_in(141.0) is None  # off: the clock need not wake for it


def test_on_by_default_only_on_the_simulator() -> None:
    assert Session._module_default(Target("sim://", "sim://")) == 30.0
    assert Session._module_default(Target("/dev/ttyUSB7", "/dev/ttyUSB7")) == 0.0
    assert QitermApp.for_url("loop://").session.module_interval == 0.0


# -- qiterm view ----------------------------------------------------------------------------


def write_capture(path: Path) -> None:
    """Registration lost (denied, cause 15), then regained with the cell read."""
    with CaptureRecorder(path, url="sim://", baud=115200) as rec:
        wall = time.time()

        def urc(line: bytes, t: float) -> None:
            rec.record(Rx(parse_line(line), Role.URC, None, t, wall + t))

        def command(cid: int, line: str, answer: bytes, t: float) -> None:
            cmd = c.classify(line)
            rec.record(Tx(cmd.wire, TxKind.COMMAND, cid, t, wall + t, "module"))
            event = parse_line(answer)
            rec.record(Rx(event, Role.RESPONSE, cid, t, wall + t, "module"))
            ok = parse_line(b"OK")
            rec.record(Rx(ok, Role.FINAL, cid, t, wall + t, "module"))
            result = CommandResult(cmd, Outcome.OK, [event], ok, command_id=cid, tag="module")
            rec.record(CommandFinished(result))

        urc(b"+CEREG: 3,,,,0,15", 1.0)
        command(1, "AT+CEREG?", b"+CEREG: 5,3,,,,0,15", 2.0)
        urc(b'+CEREG: 1,"1A2B","0C3D4E5F",9,,,"00100001","00111000"', 3.0)
        command(
            2, "AT+QENG=0", b'+QENG: 0,3688,11,121,"0C3D4E5F",-72,-8,-64,14,8,"1A2B",0,-128,3', 4.0
        )


async def test_the_viewer_shows_the_pane_at_the_selected_line(tmp_path: Path) -> None:
    path = tmp_path / "module.jsonl"
    write_capture(path)
    app = ViewerApp(path)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.loaded)
        pane = app.query_one(ModulePane)
        assert not pane.display  # hidden until asked
        await pilot.press("M")
        await until(pilot, lambda: pane.display and pane.region.width > 0)
        log_ = app.query_one(CaptureLog)
        view = app.journal.view
        denied = next(i for i, e in enumerate(view) if e.text.startswith("+CEREG: 3"))
        log_.select(denied)
        await until(pilot, lambda: "#15 no suitable cells" in screen_text(app))
        assert "registration denied" in screen_text(app)
        assert "the module at the selected line (+1." in screen_text(app)
        log_.select(len(view) - 1)  # the last line shown: the +CEREG URC (reads hidden)
        await until(pilot, lambda: "#15" not in screen_text(app))
        assert "registered, home network" in screen_text(app)
        assert "AT+QENG=0" not in screen_text(app)  # read after that line
        app.journal.filter.show_poll = True  # F7: show the reads too
        app.journal.refilter()
        log_.reset()
        view = app.journal.view
        log_.select(len(view) - 1)
        await until(pilot, lambda: "AT+QENG=0" in screen_text(app))
        assert "registered, home network" in screen_text(app)
        power = next(
            sec for sec in module_sections(app.state, view[-1].wall) if sec.title == "Power saving"
        )
        assert [r.value for r in power.rows if r.label == "Active time"] == [
            "T3324 1 min (00100001)"
        ]
        assert "r reads now" not in screen_text(app)  # read-only: nothing is sent from here
        await pilot.press("M")
        await until(pilot, lambda: not pane.display)


def test_the_report_sums_the_module_up_and_folds_its_reads(tmp_path: Path) -> None:
    path = tmp_path / "module.jsonl"
    write_capture(path)
    text = report_string(path, "text")
    header = text.split("\n\n")[1]
    assert "Network    registered, home network; TAC 1A2B; cell 0C3D4E5F;" in header
    assert "Signal     medium (RSRP -72 dBm, RSRQ -8 dB, SINR 14 dB)" in header
    assert "PSM, eDRX  granted T3324 1 min, T3412 24 h" in header
    assert "Commands   0 yours, 0 polling, 0 start-up queries, 2 Module pane reads" in header
    assert "2 commands of Module pane reads (" in header
    # --all keeps them in the transcript, which otherwise folds them.
    assert "→ AT+QENG=0" not in text
    assert "→ AT+QENG=0" in report_string(path, "text", ReportOptions(keep_all=True))


async def test_the_panes_clock_runs_only_while_the_pane_is_shown(
    console: tuple[QitermApp, str],
) -> None:
    """Its once-a-second redraw (the countdowns) is paused while its tab is not the
    one open: an idle console with the Sockets tab open wakes nobody for it."""
    app, _ = console
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await until(pilot, lambda: bool(app.query(ModulePane)))  # mounted in its hidden tab
        hidden = app.query_one(ModulePane)
        assert hidden._clock is not None and not hidden._clock._active.is_set()
        pane = await open_pane(pilot, app)
        assert pane._clock is not None
        clock = pane._clock
        await until(pilot, clock._active.is_set)
        await pilot.press("ctrl+n")  # the next tab: the pane is hidden again
        await until(pilot, lambda: not clock._active.is_set())
        # Hidden, a new state (the reads, every 30 s) is kept, not drawn: drawing lays
        # the whole screen out. Shown again, the pane draws what it has.
        redraws: list[int] = []
        draw = pane._redraw
        pane._redraw = lambda: (redraws.append(1), draw())[1]  # type: ignore[method-assign]
        app.show_module()
        assert redraws == []
        await app.run_action("module_pane")
        await until(pilot, lambda: bool(redraws) and clock._active.is_set())


async def test_the_countdown_to_the_next_periodic_tau_runs_in_psm(peers: Peers) -> None:
    """PSM requested (T3412 1 h, T3324 8 s), granted (+CEREG n=5), entered (the
    simulator's psm_after: 5 s after the request): the pane counts down to the
    periodic TAU by itself, second by second, with no line from the module."""
    name, url = sim_url(peers, psm_after="5")
    app = QitermApp.for_url(url, 115200, poll_interval=0)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)
            pane = await open_pane(pilot, app)
            details = app.state.details
            await pilot.press("u")
            await until(pilot, lambda: details.psm_events_on is True and not pane.reading)
            await command(pilot, 'AT+CPSMS=1,,,"00100001","00000100"')
            await until(pilot, lambda: not app.session.link.busy)
            pane.focus()
            await pilot.press("r")  # +CEREG: 5,... now carries the timers granted
            await until(pilot, lambda: app.state.psm_timers == ("00000100", "00100001"))
            assert row(app, "Power saving", "PSM granted") == "yes"
            assert row(app, "Power saving", "Active time") == "T3324 8 s (00000100)"
            await until(pilot, lambda: app.state.psm is True, timeout=15)
            assert [e.event for e in details.power_events] == ["entered PSM"]
            await until(pilot, lambda: "reachable: in 59 min" in screen_text(app))
            first = glance_text(pane)
            # No line from the module since: the pane's own clock moves the countdown.
            lines = len(app.journal.entries)
            await until(pilot, lambda: glance_text(pane) != first, message=lambda: first)
            assert glance_text(pane).startswith(first.split(" in 59 min")[0] + " in 59 min")
            assert len(app.journal.entries) == lines
    finally:
        registry.destroy(name)
