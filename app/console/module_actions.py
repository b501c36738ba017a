"""The console's side of the Module pane: it shows the session's module state, and
what the pane asks for (read now, the automatic reads' interval, the URCs) goes
to the session. The pane mounts after the first frame (a hidden tab), so it is
looked for, not assumed."""

from __future__ import annotations

from textual import on

from app.console.base import ConsoleBase
from app.session.module_reads import interval_label, urc_writes
from widgets.module import ModulePane


class ModuleActions(ConsoleBase):
    def show_module(self) -> None:
        """Redraw the Module pane (when it is mounted) from the session's state."""
        panes = self.query(ModulePane)
        if panes:
            panes.first().show(self.state, interval=self.session.module_interval)

    def arm_tick(self) -> None:
        """Arm the view's clock for the reads' new period (the app defines it)."""

    @on(ModulePane.Ready)
    def _module_ready(self) -> None:
        self.show_module()

    @on(ModulePane.ReadNow)
    def _module_read(self, message: ModulePane.ReadNow) -> None:
        if not self._module_connected("not read"):
            return
        futures = self.session.read_module()
        pane = message.pane
        pane.set_reading(True)
        # The reads finish in order: the last one done, all are.
        self._when_done(futures[-1], lambda _result: pane.set_reading(False))

    @on(ModulePane.IntervalChosen)
    def _module_interval(self, message: ModulePane.IntervalChosen) -> None:
        self.session.set_module_interval(message.seconds)
        self.show_module()
        self.arm_tick()
        self.notify(f"Module pane: automatic reads {interval_label(message.seconds)}")

    @on(ModulePane.UrcsWanted)
    def _module_urcs(self, message: ModulePane.UrcsWanted) -> None:
        if not self._module_connected("URCs not turned on"):
            return
        for command in urc_writes():
            self.submit(command, on_done=self._user_result)
        self._module_read(ModulePane.ReadNow(message.pane))
        self.say("Module pane: URCs on (AT+CEREG=5, AT+CSCON=1, AT+QNBIOTEVENT=1,1)")

    def _module_connected(self, what: str) -> bool:
        if self.state.connected:
            return True
        self.notify(f"Module pane: {what}, the link is not connected.", severity="warning")
        return False


__all__ = ["ModuleActions"]
