"""Bytes from the module -> frames.

An incremental framer: :meth:`Framer.feed` takes any chunk of bytes and returns
the frames it completes. The same byte stream cut at any boundaries yields the
same frames, and every byte fed is attributed to exactly one frame's ``raw``
(concatenating ``raw`` of all frames gives back the stream), which is what the
capture relies on to account for every byte.

What the module prints (spec §2.1.2): ``<CR><LF><response><CR><LF>``. Bare CR or
LF terminators are tolerated, and so is an echoed command ending in CR (ATE1).

Three kinds of frame:

* ``LINE`` — a line of text, without its terminator.
* ``PROMPT`` — the data-mode prompt ``>`` (§2.3.4). It arrives with no line
  ending, so it is recognised as soon as ``>`` starts a line; a single space
  after it (``"> "``) is absorbed into the next frame's leading bytes.
* ``RECV`` — ``+QIURC: "recv",<connectID>,<current_recv_length>,...,<data>``
  (§2.4.2). ``<data>`` may hold CR, LF, quotes, commas and any byte, so it is
  read by its length, never by line: ``len`` bytes in text mode or ``2*len``
  hex digits in hex mode, optionally after ``<recv_ip>,<recv_port>`` (UDP
  SERVICE, or showRA=1), and optionally in double quotes as in chapter 4's
  examples. The form without ``<current_recv_length>`` can only be read by
  line and is left to the parser as a LINE.

The framer never buffers without bound: a line longer than ``line_cap`` is
cut into pieces flagged ``truncated``/``continued``, a recv length over the
spec's 1024-byte maximum (§2.4 note 5) is not trusted, and runs of blank
terminators are emitted as empty frames once they pass the cap.

When a recv URC's length lies (the bytes do not end where the length says),
the frame falls back to line reading and is flagged ``length_mismatch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

CR = 0x0D
LF = 0x0A
SPACE = 0x20
QUOTE = 0x22
COMMA = 0x2C
PROMPT_CHAR = 0x3E  # '>'

RECV_MARKER = b'+QIURC: "recv",'
#: §2.4 note 5: downlink data is split into pieces of at most 1024 bytes.
MAX_RECV_LENGTH = 1024
#: Default cap on one line's length; longer lines are cut and flagged.
DEFAULT_LINE_CAP = 4096
#: Longest ``"<recv_ip>",<recv_port>,`` prefix considered (IPv6 text is <= 45 chars).
_MAX_RA_IP = 64
_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")


class FrameKind(Enum):
    LINE = "line"
    PROMPT = "prompt"
    RECV = "recv"


@dataclass(frozen=True, slots=True)
class RecvHeader:
    """The fields of a length-delimited ``+QIURC: "recv"`` frame (§2.4.2)."""

    connect_id: int
    current_recv_length: int
    recv_ip: str | None
    recv_port: int | None
    #: True when <data> was 2*len hex digits (recv dataformat 1), False for text.
    hex_payload: bool
    #: True when <data> was enclosed in double quotes on the wire.
    quoted: bool


@dataclass(frozen=True, slots=True)
class Frame:
    kind: FrameKind
    #: Every byte this frame consumed, in order, including the blank-line bytes
    #: that preceded it and its own terminator.
    raw: bytes
    #: The content: a line without terminators, ``b">"`` for a prompt, or the
    #: whole recv URC line without its terminator.
    line: bytes
    #: RECV only: <data> as on the wire (hex digits or raw text), quotes removed.
    payload: bytes | None = None
    recv: RecvHeader | None = None
    #: LINE cut at the cap; more of the same line follows in further frames.
    truncated: bool = False
    #: LINE piece continuing a line that was cut.
    continued: bool = False
    #: LINE emitted by :meth:`Framer.flush` without any terminator.
    unterminated: bool = False
    #: LINE that starts like a recv URC but whose length did not match its bytes.
    length_mismatch: bool = False


_BY_LINE = object()
_MISMATCH = object()


class _Wait(Exception):
    """Not enough bytes yet to decide; try again after the next feed."""


class Framer:
    def __init__(self, line_cap: int = DEFAULT_LINE_CAP) -> None:
        if line_cap < 16:
            raise ValueError("line_cap must be at least 16 bytes")
        self.line_cap = line_cap
        self._buf = bytearray()
        self._continuing = False  # in the middle of a line that was cut
        self._after_prompt = False  # the previous frame was the '>' prompt

    @property
    def pending(self) -> int:
        """Bytes held back, waiting for more input (bounded by the caps)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return the frames they complete."""
        self._buf += data
        return self._drain(final=False)

    def flush(self) -> list[Frame]:
        """Resolve whatever is pending as if the stream paused for good.

        The serial worker calls this after a quiet period: a line without a
        terminator is emitted (``unterminated``), a recv URC whose length
        promised more bytes than came is read by line (``length_mismatch``),
        and a CR waiting to see whether an LF follows is taken alone.
        """
        return self._drain(final=True)

    # -- internals -------------------------------------------------------------

    def _drain(self, final: bool) -> list[Frame]:
        frames: list[Frame] = []
        while self._buf:
            try:
                frame = self._next(final)
            except _Wait:
                break
            self._after_prompt = frame.kind is FrameKind.PROMPT
            frames.append(frame)
        return frames

    def _take(self, end: int) -> bytes:
        raw = bytes(self._buf[:end])
        del self._buf[:end]
        return raw

    def _next(self, final: bool) -> Frame:
        buf = self._buf
        size = len(buf)
        i = 0
        if self._after_prompt and size and buf[0] == SPACE:
            i = 1
        if not self._continuing:
            while i < size and buf[i] in (CR, LF):
                i += 1
            if i > self.line_cap:
                # A run of blank terminators longer than the cap: emit it so the
                # buffer stays bounded.
                raw = self._take(self.line_cap)
                return Frame(FrameKind.LINE, raw, b"")
        if i >= size:
            if final and size:
                raw = self._take(size)
                return Frame(FrameKind.LINE, raw, b"", unterminated=True)
            raise _Wait
        start = i
        if not self._continuing:
            if buf[start] == PROMPT_CHAR:
                raw = self._take(start + 1)
                return Frame(FrameKind.PROMPT, raw, b">")
            avail = size - start
            head = bytes(buf[start : start + len(RECV_MARKER)])
            if avail < len(RECV_MARKER) and RECV_MARKER.startswith(head) and not final:
                raise _Wait
            if head == RECV_MARKER:
                frame = self._recv_frame(start, final)
                if isinstance(frame, Frame):
                    return frame
                return self._line_frame(start, final, length_mismatch=frame is _MISMATCH)
        return self._line_frame(start, final, length_mismatch=False)

    def _line_frame(self, start: int, final: bool, *, length_mismatch: bool) -> Frame:
        buf = self._buf
        size = len(buf)
        cap = self.line_cap
        j = start
        limit = min(size, start + cap + 1)
        while j < limit and buf[j] not in (CR, LF):
            j += 1
        continued = self._continuing
        if j - start > cap:
            # No terminator within the cap: cut here, the rest follows.
            raw = self._take(start + cap)
            self._continuing = True
            return Frame(
                FrameKind.LINE,
                raw,
                raw[start:],
                truncated=True,
                continued=continued,
                length_mismatch=length_mismatch,
            )
        if j >= size:
            if not final:
                raise _Wait
            raw = self._take(size)
            self._continuing = False
            return Frame(
                FrameKind.LINE,
                raw,
                raw[start:],
                continued=continued,
                unterminated=True,
                length_mismatch=length_mismatch,
            )
        end = self._terminator_end(j, final)
        raw = self._take(end)
        self._continuing = False
        return Frame(
            FrameKind.LINE,
            raw,
            raw[start:j],
            continued=continued,
            length_mismatch=length_mismatch,
        )

    def _terminator_end(self, j: int, final: bool) -> int:
        """Index just past the terminator starting at ``j`` (CR LF, CR or LF)."""
        buf = self._buf
        if buf[j] == LF:
            return j + 1
        if j + 1 < len(buf):
            return j + 2 if buf[j + 1] == LF else j + 1
        if final:
            return j + 1
        raise _Wait  # a CR at the end: wait to see whether an LF follows

    def _recv_frame(self, start: int, final: bool) -> Frame | object:
        """A length-delimited recv frame, or a reason to fall back to line reading:
        ``_BY_LINE`` (the form without a length) or ``_MISMATCH`` (a bad header or
        a length that does not match the bytes)."""
        buf = self._buf
        size = len(buf)
        p = start + len(RECV_MARKER)

        connect_id, p = self._digits(p, final)
        if connect_id is None or p >= size or buf[p] != COMMA:
            if p >= size and not final:
                raise _Wait
            return _MISMATCH
        p += 1
        if p >= size:
            if final:
                return _MISMATCH
            raise _Wait
        if buf[p] in (QUOTE, SPACE):
            # The form without <current_recv_length> (§2.4.2): read by line.
            return _BY_LINE
        length, p = self._digits(p, final)
        if length is None or p >= size or buf[p] != COMMA:
            if p >= size and not final:
                raise _Wait
            return _MISMATCH
        if length < 1 or length > MAX_RECV_LENGTH:
            return _MISMATCH
        data_start = p + 1

        ra = self._match_remote_address(data_start, final)
        bases: list[tuple[int, str | None, int | None]] = [(data_start, None, None)]
        if ra is not None:
            bases.append(ra)

        candidates: list[tuple[int, int, bool, bool, str | None, int | None]] = []
        for base, ip, port in bases:
            if base >= size:
                if not final:
                    raise _Wait
                continue
            quoted = buf[base] == QUOTE
            content = base + (1 if quoted else 0)
            for hex_payload in (False, True):
                n = length * 2 if hex_payload else length
                end = content + n
                candidates.append((end, content, hex_payload, quoted, ip, port))
        candidates.sort(key=lambda c: (c[0], c[2]))

        for end, content, hex_payload, quoted, ip, port in candidates:
            close = end + (1 if quoted else 0)  # index of the terminator
            if close >= size:
                if final:
                    continue
                raise _Wait
            if quoted and buf[end] != QUOTE:
                continue
            if buf[close] not in (CR, LF):
                continue
            if hex_payload and not all(b in _HEXDIGITS for b in buf[content:end]):
                continue
            frame_end = self._terminator_end(close, final)
            raw = self._take(frame_end)
            header = RecvHeader(
                connect_id=connect_id,
                current_recv_length=length,
                recv_ip=ip,
                recv_port=port,
                hex_payload=hex_payload,
                quoted=quoted,
            )
            return Frame(
                FrameKind.RECV,
                raw,
                raw[start:close],
                payload=raw[content:end],
                recv=header,
            )
        return _MISMATCH

    def _digits(self, p: int, final: bool) -> tuple[int | None, int]:
        buf = self._buf
        size = len(buf)
        q = p
        while q < size and 0x30 <= buf[q] <= 0x39 and q - p < 6:
            q += 1
        if q == p:
            return None, p
        if q >= size and not final:
            raise _Wait
        return int(buf[p:q]), q

    def _match_remote_address(
        self, p: int, final: bool
    ) -> tuple[int, str | None, int | None] | None:
        """Match ``[ ]"<recv_ip>",[ ]<recv_port>,`` at ``p`` (chapter 4 shows a stray space)."""
        buf = self._buf
        size = len(buf)

        def need(q: int) -> bool:
            if q < size:
                return True
            if final:
                return False
            raise _Wait

        q = p
        if not need(q):
            return None
        if buf[q] == SPACE:
            q += 1
            if not need(q):
                return None
        if buf[q] != QUOTE:
            return None
        q += 1
        ip_start = q
        while True:
            if not need(q):
                return None
            b = buf[q]
            if b == QUOTE:
                break
            if (
                b in (CR, LF)
                or q - ip_start >= _MAX_RA_IP
                or not (b == 0x2E or b == 0x3A or b in _HEXDIGITS)
            ):
                return None
            q += 1
        ip = bytes(buf[ip_start:q]).decode("ascii")
        if not ip:
            return None
        q += 1
        if not need(q) or buf[q] != COMMA:
            return None
        q += 1
        if not need(q):
            return None
        if buf[q] == SPACE:
            q += 1
        port_start = q
        while True:
            if not need(q):
                return None
            if not 0x30 <= buf[q] <= 0x39:
                break
            q += 1
            if q - port_start > 5:
                return None
        if q == port_start or buf[q] != COMMA:
            return None
        port = int(buf[port_start:q])
        return q + 1, ip, port
