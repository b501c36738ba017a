"""Showing bytes to a person: escaping, hex, safe decoding."""

from __future__ import annotations

import binascii

_NAMED = {
    0x0D: "\\r",
    0x0A: "\\n",
    0x09: "\\t",
    0x00: "\\0",
    0x1A: "\\x1a",
    0x1B: "\\x1b",
    0x5C: "\\\\",
}


def escape_bytes(data: bytes, *, show_line_endings: bool = True) -> str:
    """Printable text for any bytes.

    Printable ASCII and valid UTF-8 characters show as themselves; control
    bytes, CR/LF and invalid UTF-8 show as escapes (``\\r``, ``\\x80``), so
    nothing the module sent is hidden or lost on screen. With
    ``show_line_endings=False``, CR and LF are still escaped but the backslash
    itself is not doubled (friendlier for plain log lines).
    """
    text = data.decode("utf-8", errors="surrogateescape")
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code in _NAMED and (show_line_endings or code != 0x5C):
            out.append(_NAMED[code])
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


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


def hexdump_line(data: bytes, width: int = 16) -> list[str]:
    """Hex-and-text side by side, ``width`` bytes a row."""
    rows = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        text_part = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        rows.append(f"{offset:04x}  {hex_part:<{width * 3 - 1}}  {text_part}")
    return rows
