"""Copying to the clipboard from a terminal program: OSC 52, and a file to fall
back on.

Textual's :meth:`App.copy_to_clipboard` writes the OSC 52 escape sequence, which
most terminals (and tmux with ``set-clipboard on``) turn into a clipboard copy;
some refuse it (macOS Terminal, a terminal with the feature off, a console) and
none says whether it did. So every copy is also written to a new private file in
the log folder (mode 0600, never over another file: :mod:`app.config.files`),
and the person is told where it is.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from app.config.files import create_unique


def copy_text(app: Any, text: str, folder: Path) -> tuple[Path | None, str]:
    """Copy ``text`` (OSC 52) and write it to ``qiterm-copy-<time>.txt`` in
    ``folder``. Returns the file (None when it could not be written) and a
    sentence saying what happened, for the person."""
    app.copy_to_clipboard(text)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        base, fds = create_unique(
            folder, f"qiterm-copy-{time.strftime('%Y%m%d-%H%M%S')}", (".txt",)
        )
        with os.fdopen(fds[0], "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as exc:
        return None, f"copied (OSC 52); the fallback file was not written: {exc.strerror or exc}"
    path = base.with_name(base.name + ".txt")
    return path, f"copied (OSC 52, if the terminal allows it); also in {path}"


__all__ = ["copy_text"]
