"""The Module pane's automatic requests: what is read, and when.

A short list of read commands (AT Commands Manual V1.4) goes out once the link is
in step with the module and then every :attr:`ModuleReads.interval` seconds, with
the tag ``module`` (the log hides it with the polling; a report folds it). At
connect the identity is read too. Only reads: nothing here changes the module's
settings (:data:`URC_WRITES`, which does, is sent only when a person asks).

The policy is pure (the time is given); :class:`~app.session.session.Session`
calls :meth:`ModuleReads.take` from its ``tick``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from app.protocol import commands as c
from app.protocol.commands import AtCommand

#: The tag of the automatic reads (and of "read now").
TAG = "module"
#: Seconds between automatic reads on the built-in simulator (0 on a real port:
#: a real module is read only when a person asks, or sets an interval).
SIM_INTERVAL = 30.0
#: What the pane offers (seconds; 0 is off).
INTERVAL_CHOICES = (0.0, 10.0, 30.0, 60.0, 300.0, 900.0)
#: A read never waits longer than this for its answer (AT+COPS's 305 s and
#: AT+CGATT's 70 s are for their write forms, §7.2, §4.3).
READ_TIMEOUT = 15.0

_STATUS: tuple[Callable[[], AtCommand], ...] = (
    c.cereg_read,  # §4.1 registration (and, with n=4/5, the PSM timers granted)
    c.cgatt_read,  # §4.3 packet attach
    c.cops_read,  # §7.2 operator
    c.cgdcont_read,  # §5.4 PDP contexts
    c.cgpaddr,  # §4.4 addresses
    c.cscon_read,  # §4.6 RRC
    c.qeng,  # §4.8 serving cell (AT+QENG=0)
    c.cesq,  # §4.2
    c.csq,  # §4.7
    c.cpsms_read,  # §9.4 PSM requested
    c.cedrxs_read,  # §9.1 eDRX requested
    c.cedrxrdp,  # §9.2 eDRX in use
)
_IDENTITY: tuple[Callable[[], AtCommand], ...] = (
    c.cgsn,  # §2.5 IMEI (AT+CGSN=1); model and firmware come from ATI at connect
    c.cimi,  # §8.4 IMSI
    c.qccid,  # §8.11 ICCID
    c.cfun_read,  # §9.3
    c.qnbiotevent_read,  # §9.8 whether PSM events are reported
)


def _read(make: Callable[[], AtCommand]) -> AtCommand:
    cmd = make()
    return dataclasses.replace(cmd, timeout=min(cmd.timeout, READ_TIMEOUT))


def status_reads() -> list[AtCommand]:
    """Registration, attach, operator, PDP, RRC, serving cell, signal, PSM, eDRX."""
    return [_read(make) for make in _STATUS]


def identity_reads() -> list[AtCommand]:
    """IMEI, IMSI, ICCID, functionality level, PSM event reporting."""
    return [_read(make) for make in _IDENTITY]


def urc_writes() -> list[AtCommand]:
    """The URCs that keep the pane current between reads: registration with
    location, cause and PSM timers (AT+CEREG=5, §4.1), RRC (AT+CSCON=1, §4.6),
    PSM entry and exit (AT+QNBIOTEVENT=1,1, §9.8). Each is saved to NVRAM."""
    return [c.cereg(5), c.cscon(1), c.qnbiotevent(True)]


def interval_label(seconds: float) -> str:
    if seconds <= 0:
        return "off"
    if seconds < 60:
        return f"every {seconds:g} s"
    if seconds % 60 == 0:
        return f"every {seconds / 60:g} min"
    return f"every {seconds:g} s"


class ModuleReads:
    """When the automatic reads are due. ``interval`` 0: never by themselves."""

    def __init__(self, interval: float) -> None:
        self.interval = max(0.0, interval)
        #: The link came up (or the port changed): read everything, identity too.
        self.at_connect = True
        self._last: float | None = None

    @property
    def on(self) -> bool:
        return self.interval > 0

    def connected(self) -> None:
        """The link is (again) in step with the module: read it all at the next chance."""
        self.at_connect = True

    def set_interval(self, seconds: float) -> None:
        """A new period (0: off); turned on or changed, the next read is at once."""
        self.interval = max(0.0, seconds)
        self._last = None

    def due_in(self, now: float) -> float | None:
        """Seconds from ``now`` until :meth:`take` has reads to give (0: now), or
        None when it never will by itself (off), so the view's clock can sleep."""
        if not self.on:
            return None
        if self.at_connect or self._last is None:
            return 0.0
        return max(0.0, self._last + self.interval - now)

    def take(self, now: float) -> list[AtCommand]:
        """The reads due at ``now`` (monotonic seconds), or none; called only when
        the line is idle."""
        if not self.on:
            return []
        if self.at_connect:
            self.at_connect = False
            self._last = now
            return status_reads() + identity_reads()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            return status_reads()
        return []


__all__ = [
    "INTERVAL_CHOICES",
    "READ_TIMEOUT",
    "SIM_INTERVAL",
    "TAG",
    "ModuleReads",
    "identity_reads",
    "interval_label",
    "status_reads",
    "urc_writes",
]
