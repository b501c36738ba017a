"""What the socket and service layers need from the simulated module.

:mod:`app.sim.sockets` and :mod:`app.sim.services` talk to the module through
:class:`ModuleHost`, a structural type that :class:`app.sim.module.Module`
satisfies, so neither layer imports the module (and the module imports them
normally). The few things both sides share live here too: the response framing
and the data-mode context.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from app.sim.config import DnsServer, SimConfig
from app.sim.guard import Guard
from app.sim.profiles import Profile


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
