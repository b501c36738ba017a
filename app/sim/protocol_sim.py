"""pyserial URL handler for ``sim://``: the simulated module as a serial port.

``serial.serial_for_url("sim://?profile=nbiot&echo=1")`` works once ``app.sim``
is imported (it adds itself to ``serial.protocol_handler_packages``). Options:
see :mod:`app.sim.config`.
"""

from __future__ import annotations

import time
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, to_bytes

from app.sim import registry
from app.sim.config import SimConfigError, parse_url
from app.sim.device import Device
from app.sim.output import BufferSink


class Serial(SerialBase):  # type: ignore[misc]
    """A serial port wired to a simulated BC660K-GL (in this process)."""

    is_open: bool
    #: ``cancel_read`` ends the read waiting now or, when none is, the next one (the
    #: sink's flag stays set until a read sees it): the serial worker can then block
    #: in ``read`` for as long as it likes and still be woken at once for a command
    #: (app.link.waiter), instead of polling with a short timeout.
    sticky_cancel_read = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.module: Device | None = None
        self._sink: BufferSink | None = None
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        try:
            config = parse_url(self._port)
            module, _created = registry.acquire(config)
        except SimConfigError as exc:
            raise SerialException(f"could not open port {self._port}: {exc}") from None
        if module.absent_until > time.monotonic():
            raise SerialException(f"could not open port {self._port}: device not present")
        self.module = module
        self._sink = BufferSink()
        module.attach(self._sink)
        self.is_open = True

    def close(self) -> None:
        if self.is_open and self.module is not None:
            self.module.detach(self._sink)
            registry.release(self.module)
        self.is_open = False
        self.module = None

    def _reconfigure_port(self) -> None:
        """Nothing to configure: no line rate is simulated."""

    def _update_dtr_state(self) -> None:
        """DTR is recorded by SerialBase; the simulated board does not wire it."""

    def _update_rts_state(self) -> None:
        """RTS is recorded by SerialBase; the simulated board does not wire it."""

    def _update_break_state(self) -> None:
        """Break is accepted and ignored by the simulated module."""

    def _live_sink(self) -> BufferSink:
        if not self.is_open or self._sink is None:
            raise PortNotOpenError()
        return self._sink

    @property
    def in_waiting(self) -> int:
        sink = self._live_sink()
        if sink.broken is not None and not sink.waiting:
            raise SerialException(sink.broken)
        return sink.waiting

    def read(self, size: int = 1) -> bytes:
        sink = self._live_sink()
        try:
            return sink.read(size, self._timeout)
        except ConnectionError as exc:
            raise SerialException(str(exc)) from None

    def cancel_read(self) -> None:
        if self._sink is not None:
            self._sink.cancel_read()

    def write(self, data: Any) -> int:
        sink = self._live_sink()
        if sink.broken is not None:
            raise SerialException(f"write failed: {sink.broken}")
        payload = to_bytes(data)
        assert self.module is not None
        self.module.feed(payload)
        return len(payload)

    def reset_input_buffer(self) -> None:
        self._live_sink().clear()

    def reset_output_buffer(self) -> None:
        """Writes reach the module at once; there is no output buffer to drop."""

    @property
    def out_waiting(self) -> int:
        return 0

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
