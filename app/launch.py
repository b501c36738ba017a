"""Start the console: resolve the port, open the capture, run the app."""

from __future__ import annotations

import sys
from pathlib import Path

from app.capture.recorder import CaptureRecorder, default_capture_path

SIM_URL = "sim://"


def open_capture(log_path: str | None, url: str, baud: int) -> CaptureRecorder | None:
    path = Path(log_path) if log_path else default_capture_path()
    try:
        return CaptureRecorder(path, url=url, baud=baud)
    except OSError as exc:
        print(f"qiterm: cannot write the capture {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def run_console(*, port: str | None, baud: int, log_path: str | None) -> int:
    from app.console import QitermApp

    url = port or SIM_URL
    capture = open_capture(log_path, url, baud)
    if capture is None and log_path:
        return 2  # asked for a file we cannot write: say so rather than run unrecorded
    app = QitermApp(url, baud, capture=capture)
    app.run()
    if capture is not None:
        print(f"qiterm: session captured in {capture.path}", file=sys.stderr)
    return 0
