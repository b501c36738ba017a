"""What people coming from tio, picocom, Docklight and QCOM reach for: line
control (DTR, RTS, a break, the baud rate), serial settings beyond it, the line
ending and local echo while running, clearing and copying the log, cyclic
macros, automatic answers and the command list. The work is the session's;
these are the console's ends of it."""

from __future__ import annotations

from pathlib import Path

from textual import on

from app.config.paths import capture_dir
from app.config.profile import LINE_ENDINGS, profile_path
from app.console.base import ConsoleBase
from app.link.port import PortSettings
from app.session.cycles import CycleChanged
from widgets.cmdlist import CommandList
from widgets.dialogs.choice import BaudDialog
from widgets.log import EventLog
from widgets.macrobar import MacroBar


class TerminalActions(ConsoleBase):
    # -- line control: DTR, RTS, a break, the baud rate -----------------------------------

    def action_toggle_dtr(self) -> None:
        self.session.set_dtr(not self.state.dtr)

    def action_toggle_rts(self) -> None:
        self.session.set_rts(not self.state.rts)

    def action_send_break(self) -> None:
        self.session.send_break(0.25)

    def action_change_baud(self) -> None:
        def chosen(rate: int | None) -> None:
            if rate is not None and rate != self.state.baudrate:
                self.session.set_baudrate(rate)

        self.push_screen(BaudDialog(self.state.baudrate), chosen)

    # -- serial settings, line ending, local echo ---------------------------------------

    def action_serial_settings(self) -> None:
        """Baud rate (any), data bits, parity, stop bits, flow control."""
        current = self.session.link.settings

        def chosen(settings: PortSettings | None) -> None:
            if settings is not None and settings != current:
                self.session.set_serial(settings)

        from widgets.dialogs.serial import SerialDialog  # loaded when first opened

        self.push_screen(SerialDialog(current), chosen)

    def action_line_ending(self) -> None:
        """Cycle what ends a command line: CR, CR LF, LF."""
        names = list(LINE_ENDINGS)
        now = self.session.line_ending
        self.session.set_line_ending(names[(names.index(now) + 1) % len(names)])

    def action_local_echo(self) -> None:
        """Show what is sent in the log, or only what comes back."""
        self.session.set_local_echo(not self.session.local_echo)
        self.query_one(EventLog).reset()
        self.show_status()
        on = self.session.local_echo
        self.notify(f"local echo {'on: sent lines shown' if on else 'off: only what comes back'}")

    def show_status(self) -> None:
        """Redraw the header (the app defines it)."""

    # -- the log: clear and copy ----------------------------------------------------------

    def copy_folder(self) -> Path:
        """Where copies are also written: the capture's folder, else the log folder."""
        if self.capture is not None:
            return self.capture.path.parent
        return self.session.profile.log_path or capture_dir()

    @on(EventLog.ClearAsked)
    def action_clear_log(self) -> None:
        self.session.clear_log()
        self.query_one(EventLog).reset()

    @on(EventLog.Copied)
    def _copied(self, message: EventLog.Copied) -> None:
        self.say(f"{message.what} {message.said}")

    def action_copy_lines(self) -> None:
        self.query_one(EventLog).action_copy()

    def action_copy_payload(self) -> None:
        self.query_one(EventLog).action_copy_payload()

    # -- cyclic macros ----------------------------------------------------------------------

    def action_stop_cycles(self) -> None:
        """Ctrl+B: stop every cyclic macro."""
        if not self.session.cycles.stop_all("stopped (Ctrl+B)"):
            self.notify("No macro is repeating.")

    def cycles_changed(self, changes: list[CycleChanged]) -> None:
        bar = self.query_one(MacroBar)
        for change in changes:
            bar.set_running(change.name, change.text if change.running else None)

    # -- automatic answers -----------------------------------------------------------------

    def action_answers(self) -> None:
        answers = self.session.answers
        rules = answers.rules
        fired = [answers.fired(i) for i in range(len(rules))]
        from widgets.dialogs.answers import AnswersDialog  # on first use: a faster start

        self.push_screen(AnswersDialog(rules, fired, answers.set_enabled))

    # -- the command list ------------------------------------------------------------------

    @on(CommandList.Send)
    def _command_list_send(self, message: CommandList.Send) -> None:
        if not self.state.connected:
            self.say(f"{message.line}: not sent, the link is not connected", error=True)
            return
        self._data_source = "cmdline"
        self.send_line(message.line)

    @on(CommandList.Edited)
    def _command_list_edited(self, message: CommandList.Edited) -> None:
        target = self.session.profile_file or profile_path("default")
        try:
            path = self.session.save_commands(message.lines)
        except (OSError, ValueError) as exc:
            self.say(f"command list not saved to {target}: {exc}", error=True)
            return
        self.say(f"command list ({len(message.lines)} lines) saved to {path}")


__all__ = ["TerminalActions"]
