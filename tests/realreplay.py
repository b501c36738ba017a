"""A recorded-module test double: transcripts of sessions with real modules
(tests/fixtures/real/*.txt, each naming its source) played back byte for byte.

:class:`RecordedModule` is a fake serial port: when the host writes a command line
the transcript expects next, it prints the module's recorded answer (and the
unprompted lines recorded right after it). A line the transcript does not expect
next is kept in ``unexpected`` and answered with silence, so a test can say that
the host wrote exactly what the real session's host wrote.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.link.worker import PortSettings

FIXTURES = Path(__file__).parent / "fixtures" / "real"


@dataclass
class Exchange:
    host: str
    #: What the module printed in answer, chunk by chunk.
    replies: list[bytes] = field(default_factory=list)
    #: What it printed unprompted right after.
    unsolicited: list[bytes] = field(default_factory=list)


@dataclass
class Transcript:
    name: str
    header: dict[str, str]
    exchanges: list[Exchange]

    @property
    def commands(self) -> list[str]:
        return [x.host for x in self.exchanges]


def load(name: str) -> Transcript:
    """Read ``tests/fixtures/real/<name>.txt``; a malformed line raises ValueError
    naming the file and the line."""
    path = FIXTURES / f"{name}.txt"
    header: dict[str, str] = {}
    exchanges: list[Exchange] = []
    key = ""
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        tag, _, rest = raw.partition(" ")
        if tag == "#":
            name_part, colon, value = rest.partition(":")
            if colon and " " not in name_part.strip():
                key = name_part.strip()
                header[key] = value.strip()
            elif key:
                header[key] += " " + rest.strip()
            continue
        if tag == ">":
            exchanges.append(Exchange(rest))
            continue
        if tag in ("<", "!") and exchanges:
            try:
                data = json.loads(rest).encode("latin-1")
            except (ValueError, UnicodeEncodeError) as exc:
                raise ValueError(f"{path.name}:{number}: not a JSON string: {exc}") from exc
            target = exchanges[-1].replies if tag == "<" else exchanges[-1].unsolicited
            target.append(data)
            continue
        raise ValueError(f"{path.name}:{number}: a line starts with '>', '<', '!' or '#'")
    for required in ("source", "module"):
        if required not in header:
            raise ValueError(f"{path.name}: the header names no {required}")
    return Transcript(name, header, exchanges)


def all_transcripts() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.txt"))


class RecordedModule:
    """The slice of the pyserial API the worker uses, playing a transcript."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.position = 0
        self.written = bytearray()
        self.unexpected: list[str] = []
        self.timeout = 0.05
        self.is_open = True
        self.dtr = self.rts = True
        self.baudrate = 115200
        self._line = bytearray()
        self._rx = bytearray()
        self._cv = threading.Condition()

    @property
    def finished(self) -> bool:
        return self.position >= len(self.transcript.exchanges)

    def factory(self, url: str, settings: PortSettings) -> RecordedModule:
        """A PortFactory for SerialWorker: this module, opened with ``settings``."""
        self.timeout = settings.timeout
        self.baudrate = settings.baudrate
        return self

    # -- pyserial --------------------------------------------------------------

    @property
    def in_waiting(self) -> int:
        return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        deadline = time.monotonic() + (self.timeout or 0)
        with self._cv:
            while not self._rx:
                left = deadline - time.monotonic()
                if left <= 0:
                    return b""
                self._cv.wait(left)
            data = bytes(self._rx[:size])
            del self._rx[:size]
            return data

    def cancel_read(self) -> None:
        with self._cv:
            self._cv.notify_all()

    def write(self, data: bytes) -> int:
        self.written += data
        for byte in data:
            if byte == 0x0D:
                self._host_line(bytes(self._line).decode("latin-1"))
                self._line.clear()
            elif byte not in (0x0A, 0x1A, 0x1B):
                self._line.append(byte)
        return len(data)

    def close(self) -> None:
        self.is_open = False

    # -- the module ------------------------------------------------------------

    def _host_line(self, line: str) -> None:
        if self.finished or self.transcript.exchanges[self.position].host != line:
            self.unexpected.append(line)
            return
        exchange = self.transcript.exchanges[self.position]
        self.position += 1
        with self._cv:
            for chunk in [*exchange.replies, *exchange.unsolicited]:
                self._rx += chunk
            self._cv.notify_all()
