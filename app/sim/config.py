"""Settings of one simulated module, from a ``sim://`` URL or ``qiterm sim`` options.

``sim://[name][?option=value&...]``:

=============  ==============================================================
``profile``    impairment profile: ``none`` (default, for tests) or ``nbiot``
``echo``       ``1`` (default, as the module ships: ATE1) or ``0``
``boot``       ``1``: print the boot banner (RDY, +CPIN, +IP) when the port
               opens; ``0`` (default): the module is already up and registered
``ip``         the module's address (``+IP:``, AT+CGPADDR); default 127.0.0.1,
               because the simulated module shares the host's network stack
``dns``        DNS servers issued by the network, comma separated
               (``127.0.0.1:5353`` carries a port); none by default, as the
               spec's note 5 of §2.3.8 warns
``dns_port``   UDP port used for DNS servers set with AT+QIDNSCFG (default 53)
``ntp_port``   port AT+QNTP uses when the command gives none (default 123,
               §2.3.6); lets a loopback NTP server stand in for a real one
``cmee``       initial AT+CMEE mode (0 default: plain ``ERROR`` as the spec's
               tables print)
``seed``       random seed for the impairment profile (repeatable demos)
``fail_qiopen``  a result code (e.g. 566): the first AT+QIOPEN reports it
               instead of opening (fault injection without code; the test API
               is :meth:`app.sim.module.Module.arm_qiopen_failure` and friends)
``guard``      ``loopback``: refuse every destination outside 127.0.0.0/8 and
               ::1 (:mod:`app.sim.guard`; also ``QITERM_SIM_LOOPBACK_ONLY=1``)
``expose``     ``1``: let the module bind addresses beyond loopback (an ``ip``
               or a listener's address such as ``0.0.0.0``), making it
               reachable from the network, with a warning; ``0`` (default):
               such binds are refused (:mod:`app.sim.reach`)
``imei`` ``imsi`` ``iccid``  the identities AT+CGSN, AT+CIMI, AT+QCCID print
``plmn``       the network's MCC+MNC (AT+COPS, AT+QENG=3), default 00101
``apn``        the APN of the initial PDP context (AT+CGDCONT? cid 0)
``pin``        a SIM PIN: the module waits in ``+CPIN: SIM PIN`` for AT+CPIN
``vbat``       supply voltage AT+CBC reports, mV (default 3600)
``rsrp`` ``rsrq`` ``sinr``  serving-cell signal (dBm, dB, dB) behind AT+CSQ,
               AT+CESQ and AT+QENG=0 (the profile's by default)
``tz``         time zone in quarters of an hour (+CTZEU, AT+CCLK?), e.g. 8
``sleep``      AT+QSCLK at power-on: 0 (default) no sleep, 1 light and deep
               sleep, 2 light sleep only
``sleep_after``  seconds of UART quiet before the module sleeps (default: the
               AT+QCFG="slplocktimes" value, 10 s as the manual ships it)
``psm_after``  seconds from RRC release to PSM (default: the T3324 active
               time AT+CPSMS requested)
``rrc_idle``   seconds without traffic before the network releases the RRC
               connection (+CSCON: 0); default the profile's
``urc_boundaries``  ``1``: hold URCs and release them at every boundary a
               real module uses (before the first response line, glued after a
               final result, between OK and a deferred result), chosen with
               ``seed``
``replay``     a capture file (qiterm's JSON Lines): instead of simulating, the
               module answers each command with what the captured module
               answered (:mod:`app.playback`); percent-encode ``&``, ``#``,
               ``?`` and ``%`` in the path
``speed``      with ``replay``: play the recorded delays this many times faster
               (default 1; ``0.5`` is twice as slow)
``log``        with ``replay``: also write the replay's own capture (what the
               host sent, what was answered, every divergence) to this file
``deviate``    for tests of conformance checks only: make the simulated module
               break the spec in the named ways, comma separated
               (:data:`app.sim.deviations.DEVIATIONS` lists and explains them)
=============  ==============================================================

A named URL (``sim://bench``) shares one module between every port opened
with that name, so a test can close and reopen the port (or reach the module
through :func:`app.sim.registry.get`) without losing its sockets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.sim.deviations import DEVIATIONS
from app.sim.guard import GUARD_LOOPBACK
from app.sim.profiles import get_profile
from app.sim.reach import EXPOSE_OPTION, refusal


class SimConfigError(ValueError):
    """A bad ``sim://`` URL or option; the message says which and why."""


@dataclass(frozen=True)
class DnsServer:
    ip: str
    port: int = 53

    def __str__(self) -> str:
        return self.ip if self.port == 53 else f"{self.ip}:{self.port}"


