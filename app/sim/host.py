"""What the command layers need from the simulated module.

:mod:`app.sim.sockets` and :mod:`app.sim.services` talk to the module through
:class:`ModuleHost`, a structural type that :class:`app.sim.module.Module`
satisfies, so neither layer imports the module (and the module imports them
normally). The general commands (:mod:`app.sim.general`) and the cellular side
(:mod:`app.sim.cellular`) need a little more of the module's core: they see it
as a :class:`ModuleCore`. The few things every side shares live here too: the
response framing, the data-mode context, the handler type and the +CME ERROR
codes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from app.protocol.catalog import Value
from app.protocol.syntax import CommandLine
from app.sim.config import DnsServer, SimConfig
from app.sim.guard import Guard
from app.sim.profiles import Profile
from app.sim.radio import Cell, Nvram, Signal

#: A command handler: the parsed command and its values, checked against the catalog.
Handler = Callable[[CommandLine, dict[str, Value]], None]

# AT manual Table 5 (chapter 15): the +CME ERROR codes the simulator uses, worded as there.
CME_NOT_ALLOWED = 3
CME_NOT_SUPPORTED = 4
CME_SIM_PIN_REQUIRED = 11
CME_INCORRECT_PASSWORD = 16
CME_NO_NETWORK = 30
CME_INCORRECT_PARAMETERS = 50
CME_TEXT = {
    CME_NOT_ALLOWED: "Operation not allowed",
    CME_NOT_SUPPORTED: "Operation not supported",
    10: "USIM not inserted",
    CME_SIM_PIN_REQUIRED: "USIM PIN required",
    12: "USIM PUK required",
    CME_INCORRECT_PASSWORD: "Incorrect password",
    CME_NO_NETWORK: "No network service",
    CME_INCORRECT_PARAMETERS: "Incorrect Parameters",
    100: "Unknown",
}


def line(text: str | bytes) -> bytes:
    """One response line framed as the note's §2.1.2 says: ``<CR><LF><response><CR><LF>``."""
    data = text.encode("latin-1") if isinstance(text, str) else text
    return b"\r\n" + data + b"\r\n"


@dataclass
class DataModeContext:
    """What a ``>`` prompt is collecting input for (§2.3.4)."""

    connect_id: int
    #: Wire characters to collect in fixed-length mode (hex: 2 per byte); None = variable.
    fixed: int | None
    hex_mode: bool
    remote: tuple[str, int] | None
    buffer: bytearray


class ModuleHost(Protocol):
    """The module as the socket and service layers see it (all on the loop thread)."""

    config: SimConfig
    profile: Profile
    rng: random.Random
    loop: asyncio.AbstractEventLoop
    guard: Guard
    #: AT+QIDNSCFG's servers (empty: the ones the network issued).
    user_dns: list[str]
    #: Seconds added to the host clock (AT+QNTP auto_set_time, AT+CCLK=).
    clock_offset: float
    #: A result code the next AT+QIOPEN reports instead of opening (fault injection).
    fail_next_qiopen: int | None

    @property
    def registered(self) -> bool: ...

    @property
    def ip(self) -> str: ...

    # §2.3.9 AT+QICFG, kept in the module's NVRAM.
    @property
    def send_hex(self) -> bool: ...

    @property
    def recv_hex(self) -> bool: ...

    @property
    def show_ra(self) -> bool: ...

    def dns_servers(self) -> list[DnsServer]: ...

    def ok(self, *lines: str | bytes) -> None: ...

    def error(self, code: int | None = None) -> None: ...

    def answer(self, data: bytes) -> None: ...

    def urc(self, text: str | bytes, *, paged: bool = True) -> None: ...

    def urc_raw(self, data: bytes, *, paged: bool = True) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None: ...

    async def pause(self, span: tuple[float, float]) -> None: ...

    def enter_data_mode(self, ctx: DataModeContext) -> None: ...

    def network_activity(self, uplink: bool = True) -> None:
        """Radio traffic happens now (an open, a send, data received, a ping...):
        the RRC connection comes up and, for uplink traffic, PSM ends (AT manual
        §4.6, §9.4)."""


class ModuleCore(ModuleHost, Protocol):
    """The module's core as its command halves see it: NVRAM, the radio environment,
    the UART's state, named timers and the few core actions they trigger."""

    nv: Nvram
    cell: Cell
    signal: Signal
    #: The USIM's PIN was entered (or none is set).
    pin_ok: bool
    #: The module clock's time zone in quarters of an hour (AT+CCLK).
    tz: int
    #: Powered off (:meth:`app.sim.module.Module.close`).
    closed: bool
    data_mode: DataModeContext | None

    @property
    def echo(self) -> bool: ...

    @property
    def cmee(self) -> int: ...

    def now(self) -> float: ...

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` once the current command line is answered; a reboot cancels it."""

    def after_answers(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every answer queued so far is out."""

    def start_timer(self, name: str, delay: float, fn: Callable[[], None]) -> None: ...

    def cancel_timer(self, name: str) -> None: ...

    def timer_fired(self, name: str) -> None:
        """Forget the named timer whose callback runs now."""

    def timer_armed(self, name: str) -> bool: ...

    def power_urc(self, text: str) -> None:
        """A power-saving event URC: printed now, even on the way into PSM."""

    def uart_busy(self) -> bool:
        """Input or output is under way (data mode, a command line, answers due)."""

    def restart(self) -> None:
        """Reboot now (AT+QRST=1, AT+CFUN=<fun>,1)."""
