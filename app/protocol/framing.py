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

The framer sees every byte from the port, so it leaves the scanning to C.
Pending bytes are one ``bytes`` object that frames are sliced from by position.
One compiled regular expression takes the usual frame from where it starts (a
whole ordinary line, or a recv URC's header); everything else (prompts, cut or
overlong lines, odd headers, waiting for more bytes) goes the general way, which
reads those usual frames the same. Terminators are found with ``bytes.find``,
and ``<recv_ip>,<recv_port>`` and hex digits are matched by regular expressions.
A recv URC whose <data> is still arriving is not looked at again until enough
bytes have come for its first possible end, and then carries on from the ends
not yet ruled out, so a URC cut into many small chunks is read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

CR = 0x0D
LF = 0x0A
SPACE = 0x20
QUOTE = 0x22
PROMPT_CHAR = 0x3E  # '>'
PLUS = 0x2B

RECV_MARKER = b'+QIURC: "recv",'
#: §2.4 note 5: downlink data is split into pieces of at most 1024 bytes.
MAX_RECV_LENGTH = 1024
#: Default cap on one line's length; longer lines are cut and flagged.
DEFAULT_LINE_CAP = 4096
#: Longest ``"<recv_ip>",<recv_port>,`` prefix considered (IPv6 text is <= 45 chars).
_MAX_RA_IP = 64

# What follows RECV_MARKER, each field at most six digits (longer ones are not trusted).
# The quantifiers are possessive (``{m,n}+``): what follows a run can never be part
# of it, so backtracking into it would only waste time.
#: ``<connectID>,<current_recv_length>,``, the length-delimited form.
_RECV_HEAD = re.compile(rb"([0-9]{1,6}+),([0-9]{1,6}+),")
#: ``<connectID>,`` then a quote or a space: the form without a length, read by line.
_RECV_NO_LENGTH = re.compile(rb'[0-9]{1,6}+,[" ]')
#: Everything after the marker could still grow into a header (for ``fullmatch``).
_RECV_HEAD_SO_FAR = re.compile(rb"(?:[0-9]{1,6}+(?:,[0-9]{0,6}+)?)?")
#: ``[ ]"<recv_ip>",[ ]<recv_port>,`` (chapter 4 shows the stray spaces).
_REMOTE_ADDRESS = re.compile(rb' ?"([0-9A-Fa-f.:]{1,%d}+)", ?([0-9]{1,5}+),' % _MAX_RA_IP)
#: Everything from here on could still grow into a remote address (for ``fullmatch``).
_REMOTE_ADDRESS_SO_FAR = re.compile(
    rb' ?(?:"(?:[0-9A-Fa-f.:]{1,%d}+(?:"(?:, ?[0-9]{0,5}+)?)?)?)?' % _MAX_RA_IP
)
#: The longest remote address: space, quotes, address, comma, space, port, comma.
_MAX_RA_LENGTH = _MAX_RA_IP + 11
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]*")


class FrameKind(Enum):
    LINE = "line"
    PROMPT = "prompt"
    RECV = "recv"


# Frames are made by the hundred thousand under a flood and live only until the
# parser has read them, so they are not frozen: a frozen dataclass sets every field
# through object.__setattr__, which cost about 15 % of the decoder's time. The
# events made from them are frozen.
@dataclass(slots=True)
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


@dataclass(slots=True)
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


#: The framer's frame constructors (plain names, so the hot path reads as intent).
_new_frame = Frame
_new_recv_header = RecvHeader

_BY_LINE = object()
_MISMATCH = object()

_LINE = FrameKind.LINE
_PROMPT = FrameKind.PROMPT
_RECV = FrameKind.RECV


class _Wait(Exception):
    """Not enough bytes yet to decide; try again after the next feed."""


