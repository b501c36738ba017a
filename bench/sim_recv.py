"""The simulator's recv URC output rate under a TCP flood.

A loopback blaster (:class:`app.demo.peers.Peers` with ``blaster=True``) writes a fixed
number of bytes on every connection, as fast as the reader takes them. The module
opens a TCP socket to it (``AT+QIOPEN``) and prints ``+QIURC: "recv"`` URCs of up to
1024 bytes; this benchmark reads the module's output as fast as it can and decodes it
with :class:`app.protocol.StreamDecoder`, counting payload bytes delivered in recv
URCs per second, over two transports measured alternately in the same run:

* ``sim://`` - the module in this process (pyserial URL handler, in-memory sink);
* ``pty`` - ``qiterm sim --pty`` in a child process, read with pyserial on the pty.

Timing starts once ``WARMUP`` payload bytes have arrived (past what the module's
256 KiB output buffer held before reading began) and stops at the last byte, so the
figure is the steady rate. Each repetition is one flood on a fresh connection; the
figure is the median repetition, the spread the lowest and highest.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import serial

import app.sim  # noqa: F401  (registers sim://)
from app.demo.peers import Peers
from app.protocol import StreamDecoder
from app.protocol import events as ev
from app.sim import registry
from bench.common import LINE_RATE, MB, Figure, say, start_sim_child, stop_child, throughput_figure

NAME = "sim_recv"
AIM = 20.0  # x line rate over sim://: the simulator must never be the bottleneck
FLOOD_DEADLINE_S = 30.0


class _Reader:
    """Reads the module's output, decodes it, and waits for events (all bounded)."""

    def __init__(self, port: Any) -> None:
        self.port = port
        self.decoder = StreamDecoder()
        self.pending: list[ev.Event] = []

    def command(self, line: str) -> None:
        self.port.write(line.encode("ascii") + b"\r")

    def until(self, want: type[ev.Event], text: str = "", timeout: float = 10.0) -> ev.Event:
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                event = self.pending.pop(0)
                if isinstance(event, want) and text in event.text:
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {want.__name__} {text!r} within {timeout} s")
            data = self.port.read(max(1, self.port.in_waiting))
            if data:
                self.pending += self.decoder.feed(data)

    def flood(self, total: int, warmup: int) -> tuple[float, float, int]:
        """Read recv URCs until ``total`` payload bytes; return (payload B/s, wire B/s,
        URC count) over the part after the first ``warmup`` bytes."""
        port = self.port
        got = 0
        wire = 0
        urcs = 0
        t_start = 0.0
        wire_start = got_start = 0
        for event in self.pending:
            if isinstance(event, ev.QiUrcRecv):
                got += len(event.data)
        self.pending = [e for e in self.pending if not isinstance(e, ev.QiUrcRecv)]
        feed = self.decoder.feed
        deadline = time.monotonic() + FLOOD_DEADLINE_S
        while got < total:
            data = port.read(max(1, port.in_waiting))
            wire += len(data)
            for event in feed(data):
                if isinstance(event, ev.QiUrcRecv):
                    if event.hex_payload is not False or event.length_mismatch:
                        raise AssertionError(f"unexpected recv URC {event.raw[:60]!r}")
                    got += len(event.data)
                    urcs += 1
                else:
                    self.pending.append(event)
            if not t_start and got >= warmup:
                t_start = time.perf_counter()
                wire_start, got_start = wire, got
            if time.monotonic() > deadline:
                raise TimeoutError(f"flood: {got:,} of {total:,} bytes in {FLOOD_DEADLINE_S} s")
        elapsed = time.perf_counter() - t_start
        return (got - got_start) / elapsed, (wire - wire_start) / elapsed, urcs

    def raw_flood(self, warmup: int) -> tuple[float, int]:
        """Read without decoding until the ``+QIURC: "closed"`` that ends the flood;
        return (wire B/s after the first ``warmup`` bytes, total wire bytes). The
        blaster's pattern is printable ASCII without line ends, so the marker cannot
        occur inside a payload."""
        port = self.port
        wire = 0
        tail = b""
        t_start = 0.0
        wire_start = 0
        t_last = 0.0
        deadline = time.monotonic() + FLOOD_DEADLINE_S
        while True:
            data = port.read(max(1, port.in_waiting))
            if data:
                wire += len(data)
                t_last = time.perf_counter()
                if not t_start and wire >= warmup:
                    t_start = t_last
                    wire_start = wire
                tail = (tail + data[-64:])[-64:]
                if _CLOSED in tail:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"raw flood: {wire:,} bytes in {FLOOD_DEADLINE_S} s")
        # The decoder saw none of this: start it afresh for the commands that follow.
        self.decoder = StreamDecoder()
        self.pending = [e for e in self.pending if not isinstance(e, ev.QiUrcRecv)]
        return (wire - wire_start) / (t_last - t_start), wire


