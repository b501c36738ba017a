"""Macro keys in the console: the key the terminal sends for one, and how the footer
and the macro bar show it. The keys come checked and written one way by
:func:`app.config.macros.parse_key` (whose character names are Textual's)."""

from __future__ import annotations

import re

_FUNCTION_KEY = re.compile(r"f(\d+)")


def terminal_key(key: str) -> str:
    """The key Textual receives for a :func:`~app.config.macros.parse_key` name:
    terminals send Shift+F1..F12 as F13..F24, and Textual names them so."""
    *mods, base = key.split("+")
    fn = _FUNCTION_KEY.fullmatch(base)
    if fn and "shift" in mods and 1 <= int(fn.group(1)) <= 12:
        return "+".join([*(m for m in mods if m != "shift"), f"f{int(fn.group(1)) + 12}"])
    return key


def key_display(key: str) -> str:
    """A key as people write it: ``shift+f1`` -> ``Shift+F1``, ``ctrl+g`` -> ``Ctrl+G``."""
    return "+".join(
        part.upper() if len(part) == 1 or _FUNCTION_KEY.fullmatch(part) else part.capitalize()
        for part in key.strip().lower().split("+")
    )


__all__ = ["key_display", "terminal_key"]
