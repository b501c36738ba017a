"""AT command-line syntax (spec §2.1.2, Table 1) and field splitting.

Shared by the command builders and classifier (host side) and by the simulated
module (module side), so both read a line the same way.
"""

from __future__ import annotations

from enum import Enum

import msgspec


class Form(Enum):
    """Table 1: the four types of AT command."""

    TEST = "test"  # AT+<cmd>=?
    READ = "read"  # AT+<cmd>?
    WRITE = "write"  # AT+<cmd>=<p1>[,<p2>[,<p3>[...]]]
    EXECUTE = "execute"  # AT+<cmd>


class AtSyntaxError(ValueError):
    """A line that is not an AT command at all (no AT prefix, open quote...)."""


_ASCII_DIGITS = frozenset("0123456789")


def parse_int(text: str) -> int | None:
    """``text`` as a decimal integer: optional spaces around, one optional sign, then
    ASCII digits only; None for anything else. ``str.isdigit`` is not enough: it
    accepts ``²`` and ``①`` (which ``int`` refuses) and ``٧`` (which ``int`` reads as 7)."""
    t = text.strip()
    digits = t[1:] if t[:1] in ("+", "-") else t
    if not digits or not set(digits) <= _ASCII_DIGITS:
        return None
    return int(t)


class Arg(msgspec.Struct, frozen=True):
    """One parameter as written: its text and whether it was in double quotes."""

    text: str
    quoted: bool = False

    @property
    def omitted(self) -> bool:
        return not self.quoted and self.text == ""

    def as_int(self) -> int | None:
        """The integer value, or None when the field is not a plain decimal integer."""
        if self.quoted:
            return None
        if self.text != self.text.strip():
            return None
        return parse_int(self.text)

    def render(self) -> str:
        return f'"{self.text}"' if self.quoted else self.text


class CommandLine(msgspec.Struct, frozen=True):
    """A parsed command line.

    ``name`` is ``"+QIOPEN"`` for extended commands, the letter(s) of a basic
    command (``"E"`` for ATE0, ``"I"`` for ATI, ``"&F"``), or ``""`` for a bare
    ``AT``. Basic commands carry their trailing digits as one argument.
    """

    name: str
    form: Form
    args: tuple[Arg, ...]
    text: str

    @property
    def display_name(self) -> str:
        return f"AT{self.name}"


def split_fields(body: str) -> list[Arg]:
    """Split ``a,"b,c", d`` into fields, honouring double quotes.

    Spaces around unquoted fields are dropped (chapter 4's examples carry
    stray spaces after commas). An unterminated quote raises AtSyntaxError.
    """
    fields: list[Arg] = []
    i = 0
    n = len(body)
    if n == 0:
        return fields
    while True:
        while i < n and body[i] == " ":
            i += 1
        if i < n and body[i] == '"':
            close = body.find('"', i + 1)
            if close < 0:
                raise AtSyntaxError("unterminated quoted string")
            fields.append(Arg(body[i + 1 : close], quoted=True))
            i = close + 1
            while i < n and body[i] == " ":
                i += 1
            if i < n and body[i] != ",":
                # Text after a closing quote: keep it, but as an unquoted field.
                comma = body.find(",", i)
                stop = n if comma < 0 else comma
                last = fields.pop()
                fields.append(Arg(f'"{last.text}"{body[i:stop]}'.strip(), quoted=False))
                i = stop
        else:
            comma = body.find(",", i)
            stop = n if comma < 0 else comma
            fields.append(Arg(body[i:stop].strip(), quoted=False))
            i = stop
        if i >= n:
            break
        i += 1  # skip the comma
        if i >= n:
            fields.append(Arg("", quoted=False))
            break
    return fields


def parse_command_line(line: str) -> CommandLine:
    """Parse one command line (without its terminating CR)."""
    text = line.strip()
    if len(text) < 2 or text[:2].upper() != "AT":
        raise AtSyntaxError("a command line starts with AT")
    rest = text[2:]
    if not rest:
        return CommandLine("", Form.EXECUTE, (), text)
    if rest[0] == "+" or rest[0] == "$" or rest[0] == "^":
        j = 1
        while j < len(rest) and (rest[j].isalnum() or rest[j] == "_"):
            j += 1
        name = rest[:j].upper()
        if len(name) < 2:
            raise AtSyntaxError("missing command name after '+'")
        tail = rest[j:].strip()
        if tail == "":
            return CommandLine(name, Form.EXECUTE, (), text)
        if tail == "?":
            return CommandLine(name, Form.READ, (), text)
        if tail.replace(" ", "") == "=?":
            return CommandLine(name, Form.TEST, (), text)
        if tail.startswith("="):
            return CommandLine(name, Form.WRITE, tuple(split_fields(tail[1:])), text)
        raise AtSyntaxError(f"unexpected {tail[0]!r} after {name}")
    # Basic command: letter (or & plus letter) then digits, e.g. ATE0, ATI, AT&F.
    j = 0
    if rest[0] == "&":
        j = 1
    if j >= len(rest) or not rest[j].isalpha():
        raise AtSyntaxError(f"unexpected {rest[j : j + 1]!r} after AT")
    j += 1
    name = rest[:j].upper()
    tail = rest[j:].strip()
    if tail == "?":
        return CommandLine(name, Form.READ, (), text)
    if tail and not tail.isdigit():
        raise AtSyntaxError(f"unexpected {tail!r} after AT{name}")
    args = (Arg(tail),) if tail else ()
    return CommandLine(name, Form.EXECUTE, args, text)


def split_command_line(line: str) -> list[str]:
    """The commands of one command line, each with its ``AT`` prefix.

    AT Commands Manual §1.2 (and V.250 §5.2): several commands can share a line,
    separated by ``;``, and only the first carries the ``AT`` prefix
    (``AT+CGATT?;+CEREG?``). A ``;`` inside double quotes is data, not a
    separator. Empty commands (``AT;``, a trailing ``;``) are dropped; a line that
    does not start with ``AT`` raises AtSyntaxError.
    """
    text = line.strip()
    if len(text) < 2 or text[:2].upper() != "AT":
        raise AtSyntaxError("a command line starts with AT")
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text[2:]:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    commands = [text[:2] + p.strip() for p in pieces if p.strip()]
    return commands or [text[:2]]
