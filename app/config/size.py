"""Sizes in bytes as people write them: ``32M``, ``512K``, ``1.5G``, ``16MiB``.

The units are binary, as ``ulimit``, ``du`` and ``sort -S`` read them: ``K`` is
1,024 bytes, ``M`` 1,024 K, ``G`` 1,024 M; a trailing ``B`` or ``iB`` is allowed
(``32MB`` and ``32MiB`` both mean 32 x 1,048,576), a bare number is bytes, and
case does not matter.

Written by hand rather than taken from a library: the grammar is one regular
expression, the libraries that parse sizes (humanfriendly, bitmath) read ``M``
as 1,000,000 or bring a great deal more than this, and the errors here are
worded for the command line and the profile alike.
"""

from __future__ import annotations

import re

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

_UNITS = {"": 1, "K": KIB, "M": MIB, "G": GIB}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG]?)(?:I?B)?", re.IGNORECASE)

#: The console's log (its journal of lines) is bounded to this many bytes of
#: retained memory unless ``--log-memory`` or the profile's ``log_memory`` says:
#: about 7,700 lines of a 1 KiB flood (the last 90 s of one at the 921,600-baud
#: line rate; each line keeps its bytes once, app/model/journal.py), or the 20,000
#: line cap of short AT lines (BENCHMARKS.md, memory: what a million flood lines
#: leave the console's peak memory at, against a thousand).
DEFAULT_LOG_MEMORY = 12 * MIB
#: Below this the log would keep only a few hundred flood lines; above, a typo.
MIN_LOG_MEMORY = 1 * MIB
MAX_LOG_MEMORY = 64 * GIB

#: The size a capture file grows to before it goes on in the next numbered file.
DEFAULT_CAPTURE_MAX_SIZE = 100 * MIB
#: A smaller part would be mostly its header; a smaller setting is refused.
MIN_CAPTURE_MAX_SIZE = 64 * KIB

#: What a size setting expects, in words (the problems and --help say it).
SIZE_WORDS = 'a size such as "32M", "512K" or "1G" (K, M, G: 1024, 1024², 1024³ bytes)'


def parse_size(text: str, *, low: int = 1, high: int | None = None) -> int:
    """``text`` as a number of bytes, from ``low`` to ``high`` (inclusive).

    Raises ValueError with a message fit to show as it is for anything else:
    ``not a size: '32Q' (expected a size such as "32M" ...)``,
    ``too small: '10K' (at least 1M)``."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a size: {text!r} (expected {SIZE_WORDS})")
    number, unit = m.groups()
    value = int(float(number) * _UNITS[unit.upper()])
    if value < low:
        raise ValueError(f"too small: {text!r} (at least {format_size(low)})")
    if high is not None and value > high:
        raise ValueError(f"too large: {text!r} (at most {format_size(high)})")
    return value


def parse_log_memory(text: str) -> int:
    """A log memory setting (``--log-memory``, the profile's ``log_memory``)."""
    return parse_size(text, low=MIN_LOG_MEMORY, high=MAX_LOG_MEMORY)


def parse_capture_size(value: str | int) -> int | None:
    """A capture's part size (``--capture-max-size``, the profile's
    ``capture_max_size``): a size as :func:`parse_size` reads it, or ``"off"``
    (also ``"none"``, ``"0"``, 0) for no limit, which is None."""
    if isinstance(value, bool):
        raise ValueError(f'not a size: {value!r} (expected {SIZE_WORDS}, or "off")')
    text = str(value).strip()
    if text.lower() in ("off", "none", "0"):
        return None
    return parse_size(text, low=MIN_CAPTURE_MAX_SIZE)


def format_size(value: int) -> str:
    """``value`` bytes as :func:`parse_size` reads it back exactly: in the largest
    unit that divides it (``33554432`` -> ``"32M"``; ``1536`` -> ``"1536"``)."""
    for unit in ("G", "M", "K"):
        if value and value % _UNITS[unit] == 0:
            return f"{value // _UNITS[unit]}{unit}"
    return str(value)


__all__ = [
    "DEFAULT_CAPTURE_MAX_SIZE",
    "DEFAULT_LOG_MEMORY",
    "GIB",
    "KIB",
    "MAX_LOG_MEMORY",
    "MIB",
    "MIN_CAPTURE_MAX_SIZE",
    "MIN_LOG_MEMORY",
    "SIZE_WORDS",
    "format_size",
    "parse_capture_size",
    "parse_log_memory",
    "parse_size",
]
