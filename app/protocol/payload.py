"""What a person types as a payload -> bytes.

Text may carry C-style escapes so any byte can be typed on one line:
``\\r \\n \\t \\0 \\\\ \\" \\xNN`` (``\\x1a`` is Ctrl-Z, ``\\x1b`` Esc).
Hex is pairs of digits; spaces, ``:`` and ``-`` between bytes are ignored.
"""

from __future__ import annotations

import re

_SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}
_HEX_SEPARATORS = re.compile(r"[\s:\-]")


class PayloadError(ValueError):
    """Input that is not a payload; the message says where and why."""


def parse_text(text: str, *, escapes: bool = True) -> bytes:
    if not escapes:
        return text.encode("utf-8")
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        if i + 1 >= n:
            raise PayloadError(f"a lone '\\' at the end (column {i + 1}); type \\\\ for one")
        code = text[i + 1]
        if code in _SIMPLE:
            out += _SIMPLE[code]
            i += 2
        elif code == "x":
            digits = text[i + 2 : i + 4]
            if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise PayloadError(f"\\x needs two hex digits (column {i + 1})")
            out.append(int(digits, 16))
            i += 4
        else:
            raise PayloadError(
                f'unknown escape \\{code} (column {i + 1}); known: \\r \\n \\t \\0 \\\\ \\" \\xNN'
            )
    return bytes(out)


def parse_hex(text: str) -> bytes:
    digits = _HEX_SEPARATORS.sub("", text)
    bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise PayloadError(f"{bad!r} is not a hex digit")
    if len(digits) % 2:
        raise PayloadError(f"odd number of hex digits ({len(digits)}): a byte is two digits")
    return bytes.fromhex(digits)


def parse(text: str, *, hex_input: bool) -> bytes:
    return parse_hex(text) if hex_input else parse_text(text)
