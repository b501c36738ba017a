"""Simulated modules by name, so a port can be closed and reopened (or reached by a
test) without losing the module behind it.

A ``sim://?replay=CAPTURE`` URL stands for a captured module played back. That
player lives in a layer above (it reads captures): :mod:`app.playback` hands its
factory to :func:`set_replay_factory` when it is imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.sim.config import SimConfig, SimConfigError, check_reach
from app.sim.device import Device
from app.sim.module import Module
from app.sim.reach import EXPOSE_OPTION, EXPOSED_WARNING, report

_lock = threading.Lock()
_named: dict[str, Device] = {}
_replay_factory: Callable[[SimConfig], Device] | None = None


def set_replay_factory(factory: Callable[[SimConfig], Device]) -> None:
    """Who builds the device for a ``replay=`` configuration (app.playback)."""
    global _replay_factory
    _replay_factory = factory


def make(config: SimConfig) -> Device:
    """A new device for ``config``: the simulated module, or a replay of a capture.
    Raises SimConfigError when the replay cannot be read, or when the module's
    address is 0.0.0.0 and it is not exposed (app.sim.reach); an exposed module is
    said on stderr as it starts."""
    check_reach(config, EXPOSE_OPTION)
    if config.expose:
        report(EXPOSED_WARNING)
    if config.replay is None:
        return Module(config)
    if _replay_factory is None:
        raise SimConfigError("replaying a capture needs app.playback (import it first)")
    return _replay_factory(config)


def acquire(config: SimConfig) -> tuple[Device, bool]:
    """The device for ``config``: the named one if it exists, else a new one.
    Returns (device, created)."""
    if not config.name:
        return make(config), True
    with _lock:
        device = _named.get(config.name)
        if device is not None and not device.closed:
            return device, False
        device = make(config)
        _named[config.name] = device
        return device, True


def get_device(name: str) -> Device:
    """The live device called ``name`` (KeyError when there is none)."""
    with _lock:
        device = _named[name]
    if device.closed:
        raise KeyError(name)
    return device


def get(name: str) -> Module:
    """The live simulated module called ``name`` (KeyError when there is none, or
    when that name is a replay)."""
    device = get_device(name)
    if not isinstance(device, Module):
        raise KeyError(name)
    return device


def release(module: Device) -> None:
    """A port let go of ``module``: an unnamed module powers off with it."""
    if not module.config.name:
        module.close()


def destroy(name: str) -> None:
    """Power off and forget the module called ``name``."""
    with _lock:
        module = _named.pop(name, None)
    if module is not None:
        module.close()


def destroy_all() -> None:
    with _lock:
        modules = list(_named.values())
        _named.clear()
    for module in modules:
        module.close()
