"""Opening the port: errors that can heal are retried, the others are said once
(with Reconnect offered), a port another program holds is "port busy", and a port
that can never open is refused before anything starts."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from click.testing import CliRunner

from app.cli import main
from app.link.port import PortSettings, open_failure, open_port
from app.link.results import LinkState, LinkStatus
from app.link.worker import SerialWorker
from tests.fakeport import ScriptedPort
from tests.test_link import Collector

ROOT = Path(__file__).resolve().parent.parent


def enoent(url: str) -> serial.SerialException:
    return serial.SerialException(
        errno.ENOENT, f"could not open port {url}: [Errno 2] No such file or directory"
    )


@pytest.mark.parametrize(
    ("url", "exc", "was_open", "heals", "says"),
    [
        ("/dev/ttyUSB9", enoent("/dev/ttyUSB9"), False, False, "no such device"),
        ("/dev/ttyUSB9", enoent("/dev/ttyUSB9"), True, True, "gone (unplugged?)"),
        ("/dev/ttyS0", serial.SerialException(errno.EACCES, "denied"), False, False, "permission"),
        ("/dev/null", serial.SerialException(errno.ENOTTY, "ioctl"), False, False, "not a serial"),
        ("/dev/ttyUSB0", serial.SerialException(errno.EBUSY, "busy"), False, True, "port busy"),
        ("socket://127.0.0.1:9", serial.SerialException("refused"), False, True, "cannot open"),
        ("socket://127.0.0.1:9?x=1", ValueError("unknown option"), False, False, "cannot open"),
        ("nope://x", ValueError("protocol 'nope' not known"), False, False, "not known"),
    ],
)
def test_which_open_errors_are_retried(
    url: str, exc: BaseException, was_open: bool, heals: bool, says: str
) -> None:
    failure = open_failure(url, exc, was_open=was_open)
    assert failure.heals is heals
    assert says in failure.message


class Factory:
    """Fails the first opens with ``errors``, then opens ``port``; counts the calls."""

    def __init__(self, errors: list[BaseException], port: ScriptedPort) -> None:
        self.errors = errors
        self.port = port
        self.calls = 0
        self.cv = threading.Condition()

    def __call__(self, url: str, settings: PortSettings) -> ScriptedPort:
        with self.cv:
            self.calls += 1
            self.cv.notify_all()
        if self.errors:
            raise self.errors.pop(0)
        return self.port

    def wait_calls(self, n: int, timeout: float) -> bool:
        with self.cv:
            return self.cv.wait_for(lambda: self.calls >= n, timeout)


def test_no_such_device_is_said_once_not_retried_and_reconnect_tries_again() -> None:
    factory = Factory([enoent("/dev/ttyUSB9")], ScriptedPort({r"AT": b"\r\nOK\r\n"}))
    worker = SerialWorker("/dev/ttyUSB9", port_factory=factory, init=False, backoff=(0.05,))
    collector = Collector()
    worker.subscribe(collector)
    worker.start()
    try:
        down = collector.wait_for(
            lambda e: isinstance(e, LinkStatus) and e.state is LinkState.DISCONNECTED
        )
        assert isinstance(down, LinkStatus) and down.retry_at is None
        assert "cannot open /dev/ttyUSB9: no such device" in down.message
        assert "Reconnect" in down.message
        # With a 0.05 s back-off, a retry would come at once: none does.
        assert not factory.wait_calls(2, 1.0)
        refused = worker.submit("AT").result(2)
        assert "no such device" in refused.detail
        said = [e for e in collector.events if isinstance(e, LinkStatus) and "no such" in e.message]
        assert len(said) == 1
        worker.retry()
        assert worker.wait_connected(3)
        assert worker.submit("AT").result(3).ok
    finally:
        worker.close()


def test_a_device_that_was_open_and_went_missing_is_retried_until_it_comes_back() -> None:
    first = ScriptedPort({r"AT": b"\r\nOK\r\n"})
    factory = Factory([], first)
    worker = SerialWorker("/dev/ttyUSB9", port_factory=factory, init=False, backoff=(0.05,))
    worker.start()
    try:
        assert worker.wait_connected(3)
        factory.errors = [enoent("/dev/ttyUSB9"), enoent("/dev/ttyUSB9")]
        factory.port = ScriptedPort({r"AT": b"\r\nOK\r\n"})
        first.vanish()
        assert factory.wait_calls(4, 5)  # the first open, two that failed, the one that works
        assert worker.wait_connected(3)
    finally:
        worker.close()


@pytest.fixture
def pty_path() -> Iterator[str]:
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


@pytest.mark.skipif(os.name != "posix", reason="exclusive opens are POSIX (flock)")
def test_a_port_another_program_holds_is_port_busy(pty_path: str) -> None:
    holder = open_port(pty_path, PortSettings())
    try:
        with pytest.raises(serial.SerialException) as caught:
            open_port(pty_path, PortSettings())
        failure = open_failure(pty_path, caught.value, was_open=False)
        assert failure.heals and failure.message.startswith("port busy")
        worker = SerialWorker(pty_path, init=False, backoff=(0.1,))
        collector = Collector()
        worker.subscribe(collector)
        worker.start()
        try:
            busy = collector.wait_for(
                lambda e: isinstance(e, LinkStatus) and e.message.startswith("port busy")
            )
            assert isinstance(busy, LinkStatus) and busy.retry_at is not None
            holder.close()  # the other program lets go: the retry gets it
            assert worker.wait_connected(5)
        finally:
            worker.close()
    finally:
        holder.close()


@pytest.mark.parametrize(
    ("port", "says"),
    [("", "the port is empty"), ("  ", "the port is empty"), ("sim://?bogus=1", "bogus")],
)
def test_a_port_that_can_never_open_is_refused_before_anything_starts(
    port: str, says: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["-p", port, "--log", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert not (tmp_path / "c.jsonl").exists()
    script = ROOT / "assets" / "scenarios" / "tcp_echo.qis"
    result = runner.invoke(main, ["run", str(script), "-p", port])
    assert result.exit_code == 2, result.output
    assert says in result.output
