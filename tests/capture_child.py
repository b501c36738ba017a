"""Helper for the SIGKILL test: a session that records a flood of recv URCs.

Usage: ``python tests/capture_child.py CAPTURE_PATH [MAX_URCS] [MAX_SECONDS]``

Starts a SerialWorker on a ScriptedPort with a CaptureRecorder, prints
``ready``, then injects ``+QIURC: "recv"`` frames (see :func:`urc`) until
MAX_URCS were sent or MAX_SECONDS passed, and exits cleanly. The test kills it
with SIGKILL part-way and checks what reached the file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.capture.recorder import CaptureRecorder  # noqa: E402
from app.link.worker import SerialWorker  # noqa: E402
from tests.fakeport import PortFactory, ScriptedPort  # noqa: E402

URL = "fake://flood"
BAUD = 921600
#: Keep the fake port's receive buffer bounded: wait while this much is unread.
BACKLOG = 256 * 1024


def urc(i: int) -> bytes:
    """The i-th frame: a recv URC whose payload holds its number, CR LF, a quote
    and a non-UTF-8 byte (so the capture's "x" form is exercised too)."""
    payload = f"#{i:07d}".encode() + (b'\r\n"\xff' if i % 3 == 0 else b",ok")
    return b'\r\n+QIURC: "recv",0,%d,"%s"\r\n' % (len(payload), payload)


def main(argv: list[str]) -> int:
    path = argv[1]
    max_urcs = int(argv[2]) if len(argv) > 2 else 200_000
    max_seconds = float(argv[3]) if len(argv) > 3 else 20.0
    port = ScriptedPort({r"AT": b"\r\nOK\r\n"})
    recorder = CaptureRecorder(path, url=URL, baud=BAUD)
    worker = SerialWorker(
        URL,
        BAUD,
        recorder=recorder,
        port_factory=PortFactory(lambda: port),
        init=False,
        reconnect=False,
    )
    worker.start()
    if not worker.wait_connected(5):
        print("not connected", flush=True)
        return 1
    print("ready", flush=True)
    deadline = time.monotonic() + max_seconds
    i = 0
    while i < max_urcs and time.monotonic() < deadline:
        if port.in_waiting > BACKLOG:
            time.sleep(0.001)
            continue
        port.inject(b"".join(urc(n) for n in range(i, i + 50)))
        i += 50
    worker.close()
    recorder.close()
    print(f"done {i}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
