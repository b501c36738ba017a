"""Files that hold session data (captures, screenshots): created private, never
through a link, never over an existing file unless a person said so.

* Mode 0600 (owner only): payloads and addresses are in them; sharing is a choice.
* ``O_EXCL`` (and ``O_NOFOLLOW`` where the platform has it): a name that exists,
  a symbolic link included, is never opened for writing, so nothing is truncated
  or written through a link planted in the folder.
* Replacing an existing file is explicit (``replace=True``: ``--force``): the
  old directory entry is removed (a link itself, never its target) and a fresh
  file is created in its place.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

PRIVATE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class ExistsError(FileExistsError):
    """The file is there already and was not to be replaced."""


def create_private(path: Path, *, replace: bool = False) -> int:
    """A new file at ``path``, mode 0600, opened for writing; its descriptor.

    ExistsError when ``path`` exists (a link too) and ``replace`` is false;
    FileNotFoundError when its folder does not exist (nothing is created on the
    way: a typo in a folder name is said, not made)."""
    if replace:
        try:
            if path.is_dir() and not path.is_symlink():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            path.unlink()
        except FileNotFoundError:
            pass
    try:
        return os.open(path, _FLAGS, PRIVATE_MODE)
    except FileExistsError:
        raise ExistsError(
            errno.EEXIST, "exists already (nothing was overwritten)", str(path)
        ) from None


def create_unique(folder: Path, stem: str, suffixes: tuple[str, ...]) -> tuple[Path, list[int]]:
    """New private files ``stem<suffix>`` for every suffix in ``folder``; when a name
    is taken, ``stem-2``, ``stem-3``... (the same number for all suffixes). Returns
    the base path (without suffix) and the descriptors, in ``suffixes`` order."""
    n = 1
    while True:
        base = folder / (stem if n == 1 else f"{stem}-{n}")
        fds: list[int] = []
        try:
            for suffix in suffixes:
                fds.append(create_private(base.with_name(base.name + suffix)))
        except ExistsError:
            for fd, suffix in zip(fds, suffixes, strict=False):
                os.close(fd)
                base.with_name(base.name + suffix).unlink(missing_ok=True)
            n += 1
            continue
        return base, fds


__all__ = ["PRIVATE_MODE", "ExistsError", "create_private", "create_unique"]
