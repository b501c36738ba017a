"""Every command qiterm knows: forms, parameters, ranges, defaults, help.

The TCP/IP commands come from spec chapter 2.3; the basic commands an engineer
types first (AT, ATE, ATI, +CEREG ...) are not in the application note and are
described from 3GPP TS 27.007 as the BC660K-GL implements them.

One table serves three readers: the builders in :mod:`app.protocol.commands`
(validation), the simulated module (which answers ERROR where a check fails),
and the console (command palette, completion, hints).
"""

from __future__ import annotations

import msgspec

from app.protocol.params import (
    HOST,
    HOSTNAME,
    LOCAL_PORT,
    NTP_PORT,
    NTP_SERVER,
    PING_HOST,
    PING_NUM,
    PING_SIZE,
    PRI_DNS,
    REMOTE_IP,
    REMOTE_PORT,
    SEC_DNS,
    SERVICE_TYPES,
    TIME_OUT,
    UDP_REMOTE_PORT,
    CommandSpec,
    Completion,
    DataModeKind,
    Deferred,
    FormMismatch,
    FormSpec,
    Param,
    ParamError,
    ParamKind,
    Value,
    is_ip_address,
)
from app.protocol.spec_general import (
    GENERAL,
    IPR_RATES,
    PDP_TYPES,
)
from app.protocol.spec_tcpip import TCPIP
from app.protocol.syntax import Arg, CommandLine

CATALOG: tuple[CommandSpec, ...] = TCPIP + GENERAL

_BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in CATALOG}


def lookup(name: str) -> CommandSpec | None:
    """The spec of ``+QIOPEN`` / ``E`` / ``""`` ..., case-insensitive."""
    return _BY_NAME.get(name.upper())


class Match(msgspec.Struct, frozen=True):
    spec: CommandSpec
    form: FormSpec
    values: dict[str, Value]


def _arg_value(param: Param, arg: Arg) -> tuple[bool, Value]:
    """(type matches, value) for one argument against one parameter."""
    if arg.omitted:
        return True, None
    if param.kind is ParamKind.INT:
        n = arg.as_int()
        return (n is not None), n
    # Strings: quoted is the rule; an unquoted token is accepted leniently (§2.3.4 note 3
    # only asks for quotes around special characters), but ranks below a quoted match.
    return True, arg.text


def _type_score(form: FormSpec, args: tuple[Arg, ...]) -> int | None:
    """None when the args cannot fit the form; else a score (higher fits better)."""
    if not form.arity_ok(len(args)):
        return None
    score = 0
    for i, (param, arg) in enumerate(zip(form.params, args, strict=False)):
        if arg.omitted and i < form.required:
            return None
        ok, _ = _arg_value(param, arg)
        if not ok:
            return None
        if param.kind is ParamKind.STRING:
            score += 2 if arg.quoted else 0
        elif not arg.omitted:
            score += 1
    return score


def match(cmd: CommandLine) -> Match:
    """Find the form of a parsed line and check every parameter against the spec.

    Raises :class:`FormMismatch` when the command is unknown or no form takes
    these parameters, and :class:`ParamError` for a value outside the spec.
    """
    spec = lookup(cmd.name)
    if spec is None:
        raise FormMismatch(f"{cmd.display_name} is not a command qiterm knows")
    candidates = [f for f in spec.forms if f.form is cmd.form]
    if not candidates:
        kinds = ", ".join(sorted({f.form.value for f in spec.forms}))
        raise FormMismatch(f"{spec.command} has no {cmd.form.value} form (it has: {kinds})")
    scored: list[tuple[int, int, FormSpec]] = []
    for order, form in enumerate(candidates):
        score = _type_score(form, cmd.args)
        if score is not None:
            scored.append((-score, order, form))
    if not scored:
        syntaxes = "; ".join(f.syntax for f in candidates)
        raise FormMismatch(
            f"{spec.command} takes no {len(cmd.args)} parameter(s) of these types; forms: "
            f"{syntaxes}"
        )
    scored.sort(key=lambda t: (t[0], t[1]))
    first_error: ParamError | None = None
    for _, _, form in scored:
        try:
            values = check_values(spec, form, cmd.args)
        except ParamError as exc:
            if first_error is None:
                first_error = exc
            continue
        return Match(spec, form, values)
    assert first_error is not None
    raise first_error


def check_values(spec: CommandSpec, form: FormSpec, args: tuple[Arg, ...]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for param, arg in zip(form.params, args, strict=False):
        _, value = _arg_value(param, arg)
        values[param.name] = param.check(value)
    if spec.cross_check is not None:
        spec.cross_check(form, values)
    return values


def all_forms() -> list[tuple[CommandSpec, FormSpec]]:
    return [(spec, form) for spec in CATALOG for form in spec.forms]


__all__ = [
    "CATALOG",
    "HOST",
    "HOSTNAME",
    "IPR_RATES",
    "LOCAL_PORT",
    "NTP_PORT",
    "NTP_SERVER",
    "PDP_TYPES",
    "PING_HOST",
    "PING_NUM",
    "PING_SIZE",
    "PRI_DNS",
    "REMOTE_IP",
    "REMOTE_PORT",
    "SEC_DNS",
    "SERVICE_TYPES",
    "TIME_OUT",
    "UDP_REMOTE_PORT",
    "CommandSpec",
    "Completion",
    "DataModeKind",
    "Deferred",
    "FormMismatch",
    "FormSpec",
    "Match",
    "Param",
    "ParamError",
    "ParamKind",
    "Value",
    "all_forms",
    "check_values",
    "is_ip_address",
    "lookup",
    "match",
]