@dataclass(frozen=True)
class SimConfig:
    name: str = ""
    profile: str = "none"
    echo: bool = True
    boot: bool = False
    ip: str = "127.0.0.1"
    network_dns: tuple[DnsServer, ...] = field(default_factory=tuple)
    dns_port: int = 53
    ntp_port: int = 123
    cmee: int = 0
    seed: int | None = None
    imei: str = "866818039921444"
    fail_qiopen: int | None = None
    #: ``loopback``: refuse every destination outside 127.0.0.0/8 and ::1 (app.sim.guard).
    guard: str | None = None
    #: Binds beyond loopback allowed (app.sim.reach): the module is reachable from the network.
    expose: bool = False
    imsi: str = "001010123456789"
    iccid: str = "89001012012341234012"
    plmn: str = "00101"
    apn: str = ""
    pin: str | None = None
    vbat: int = 3600
    rsrp: int | None = None
    rsrq: int | None = None
    sinr: int | None = None
    tz: int = 0
    sleep: int = 0
    sleep_after: float | None = None
    psm_after: float | None = None
    rrc_idle: float | None = None
    urc_boundaries: bool = False
    #: A capture to answer from instead of simulating (app.playback).
    replay: str | None = None
    #: How many times faster than recorded a replay plays its delays.
    speed: float = 1.0
    #: Where a replay writes its own capture (None: nowhere).
    replay_log: str | None = None
    #: Deliberate deviations from the spec (for tests of conformance checks).
    deviate: frozenset[str] = frozenset()

    def with_network_dns(self, *servers: DnsServer) -> SimConfig:
        return replace(self, network_dns=tuple(servers))


def parse_dns_server(text: str) -> DnsServer:
    """``127.0.0.1``, ``127.0.0.1:5353``, ``[::1]:5353`` -> DnsServer."""
    text = text.strip()
    host, port = text, 53
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise SimConfigError(f"bad DNS server {text!r}: missing ']'")
        host = text[1:close]
        rest = text[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise SimConfigError(f"bad DNS server {text!r}")
            port = _port(rest[1:], "DNS server port")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text, "DNS server port")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SimConfigError(f"bad DNS server {text!r}: not an IP address") from None
    return DnsServer(host, port)


