"""Leave when the terminal hangs up, or when asked to terminate.

When the window closes or an ssh session drops, the kernel normally ends the
program with SIGHUP. Started under ``nohup`` (or by a tool that ignores the
signal) it lives on with a dead terminal, and Textual's input thread then reads
end of file in a tight loop, at 100% CPU, forever (Textual PR #6690). Every
qiterm app watches its terminal and exits when it has hung up.

SIGTERM (``kill``, a service manager, a closing tmux) ends an app as Ctrl+Q does:
Textual restores the terminal (cooked mode, the normal screen), the link closes
and the capture's last record says so. Python's default would end the process at
once, the terminal left raw on the alternate screen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import threading
from typing import Any

from textual.app import App

log = logging.getLogger(__name__)

#: The exit code, as if SIGHUP had ended the program (128 + 1).
HANGUP_EXIT = 129
#: The exit code, as if SIGTERM had ended the program (128 + 15).
TERMINATE_EXIT = 143


def watch_hangup(app: App[Any], interval: float = 0.25) -> bool:
    """Check the terminal every ``interval`` s; True when watching (not headless,
    stdin a terminal). Only the hang-up bits are read: typed input stays for Textual."""
    poll = getattr(select, "poll", None)  # POSIX only: Windows has no poll() on a console
    if app.is_headless or poll is None:
        return False
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
    try:
        if not os.isatty(0):
            return False
        terminal = poll()
        terminal.register(0, select.POLLIN)
    except (OSError, ValueError):
        return False

    def check() -> None:
        try:
            hung_up = any(events & gone for _, events in terminal.poll(0))
        except OSError:
            hung_up = True
        if hung_up:
            timer.stop()
            log.warning("the terminal hung up: leaving")
            app.exit(return_code=HANGUP_EXIT)

    timer = app.set_interval(interval, check, name="hang-up watch")
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
