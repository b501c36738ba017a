"""How fast the SerialWorker takes in a flood of recv URCs (port -> worker -> events).

The first stage of the full pipeline (port -> capture -> UI log), measured on its own
because the capture and the UI are not wired to it yet: a ``SerialWorker``
(``init=False``, no recorder) opens a TCP socket on the simulated module to the
loopback blaster; a subscriber counts the payload bytes of the ``+QIURC: "recv"``
events it publishes. The rate is taken from the events' own receive stamps
(``Rx.mono``, set on the worker thread as each frame is parsed), not from when the
dispatcher delivers its batches, from the first stamp past ``WARMUP`` to the last.

Transports, alternated round by round: ``sim://`` (in process), ``qiterm sim --pty``
and ``qiterm sim --tcp`` (``socket://``), the last two in child processes. The
``socket://`` flood is small: pyserial's ``socket://`` reports ``in_waiting`` as 0 or
1 (it only polls the socket), so the worker's read loop takes at most two bytes per
pass, and a big flood would take minutes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field

import app.sim  # noqa: F401  (registers sim://)
from app.demo.peers import Peers
from app.link.results import LinkEvent, Outcome, Rx
from app.link.worker import SerialWorker
from app.protocol import commands as c
from app.protocol import events as ev
from app.sim import registry
from bench.common import MB, Figure, say, start_sim_child, stop_child, throughput_figure

NAME = "ingest"
FLOOD_DEADLINE_S = 30.0
COMMAND_WAIT_S = 6.0


@dataclass
class _Counter:
    """Subscriber state: payload bytes and receive stamps of the current flood."""

    warmup: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    got: int = 0
    at_warm: int = 0
    t_warm: float = 0.0
    t_last: float = 0.0
    closed: threading.Event = field(default_factory=threading.Event)

    def reset(self, warmup: int) -> None:
        with self.lock:
            self.warmup = warmup
            self.got = self.at_warm = 0
            self.t_warm = self.t_last = 0.0
            self.closed.clear()

    def __call__(self, batch: list[LinkEvent]) -> None:
        with self.lock:
            for item in batch:
                if not isinstance(item, Rx):
                    continue
                event = item.event
                if isinstance(event, ev.QiUrcRecv):
                    self.got += len(event.data)
                    self.t_last = item.mono
                    if not self.t_warm and self.got > self.warmup:
                        self.t_warm = item.mono
                        self.at_warm = self.got
                elif isinstance(event, ev.QiUrcClosed):
                    self.closed.set()

    def rate(self) -> float:
        with self.lock:
            span = self.t_last - self.t_warm
            if not self.t_warm or span <= 0:
                raise RuntimeError(f"flood too short to time ({self.got} bytes)")
            return (self.got - self.at_warm) / span


def _flood(worker: SerialWorker, counter: _Counter, peers: Peers, total: int, warmup: int) -> float:
    assert peers.blaster is not None
    host, port = peers.blaster
    counter.reset(warmup)
    peers.blaster_bytes = total
    command = c.qiopen(connect_id=0, service_type="TCP", host=host, remote_port=port)
    opened = worker.submit(command).result(COMMAND_WAIT_S)
    if opened.outcome is not Outcome.OK:
        raise RuntimeError(f"AT+QIOPEN: {opened.outcome.value} {opened.detail}")
    if not counter.closed.wait(FLOOD_DEADLINE_S):
        raise TimeoutError(f"flood: {counter.got:,} of {total:,} bytes in {FLOOD_DEADLINE_S} s")
    rate = counter.rate()
    closed = worker.submit(c.qiclose(0)).result(COMMAND_WAIT_S)
    if closed.outcome is not Outcome.OK:
        raise RuntimeError(f"AT+QICLOSE: {closed.outcome.value} {closed.detail}")
    if counter.got != total:
        raise AssertionError(f"flood: {counter.got:,} of {total:,} payload bytes arrived")
    say(f"    {rate / MB:8.3f} MB/s payload ({counter.got:,} bytes)")
    return rate


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 3 if quick else 5
    big = (1 if quick else 8) * 1024 * 1024
    big_warmup = (256 if quick else 1024) * 1024
    small = (8 if quick else 32) * 1024
    plan = {  # transport: (flood bytes, warm-up bytes)
        "sim": (big, big_warmup),
        "pty": (big, big_warmup),
        "socket": (small, 1024),
    }
    say(
        f"ingest: SerialWorker under a flood; {big // 1024:,} KiB over sim:// and the "
        f"pty, {small // 1024} KiB over socket://; {rounds} rounds"
    )
    rates: dict[str, list[float]] = {key: [] for key in plan}
    name = f"bench-ingest-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
        stack.callback(peers.stop)
        stack.callback(registry.destroy, name)
        pty_proc, pty_path = start_sim_child("--pty", "--no-echo")
        stack.callback(stop_child, pty_proc)
        tcp_proc, tcp_url = start_sim_child("--tcp", "127.0.0.1:0", "--no-echo")
        stack.callback(stop_child, tcp_proc)
        urls = {"sim": f"sim://{name}?echo=0", "pty": pty_path, "socket": tcp_url}
        workers: dict[str, tuple[SerialWorker, _Counter]] = {}
        for key, url in urls.items():
            worker = SerialWorker(url, init=False, reconnect=False, name=f"bench-{key}")
            counter = _Counter(0)
            worker.subscribe(counter)
            stack.callback(worker.close)
            worker.start()
            if not worker.wait_connected(5.0):
                raise RuntimeError(f"{url}: {worker.status.message}")
            for _ in range(5):  # a pty server may notice the new client late
                if worker.submit(c.at()).result(COMMAND_WAIT_S).outcome is Outcome.OK:
                    break
            else:
                raise RuntimeError(f"{url}: the module never answered AT")
            workers[key] = (worker, counter)
        keys = list(plan)
        for r in range(rounds):
            shift = r % len(keys)
            for key in keys[shift:] + keys[:shift]:
                say(f"  round {r + 1} {key}:")
                worker, counter = workers[key]
                total, warmup = plan[key]
                rates[key].append(_flood(worker, counter, peers, total, warmup))

    labels = {
        "sim": "SerialWorker ingest, sim:// (in process)",
        "pty": "SerialWorker ingest, qiterm sim --pty (child process)",
        "socket": "SerialWorker ingest, qiterm sim --tcp, socket:// (child process)",
    }
    figures = {key: throughput_figure(key, labels[key], rates[key]) for key in plan}
    for fig in figures.values():
        say(f"  {fig.label:<62} {fig.value_text():>26}  {fig.ratio_text()}")
    return figures
