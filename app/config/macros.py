r"""Macros: a named action, optionally on a key, run through the scenario engine.

A macro does exactly one of three things:

``at``
    Send one AT command line (checked against the command catalog, as typed
    commands are) and wait for its final and deferred result.
``send``
    Send data on a socket: ``connect_id`` 0-4, ``data`` as typed in the send
    composer (escapes ``\r \n \t \0 \\ \" \xNN``; or ``hex:41 42`` for bytes),
    and for a UDP SERVICE socket ``to = "<ip>:<port>"``. Real control
    characters in ``data`` (a TOML ``"\r\n"``) are sent as they are too.
``script``
    A scenario script (see :mod:`app.scenario.script`): several steps, ``expect``
    waits, ``sleep``, notes and markers.

Any kind can repeat (a cyclic send): ``every = <seconds>`` runs it again that
long after each start, until stopped or ``times = <n>`` runs are done;
``times`` alone runs it that many times back to back. The session drives the
repetition (:mod:`app.session.cycles`); the macro bar shows it running, and the
macro's key (or Ctrl+B for all) stops it.

Every kind becomes a :class:`~app.scenario.Script` (:func:`macro_script`) so
the console runs them all with :func:`app.scenario.run`: one engine, one way to
report steps, cancel, and wait for URCs. ``${NAME}`` variables work in every
kind (``$$`` is a literal ``$``).

A macro's ``key`` is a function key (``f11``, ``shift+f3``) or ``insert``, or any
other key with ``ctrl``/``alt`` (``ctrl+g``, ``alt+minus``, ``ctrl+home``). A bare
character, arrow, Enter or Tab would be taken from typing and moving around, so it
is refused. :func:`parse_key` checks that grammar and writes the key one way
(``Ctrl+/`` is ``ctrl+slash``); :mod:`app.console.keys` turns it into the key the
terminal sends and shows it.
"""

from __future__ import annotations

import ipaddress
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import msgspec

from app.config.schema import Invalid, check_table, describe_value, expect
from app.scenario.script import Script, ScriptError, ScriptProblem, parse_script

ACTIONS = ("at", "send", "script")

MacroKind = Literal["at", "send", "script"]

_MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")
#: Modifiers that turn a printable character into a shortcut (shift only changes case).
_SHORTCUT_MODIFIERS = frozenset({"ctrl", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(
    {f"f{n}" for n in range(1, 25)}
    | {
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "pageup",
        "pagedown",
        "insert",
        "delete",
        "backspace",
        "tab",
        "enter",
        "escape",
        "space",
    }
)
#: Keys a macro may take with no modifier (or shift only): the rest edit or navigate.
_FREE_KEYS = frozenset({f"f{n}" for n in range(1, 25)} | {"insert"})
#: Short names for a few characters (a character key is otherwise named after its
#: Unicode name: ``.`` is ``full_stop``); the same names Textual gives them.
_CHARACTER_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_CONTROL_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0"}


# --- the macro --------------------------------------------------------------------


@dataclass(frozen=True)
class SendAction:
    """Send ``data`` on socket ``connect_id`` (``to`` = ``"<ip>:<port>"`` for a UDP SERVICE)."""

    connect_id: int
    #: Composer text with escapes, or ``hex:`` and hex digits.
    data: str
    to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        table: dict[str, Any] = {"connect_id": self.connect_id, "data": self.data}
        if self.to is not None:
            table["to"] = self.to
        return table


@dataclass(frozen=True)
class Macro:
    name: str
    #: A Textual key name (``"f11"``, ``"ctrl+g"``), or None for palette-only.
    key: str | None = None
    at: str | None = None
    send: SendAction | None = None
    script: str | None = None
    #: Repeat: seconds from one start to the next (a cyclic send), and/or how many
    #: runs in all (None: until stopped, when ``every`` is given).
    every: float | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        given = [kind for kind in ACTIONS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                f"macro {self.name!r}: give exactly one of at, send or script, not "
                + (" and ".join(given) if given else "none")
            )

    @property
    def cyclic(self) -> bool:
        """Runs more than once (``every`` given, or ``times`` above 1)."""
        return self.every is not None or (self.times is not None and self.times > 1)

    def repeat_text(self) -> str:
        """``every 5 s, 10 times`` / ``every 2 s until stopped`` / ``3 times``."""
        if not self.cyclic:
            return ""
        parts = []
        if self.every is not None:
            parts.append(f"every {self.every:g} s")
        if self.times is not None:
            parts.append(f"{self.times} time{'s' if self.times != 1 else ''}")
        else:
            parts.append("until stopped")
        return ", ".join(parts) if self.times is not None else " ".join(parts)

    @property
    def kind(self) -> MacroKind:
        if self.at is not None:
            return "at"
        if self.send is not None:
            return "send"
        return "script"

    def summary(self) -> str:
        """One line saying what the macro does (for the palette and the key list)."""
        repeat = self.repeat_text()
        return f"{self._action_summary()} ({repeat})" if repeat else self._action_summary()

    def _action_summary(self) -> str:
        if self.at is not None:
            return self.at
        if self.send is not None:
            where = f" to {self.send.to}" if self.send.to else ""
            return f"send on {self.send.connect_id}{where}: {self.send.data}"
        assert self.script is not None
        steps = [
            line.strip()
            for line in self.script.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        return f"script, {len(steps)} step{'s' if len(steps) != 1 else ''}: " + " | ".join(steps)

    def to_dict(self) -> dict[str, Any]:
        """The ``[[macro]]`` table (for saving a profile)."""
        table: dict[str, Any] = {"name": self.name}
        if self.key is not None:
            table["key"] = self.key
        if self.at is not None:
            table["at"] = self.at
        if self.send is not None:
            table["send"] = self.send.to_dict()
        if self.script is not None:
            table["script"] = self.script
        if self.every is not None:
            table["every"] = self.every
        if self.times is not None:
            table["times"] = self.times
        return table


# --- keys ---------------------------------------------------------------------------


def parse_key(key: str) -> str:
    """``key`` written one way (modifiers in a fixed order, names in lower case,
    characters by name: ``Ctrl+/`` is ``ctrl+slash``), or ValueError saying what a
    macro key may be."""
    expected = 'expected a key such as "f11", "shift+f3" or "ctrl+g"'
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"{expected}, got {describe_value(key)}")
    if "," in key:
        raise ValueError(
            f"{expected} (one key, not a list; the , key is written comma), "
            f"got {describe_value(key)}"
        )
    if key.strip().endswith("+"):
        raise ValueError(f"{expected} (the + key is written plus), got {describe_value(key)}")
    *mods, base = key.strip().split("+")
    modifiers = [m.strip().lower() for m in mods]
    for m in modifiers:
        if m not in _MODIFIERS:
            raise ValueError(
                f"{expected}, got {describe_value(key)}: {m!r} is not a modifier "
                f"({', '.join(_MODIFIERS)})"
            )
    if len(set(modifiers)) != len(modifiers):
        raise ValueError(f"{expected}, got {describe_value(key)}: a modifier is repeated")
    base = base.strip()
    lowered = base.lower()
    if lowered in _NAMED_KEYS:
        base = lowered
        printable = lowered == "space"
    else:
        character = base if len(base) == 1 and base.isprintable() else _named_character(lowered)
        if character is None:
            raise ValueError(f"{expected}, got {describe_value(key)}: {base!r} is not a key name")
        base = character_key(character)
        printable = True
    if base not in _FREE_KEYS and not _SHORTCUT_MODIFIERS.intersection(modifiers):
        what = "a character key" if printable else f"{base}"
        raise ValueError(
            f"{expected}, got {describe_value(key)}: {what} without ctrl or alt "
            "would be taken from typing and moving around"
        )
    ordered = [m for m in _MODIFIERS if m in modifiers]
    return "+".join([*ordered, base])


def character_key(ch: str) -> str:
    """The name of a character's key: a letter or digit itself (lower case), any
    other character its Unicode name (``full_stop``) or short name (``slash``)."""
    if ch.isalnum():
        return ch.lower()
    name = unicodedata.name(ch, ch).lower().replace("-", "_").replace(" ", "_")
    return _CHARACTER_NAMES.get(name, name)


#: Character keys by the names written with underscores that Unicode writes with a
#: hyphen (``hyphen_minus``), and by their short names.
_NAMED_CHARACTERS = {
    **{character_key(c): c for c in string.punctuation},
    **{
        unicodedata.name(c).lower().replace("-", "_").replace(" ", "_"): c
        for c in string.punctuation
    },
}


def _named_character(name: str) -> str | None:
    """The character a key name stands for (``minus``, ``full_stop``,
    ``latin_small_letter_a``), or None."""
    if name in _NAMED_CHARACTERS:
        return _NAMED_CHARACTERS[name]
    try:
        character = unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return None
    return character if character.isprintable() else None


def check_key(key: str) -> str | None:
    """Why ``key`` cannot bind a macro, or None when it can."""
    try:
        parse_key(key)
    except ValueError as exc:
        return str(exc)
    return None


def key_conflicts(macros: Iterable[Macro], taken: Iterable[str]) -> list[str]:
    """Problems for macro keys already bound elsewhere: ``taken`` are the console's
    own binding key strings (comma-separated lists allowed, as in Textual)."""
    used = {parse_key_or_none(k) for keys in taken for k in keys.split(",")}
    used.discard(None)
    problems = []
    for macro in macros:
        if macro.key is not None and parse_key_or_none(macro.key) in used:
            problems.append(
                f"macro {macro.name!r}: key {macro.key} is already a console key; "
                "the macro is in the palette only"
            )
    return problems


def parse_key_or_none(key: str) -> str | None:
    try:
        return parse_key(key)
    except ValueError:
        # The console's own keys may be characters without a modifier: keep them as given.
        return key.strip() or None


# --- script text --------------------------------------------------------------------


def macro_script_text(macro: Macro) -> str:
    """The scenario script a macro runs as (one line for ``at`` and ``send``)."""
    if macro.at is not None:
        return macro.at.strip()
    if macro.send is not None:
        send = macro.send
        data = send.data
        if data[:4].lower() == "hex:":
            part = " ".join(data.split())  # line breaks between hex digits: spaces
        else:
            # Quoted so leading/trailing spaces and a leading "to" stay data; real
            # control characters become escapes so the step stays on one line.
            part = '"' + "".join(_escape_control(ch) for ch in data) + '"'
        where = f" to {send.to}" if send.to is not None else ""
        return f"send {send.connect_id}{where} {part}"
    assert macro.script is not None
    return macro.script


def _escape_control(ch: str) -> str:
    if ch in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[ch]
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\x{ord(ch):02x}"
    return ch


def _label(macro: Macro) -> str:
    return "macro " + macro.name.replace("/", "-").replace("\\", "-")


def macro_script(macro: Macro, variables: Mapping[str, str] | None = None) -> Script:
    """The macro as a scenario script, ready for :func:`app.scenario.run`.

    ``variables`` are the ``${NAME}`` values (the console's script variables).
    Raises :class:`~app.scenario.ScriptError` for a macro that cannot run (its
    problems say ``macro <name>:<line>: ...``).
    """
    label = _label(macro)
    if macro.at is not None:
        problem = _at_shape(macro.at)
        if problem is not None:
            raise ScriptError([ScriptProblem(label, None, problem)])
    return parse_script(macro_script_text(macro), label, variables)


def _at_shape(at: str) -> str | None:
    """An ``at`` macro holds one AT command line and nothing else."""
    if "\r" in at or "\n" in at:
        return "an at macro sends one command line (use script for several)"
    if at.strip()[:2].upper() != "AT":
        return f"expected an AT command line, got {describe_value(at)}"
    return None


# --- validation -----------------------------------------------------------------------


def _problems(macro: Macro, variables: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """(field, message) for every problem; ``variables`` None means not known yet:
    lines using ``${...}`` are then not checked (they are when the macro runs)."""
    found: list[tuple[str, str]] = []
    if macro.key is not None:
        problem = check_key(macro.key)
        if problem is not None:
            found.append(("key", problem))
    if macro.at is not None:
        found += _check_at(macro.at, variables)
    elif macro.send is not None:
        found += _check_send(macro.send, macro, variables)
    elif macro.script is not None:
        found += _check_script(macro, variables)
    return found


def _check_at(at: str, variables: Mapping[str, str] | None) -> list[tuple[str, str]]:
    shape = _at_shape(at)
    if shape is not None:
        return [("at", shape)]
    line = at.strip()
    if variables is None and "${" in line:
        return []
    try:
        parse_script(line, "at", variables)
    except ScriptError as exc:
        text = "; ".join(p.message.removeprefix(f"{line}: ") for p in exc.problems)
        return [("at", f"expected an AT command qiterm can send, got {describe_value(at)}: {text}")]
    return []


def _check_send(
    send: SendAction, macro: Macro, variables: Mapping[str, str] | None
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(send.connect_id, bool) or not isinstance(send.connect_id, int):
        found.append(
            ("send.connect_id", f"expected an integer 0-4, got {describe_value(send.connect_id)}")
        )
    elif not 0 <= send.connect_id <= 4:
        found.append(("send.connect_id", f"expected an integer 0-4, got {send.connect_id}"))
    if send.to is not None:
        problem = _check_address(send.to)
        if problem is not None:
            found.append(("send.to", problem))
    if not isinstance(send.data, str):
        found.append(("send.data", f"expected a string, got {describe_value(send.data)}"))
    elif not send.data:
        found.append(("send.data", "expected the data to send, got an empty string"))
    if found or (variables is None and "${" in macro_script_text(macro)):
        return found
    try:
        parse_script(macro_script_text(macro), "send", variables)
    except ScriptError as exc:
        text = "; ".join(p.message for p in exc.problems)
        found.append(
            (
                "send.data",
                'expected composer text (escapes \\r \\n \\t \\0 \\\\ \\" \\xNN) or '
                f"hex:<digits>, got {describe_value(send.data)}: {text}",
            )
        )
    return found


def _check_address(to: object) -> str | None:
    expected = 'expected "<ip>:<port>" (a UDP SERVICE remote)'
    if not isinstance(to, str):
        return f"{expected}, got {describe_value(to)}"
    if to.startswith("["):
        host, sep, port = to[1:].partition("]:")
    else:
        host, sep, port = to.rpartition(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"{expected}, got {describe_value(to)}"
    if not sep or not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        return f"{expected} with a port 1-65535, got {describe_value(to)}"
    return None


def _check_script(macro: Macro, variables: Mapping[str, str] | None) -> list[tuple[str, str]]:
    assert macro.script is not None
    text = macro.script
    skipped = False
    if variables is None:
        lines = text.split("\n")
        kept = ["" if "${" in line else line for line in lines]
        skipped = kept != lines
        text = "\n".join(kept)
    try:
        parse_script(text, "script", variables)
    except ScriptError as exc:
        problems = exc.problems
        if skipped:
            problems = [p for p in problems if not p.message.startswith("no steps")]
        expected = "expected a scenario script qiterm can run"
        return [
            ("script", f"{expected}; line {p.line_no}: {p.message}" if p.line_no else p.message)
            for p in problems
        ]
    return []


def validate_macro(macro: Macro, variables: Mapping[str, str] | None = None) -> list[str]:
    """Every problem with one macro, each naming it: a bad key, an AT line the
    catalog rejects, send data that cannot be sent, a script ``parse_script``
    refuses. With ``variables`` None, lines using ``${...}`` are checked only
    when the macro runs (:func:`macro_script` with the real values)."""
    return [f"macro {macro.name!r}: {where}: {text}" for where, text in _problems(macro, variables)]


def check_macros(macros: Sequence[Macro]) -> list[str]:
    """Problems across a list: two macros with the same name or the same key."""
    problems: list[str] = []
    names: dict[str, int] = {}
    keys: dict[str, str] = {}
    for macro in macros:
        folded = macro.name.casefold()
        if folded in names:
            problems.append(f"macro {macro.name!r}: another macro has the same name")
        names[folded] = names.get(folded, 0) + 1
        if macro.key is None:
            continue
        key = parse_key_or_none(macro.key)
        if key is None:
            continue
        if key in keys:
            problems.append(f"macro {macro.name!r}: key {macro.key} is taken by {keys[key]!r}")
        else:
            keys[key] = macro.name
    return problems


# --- reading [[macro]] tables ------------------------------------------------------------


def _one_line(name: str) -> str:
    if not name.strip() or not name.isprintable():
        raise Invalid(_NAME)
    return name.strip()


def _udp_remote(to: str) -> str:
    problem = _check_address(to)
    if problem is not None:
        raise ValueError(problem)
    return to


_NAME = "a non-empty one-line string"
_SEND = 'a table such as { connect_id = 0, data = "hello\\\\r\\\\n" }'

MacroName = Annotated[str, expect(_NAME, _one_line)]
MacroKey = Annotated[str, expect('a key such as "f11", "shift+f3" or "ctrl+g"', parse_key)]
Text = Annotated[str, expect("a string")]
ConnectId = Annotated[int, expect("an integer 0-4", ge=0, le=4)]
SendData = Annotated[
    str, expect("a non-empty string (composer text or hex:<digits>)", min_length=1)
]
UdpRemote = Annotated[str, expect('"<ip>:<port>" (a UDP SERVICE remote)', _udp_remote)]
#: A cyclic send: no faster than this (the half-duplex link needs room for answers).
MIN_EVERY = 0.1
Every = Annotated[
    float, expect(f"a number of seconds, {MIN_EVERY:g} to 86400", ge=MIN_EVERY, le=86400)
]
Times = Annotated[int, expect("a whole number of runs, 1 to 1000000", ge=1, le=1_000_000)]


class SendTable(msgspec.Struct, kw_only=True):
    """A send action: ``send = { connect_id = 0, data = "...", to = "<ip>:<port>" }``."""

    connect_id: ConnectId
    data: SendData
    to: UdpRemote | None = None


class MacroTable(msgspec.Struct, kw_only=True):
    """A ``[[macro]]`` table: a name, an optional key and exactly one action
    (:func:`parse_macros` checks there is one)."""

    name: MacroName
    key: MacroKey | None = None
    at: Text | None = None
    send: Annotated[SendTable, expect(_SEND)] | None = None
    script: Text | None = None
    every: Every | None = None
    times: Times | None = None


#: The keys a ``[[macro]]`` table may hold; exactly one of ACTIONS.
MACRO_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(MacroTable))
#: The keys of a send action's table.
SEND_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(SendTable))


def parse_macros(raw: Sequence[Any], where: str = "macro") -> tuple[list[Macro], list[str]]:
    """Macros from the ``[[macro]]`` tables of a profile.

    Problems name the key (``macro[2].send.connect_id``, 1-based as the tables
    appear in the file), what was expected, and the macro's name. A bad ``key``
    leaves the macro without a key binding; a macro whose action is bad is left
    out; a second macro with a key already taken loses its key.
    """
    macros: list[Macro] = []
    problems: list[str] = []
    taken: dict[str, str] = {}
    names: set[str] = set()
    for number, entry in enumerate(raw, 1):
        at = f"{where}[{number}]"
        if not isinstance(entry, dict):
            problems.append(
                f"{at}: expected a table (name and one of at, send, script), "
                f"got {describe_value(entry)}"
            )
            continue
        macro, entry_problems = _parse_macro(entry, at)
        problems += entry_problems
        if macro is None:
            continue
        folded = macro.name.casefold()
        if folded in names:
            problems.append(f"{at}.name: another macro is named {macro.name!r} already")
        names.add(folded)
        if macro.key is not None:
            key = parse_key(macro.key)
            if key in taken:
                problems.append(
                    f"{at}.key: {macro.key} is taken by macro {taken[key]!r}; "
                    f"macro {macro.name!r} is in the palette only"
                )
                macro = replace(macro, key=None)
            else:
                taken[key] = macro.name
        macros.append(macro)
    return macros, problems


def _parse_macro(entry: dict[str, Any], at: str) -> tuple[Macro | None, list[str]]:
    checked = check_table(entry, MacroTable, at)
    name = checked.values.get("name", at)
    suffix = f" (macro {name!r})"
    given = [kind for kind in ACTIONS if kind in entry]
    problems: list[str] = []
    for problem in checked.problems:
        if problem.unknown:
            problems.append(f"{problem}{suffix}")
        elif problem.field == "name":
            problems.append(str(problem))
        elif problem.field == "key":
            problems.append(f"{problem}; no key binding{suffix}")
        elif problem.field in ("every", "times"):
            problems.append(f"{problem}; the macro runs once{suffix}")
        elif len(given) == 1:  # a bad action (with two or none, that is the problem)
            problems.append(f"{problem}; macro left out{suffix}")
    if len(given) != 1:
        which = " and ".join(given) if given else "none"
        problems.append(
            f"{at}: expected exactly one of at, send or script, got {which}; macro left out{suffix}"
        )
        return None, problems
    if checked.failed(given[0]):
        return None, problems
    table = MacroTable(**{"name": name, **checked.values})
    send = table.send
    macro = Macro(
        name,
        table.key,
        at=table.at,
        send=SendAction(send.connect_id, send.data, send.to) if send is not None else None,
        script=table.script,
        every=table.every,
        times=table.times,
    )
    content = [(f, t) for f, t in _problems(macro, None) if f != "key"]
    if content:
        problems += [f"{at}.{f}: {t}; macro left out{suffix}" for f, t in content]
        return None, problems
    return macro, problems


__all__ = [
    "ACTIONS",
    "MACRO_KEYS",
    "SEND_KEYS",
    "Macro",
    "MacroKind",
    "MacroTable",
    "SendAction",
    "SendTable",
    "character_key",
    "check_key",
    "check_macros",
    "key_conflicts",
    "macro_script",
    "macro_script_text",
    "parse_key",
    "parse_macros",
    "validate_macro",
]
