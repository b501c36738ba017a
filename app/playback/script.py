"""A capture read as a module's script: what the host sent, and what came back when.

A capture (:mod:`app.capture.format`) holds every byte both ways with its
monotonic time. Read for playback it becomes a list of :class:`Step`: one per
command line the host sent, with everything the module printed after it until
the host sent something else (answers, deferred results and URCs alike), each
piece at its offset from the command. A command that opened data mode (the
``>`` prompt of AT+QISEND, spec §2.3.4) carries the payload that followed and
what came after that.

The command echo (ATE1) is not kept as recorded: a player echoes what its host
types, as it arrives, as the module did. So the echo of each command line and
of each payload is taken out of the recorded output (and whatever the module
printed before that echo belongs to the step before: it was on the wire before
the input arrived).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.capture import format as fmt
from app.capture.format import Record, decode_bytes
from app.capture.reader import read_capture

#: The note ``qiterm run`` writes with the ``${VARIABLES}`` its scenario used, so a
#: replay of that capture can give the same scenario the same values.
VARIABLES_NOTE = "scenario variables: "
#: Data-mode endings, as the capture's tx records name them.
CTRL_Z = "ctrl_z"
ESC = "esc"


@dataclass
class Emission:
    """Bytes the module printed, ``offset`` seconds after the host's input."""

    offset: float
    data: bytes
    #: The recorded role ("echo", "response", "final", "urc", "deferred", "prompt"...).
    role: str
    #: The seq of the rx record it comes from.
    seq: int


@dataclass
class DataStep:
    """The payload typed at a ``>`` prompt, and what the module printed after it."""

    payload: bytes = b""
    #: CTRL_Z, ESC, or None (fixed length, or the 1024-byte maximum, sent by itself).
    terminator: str | None = None
    echo: bool = False
    output: list[Emission] = field(default_factory=list)

    def describe(self) -> str:
        return describe_payload(self.payload, self.terminator)


@dataclass
class Step:
    """One command line of the host's, and the module's answer to it."""

    #: 1, 2, 3... in the capture's order.
    number: int
    line: str
    #: The seq of its tx record.
    seq: int
    #: The module echoed it.
    echo: bool = False
    output: list[Emission] = field(default_factory=list)
    data: DataStep | None = None

    @property
    def key(self) -> str:
        return command_key(self.line)


@dataclass
class Recording:
    path: Path
    header: Record
    #: What the module printed before the first command (a boot banner...).
    banner: list[Emission]
    steps: list[Step]
    #: ``${NAME}`` values the recorded scenario ran with (empty when none were noted).
    variables: dict[str, str]
    #: Lines of the file that could not be read (skipped).
    problems: list[str]


def command_key(line: str) -> str:
    """What two command lines must share to be the same command: the text, in
    upper case outside double quotes (``at+qistate?`` is ``AT+QISTATE?``)."""
    out: list[str] = []
    quoted = False
    for ch in line.strip():
        if ch == '"':
            quoted = not quoted
        out.append(ch if quoted else ch.upper())
    return "".join(out)


def shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def describe_payload(payload: bytes, terminator: str | None) -> str:
    """``payload b'12345' + Ctrl-Z`` (shortened)."""
    end = {CTRL_Z: " + Ctrl-Z", ESC: " + Esc"}.get(terminator or "", "")
    return f"payload {shorten(repr(payload))}{end}"


def variables_note(values: dict[str, str]) -> str:
    """The note text that records a scenario's ``${VARIABLES}``."""
    return VARIABLES_NOTE + json.dumps(values, ensure_ascii=False, sort_keys=True)


def _variables(records: list[Record]) -> dict[str, str]:
    for record in records:
        text = record.get("text")
        if (
            record.get("type") == fmt.NOTE
            and isinstance(text, str)
            and text.startswith(VARIABLES_NOTE)
        ):
            try:
                values = json.loads(text[len(VARIABLES_NOTE) :])
            except ValueError:
                continue
            if isinstance(values, dict):
                return {str(k): str(v) for k, v in values.items()}
    return {}


