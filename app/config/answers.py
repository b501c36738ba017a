r"""Automatic answers: "when the module says a line matching this, send that".

A profile lists them as ``[[answer]]`` tables::

    [[answer]]
    name = "reopen"                       # how the log and the palette name it
    match = '\+QIURC: "closed",(\d)'      # a regex, searched in each received line
    line = "AT+QICLOSE=${MATCH1}"         # an AT line (or !raw TEXT / !hex DIGITS) ...
    # script = '''...'''                  # ... or a scenario script, not both
    holdoff = 2.0                         # seconds before it may fire again (default 1)
    limit = 5                             # firings at most, then it turns itself off
    enabled = true                        # false: listed in the palette, switched off

``${MATCH}`` is the whole received line and ``${MATCH1}`` ... ``${MATCH9}`` the
pattern's groups; the session's script variables work too. Patterns are matched
with RE2 (:mod:`app.config.pattern`), in linear time, so no line from the
network can stall the serial thread; lines the module echoes are never matched.

The hold-off and the limit keep two rules (or a rule and the module) from
answering each other for ever: a rule fires at most once per hold-off and at
most ``limit`` times until it is switched on again (palette: *Automatic answers*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

import msgspec

from app.config.pattern import UserPattern, compile_pattern
from app.config.schema import Invalid, check_table, describe_value, expect
from app.protocol.payload import PayloadError
from app.protocol.typed import Kind, parse_typed

DEFAULT_HOLDOFF = 1.0
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MIN_HOLDOFF = 0.1
#: Match groups a rule may use as ${MATCH1} ... ${MATCH9}.
MAX_GROUPS = 9


@dataclass(frozen=True)
class AnswerRule:
    name: str
    pattern: UserPattern
    #: An AT command line, or a raw one (``!raw``, ``!hex``, ``+++``).
    line: str | None = None
    #: A scenario script (several steps, waits).
    script: str | None = None
    holdoff: float = DEFAULT_HOLDOFF
    limit: int = DEFAULT_LIMIT
    enabled: bool = True

    def __post_init__(self) -> None:
        if (self.line is None) == (self.script is None):
            raise ValueError(f"answer {self.name!r}: give exactly one of line or script")

    def summary(self) -> str:
        """One line: ``'<pattern>' -> <what it sends>``."""
        what = self.line if self.line is not None else f"script ({_steps(self.script)})"
        return f"'{self.pattern.pattern}' → {what}"

    def variables(self, text: str) -> dict[str, str] | None:
        """``MATCH`` and ``MATCH1``... for a received line, or None when the line
        does not match."""
        groups = self.pattern.groups(text)
        if groups is None:
            return None
        values = {"MATCH": text}
        for number, group in enumerate(groups[:MAX_GROUPS], 1):
            values[f"MATCH{number}"] = group or ""
        return values

    def to_dict(self) -> dict[str, Any]:
        table: dict[str, Any] = {"name": self.name, "match": self.pattern.pattern}
        if self.line is not None:
            table["line"] = self.line
        if self.script is not None:
            table["script"] = self.script
        table["holdoff"] = self.holdoff
        table["limit"] = self.limit
        if not self.enabled:
            table["enabled"] = False
        return table


def _steps(script: str | None) -> str:
    lines = [s for s in (script or "").splitlines() if s.strip() and not s.strip().startswith("#")]
    return f"{len(lines)} step{'s' if len(lines) != 1 else ''}"


# --- checking -----------------------------------------------------------------------


def _pattern(text: str) -> UserPattern:
    if not text:
        raise Invalid("a regular expression (RE2), not an empty string")
    try:
        return compile_pattern(text)
    except ValueError as exc:
        raise ValueError(
            f"expected a regular expression, got {describe_value(text)}: {exc}"
        ) from None


def _name(name: str) -> str:
    if not name.strip() or not name.isprintable():
        raise Invalid("a non-empty one-line string")
    return name.strip()


def check_line(line: str, variables: Mapping[str, str] | None = None) -> str | None:
    """Why ``line`` cannot be an answer's line (None when it can): one AT command
    line the catalog takes, or a raw one. ``${...}`` parts are checked when the
    rule fires (with ``variables`` given, now)."""
    from app.config.macros import Macro, validate_macro

    if "\r" in line or "\n" in line:
        return "expected one line (use script for several)"
    try:
        typed = parse_typed(line)
    except PayloadError as exc:
        return str(exc)
    if typed.kind is Kind.REPEAT:
        return "A/ repeats what a person typed; give the line itself"
    if typed.kind is not Kind.COMMAND:
        return None
    problems = validate_macro(Macro("answer", at=line), variables)
    if not problems:
        return None
    return problems[0].split(": at: ", 1)[-1]


def check_script(script: str) -> str | None:
    from app.config.macros import Macro, validate_macro

    problems = validate_macro(Macro("answer", script=script))
    return problems[0].split(": script: ", 1)[-1] if problems else None


_NAME_TEXT = "a non-empty one-line string"

AnswerName = Annotated[str, expect(_NAME_TEXT, _name)]
#: Checked by compiling it: the value kept is the compiled :class:`UserPattern`.
Pattern = Annotated[str, expect("a regular expression (RE2)", _pattern)]
Text = Annotated[str, expect("a string")]
Holdoff = Annotated[
    float, expect(f"a number of seconds, {MIN_HOLDOFF:g} to 3600", ge=MIN_HOLDOFF, le=3600)
]
Limit = Annotated[int, expect(f"a whole number of firings, 1 to {MAX_LIMIT}", ge=1, le=MAX_LIMIT)]
Enabled = Annotated[bool, expect("true or false")]


class AnswerTable(msgspec.Struct, kw_only=True):
    """An ``[[answer]]`` table."""

    name: AnswerName
    match: Pattern
    line: Text | None = None
    script: Text | None = None
    holdoff: Holdoff = DEFAULT_HOLDOFF
    limit: Limit = DEFAULT_LIMIT
    enabled: Enabled = True


ANSWER_KEYS = tuple(f.encode_name for f in msgspec.structs.fields(AnswerTable))


def parse_answers(raw: Sequence[Any], where: str = "answer") -> tuple[list[AnswerRule], list[str]]:
    """Rules from the ``[[answer]]`` tables of a profile, and one problem per bad
    key (``answer[2].line: ...``); a rule with a bad pattern or action is left out."""
    rules: list[AnswerRule] = []
    problems: list[str] = []
    names: set[str] = set()
    for number, entry in enumerate(raw, 1):
        at = f"{where}[{number}]"
        if not isinstance(entry, dict):
            problems.append(
                f"{at}: expected a table (name, match and one of line, script), "
                f"got {describe_value(entry)}"
            )
            continue
        checked = check_table(entry, AnswerTable, at)
        name = checked.values.get("name", at)
        suffix = f" (answer {name!r})"
        bad = False
        for problem in checked.problems:
            if problem.unknown:
                problems.append(f"{problem}{suffix}")
            else:
                bad = bad or problem.field in ("name", "match", "line", "script")
                left = (
                    "; answer left out"
                    if problem.field in ("name", "match", "line", "script")
                    else ""
                )
                problems.append(f"{problem}{left}{suffix}")
        given = [key for key in ("line", "script") if key in entry]
        if len(given) != 1:
            which = " and ".join(given) if given else "neither"
            problems.append(
                f"{at}: expected exactly one of line or script, got {which}; "
                f"answer left out{suffix}"
            )
            continue
        if bad:
            continue
        table = AnswerTable(**checked.values)
        why = check_line(table.line) if table.line is not None else check_script(table.script or "")
        if why is not None:
            problems.append(f"{at}.{given[0]}: {why}; answer left out{suffix}")
            continue
        if name.casefold() in names:
            problems.append(f"{at}.name: another answer is named {name!r} already{suffix}")
        names.add(name.casefold())
        pattern = checked.values["match"]  # compiled by the check (_pattern)
        rules.append(
            AnswerRule(
                name,
                pattern,
                line=table.line,
                script=table.script,
                holdoff=table.holdoff,
                limit=table.limit,
                enabled=table.enabled,
            )
        )
    return rules, problems


def switched(rule: AnswerRule, enabled: bool) -> AnswerRule:
    return replace(rule, enabled=enabled)


__all__ = [
    "ANSWER_KEYS",
    "DEFAULT_HOLDOFF",
    "DEFAULT_LIMIT",
    "AnswerRule",
    "AnswerTable",
    "check_line",
    "check_script",
    "parse_answers",
    "switched",
]
