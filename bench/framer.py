"""Framer + parser throughput on a realistic stream of module output.

Two streams, both generated from a fixed seed so every run decodes the same bytes:

* **mix** - what an interactive session with traffic looks like: every non-recv line
  of ``tests/protocol_samples.py`` (echoes, OK, SEND OK, +QISTATE rows, +QPING lines,
  +QIOPEN, +CME ERROR, prompts ...) interleaved with generated ``+QIURC: "recv"``
  URCs: text payloads of 1-1024 bytes holding CR, LF, quotes, commas and non-UTF-8
  bytes, hex payloads of up to 512 bytes, some with ``<recv_ip>,<recv_port>``;
  plus whole exchanges (AT+QISTATE? with several rows, data-mode AT+QISEND, AT+QPING).
* **flood** - what the simulator prints under a TCP flood: back-to-back 1024-byte
  text recv URCs (the blaster's printable ASCII pattern, quotes included).

Each is fed to :class:`app.protocol.StreamDecoder` (framer + parser) in chunks of
64 B, 1 KiB and 16 KiB, and to the framer alone; the parser alone runs over the mix's
frames made beforehand. Repetitions are interleaved (every variant once per round,
the order rotated each round); the figure is the median round and the spread the
lowest and highest. Before timing, every chunking is checked to decode the same
events with the exact recv count and payload bytes the generator made.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from app.protocol import StreamDecoder
from app.protocol import events as ev
from app.protocol.framing import Frame, Framer
from app.protocol.parse import parse_frame
from bench.common import Figure, say, throughput_figure

NAME = "framer"
CHUNKS = (64, 1024, 16384)
AIM = 50.0  # x line rate: the framer must stay far ahead of any real UART

_SPECIALS = b'\r\n",\x00\xff\x1a>'
_PRINTABLE = bytes(range(0x20, 0x7F))
_TEXT_SIZES = (1, 5, 16, 48, 64, 128, 200, 256, 512, 1024)
_TEXT_WEIGHTS = (4, 6, 8, 6, 8, 6, 4, 4, 3, 3)
_HEX_SIZES = (1, 8, 32, 100, 256, 512)
_HEX_WEIGHTS = (2, 6, 6, 4, 2, 1)


@dataclass(frozen=True)
class Stream:
    name: str
    data: bytes
    recv_count: int
    recv_bytes: int
    #: Bytes that belong to recv URCs (header, payload, terminators).
    recv_wire: int


def _recv_urc(rng: random.Random, hex_mode: bool) -> tuple[bytes, int]:
    """One generated ``+QIURC: "recv"`` URC and its payload length."""
    if hex_mode:
        n = rng.choices(_HEX_SIZES, _HEX_WEIGHTS)[0]
        payload = bytes(rng.getrandbits(8) for _ in range(n))
        body = payload.hex().upper().encode("ascii")
    else:
        n = rng.choices(_TEXT_SIZES, _TEXT_WEIGHTS)[0]
        body = bytes(
            rng.choice(_SPECIALS) if rng.random() < 0.08 else rng.choice(_PRINTABLE)
            for _ in range(n)
        )
    cid = rng.randrange(5)
    head = f'+QIURC: "recv",{cid},{n},'
    roll = rng.random()
    if roll < 0.15:
        head += f'"127.0.0.1",{rng.randrange(1024, 65536)},'  # showRA=1 / UDP SERVICE
    elif roll < 0.20:
        head += f' "10.0.{rng.randrange(256)}.{rng.randrange(256)}",{rng.randrange(1, 65536)},'
    if rng.random() < 0.9:  # chapter 4 prints <data> quoted; the framer takes bare too
        body = b'"' + body + b'"'
    elif body[:1] in (b'"', b" "):
        # Bare data that starts with a quote or a space reads as another form: the
        # framer (rightly) cannot tell, so the generator does not make it.
        body = b"x" + body[1:]
    return b"\r\n" + head.encode("ascii") + body + b"\r\n", n


def _exchange(rng: random.Random) -> bytes:
    """A whole command exchange as the module prints it with echo on (ATE1)."""
    kind = rng.randrange(5)
    if kind == 0:
        rows = [
            f'+QISTATE: {i},"TCP","127.0.0.1",{rng.randrange(1, 65536)},'
            f"{rng.randrange(1, 65536)},2,0,1"
            for i in range(rng.randrange(1, 6))
        ]
        return b"AT+QISTATE?\r\r\n" + "\r\n".join(rows).encode() + b"\r\n\r\nOK\r\n"
    if kind == 1:
        text = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(40))
        return b"AT+QISEND=0\r\r\n> " + text + b"\r\nOK\r\n\r\nSEND OK\r\n"
    if kind == 2:
        replies = b"".join(
            f'\r\n+QPING: 0,"127.0.0.1",32,{rng.randrange(1, 900)},255\r\n'.encode()
            for _ in range(4)
        )
        return (
            b'AT+QPING=0,"127.0.0.1",4,4\r\r\nOK\r\n'
            + replies
            + b"\r\n+QPING: 0,4,4,0,12,870,233\r\n"
        )
    if kind == 3:
        return b'AT+QISEND=1,5,"hello"\r\r\nOK\r\n\r\nSEND OK\r\n'
    return b"AT\r\r\nOK\r\n"


def build_mix(size: int, seed: int = 660) -> Stream:
    from tests.protocol_samples import SAMPLES

    lines = [raw for raw, kind in SAMPLES if kind is not ev.QiUrcRecv]
    rng = random.Random(seed)
    parts: list[bytes] = []
    total = count = payload = wire = 0
    while total < size:
        roll = rng.random()
        if roll < 0.45:
            piece, n = _recv_urc(rng, hex_mode=rng.random() < 0.2)
            count += 1
            payload += n
            wire += len(piece)
        elif roll < 0.65:
            piece = _exchange(rng)
        else:
            piece = rng.choice(lines)
        parts.append(piece)
        total += len(piece)
    return Stream("mix", b"".join(parts), count, payload, wire)


def build_flood(size: int) -> Stream:
    pattern = _PRINTABLE * (1024 // len(_PRINTABLE) + 2)
    parts: list[bytes] = []
    total = count = 0
    while total < size:
        offset = (count * 1024) % len(_PRINTABLE)
        body = pattern[offset : offset + 1024]
        parts.append(b'\r\n+QIURC: "recv",0,1024,"' + body + b'"\r\n')
        total += len(parts[-1])
        count += 1
    return Stream("flood", b"".join(parts), count, count * 1024, total)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _check(stream: Stream, chunk: int) -> list[ev.Event]:
    """Decode ``stream`` in ``chunk``-byte pieces and check the recv URCs came out whole."""
    decoder = StreamDecoder()
    events: list[ev.Event] = []
    for piece in chunked(stream.data, chunk):
        events += decoder.feed(piece)
    events += decoder.flush()
    recv = [e for e in events if isinstance(e, ev.QiUrcRecv)]
    got = sum(len(e.payload()) for e in recv)
    bad = [e for e in recv if e.length_mismatch or e.hex_payload is None]
    if len(recv) != stream.recv_count or got != stream.recv_bytes or bad:
        raise AssertionError(
            f"{stream.name}/{chunk}: {len(recv)} recv URCs ({got} bytes, {len(bad)} bad); "
            f"expected {stream.recv_count} ({stream.recv_bytes} bytes)"
        )
    if sum(len(e.raw) for e in events) != len(stream.data):
        raise AssertionError(f"{stream.name}/{chunk}: raw bytes do not add up")
    return events


def _time_decoder(pieces: list[bytes]) -> float:
    decoder = StreamDecoder()
    feed = decoder.feed
    t0 = time.perf_counter()
    for piece in pieces:
        feed(piece)
    decoder.flush()
    return time.perf_counter() - t0


def _time_framer(pieces: list[bytes]) -> float:
    framer = Framer()
    feed = framer.feed
    t0 = time.perf_counter()
    for piece in pieces:
        feed(piece)
    framer.flush()
    return time.perf_counter() - t0


def _time_parser(frames: list[Frame]) -> float:
    t0 = time.perf_counter()
    for frame in frames:
        parse_frame(frame)
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict[str, Figure]:
    rounds = 3 if quick else 7
    mix = build_mix(48 * 1024 if quick else 256 * 1024)
    flood = build_flood(256 * 1024 if quick else 2 * 1024 * 1024)
    say(
        f"framer: mix {len(mix.data):,} B ({mix.recv_count} recv URCs, "
        f"{100 * mix.recv_wire / len(mix.data):.0f}% of bytes in recv URCs, "
        f"{mix.recv_bytes:,} payload bytes); flood {len(flood.data):,} B "
        f"({flood.recv_count} x 1024-byte recv URCs); {rounds} interleaved rounds"
    )
    for stream in (mix, flood):
        for chunk in CHUNKS:
            _check(stream, chunk)
    mix_events = len(_check(mix, len(mix.data)))
    framer_once = Framer()
    mix_frames = framer_once.feed(mix.data) + framer_once.flush()

    # (key, label, bytes, timed callable)
    variants: list[tuple[str, str, int, Callable[[], float]]] = []
    for chunk in CHUNKS:
        pieces = chunked(mix.data, chunk)
        variants.append(
            (
                f"decoder.mix.{chunk}",
                f"framer+parser, mix, {_size(chunk)} chunks",
                len(mix.data),
                partial(_time_decoder, pieces),
            )
        )
        variants.append(
            (
                f"framer.mix.{chunk}",
                f"framer alone, mix, {_size(chunk)} chunks",
                len(mix.data),
                partial(_time_framer, pieces),
            )
        )
    variants.append(
        (
            "parser.mix",
            "parser alone, mix (frames made beforehand)",
            len(mix.data),
            partial(_time_parser, mix_frames),
        )
    )
    for chunk in CHUNKS:
        pieces = chunked(flood.data, chunk)
        variants.append(
            (
                f"decoder.flood.{chunk}",
                f"framer+parser, flood, {_size(chunk)} chunks",
                len(flood.data),
                partial(_time_decoder, pieces),
            )
        )

    rates: dict[str, list[float]] = {key: [] for key, *_ in variants}
    for r in range(rounds):
        shift = r % len(variants)
        for key, _label, size, fn in variants[shift:] + variants[:shift]:
            gc.collect()
            rates[key].append(size / fn())

    figures: dict[str, Figure] = {}
    for key, label, *_rest in variants:
        headline = key.startswith("decoder.mix")
        figures[key] = throughput_figure(
            key, label, rates[key], aim_ratio=AIM if headline else None
        )
    for fig in figures.values():
        say(f"  {fig.label:<48} {fig.value_text():>28}  {fig.ratio_text()}")
    per_s = statistics.median(mix_events * r / len(mix.data) for r in rates["decoder.mix.1024"])
    say(
        f"  mix: {mix_events:,} events, {len(mix_frames):,} frames; framer+parser at 1 KiB "
        f"chunks: {per_s:,.0f} events/s ({1e6 / per_s:.1f} us/event); "
        f"mean event {len(mix.data) / mix_events:.0f} B"
    )
    return figures


def _size(n: int) -> str:
    return f"{n // 1024} KiB" if n >= 1024 else f"{n} B"
