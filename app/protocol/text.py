"""Showing bytes to a person: escaping, hex, safe decoding."""

from __future__ import annotations

import binascii
import re
import unicodedata

_NAMED = {
    0x0D: "\\r",
    0x0A: "\\n",
    0x09: "\\t",
    0x00: "\\0",
    0x1A: "\\x1a",
    0x1B: "\\x1b",
}


def _scan_invisible() -> list[int]:
    """Characters that change how text around them shows without showing themselves:
    format controls (Cf: the bidi overrides and isolates U+202A-U+202E and
    U+2066-U+2069, U+200E/U+200F marks, zero-width characters, U+FEFF...) and the
    line and paragraph separators U+2028/U+2029. From the wire they could reorder
    or hide what a log shows (a "Trojan Source" line), so they are escaped."""
    # The BMP, and the few supplementary blocks that hold format characters (a
    # scan of all 1.1 M code points would cost 0.2 s at start-up).
    blocks = [range(0xA0, 0xD800), range(0xE000, 0x10000), range(0x110B0, 0x110D0)]
    blocks += [range(0x13430, 0x13460), range(0x1BCA0, 0x1BCB0), range(0x1D170, 0x1D180)]
    blocks.append(range(0xE0000, 0xE0080))
    return [
        code
        for block in blocks
        for code in block
        if unicodedata.category(chr(code)) in ("Cf", "Zl", "Zp")
    ]


#: ``_scan_invisible()`` for the Unicode version of Python 3.11 (14.0.0), as ranges:
#: the scan costs about 7 ms at every start-up, the console's first frame waiting.
#: tests/test_render.py checks it against the scan when the versions match.
_INVISIBLE_14 = (
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip


def _invisible() -> list[int]:
    """``_scan_invisible()``, from the table above when Python's Unicode is 14.0.0."""
    if unicodedata.unidata_version == "14.0.0":
        return [code for first, last in _INVISIBLE_14 for code in range(first, last + 1)]
    return _scan_invisible()


_INVISIBLE = _invisible()


def _ranges(codes: list[int]) -> str:
    """A regex character class body for ``codes`` (sorted), as ranges."""
    out: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        out.append(re.escape(chr(start)) + ("" if start == prev else "-" + re.escape(chr(prev))))
        start = prev = code
    return "".join(out)


def _table(escape_backslash: bool) -> dict[int, str]:
    table: dict[int, str] = {code: f"\\u{code:04x}" for code in _INVISIBLE}
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]:
        table[code] = _NAMED.get(code, f"\\x{code:02x}")
    if escape_backslash:
        table[0x5C] = "\\\\"
    # Bytes that are not UTF-8, kept by surrogateescape as U+DC80..U+DCFF.
    for code in range(0x80, 0x100):
        table[0xDC00 + code] = f"\\x{code:02x}"
    return table


_TABLES = {True: _table(True), False: _table(False)}
#: Anything but printable ASCII other than the backslash: the slow path's work.
_SPECIAL = re.compile(rb"[^\x20-\x5b\x5d-\x7e]")
#: The characters the slow path replaces, in the decoded text.
_TO_ESCAPE = {
    True: re.compile(f"[\x00-\x1f\x7f-\x9f\\\\\udc80-\udcff{_ranges(_INVISIBLE)}]"),
    False: re.compile(f"[\x00-\x1f\x7f-\x9f\udc80-\udcff{_ranges(_INVISIBLE)}]"),
}


def escape_bytes(data: bytes, *, show_line_endings: bool = True) -> str:
    """Printable text for any bytes.

    Printable ASCII and valid UTF-8 characters show as themselves; control
    bytes, CR/LF and invalid UTF-8 show as escapes (``\\r``, ``\\x80``), and so do
    the invisible characters that reorder or hide text (bidi overrides such as
    U+202E, zero-width and other format characters: ``\\u202e``), so nothing the
    module sent is hidden, disguised or lost on screen. With
    ``show_line_endings=False``, CR and LF are still escaped but the backslash
    itself is not doubled (friendlier for plain log lines).

    Printable ASCII (most payloads, and every line of a flood) is returned as is
    without a per-character loop; otherwise only the characters to escape are
    visited.
    """
    if not _SPECIAL.search(data):
        return data.decode("ascii")
    table = _TABLES[show_line_endings]
    text = data.decode("utf-8", errors="surrogateescape")
    return _TO_ESCAPE[show_line_endings].sub(lambda m: table[ord(m.group())], text)


def decode_field(data: bytes) -> str:
    """Decode a line or field for parsing; invalid UTF-8 becomes ``\\xNN``."""
    return data.decode("utf-8", errors="backslashreplace")


def hex_encode(data: bytes) -> str:
    """``b"12345"`` -> ``"3132333435"`` (the spec's hex send/recv format, upper case)."""
    return data.hex().upper()


def is_hex_digits(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def hex_decode(text: str | bytes) -> bytes:
    """Hex digits -> bytes; raises ValueError with a readable message."""
    digits = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    if len(digits) % 2:
        raise ValueError(f"odd number of hex digits ({len(digits)})")
    if not is_hex_digits(digits):
        bad = next(c for c in digits if c not in "0123456789abcdefABCDEF")
        raise ValueError(f"{bad!r} is not a hex digit")
    try:
        return binascii.unhexlify(digits)
    except binascii.Error as exc:  # pragma: no cover - guarded above
        raise ValueError(str(exc)) from exc