def load(path: str | os.PathLike[str]) -> Recording:
    """Read a capture for playback. Raises CaptureError (not a capture) or OSError."""
    capture = read_capture(path)
    banner, steps = build(capture.records)
    return Recording(
        Path(path), capture.header, banner, steps, _variables(capture.records), capture.problems
    )


def build(records: list[Record]) -> tuple[list[Emission], list[Step]]:
    """The banner and the steps of a capture's records (see the module docstring)."""
    banner: list[Emission] = []
    steps: list[Step] = []
    out = banner
    base: float | None = None
    step: Step | None = None
    for record in records:
        rtype = record.get("type")
        mono = record.get("m")
        at = mono / 1e6 if isinstance(mono, int | float) else None
        if rtype == fmt.LINK and step is None and record.get("state") == "connected":
            base = at
        elif rtype == fmt.TX and at is not None:
            data = decode_bytes(record)
            what = record.get("what")
            if what == "command":
                line = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
                step = Step(len(steps) + 1, line.decode("utf-8", "replace"), int(record["seq"]))
                steps.append(step)
                out, base = step.output, at
            elif what == "payload" and step is not None and _open_data(step):
                if step.data is None:
                    step.data = DataStep()
                step.data.payload += data
                out, base = step.data.output, at
            elif what in (CTRL_Z, ESC) and step is not None and _open_data(step):
                assert step.data is not None
                step.data.terminator = str(what)
                base = at
            # Anything else (the Esc a link sends when it connects...) is not an input
            # the module answers: what follows stays with the step before.
        elif rtype == fmt.RX and at is not None:
            if base is None:
                base = at
            seq = record.get("seq")
            emission = Emission(max(0.0, at - base), decode_bytes(record), _role(record), 0)
            emission.seq = seq if isinstance(seq, int) else 0
            out.append(emission)
    _strip_echoes(banner, steps)
    return banner, steps


def _open_data(step: Step) -> bool:
    """The step's data mode is still taking input (a payload, then its ending)."""
    return step.data is None or step.data.terminator is None


def _role(record: Record) -> str:
    role = record.get("role")
    return role if isinstance(role, str) else ""


def _strip_echoes(banner: list[Emission], steps: list[Step]) -> None:
    before = banner
    for step in steps:
        echo = step.line.encode("utf-8") + b"\r"
        step.echo, early, step.output = _cut(step.output, echo)
        _append(before, early)
        before = step.output
        data = step.data
        if data is not None:
            if data.payload:
                data.echo, early, data.output = _cut(data.output, data.payload)
                _append(step.output, early)
            before = data.output


def _append(target: list[Emission], moved: list[Emission]) -> None:
    """Output that came out before the next input: last in the list before."""
    at = target[-1].offset if target else 0.0
    target.extend(Emission(at, e.data, e.role, e.seq) for e in moved)


def _cut(output: list[Emission], echo: bytes) -> tuple[bool, list[Emission], list[Emission]]:
    """Take ``echo`` out of ``output``, searching from its first echo frame.
    Returns (found, what came before the echo, what is left after it)."""
    first = next((i for i, e in enumerate(output) if e.role == "echo"), None)
    if first is None or not echo:
        return False, [], output
    stream = b"".join(e.data for e in output[first:])
    at = stream.find(echo)
    if at < 0:
        return False, [], output
    cut_start, cut_end = at, at + len(echo)
    early: list[Emission] = list(output[:first])
    rest: list[Emission] = []
    pos = 0
    for e in output[first:]:
        start, end = pos, pos + len(e.data)
        pos = end
        head = e.data[: max(0, min(end, cut_start) - start)]
        tail = e.data[max(0, cut_end - start) :] if end > cut_end else b""
        if head:
            early.append(Emission(e.offset, head, e.role, e.seq))
        if tail:
            rest.append(Emission(e.offset, tail, e.role, e.seq))
    return True, early, rest


__all__ = [
    "CTRL_Z",
    "ESC",
    "VARIABLES_NOTE",
    "DataStep",
    "Emission",
    "Recording",
    "Step",
    "build",
    "command_key",
    "describe_payload",
    "load",
    "shorten",
    "variables_note",
]
