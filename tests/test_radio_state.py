"""Registration, signal and power-saving lines: parsed from the BC660K-GL&BC950K-GL AT
Commands Manual V1.4's own example lines (section in each test), learned by
ModuleState, and shown by the header, most important first."""

from __future__ import annotations

from rich.text import Text

from app.link.results import LinkState, LinkStatus, Role, Rx
from app.model.state import Changed, ModuleState
from app.protocol import events as ev
from app.protocol.parse import parse_line
from widgets.status import radio_text, status_text


def rx(line: bytes, role: Role = Role.URC) -> Rx:
    return Rx(parse_line(line), role, None, 0.0, 0.0)


# -- parsing, with the manual's examples ----------------------------------------------


def test_cereg_read_and_urc_shapes_section_4_1() -> None:
    # §4.1 example: AT+CEREG? -> +CEREG: 1,1
    read = parse_line(b"+CEREG: 1,1")
    assert isinstance(read, ev.CeregStatus)
    assert (read.n, read.stat, read.unsolicited) == (1, 1, False)
    # §4.1 URC for n=1: +CEREG: <stat>
    urc = parse_line(b"+CEREG: 5")
    assert isinstance(urc, ev.CeregStatus) and urc.unsolicited and urc.stat == 5
    # n=2: +CEREG: <stat>[,[<tac>],[<ci>],[<AcT>]]  (<tac> "00C3" = 195, §4.1)
    urc = parse_line(b'+CEREG: 1,"00C3","0000ABCD",9')
    assert isinstance(urc, ev.CeregStatus) and urc.unsolicited
    assert (urc.stat, urc.tac, urc.ci, urc.act) == (1, "00C3", "0000ABCD", 9)
    # n=4 read answer from a real BC660K-GL (A05): empty cause fields, then the
    # timers ("00100100" is 4 minutes, §4.1 <Active-Time>).
    read = parse_line(b'+CEREG: 4,5,"0001","0000ABCD",9,,,"00100100","01000111"')
    assert isinstance(read, ev.CeregStatus)
    assert (read.n, read.stat, read.cause_type, read.reject_cause) == (4, 5, None, None)
    assert (read.active_time, read.periodic_tau) == ("00100100", "01000111")
    # n=5 URC: causes and timers
    urc = parse_line(b'+CEREG: 3,"0001","0000ABCD",9,0,15,"00100100","01000111"')
    assert isinstance(urc, ev.CeregStatus)
    assert (urc.stat, urc.cause_type, urc.reject_cause) == (3, 0, 15)
    assert urc.active_time == "00100100"
    # A BC66 prints one more empty field before the causes: the cause still reads.
    urc = parse_line(b"+CEREG: 3,,,,,0,15")
    assert isinstance(urc, ev.CeregStatus) and urc.reject_cause == 15 and urc.tac is None


def test_cesq_section_4_2() -> None:
    # §4.2 example: +CESQ: 99,99,255,255,25,61
    line = parse_line(b"+CESQ: 99,99,255,255,25,61")
    assert isinstance(line, ev.CesqReport)
    assert (line.rxlev, line.ber, line.rscp, line.ecno, line.rsrq, line.rsrp) == (
        99,
        99,
        255,
        255,
        25,
        61,
    )
    assert line.rsrp_dbm == -80  # 61: -80 dBm <= RSRP < -79 dBm
    assert line.rsrq_db == -7.5
    assert ev.CesqReport(rsrp=255).rsrp_dbm is None  # not known


def test_cscon_section_4_6() -> None:
    # §4.6 example: AT+CSCON? -> +CSCON: 0, 0 (note the space); the URC is +CSCON: <mode>
    read = parse_line(b"+CSCON: 0, 0")
    assert isinstance(read, ev.CsconStatus) and (read.n, read.mode) == (0, 0)
    assert not read.unsolicited
    urc = parse_line(b"+CSCON: 1")
    assert isinstance(urc, ev.CsconStatus) and urc.unsolicited and urc.connected


def test_csq_section_4_7() -> None:
    # §4.7 example: +CSQ: 22,0; <rssi> 2-30 is -109 to -53 dBm
    line = parse_line(b"+CSQ: 22,0")
    assert isinstance(line, ev.CsqReport) and (line.rssi, line.ber) == (22, 0)
    assert line.dbm == -69
    assert [ev.csq_dbm(n) for n in (0, 1, 2, 30, 31, 99)] == [-113, -111, -109, -53, -51, None]


def test_qnbiotevent_section_9_8() -> None:
    # §9.8 example: AT+QNBIOTEVENT? -> +QNBIOTEVENT: 1,1; URC <event_value> ENTER/EXIT PSM
    read = parse_line(b"+QNBIOTEVENT: 1,1")
    assert isinstance(read, ev.QNbiotEvent) and (read.enable, read.event) == (1, 1)
    assert not read.unsolicited
    for value in ev.PSM_EVENTS:
        urc = parse_line(b'+QNBIOTEVENT: "' + value.encode() + b'"')
        assert isinstance(urc, ev.QNbiotEvent) and urc.event_value == value
        assert urc.unsolicited


