"""Impairment profiles: how slow and lossy the simulated network feels.

``none`` is for tests: no added delay, boot and registration at once.
``nbiot`` is for demos: command latency and deferred results of hundreds of
milliseconds, and URCs held back by paging delays (spec §2.4 note 2: in
DRX/eDRX "there will be a delay in URC reporting ... depends on the paging
cycle").
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    #: Delay before a command's answer, seconds (min, max).
    command_latency: tuple[float, float] = (0.0, 0.0)
    #: Delay before +QIOPEN:, +QNTP:, +QIDNSGIP: results (added to the real work).
    deferred_latency: tuple[float, float] = (0.0, 0.0)
    #: Delay before a +QIURC: URC is printed (paging).
    urc_latency: tuple[float, float] = (0.0, 0.0)
    #: Added to each measured ping round trip, seconds.
    rtt_extra: tuple[float, float] = (0.0, 0.0)
    #: Boot: RDY after this, then registration (+IP:) after ``register_delay``.
    boot_delay: float = 0.0
    register_delay: float = 0.0
    #: Serving-cell signal (AT+CSQ, AT+CESQ, AT+QENG=0): RSRP dBm, RSRQ dB, SINR dB.
    #: The RSSI is taken as RSRP + 8 dB, as the AT manual's QENG example has it
    #: (RSRP -72, RSSI -64), which reads as +CSQ: 24.
    rsrp: int = -72
    rsrq: int = -8
    sinr: int = 14
    #: Seconds without traffic before the network releases the RRC connection
    #: (+CSCON: 0); the BC660K's inactivity timer defaults to 60 s (AT manual
    #: §11.1.2 "DataInactTimer"), networks often release sooner.
    rrc_idle: float = 2.0
    #: TCP connect timeout used by AT+QIOPEN (the spec suggests waiting 60 s for the URC).
    connect_timeout: float = 20.0
    #: How long NTP and DNS wait for an answer before reporting 569.
    query_timeout: float = 3.0
    #: Pause between two ping requests of one AT+QPING, seconds.
    ping_interval: float = 0.0

    def pick(self, span: tuple[float, float], rng: random.Random) -> float:
        lo, hi = span
        return lo if hi <= lo else rng.uniform(lo, hi)


PROFILES: dict[str, Profile] = {
    "none": Profile("none"),
    "nbiot": Profile(
        "nbiot",
        command_latency=(0.03, 0.12),
        deferred_latency=(0.3, 1.2),
        urc_latency=(0.2, 1.5),
        rtt_extra=(0.15, 0.6),
        boot_delay=0.4,
        register_delay=2.5,
        rsrp=-85,
        rsrq=-10,
        sinr=5,
        rrc_idle=20.0,
        connect_timeout=30.0,
        query_timeout=8.0,
        ping_interval=1.0,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown simulator profile {name!r} (known: {known})") from None
