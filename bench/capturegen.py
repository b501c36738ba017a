"""A made-up but lifelike capture of any length, for the export benchmark and tests.

It reads like a long console session: the console's start-up queries (tagged
``init``), AT+QISTATE? polling every 2 s (tagged ``poll``, most of the lines, as
in real sessions), and between polls the user's work on five sockets: opens
(now and then one that fails with 566), sends with ``SEND OK``, echoed
``+QIURC: "recv"`` URCs, closes, and every so often a note or a marker. Every
record is what :class:`~app.capture.recorder.CaptureRecorder` writes; times
advance as in a real session, from a fixed start. Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
URL = "/dev/ttyUSB0"
#: The socket peer and the module's address (loopback: nothing is ever sent).
PEER = "127.0.0.1"
MODULE_IP = "127.0.0.2"
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789 "


class _Session:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seq = 0
        self.t = START_US
        self.cmd = 0
        self.markers = 0
        self.open: set[int] = set()

    def record(self, rtype: str, **fields: Any) -> dict[str, Any]:
        self.t += self.rng.randint(200, 2_000)
        rec = {"seq": self.seq, "type": rtype, "t": self.t, "m": self.t - START_US, **fields}
        self.seq += 1
        return rec

    def exchange(
        self,
        line: str,
        answer: list[str],
        tag: str,
        *,
        final: str = "OK",
        deferred: str = "",
        code: int | None = None,
        outcome: str = "ok",
    ) -> Iterator[dict[str, Any]]:
        self.cmd += 1
        cmd = self.cmd
        base = {"cmd": cmd, "tag": tag}
        yield self.record("tx", what="command", d=line + "\r", **base)
        yield self.record("rx", kind="echo", role="echo", d=line + "\r", **base)
        for text in answer:
            yield self.record("rx", kind="text", role="response", d=f"\r\n{text}\r\n", **base)
        kind = {"OK": "ok", "SEND OK": "send_ok", "CLOSE OK": "close_ok"}.get(final, "error")
        if final in ("SEND OK", "CLOSE OK"):
            yield self.record("rx", kind="ok", role="final", d="\r\nOK\r\n", **base)
        yield self.record("rx", kind=kind, role="final", d=f"\r\n{final}\r\n", **base)
        if deferred:
            yield self.record(
                "rx", kind="deferred.qiopen", role="deferred", d=f"\r\n{deferred}\r\n", **base
            )
        yield self.record(
            "result",
            cmd=cmd,
            tag=tag,
            line=line,
            outcome=outcome,
            message=f"{line}: OK",
            code=code,
            elapsed_ms=round(self.rng.uniform(0.5, 40.0), 1),
        )

    def start(self) -> Iterator[dict[str, Any]]:
        yield {
            "seq": self.next_seq(),
            "type": "header",
            "t": self.t,
            "m": 0,
            "format": "qiterm-capture",
            "version": 1,
            "qiterm": "0.1.0",
            "url": URL,
            "baud": 115200,
            "started": "2026-01-01T00:00:00.000Z",
        }
        yield self.record(
            "link",
            state="connected",
            message=f"connected to {URL}",
            url=URL,
            baud=115200,
            dtr=True,
            rts=True,
        )
        yield from self.exchange("AT", [], "init")
        yield from self.exchange(
            "ATI", ["Quectel_Ltd", "Quectel_BC660K-GL", "Revision: BC660KGLAAR01A05"], "init"
        )
        yield self.record(
            "identity", identity="Quectel_Ltd Quectel_BC660K-GL", revision="BC660KGLAAR01A05"
        )
        yield from self.exchange('AT+QICFG="dataformat"', ['+QICFG: "dataformat",0,0'], "init")
        yield from self.exchange("AT+CGPADDR", [f'+CGPADDR: 0,"{MODULE_IP}"'], "init")

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq - 1

    def poll(self) -> Iterator[dict[str, Any]]:
        row = '+QISTATE: {},"TCP","' + PEER + '",7,{},2,0,1'
        rows = [row.format(cid, 40000 + cid) for cid in sorted(self.open)]
        yield from self.exchange("AT+QISTATE?", rows, "poll")

    def work(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        choice = rng.random()
        free = [cid for cid in range(5) if cid not in self.open]
        if choice < 0.08 and free:
            cid = free[0]
            line = f'AT+QIOPEN=0,{cid},"TCP","{PEER}",7,0,1'
            if rng.random() < 0.1:
                yield from self.exchange(line, [], "user", deferred=f"+QIOPEN: {cid},566", code=566)
            else:
                self.open.add(cid)
                yield from self.exchange(line, [], "user", deferred=f"+QIOPEN: {cid},0", code=0)
        elif choice < 0.11 and self.open:
            cid = rng.choice(sorted(self.open))
            self.open.discard(cid)
            yield from self.exchange(f"AT+QICLOSE={cid}", [], "user", final="CLOSE OK")
        elif choice < 0.85 and self.open:
            cid = rng.choice(sorted(self.open))
            size = rng.randint(4, 200)
            data = "".join(rng.choice(LETTERS) for _ in range(size))
            line = f'AT+QISEND={cid},{size},"{data}"'
            yield from self.exchange(line, [], "user", final="SEND OK")
            yield self.record(
                "rx",
                kind="urc.recv",
                role="urc",
                cmd=None,
                d=f'\r\n+QIURC: "recv",{cid},{size},"{data}"\r\n',
            )
        elif choice < 0.95:
            yield self.record("note", text=f"note {self.seq}: looking at socket traffic")
        else:
            self.markers += 1
            yield self.record("marker", n=self.markers, text=f"step {self.markers}")


def records(lines: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """``lines`` records (the header included) of a made-up session."""
    session = _Session(seed)
    count = 0
    for record in session.start():
        yield record
        count += 1
    while True:
        session.t += 2_000_000 - session.rng.randint(0, 50_000)  # the polling interval
        for record in (*session.poll(), *session.work()):
            if count >= lines:
                return
            yield record
            count += 1


def write_capture(path: str | Path, lines: int, seed: int = 1) -> Path:
    """Write a capture of ``lines`` lines to ``path``; returns the path."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as out:
        for record in records(lines, seed):
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


__all__ = ["records", "write_capture"]
