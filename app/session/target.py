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

from collections.abc import Mapping
from dataclasses import dataclass, field

import app.sim  # noqa: F401  (registers the sim:// URL handler with pyserial)
from app.demo.wiring import Demo, simulator_variables, start_demo
from app.link.ports import SIM_PORT, is_builtin_simulator
from app.playback import recorded_variables, replay_path
from app.sim.config import SimConfigError, parse_url

#: How the header names the built-in simulator (its wired URL is long).
SIM_LABEL = "sim:// built-in simulator"


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

    def form_defaults(self, favourites: Mapping[str, object] | None = None) -> dict[str, object]:
        """Values that pre-fill the forms: the profile's favourites, and the demo
        peers' addresses, which win (they are what answers on the simulator)."""
        return {**(favourites or {}), **(self.demo.defaults if self.demo is not None else {})}

    def stop(self) -> None:
        """Stop what this target started (the demo peers)."""
        if self.demo is not None:
            self.demo.stop()
            self.demo = None


def module_ip(url: str) -> str:
    """The simulated module's address (its ``ip`` option); 127.0.0.1 by default
    (and for a URL the simulator will refuse when it is opened)."""
    try:
        return parse_url(url).ip
    except SimConfigError:
        return "127.0.0.1"


def resolve(device: str | None, *, peers: bool = True) -> Target:
    """The target for ``device`` (None: the built-in simulator). Starts the demo
    peers for the simulator when ``peers``; OSError when they cannot start."""
    chosen = device or SIM_PORT
    replay = replay_path(chosen)
    if replay is not None:
        return Target(chosen, chosen, None, recorded_variables(replay))
    if not (peers and is_builtin_simulator(chosen)):
        return Target(chosen, chosen)
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
        return Target(device, device, demo, recorded_variables(replay))
    url = demo.wire(device)
    return Target(device, url, demo, simulator_variables(demo, module_ip(url)))


__all__ = ["SIM_LABEL", "Target", "module_ip", "resolve", "rewire"]
