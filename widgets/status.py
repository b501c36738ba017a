"""The status header: port, link state with the retry countdown, module identity,
IP address, registration, dataformat, and a loud DATA MODE while in data mode."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from app.link.results import LinkState
from app.model.state import ModuleState

CEREG_SHORT = {
    0: "not registered",
    1: "registered (home)",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "registered (roaming)",
}


def status_text(state: ModuleState, *, polling: str = "", port_label: str | None = None) -> Text:
    """The header's content; a pure function of the state (tested without a UI)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" qiterm ", style="bold reverse")
    if state.data_mode:
        text.append(" DATA MODE: Ctrl+Z sends · Esc cancels ", style="bold reverse red")
    if state.capture_problem:
        text.append(f" CAPTURE {state.capture_problem} ", style="bold reverse red")
    link = state.link
    text.append(" ")
    if link is None or link.state is LinkState.CONNECTING:
        text.append("● connecting", style="bold yellow")
    elif link.state is LinkState.CONNECTED:
        text.append("● connected", style="bold green")
    elif link.state is LinkState.SYNCING:
        wait = ""
        if link.retry_at is not None:
            wait = f", not answering, retry in {max(0.0, link.retry_at - time.monotonic()):.0f} s"
        text.append(f"● synchronising{wait}", style="bold yellow")
    elif link.state is LinkState.DISCONNECTED:
        wait = ""
        if link.retry_at is not None:
            wait = f", retry in {max(0.0, link.retry_at - time.monotonic()):.0f} s"
        elif link.message:  # an open error retrying cannot mend: say it here
            wait = f": {link.message}"
        text.append(f"● disconnected{wait}", style="bold red")
    else:
        text.append("● closed", style="bold red")
    text.append(f"  {port_label or state.url or '-'}")
    if state.baudrate:
        text.append(f" @{state.baudrate}", style="dim")
    known = state.ip is not None or state.cereg is not None or state.identity is not None
    if known and not state.connected:
        # What follows was read before the link went down or out of step.
        text.append("  last known:", style="dim italic")
    text.append(f"  IP {state.ip or '-'}")
    if state.cereg is not None:
        style = "green" if state.cereg in (1, 5) else "yellow"
        text.append(f"  {CEREG_SHORT.get(state.cereg, state.cereg)}", style=style)
    fmt = {False: "text", True: "hex"}
    text.append(f"  send {fmt[state.send_hex]}/recv {fmt[state.recv_hex]}", style="dim")
    if state.show_ra:
        text.append(" showRA", style="dim")
    lines = f"DTR {'●' if state.dtr else '○'} RTS {'●' if state.rts else '○'}"
    text.append(f"  {lines}", style="dim")
    if polling:
        text.append(f"  {polling}", style="dim")
    if state.identity is not None:
        model = state.identity.identity.split()[-1] if state.identity.identity else "?"
        text.append(f"  {model}", style="bold")
        if state.identity.revision:
            text.append(f" {state.identity.revision}", style="dim")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
    }
    """

    def show(self, state: ModuleState, polling: str = "", port_label: str | None = None) -> None:
        self.update(status_text(state, polling=polling, port_label=port_label), layout=False)
