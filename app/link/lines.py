"""Which lines answer which command: the names on a command line, the URC shapes
that share a command's name, and whether a command only reads (pure helpers for
the engine)."""

from __future__ import annotations

from app.protocol import cellular as cell
from app.protocol import events as ev
from app.protocol.commands import AtCommand
from app.protocol.syntax import AtSyntaxError, Form, parse_command_line, split_command_line

#: Commands without side effects by their name, in their execute or write forms
#: (the read and test forms of every command are queries too).
QUERY_NAMES = frozenset(
    {
        "",
        "I",
        "+CGMI",
        "+CGMM",
        "+CGMR",
        "+CGSN",
        "+CIMI",
        "+QCCID",
        "+CSQ",
        "+CESQ",
        "+CBC",
        "+CEDRXRDP",
        "+CGPADDR",
        "+QENG",
        "+QISTATE",
    }
)


def urc_shaped(event: ev.Event) -> bool:
    """A line whose shape is the URC's even when the command in flight has its name."""
    if isinstance(event, ev.CeregStatus | ev.CsconStatus | ev.QNbiotEvent):
        return event.unsolicited
    # +CEDRXP is only ever a URC (AT Commands Manual V1.4 §9.1, <mode>=2).
    return isinstance(event, cell.EdrxDynamic) and event.unsolicited


def command_names(command: AtCommand) -> frozenset[str]:
    """The names of the commands on a command line (``AT+CSQ;+CESQ`` holds two,
    AT Commands Manual V1.4 §1.2)."""
    if ";" not in command.line:
        return frozenset({command.name})
    try:
        return frozenset(parse_command_line(c).name for c in split_command_line(command.line))
    except AtSyntaxError:
        return frozenset({command.name})


def read_only(command: AtCommand) -> bool:
    """True when every command on the line only reads (written twice, no harm done)."""
    try:
        parts = [parse_command_line(c) for c in split_command_line(command.line)]
    except AtSyntaxError:
        return False
    return all(
        part.form in (Form.READ, Form.TEST) or part.name.upper() in QUERY_NAMES for part in parts
    )
