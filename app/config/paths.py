"""Where qiterm keeps its files, per operating system: the one module that asks
:mod:`platformdirs` (``~/.config/qiterm``, ``~/.local/state/qiterm``... on Linux)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "qiterm"


def profiles_dir() -> Path:
    """The device profiles (``NAME.toml``), in the user config folder."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "profiles"


def recent_ports_file() -> Path:
    """The recently used ports (a small JSON file), in the user state folder."""
    return Path(platformdirs.user_state_dir(APP_NAME)) / "recent-ports"


def welcome_marker() -> Path:
    """Exists once the welcome panel was shown (it shows on the first start only)."""
    return Path(platformdirs.user_state_dir(APP_NAME)) / "welcome-seen"


def capture_dir() -> Path:
    """Where captures go when neither ``--log`` nor a profile's log_folder says: the
    user log folder."""
    return Path(platformdirs.user_log_dir(APP_NAME))


__all__ = ["APP_NAME", "capture_dir", "profiles_dir", "recent_ports_file", "welcome_marker"]
