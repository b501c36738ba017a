"""The screen as a picture and as text (F12), for captures people share."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App


def screen_exports(app: App[Any]) -> tuple[str, str]:
    """The screen as SVG (Textual's screenshot) and as plain text.

    Textual exports SVG only; the text is the same frame rendered by a recording
    rich console, from the screen's compositor (Textual's own, hence isolated
    here; without it the text is left empty and the SVG still saved)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    compositor = getattr(app.screen, "_compositor", None)
    text = ""
    if compositor is not None:
        console.print(compositor.render_update(full=True))
        text = console.export_text(clear=False)
    return app.export_screenshot(), text


__all__ = ["screen_exports"]
