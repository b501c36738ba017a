"""rfc2217:// end to end: a small RFC 2217 server (pyserial's PortManager) bridges a
loopback TCP client to the simulator on a pty (``qiterm sim --pty``); qiterm opens
it with ``-p rfc2217://127.0.0.1:PORT``, plays a scenario and changes the baud
rate through it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import serial
import serial.rfc2217
from rich.console import Console

from app.capture.reader import read_capture
from app.link.results import LinkState
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.session.run import run_main


class PtyPort(serial.Serial):
    """A pty has no modem lines: their ioctls fail with ENOTTY. Read them as off and
    ignore setting them, as a USB adapter without the pins would."""

    def _lines(self, name: str) -> bool:
        try:
            return bool(getattr(serial.Serial, name).fget(self))
        except OSError:
            return False

    @property
    def cts(self) -> bool:
        return self._lines("cts")

    @property
    def dsr(self) -> bool:
        return self._lines("dsr")

    @property
    def ri(self) -> bool:
        return self._lines("ri")

    @property
    def cd(self) -> bool:
        return self._lines("cd")

    def _update_dtr_state(self) -> None:
        try:
            super()._update_dtr_state()
        except OSError:
            pass

    def _update_rts_state(self) -> None:
        try:
            super()._update_rts_state()
        except OSError:
            pass


@dataclass
class Rfc2217Bridge:
    """One client at a time: TCP on 127.0.0.1 <-> the serial port, with the RFC 2217
    options (baud rate, lines) applied to the port by PortManager."""

    device: str
    port: serial.Serial = field(init=False)
    address: tuple[str, int] = field(init=False)
    baudrates: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = PtyPort(self.device, timeout=0.05)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = self._server.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"rfc2217://{self.address[0]}:{self.address[1]}"

    def _serve(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                self._bridge(conn)

    def _bridge(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)

        class Wire:
            def write(self, data: bytes) -> None:
                conn.sendall(data)

        manager = serial.rfc2217.PortManager(self.port, Wire())
        done = threading.Event()

        def serial_to_tcp() -> None:
            while not done.is_set() and not self._stop.is_set():
                try:
                    data = self.port.read(self.port.in_waiting or 1)
                    if data:
                        conn.sendall(b"".join(manager.escape(data)))
                except (OSError, serial.SerialException):
                    break

        pump = threading.Thread(target=serial_to_tcp, daemon=True)
        pump.start()
        try:
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                before = self.port.baudrate
                self.port.write(b"".join(manager.filter(data)))
                if self.port.baudrate != before:
                    self.baudrates.append(self.port.baudrate)
        finally:
            done.set()
            pump.join(2)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(3)
        self._server.close()
        self.port.close()


@pytest.fixture
def bridge(sim_pty: str) -> Iterator[Rfc2217Bridge]:
    served = Rfc2217Bridge(sim_pty)
    yield served
    served.close()


SCRIPT = """\
note over RFC 2217
AT
ATI
expect ^Revision: 5
AT+CEREG?
expect ^\\+CEREG: \\d,[15]\\b 5
AT+QISTATE?
"""


def test_a_scenario_runs_over_rfc2217(bridge: Rfc2217Bridge, tmp_path: Path) -> None:
    script = tmp_path / "over.qis"
    script.write_text(SCRIPT)
    log = tmp_path / "over.jsonl"
    out = Console(record=True, width=120)
    err = Console(record=True, width=120, stderr=True)
    code = run_main(str(script), bridge.url, str(log), [], out=out, err=err)
    assert code == 0, out.export_text() + err.export_text()
    records = read_capture(log).records
    assert any("BC660KGLAAR01A05" in r.get("d", "") for r in records if r["type"] == "rx")


def test_the_console_link_opens_rfc2217_and_the_baud_rate_goes_through(
    bridge: Rfc2217Bridge,
) -> None:
    worker = SerialWorker(bridge.url, backoff=(0.2,))
    worker.start()
    try:
        assert worker.wait_connected(15), worker.status.message
        assert worker.state is LinkState.CONNECTED
        assert worker.submit(c.at()).result(5).ok
        worker.set_baudrate(9600).result(5)
        assert worker.submit(c.at()).result(5).ok
        assert 9600 in bridge.baudrates and bridge.port.baudrate == 9600
    finally:
        worker.close()


def test_raw_bytes_and_serial_settings_go_through_rfc2217(bridge: Rfc2217Bridge) -> None:
    """The framing and flow control reach the server as RFC 2217 options, and raw
    bytes go through as any: what answers them is unsolicited."""
    from app.link.port import PortSettings
    from app.link.results import Role, Rx, Tx, TxKind

    seen: list[object] = []
    worker = SerialWorker(bridge.url, backoff=(0.2,))
    worker.subscribe(seen.extend)
    worker.start()
    try:
        assert worker.wait_connected(15), worker.status.message
        assert worker.wait_idle(10)
        worker.set_serial(PortSettings(9600, stopbits=2.0, xonxoff=True)).result(5)
        assert worker.status.serial_text == "9600 8N2 XON/XOFF"
        assert worker.send_raw(b"AT+CGMR\r").result(10).sent
        assert worker.submit(c.at()).result(5).ok
        assert worker.wait_idle(5)
    finally:
        worker.close()
    assert bridge.port.baudrate == 9600 and bridge.port.stopbits == 2 and bridge.port.xonxoff
    raw = [e for e in seen if isinstance(e, Tx) and e.what is TxKind.RAW]
    assert [e.data for e in raw] == [b"AT+CGMR\r"]
    after = seen[seen.index(raw[0]) :]
    revision = [e for e in after if isinstance(e, Rx) and b"Revision" in e.event.raw]
    assert revision and revision[0].role is Role.URC
