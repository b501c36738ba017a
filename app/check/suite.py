"""The conformance suite's frame: the run's order, set-up, clean-up and the helpers
every probe uses. The probes themselves are in :mod:`app.check.sockets` (chapter
2.3.1-2.3.4, the URCs of 2.4 and the flows of 4.1-4.3) and
:mod:`app.check.services` (2.3.5-2.3.9, 4.4-4.7).

Each probe sends what the application note describes and records
:class:`~app.check.model.Finding`\\ s. Each aspect of the spec is judged in one
place only (a flow that opens a socket does not judge AT+QIOPEN's layout again),
so one deviation shows as one difference.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.check.expect import Field, body, check_test_line, integer, split_fields, unquote
from app.check.link import ProbeLink, Reply
from app.check.model import Finding, Report, Spec, Verdict
from app.check.net import Network
from app.link.results import Outcome, Rx
from app.protocol import events as ev
from app.protocol.codes import ResultCode

#: §2.3.1-2.3.9 "Maximum Response Time": 5 s for each command of the note.
MAX_RESPONSE_S = 5.0
#: How long to wait for a URC the check provoked (a close, an incoming connection...).
URC_WAIT_S = 5.0
NOT_REGISTERED = (
    "the module has no IP address (AT+CGPADDR): not registered to a network, "
    "so this is not judged (§2.3.1 note 4: after the +IP: URC)"
)
#: Chapter 3: every result code the note defines (0 and 550-574).
RESULT_CODES = frozenset(int(code) for code in ResultCode)
#: The commands of chapter 2.3 and their clauses.
COMMANDS = {
    "+QIOPEN": "§2.3.1",
    "+QICLOSE": "§2.3.2",
    "+QISTATE": "§2.3.3",
    "+QISEND": "§2.3.4",
    "+QPING": "§2.3.5",
    "+QNTP": "§2.3.6",
    "+QIDNSGIP": "§2.3.7",
    "+QIDNSCFG": "§2.3.8",
    "+QICFG": "§2.3.9",
}


def refused(reply: Reply) -> bool:
    """The command was refused as the spec says a bad parameter is: ``ERROR`` (or,
    with AT+CMEE=1/2, result code 552 "Parameters invalid", chapter 3)."""
    finals = [f.event for f in reply.frames if isinstance(f.event, ev.Ok | ev.Error | ev.CmeError)]
    if len(finals) != 1:
        return False
    final = finals[0]
    if isinstance(final, ev.Error):
        return True
    return isinstance(final, ev.CmeError) and (
        final.code == ResultCode.PARAMETERS_INVALID or final.message.lower() == "parameters invalid"
    )


@dataclass
class Suite:
    link: ProbeLink
    net: Network
    report: Report
    #: The module's IP address (AT+CGPADDR), "" when it has none.
    module_ip: str = ""
    #: The module reaches this machine's loopback peers (it shares its network stack).
    local: bool = False
    #: The module's DNS and NTP defaults point at the check's peers (a sim:// port).
    wired: bool = False
    #: The command that puts the module's DNS servers back, when they could be read.
    restore_dns: str | None = None
    #: Slowest first final result per command name, and the line that took it.
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: AT+QICLOSE was seen to answer OK without CLOSE OK.
    close_ok_missing: bool = False
    #: What to put back at the end (dataformat, showRA, DNS servers).
    restore: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ findings

    def record(self, spec: Spec, verdict: Verdict, got: str) -> Finding:
        return self.report.add(
            Finding(spec.id, spec.section, spec.chapter, spec.what, verdict, spec.expected, got)
        )

    def judge(self, spec: Spec, got: str, problem: str | None) -> Finding:
        """Conforms when ``problem`` is None; else differs, saying why."""
        if problem is None:
            return self.record(spec, Verdict.CONFORMS, got)
        return self.record(spec, Verdict.DIFFERS, f"{got} ({problem})" if got else problem)

    def skip(self, why: str, *specs: Spec) -> None:
        for spec in specs:
            self.record(spec, Verdict.SKIPPED, why)

    def network(self, why: str, *specs: Spec) -> None:
        for spec in specs:
            self.record(spec, Verdict.NETWORK, why)

    def offline(self, *specs: Spec) -> bool:
        """The module is not on a network (no IP address): ``specs``, which need one,
        are not judged. Returns whether it is so."""
        if self.module_ip:
            return False
        self.network(NOT_REGISTERED, *specs)
        return True

    # ------------------------------------------------------------ commands

    def send(self, line: str, timeout: float | None = None) -> Reply:
        return self.note_time(self.link.send(line, timeout))

    def note_time(self, reply: Reply) -> Reply:
        """Keep the slowest first final result of each command of chapter 2.3."""
        name = command_name(reply.line)
        took = reply.first_final()
        if name in COMMANDS and took is not None:
            slowest = self.slowest.get(name)
            if slowest is None or took > slowest[0]:
                self.slowest[name] = (took, reply.line)
        return reply

    def expect_lines(self, reply: Reply, wanted: list[Callable[[str], bool]]) -> str | None:
        """Why the reply's lines are not ``wanted`` one for one, or None."""
        lines = reply.lines
        if reply.result is None:
            return "no answer"
        if len(lines) != len(wanted):
            return f"{len(lines)} lines, the spec has {len(wanted)}"
        for i, (line, ok) in enumerate(zip(lines, wanted, strict=True), start=1):
            if not ok(line):
                return f"line {i} is {line!r}"
        return None

    def params(self, spec: Spec, cases: list[tuple[str, str]]) -> Finding:
        """Each line of ``cases`` (line, what is wrong with it) must be refused."""
        accepted = []
        for line, why in cases:
            reply = self.send(line)
            if not refused(reply):
                accepted.append(f"{line} ({why}) -> {reply.shown}")
        got = "; ".join(accepted) if accepted else f"ERROR for each of {len(cases)}"
        problem = f"{len(accepted)} of {len(cases)} not refused" if accepted else None
        finding = self.judge(spec, got, problem)
        if accepted:
            self.close_all()  # an open that should have been refused may have left a socket
        return finding

    def test_form(self, spec: Spec, line: str, name: str, rows: list[list[Field]]) -> Finding:
        """A test command: ``name: <fields>`` per row, then OK."""
        reply = self.send(line)
        lines = reply.lines
        problem = None
        if len(lines) != len(rows) + 1:
            problem = f"{len(lines)} lines, the spec has {len(rows) + 1}"
        else:
            for text, fields in zip(lines, rows, strict=False):
                problem = check_test_line(text, name, fields)
                if problem is not None:
                    break
            if problem is None and lines[-1] != "OK":
                problem = f"ends with {lines[-1]!r}, not OK"
        return self.judge(spec, reply.shown, problem)

    # ------------------------------------------------------------- sockets

    def rows(self) -> list[list[str]]:
        """The +QISTATE rows of AT+QISTATE? as fields."""
        reply = self.send("AT+QISTATE?")
        return [f for line in reply.lines if (f := body(line, "+QISTATE")) is not None]

    def close_all(self) -> list[int]:
        """Close every socket AT+QISTATE? lists; returns their connectIDs."""
        closed = []
        for fields in self.rows():
            cid = integer(fields[0]) if fields else None
            if cid is not None:
                self.close(cid)
                closed.append(cid)
        return closed

    def close(self, cid: int) -> Reply:
        """AT+QICLOSE (not judged here: qiclose.write is). Without CLOSE OK nothing
        says when the close is done: then wait until the socket is no longer listed."""
        reply = self.send(f"AT+QICLOSE={cid}", 1.0 if self.close_ok_missing else None)
        if "CLOSE OK" not in reply.lines:
            deadline = time.monotonic() + MAX_RESPONSE_S
            while time.monotonic() < deadline:
                listed = self.send(f"AT+QISTATE=1,{cid}").lines
                if not any(line.startswith("+QISTATE:") for line in listed):
                    break
                time.sleep(0.1)
        return reply

    def open(self, cid: int, service: str, host: str, remote: int, local: int = 0) -> Reply:
        return self.send(f'AT+QIOPEN=0,{cid},"{service}","{host}",{remote},{local},1')

    # --------------------------------------------------------------- run

    def setup(self) -> str | None:
        """Read what the run needs and will put back; None, or why the run cannot go on."""
        reply = self.send("AT+CGPADDR")
        for line in reply.lines:
            fields = body(line, "+CGPADDR")
            if fields and len(fields) >= 2:
                self.module_ip = unquote(fields[1]) or fields[1]
                break
        self.local = self.module_ip.startswith("127.") or self.module_ip == "::1"
        for name in ('"dataformat"', '"showRA"'):
            reply = self.send(f"AT+QICFG={name}")
            for line in reply.lines:
                fields = body(line, "+QICFG")
                if fields and fields[0] == name and all(integer(f) is not None for f in fields[1:]):
                    self.restore.append(f"AT+QICFG={','.join(fields)}")
        reply = self.send("AT+QIDNSCFG=0")
        for line in reply.lines:
            fields = body(line, "+QIDNSCFG")
            servers = [unquote(f) or "" for f in (fields or [])[1:3]]
            servers = [s for s in servers if re.fullmatch(r"[\d.]+", s) and s != "0.0.0.0"]
            if servers:
                quoted = ",".join(f'"{s}"' for s in servers)
                self.restore_dns = f"AT+QIDNSCFG=0,{quoted}"
                self.restore.append(self.restore_dns)
        closed = self.close_all()
        if closed:
            self.report.notes.append(
                f"sockets {', '.join(map(str, closed))} were open: the check closed them first"
            )
        for line in ('AT+QICFG="dataformat",0,0', 'AT+QICFG="showRA",0'):
            if self.send(line).outcome is not Outcome.OK:
                return f"{line} failed: the check needs text mode without the sender's address"
        return None

    def teardown(self) -> None:
        self.close_all()
        for line in self.restore:
            self.send(line)

    def finish(self) -> None:
        """The findings that sum up the whole run: response times, result codes."""
        for name, chapter in COMMANDS.items():
            spec = Spec(
                f"time.{name[1:].lower()}",
                "Response times",
                chapter,
                f"AT{name} answers within {MAX_RESPONSE_S:g} s",
                f"OK or ERROR within {MAX_RESPONSE_S:g} s (Maximum Response Time)",
            )
            slowest = self.slowest.get(name)
            if slowest is None:
                self.skip("not sent", spec)
                continue
            took, line = slowest
            too_slow = "too slow" if took > MAX_RESPONSE_S else None
            self.judge(spec, f"slowest {took:.2f} s ({line})", too_slow)
        codes = result_codes(self.link.events())
        unknown = sorted({f"{code} ({text})" for code, text in codes if code not in RESULT_CODES})
        spec = Spec(
            "codes.known",
            "Result codes",
            "chapter 3",
            "every result code is one of chapter 3's",
            "0 or 550-574",
        )
        self.judge(
            spec,
            ", ".join(unknown) if unknown else f"{len(codes)} codes, all chapter 3's",
            f"{len(unknown)} unknown" if unknown else None,
        )


def command_name(line: str) -> str:
    """``AT+QIOPEN=0,...`` -> ``+QIOPEN``."""
    m = re.match(r"(?i)AT(\+[A-Z]+)", line)
    return m[1].upper() if m else ""


_CODED = {"+QIOPEN": 1, "+QPING": 0, "+QNTP": 0, "+QIDNSGIP": 0}


def result_codes(events: Sequence[object]) -> list[tuple[int, str]]:
    """Every <result> code and +CME ERROR code the module printed, with its line."""
    found = []
    for item in events:
        if not isinstance(item, Rx):
            continue
        text = item.event.text
        if isinstance(item.event, ev.CmeError) and item.event.code is not None:
            found.append((item.event.code, text))
            continue
        name = text.split(":", 1)[0]
        index = _CODED.get(name)
        if index is None:
            continue
        fields = split_fields(text.split(":", 1)[1]) if ":" in text else []
        if name == "+QIDNSGIP" and len(fields) == 1:
            continue  # +QIDNSGIP: <hostIPaddr>
        code = integer(fields[index]) if len(fields) > index else None
        if code is not None:
            found.append((code, text))
    return found
