"""Check what users install, not the source tree: build the wheel, install it into a
throwaway venv, and from a folder outside the checkout run

    qiterm --version
    qiterm run --list
    qiterm run tcp_echo             (a shipped scenario, on the built-in simulator)
    qiterm --no-welcome --log ...   (the console, in a pseudo-terminal, until its
                                     first screen shows it connected; then Ctrl+Q)

Every step prints what it ran; the first failure ends the check with exit code 1.
Network traffic stays on loopback: the simulator's guard is on for the whole check.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: How long the console may take to show "connected" in its first screen.
CONSOLE_TIMEOUT = 60.0


def fail(message: str) -> None:
    print(f"wheel check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    print("wheel check: $", " ".join(args), flush=True)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        fail(f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def console_on_a_pty(qiterm: str, cwd: Path, env: dict[str, str], log: Path) -> None:
    """Start the console in a pty, wait for its first screen to say it is
    connected, quit with Ctrl+Q, and check the capture it left."""
    import fcntl
    import pty
    import struct
    import termios

    args = [qiterm, "--no-welcome", "--log", str(log)]
    print("wheel check: $", " ".join(args), "(in a 120x36 pty, then Ctrl+Q)", flush=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env={**env, "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + CONSOLE_TIMEOUT
    try:
        while b"connected" not in seen:
            if proc.poll() is not None:
                fail(f"the console exited ({proc.returncode}) before its first screen")
            if time.monotonic() > deadline:
                fail(f"no 'connected' on the console's screen within {CONSOLE_TIMEOUT:.0f} s")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        os.write(master, b"\x11")  # Ctrl+Q
        # Keep reading what it writes (a full pty would block it) until it exits.
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break  # the console closed the terminal: it is on its way out
        try:
            code = proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            fail("the console did not quit on Ctrl+Q within 30 s")
        if code != 0:
            fail(f"the console exited {code} after Ctrl+Q")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    states = [r.get("state") for r in records if r.get("type") == "link"]
    if "connected" not in states or states[-1] != "closed":
        fail(f"the console's capture does not show connect and close: {states}")
    print(f"wheel check: the console connected and quit cleanly ({len(records)} records)")


def main() -> int:
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="qiterm-wheel-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "QITERM_SIM_LOOPBACK_ONLY": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
            env[var] = str(work / var.lower())
        env.pop("PYTHONPATH", None)
        run(
            [python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)], work, env
        )
        wheels = sorted(work.glob("qiterm-*.whl"))
        if not wheels:
            fail("no wheel was built")
        run([python, "-m", "venv", str(work / "venv")], work, env)
        bin_dir = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
        run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheels[0])], work, env)
        qiterm = shutil.which("qiterm", path=str(bin_dir))
        if qiterm is None:
            fail("the wheel installed no qiterm command")
        outside = work / "elsewhere"
        outside.mkdir()
        version = run([qiterm, "--version"], outside, env).strip()
        if not version.startswith("qiterm "):
            fail(f"qiterm --version printed {version!r}")
        listed = run([qiterm, "run", "--list"], outside, env)
        if "tcp_echo" not in listed:
            fail(f"qiterm run --list does not list tcp_echo:\n{listed}")
        ran = run([qiterm, "run", "tcp_echo", "--log", str(work / "run.jsonl")], outside, env)
        if "passed" not in ran:
            fail(f"qiterm run tcp_echo did not pass:\n{ran}")
        if os.name == "posix":
            console_on_a_pty(qiterm, outside, env, work / "console.jsonl")
        print(f"wheel check: {wheels[0].name} works from outside the source tree ({version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
