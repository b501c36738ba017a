"""The one place that binds keys while the console runs: the macros' keys.

Textual binds keys from ``BINDINGS`` when an app starts and offers ``App.bind``
to add one later, but nothing to take one away again; a macro edited in the
console can lose or change its key. :class:`MacroKeys` keeps the macro keys it
added and removes them through the app's binding map before binding the new
ones. That map is Textual's own (``App._bindings``), so every access to it is
here, and a test binds, rebinds and unbinds through this class to catch a
Textual release that changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding

from app.console.keys import key_display, terminal_key

if TYPE_CHECKING:
    from app.config.macros import Macro


class MacroKeys:
    """Bind each macro's key to ``run_macro(<index>)`` on ``app``, except keys the
    app's own bindings use; :attr:`labels` says how each bound key is shown."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        #: macro index -> the Textual key bound for it.
        self.bound: dict[int, str] = {}
        #: macro index -> the key as the macro bar, the palette and the footer show it.
        self.labels: dict[int, str] = {}

    def taken(self) -> list[str]:
        """The keys of the app's own bindings (a macro never takes one)."""
        return [b.key for b in self.app.BINDINGS if isinstance(b, Binding)]

    def bind(self, macros: Sequence[Macro]) -> list[str]:
        """Replace the macro keys by those of ``macros``; returns the problems (a
        key the console uses, two macros on one key) for the log."""
        from app.config.macros import key_conflicts, parse_key_or_none

        self._unbind(self.bound.values())
        self.bound, self.labels = {}, {}
        taken = self.taken()
        problems = key_conflicts(macros, taken)
        taken_keys = {parse_key_or_none(k) for keys in taken for k in keys.split(",")}
        for index, macro in enumerate(macros):
            key = parse_key_or_none(macro.key) if macro.key is not None else None
            if key is None or key in taken_keys:
                continue
            key = terminal_key(key)
            if key in self.bound.values():
                continue
            self.bound[index] = key
            self.labels[index] = key_display(macro.key or key)
            self.app.bind(
                key,
                f"run_macro({index})",
                description=macro.name,
                show=True,
                key_display=self.labels[index],
            )
        self.app.refresh_bindings()
        return problems

    def _unbind(self, keys: Iterable[str]) -> None:
        key_map = self.app._bindings.key_to_bindings
        for key in keys:
            key_map.pop(key, None)


__all__ = ["MacroKeys"]