_CLOSED = b'+QIURC: "closed",0\r\n'


def _one_flood(
    reader: _Reader, blaster: tuple[str, int], total: int, warmup: int, *, decode: bool
) -> float:
    host, port = blaster
    reader.command(f'AT+QIOPEN=0,0,"TCP","{host}",{port},0,1')
    reader.until(ev.Ok)
    opened = reader.until(ev.QiOpenResult)
    if not opened.text.endswith(",0"):
        raise RuntimeError(f"AT+QIOPEN failed: {opened.text}")
    if decode:
        rate, wire, _urcs = reader.flood(total, warmup)
        reader.until(ev.QiUrcClosed)  # the blaster closes after its bytes
        say(f"    {rate / MB:6.1f} MB/s payload ({wire / MB:.1f} MB/s on the wire)")
    else:
        rate, _total_wire = reader.raw_flood(warmup)
        say(f"    {rate / MB:6.1f} MB/s on the wire, not decoded")
    reader.command("AT+QICLOSE=0")
    reader.until(ev.CloseOk)
    return rate


def _key(which: str, decode: bool) -> str:
    return which if decode else f"{which}.raw"


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 3 if quick else 5
    total = (2 if quick else 8) * 1024 * 1024
    warmup = (512 if quick else 1024) * 1024
    say(
        f"sim_recv: {total // 1024 // 1024} MiB floods, timing after {warmup // 1024} KiB, "
        f"{rounds} rounds alternating sim:// and pty"
    )
    variants = (("sim", True), ("pty", True), ("sim", False), ("pty", False))
    rates: dict[str, list[float]] = {_key(w, d): [] for w, d in variants}
    name = f"bench-recv-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        peers = Peers(tcp_echo=False, udp_echo=False, ntp=False, dns=False, blaster=True).start()
        stack.callback(peers.stop)
        peers.blaster_bytes = total
        assert peers.blaster is not None

        sim_port = serial.serial_for_url(f"sim://{name}?echo=0", timeout=0.05)
        stack.callback(registry.destroy, name)
        stack.callback(sim_port.close)

        proc, path = start_sim_child("--pty", "--no-echo")
        stack.callback(stop_child, proc)
        pty_port = serial.Serial(path, 921_600, timeout=0.05)
        stack.callback(pty_port.close)

        readers = {"sim": _Reader(sim_port), "pty": _Reader(pty_port)}
        for reader in readers.values():  # both answer before the clock matters
            reader.command("AT")
            reader.until(ev.Ok)
        for r in range(rounds):
            shift = r % len(variants)
            for which, decode in variants[shift:] + variants[:shift]:
                say(f"  round {r + 1} {_key(which, decode)}:")
                rate = _one_flood(readers[which], peers.blaster, total, warmup, decode=decode)
                rates[_key(which, decode)].append(rate)

    figures = {
        "sim": throughput_figure(
            "sim", "recv payload over sim:// (in process)", rates["sim"], aim_ratio=AIM
        ),
        "pty": throughput_figure(
            "pty", "recv payload over qiterm sim --pty (child process)", rates["pty"]
        ),
        "sim.raw": throughput_figure(
            "sim.raw", "module output over sim://, wire bytes, not decoded", rates["sim.raw"]
        ),
        "pty.raw": throughput_figure(
            "pty.raw", "module output over the pty, wire bytes, not decoded", rates["pty.raw"]
        ),
    }
    for fig in figures.values():
        say(f"  {fig.label:<52} {fig.value_text():>26}  {fig.ratio_text()}")
    say(f"  (line rate {LINE_RATE:,} B/s = 921,600 baud 8N1)")
    return figures