def _port(text: str, what: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SimConfigError(f"{what} must be 1-65535, not {text!r}")
    return int(text)


def _flag(name: str, value: str) -> bool:
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SimConfigError(f"option {name} takes 0 or 1, not {value!r}")


def parse_url(url: str) -> SimConfig:
    """Read a ``sim://`` URL; raises SimConfigError naming the bad part, or a bind
    beyond loopback that ``expose=1`` does not allow."""
    return check_reach(parse_options(url), EXPOSE_OPTION)


def check_reach(config: SimConfig, flag: str) -> SimConfig:
    """``config`` unless its address is 0.0.0.0 and it is not exposed: then
    SimConfigError naming ``flag``, the switch that would allow it (app.sim.reach).

    The module's listeners bind its address, and 0.0.0.0 is every interface of this
    machine (no module ever has it), so it is refused before the module starts. Any
    other address is what the module reports (a module "on another network", as
    ``qiterm check`` tests it); a listener bound to it beyond loopback is refused at
    AT+QIOPEN (556) unless the module is exposed."""
    if ipaddress.ip_address(config.ip).is_unspecified and not config.expose:
        raise SimConfigError(
            refusal(config.ip, "the module address (option ip)", flag)
            + " (0.0.0.0 binds the module's listeners to every interface)"
        )
    return config


def replay_path(url: str) -> str | None:
    """The capture a ``sim://`` URL replays, or None (another port, not a replay, or
    a URL that does not parse). Reads the URL only, so that knowing whether a port
    is a replay does not import the playback."""
    if not url.lower().startswith("sim:"):
        return None
    try:
        return parse_url(url).replay
    except SimConfigError:
        return None


def url_exposes(url: str) -> bool:
    """A ``sim://`` URL that asks for its module to be reachable from the network
    (``expose=1``); False for any other URL, or one that does not parse."""
    if not url.lower().startswith("sim:"):
        return False
    try:
        return parse_options(url).expose
    except SimConfigError:
        return False


def parse_options(url: str) -> SimConfig:
    """Read a ``sim://`` URL's options, each checked on its own (not their reach)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "sim":
        raise SimConfigError(f"not a sim:// URL: {url!r}")
    name = (parts.netloc + parts.path).strip("/")
    cfg = SimConfig(name=name)
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        value = values[-1]
        if key == "profile":
            try:
                get_profile(value)
            except ValueError as exc:
                raise SimConfigError(str(exc)) from None
            cfg = replace(cfg, profile=value)
        elif key == "echo":
            cfg = replace(cfg, echo=_flag(key, value))
        elif key == "boot":
            cfg = replace(cfg, boot=_flag(key, value))
        elif key == "ip":
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise SimConfigError(f"option ip must be an IPv4 address, not {value!r}") from None
            cfg = replace(cfg, ip=value)
        elif key == "dns":
            servers = tuple(parse_dns_server(v) for v in value.split(",") if v.strip())
            cfg = replace(cfg, network_dns=servers)
        elif key == "dns_port":
            cfg = replace(cfg, dns_port=_port(value, "option dns_port"))
        elif key == "ntp_port":
            cfg = replace(cfg, ntp_port=_port(value, "option ntp_port"))
        elif key == "cmee":
            if value not in ("0", "1", "2"):
                raise SimConfigError(f"option cmee takes 0, 1 or 2, not {value!r}")
            cfg = replace(cfg, cmee=int(value))
        elif key == "fail_qiopen":
            if not value.isdigit():
                raise SimConfigError(f"option fail_qiopen takes a result code, not {value!r}")
            cfg = replace(cfg, fail_qiopen=int(value))
        elif key == "seed":
            if not value.lstrip("-").isdigit():
                raise SimConfigError(f"option seed takes an integer, not {value!r}")
            cfg = replace(cfg, seed=int(value))
        elif key == "replay":
            if not value.strip():
                raise SimConfigError("option replay takes the path of a capture file")
            cfg = replace(cfg, replay=value)
        elif key == "speed":
            cfg = replace(cfg, speed=parse_speed(value))
        elif key == "log":
            if not value.strip():
                raise SimConfigError("option log takes the path of a file to write")
            cfg = replace(cfg, replay_log=value)
        elif key == "deviate":
            cfg = replace(cfg, deviate=parse_deviations(value))
        elif key in _PARSERS:
            cfg = replace(cfg, **{key: _PARSERS[key](key, value)})
        else:
            known = ", ".join(KNOWN_OPTIONS)
            raise SimConfigError(f"unknown sim:// option {key!r} (known: {known})")
    return cfg


def parse_speed(value: str) -> float:
    """A replay speed: a factor over 0 (1 plays the recorded delays as they were)."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0.001 <= number <= 1_000_000:
        raise SimConfigError(f"speed takes a factor over 0 (e.g. 10), not {value!r}")
    return number


def parse_deviations(value: str) -> frozenset[str]:
    """``name,name`` -> the deviations; an unknown name is refused, naming the known."""
    names = frozenset(v.strip() for v in value.split(",") if v.strip())
    unknown = sorted(names - DEVIATIONS.keys())
    if unknown:
        known = ", ".join(sorted(DEVIATIONS))
        raise SimConfigError(f"unknown deviation {unknown[0]!r} (known: {known})")
    return names


def _digits(low: int, high: int) -> Callable[[str, str], str]:
    def parse(key: str, value: str) -> str:
        if not (value.isascii() and value.isdigit() and low <= len(value) <= high):
            span = f"{low}" if low == high else f"{low}-{high}"
            raise SimConfigError(f"option {key} takes {span} digits, not {value!r}")
        return value

    return parse


def _integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise SimConfigError(f"option {key} takes an integer {low}..{high}, not {value!r}")
        return number

    return parse


def _seconds(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 86400.0:
        raise SimConfigError(f"option {key} takes seconds (0-86400), not {value!r}")
    return number


def _guard(key: str, value: str) -> str | None:
    if value in ("", "none", "off", "0"):
        return None
    if value != GUARD_LOOPBACK:
        raise SimConfigError(f"option guard takes {GUARD_LOOPBACK!r} or 'none', not {value!r}")
    return value


def _text(key: str, value: str) -> str:
    if len(value) > 99 or any(ord(c) < 0x20 or c == '"' for c in value):
        raise SimConfigError(f"option {key}: at most 99 characters, no quotes, not {value!r}")
    return value


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "guard": _guard,
    "imei": _digits(15, 15),
    "imsi": _digits(6, 15),
    "iccid": _digits(19, 20),
    "plmn": _digits(5, 6),
    "apn": _text,
    "pin": _digits(4, 8),
    "vbat": _integer(2000, 5000),
    "rsrp": _integer(-156, -44),
    "rsrq": _integer(-34, 3),
    "sinr": _integer(-20, 40),
    "tz": _integer(-47, 48),
    "sleep": _integer(0, 2),
    "sleep_after": _seconds,
    "psm_after": _seconds,
    "rrc_idle": _seconds,
    "urc_boundaries": _flag,
    "expose": _flag,
}
KNOWN_OPTIONS = (
    "profile",
    "echo",
    "boot",
    "ip",
    "dns",
    "dns_port",
    "ntp_port",
    "cmee",
    "seed",
    "fail_qiopen",
    *_PARSERS,
    "replay",
    "speed",
    "log",
    "deviate",
)
