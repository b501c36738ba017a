"""User regular expressions (highlight rules, the log search) in linear time.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` against 32 ``a`` and a
``!`` takes 2^32 steps, all in one C call that holds the GIL, and while it runs the
serial thread cannot read or record. Patterns a person types or puts in a profile
are therefore matched with RE2 (google-re2, Google's bindings to its C++ library),
which runs in time linear in the text for every pattern: there is nothing to time
out, and nothing a line from the network can make slow.

RE2 takes Python's syntax except backreferences (``\\1``) and lookaround
(``(?=``, ``(?!``, ``(?<=``, ``(?<!``); such a pattern is refused where it is read,
with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import re2


class Match(Protocol):
    def span(self) -> tuple[int, int]: ...


#: What RE2 does not take, and how to say it.
_UNSUPPORTED = {
    "invalid escape sequence: \\1": "backreferences (\\1) are not supported",
    "invalid perl operator: (?=": "lookahead (?=...) is not supported",
    "invalid perl operator: (?!": "negative lookahead (?!...) is not supported",
    "invalid perl operator: (?<": "lookbehind (?<=...) is not supported",
}


@dataclass(frozen=True)
class UserPattern:
    """A compiled user pattern: ``pattern`` as written, matched in linear time."""

    pattern: str
    ignore_case: bool = False
    _compiled: Any = field(default=None, compare=False, repr=False)

    def finditer(self, text: str, pos: int = 0) -> Iterator[Match]:
        matches: Iterator[Match] = self._compiled.finditer(text, pos)
        return matches

    def search(self, text: str) -> bool:
        return self._compiled.search(text) is not None

    def groups(self, text: str) -> tuple[str | None, ...] | None:
        """The groups of the first match in ``text`` (empty for a pattern without
        groups), or None when nothing matches."""
        found = self._compiled.search(text)
        if found is None:
            return None
        groups: tuple[str | None, ...] = found.groups()
        return groups


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> UserPattern:
    """Compile ``pattern`` with RE2; ValueError with the reason when it is not one
    (a syntax error, or a construct only a backtracking engine has)."""
    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr, under the console's screen
    options.case_sensitive = not ignore_case
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        raise ValueError(_reason(exc)) from None
    return UserPattern(pattern, ignore_case, compiled)


def literal(text: str, *, ignore_case: bool = False) -> UserPattern:
    """``text`` matched as it is."""
    return compile_pattern(re2.escape(text), ignore_case=ignore_case)


def _reason(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for start, said in _UNSUPPORTED.items():
        if text.startswith(start):
            return f"{said} (qiterm matches with RE2, in linear time, so no pattern can stall it)"
    return f"{text} (RE2 syntax)"


__all__ = ["UserPattern", "compile_pattern", "literal"]
