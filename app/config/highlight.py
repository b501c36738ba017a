"""Highlight rules: a regex and a rich style, applied on top of a log line's colours.

A profile lists them as ``[[highlight]]`` tables (``pattern`` and ``style``); the
log's renderer (:func:`app.model.render.render_entry`) calls :func:`apply` on
each line's message (never its timestamp or arrow). Rules apply in order, so a
later rule's style wins where two matches overlap. Patterns are Python regular
expressions searched anywhere in the message (``(?i)`` at the start makes one
case-insensitive), matched with RE2 in linear time (:mod:`app.config.pattern`: no
backreferences or lookaround, refused with the reason at load); styles are rich
style strings (``"bold magenta"``, ``"black on yellow"``, ``"underline #ff8800"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import msgspec
from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.text import Text

from app.config.pattern import UserPattern, compile_pattern
from app.config.schema import check_table, describe_value, expect


class HighlightRule(msgspec.Struct, frozen=True):
    pattern: UserPattern
    style: Style

    @classmethod
    def parse(cls, pattern: str, style: str) -> HighlightRule:
        """Compile ``pattern`` and parse ``style``; ValueError naming what is wrong."""
        return cls(_compile(pattern), _style(style))

    def to_dict(self) -> dict[str, str]:
        """The ``[[highlight]]`` table this rule came from (for saving a profile)."""
        return {"pattern": self.pattern.pattern, "style": str(self.style)}


def _compile(pattern: str) -> UserPattern:
    if not pattern:
        raise ValueError("expected a regular expression, got an empty string")
    try:
        return compile_pattern(pattern)
    except ValueError as exc:
        raise ValueError(
            f"expected a regular expression, got {describe_value(pattern)}: {exc}"
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


class RuleTable(msgspec.Struct, kw_only=True):
    """A ``[[highlight]]`` table (checking compiles the pattern and parses the style)."""

    pattern: Annotated[str, expect("a string", _compile)]
    style: Annotated[str, expect("a string", _style)]


#: The keys a ``[[highlight]]`` table may hold.
RULE_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(RuleTable))


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
        checked = check_table(entry, RuleTable, at)
        bad = any(checked.failed(key) for key in RULE_KEYS)
        for problem in checked.problems:
            problems.append(f"{problem}; rule left out" if not problem.unknown else str(problem))
        if not bad:
            rules.append(HighlightRule(checked.values["pattern"], checked.values["style"]))
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


__all__ = ["RULE_KEYS", "HighlightRule", "RuleTable", "apply", "parse_rules"]
