"""Property tests: the decoder (Framer + parse_frame) and the command engine fed what a
real BC660K-GL prints, built from a small model of the module (tests/modelmodule.py),
so the right split is known.

Properties: each command gets exactly its own information lines, final result and
deferred result; every URC is reported once, as a URC, never as a response; echoed
command lines are echo; none of it depends on where the byte stream is cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.link.engine import Deliver, Done, Engine, Output, Write
from app.link.results import Outcome, Role, TxKind
from app.protocol import commands as c
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame
from tests.modelmodule import MENU, URCS, ModelCommand, Placement, build_stream

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Run:
    """What the engine made of a stream."""

    lines: dict[int, list[bytes]] = field(default_factory=dict)
    finals: dict[int, bytes] = field(default_factory=dict)
    deferred: dict[int, list[bytes]] = field(default_factory=dict)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    urcs: list[bytes] = field(default_factory=list)
    echoes: list[bytes] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    order: list[int] = field(default_factory=list)


def drive(commands: list[ModelCommand], data: bytes, cuts: list[int]) -> Run:
    """Feed ``data`` cut at ``cuts`` to a Framer, parse_frame and an Engine; start
    each command as soon as the engine frees the line (as the worker does)."""
    engine = Engine()
    framer = Framer()
    run = Run()
    queue = list(commands)
    now = 0.0

    def handle(outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, Write):
                run.writes.append(out)
            elif isinstance(out, Deliver):
                line = out.event.line
                cid = out.command_id
                if out.role is Role.URC:
                    run.urcs.append(line)
                elif out.role is Role.ECHO:
                    run.echoes.append(line)
                elif out.role is Role.RESPONSE and cid is not None:
                    run.lines.setdefault(cid, []).append(line)
                elif out.role is Role.FINAL and cid is not None:
                    run.finals[cid] = line
                elif out.role is Role.DEFERRED and cid is not None:
                    run.deferred.setdefault(cid, []).append(line)
            elif isinstance(out, Done):
                run.outcomes[out.pending.id] = out.pending.result.outcome

    def start_next() -> None:
        while queue and not engine.busy:
            cmd = c.classify(queue.pop(0).line)
            pending = engine.new(cmd)
            run.order.append(pending.id)
            handle(engine.start(pending, now))

    start_next()
    prev = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        for frame in framer.feed(data[prev:cut]):
            now += 0.001
            handle(engine.feed(parse_frame(frame), now))
            start_next()
        prev = cut
    for frame in framer.flush():
        handle(engine.feed(parse_frame(frame), now))
        start_next()
    return run


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[ModelCommand], list[Placement], bool, list[int]]:
    commands = draw(st.lists(st.sampled_from(MENU), min_size=1, max_size=6))
    urc = st.integers(0, len(URCS) - 1)
    few = st.lists(urc, max_size=2)
    placements = []
    for cmd in commands:
        between = draw(st.dictionaries(st.integers(0, max(len(cmd.lines) - 1, 0)), few, max_size=2))
        placements.append(
            Placement(
                before=draw(few),
                between=between if cmd.lines else {},
                after=draw(few),
                deferred=draw(few) if cmd.deferred else [],
                blank_before=draw(st.integers(0, 2)),
                tight=draw(st.booleans()),
            )
        )
    echo = draw(st.booleans())
    data, _, _ = build_stream(commands, placements, echo)
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=12))
    return commands, placements, echo, cuts


@SETTINGS
@given(sessions())
def test_each_command_gets_its_own_answer_and_every_urc_is_reported_once(session) -> None:
    commands, placements, echo, cuts = session
    data, expected, urcs = build_stream(commands, placements, echo)
    run = drive(commands, data, cuts)

    assert len(run.order) == len(commands), "a command never got the line"
    for cid, want in zip(run.order, expected, strict=True):
        assert run.lines.get(cid, []) == want.lines
        assert run.finals[cid] == want.final
        assert run.deferred.get(cid, []) == want.deferred
        wanted = Outcome.OK if want.final == b"OK" else Outcome.ERROR
        assert run.outcomes[cid] is wanted
    # Every URC once, in order, as a URC; nothing else reported as a URC.
    assert run.urcs == urcs
    if echo:
        assert run.echoes == [cmd.line.encode() for cmd in commands]
    else:
        assert run.echoes == []
    assert [w.data for w in run.writes if w.what is TxKind.COMMAND] == [
        cmd.line.encode() + b"\r" for cmd in commands
    ]


@SETTINGS
@given(sessions(), st.integers(1, 50))
def test_the_split_does_not_depend_on_where_the_stream_is_cut(session, step) -> None:
    commands, placements, echo, _ = session
    data, _, _ = build_stream(commands, placements, echo)
    whole = drive(commands, data, [])
    bytewise = drive(commands, data, list(range(step, len(data), step)))
    assert (whole.lines, whole.finals, whole.deferred, whole.urcs, whole.echoes) == (
        bytewise.lines,
        bytewise.finals,
        bytewise.deferred,
        bytewise.urcs,
        bytewise.echoes,
    )


# -- data mode: a payload that looks like the module's own lines (§2.3.4) ---------

PAYLOAD_LINES = [b"OK", b"SEND OK", b"ERROR", b"SEND FAIL", b"+CEREG: 1", b">", b"hello", b""]


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.sampled_from(PAYLOAD_LINES), min_size=1, max_size=6))
    payload = b"\r\n".join(parts)
    if draw(st.booleans()):
        payload += b"\r\n"
    if draw(st.booleans()):
        payload = b"\r\n" + payload
    return payload or b"x"


def data_mode_stream(payload: bytes, echo: bool, after: list[bytes], fixed: bool) -> bytes:
    line = f"AT+QISEND=0,{len(payload)}" if fixed else "AT+QISEND=0"
    data = line.encode() + b"\r" if echo else b""
    data += b"\r\n> "
    if echo:
        data += payload  # the module echoes what is typed after '>'
    data += b"\r\nOK\r\n\r\nSEND OK\r\n"
    for urc in after:
        data += b"\r\n" + urc + b"\r\n"
    return data


@SETTINGS
@given(
    payloads(),
    st.booleans(),
    st.booleans(),
    st.lists(st.sampled_from(URCS[:11]), max_size=2),
    st.lists(st.integers(0, 400), max_size=10),
)
def test_a_payload_of_result_lines_does_not_end_the_send_early(
    payload, echo, fixed, after, cuts
) -> None:
    line = f"AT+QISEND=0,{len(payload)}" if fixed else "AT+QISEND=0"
    cmd = c.classify(line).with_payload(payload)
    engine = Engine()
    framer = Framer()
    pending = engine.new(cmd)
    outputs = list(engine.start(pending, 0.0))
    data = data_mode_stream(payload, echo, after, fixed)
    prev = 0
    for cut in [*sorted({x for x in cuts if x < len(data)}), len(data)]:
        for frame in framer.feed(data[prev:cut]):
            outputs += engine.feed(parse_frame(frame), 0.1)
        prev = cut
    for frame in framer.flush():
        outputs += engine.feed(parse_frame(frame), 0.1)

    result = pending.result
    assert result.outcome is Outcome.OK
    assert result.final is not None and result.final.line == b"SEND OK"
    delivered = [o for o in outputs if isinstance(o, Deliver)]
    echo_bytes = b"".join(
        o.event.raw for o in delivered if o.role is Role.ECHO and o.event.line != line.encode()
    )
    if echo:
        # Exactly the payload came back as echo, give or take the prompt's space and
        # blank lines at its ends (a frame holds the blank lines before its line, so
        # the module's own CR LF can stand in for the payload's last one).
        assert echo_bytes.removeprefix(b" ").strip(b"\r\n") == payload.strip(b"\r\n")
    else:
        assert echo_bytes == b""
    assert [o.event.line for o in delivered if o.role is Role.URC] == after
    finals = [o.event.line for o in delivered if o.role is Role.FINAL]
    assert finals == [b"OK", b"SEND OK"]
    payload_writes = [o for o in outputs if isinstance(o, Write) and o.what is TxKind.PAYLOAD]
    assert b"".join(w.data for w in payload_writes) == payload
