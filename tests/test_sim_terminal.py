"""Real terminal programs (picocom, tio from Debian; `make test` installs them)
talking to ``qiterm sim --pty``, and the pty surviving a client that goes and
comes back."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import termios
import time

import pytest
import serial

from tests.atclient import AtClient


def read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    got = b""
    deadline = time.monotonic() + timeout
    while needle not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen; got {got!r}")
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if ready:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
    return got


def wait_until_raw(fd: int, timeout: float) -> None:
    """Until the program on the other side of pty ``fd`` has put its terminal in raw
    mode (it is then reading keys one by one, its serial port open)."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ICANON:
        if time.monotonic() > deadline:
            raise AssertionError(f"the terminal program did not start within {timeout} s")
        select.select([], [], [], 0.02)


TERMINALS = {
    # argv, keys that quit
    "picocom": (["picocom", "-q", "-b", "115200"], b"\x01\x18"),  # C-a C-x
    "tio": (["tio", "-b", "115200", "--mute"], b"\x14q"),  # C-t q
}


@pytest.mark.parametrize("program", sorted(TERMINALS))
def test_a_terminal_program_talks_to_the_simulated_module(sim_pty: str, program: str) -> None:
    argv, quit_keys = TERMINALS[program]
    assert shutil.which(argv[0]), f"{argv[0]} is missing: run `make tools` (apt-get)"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*argv, sim_pty], stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    try:
        wait_until_raw(master, 10)
        # Raw mode comes a moment before some programs (tio) have their serial port
        # ready: a key typed in between is lost. AT until the module answers, then on.
        deadline = time.monotonic() + 10
        while True:
            os.write(master, b"AT\r")
            try:
                read_until(master, b"OK", 1)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
        os.write(master, b"ATI\r")
        out = read_until(master, b"OK", 10)
        assert b"Quectel_BC660K-GL" in out and b"Revision: BC660KGLAAR01A05" in out
        os.write(master, b"AT+QISTATE=?\r")
        out = read_until(master, b"+QISTATE: 1,(0-4)", 10)
        assert b"+QISTATE: 0,(0-10)" in out
        os.write(master, quit_keys)
        proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)


def test_the_pty_survives_a_client_that_leaves_and_comes_back(sim_pty: str) -> None:
    for _ in range(3):
        port = serial.Serial(sim_pty, 115200, timeout=0.1)
        try:
            at = AtClient(port)
            at.write(b"ATE0\r")
            at.expect("^OK$")
            assert at.lines("AT+CPIN?") == ["+CPIN: READY", "OK"]
        finally:
            port.close()


def test_the_tcp_server_serves_socket_clients_one_after_another() -> None:
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--tcp", "127.0.0.1:0", "--no-echo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("socket://127.0.0.1:")
        for _ in range(2):
            port = serial.serial_for_url(url, timeout=0.1)
            try:
                assert AtClient(port).lines("AT") == ["OK"]
            finally:
                port.close()
    finally:
        proc.terminate()
        proc.wait(5)
