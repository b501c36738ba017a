"""The console's pure models: module state from link events, the log journal,
payload parsing, the command-line hint and the status text."""

from __future__ import annotations

import time

import pytest

from app.link.results import (
    CommandFinished,
    CommandResult,
    DataFormatChanged,
    LinkState,
    LinkStatus,
    ModuleRebooted,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.model.journal import Category, Journal, LogEntry, entries_for
from app.model.state import Changed, ModuleState
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.events import SocketState
from app.protocol.parse import parse_line
from app.protocol.payload import PayloadError, parse_hex, parse_text
from widgets.cmdline import hint_for
from widgets.status import status_text
from widgets.tools.ntp import ntp_offset


def rx(line: bytes, role: Role = Role.URC, tag: str | None = None) -> Rx:
    return Rx(parse_line(line), role, None, time.monotonic(), time.time(), tag)


def tx(line: str) -> Tx:
    return Tx(line.encode() + b"\r", TxKind.COMMAND, 1, time.monotonic(), time.time())


def finished(cmd: c.AtCommand, *lines: bytes, final: ev.Event | None = None) -> CommandFinished:
    result = CommandResult(cmd, Outcome.OK, [parse_line(x) for x in lines], final or ev.Ok())
    return CommandFinished(result)


def test_qiopen_then_result_then_close() -> None:
    s = ModuleState()
    cmd = c.qiopen(connect_id=1, service_type="TCP", host="10.0.0.1", remote_port=7)
    assert s.apply(tx(cmd.line)) == {Changed.SOCKETS}
    assert s.sockets[1].opening and s.sockets[1].state_label == "Connecting"
    s.apply(rx(b"+QIOPEN: 1,0", Role.DEFERRED))
    assert s.sockets[1].state == SocketState.CONNECTED and not s.sockets[1].opening
    s.apply(rx(b'+QIURC: "recv",1,5,"hello"'))
    assert s.sockets[1].bytes_received == 5
    s.apply(finished(c.qisend(1, b"abc", hex_format=False), final=ev.SendOk()))
    assert s.sockets[1].bytes_sent == 3
    s.apply(rx(b'+QIURC: "closed",1'))
    assert s.sockets[1].state_label == "Remote Closing"
    s.apply(finished(c.qiclose(1), final=ev.CloseOk()))
    assert 1 not in s.sockets


def test_failed_open_stays_initial_and_563_keeps_the_existing_socket() -> None:
    s = ModuleState()
    s.apply(tx(c.qiopen(connect_id=0, service_type="TCP", host="h", remote_port=7).line))
    s.apply(rx(b"+QIOPEN: 0,566", Role.DEFERRED))
    assert s.sockets[0].state == SocketState.INITIAL and s.sockets[0].open_result == 566
    s.sockets[0].state = SocketState.CONNECTED
    s.sockets[0].bytes_received = 9
    s.apply(tx(c.qiopen(connect_id=0, service_type="UDP", host="x", remote_port=9).line))
    s.apply(rx(b"+QIOPEN: 0,563", Role.DEFERRED))
    row = s.sockets[0]
    assert (row.service_type, row.state, row.bytes_received) == ("TCP", 2, 9)


def test_full_qistate_answer_is_the_truth_and_keeps_counters() -> None:
    s = ModuleState()
    s.apply(tx(c.qiopen(connect_id=0, service_type="TCP", host="h", remote_port=7).line))
    s.apply(rx(b"+QIOPEN: 0,0", Role.DEFERRED))
    s.sockets[0].local_port = 5000
    s.sockets[0].bytes_received = 42
    s.sockets[3] = s.row(3)  # a row the module no longer has
    s.sockets[3].state = SocketState.CONNECTED
    s.apply(finished(c.qistate_read(), b'+QISTATE: 0,"TCP","h",7,5000,2,0,1'))
    assert set(s.sockets) == {0} and s.sockets[0].bytes_received == 42


def test_incoming_reboot_and_link_loss() -> None:
    s = ModuleState()
    s.apply(finished(c.qistate_read(), b'+QISTATE: 0,"TCP LISTENER","127.0.0.1",0,5000,2,0,1'))
    s.apply(rx(b'+QIURC: "incoming",1,0,"10.0.0.9",4242'))
    row = s.sockets[1]
    assert (row.service_type, row.server_id, row.local_port) == ("TCP INCOMING", 0, 5000)
    s.apply(LinkStatus(LinkState.DISCONNECTED, "sim://", 115200, "gone", time.monotonic() + 2))
    assert all(r.stale for r in s.sockets.values()) and not s.connected
    s.apply(ModuleRebooted(time.monotonic()))
    assert s.sockets == {} and s.ip is None


def test_while_synchronising_the_table_and_the_header_say_they_are_stale() -> None:
    s = ModuleState()
    s.apply(LinkStatus(LinkState.CONNECTED, "sim://", 115200, "up"))
    s.apply(rx(b"+IP: 10.1.2.3"))
    s.apply(finished(c.qistate_read(), b'+QISTATE: 0,"TCP","h",7,5000,2,0,1'))
    assert not s.sockets[0].stale and "last known" not in status_text(s).plain
    s.apply(LinkStatus(LinkState.SYNCING, "sim://", 115200, "synchronising with the module"))
    text = status_text(s).plain
    assert "● synchronising" in text and "last known:  IP 10.1.2.3" in text
    assert s.sockets[0].stale and not s.connected
    retry = time.monotonic() + 4.2
    s.apply(LinkStatus(LinkState.SYNCING, "sim://", 115200, "no answer", retry))
    assert "synchronising, not answering, retry in 4 s" in status_text(s).plain
    # Connected again: the rows stay marked until the module's table is read.
    s.apply(LinkStatus(LinkState.CONNECTED, "sim://", 115200, "up"))
    assert s.sockets[0].stale
    s.apply(finished(c.qistate_read(), b'+QISTATE: 0,"TCP","h",7,5000,2,0,1'))
    assert not s.sockets[0].stale


def test_registration_ip_and_formats_reach_the_status_text() -> None:
    s = ModuleState()
    s.apply(LinkStatus(LinkState.CONNECTED, "sim://", 115200, "up"))
    s.apply(rx(b"+IP: 10.1.2.3"))
    s.apply(rx(b"+CEREG: 0,1", Role.RESPONSE))
    s.apply(DataFormatChanged(True, False, True))
    text = status_text(s).plain
    assert "● connected" in text and "IP 10.1.2.3" in text and "registered (home)" in text
    assert "send hex/recv text showRA" in text
    s.apply(LinkStatus(LinkState.DISCONNECTED, "sim://", 115200, "x", time.monotonic() + 3.2))
    assert "retry in 3 s" in status_text(s).plain


def test_journal_entries_kinds_meanings_and_filters() -> None:
    j = Journal(maxlen=100)
    j.add(entries_for(tx('AT+QIOPEN=0,0,"TCP","h",7,0,1')))
    j.add(entries_for(rx(b"+QIOPEN: 0,566", Role.DEFERRED)))
    j.add(entries_for(rx(b'+QIURC: "recv",0,3,"a\x00b"')))
    j.add(entries_for(rx(b"+QISTATE?", Role.RESPONSE, tag="poll")))
    cats = [e.category for e in j.entries]
    assert cats == [Category.COMMAND, Category.DEFERRED, Category.RECV, Category.RESPONSE]
    assert j.entries[1].meaning == "566 Socket connection failed"
    assert j.entries[2].text == '+QIURC: "recv",0,3,"a\\0b"'
    assert j.entries[2].shown(True) == '+QIURC: "recv",0,3,61 00 62'
    assert len(j.view) == 3  # polling hidden by default
    j.filter.hidden = {Category.RECV}
    j.filter.show_poll = True
    j.refilter()
    assert [e.category for e in j.view] == [Category.COMMAND, Category.DEFERRED, Category.RESPONSE]
    # Search: a regex on the text and the meaning, case-insensitive; plain text
    # when the query is not a valid regex; every matching line of the view.
    assert j.matches("socket connection") == [1]
    assert j.matches("qiopen") == [0, 1]
    assert j.matches("+QISTATE?") == [2]
    assert j.matches("") == [] and j.matches("nowhere") == []


def test_journal_stays_bounded_and_reports_what_left() -> None:
    j = Journal(maxlen=1000)
    for i in range(10_000):
        j.add([LogEntry(0.0, "rx", Category.RECV, f"line {i}")])
    assert len(j.entries) == 1000 and len(j.view) <= 1250
    assert j.view[-1].text == "line 9999"
    assert j.take_dropped() == 10_000 - len(j.view)
    assert j.take_dropped() == 0


def test_failed_results_become_error_entries_ok_ones_do_not() -> None:
    bad = CommandResult(c.at(), Outcome.TIMEOUT, detail="no answer within 5 s")
    assert [e.category for e in entries_for(CommandFinished(bad))] == [Category.ERROR]
    good = CommandResult(c.at(), Outcome.OK, final=ev.Ok())
    assert entries_for(CommandFinished(good)) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hello", b"hello"),
        ("a\\r\\nb", b"a\r\nb"),
        ('say \\"hi\\"', b'say "hi"'),
        ("\\x1a\\x1b\\0\\\\", b"\x1a\x1b\x00\\"),
        ("été", "été".encode()),
    ],
)
def test_text_payload_escapes(typed: str, expected: bytes) -> None:
    assert parse_text(typed) == expected


