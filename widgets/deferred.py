"""Mount a widget after the first frame, for the parts of a screen nobody sees at
once (hidden tabs), so the first frame comes sooner.

Textual's own ``Lazy`` does this, but mounts even when the app is already
shutting down (a console quit within a second of starting then ends with a
MountError traceback). This one mounts only while its parent is still there."""

from __future__ import annotations

from textual.widget import Widget


class Deferred(Widget):
    DEFAULT_CSS = """
    Deferred { display: none; }
    """

    def __init__(self, widget: Widget) -> None:
        self._deferred = widget
        super().__init__()

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return

        async def mount() -> None:
            if not (parent.is_attached and self.is_attached):
                return  # the screen is being torn down (a quit right after the start)
            await parent.mount(self._deferred, after=self)
            await self.remove()

        self.call_after_refresh(mount)


__all__ = ["Deferred"]
