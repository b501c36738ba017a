"""A log line keeps its bytes once: the text and payload of a line from the module
(and of a payload sent) are derived from its frame when asked, and read exactly
as the event's own text and payload do, for any bytes the framer makes lines of."""

from __future__ import annotations

import sys
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from app.link.results import Role, Rx, Tx, TxKind
from app.model.journal import ENTRY_OVERHEAD, Category, LogEntry, entries_for, entry_size
from app.protocol import events as ev
from app.protocol.framing import Framer
from app.protocol.parse import parse_frame

#: Bytes that make odd lines: control bytes, quotes, commas, invalid UTF-8, the
#: recv marker's pieces, a bidi override.
_PIECES = [
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b"\x00",
    b"\x1b",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x80\xae",
    b"\\",
    b"OK",
    b"+QIURC: ",
    b'+QIURC: "recv",0,',
    b'+QIURC: "recv",1,5,"',
    b'+QIURC: "recv",2,4,3132',
    b"x" * 700,
]
_STREAM = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.binary(max_size=40)), min_size=1, max_size=30
).map(b"".join)


def _events(stream: bytes) -> list[ev.Event]:
    framer = Framer()
    frames = framer.feed(stream) + framer.flush()
    return [parse_frame(frame) for frame in frames]


@settings(max_examples=300, deadline=None)
@given(stream=_STREAM, recv_hex=st.booleans(), role=st.sampled_from(list(Role)))
def test_an_entry_reads_as_its_event_whatever_the_bytes(
    stream: bytes, recv_hex: bool, role: Role
) -> None:
    for event in _events(stream):
        for entry in entries_for(Rx(event, role, None, time.monotonic(), time.time()), recv_hex):
            assert entry.text == event.text
            assert entry.raw is event.raw
            if entry.category is Category.RECV:
                assert isinstance(event, ev.QiUrcRecv)
                assert entry.payload == event.payload(recv_hex)
            else:
                assert entry.payload is None


def test_a_recv_line_keeps_its_frame_and_nothing_else_of_its_size() -> None:
    data = b"%08d" % 7 + b"y" * 1016
    line = b'\r\n+QIURC: "recv",0,1024,"' + data + b'"'
    (event,) = _events(line + b"\r\n")
    assert isinstance(event, ev.QiUrcRecv)
    (entry,) = entries_for(Rx(event, Role.URC, None, 0.0, 0.0))
    assert entry.text == event.text and entry.payload == data
    assert entry.kept() == (event.raw, entry.head)
    assert entry_size(entry) == ENTRY_OVERHEAD + sys.getsizeof(event.raw) + sys.getsizeof(
        entry.head
    )
    assert entry.shown("hex", limit=12) == '+QIURC: "recv",0,1024,30 30 30 30 30'


def test_a_payload_sent_is_kept_once() -> None:
    data = b"hello\r\n\x00" * 100
    (entry,) = entries_for(Tx(data, TxKind.PAYLOAD, None, 0.0, 0.0))
    assert entry.text == "hello\\r\\n\\0" * 100
    assert entry.payload is data and entry.kept() == (data,)


def test_hex_data_keeps_its_decoded_bytes() -> None:
    """A hex recv line's payload is not a part of its frame: kept as bytes."""
    (event,) = _events(b'+QIURC: "recv",0,3,"616263"\r\n')
    assert isinstance(event, ev.QiUrcRecv)
    (entry,) = entries_for(Rx(event, Role.URC, None, 0.0, 0.0), recv_hex=True)
    assert entry.payload == b"abc" and b"abc" in entry.kept()


def test_text_and_payload_set_later_are_kept_as_set() -> None:
    (event,) = _events(b'+QIURC: "recv",0,2,"hi"\r\n')
    (entry,) = entries_for(Rx(event, Role.URC, None, 0.0, 0.0))
    entry.text, entry.payload = "changed", b"other"
    assert (entry.text, entry.payload) == ("changed", b"other")
    plain = LogEntry(0.0, "app", Category.NOTE, "a note")
    assert plain.text == "a note" and plain.payload is None and plain.kept() == ("a note",)
