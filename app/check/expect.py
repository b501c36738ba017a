"""Reading response lines field by field, and comparing them with what the spec prints.

Lines are ``+NAME: field,field,...``. Fields are split on commas outside double
quotes and parentheses, so ``(0-10)`` and ``"TCP LISTENER"`` stay whole. A test
command's ranges are compared as sets of values: ``(0,1)`` and ``(0-1)`` say
the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Intervals = tuple[tuple[int, int], ...]


def split_fields(text: str) -> list[str]:
    """``0,"TCP","a,b",(0-4)`` -> ``['0', '"TCP"', '"a,b"', '(0-4)']`` (stripped)."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    depth = 0
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            fields.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    fields.append("".join(current).strip())
    return fields


def body(line: str, name: str) -> list[str] | None:
    """The fields after ``name: `` (e.g. ``+QISTATE``), or None when the line is not one."""
    prefix = f"{name}:"
    if not line.startswith(prefix):
        return None
    return split_fields(line[len(prefix) :].strip())


def unquote(field: str) -> str | None:
    """The text inside ``"..."``, or None when the field is not quoted."""
    if len(field) >= 2 and field[0] == '"' and field[-1] == '"':
        return field[1:-1]
    return None


def integer(field: str) -> int | None:
    return int(field) if re.fullmatch(r"-?\d+", field) else None


def intervals(field: str) -> Intervals | None:
    """``(0-4)``, ``(0,1)``, ``(1)``, ``(0-63,99)`` -> merged intervals; None when
    the field is not a parenthesised list of numbers and ranges."""
    inner = field.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        return None
    spans: list[tuple[int, int]] = []
    for part in inner[1:-1].split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if m is None:
            return None
        lo, hi = (int(m[1]), int(m[2])) if m[3] is None else (int(m[3]), int(m[3]))
        spans.append((min(lo, hi), max(lo, hi)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


@dataclass(frozen=True)
class Field:
    """What one field of a test command's answer must be."""

    #: How the report names it: "(0-4)", "<host>", "\"TCP/UDP/...\"".
    shown: str
    #: Allowed values (ranges), or None.
    values: Intervals | None = None
    #: Exact text, or None.
    literal: str | None = None
    #: A regular expression the whole field must match, or None.
    pattern: str | None = None

    def accepts(self, text: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, text) is not None
        if self.values is not None:
            return intervals(text) == self.values
        if self.literal is not None:
            return text == self.literal
        return bool(text)  # a placeholder such as <host>: any text


def rng(*parts: tuple[int, int] | int) -> Field:
    """A range field: ``rng((0, 4))`` is ``(0-4)``, ``rng(0, 1)`` is ``(0,1)``."""
    shown = ",".join(str(p) if isinstance(p, int) else f"{p[0]}-{p[1]}" for p in parts)
    merged = intervals(f"({shown})")
    assert merged is not None
    return Field(f"({shown})", values=merged)


def lit(text: str) -> Field:
    return Field(text, literal=text)


def any_of(name: str) -> Field:
    return Field(f"<{name}>")


def check_test_line(line: str, name: str, fields: list[Field]) -> str | None:
    """Why ``line`` is not ``name: <fields>``, or None when it is."""
    got = body(line, name)
    if got is None:
        return f"not a {name}: line"
    if len(got) != len(fields):
        return f"{len(got)} fields, the spec has {len(fields)}"
    for i, (text, want) in enumerate(zip(got, fields, strict=True), start=1):
        if not want.accepts(text):
            return f"field {i} is {text}, the spec has {want.shown}"
    return None


def shown(name: str, fields: list[Field]) -> str:
    return f"{name}: " + ",".join(f.shown for f in fields)


#: A dotted IPv4 address.
IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