@lru_cache(maxsize=8)
def _frame_start(cap: int) -> re.Pattern[bytes]:
    """The usual frames, recognised in one go from where a frame starts: at most
    ``cap`` blank terminators, then either a recv URC's header (groups 1 and 2, as
    in ``_RECV_HEAD``) or a whole ordinary line (group 3): 1 to ``cap`` bytes that
    are neither a prompt nor a recv URC, and a terminator known to be complete (a
    CR with a byte after it). Anything else (prompts, overlong lines, a CR at the
    end, odd recv headers) is left to the general path, which reads these the same
    way."""
    return re.compile(
        rb"[\r\n]{0,%d}+(?:" % cap
        + re.escape(RECV_MARKER)
        + rb"([0-9]{1,6}+),([0-9]{1,6}+),"
        + rb"|((?!%s)[^\r\n>][^\r\n]{0,%d}+)(?:\r\n|\n|\r(?=[^\n])))"
        % (re.escape(RECV_MARKER), cap - 1)
    )


#: One way a recv URC's <data> may end: ``(end, hex_payload, content, quoted,
#: recv_ip, recv_port)``, with ``end`` (just past <data>) and ``content`` (its first
#: byte) counted from the URC's first byte. Tuples sort in the order they are tried.
_Candidate = tuple[int, bool, int, bool, str | None, int | None]


@dataclass(slots=True)
class _RecvProgress:
    """A recv URC whose header is read but whose <data> has not all arrived."""

    #: Stream offset of the URC's first byte (``+``): what this is kept for.
    at: int
    connect_id: int
    length: int
    #: The ways <data> may end, in the order they are tried (by where they end).
    candidates: list[_Candidate]
    #: The candidates before this index are ruled out by the bytes already seen.
    next_index: int