@pytest.mark.parametrize("bad", ["a\\", "\\q", "\\x4", "\\xZZ"])
def test_bad_escapes_are_explained(bad: str) -> None:
    with pytest.raises(PayloadError):
        parse_text(bad)


def test_hex_payload() -> None:
    assert parse_hex("31 32:33-34") == b"1234"
    with pytest.raises(PayloadError, match="odd number"):
        parse_hex("313")
    with pytest.raises(PayloadError, match="not a hex digit"):
        parse_hex("3g")


def test_hint_names_the_form_and_the_problem() -> None:
    assert "AT+QIOPEN=<contextID>" in hint_for("AT+QIOPEN=").plain
    bad = hint_for('AT+QIOPEN=0,7,"TCP","h",1').plain
    assert "<connectID> = 7" in bad and "0-4" in bad
    assert "not in qiterm's catalog" in hint_for("AT+XYZ").plain
    assert "starts with AT" in hint_for("hello").plain


def test_ntp_offset_reads_both_year_forms() -> None:
    now = 1_560_251_300.0  # 2019-06-11 11:08:20 UTC
    assert ntp_offset("2019/06/11,11:08:20", now) == 0
    assert ntp_offset("19/06/11,11:08:30", now) == 10
    assert ntp_offset("garbage", now) is None


def test_display_dropped_keeps_counters_and_says_so() -> None:
    from app.link.results import DisplayDropped

    s = ModuleState()
    s.apply(rx(b'+QIURC: "recv",2,3,"abc"'))
    s.apply(DisplayDropped(10, {2: 40}))
    assert s.sockets[2].bytes_received == 43
    [entry] = entries_for(DisplayDropped(10, {2: 40}))
    assert entry.category is Category.APP and "10 received line(s) not shown" in entry.text
