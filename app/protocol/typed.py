r"""What a person types on a command line, before anything is sent: an AT command
line, or one of the few things a terminal program lets through as they are.

=================  ===========================================================
typed              means
=================  ===========================================================
``AT...``          an AT command line, checked against the catalog and tracked
                   by the link engine (its answer is tied to it)
``A/``             the last command line again (V.250 §5.2.4 names ``A/`` the
                   repeat of the previous command line; qiterm sends that line
                   itself, so the answer stays tied to a command it knows)
``+++``            the three bytes ``+++``, with no line ending and a guard time
                   of silence before and after (the escape from a transparent
                   data mode on modules that have one)
``!raw TEXT``      TEXT (escapes ``\r \n \t \0 \\ \" \xNN``) then the line
                   ending, not checked as an AT command
``!hex DIGITS``    exactly these bytes (``41 54 0D``; spaces, ``:`` and ``-``
                   between bytes are ignored), nothing added
=================  ===========================================================

A raw send is not a command: the link writes it when the line is free, keeps
nothing else from going out until the module is quiet again, and takes what it
answers as lines nobody asked for (:mod:`app.link.engine`).
"""

from __future__ import annotations

from enum import Enum

import msgspec

from app.protocol.payload import PayloadError, parse_hex, parse_text

RAW_PREFIX = "!raw"
HEX_PREFIX = "!hex"
REPEAT = "A/"
ESCAPE = "+++"
#: Silence kept before and after ``+++`` (the usual S12 default of 1 s).
ESCAPE_GUARD_S = 1.0


class Kind(Enum):
    COMMAND = "command"
    REPEAT = "repeat"
    ESCAPE = "escape"
    RAW = "raw"
    HEX = "hex"


class Typed(msgspec.Struct, frozen=True):
    kind: Kind
    #: The text as typed (stripped).
    text: str
    #: RAW and HEX: the bytes written (RAW without its line ending); ESCAPE: ``+++``.
    data: bytes = b""

    @property
    def raw(self) -> bool:
        """Written as bytes, past the AT checks (RAW, HEX, ESCAPE)."""
        return self.kind in (Kind.RAW, Kind.HEX, Kind.ESCAPE)

    @property
    def with_line_ending(self) -> bool:
        """The link's line ending follows the bytes (RAW only)."""
        return self.kind is Kind.RAW


def _prefixed(text: str, prefix: str) -> str | None:
    """The rest after ``prefix`` and one space (or the end), case-insensitive."""
    head = text[: len(prefix)]
    if head.lower() != prefix:
        return None
    rest = text[len(prefix) :]
    if rest and rest[0] != " ":
        return None
    return rest[1:] if rest else ""


def parse_typed(line: str) -> Typed:
    """Classify a typed line; PayloadError (a ValueError) says what is wrong with a
    raw or hex line. Anything else is taken as an AT command line, for the
    command classifier to accept or refuse."""
    text = line.strip()
    raw = _prefixed(text, RAW_PREFIX)
    if raw is not None:
        if not raw:
            raise PayloadError("!raw: give the text to send (escapes \\r \\n \\xNN work)")
        return Typed(Kind.RAW, text, parse_text(raw))
    digits = _prefixed(text, HEX_PREFIX)
    if digits is not None:
        data = parse_hex(digits)
        if not data:
            raise PayloadError("!hex: give the bytes to send as hex digits, e.g. !hex 41 54 0D")
        return Typed(Kind.HEX, text, data)
    if text.upper() == REPEAT:
        return Typed(Kind.REPEAT, text)
    if text == ESCAPE:
        return Typed(Kind.ESCAPE, text, ESCAPE.encode("ascii"))
    return Typed(Kind.COMMAND, text)


def is_raw_text(line: str) -> bool:
    """True for a line that is written as bytes (``!raw``, ``!hex``, ``+++``)."""
    text = line.strip()
    return (
        _prefixed(text, RAW_PREFIX) is not None
        or _prefixed(text, HEX_PREFIX) is not None
        or text == ESCAPE
    )


__all__ = [
    "ESCAPE",
    "ESCAPE_GUARD_S",
    "HEX_PREFIX",
    "RAW_PREFIX",
    "REPEAT",
    "Kind",
    "Typed",
    "is_raw_text",
    "parse_typed",
]
