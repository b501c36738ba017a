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
from typing import TYPE_CHECKING, Any

from app.config.files import create_unique
from app.model.journal import Category

if TYPE_CHECKING:
    from widgets.log import EventLog


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


def copy_lines(log: EventLog) -> None:
    """The selected line (or range, or the newest line) as shown."""
    view = log.journal.view
    lines = log.selected_range()
    if not lines:
        log.notify("The log is empty: nothing to copy.")
        return
    text = "\n".join(log.render_text(view[i], previous=None).plain for i in lines) + "\n"
    count = len(lines)
    _copy(log, text, f"{count} log line{'s' if count != 1 else ''}")


def copy_payload(log: EventLog) -> None:
    """The payload of the selected recv URC (or of data sent): as text when it is
    UTF-8, else as hex digits."""
    index = log.selected_index()
    entry = log.journal.view[index] if index is not None else None
    if entry is None or entry.payload is None or entry.category is Category.COMMAND:
        log.notify("Select a recv URC (or a payload sent) to copy its payload.")
        return
    data = entry.payload
    try:
        text, form = data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        text, form = data.hex(" ").upper(), "hex"
    _copy(log, text, f"a {len(data)}-byte payload as {form}")


def _copy(log: EventLog, text: str, what: str) -> None:
    if log.copy_folder is None:
        log.app.copy_to_clipboard(text)
        path, said = None, "copied (OSC 52, if the terminal allows it)"
    else:
        path, said = copy_text(log.app, text, log.copy_folder)
    log.notify(f"{what}: {said}", timeout=6)
    log.post_message(log.Copied(what, path, said))


__all__ = ["copy_lines", "copy_payload", "copy_text"]
