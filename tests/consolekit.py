"""Helpers for pilot tests of the console against the simulated module."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from app.console.app import QitermApp
from app.demo.peers import Peers
from app.model.journal import Category
from tests.conftest import sim_url
from widgets.deferred import Deferred


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port the OS says is free now (the simulated module binds host sockets)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_app(peers: Peers | None, **kw: Any) -> tuple[QitermApp, str]:
    name, url = sim_url(peers)
    kw.setdefault("poll_interval", 0.5)
    return QitermApp.for_url(url, 115200, **kw), name


async def until(
    pilot: Pilot[Any],
    predicate: Callable[[], object],
    timeout: float = 8.0,
    message: Callable[[], str] | None = None,
) -> None:
    """Let the app run until ``predicate()`` is true (bounded in time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            extra = f": {message()}" if message is not None else ""
            raise AssertionError(f"condition not met within {timeout} s{extra}")
        await pilot.pause(0.05)


async def ready(pilot: Pilot[Any]) -> QitermApp:
    """The console is connected (in step with the module: its state read) and its
    start-up queries (the last is AT+CGPADDR) have all come back to the UI."""
    app = pilot.app
    assert isinstance(app, QitermApp)

    def settled() -> bool:
        done = [e for e in app.journal.entries if e.text == "AT+CGPADDR" and e.direction == "tx"]
        return (
            app.state.identity is not None
            and bool(done)
            and app.state.connected
            and not app.session.link.busy
        )

    await until(pilot, settled)
    await pilot.pause(0.1)  # the batch with AT+CGPADDR's answer
    return app


def connects(app: QitermApp) -> int:
    """How many times the link came up in step with the module (after each open
    and each reboot, once the module's state was read)."""
    return sum(t.startswith("link connected") for t in log_texts(app, Category.LINK))


def log_texts(app: QitermApp, category: Category | None = None) -> list[str]:
    return [e.text for e in app.journal.entries if category is None or e.category is category]


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = text
    await pilot.pause()


async def command(pilot: Pilot[Any], line: str) -> None:
    """Type a line on the AT command line and press Enter."""
    await type_into(pilot, "#at-input", line)
    await pilot.press("enter")


def tx_lines(app: QitermApp) -> list[str]:
    """Command lines written, without the console's own QISTATE polling."""
    return [
        e.text for e in app.journal.entries if e.category is Category.COMMAND and e.tag != "poll"
    ]


async def settle(pilot: Pilot[Any], seconds: float = 0.2) -> None:
    await asyncio.sleep(seconds)
    await pilot.pause()


async def show_tab(pilot: Pilot[Any], tab: str) -> None:
    """Switch the left pane's tabs and wait until the pane is laid out, its widget
    mounted."""
    app = pilot.app
    if app.query_one("#tabs").active == tab:  # type: ignore[attr-defined]
        return
    # Focus inside the old pane would pull the tabs back to it.
    app.query_one("#tabs Tabs").focus()
    await pilot.pause()
    app.query_one("#tabs").active = tab  # type: ignore[attr-defined]
    pane = app.query_one(f"#{tab}")
    # Laid out, and its widget mounted (a hidden tab's is deferred until shown).
    await until(pilot, lambda: pane.region.width > 0 and not pane.query(Deferred))
    await pilot.pause()


async def click(pilot: Pilot[Any], selector: str) -> None:
    """Click a widget once it is laid out (a fresh tab lays out a frame later) and,
    for a button, once its last press has faded: a button ignores clicks while it
    shows one (the ``-active`` class, a fraction of a second)."""
    widget = pilot.app.screen.query_one(selector)
    await until(pilot, lambda: widget.region.width > 0 and widget.region.height > 0)
    # A button ignores clicks while it shows its last press (Textual's 0.2 s "-active").
    await until(pilot, lambda: not widget.has_class("-active"))
    assert await pilot.click(selector), f"the click on {selector} hit something else"


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (the screen as F12 saves it)."""
    from app.console.screenshot import screen_exports

    return screen_exports(app)[1]


async def press_keys(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, as a person would."""
    await pilot.press(*text)
