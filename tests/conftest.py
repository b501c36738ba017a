"""Shared fixtures: loopback peers, the simulated module over sim:// and over a pty.

Every server a test talks to runs on 127.0.0.1 and is started here (ARCHITECTURE.md:
tests start their own echo / NTP / DNS servers).
"""

from __future__ import annotations

import os

# Before anything else: no simulated module of the test run (in this process or in a
# `qiterm sim` child, which inherits the environment) may reach off this machine,
# whatever a test types (app/sim/guard.py).
os.environ["QITERM_SIM_LOOPBACK_ONLY"] = "1"

import atexit
import itertools
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import serial

import app.sim  # noqa: F401  (registers sim://)
from app.demo.peers import DEFAULT_ZONE, Peers
from app.sim import registry
from app.sim.module import Module
from tests.atclient import AtClient

#: The spec's example host names (chapter 4), served by the loopback DNS peer.
SPEC_ZONE = {
    **DEFAULT_ZONE,
    "iot.quectel.com": "127.0.0.1",
    "ntp5.aliyun.com": "127.0.0.1",
    "www.baidu.com": "127.0.0.1",
}

# Profiles, recent ports, the welcome marker and default captures go to a private
# folder per test process, never the home directory of whoever runs the suite.
_HOME = tempfile.mkdtemp(prefix="qiterm-test-home-")
for _var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
    os.environ[_var] = os.path.join(_HOME, _var.lower())
atexit.register(shutil.rmtree, _HOME, True)

_names = itertools.count(1)


@pytest.fixture
def peers() -> Iterator[Peers]:
    with Peers(zone=SPEC_ZONE, dns_ttl=0) as p:
        yield p


def sim_url(peers: Peers | None = None, **options: Any) -> tuple[str, str]:
    """A unique named ``sim://`` URL (name, url) wired to the peers' DNS and NTP."""
    name = f"t{os.getpid()}-{next(_names)}"
    opts = dict(options)
    if peers is not None:
        assert peers.dns is not None and peers.ntp is not None
        opts.setdefault("dns", f"{peers.dns[0]}:{peers.dns[1]}")
        opts.setdefault("dns_port", str(peers.dns[1]))
        opts.setdefault("ntp_port", str(peers.ntp[1]))
    query = "&".join(f"{k}={v}" for k, v in opts.items())
    return name, f"sim://{name}" + (f"?{query}" if query else "")


@pytest.fixture
def sim(peers: Peers) -> Iterator[tuple[AtClient, Module]]:
    """An AT client on a fresh simulated module (echo off), and the module itself."""
    name, url = sim_url(peers, echo=0)
    port = serial.serial_for_url(url, timeout=0.1)
    try:
        yield AtClient(port), registry.get(name)
    finally:
        port.close()
        registry.destroy(name)


@pytest.fixture
def sim_pty(peers: Peers) -> Iterator[str]:
    """``qiterm sim --pty`` in a child process; yields the device path."""
    assert peers.dns is not None and peers.ntp is not None
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "sim",
            "--pty",
            "--dns",
            f"{peers.dns[0]}:{peers.dns[1]}",
            "--dns-port",
            str(peers.dns[1]),
            "--ntp-port",
            str(peers.ntp[1]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), f"qiterm sim --pty printed {path!r}"
        yield path
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def sim_tcp() -> Iterator[str]:
    """``qiterm sim --tcp 127.0.0.1:0`` in a child process; yields its socket:// URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "--tcp", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("socket://"), f"qiterm sim --tcp printed {url!r}"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
