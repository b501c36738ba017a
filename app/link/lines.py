"""Which lines answer which command: the response and deferred lines by command,
the names on a command line, the URC shapes that share a command's name, whether a
command only reads, and whether a frame is the echo of bytes written (pure helpers
for the engine)."""

from __future__ import annotations

from app.protocol import cellular as cell
from app.protocol import events as ev
from app.protocol.catalog import Deferred
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


#: Response events and the command whose answer they are.
RESPONSE_NAME: dict[type[ev.Event], str] = {
    ev.QiStateRow: "+QISTATE",
    ev.QiCfgDataFormat: "+QICFG",
    ev.QiCfgShowRA: "+QICFG",
    ev.QiDnsCfg: "+QIDNSCFG",
    ev.QiSendCounts: "+QISEND",
    ev.CsqReport: "+CSQ",
    ev.PdpAddress: "+CGPADDR",
    ev.ClockTime: "+CCLK",
    ev.CeregStatus: "+CEREG",
    ev.CpinStatus: "+CPIN",
    ev.CesqReport: "+CESQ",
    ev.CsconStatus: "+CSCON",
    ev.QNbiotEvent: "+QNBIOTEVENT",
    ev.QsclkStatus: "+QSCLK",
    ev.QCfgValue: "+QCFG",
    cell.SerialNumber: "+CGSN",
    cell.IccidReport: "+QCCID",
    cell.AttachState: "+CGATT",
    cell.OperatorStatus: "+COPS",
    cell.PdpContextDef: "+CGDCONT",
    cell.FunctionalityLevel: "+CFUN",
    cell.QengServingCell: "+QENG",
    cell.QengNeighbourCell: "+QENG",
    cell.QengPlmnState: "+QENG",
    cell.PsmSetting: "+CPSMS",
    cell.EdrxSetting: "+CEDRXS",
    cell.EdrxDynamic: "+CEDRXRDP",
}

#: Deferred results and the kind of command that waits for them.
DEFERRED_KIND: dict[type[ev.Event], Deferred] = {
    ev.QiOpenResult: Deferred.QIOPEN,
    ev.QPingReply: Deferred.QPING,
    ev.QPingSummary: Deferred.QPING,
    ev.QPingResult: Deferred.QPING,
    ev.QNtpResult: Deferred.QNTP,
    ev.QiDnsGipHeader: Deferred.QIDNSGIP,
    ev.QiDnsGipAddress: Deferred.QIDNSGIP,
}


def take_echo(due: bytearray, raw: bytes) -> bool:
    """True when the frame ``raw`` is (the rest of) the echo of bytes written,
    ``due`` (what has not come back yet, consumed here). Compared byte for byte: a
    frame wholly inside the bytes due is echo; so is one where they end, when what
    follows in the frame is only its terminator (the module's CR LF before its
    result), or a Ctrl-Z echoed back. Anything else is the module speaking."""
    if not due or not raw:
        return False
    if due.startswith(raw):
        del due[: len(raw)]
        return True
    if raw.startswith(due) and raw[len(due) :].lstrip(b"\x1a").strip(b"\r\n") == b"":
        due.clear()
        return True
    return False


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
