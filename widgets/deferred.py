"""Mount a widget later, for the parts of a screen nobody sees at once (hidden tabs),
so the first frame comes sooner and a key typed at it is not held up.

A :class:`Deferred` stands in for its widget until :meth:`Deferred.reveal` mounts
the widget in its place: when its tab is first shown, or from :func:`reveal_later`, an
idle timer that mounts the stand-ins left one at a time, a short pause between them
so keys typed meanwhile are handled between two mounts rather than after all of them.

Textual's own ``Lazy`` mounts every wrapped widget right after the first refresh
(all at once, which is where a key typed at the first frame then waits), and mounts
even when the app is already shutting down (a console quit within a second of
starting then ends with a MountError traceback). This one mounts only while its
parent is still there."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widget import Widget

#: How long after the first frame the hidden widgets start to mount (seconds): past
#: the start-up's own work (the link synchronising), before anyone is likely to open
#: a tab (one that is opened sooner mounts its widget at once).
REVEAL_AFTER_S = 1.0
#: The pause between two mounts, in which queued input is handled.
REVEAL_STEP_S = 0.02


class Deferred(Widget):
    DEFAULT_CSS = """
    Deferred { display: none; }
    """

    def __init__(self, widget: Widget) -> None:
        self._deferred = widget
        self._revealed = False
        super().__init__()

    @property
    def pending(self) -> bool:
        """Its widget is still to be mounted."""
        return not self._revealed

    async def reveal(self) -> None:
        """Mount the widget in place of this stand-in (once; nothing when the screen
        is being torn down, as after a quit right after the start)."""
        if self._revealed:
            return
        self._revealed = True
        parent = self.parent
        if not (isinstance(parent, Widget) and parent.is_attached and self.is_attached):
            return
        await parent.mount(self._deferred, after=self)
        await self.remove()


async def reveal_in(node: DOMNode) -> None:
    """Mount every widget still deferred under ``node`` (a tab being shown)."""
    for stand_in in list(node.query(Deferred)):
        await stand_in.reveal()


def reveal_later(node: DOMNode, after: float = REVEAL_AFTER_S, step: float = REVEAL_STEP_S) -> None:
    """Mount the widgets still deferred under ``node``, one at a time, starting
    ``after`` seconds from now with ``step`` seconds between two."""

    async def next_one() -> None:
        if not node.is_attached:
            return
        left = [stand_in for stand_in in node.query(Deferred) if stand_in.pending]
        if not left:
            return
        await left[0].reveal()
        node.set_timer(step, next_one)

    node.set_timer(after, next_one)


__all__ = ["REVEAL_AFTER_S", "REVEAL_STEP_S", "Deferred", "reveal_in", "reveal_later"]
