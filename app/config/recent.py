"""The recently used ports, remembered across sessions (a small JSON file in the
user state folder)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

from app.config.paths import recent_ports_file
from app.link.ports import port_key

log = logging.getLogger(__name__)

#: How many recently used ports are kept.
MAX_RECENT = 10


def default_recent_path() -> Path:
    return recent_ports_file()


class RecentPorts:
    """The recently used ports, most recent first, kept in a small JSON file.

    A missing, unreadable or corrupt file reads as no ports; a file that cannot
    be written is logged and otherwise ignored (the picker still works).
    """

    def __init__(self, path: str | Path | None = None, limit: int = MAX_RECENT) -> None:
        self.path = Path(path) if path is not None else default_recent_path()
        self.limit = limit

    def load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("ignoring the recent ports file %s: %s", self.path, exc)
            return []
        if isinstance(data, dict):
            data = data.get("ports")
        if not isinstance(data, list):
            return []
        ports: list[str] = []
        keys: set[str] = set()
        for item in data:
            if isinstance(item, str) and item.strip() and port_key(item.strip()) not in keys:
                keys.add(port_key(item.strip()))
                ports.append(item.strip())
        return ports[: self.limit]

    def add(self, port: str) -> list[str]:
        """Put ``port`` first (once) and save; returns the new list."""
        port = port.strip()
        if not port:
            return self.load()
        ports = [port] + [p for p in self.load() if port_key(p) != port_key(port)]
        ports = ports[: self.limit]
        self._save(ports)
        return ports

    def forget(self, port: str) -> list[str]:
        """Drop ``port`` from the list and save; returns the new list."""
        ports = [p for p in self.load() if port_key(p) != port_key(port.strip())]
        self._save(ports)
        return ports

    def _save(self, ports: list[str]) -> None:
        text = json.dumps({"ports": ports}, indent=1) + "\n"
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".recent-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
            tmp = None
        except OSError as exc:
            log.warning("cannot save the recent ports to %s: %s", self.path, exc)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
