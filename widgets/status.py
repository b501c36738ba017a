"""The status header: link state with the retry countdown, registration, signal, RRC
and power saving, port, IP address, dataformat, module identity, and a loud DATA MODE
while in data mode."""

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


def radio_text(state: ModuleState) -> Text:
    """Registration, signal, RRC and power saving, most important first:
    ``registered (home)  CSQ 24 (-65 dBm)  RRC idle  PSM`` (AT manual V1.4 §4.1,
    4.7 or 4.2, 4.6, 9.8). Parts the module has not told are left out."""
    text = Text()
    if state.cereg is not None:
        style = "green" if state.cereg in (1, 5) else "yellow"
        reg = CEREG_SHORT.get(state.cereg, str(state.cereg))
        cause = state.registration.reject_cause if state.registration else None
        if state.cereg == 3 and cause is not None:
            reg += f" (cause {cause})"
        text.append(f"  {reg}", style=style)
    signal = _signal(state)
    if signal:
        text.append(f"  {signal}")
    if state.rrc_connected is not None:
        text.append(f"  RRC {'connected' if state.rrc_connected else 'idle'}")
    if state.deep_sleep:
        text.append("  deep sleep", style="bold")
    elif state.psm:
        text.append("  PSM", style="bold")
    return text


def _signal(state: ModuleState) -> str:
    csq = state.csq
    if csq is not None and csq.rssi is not None:
        dbm = csq.dbm
        return f"CSQ {csq.rssi}" + (f" ({dbm} dBm)" if dbm is not None else "")
    rsrp = state.cesq.rsrp_dbm if state.cesq is not None else None
    if rsrp is None:
        return ""
    below = state.cesq is not None and state.cesq.rsrp == 0  # §4.2: 0 is below -140 dBm
    return f"RSRP {'<' if below else ''}{rsrp} dBm"


def serial_text(state: ModuleState, *, local_echo: bool = True) -> str:
    """The port's settings, compactly: ``115200 8N1``, then what is not the usual
    (``RTS/CTS``, ``XON/XOFF``, a line ending other than CR, local echo off)."""
    link = state.link
    if link is None:
        return str(state.baudrate) if state.baudrate else ""
    parts = [link.serial_text]
    if link.line_ending != "CR":
        parts.append(link.line_ending)
    if not local_echo:
        parts.append("no local echo")
    return " ".join(parts)


def status_text(
    state: ModuleState,
    *,
    polling: str = "",
    port_label: str | None = None,
    local_echo: bool = True,
) -> Text:
    """The header's content; a pure function of the state (tested without a UI).
    What matters most comes first, so a narrow terminal cuts the least of it: the
    link, then the radio (registration, signal, RRC, PSM), then the port."""
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
    text.append_text(radio_text(state))
    text.append(f"  {port_label or state.url or '-'}")
    serial = serial_text(state, local_echo=local_echo)
    if serial:
        text.append(f" @{serial}", style="dim")
    known = state.ip is not None or state.cereg is not None or state.identity is not None
    if known and not state.connected:
        # What follows was read before the link went down or out of step.
        text.append("  last known:", style="dim italic")
    text.append(f"  IP {state.ip or '-'}")
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

    #: What the header shows now (a new text equal to it is not drawn again).
    _shown_text: Text | None = None

    def show(
        self,
        state: ModuleState,
        polling: str = "",
        port_label: str | None = None,
        *,
        local_echo: bool = True,
    ) -> None:
        text = status_text(state, polling=polling, port_label=port_label, local_echo=local_echo)
        if text == self._shown_text:
            return  # the same header: no refresh (an idle link's reads change nothing)
        self._shown_text = text
        self.update(text, layout=False)
