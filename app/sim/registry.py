"""Simulated modules by name, so a port can be closed and reopened (or reached by a
test) without losing the module behind it."""

from __future__ import annotations

import threading

from app.sim.config import SimConfig
from app.sim.module import Module

_lock = threading.Lock()
_named: dict[str, Module] = {}


def acquire(config: SimConfig) -> tuple[Module, bool]:
    """The module for ``config``: the named one if it exists, else a new one.
    Returns (module, created)."""
    if not config.name:
        return Module(config), True
    with _lock:
        module = _named.get(config.name)
        if module is not None and not module.closed:
            return module, False
        module = Module(config)
        _named[config.name] = module
        return module, True


def get(name: str) -> Module:
    """The live module called ``name`` (KeyError when there is none)."""
    with _lock:
        module = _named[name]
    if module.closed:
        raise KeyError(name)
    return module


def release(module: Module) -> None:
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
