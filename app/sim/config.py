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
=============  ==============================================================

A named URL (``sim://bench``) shares one module between every port opened
with that name, so a test can close and reopen the port (or reach the module
through :func:`app.sim.registry.get`) without losing its sockets.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

from app.sim.profiles import get_profile


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
    """Read a ``sim://`` URL; raises SimConfigError naming the bad part."""
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
        else:
            known = "profile, echo, boot, ip, dns, dns_port, ntp_port, cmee, seed, fail_qiopen"
            raise SimConfigError(f"unknown sim:// option {key!r} (known: {known})")
    return cfg
