"""A paced loopback TCP flood source, run as a child process by the benchmarks.

``python -m bench.pacer RATE [--lifetime S] [--chunk N]`` listens on 127.0.0.1
(ephemeral port), prints ``HOST PORT`` and serves one connection at a time: it
writes the blaster's printable-ASCII pattern at RATE bytes/s (a chunk whenever the
schedule allows; behind schedule it catches up at most one second's worth) until
the other end closes. It exits after ``--lifetime`` seconds, when its parent goes
away, or on SIGTERM. In a process of its own, so its pacing costs the measured
process nothing.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import sys
import time

PATTERN = bytes(range(0x20, 0x7F))


def serve_one(conn: socket.socket, rate: float, chunk: int, until: float, parent: int) -> None:
    data = PATTERN * (chunk // len(PATTERN) + 2)
    offset = 0
    sent = 0
    start = time.monotonic()
    conn.setblocking(True)
    conn.settimeout(1.0)
    while time.monotonic() < until and os.getppid() == parent:
        due = start + sent / rate
        now = time.monotonic()
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        if now - due > 1.0:  # far behind (the reader stalled): do not burst it all
            start = now - sent / rate - 1.0
        piece = data[offset : offset + chunk]
        try:
            conn.sendall(piece)
        except TimeoutError:
            continue
        except OSError:
            return
        sent += len(piece)
        offset = (offset + len(piece)) % len(PATTERN)
        readable, _, _ = select.select([conn], [], [], 0)
        if readable:
            try:
                if not conn.recv(4096):
                    return  # the module closed the socket
            except OSError:
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pacer")
    parser.add_argument("rate", type=float, help="bytes per second")
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds before exiting")
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per write")
    args = parser.parse_args(argv)
    parent = os.getppid()
    until = time.monotonic() + args.lifetime
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        host, port = server.getsockname()
        print(f"{host} {port}", flush=True)
        server.settimeout(0.5)
        while time.monotonic() < until and os.getppid() == parent:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                serve_one(conn, args.rate, args.chunk, until, parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
