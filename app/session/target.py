"""What a session talks to: the port a person chose, turned into what the worker opens.

The one place that knows the built-in simulator's set-up, for the console, its
port switches and ``qiterm run`` alike:

* no port, or a ``sim://`` URL: the built-in simulated module. Unless asked not
  to, the loopback demo peers start (:mod:`app.demo.wiring`) and the URL the
  worker opens is wired to them (the simulated network's DNS and NTP);
* a ``sim://?replay=CAPTURE`` URL: a captured module played back
  (:mod:`app.playback`). Nothing is started (it answers from the capture, not
  the network) and the ``${NAME}`` values are the ones the recorded scenario ran
  with, so the same scenario sends the same commands;
* anything else (a device path, ``socket://``, ``rfc2217://``...) is opened as
  given and nothing is started.

The target also carries what follows from that choice: the name the header
shows, the ``${NAME}`` values scripts and macros get, and the values that
pre-fill the console's forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

import app.sim  # noqa: F401  (registers the sim:// URL handler with pyserial)
from app.link.ports import SIM_PORT, is_builtin_simulator
from app.sim.config import SimConfigError, parse_url, replay_path

if TYPE_CHECKING:
    from app.config.profile import Favourites
    from app.demo.wiring import Demo

# The simulated module, the playback and the demo peers (with dnspython) are imported
# only for a port that needs them, not for a real one: about 70 ms of start-up
# (BENCHMARKS.md, startup). Registering the ``sim://`` handler above is cheap; pyserial
# imports the handler itself when a ``sim://`` port is opened.

#: How the header names the built-in simulator (its wired URL is long).
SIM_LABEL = "sim:// built-in simulator"


class Choice(msgspec.Struct, frozen=True):
    """A value a form offers to pick: a demo peer's address or a favourite."""

    value: str | int
    #: Where it comes from: "TCP echo peer", "favourite"...
    origin: str

    @property
    def label(self) -> str:
        return f"{self.value}  ({self.origin})"


class Endpoint(msgspec.Struct, frozen=True):
    """A peer the open-socket form offers: a host, a port, and the service type
    it answers on (None: any)."""

    host: str
    port: int | None
    service: str | None
    origin: str

    @property
    def label(self) -> str:
        where = self.host if self.port is None else f"{self.host}:{self.port}"
        kind = f"{self.service} " if self.service else ""
        return f"{kind}{where}  ({self.origin})"


def _unique(choices: Iterable[Choice]) -> list[Choice]:
    seen: set[str | int] = set()
    out = []
    for choice in choices:
        if choice.value not in seen:
            seen.add(choice.value)
            out.append(choice)
    return out


@dataclass
class Target:
    #: The port as the person chose it: ``sim://``, ``/dev/ttyUSB0``, ``socket://...``.
    device: str
    #: What the worker opens (for the simulator: the URL wired to the demo peers).
    url: str
    #: The loopback demo peers started for it (the built-in simulator only).
    demo: Demo | None = None
    #: ``${NAME}`` values for scenario scripts and macros.
    variables: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if replay_path(self.device) is not None:
            # The simulator's registry plays a capture back through app.playback,
            # which registers itself on import: before the worker opens the URL.
            import app.playback  # noqa: F401

    @property
    def builtin(self) -> bool:
        """The built-in simulated module."""
        return is_builtin_simulator(self.device)

    @property
    def label(self) -> str:
        """How the header and messages name the port."""
        replay = replay_path(self.device)
        if replay is not None:
            return f"sim:// replay of {replay}"
        return SIM_LABEL if self.builtin else self.url

    @property
    def peers_info(self) -> list[str]:
        """One line per demo peer (welcome panel, log, ``qiterm run``)."""
        return self.demo.describe() if self.demo is not None else []

    def form_defaults(
        self, favourites: Mapping[str, object] | Favourites | None = None
    ) -> dict[str, object]:
        """Values that pre-fill the forms, and what the forms offer to pick.

        Pre-filled: the profile's first favourites, and the demo peers' addresses,
        which win (they are what answers on the simulator). Offered, beside the
        demo peers, is every favourite: ``endpoints`` (host and port pairs for
        the open-socket form, a list of :class:`Endpoint`), ``host_choices``
        (ping), ``name_choices`` (DNS names), ``ntp_choices`` and
        ``dns_choices`` (lists of :class:`Choice`)."""
        from app.config.profile import Favourites

        fav = favourites if isinstance(favourites, Favourites) else None
        first = (
            fav.form_defaults()
            if fav is not None
            else dict(favourites)
            if isinstance(favourites, Mapping)
            else {}
        )
        demo = self.demo.defaults if self.demo is not None else {}
        out: dict[str, object] = {**first, **demo}
        hosts = list(fav.hosts) if fav is not None else []
        ports = list(fav.ports) if fav is not None else []
        endpoints: list[Endpoint] = []
        host_choices: list[Choice] = []
        ntp: list[Choice] = []
        dns: list[Choice] = []
        demo_host = demo.get("tcp_host")
        if isinstance(demo_host, str):
            for service in ("TCP", "UDP"):
                port = demo.get(f"{service.lower()}_port")
                if isinstance(port, int):
                    endpoints.append(Endpoint(demo_host, port, service, f"{service} echo peer"))
            host_choices.append(Choice(demo_host, "echo peer"))
        for host in hosts:
            endpoints += [Endpoint(host, port, None, "favourite") for port in ports]
            if not ports:
                endpoints.append(Endpoint(host, None, None, "favourite"))
            host_choices.append(Choice(host, "favourite"))
        if not hosts:
            endpoints += [Endpoint("", port, None, "favourite port") for port in ports]
        for key, origin, into in (
            ("ntp_server", "NTP peer", ntp),
            ("dns_server", "DNS peer", dns),
        ):
            value = demo.get(key)
            if isinstance(value, str):
                into.append(Choice(value, origin))
        if fav is not None and fav.ntp_server is not None:
            ntp.append(Choice(fav.ntp_server, "favourite"))
        if fav is not None and fav.dns_server is not None:
            dns.append(Choice(fav.dns_server, "favourite"))
        out["endpoints"] = endpoints
        out["host_choices"] = _unique(host_choices)
        out["name_choices"] = _unique(c for c in host_choices if not _is_ip(str(c.value)))
        out["ntp_choices"] = _unique(ntp)
        out["dns_choices"] = _unique(dns)
        return out

    def stop(self) -> None:
        """Stop what this target started (the demo peers)."""
        if self.demo is not None:
            self.demo.stop()
            self.demo = None


