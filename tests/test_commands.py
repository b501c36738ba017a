"""Builders, classifier, catalog and result codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import catalog, codes
from app.protocol import commands as c
from app.protocol.catalog import Completion, DataModeKind, Deferred, ParamError
from app.protocol.parse import parse_line
from app.protocol.syntax import AtSyntaxError, Form, parse_command_line

# --- builders produce the spec's lines (chapter 4) ----------------------------------


@pytest.mark.parametrize(
    ("cmd", "line"),
    [
        (
            c.qiopen(connect_id=0, service_type="TCP", host="220.180.239.212", remote_port=8062),
            'AT+QIOPEN=0,0,"TCP","220.180.239.212",8062,0,1',
        ),
        (
            c.qiopen(
                connect_id=0,
                service_type="UDP SERVICE",
                host="127.0.0.1",
                remote_port=1,
                local_port=1234,
            ),
            'AT+QIOPEN=0,0,"UDP SERVICE","127.0.0.1",1,1234,1',
        ),
        (
            c.qiopen(
                connect_id=0,
                service_type="TCP LISTENER",
                host="192.168.4.26",
                remote_port=0,
                local_port=5000,
            ),
            'AT+QIOPEN=0,0,"TCP LISTENER","192.168.4.26",0,5000,1',
        ),
        (c.qistate_by_connect(0), "AT+QISTATE=1,0"),
        (c.qistate_by_context(0), "AT+QISTATE=0,0"),
        (c.qistate_read(), "AT+QISTATE?"),
        (c.qicfg_dataformat(0, 0), 'AT+QICFG="dataformat",0,0'),
        (c.qicfg_dataformat(), 'AT+QICFG="dataformat"'),
        (c.qicfg_showra(1), 'AT+QICFG="showRA",1'),
        (c.qicfg_showra(), 'AT+QICFG="showRA"'),
        (c.qisend(0, b"12345", hex_format=False), 'AT+QISEND=0,5,"12345"'),
        (c.qisend(0, b"12345", hex_format=True), 'AT+QISEND=0,5,"3132333435"'),
        (c.qisend(0, b"12345", hex_format=False, mode=c.SendMode.VARIABLE), "AT+QISEND=0"),
        (c.qisend(0, b"12345", hex_format=False, mode=c.SendMode.FIXED), "AT+QISEND=0,5"),
        (
            c.qisend(0, b"1234567890", hex_format=False, remote=("220.180.239.212", 8196)),
            'AT+QISEND=0,"220.180.239.212",8196,10,"1234567890"',
        ),
        (
            c.qisend(
                0,
                b"1234567890",
                hex_format=False,
                remote=("220.180.239.212", 8196),
                mode=c.SendMode.VARIABLE,
            ),
            'AT+QISEND=0,"220.180.239.212",8196',
        ),
        (
            c.qisend(
                0,
                b"1234567890",
                hex_format=False,
                remote=("220.180.239.212", 8196),
                mode=c.SendMode.FIXED,
            ),
            'AT+QISEND=0,"220.180.239.212",8196,10',
        ),
        (c.qisend(1, b"ab", hex_format=False, rai_mode=2), 'AT+QISEND=1,2,"ab",2'),
        (c.qisend_query(0), "AT+QISEND=0,0"),
        (c.qiclose(0), "AT+QICLOSE=0"),
        (c.qidnscfg("218.2.2.2", "8.8.8.8"), 'AT+QIDNSCFG=0,"218.2.2.2","8.8.8.8"'),
        (c.qidnscfg_query(), "AT+QIDNSCFG=0"),
        (c.qping("iot.quectel.com"), 'AT+QPING=0,"iot.quectel.com"'),
        (c.qping("1.2.3.4", time_out=2, ping_num=3), 'AT+QPING=0,"1.2.3.4",2,3'),
        (c.qntp("ntp5.aliyun.com"), 'AT+QNTP=0,"ntp5.aliyun.com"'),
        (c.qntp("127.0.0.1", port=1123, auto_set_time=1), 'AT+QNTP=0,"127.0.0.1",1123,1'),
        (c.qidnsgip("www.baidu.com"), 'AT+QIDNSGIP=0,"www.baidu.com"'),
        (c.qiopen_test(), "AT+QIOPEN=?"),
        (c.qisend_test(), "AT+QISEND=?"),
        (c.at(), "AT"),
        (c.ate(False), "ATE0"),
        (c.ati(), "ATI"),
        (c.cereg_read(), "AT+CEREG?"),
        (c.qrst(), "AT+QRST=1"),
    ],
)
def test_builders_write_the_spec_lines(cmd: c.AtCommand, line: str) -> None:
    assert cmd.line == line
    assert cmd.wire == line.encode() + b"\r"
    assert cmd.problem is None


def test_what_the_engine_needs_to_know() -> None:
    send = c.qisend(0, b"x", hex_format=False)
    assert send.completion is Completion.SEND and send.data_mode is None
    close = c.qiclose(3)
    assert close.completion is Completion.CLOSE
    op = c.qiopen(connect_id=2, service_type="UDP", host="127.0.0.1", remote_port=9)
    assert op.deferred is not None
    assert (op.deferred.kind, op.deferred.connect_id, op.deferred.timeout) == (
        Deferred.QIOPEN,
        2,
        60.0,
    )
    ping = c.qping("h", time_out=3, ping_num=2)
    assert ping.deferred is not None and ping.deferred.expected_replies == 2
    assert ping.deferred.timeout == 3 * 2 + c.PING_MARGIN_S
    default_ping = c.qping("h")
    assert default_ping.deferred is not None
    assert default_ping.deferred.expected_replies == 4
    fixed = c.qisend(0, b'a"b\r\n', hex_format=False)
    assert fixed.line == "AT+QISEND=0,5"
    assert fixed.data_mode is not None and fixed.data_mode.kind is DataModeKind.FIXED
    assert fixed.data_mode.payload == b'a"b\r\n' and fixed.data_mode.terminator == b""
    var = c.qisend(0, b"abc", hex_format=True, mode=c.SendMode.VARIABLE)
    assert var.data_mode is not None
    assert var.data_mode.payload == b"616263" and var.data_mode.terminator == c.CTRL_Z


def test_text_that_cannot_go_inline_goes_through_data_mode() -> None:
    for data in (b'say "hi"', b"two\r\nlines", b"\x00\x01", b"\xff\xfe"):
        cmd = c.qisend(0, data, hex_format=False)
        assert cmd.data_mode is not None, data
        assert b'"' not in cmd.line.encode()[len("AT+QISEND=") :] or cmd.line.count('"') % 2 == 0
        assert "\r" not in cmd.line and "\n" not in cmd.line
    with pytest.raises(ParamError, match="cannot go inline"):
        c.qisend(0, b'a"b', hex_format=False, mode=c.SendMode.INLINE)
    with pytest.raises(ParamError, match="Ctrl-Z"):
        c.qisend(0, b"a\x1ab", hex_format=False, mode=c.SendMode.VARIABLE)


@pytest.mark.parametrize(
    ("build", "param", "fragment"),
    [
        (
            lambda: c.qiopen(connect_id=5, service_type="TCP", host="h", remote_port=1),
            "connectID",
            "0-4",
        ),
        (
            lambda: c.qiopen(connect_id=0, service_type="SCTP", host="h", remote_port=1),
            "service_type",
            '"TCP"/"UDP"/"TCP LISTENER"/"UDP SERVICE"',
        ),
        (
            lambda: c.qiopen(connect_id=0, service_type="TCP", host="h" * 151, remote_port=1),
            "host",
            "150 bytes",
        ),
        (
            lambda: c.qiopen(connect_id=0, service_type="TCP", host="h", remote_port=70000),
            "remote_port",
            "0-65535",
        ),
        (
            lambda: c.qiopen(connect_id=0, service_type="TCP", host="h", remote_port=0),
            "remote_port",
            "1-65535",
        ),
        (
            lambda: c.qiopen(
                connect_id=0,
                service_type="UDP SERVICE",
                host="127.0.0.1",
                remote_port=1,
                local_port=0,
            ),
            "local_port",
            "1-65535",
        ),
        (
            lambda: c.qiopen(
                connect_id=0, service_type="TCP", host="h", remote_port=1, context_id=1
            ),
            "contextID",
            "only 0",
        ),
        (
            lambda: c.qiopen(
                connect_id=0, service_type="TCP", host="h", remote_port=1, access_mode=2
            ),
            "access_mode",
            "0, 1",  # §1.2: 0 is taken as 1 (direct push); nothing else is accepted
        ),
        (lambda: c.qisend(0, b"x" * 1025, hex_format=False), "data", "1024"),
        (lambda: c.qisend(0, b"x" * 513, hex_format=True), "data", "512"),
        (lambda: c.qisend(0, b"", hex_format=False), "data", "1-1024"),
        (lambda: c.qisend(0, b"x", hex_format=False, rai_mode=3), "rai_mode", "0, 1, 2"),
        (
            lambda: c.qisend(0, b"x", hex_format=False, remote=("not-an-ip", 1)),
            "remote_ip",
            "IP address",
        ),
        (lambda: c.qping("h", time_out=256), "time_out", "1-255"),
        (lambda: c.qping("h", ping_num=11), "ping_num", "1-10"),
        (
            lambda: (
                c.qntp("pool.ntp.org", auto_set_time=1, port=None, context_id=0)
                and c.qping(
                    "h", rai_enable=1, ping_size=None, ping_num=None, time_out=None, context_id=3
                )
            ),
            "contextID",
            "only 0",
        ),
        (lambda: c.qping("h", ping_size=31), "ping_size", "32-1500"),
        (lambda: c.qping("h", rai_enable=2), "rai_enable", "0, 1"),
        (lambda: c.qping("bad host!"), "host", "domain name"),
        (lambda: c.qntp("pool.ntp.org", port=0), "port", "1-65535"),
        (lambda: c.qntp("pool.ntp.org", auto_set_time=2), "auto_set_time", "0, 1"),
        (lambda: c.qidnscfg("8.8.8"), "pridnsaddr", "IP address"),
        (lambda: c.qidnscfg("8.8.8.8", "x" * 65), "secdnsaddr", "64 bytes"),
        (lambda: c.qidnsgip(""), "hostname", "domain name"),
        (lambda: c.qicfg_dataformat(2, 0), "send_data_format", "0, 1"),
        (lambda: c.qicfg_dataformat(1), "recv_data_format", "both"),
        (lambda: c.qicfg_showra(5), "showRA_mode", "0, 1"),
        (lambda: c.qiclose(-1), "connectID", "0-4"),
        (lambda: c.qistate_by_connect(9), "connectID", "0-4"),
    ],
)
def test_bad_values_name_the_parameter_value_and_range(build, param: str, fragment: str) -> None:
    with pytest.raises(ParamError) as info:
        build()
    assert info.value.param == param
    assert fragment in str(info.value)
    assert f"<{param}>" in str(info.value)


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=200))
def test_no_builder_puts_cr_lf_or_a_stray_quote_on_the_wire(text: str) -> None:
    """Any string in any string field either is refused or round-trips intact."""
    for build in (
        lambda s: c.qiopen(connect_id=0, service_type="TCP", host=s, remote_port=80),
        lambda s: c.qping(s),
        lambda s: c.qntp(s),
        lambda s: c.qidnsgip(s),
        lambda s: c.qisend(0, s.encode(), hex_format=False, mode=c.SendMode.INLINE),
    ):
        try:
            cmd = build(text)
        except ParamError:
            continue
        assert b"\r" not in cmd.line.encode() and b"\n" not in cmd.line.encode()
        parsed = parse_command_line(cmd.line)
        assert any(a.quoted and a.text == text for a in parsed.args), cmd.line


@settings(max_examples=1000, deadline=None)
@given(st.binary(min_size=1, max_size=1024))
def test_any_payload_has_a_safe_send_plan(data: bytes) -> None:
    cmd = c.qisend(0, data, hex_format=False)
    assert "\r" not in cmd.line and "\n" not in cmd.line
    if cmd.data_mode is None:
        assert cmd.values["data"] == data.decode()
    else:
        assert cmd.data_mode.payload == data
        assert cmd.values["send_length"] == len(data)


# --- classifier for typed lines ---------------------------------------------------


def test_classify_typed_lines() -> None:
    assert c.classify("at+qistate?").key == "qistate.read"
    assert c.classify("AT+QISEND=0").data_mode is not None
    assert c.classify("AT+QISEND=0,0").key == "qisend.query"
    assert c.classify("AT+QISEND=0,5").data_mode is not None
    udp = c.classify('AT+QISEND=0, "220.180.239.212",8196,12,"012345678901"')
    assert udp.key == "qisend.udp_inline" and udp.problem is None
    unknown = c.classify("AT+FOO=1")
    assert unknown.problem and "not a command" in unknown.problem
    assert unknown.completion is Completion.FINAL
    bad_send = c.classify('AT+QISEND=9,5,"x"')
    assert bad_send.problem and bad_send.completion is Completion.SEND
    with pytest.raises(AtSyntaxError):
        c.classify("hello")
    with pytest.raises(AtSyntaxError):
        c.classify("AT\r\nAT+QRST=1")


def test_check_line_knows_send_length_against_data() -> None:
    assert c.check_line('AT+QISEND=0,5,"12345"', send_hex=False) is None
    assert "does not match" in (c.check_line('AT+QISEND=0,4,"12345"', send_hex=False) or "")
    assert "odd number" in (c.check_line('AT+QISEND=0,2,"313"', send_hex=True) or "")
    assert c.check_line('AT+QISEND=0,2,"3132"', send_hex=True) is None
    assert "out of range" in (c.check_line("AT+QICLOSE=7") or "")
    assert c.check_line("ATI") is None


def test_parse_command_line_forms() -> None:
    assert parse_command_line("AT").form is Form.EXECUTE
    assert parse_command_line("AT+QIOPEN=?").form is Form.TEST
    assert parse_command_line("AT+QISTATE?").form is Form.READ
    ate = parse_command_line("ATE0")
    assert (ate.name, ate.args[0].text) == ("E", "0")
    w = parse_command_line('AT+QICFG="dataformat",1,0')
    assert [a.text for a in w.args] == ["dataformat", "1", "0"] and w.args[0].quoted


def test_catalog_covers_every_command_of_chapter_2_3() -> None:
    names = {spec.name for spec in catalog.CATALOG}
    for name in (
        "+QIOPEN",
        "+QICLOSE",
        "+QISTATE",
        "+QISEND",
        "+QPING",
        "+QNTP",
        "+QIDNSGIP",
        "+QIDNSCFG",
        "+QICFG",
    ):
        assert name in names
        spec = catalog.lookup(name)
        assert spec is not None and spec.chapter.startswith("2.3.")
        assert any(f.form is Form.TEST for f in spec.forms), name
    qisend = catalog.lookup("+QISEND")
    assert qisend is not None and len([f for f in qisend.forms if f.form is Form.WRITE]) == 7
    for spec, form in catalog.all_forms():
        assert form.syntax.upper().startswith("AT"), (spec.name, form.syntax)
        assert form.summary


# --- parser fields ---------------------------------------------------------------


def test_parse_fields() -> None:
    row = parse_line(b'+QISTATE: 1,"TCP INCOMING","192.168.4.30",34835,5000,2,0,1')
    assert row.connect_id == 1 and row.service_type == "TCP INCOMING"  # type: ignore[attr-defined]
    assert row.state_label == "Connected"  # type: ignore[attr-defined]
    cme = parse_line(b"+CME ERROR: 566")
    assert cme.meaning == "566 Socket connection failed"  # type: ignore[attr-defined]
    inc = parse_line(b'+QIURC: "incoming",1,0,"192.168.4.30",34835')
    assert (inc.connect_id, inc.server_id, inc.remote_port) == (1, 0, 34835)  # type: ignore
    reg = parse_line(b"+CEREG: 0,5")
    assert (reg.n, reg.stat, reg.registered) == (0, 5, True)  # type: ignore[attr-defined]
    urc = parse_line(b'+CEREG: 2,"1A2B","0C3D4E5F",9')
    assert (urc.n, urc.stat) == (None, 2)  # type: ignore[attr-defined]
    assert parse_line(b"+QISTATE: garbage").kind == "info"
    assert parse_line(b"+QIOPEN: x,y").kind == "info"


def test_result_codes_table() -> None:
    assert len(codes.ResultCode) == 26  # 0 and 550-574
    assert [int(x) for x in codes.ResultCode][1:] == list(range(550, 575))
    assert codes.describe(574) == "574 Port busy"
    assert codes.describe(571) == "571 Send Canceled"
    assert "not a result code" in codes.describe(999)


def test_skipped_optional_parameters_take_the_spec_default() -> None:
    assert c.qping("h", ping_num=2).line == 'AT+QPING=0,"h",4,2'
    assert c.qping("h", rai_enable=1).line == 'AT+QPING=0,"h",4,4,32,1'
    assert c.qntp("h", auto_set_time=1).line == 'AT+QNTP=0,"h",123,1'
