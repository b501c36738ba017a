"""The framer and parser: spec examples, every-byte accounting, splits, caps.

Property tests run a fixed number of examples (see the settings on each);
``pytest --hypothesis-show-statistics`` prints the counts.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.protocol import StreamDecoder
from app.protocol import events as ev
from app.protocol.framing import DEFAULT_LINE_CAP, MAX_RECV_LENGTH, FrameKind, Framer
from tests.protocol_samples import SAMPLES, STREAM


def decode_all(data: bytes, cuts: list[int] | None = None) -> list[ev.Event]:
    d = StreamDecoder()
    out: list[ev.Event] = []
    if cuts is None:
        out += d.feed(data)
    else:
        prev = 0
        for cut in sorted(set(cuts)):
            out += d.feed(data[prev:cut])
            prev = cut
        out += d.feed(data[prev:])
    out += d.flush()
    return out


def test_every_sample_parses_to_its_event_type() -> None:
    events = decode_all(STREAM)
    assert [type(e) for e in events] == [t for _, t in SAMPLES]


def test_raw_bytes_account_for_the_whole_stream() -> None:
    events = decode_all(STREAM)
    assert b"".join(e.raw for e in events) == STREAM


def test_byte_at_a_time_gives_the_same_events() -> None:
    assert decode_all(STREAM, list(range(len(STREAM)))) == decode_all(STREAM)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=60))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    assert decode_all(STREAM, cuts) == decode_all(STREAM)


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0, max_value=3000), max_size=20))
def test_random_bytes_never_raise_and_every_byte_is_kept(data: bytes, cuts: list[int]) -> None:
    events = decode_all(data, [c for c in cuts if c <= len(data)])
    assert b"".join(e.raw for e in events) == data


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_mutated_recordings_never_raise(data: st.DataObject) -> None:
    stream = bytearray(STREAM)
    for _ in range(data.draw(st.integers(min_value=1, max_value=12))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
        if op == "flip":
            stream[pos] = data.draw(st.integers(min_value=0, max_value=255))
        elif op == "insert":
            stream[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif len(stream) > 1:
            del stream[pos]
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=10))
    events = decode_all(bytes(stream), cuts)
    assert b"".join(e.raw for e in events) == bytes(stream)
    assert decode_all(bytes(stream)) == events


def test_text_payload_with_crlf_quotes_commas_and_any_byte_is_read_by_length() -> None:
    payload = b'a\r\n"b,c\x00\xff\x1a'
    wire = b'\r\n+QIURC: "recv",2,%d,"%s"\r\nOK\r\n' % (len(payload), payload)
    events = decode_all(wire)
    recv, ok = events
    assert isinstance(recv, ev.QiUrcRecv) and isinstance(ok, ev.Ok)
    assert recv.connect_id == 2
    assert recv.payload() == payload
    assert not recv.length_mismatch


def test_hex_payload_is_twice_len_digits() -> None:
    [recv] = decode_all(b'+QIURC: "recv",0,5,"3132333435"\r\n')
    assert isinstance(recv, ev.QiUrcRecv)
    assert recv.hex_payload is True
    assert recv.payload() == b"12345"


def test_unquoted_payload_is_read_by_length_too() -> None:
    [recv, ok] = decode_all(b'+QIURC: "recv",0,4,a\r\nb\r\nOK\r\n')
    assert isinstance(recv, ev.QiUrcRecv) and recv.payload() == b"a\r\nb"
    assert isinstance(ok, ev.Ok)


def test_show_ra_layout_with_length() -> None:
    [recv] = decode_all(b'+QIURC: "recv",0,5,"220.180.239.212",8196,"12345"\r\n')
    assert isinstance(recv, ev.QiUrcRecv)
    assert (recv.recv_ip, recv.recv_port, recv.payload()) == ("220.180.239.212", 8196, b"12345")


def test_show_ra_layout_ipv6() -> None:
    [recv] = decode_all(b'+QIURC: "recv",3,2,"::1",53,"hi"\r\n')
    assert isinstance(recv, ev.QiUrcRecv)
    assert (recv.recv_ip, recv.recv_port, recv.payload()) == ("::1", 53, b"hi")


def test_payload_that_looks_like_an_address_is_not_taken_for_one() -> None:
    payload = b'"1.2.3.4",80,"x'
    [recv] = decode_all(b'+QIURC: "recv",0,%d,"%s"\r\n' % (len(payload), payload))
    assert isinstance(recv, ev.QiUrcRecv)
    assert recv.recv_ip is None and recv.payload() == payload


def test_layout_without_length_is_read_by_line() -> None:
    [recv] = decode_all(b'+QIURC: "recv",0,"10.0.0.1",9000,"hello, world"\r\n')
    assert isinstance(recv, ev.QiUrcRecv)
    assert recv.current_recv_length is None
    assert (recv.recv_ip, recv.recv_port, recv.data) == ("10.0.0.1", 9000, b"hello, world")
    assert not recv.length_mismatch


def test_a_length_that_lies_long_falls_back_to_the_line_and_is_flagged() -> None:
    events = decode_all(b'+QIURC: "recv",0,50,"short"\r\nOK\r\n\r\n' + b"x" * 100 + b"\r\n")
    recv = events[0]
    assert isinstance(recv, ev.QiUrcRecv) and recv.length_mismatch
    assert recv.data == b"short"
    assert isinstance(events[1], ev.Ok)


def test_a_length_that_lies_short_is_flagged_and_the_next_line_survives() -> None:
    events = decode_all(b'+QIURC: "recv",0,2,"longer"\r\nOK\r\n')
    recv, ok = events
    assert isinstance(recv, ev.QiUrcRecv) and recv.length_mismatch
    assert isinstance(ok, ev.Ok)


def test_length_over_the_spec_maximum_is_not_trusted() -> None:
    big = MAX_RECV_LENGTH + 1
    [recv, ok] = decode_all(b'+QIURC: "recv",0,%d,"abc"\r\nOK\r\n' % big)
    assert isinstance(recv, ev.QiUrcRecv) and recv.length_mismatch
    assert isinstance(ok, ev.Ok)


def test_half_a_urc_then_a_reboot() -> None:
    events = decode_all(b'+QIURC: "recv",0,40,"abc\r\nRDY\r\n\r\n+CPIN: READY\r\n' + b"\r\n" * 30)
    kinds = [type(e) for e in events]
    assert kinds[0] is ev.QiUrcRecv and events[0].length_mismatch  # type: ignore[attr-defined]
    assert ev.Rdy in kinds and ev.CpinStatus in kinds


def test_prompt_without_line_ending_is_a_frame_of_its_own() -> None:
    framer = Framer()
    frames = framer.feed(b"\r\n> ")
    assert [f.kind for f in frames] == [FrameKind.PROMPT]
    later = framer.feed(b"\r\nOK\r\n")
    assert [f.line for f in later] == [b"OK"]
    assert later[0].raw == b" \r\nOK\r\n"  # the space after '>' is accounted for


def test_echo_ending_in_cr_then_response() -> None:
    events = decode_all(b"ATI\r\r\nQuectel_Ltd\r\nQuectel_BC660K-GL\r\n\r\nOK\r\n")
    assert [type(e) for e in events] == [ev.CommandLineEcho, ev.TextLine, ev.TextLine, ev.Ok]


def test_trailing_cr_waits_for_a_possible_lf_until_flush() -> None:
    framer = Framer()
    assert framer.feed(b"OK\r") == []
    [frame] = framer.flush()
    assert frame.line == b"OK" and frame.raw == b"OK\r"


def test_overlong_line_is_cut_and_flagged_and_memory_stays_bounded() -> None:
    framer = Framer()
    frames = []
    for _ in range(256):  # a 1 MiB line with no end
        frames += framer.feed(b"A" * 4096)
        assert framer.pending <= DEFAULT_LINE_CAP + 1
    assert frames and all(f.truncated for f in frames)
    assert all(f.continued for f in frames[1:])
    frames += framer.feed(b"\r\nOK\r\n")
    assert frames[-1].line == b"OK"
    assert sum(len(f.raw) for f in frames) == 256 * 4096 + 6


def test_blank_runs_stay_bounded() -> None:
    framer = Framer()
    frames = framer.feed(b"\r\n" * 10000)
    assert framer.pending <= DEFAULT_LINE_CAP + 1
    assert sum(len(f.raw) for f in frames) + framer.pending == 20000


def test_invalid_utf8_is_kept_as_bytes_and_shown_escaped() -> None:
    [line] = decode_all(b"caf\xc3\xa9 \xff\x00\r\n")
    assert line.line == b"caf\xc3\xa9 \xff\x00"
    assert line.text == "café \\xff\\0"


def test_nul_bytes_and_garbage_between_lines() -> None:
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(5000))
    events = decode_all(b"\r\nOK\r\n" + garbage + b"\r\nOK\r\n")
    assert isinstance(events[0], ev.Ok)
    assert isinstance(events[-1], ev.Ok)


def test_unterminated_line_is_emitted_on_flush() -> None:
    d = StreamDecoder()
    assert d.feed(b'+QIURC: "clo') == []
    [e] = d.flush()
    assert isinstance(e, ev.OverlongLine) and e.unterminated
