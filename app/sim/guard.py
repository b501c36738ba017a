"""The loopback guard: a simulated module that never reaches off this machine.

Turned on by the ``guard=loopback`` option of a ``sim://`` URL, by
``qiterm sim --loopback-only``, or for every simulated module of a process by
the environment variable ``QITERM_SIM_LOOPBACK_ONLY=1`` (the test suite sets
it). While it is on, every destination outside 127.0.0.0/8 and ::1 is refused
before any packet leaves: AT+QIOPEN (clients, and the local address of a
LISTENER / UDP SERVICE), AT+QISEND to a UDP SERVICE remote, AT+QPING, AT+QNTP
and the DNS servers the module would ask. Without it the simulator does real
networking to any address, as a module would.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

ENV_VAR = "QITERM_SIM_LOOPBACK_ONLY"
GUARD_LOOPBACK = "loopback"


def env_loopback_only() -> bool:
    """True when the environment asks every simulated module to stay on loopback."""
    return os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on")


def is_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1 (an IPv4-mapped loopback counts); a name is not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass(frozen=True)
class Guard:
    """Which destinations the module may contact."""

    loopback_only: bool = False

    def allows(self, address: str) -> bool:
        return not self.loopback_only or is_loopback(address)

    @classmethod
    def for_config(cls, option: str | None) -> Guard:
        """The guard for a module: on when its option or the environment says so."""
        return cls(loopback_only=option == GUARD_LOOPBACK or env_loopback_only())
