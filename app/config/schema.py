"""Checking a TOML table against a :class:`msgspec.Struct` schema, one key at a time.

A schema declares each key's type and constraints with ``Annotated[...,
msgspec.Meta(...)]``; the Meta's ``description`` says, in the words of a problem
message, what the key expects (``"a positive integer such as 9600"``), and
:func:`expect` can attach a ``check`` for what a type and constraints cannot say
(a URL's scheme, a regular expression that compiles). :func:`check_table` then
converts every key on its own with :func:`msgspec.convert`, so one bad key is
reported and the others still apply:

* a bad value is a :class:`Problem` ``<key>: expected <description>, got <value>``
  (with ``; using the default ...`` for a key with a plain default);
* a key the schema does not know is a problem too, with the known keys and the
  closest one (``did you mean baud?``);
* an array is checked item by item (``favourites.ports[2]``, counted from 1): a bad
  item is left out, the others kept;
* a table typed as another schema is checked the same way (``macro[1].send.data``).
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

#: A check run after the type and constraints passed: returns the value to use
#: (possibly converted) or raises :class:`Invalid` (or ValueError with the whole message).
Check = Callable[[Any], Any]


class Invalid(ValueError):
    """A value of the right type that a check refuses; ``expected`` says what would do."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def expect(description: str, check: Check | None = None, **constraints: Any) -> msgspec.Meta:
    """The Meta of a schema key: msgspec ``constraints`` (``ge=0``, ``pattern=...``),
    what the key expects in words, and an optional further ``check``."""
    return msgspec.Meta(
        description=description, extra={"check": check} if check else None, **constraints
    )


class Problem(msgspec.Struct, frozen=True):
    #: The key as a path: ``favourites.ports[2]``, ``macro[1].send.data``.
    key: str
    #: What was wrong: ``expected ..., got ...``, ``unknown key (...)``.
    message: str
    #: The key of the checked table the problem is under (``send`` for ``send.data``).
    field: str
    #: An unknown key: reported, its value ignored, the rest of the table stands.
    unknown: bool = False

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass
class Checked:
    #: The keys given with a usable value, converted (a table typed as a schema:
    #: that schema's struct, with defaults for its bad keys).
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def failed(self, key: str) -> bool:
        """Whether ``key`` (or a key inside it) had a bad or missing value."""
        return any(p.field == key and not p.unknown for p in self.problems)


def check_table(table: Mapping[str, Any], schema: type[msgspec.Struct], at: str = "") -> Checked:
    """Check every key of ``table`` against ``schema``; ``at`` is the table's own
    path (``macro[2]``), put before each key in the problems."""
    prefix = f"{at}." if at else ""
    fields = msgspec.structs.fields(schema)
    known = [f.encode_name for f in fields]
    checked = Checked()
    for key in table:
        if key not in known:
            message = f"unknown key{suggest(key, known)}"
            checked.problems.append(Problem(prefix + key, message, key, unknown=True))
    for info in fields:
        name = info.encode_name
        path = prefix + name
        meta_type = _present(info.type)
        if name not in table:
            if info.required:
                message = f"missing (expected {_meta(meta_type)[0]})"
                checked.problems.append(Problem(path, message, name))
            continue
        default = info.default if isinstance(info.default, bool | int | float | str) else None
        value, problems = _check_value(table[name], meta_type, path, name, default)
        checked.problems += problems
        if value is not _BAD:
            checked.values[name] = value
    return checked


def describe_value(value: object) -> str:
    """How a TOML value reads in a problem message: strings quoted as TOML writes
    them (long ones shortened), booleans as ``true``/``false``, tables and arrays
    by kind."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        if "\\" in value and "'" not in value and value.isprintable():
            shown = f"'{value}'"  # a literal string: regexes read as written
        else:
            shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 60 else f"{shown[:50]}…{shown[-8:]}"
    if isinstance(value, int | float):
        return repr(value)
    return f"a {type(value).__name__}"  # TOML dates and times


def suggest(key: str, known: Iterable[str]) -> str:
    """`` (known keys: ...; did you mean ...?)`` for an unknown key."""
    names = list(known)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f" (known keys: {', '.join(names)}{hint})"


# --- one value ------------------------------------------------------------------------

#: Stands for "no usable value".
_BAD: Any = object()


def _check_value(
    value: Any, tp: Any, path: str, name: str, default: object = None
) -> tuple[Any, list[Problem]]:
    """``value`` converted to ``tp`` (or ``_BAD``) and the problems found."""
    description, check = _meta(tp)
    base = _unannotated(tp)

    def bad(message: str) -> tuple[Any, list[Problem]]:
        fallback = "" if default is None else f"; using the default {_toml(default)}"
        return _BAD, [Problem(path, message + fallback, name)]

    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        if not isinstance(value, dict):
            return bad(f"expected {description}, got {describe_value(value)}")
        nested = check_table(value, base, path)
        problems = [Problem(p.key, p.message, name, p.unknown) for p in nested.problems]
        required = {f.encode_name for f in msgspec.structs.fields(base) if f.required}
        if not required <= nested.values.keys():
            return _BAD, problems
        return base(**nested.values), problems
    if get_origin(base) is list:
        if not isinstance(value, list):
            return bad(f"expected {description}, got {describe_value(value)}")
        (item_type,) = get_args(base) or (Any,)
        items: list[Any] = []
        problems = []
        for number, item in enumerate(value, 1):
            converted, found = _check_value(item, item_type, f"{path}[{number}]", name)
            problems += found
            if converted is not _BAD:
                items.append(converted)
        return items, problems
    try:
        converted = msgspec.convert(value, tp)
    except msgspec.ValidationError:
        return bad(f"expected {description}, got {describe_value(value)}")
    if check is None:
        return converted, []
    try:
        return check(converted), []
    except Invalid as exc:
        return bad(f"expected {exc.expected}, got {describe_value(value)}")
    except ValueError as exc:
        return bad(str(exc))


def _present(tp: Any) -> Any:
    """The type of a key that is there: ``X | UnsetType`` is X (UNSET means absent)."""
    if get_origin(tp) in (Union, types.UnionType):
        kept = [a for a in get_args(tp) if a not in (msgspec.UnsetType, type(None))]
        if len(kept) == 1:
            return kept[0]
    return tp


def _unannotated(tp: Any) -> Any:
    return get_args(tp)[0] if get_origin(tp) is Annotated else tp


def _meta(tp: Any) -> tuple[str, Check | None]:
    """The description and check of a key's type (its ``expect`` Meta)."""
    description, check = "a value of another type", None
    if get_origin(tp) is Annotated:
        for meta in get_args(tp)[1:]:
            if isinstance(meta, msgspec.Meta):
                description = meta.description or description
                check = (meta.extra or {}).get("check", check)
    return description, check


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


__all__ = [
    "Check",
    "Checked",
    "Invalid",
    "Problem",
    "check_table",
    "describe_value",
    "expect",
    "suggest",
]
