"""What a conformance check finds: one :class:`Finding` per aspect of the spec.

A finding says which clause of the TCP/IP application note it checks, what the
spec expects and what the module printed, and its :class:`Verdict`:

* ``conforms`` - the module did what the spec says;
* ``differs`` - it did something else (the finding says what);
* ``network`` - not judged: the network or a peer was down (registration lost,
  a peer that does not answer from this machine either...), so a failure says
  nothing about the module;
* ``skipped`` - not run: nothing the module can reach to test it with (name a
  peer), or a step it needs could not be done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    CONFORMS = "conforms"
    DIFFERS = "differs"
    NETWORK = "network"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Spec:
    """One aspect of the spec a probe judges: where it is, and what it says."""

    id: str
    section: str
    chapter: str
    what: str
    expected: str


@dataclass(frozen=True)
class Finding:
    #: Stable id, e.g. "qistate.row.order" (tests and scripts refer to findings by it).
    id: str
    #: The table it belongs to: "AT+QISTATE", "Data mode", "URCs"...
    section: str
    #: The clause of the spec, e.g. "§2.3.3".
    chapter: str
    #: What is checked, for a person.
    what: str
    verdict: Verdict
    expected: str = ""
    got: str = ""


#: The report's tables, in order.
SECTIONS = (
    "AT+QIOPEN",
    "AT+QICLOSE",
    "AT+QISTATE",
    "AT+QISEND",
    "Data mode",
    "AT+QPING",
    "AT+QNTP",
    "AT+QIDNSGIP",
    "AT+QIDNSCFG",
    "AT+QICFG",
    "URCs",
    "Result codes",
    "Response times",
    "Chapter 4 flows",
)


@dataclass
class Report:
    #: The port or URL checked.
    port: str
    #: What the module says it is (ATI), or "" when it did not say.
    module: str = ""
    revision: str = ""
    started: str = ""
    elapsed: float = 0.0
    #: The capture of the run (None: not recorded).
    capture: str | None = None
    #: Lines about the set-up (peers used, sockets closed first...).
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Why the check stopped early (the port did not open...), or "".
    aborted: str = ""

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def count(self, verdict: Verdict) -> int:
        return sum(1 for f in self.findings if f.verdict is verdict)

    @property
    def differences(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict is Verdict.DIFFERS]

    @property
    def conforms(self) -> bool:
        """Nothing differs and nothing stopped the run."""
        return not self.aborted and not self.differences

    def sections(self) -> Iterator[tuple[str, list[Finding]]]:
        """The findings by table, in the report's order."""
        order = {name: i for i, name in enumerate(SECTIONS)}
        names = sorted({f.section for f in self.findings}, key=lambda s: order.get(s, len(order)))
        for name in names:
            yield name, [f for f in self.findings if f.section == name]

    def summary(self) -> str:
        total = len(self.findings)
        parts = [
            f"{self.count(Verdict.CONFORMS)} conform",
            f"{self.count(Verdict.DIFFERS)} differ",
        ]
        if self.count(Verdict.NETWORK):
            parts.append(f"{self.count(Verdict.NETWORK)} not judged (network)")
        if self.count(Verdict.SKIPPED):
            parts.append(f"{self.count(Verdict.SKIPPED)} skipped")
        text = f"{total} checks: " + ", ".join(parts)
        return f"{text}; stopped: {self.aborted}" if self.aborted else text
