"""The console's entries in the Ctrl+P palette (besides every AT command of the
catalog, which :class:`widgets.cmdline.AtCommandsProvider` lists)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from app.console.app import QitermApp


def console_commands(app: QitermApp) -> Iterator[SystemCommand]:
    yield SystemCommand("Open a socket", "AT+QIOPEN with a form (F2)", app.action_open_socket)
    yield SystemCommand("Refresh sockets", "AT+QISTATE? now (F5)", app.action_refresh)
    yield SystemCommand("Pause/resume polling", "QISTATE polling (F6)", app.action_toggle_poll)
    yield SystemCommand(
        "Polling interval", "How often AT+QISTATE? refreshes the table", app.action_poll_interval
    )
    yield SystemCommand(
        "Module pane",
        "Registration, signal, cell and power saving (Ctrl+N to its tab; r reads)",
        app.action_module_pane,
    )
    yield SystemCommand("Filter the log", "By kind and socket (F7)", app.action_filter)
    yield SystemCommand(
        "Socket timeline",
        "Every socket's life on a time axis (t in the table)",
        app.action_timeline,
    )
    yield SystemCommand("Add a note", "An annotation in the capture (F9)", app.action_note)
    yield SystemCommand(
        "Drop a marker", "A numbered marker in the capture (F10)", app.action_marker
    )
    yield SystemCommand("Payloads as text / hex / both", "Cycle (Ctrl+T)", app.action_toggle_hex)
    yield SystemCommand(
        "Show the welcome panel", "The demo peers and three first steps", app.action_welcome
    )
    yield SystemCommand(
        "Play a scenario script", "Run a .qis script here, step by step", app.action_run_script
    )
    yield SystemCommand("Stop the script", "Cancel the script playing", app.action_stop_script)
    yield SystemCommand(
        "Log: timestamps absolute / relative / delta", "Cycle", app.action_cycle_stamps
    )
    yield SystemCommand(
        "Log: show line endings", "Frames as on the wire (\\r\\n)", app.action_toggle_endings
    )
    yield SystemCommand(
        "Log: follow new lines / pause", "Resume or stop following (F8)", app.action_toggle_follow
    )
    yield SystemCommand(
        "Pick a port", "Serial ports, the simulator, recent ones", app.action_pick_port
    )
    yield SystemCommand("Reconnect", "Try to open the port again now", app.session.retry_port)
    for index, macro in enumerate(app.session.macros):
        key = app.macro_keys.labels.get(index)
        yield SystemCommand(
            f"Macro: {macro.name}",
            macro.summary() + (f" ({key})" if key else ""),
            lambda i=index: app.action_run_macro(i),
        )
    yield SystemCommand(
        "Edit macros", "Add, change, remove; saved to the profile", app.action_edit_macros
    )
    yield SystemCommand("Toggle DTR", "Data Terminal Ready line", app.action_toggle_dtr)
    yield SystemCommand("Toggle RTS", "Request To Send line", app.action_toggle_rts)
    yield SystemCommand("Send a break", "Hold TX low for 250 ms", app.action_send_break)
    yield SystemCommand("Change the baud rate", "Without restarting", app.action_change_baud)
    link = app.session.link.settings
    yield SystemCommand(
        "Serial settings",
        f"Now {link.baudrate} {link.framing} {link.flow or 'no flow control'}: any baud rate, "
        "data bits, parity, stop bits, RTS/CTS, XON/XOFF",
        app.action_serial_settings,
    )
    yield SystemCommand(
        f"Line ending: {app.session.line_ending} (next)",
        "What ends each command line: CR, CRLF, LF in turn",
        app.action_line_ending,
    )
    echo = "on" if app.session.local_echo else "off"
    yield SystemCommand(
        f"Local echo: {echo} (switch)",
        "Show what is sent in the log, or only what comes back",
        app.action_local_echo,
    )
    yield SystemCommand(
        "Clear the log view", "The capture keeps everything (x in the log)", app.action_clear_log
    )
    yield SystemCommand(
        "Copy the selected log line(s)",
        "To the clipboard and a file (c in the log; Shift+↑↓ selects a range)",
        app.action_copy_lines,
    )
    yield SystemCommand(
        "Copy the payload", "Of the selected recv URC (p in the log)", app.action_copy_payload
    )
    answers = app.session.answers.rules
    on = sum(rule.enabled for rule in answers)
    yield SystemCommand(
        "Automatic answers",
        f"{on} of {len(answers)} on: see them, switch them on or off",
        app.action_answers,
    )
    yield SystemCommand(
        "Stop repeating macros", "Every cyclic macro (Ctrl+B)", app.action_stop_cycles
    )
    yield SystemCommand(
        "Save a screenshot", "SVG and text into the log folder (F12)", app.action_save_screenshot
    )


__all__ = ["console_commands"]
