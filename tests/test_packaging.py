"""What users install: every package in the wheel, the entry points a user can
discover, imports that work where POSIX is missing (Windows), and a port without a
file descriptor (a Windows COM port) read without busy-waiting. The wheel itself is
built, installed in a clean venv and run from outside the tree by .ci/wheel_check.py
(``make test`` runs it)."""

from __future__ import annotations

import subprocess
import sys
import threading
import tomllib
from pathlib import Path

from app.link.worker import SerialWorker
from app.protocol import commands as c
from tests.fakeport import PortFactory, ScriptedPort

ROOT = Path(__file__).resolve().parent.parent


def qiterm(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("app", "widgets")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
    assert "app.assets" in listed
    assert config["tool"]["setuptools"]["package-dir"]["app.assets"] == "assets"


def test_version_and_help_list_every_subcommand() -> None:
    from app import __version__

    version = qiterm("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"qiterm {__version__}"
    shown = qiterm("--help")
    assert shown.returncode == 0, shown.stderr
    commands = shown.stdout.split("Commands:")[1]
    for name in ("console", "run", "sim", "export", "view"):
        lines = [ln for ln in commands.splitlines() if ln.strip().startswith(name + " ")]
        assert len(lines) == 1, (name, commands)
    # The console's own options are in the same help.
    assert "Console options" in shown.stdout and "--port" in shown.stdout


def test_run_lists_and_runs_a_shipped_scenario_by_name(tmp_path: Path) -> None:
    listed = qiterm("run", "--list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()][:-1]
    assert names == ["health_check", "tcp_echo", "tcp_listener", "udp_service"]
    assert all(len(line.split()) > 1 for line in listed.stdout.splitlines()[:-1])
    ran = qiterm("run", "tcp_echo", "--log", str(tmp_path / "run.jsonl"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "passed" in ran.stdout
    missing = qiterm("run", "no_such_thing")
    assert missing.returncode == 2
    assert "no shipped scenario of that name" in missing.stderr


def test_a_file_of_the_name_wins_over_a_shipped_scenario(tmp_path: Path) -> None:
    script = tmp_path / "tcp_echo"
    script.write_text("note mine, not the shipped one\nAT\n")
    ran = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", "tcp_echo", "--log", str(tmp_path / "r.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), **_env()},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 steps passed" in ran.stdout


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


#: What a Windows Python lacks, hidden before the project is imported.
HIDE_POSIX = r"""
import importlib, importlib.abc, os, pkgutil, select, sys
# Third-party packages pick their own platform code; load them before hiding anything.
import click, dns.name, msgspec, platformdirs, rich, serial, textual, textual.app, tomlkit
POSIX_ONLY = {"pty", "tty", "termios", "fcntl", "resource", "grp", "pwd", "posix"}
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in POSIX_ONLY:
            raise ImportError(f"{name} is POSIX-only (hidden: this Python plays Windows)")
        return None
sys.meta_path.insert(0, Hide())
for name in list(sys.modules):
    if name.split(".")[0] in POSIX_ONLY:
        del sys.modules[name]
for attr in [a for a in dir(select) if a == "poll" or a.startswith(("POLL", "EPOLL"))] + ["epoll"]:
    if hasattr(select, attr):
        delattr(select, attr)
for attr in ("openpty", "ttyname", "forkpty", "getuid", "setsid"):
    if hasattr(os, attr):
        delattr(os, attr)
imported = 0
for top in ("app", "widgets"):
    package = importlib.import_module(top)
    for module in pkgutil.walk_packages(package.__path__, top + "."):
        importlib.import_module(module.name)
        imported += 1
print(imported)
"""


def test_every_module_imports_without_posix_only_parts() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HIDE_POSIX], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.strip()) > 80  # every module of the project was imported


def test_sim_pty_explains_itself_where_there_is_no_pty() -> None:
    code = (
        "import os, sys\n"
        "del os.openpty\n"
        "from app.cli import main\n"
        "sys.argv = ['qiterm', 'sim', '--pty']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 2
    assert "POSIX pseudo-terminal" in done.stderr and "qiterm sim --tcp" in done.stderr


class CountingPort(ScriptedPort):
    """A port with no file descriptor (as a Windows COM port is to select()):
    counts the worker's reads."""

    def __init__(self) -> None:
        super().__init__({r"AT": b"\r\nOK\r\n"})
        self.reads = 0

    def read(self, size: int = 1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_a_port_without_fileno_is_read_without_busy_waiting() -> None:
    port = CountingPort()
    assert not hasattr(port, "fileno")
    worker = SerialWorker("fake://", port_factory=PortFactory(lambda: port), init=False)
    worker.start()
    try:
        assert worker.wait_connected(5)
        assert worker.submit(c.at()).result(5).ok
        before = port.reads
        # An idle link for half a second: each read waits for the port's timeout
        # (50 ms), so about ten reads; a busy loop would make thousands.
        threading.Event().wait(0.5)
        idle_reads = port.reads - before
        assert 0 < idle_reads <= 40, idle_reads
        # And it still answers at once when a command goes out (the wait is cut short).
        assert worker.submit(c.at()).result(5).ok
    finally:
        worker.close()


def test_sim_peers_for_third_party_terminals() -> None:
    """``qiterm sim --pty --peers``: the device path first on stdout, the demo peers on
    stderr, and the simulated network's DNS answers their names."""
    import serial

    from tests.atclient import AtClient

    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--pty", "--peers", "--no-echo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), path
        peers = [proc.stderr.readline() for _ in range(4)]
        assert all(line.startswith("demo peer: ") for line in peers), peers
        assert "echo.qiterm.local = 127.0.0.1:" in peers[0]
        with serial.Serial(path, timeout=0.2) as port:
            client = AtClient(port)
            client.ok('AT+QIDNSGIP=0,"echo.qiterm.local"')
            found = client.expect(r'\+QIDNSGIP: "?127\.0\.0\.1', timeout=10)
            assert found, "the name of the echo peer resolved through the simulated network"
    finally:
        proc.terminate()
        proc.wait(10)
