"""A capture recorded on a module, played back as that module (``sim://?replay=``).

Importing this package lets :mod:`app.sim`'s registry build a
:class:`~app.playback.player.Player` for every ``sim://`` URL (or ``qiterm sim``)
with a ``replay`` option, the way importing :mod:`app.sim` registers the
``sim://`` URL handler.
"""

from __future__ import annotations

import os

from app.capture.reader import CaptureError
from app.playback.player import Player
from app.playback.script import Recording, load, variables_note
from app.sim import registry
from app.sim.config import SimConfig, SimConfigError, replay_path


def open_player(config: SimConfig) -> Player:
    """The player for ``config.replay``; SimConfigError says why a capture cannot be
    played (missing, unreadable, not a capture, no command in it)."""
    assert config.replay is not None
    path = config.replay
    try:
        recording = load(path)
    except CaptureError as exc:
        raise SimConfigError(f"replay: {exc}") from None
    except OSError as exc:
        raise SimConfigError(f"replay: cannot read {path}: {exc.strerror or exc}") from None
    if not recording.steps:
        raise SimConfigError(f"replay: {path} holds no command to answer")
    return Player(config, recording)


def recorded_variables(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``${VARIABLES}`` the scenario recorded in a capture ran with ({} when the
    capture cannot be read or noted none)."""
    try:
        return load(path).variables
    except (CaptureError, OSError):
        return {}


registry.set_replay_factory(open_player)

__all__ = [
    "Player",
    "Recording",
    "open_player",
    "recorded_variables",
    "replay_path",
    "variables_note",
]