def _recorded_variables(path: str) -> dict[str, str]:
    """The replayed capture's ``${VARIABLES}`` (the playback loaded only now)."""
    from app.playback import recorded_variables

    return recorded_variables(path)


def _is_ip(text: str) -> bool:
    from app.protocol import catalog

    return catalog.is_ip_address(text)


def module_ip(url: str) -> str:
    """The simulated module's address (its ``ip`` option); 127.0.0.1 by default
    (and for a URL the simulator will refuse when it is opened)."""
    try:
        return parse_url(url).ip
    except SimConfigError:
        return "127.0.0.1"


class TargetError(ValueError):
    """A port that can never open as given (said at once, not retried)."""


def check_device(device: str) -> None:
    """TargetError when ``device`` cannot name a port: empty, or a ``sim://`` URL
    the simulator refuses (an unknown option, a bad value)."""
    if not device.strip():
        raise TargetError(
            "the port is empty: give a device (/dev/ttyUSB0, COM5) or a URL "
            "(socket://host:port, rfc2217://host:port, sim://); leave -p out for the "
            "built-in simulator"
        )
    if device.lower().startswith("sim://"):
        try:
            parse_url(device)
        except SimConfigError as exc:
            raise TargetError(f"{device}: {exc}") from None


def resolve(device: str | None, *, peers: bool = True) -> Target:
    """The target for ``device`` (None: the built-in simulator). Starts the demo
    peers for the simulator when ``peers``; OSError when they cannot start,
    TargetError for a port that can never open (:func:`check_device`)."""
    chosen = SIM_PORT if device is None else device
    check_device(chosen)
    replay = replay_path(chosen)
    if replay is not None:
        return Target(chosen, chosen, None, _recorded_variables(replay))
    if not (peers and is_builtin_simulator(chosen)):
        return Target(chosen, chosen)
    from app.demo.wiring import simulator_variables, start_demo

    demo = start_demo(chosen)
    try:
        variables = simulator_variables(demo, module_ip(demo.url))
    except OSError:
        demo.stop()
        raise
    return Target(chosen, demo.url, demo, variables)


def rewire(target: Target, device: str) -> Target:
    """The target for another ``sim://`` device served by ``target``'s running demo
    peers (a port switch from the simulator to the simulator keeps them)."""
    demo = target.demo
    if demo is None:
        raise ValueError("rewire needs a target with demo peers")
    replay = replay_path(device)
    if replay is not None:
        return Target(device, device, demo, _recorded_variables(replay))
    from app.demo.wiring import simulator_variables

    url = demo.wire(device)
    return Target(device, url, demo, simulator_variables(demo, module_ip(url)))


__all__ = [
    "SIM_LABEL",
    "Choice",
    "Endpoint",
    "Target",
    "TargetError",
    "check_device",
    "module_ip",
    "resolve",
    "rewire",
]
