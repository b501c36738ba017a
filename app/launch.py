"""Start the console: resolve the port, start the demo peers on the built-in
simulator, open the capture, run the app."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from app.capture.recorder import CaptureRecorder, default_capture_path
from app.demo import Demo, is_builtin_simulator, start_demo

if TYPE_CHECKING:
    from app.console import QitermApp

SIM_URL = "sim://"


def open_capture(log_path: str | None, url: str, baud: int) -> CaptureRecorder | None:
    path = Path(log_path) if log_path else default_capture_path()
    try:
        return CaptureRecorder(path, url=url, baud=baud)
    except OSError as exc:
        print(f"qiterm: cannot write the capture {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def welcome_marker() -> Path:
    """Exists once the welcome panel was shown (it shows on the first start only)."""
    return Path(platformdirs.user_state_dir("qiterm")) / "welcome-seen"


def first_start() -> bool:
    marker = welcome_marker()
    if marker.exists():
        return False
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("The welcome panel was shown; delete this file to see it again.\n")
    except OSError:
        pass  # a read-only home: show the panel, the app still works
    return True


@dataclass
class Console:
    """Everything one console session owns: the app, its capture, the demo peers."""

    app: QitermApp
    capture: CaptureRecorder | None
    demo: Demo | None

    def close(self) -> None:
        if self.demo is not None:
            self.demo.stop()


def prepare_console(
    *,
    port: str | None,
    baud: int,
    log_path: str | None,
    peers: bool = True,
    welcome: bool | None = None,
) -> Console | None:
    """Build the console as ``qiterm`` (and ``make run``) starts it; None when the
    capture asked for cannot be written (the message is printed)."""
    from app.console import QitermApp

    url = port or SIM_URL
    demo: Demo | None = None
    if peers and is_builtin_simulator(port):
        demo = start_demo(url)
        url = demo.url
    capture = open_capture(log_path, url, baud)
    if capture is None and log_path:
        if demo is not None:
            demo.stop()
        return None  # asked for a file we cannot write: say so rather than run unrecorded
    show_welcome = demo is not None and (first_start() if welcome is None else welcome)
    variables: dict[str, str] = {}
    if demo is not None:
        from app.scenario import simulator_variables

        variables = simulator_variables(demo)
    app = QitermApp(
        url,
        baud,
        capture=capture,
        demo=demo.defaults if demo else None,
        peers_info=demo.describe() if demo else None,
        welcome=show_welcome,
        port_label="sim:// built-in simulator" if is_builtin_simulator(port) else None,
        script_variables=variables,
    )
    return Console(app, capture, demo)


def run_console(
    *,
    port: str | None,
    baud: int,
    log_path: str | None,
    peers: bool = True,
    welcome: bool | None = None,
) -> int:
    console = prepare_console(port=port, baud=baud, log_path=log_path, peers=peers, welcome=welcome)
    if console is None:
        return 2
    try:
        console.app.run()
    finally:
        console.close()
    if console.capture is not None:
        print(f"qiterm: session captured in {console.capture.path}", file=sys.stderr)
    return 0
