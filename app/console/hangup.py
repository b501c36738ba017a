"""Leave when the terminal hangs up, or when asked to terminate.

When the window closes or an ssh session drops, the kernel normally ends the
program with SIGHUP. Started under ``nohup`` (or by a tool that ignores the
signal) it lives on with a dead terminal, and Textual's input thread (in the
versions qiterm is built on) then reads end of file in a tight loop, at 100% CPU,
forever. Every qiterm app watches its terminal and exits when it has hung up.

SIGTERM (``kill``, a service manager, a closing tmux) ends an app as Ctrl+Q does:
Textual restores the terminal (cooked mode, the normal screen), the link closes
and the capture's last record says so. Python's default would end the process at
once, the terminal left raw on the alternate screen.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import operator
import os
import select
import signal
import threading
import weakref
from typing import Any

from textual.app import App

log = logging.getLogger(__name__)

#: The exit code, as if SIGHUP had ended the program (128 + 1).
HANGUP_EXIT = 129
#: The exit code, as if SIGTERM had ended the program (128 + 15).
TERMINATE_EXIT = 143


#: What poll() reports for a terminal that has gone. POSIX only: on Windows the
#: select module has neither poll() nor these bits, and nothing here is watched.
_GONE = functools.reduce(
    operator.or_, (getattr(select, name, 0) for name in ("POLLHUP", "POLLERR", "POLLNVAL"))
)


class _Watch:
    """One thread per process, blocked in ``poll()`` on the terminal with no event
    asked for: the kernel reports a hang-up (POLLHUP, POLLERR, POLLNVAL) whatever
    is asked, so the thread wakes once, when the terminal has gone, and typed input
    is left to Textual. (A timer checking a few times a second woke an idle
    console for nothing.) It exits the app watched at that moment (the picker,
    then the console, run one after the other); an app that starts after the
    hang-up is exited at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app: weakref.ref[App[Any]] | None = None
        self._thread: threading.Thread | None = None
        self.hung_up = False

    def watch(self, app: App[Any], terminal: Any) -> None:
        with self._lock:
            self._app = weakref.ref(app)
            hung_up = self.hung_up
            if self._thread is None and not hung_up:
                self._thread = threading.Thread(
                    target=self._run, args=(terminal,), name="qiterm-hangup", daemon=True
                )
                self._thread.start()
        if hung_up:
            _leave(app)

    def _run(self, terminal: Any) -> None:
        while True:
            try:
                ready = terminal.poll()
            except OSError:
                break  # the terminal cannot be polled any more: as good as gone
            if any(events & _GONE for _, events in ready):
                break
        with self._lock:
            self.hung_up = True
            app = None if self._app is None else self._app()
        if app is not None:
            try:
                app.call_from_thread(_leave, app)
            except RuntimeError:
                pass  # that app has stopped; the next one to watch leaves at once


def _leave(app: App[Any]) -> None:
    log.warning("the terminal hung up: leaving")
    app.exit(return_code=HANGUP_EXIT)


_watch = _Watch()


def watch_hangup(app: App[Any]) -> bool:
    """Exit ``app`` (code 129) when the terminal hangs up; True when watching (not
    headless, stdin a terminal, POSIX). Only the hang-up bits are read: typed
    input stays for Textual."""
    poll = getattr(select, "poll", None)  # POSIX only: Windows has no poll() on a console
    if app.is_headless or poll is None:
        return False
    try:
        if not os.isatty(0):
            return False
        terminal = poll()
        terminal.register(0, 0)  # no event asked: only the hang-up bits are reported
    except (OSError, ValueError):
        return False
    _watch.watch(app, terminal)
    return True


def exit_on_terminate(app: App[Any]) -> bool:
    """SIGTERM exits ``app`` cleanly, as Ctrl+Q does (exit code 143); True when the
    handler is in place (a running app, in the main thread, on POSIX)."""
    if app.is_headless or threading.current_thread() is not threading.main_thread():
        return False

    def terminate() -> None:
        log.warning("SIGTERM: leaving")
        app.exit(return_code=TERMINATE_EXIT)

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True
