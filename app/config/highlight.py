"""Highlight rules: a regex and a rich style, applied on top of a log line's colours.

A profile lists them as ``[[highlight]]`` tables (``pattern`` and ``style``); the
log's renderer (:func:`app.model.render.render_entry`) calls :func:`apply` on
each line's message (never its timestamp or arrow). Rules apply in order, so a
later rule's style wins where two matches overlap. Patterns are Python regular
expressions searched anywhere in the message (``(?i)`` at the start makes one
case-insensitive); styles are rich style strings (``"bold magenta"``,
``"black on yellow"``, ``"underline #ff8800"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.text import Text

#: The keys a ``[[highlight]]`` table may hold.
RULE_KEYS = ("pattern", "style")


@dataclass(frozen=True)
class HighlightRule:
    pattern: re.Pattern[str]
    style: Style

    @classmethod
    def parse(cls, pattern: str, style: str) -> HighlightRule:
        """Compile ``pattern`` and parse ``style``; ValueError naming what is wrong."""
        return cls(_compile(pattern), _style(style))

    def to_dict(self) -> dict[str, str]:
        """The ``[[highlight]]`` table this rule came from (for saving a profile)."""
        return {"pattern": self.pattern.pattern, "style": str(self.style)}


def _compile(pattern: str) -> re.Pattern[str]:
    if not pattern:
        raise ValueError("expected a regular expression, got an empty string")
    try:
        return re.compile(pattern)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise ValueError(
            f"expected a regular expression, got {describe_value(pattern)}: {exc.msg}{where}"
        ) from None


def _style(style: str) -> Style:
    try:
        parsed = Style.parse(style)
    except StyleSyntaxError as exc:
        raise ValueError(
            f'expected a rich style such as "bold magenta" or "black on yellow", '
            f"got {describe_value(style)}: {exc}"
        ) from None
    if not parsed:
        raise ValueError('expected a rich style such as "bold magenta", got an empty style')
    return parsed


def parse_rules(
    raw: Sequence[Any], where: str = "highlight"
) -> tuple[list[HighlightRule], list[str]]:
    """Rules from the ``[[highlight]]`` tables of a profile.

    Returns the valid rules and one problem per bad entry, each naming the key
    (``highlight[2].style``, 1-based as the tables appear in the file) and what
    was expected. A bad rule is left out; the others still apply.
    """
    rules: list[HighlightRule] = []
    problems: list[str] = []
    for number, entry in enumerate(raw, 1):
        at = f"{where}[{number}]"
        if not isinstance(entry, dict):
            problems.append(
                f"{at}: expected a table with pattern and style, got {describe_value(entry)}"
            )
            continue
        bad = False
        for key in entry:
            if key not in RULE_KEYS:
                problems.append(f"{at}.{key}: unknown key (a highlight has pattern and style)")
        values: dict[str, str] = {}
        for key in RULE_KEYS:
            value = entry.get(key)
            if value is None:
                problems.append(f"{at}.{key}: missing (expected a string); rule left out")
                bad = True
            elif not isinstance(value, str):
                problems.append(
                    f"{at}.{key}: expected a string, got {describe_value(value)}; rule left out"
                )
                bad = True
            else:
                values[key] = value
        if bad:
            continue
        try:
            pattern = _compile(values["pattern"])
        except ValueError as exc:
            problems.append(f"{at}.pattern: {exc}; rule left out")
            continue
        try:
            style = _style(values["style"])
        except ValueError as exc:
            problems.append(f"{at}.style: {exc}; rule left out")
            continue
        rules.append(HighlightRule(pattern, style))
    return rules, problems


def apply(text: Text, rules: Iterable[HighlightRule], *, start: int = 0) -> None:
    """Stylize every match of every rule in ``text``, on top of its existing styles.

    ``start`` skips the beginning of ``text`` (a pattern is still matched against
    the whole of it). Empty matches are ignored.
    """
    plain = text.plain
    for rule in rules:
        for match in rule.pattern.finditer(plain, start):
            begin, end = match.span()
            if end > begin:
                text.stylize(rule.style, begin, end)


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


__all__ = ["RULE_KEYS", "HighlightRule", "apply", "describe_value", "parse_rules"]
