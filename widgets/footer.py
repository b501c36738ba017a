"""The footer: the keys that matter first, and never a key cut in half.

Textual's footer lists the shown keys in binding order and lets the last ones run
under the palette key on a narrow screen. This one puts the ``pinned`` keys
first (F1 and the pane keys), then the focused field's, then the rest, and
leaves out whole keys that do not fit the width (F1 lists every key)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


def key_width(widget: Widget, compact: bool = True) -> int:
    """The cells a footer key takes (its margin included)."""
    if not isinstance(widget, FooterKey):
        return 0
    text = len(widget.key_display) + (len(widget.description) + 1 if widget.description else 0)
    return text + (1 if compact else 3)


def _signature(widget: Widget) -> tuple[object, ...]:
    """What a composed footer widget shows and does."""
    return (
        type(widget),
        getattr(widget, "key", None),
        getattr(widget, "key_display", None),
        getattr(widget, "description", None),
        getattr(widget, "action", None),
        getattr(widget, "tooltip", None),
        widget.disabled,
        tuple(sorted(widget.classes)),
    )


class KeyFooter(Footer):
    def __init__(self, pinned: Sequence[str] = (), *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self.pinned = tuple(pinned)
        self._width = 0
        #: What the mounted keys are (see recompose).
        self._shown: tuple[tuple[object, ...], ...] | None = None

    async def recompose(self) -> None:
        """Compose again only when the keys would change. Textual's footer recomposes
        after every change of the screen's bindings (a focus moving, a binding
        checked), several times as the console starts, each unmounting and mounting
        every key and laying the screen out again (about 15 ms each, which a key
        typed at the first frame waited behind); mostly they come out the same."""
        if not self.is_attached:
            return
        shown = tuple(_signature(widget) for widget in self.compose())
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        palette = [w for w in widgets if w.has_class("-command-palette")]
        keys = [w for w in widgets if w not in palette]
        pinned = self.pinned

        def rank(widget: Widget) -> int:
            key = widget.key if isinstance(widget, FooterKey) else ""
            return pinned.index(key) if key in pinned else len(pinned)

        keys.sort(key=rank)  # stable: the rest keep Textual's order
        budget = self.size.width - sum(key_width(w) + 1 for w in palette)
        for widget in keys:
            need = key_width(widget, self.compact)
            if need > budget:
                break  # the rest matter less than this one: none of them
            budget -= need
            yield self._compacted(widget)
        for widget in palette:
            yield self._compacted(widget)

    def _compacted(self, widget: Widget) -> Widget:
        """``widget`` with the class its binding to the footer's ``compact`` gives a
        key once mounted: set then, it styled each key again right after its mount
        (set now, before the mount, it is styled once: the console does not style
        what is not mounted yet)."""
        if isinstance(widget, FooterKey):
            widget.set_class(self.compact, "-compact")
        return widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.call_after_refresh(self.recompose)


__all__ = ["KeyFooter", "key_width"]