class Framer:
    def __init__(self, line_cap: int = DEFAULT_LINE_CAP) -> None:
        if line_cap < 16:
            raise ValueError("line_cap must be at least 16 bytes")
        self.line_cap = line_cap
        self._buf = b""  # bytes not yet in a frame
        self._offset = 0  # stream offset of self._buf[0]
        self._continuing = False  # in the middle of a line that was cut
        self._after_prompt = False  # the previous frame was the '>' prompt
        #: A recv URC waiting for the rest of its <data>, so that it is not read again.
        self._pending_recv: _RecvProgress | None = None
        #: Stream length before which the frame being waited for cannot be decided.
        self._wait_until = 0

    @property
    def pending(self) -> int:
        """Bytes held back, waiting for more input (bounded by the caps)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return the frames they complete."""
        buf = self._buf = self._buf + data
        if self._offset + len(buf) < self._wait_until:
            return []  # still short of where the recv URC being waited for can end
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
    #
    # ``buf`` is the pending bytes, ``pos`` where the next frame starts in it
    # (blank terminators before a line belong to that line's frame) and
    # ``start`` where its content starts. A frame's ``raw`` is ``buf[pos:end]``.

    def _drain(self, final: bool) -> list[Frame]:
        buf = self._buf
        size = len(buf)
        pos = 0
        frames: list[Frame] = []
        frame_start = _frame_start(self.line_cap).match
        self._wait_until = 0
        try:
            while pos < size:
                # Most frames are ordinary lines or recv URCs: tell which in one go.
                m = None
                if not self._continuing and not (self._after_prompt and buf[pos] == SPACE):
                    m = frame_start(buf, pos)
                    if m is not None and (line := m[3]) is not None:
                        end = m.end()
                        frames.append(_new_frame(_LINE, buf[pos:end], line))
                        pos = end
                        self._after_prompt = False
                        continue
                if m is None:
                    frame = self._next(buf, pos, final)
                else:
                    frame = self._recv_or_line(buf, pos, m.start(1) - len(RECV_MARKER), final, m)
                pos += len(frame.raw)
                self._after_prompt = frame.kind is _PROMPT
                frames.append(frame)
        except _Wait:
            pass
        finally:
            if pos:
                self._buf = buf[pos:]
                self._offset += pos
        return frames

    def _next(self, buf: bytes, pos: int, final: bool) -> Frame:
        """The general path: any frame, from where it starts."""
        size = len(buf)
        i = pos + 1 if self._after_prompt and buf[pos] == SPACE else pos
        continuing = self._continuing
        if not continuing:
            while i < size and buf[i] in (CR, LF):
                i += 1
            if i - pos > self.line_cap:
                # A run of blank terminators longer than the cap: emit it so the
                # buffer stays bounded.
                return _new_frame(_LINE, buf[pos : pos + self.line_cap], b"")
        if i >= size:
            if final:
                return _new_frame(_LINE, buf[pos:], b"", unterminated=True)
            raise _Wait
        if not continuing:
            first = buf[i]
            if first == PROMPT_CHAR:
                return _new_frame(_PROMPT, buf[pos : i + 1], b">")
            if first == PLUS:
                if size - i < len(RECV_MARKER):
                    if not final and RECV_MARKER.startswith(buf[i:]):
                        raise _Wait
                elif buf.startswith(RECV_MARKER, i):
                    return self._recv_or_line(buf, pos, i, final)
        return self._line_frame(buf, pos, i, final, False)

    def _recv_or_line(
        self, buf: bytes, pos: int, start: int, final: bool, head: re.Match[bytes] | None = None
    ) -> Frame:
        """The recv URC at ``start``: by its length, or else by line."""
        frame = self._recv_frame(buf, pos, start, final, head)
        if isinstance(frame, Frame):
            return frame
        return self._line_frame(buf, pos, start, final, frame is _MISMATCH)

    def _line_frame(
        self, buf: bytes, pos: int, start: int, final: bool, length_mismatch: bool
    ) -> Frame:
        size = len(buf)
        cap = self.line_cap
        limit = min(size, start + cap + 1)
        # The first CR or LF before the limit (the limit itself when there is none).
        j = buf.find(b"\r", start, limit)
        if j < 0:
            j = limit
        lf = buf.find(b"\n", start, j)
        if lf >= 0:
            j = lf
        continued = self._continuing
        if j - start > cap:
            # No terminator within the cap: cut here, the rest follows.
            self._continuing = True
            return _new_frame(
                _LINE,
                buf[pos : start + cap],
                buf[start : start + cap],
                truncated=True,
                continued=continued,
                length_mismatch=length_mismatch,
            )
        if j >= size:
            if not final:
                raise _Wait
            self._continuing = False
            return _new_frame(
                _LINE,
                buf[pos:],
                buf[start:],
                continued=continued,
                unterminated=True,
                length_mismatch=length_mismatch,
            )
        end = _terminator_end(buf, j, final)
        self._continuing = False
        return _new_frame(
            _LINE,
            buf[pos:end],
            buf[start:j],
            continued=continued,
            length_mismatch=length_mismatch,
        )

    def _recv_frame(
        self, buf: bytes, pos: int, start: int, final: bool, head: re.Match[bytes] | None = None
    ) -> Frame | object:
        """A length-delimited recv frame, or a reason to fall back to line reading:
        ``_BY_LINE`` (the form without a length) or ``_MISMATCH`` (a bad header or
        a length that does not match the bytes). ``head`` is the header when it has
        already been matched (groups 1 and 2 as in ``_RECV_HEAD``)."""
        pending = self._pending_recv
        if pending is not None and pending.at == self._offset + start:
            # The same URC as on the last feed, with more bytes: go on where it stopped.
            self._pending_recv = None
            return self._try_candidates(
                buf,
                pos,
                start,
                final,
                pending.connect_id,
                pending.length,
                pending.candidates,
                pending.next_index,
            )
        if head is None:
            p = start + len(RECV_MARKER)
            head = _RECV_HEAD.match(buf, p)
            if head is None:
                if _RECV_NO_LENGTH.match(buf, p):
                    return _BY_LINE
                if not final and _RECV_HEAD_SO_FAR.fullmatch(buf, p):
                    raise _Wait
                return _MISMATCH
        length = int(head[2])
        if length < 1 or length > MAX_RECV_LENGTH:
            return _MISMATCH
        connect_id = int(head[1])
        data_start = head.end()
        size = len(buf)

        # The common case first: text <data>, quoted or not, right after the length.
        # Of all the candidates below it ends first, so until its terminator has
        # arrived nothing can be decided; and once it has, no remote address can be
        # read across it, so when it fits it is the answer.
        if data_start < size:
            quoted = buf[data_start] == QUOTE
            content = data_start + 1 if quoted else data_start
            end = content + length
            close = end + 1 if quoted else end
            if close >= size:
                if not final:
                    self._wait_until = self._offset + close + 1
                    raise _Wait
            elif close + 1 < size and (not quoted or buf[end] == QUOTE) and buf[close] in (CR, LF):
                frame_end = close + 2 if buf[close] == CR and buf[close + 1] == LF else close + 1
                return _new_frame(
                    _RECV,
                    buf[pos:frame_end],
                    buf[start:close],
                    payload=buf[content:end],
                    recv=_new_recv_header(connect_id, length, None, None, False, quoted),
                )
        elif not final:
            raise _Wait

        bases: list[tuple[int, str | None, int | None]] = [(data_start, None, None)]
        ra = _match_remote_address(buf, data_start, final)
        if ra is not None:
            bases.append(ra)
        candidates: list[_Candidate] = []
        for base, ip, port in bases:
            if base >= size:
                if not final:
                    raise _Wait
                continue
            quoted = buf[base] == QUOTE
            content = (base + 1 if quoted else base) - start
            candidates.append((content + length, False, content, quoted, ip, port))
            candidates.append((content + 2 * length, True, content, quoted, ip, port))
        if len(candidates) > 2:
            candidates.sort()  # never a tie on (end, hex_payload): nothing further is compared
        return self._try_candidates(buf, pos, start, final, connect_id, length, candidates, 0)

    def _try_candidates(
        self,
        buf: bytes,
        pos: int,
        start: int,
        final: bool,
        connect_id: int,
        length: int,
        candidates: list[_Candidate],
        first: int,
    ) -> Frame | object:
        """Try the ways <data> may end, in order, from ``first``; the first that fits
        its bytes makes the frame. When one runs past the bytes so far, keep what was
        read and wait."""
        size = len(buf)
        for index in range(first, len(candidates)):
            end, hex_payload, content, quoted, ip, port = candidates[index]
            end += start
            content += start
            close = end + 1 if quoted else end  # index of the terminator
            if close >= size:
                if final:
                    continue
                self._wait_until = self._offset + close + 1
                self._pending_recv = _RecvProgress(
                    self._offset + start, connect_id, length, candidates, index
                )
                raise _Wait
            if quoted and buf[end] != QUOTE:
                continue
            if buf[close] not in (CR, LF):
                continue
            if hex_payload and _HEX_DIGITS.fullmatch(buf, content, end) is None:
                continue
            try:
                frame_end = _terminator_end(buf, close, final)
            except _Wait:
                self._pending_recv = _RecvProgress(
                    self._offset + start, connect_id, length, candidates, index
                )
                raise
            return _new_frame(
                _RECV,
                buf[pos:frame_end],
                buf[start:close],
                payload=buf[content:end],
                recv=_new_recv_header(connect_id, length, ip, port, hex_payload, quoted),
            )
        return _MISMATCH


def _terminator_end(buf: bytes, j: int, final: bool) -> int:
    """Index just past the terminator starting at ``j`` (CR LF, CR or LF)."""
    if buf[j] == LF:
        return j + 1
    if j + 1 < len(buf):
        return j + 2 if buf[j + 1] == LF else j + 1
    if final:
        return j + 1
    raise _Wait  # a CR at the end: wait to see whether an LF follows


def _match_remote_address(
    buf: bytes, p: int, final: bool
) -> tuple[int, str | None, int | None] | None:
    """Match ``[ ]"<recv_ip>",[ ]<recv_port>,`` at ``p``: the index after it, the
    address and the port; None when it is not there; wait when it may yet be."""
    m = _REMOTE_ADDRESS.match(buf, p)
    if m is not None:
        return m.end(), m[1].decode("ascii"), int(m[2])
    if (
        not final
        and len(buf) - p < _MAX_RA_LENGTH
        and _REMOTE_ADDRESS_SO_FAR.fullmatch(buf, p) is not None
    ):
        raise _Wait
    return None
