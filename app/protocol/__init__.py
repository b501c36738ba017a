"""The pure protocol layer: no I/O, no threads, no Textual.

framing (bytes -> frames) -> parse (frame -> event); commands (validated
builders, classifier); catalog (every command's forms and ranges); codes
(result codes of chapter 3).
"""

from __future__ import annotations

from app.protocol.events import Event
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame


class StreamDecoder:
    """Framer and parser together: bytes in, events out."""

    def __init__(self, line_cap: int | None = None) -> None:
        self.framer = Framer() if line_cap is None else Framer(line_cap)

    def feed(self, data: bytes) -> list[Event]:
        return [parse_frame(f) for f in self.framer.feed(data)]

    def flush(self) -> list[Event]:
        return [parse_frame(f) for f in self.framer.flush()]


__all__ = ["Event", "Framer", "StreamDecoder", "parse_frame"]