def test_qsclk_and_slplocktimes_sections_9_10_and_11_1_5() -> None:
    line = parse_line(b"+QSCLK: 1")
    assert isinstance(line, ev.QsclkStatus) and line.n == 1
    cfg = parse_line(b'+QCFG: "slplocktimes",10')  # default 10 s (§11.1.5)
    assert isinstance(cfg, ev.QCfgValue)
    assert cfg.function == "slplocktimes" and cfg.int_value() == 10
    gpio = parse_line(b'+QCFG: "GPIO",1,1,1,1')  # §11.1.13 example
    assert isinstance(gpio, ev.QCfgValue) and gpio.values == ("1", "1", "1", "1")


def test_time_zone_urcs_section_12_2() -> None:
    ctzeu = parse_line(b'+CTZEU: "+8",1,"2026/10/02,23:50:20"')  # as a real A05 printed it
    assert isinstance(ctzeu, ev.TimeZoneReport)
    assert (ctzeu.name, ctzeu.tz, ctzeu.dst, ctzeu.time) == (
        "+CTZEU",
        "+8",
        1,
        "2026/10/02,23:50:20",
    )
    assert ctzeu.tz_quarters == 8
    ctze = parse_line(b'+CTZE: "+32",0,"2020/11/03,06:25:06"')
    assert isinstance(ctze, ev.TimeZoneReport) and ctze.time == "2020/11/03,06:25:06"
    ctzv = parse_line(b'+CTZV: "-09"')
    assert isinstance(ctzv, ev.TimeZoneReport) and ctzv.tz_quarters == -9
    assert ev.TimeZoneReport in ev.UNSOLICITED_TYPES


# -- the state ---------------------------------------------------------------------


def test_state_learns_registration_signal_rrc_and_psm() -> None:
    state = ModuleState()
    assert state.apply(rx(b'+CEREG: 5,"0001","0000ABCD",9,,,"00100011","00101010"')) == {
        Changed.STATUS
    }
    assert state.cereg == 5 and state.psm_timers == ("00100011", "00101010")
    assert state.registration is not None and state.registration.ci == "0000ABCD"
    state.apply(rx(b"+CSQ: 24,0", Role.RESPONSE))
    state.apply(rx(b"+CESQ: 99,99,255,255,25,61", Role.RESPONSE))
    assert state.csq is not None and state.csq.rssi == 24
    assert state.cesq is not None and state.cesq.rsrp == 61
    state.apply(rx(b"+CSCON: 1"))
    assert state.rrc_connected is True and state.psm is False
    state.apply(rx(b"+CSCON: 0, 0", Role.RESPONSE))
    assert state.rrc_connected is False
    state.apply(rx(b'+QNBIOTEVENT: "ENTER PSM"'))
    assert state.psm is True
    state.apply(rx(b'+QNBIOTEVENT: "ENTER DEEPSLEEP"'))
    assert state.deep_sleep
    state.apply(rx(b'+QNBIOTEVENT: "EXIT DEEPSLEEP"'))
    state.apply(rx(b'+QNBIOTEVENT: "EXIT PSM"'))
    assert state.psm is False and not state.deep_sleep
    # A later +CEREG without timers (n=1) keeps the timers last granted.
    state.apply(rx(b"+CEREG: 1"))
    assert state.cereg == 1 and state.psm_timers == ("00100011", "00101010")
    assert state.apply(rx(b"RDY")) == set()  # the engine's ModuleRebooted clears


def test_header_shows_the_radio_compactly() -> None:
    state = ModuleState()
    for line in (b"+CEREG: 1", b"+CSQ: 24,0", b"+CSCON: 0", b'+QNBIOTEVENT: "ENTER PSM"'):
        state.apply(rx(line))
    assert radio_text(state).plain == "  registered (home)  CSQ 24 (-65 dBm)  RRC idle  PSM"
    state.apply(rx(b"+CSQ: 99,99"))
    state.apply(rx(b"+CESQ: 99,99,255,255,25,61"))
    assert "CSQ 99  " in radio_text(state).plain  # not known: no dBm invented
    denied = ModuleState()
    denied.apply(rx(b"+CEREG: 3,,,,,0,15"))
    denied.apply(rx(b"+CESQ: 99,99,255,255,25,61"))
    assert radio_text(denied).plain == "  denied (cause 15)  RSRP -80 dBm"
    assert radio_text(ModuleState()).plain == ""


def test_header_keeps_the_radio_within_80_columns() -> None:
    state = ModuleState()
    state.apply(
        LinkStatus(LinkState.CONNECTED, "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART-if00", 115200)
    )
    for line in (b"+CEREG: 5", b"+CSQ: 10,0", b"+CSCON: 1"):
        state.apply(rx(line))
    text = status_text(state, polling="poll every 10 s")
    cut = Text(text.plain[:80])
    assert "registered (roaming)  CSQ 10 (-93 dBm)  RRC connected" in cut.plain
    assert text.plain.index("registered") < text.plain.index("/dev/serial")
