"""A newcomer's first minute: the console started as `make run` starts it, on the
built-in simulator with its demo peers, driven through the pre-filled forms only."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from app.config import paths
from app.console import launch
from app.demo.wiring import start_demo
from app.link.ports import is_builtin_simulator
from app.model.journal import Category
from app.protocol.events import SocketState
from app.sim import registry
from tests.consolekit import click, log_texts, ready, show_tab, tx_lines, type_into, until
from widgets.dialogs.open_socket import OpenSocketDialog
from widgets.dialogs.welcome import WelcomeScreen
from widgets.tools.dns import DnsForm
from widgets.tools.ntp import NtpForm
from widgets.tools.ping import PingForm


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths.platformdirs, "user_state_dir", lambda name: str(tmp_path / name))
    return tmp_path


async def test_first_minute_with_the_prefilled_forms(state_dir: Path, tmp_path: Path) -> None:
    name = f"firstrun{os.getpid()}"
    console = launch.prepare_console(
        port=f"sim://{name}", baud=115200, log_path=str(tmp_path / "first.jsonl")
    )
    assert console is not None and console.demo is not None
    app = console.app
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            # The welcome panel shows on the first start and lists the peers.
            await until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
            shown = str(app.screen.query_one("#welcome-text").render())
            assert "echo.qiterm.local" in shown and "time.qiterm.local" in shown
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, WelcomeScreen))
            await ready(pilot)
            # 1. Open TCP to the echo peer: the dialog is filled in; Enter opens it.
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, OpenSocketDialog))
            dialog = app.screen
            assert dialog.query_one("#host", Input).value == "echo.qiterm.local"
            assert (
                dialog.query_one("#remote-port", Input).value
                == console.demo.variables["ECHO_TCP_PORT"]
            )
            await pilot.press("enter")
            await until(
                pilot,
                lambda: (
                    app.state.sockets.get(0) is not None
                    and app.state.sockets[0].state == SocketState.CONNECTED
                ),
            )
            # 2. Send and receive.
            await show_tab(pilot, "tab-send")
            await type_into(pilot, "#data", "hello")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.state.sockets[0].bytes_received == 5)
            assert any('"hello"' in t for t in log_texts(app, Category.RECV))
            # 3. Ping, NTP and DNS with what the forms already hold.
            await show_tab(pilot, "tab-ping")
            ping = app.query_one(PingForm)
            assert ping.query_one("#ping-host", Input).value == "echo.qiterm.local"
            await click(pilot, "#ping-go")
            await until(
                pilot,
                lambda: "4/4 replies" in str(ping.query_one(".result", Label).render()),
                timeout=20,
            )
            await show_tab(pilot, "tab-ntp")
            ntp = app.query_one(NtpForm)
            await click(pilot, "#ntp-go")
            await until(pilot, lambda: "UTC " in str(ntp.query_one(".result", Label).render()))
            await show_tab(pilot, "tab-dns")
            dns = app.query_one(DnsForm)
            await click(pilot, "#dns-go")
            await until(
                pilot, lambda: str(dns.query_one(".result", Label).render()).startswith("127.0.0.1")
            )
    finally:
        console.close()
        registry.destroy(name)
    # Every byte of that session is in the capture.
    assert (tmp_path / "first.jsonl").stat().st_size > 1000


def test_the_welcome_panel_shows_once(state_dir: Path) -> None:
    assert launch.first_start() is True
    assert launch.first_start() is False
    assert launch.welcome_marker().exists()


def test_demo_peers_bind_loopback_only_and_stop() -> None:
    demo = start_demo("sim://demo-check")
    try:
        bound = demo.peers.bound_addresses()
        assert {kind for kind, _, _ in bound} >= {"tcp_echo", "udp_echo", "ntp", "dns"}
        assert all(ipaddress.ip_address(host).is_loopback for _, host, _ in bound)
        assert "dns=127.0.0.1:" in demo.url and "ntp_port=" in demo.url
    finally:
        demo.stop()
    assert demo.peers.bound_addresses() == []


def test_nothing_is_started_for_a_real_port(state_dir: Path, tmp_path: Path) -> None:
    assert not is_builtin_simulator("/dev/ttyUSB0")
    assert not is_builtin_simulator("socket://127.0.0.1:5555")
    console = launch.prepare_console(
        port="loop://", baud=115200, log_path=str(tmp_path / "real.jsonl")
    )
    assert console is not None
    try:
        assert console.demo is None and not console.app.session.target.peers_info
        assert not console.app.show_welcome_at_start
    finally:
        console.close()


def test_an_unwritable_capture_is_a_clear_error(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    console = launch.prepare_console(
        port="loop://", baud=115200, log_path=str(blocker / "sub" / "c.jsonl")
    )
    assert console is None
    assert "cannot write the capture" in capsys.readouterr().err


async def test_a_shipped_scenario_plays_inside_the_console(state_dir: Path, tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from widgets.dialogs.script import ScriptDialog

    name = f"script{os.getpid()}"
    console = launch.prepare_console(
        port=f"sim://{name}", baud=115200, log_path=str(tmp_path / "s.jsonl"), welcome=False
    )
    assert console is not None
    app = console.app
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await ready(pilot)
            app.action_run_script()
            await until(pilot, lambda: isinstance(app.screen, ScriptDialog))
            await pilot.pause()
            dialog = app.screen
            options = dialog.scripts
            assert "tcp_echo" in options  # shipped scenarios are listed by name
            option_list = dialog.query_one(OptionList)
            option_list.highlighted = options.index("tcp_echo")
            option_list.focus()
            await pilot.press("enter")
            await until(
                pilot,
                lambda: any("script: all" in t and "passed" in t for t in log_texts(app)),
                timeout=30,
            )
            assert any(t.startswith("script 1/") for t in log_texts(app))
            assert app.state.sockets == {}  # the scenario closed what it opened
            # A broken script is refused with file:line, nothing sent.
            bad = tmp_path / "bad.qis"
            bad.write_text("AT\nexpect (unclosed\nAT+QIOPEN=0,9\n")
            before = len(tx_lines(app))
            app._script_chosen(str(bad))
            await pilot.pause()
            errors = log_texts(app, Category.ERROR)
            assert any(f"{bad}:2" in t for t in errors) and any(f"{bad}:3" in t for t in errors)
            assert len(tx_lines(app)) == before
    finally:
        console.close()
        registry.destroy(name)


def loaded_after(code: str, modules: list[str]) -> list[str]:
    """Which of ``modules`` (or their submodules) a fresh interpreter has loaded
    after running ``code``: a child process, so this process's imports do not count."""
    import ast
    import subprocess
    import sys

    script = (
        f"import sys\n{code}\n"
        f"names = {modules!r}\n"
        "print([m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in names)])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().startswith("["), done.stdout + done.stderr
    return list(ast.literal_eval(done.stdout.strip()))


def test_what_the_first_frame_does_not_need_loads_later() -> None:
    """Start-up stays lean (BENCHMARKS.md, startup): the macro and scenario code,
    the port list, the picker, dnspython and the profile writer (tomlkit) load on
    first use, and the simulated module, the playback and the demo peers only for a
    port that needs them; nothing loads ``secrets`` (hmac and hashlib with it)."""
    lazy = [
        "app.scenario", "app.config.macros", "serial.tools.list_ports",
        "widgets.dialogs.port_picker", "dns", "app.sim.registry", "app.sim.module",
        "app.playback", "app.demo.peers", "app.demo.wiring", "app.config.toml_write",
        "tomlkit", "secrets", "hmac",
    ]  # fmt: skip
    code = "import app.cli, app.console.launch, app.console.app"
    assert loaded_after(code, lazy) == []
