"""The module's own answers: parsed from the AT Commands Manual V1.4's example lines
(section in each test), told apart from URCs by the engine, learned by
ModuleState.details with where each came from, and put in words for the Module
pane (app/model/module_view.py), the report's header and the reachability."""

from __future__ import annotations

from app.link.engine import Deliver, Engine
from app.link.results import (
    CommandFinished,
    CommandResult,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.model.details import RSRP_HISTORY
from app.model.module_view import (
    BAD,
    GOOD,
    WARN,
    glance,
    masked,
    module_sections,
    reachability,
    sparkline,
    summary_rows,
)
from app.model.state import Changed, ModuleState
from app.protocol import cellular as cell
from app.protocol import commands as c
from app.protocol import events as ev
from app.protocol.parse import parse_line

# -- parsing ------------------------------------------------------------------------------


def test_qeng_serving_cell_section_4_8() -> None:
    # §4.8 example.
    line = parse_line(b'+QENG: 0,3688,11,121,"05C4EF33",-72,-8,-64,14,8,"4C10",0,-128,3')
    assert isinstance(line, cell.QengServingCell)
    assert (line.earfcn, line.earfcn_offset, line.pci, line.cell_id) == (3688, 11, 121, "05C4EF33")
    assert (line.rsrp, line.rsrq, line.rssi, line.sinr) == (-72, -8, -64, 14)
    assert (line.band, line.tac, line.ecl, line.tx_power, line.operation_mode) == (
        8,
        "4C10",
        0,
        -128,
        3,
    )
    # Optional fields left empty (§4.8: [<sc_RSRP>] ... [<sc_ECL>],[<sc_Tx_pwr>]).
    line = parse_line(b'+QENG: 0,3688,11,121,"05C4EF33",,,,,8,"4C10",,,3')
    assert isinstance(line, cell.QengServingCell)
    assert (line.rsrp, line.sinr, line.ecl, line.tx_power) == (None, None, None, None)
    # Neighbours and the PLMN state (AT+QENG=3, §4.8 example).
    assert isinstance(parse_line(b"+QENG: 1,3688,122,-90,-11"), cell.QengNeighbourCell)
    plmn = parse_line(b'+QENG: 4,"REG","PSM","SELECTED","EHPLMN","0x460,0xf000"')
    assert isinstance(plmn, cell.QengPlmnState) and plmn.emm_mode == "PSM"
    # The Tx/Rx times stay a generic line; a short serving-cell line too.
    assert isinstance(parse_line(b"+QENG: 3,120,30,5"), ev.InfoResponse)
    assert isinstance(parse_line(b"+QENG: 0,3688,11"), ev.InfoResponse)


def test_power_saving_answers_sections_9_1_9_2_9_4() -> None:
    # §9.4 example (with its stray spaces).
    psm = parse_line(b'+CPSMS: 1,,," 01000011 "," 01000011 "')
    assert isinstance(psm, cell.PsmSetting) and psm.mode == 1
    assert (psm.t3412.seconds, psm.t3324.seconds) == (30 * 3600, 18 * 60)
    off = parse_line(b"+CPSMS: 0")
    assert isinstance(off, cell.PsmSetting) and off.t3412.problem == "not given"
    # §9.1 example: +CEDRXS: 5,"0 011 ".
    edrx = parse_line(b'+CEDRXS: 5,"0 011 "')
    assert isinstance(edrx, cell.EdrxSetting) and edrx.act_type == 5
    # §9.2 example, and "access technology not supporting eDRX".
    dyn = parse_line(b'+CEDRXRDP: 5,"0011","0011","0011"')
    assert isinstance(dyn, cell.EdrxDynamic) and dyn.in_use and not dyn.unsolicited
    none = parse_line(b"+CEDRXRDP: 0")
    assert isinstance(none, cell.EdrxDynamic) and not none.in_use
    urc = parse_line(b'+CEDRXP: 5,"0101","0101","0011"')
    assert isinstance(urc, cell.EdrxDynamic) and urc.unsolicited


def test_network_and_identity_answers() -> None:
    # §7.2 example (a space before <AcT>), and no operator selected.
    cops = parse_line(b'+COPS: 0,2,"46000", 9')
    assert isinstance(cops, cell.OperatorStatus)
    assert (cops.mode, cops.format, cops.oper, cops.act) == (0, 2, "46000", 9)
    bare = parse_line(b"+COPS: 2")
    assert isinstance(bare, cell.OperatorStatus) and bare.oper is None
    # §5.4 example.
    ctx = parse_line(b'+CGDCONT: 0 ,"IP","CMNBIOT","100.81.144.240"')
    assert isinstance(ctx, cell.PdpContextDef)
    assert (ctx.cid, ctx.pdp_type, ctx.apn, ctx.address) == (0, "IP", "CMNBIOT", "100.81.144.240")
    assert isinstance(parse_line(b'+CGDCONT: 1,"IP","CMNET"'), cell.PdpContextDef)
    # §4.3, §2.5, §8.11, §9.3 examples.
    attach = parse_line(b"+CGATT: 1")
    assert isinstance(attach, cell.AttachState) and attach.words == "attached"
    imei = parse_line(b"+CGSN: 866818039921444")
    assert isinstance(imei, cell.SerialNumber) and imei.value == "866818039921444"
    assert isinstance(parse_line(b"+CGSN: (0-3)"), ev.TestResponse)  # the test answer
    assert isinstance(parse_line(b"+QCCID: 89860446091891372008"), cell.IccidReport)
    assert isinstance(parse_line(b"+CFUN: 1"), cell.FunctionalityLevel)
    # Text where a number belongs: a generic line, never an exception.
    assert isinstance(parse_line(b"+CGATT: yes"), ev.InfoResponse)


def test_the_engine_tells_these_answers_from_urcs() -> None:
    engine = Engine()
    p = engine.new(c.qeng())
    engine.start(p, 0.0)
    out = engine.feed(
        parse_line(b'+QENG: 0,3688,11,121,"05C4EF33",-72,-8,-64,14,8,"4C10",0,-128,3'), 0.1
    )
    # +CEDRXP is a URC even while a command is in flight; +CPSMS is not this command's.
    out += engine.feed(parse_line(b'+CEDRXP: 5,"0101","0101","0011"'), 0.1)
    out += engine.feed(parse_line(b'+CPSMS: 1,,,"00111000","00100001"'), 0.1)
    out += engine.feed(parse_line(b"OK"), 0.2)
    roles = [(type(o.event).__name__, o.role) for o in out if isinstance(o, Deliver)]
    assert roles == [
        ("QengServingCell", Role.RESPONSE),
        ("EdrxDynamic", Role.URC),
        ("PsmSetting", Role.URC),
        ("Ok", Role.FINAL),
    ]
    assert p.result.outcome is Outcome.OK and len(p.result.lines) == 1


# -- ModuleState.details: values and where they came from ---------------------------------

WALL = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


class Feed:
    """Feeds a ModuleState as the link would: commands, their lines, URCs."""

    def __init__(self) -> None:
        self.state = ModuleState()
        self.next_id = 1
        self.wall = WALL

    def command(self, line: str, *answers: bytes, final: bytes = b"OK", at: float = 0.0) -> None:
        cid = self.next_id
        self.next_id += 1
        self.wall = WALL + at
        cmd = c.classify(line)
        self.state.apply(Tx(cmd.wire, TxKind.COMMAND, cid, 0.0, self.wall, "module"))
        lines: list[ev.Event] = []
        for answer in answers:
            event = parse_line(answer)
            lines.append(event)
            self.state.apply(Rx(event, Role.RESPONSE, cid, 0.0, self.wall, "module"))
        end = parse_line(final)
        self.state.apply(Rx(end, Role.FINAL, cid, 0.0, self.wall, "module"))
        outcome = Outcome.OK if isinstance(end, ev.Ok) else Outcome.ERROR
        result = CommandResult(cmd, outcome, lines, end, command_id=cid, tag="module")
        self.state.apply(CommandFinished(result))

    def urc(self, line: bytes, at: float = 0.0) -> set[Changed]:
        self.wall = WALL + at
        return self.state.apply(Rx(parse_line(line), Role.URC, None, 0.0, self.wall))


def test_details_keep_each_value_with_its_command_and_time() -> None:
    f = Feed()
    f.command("AT+CEREG?", b'+CEREG: 5,1,"1A2B","0C3D4E5F",9,,,"00100001","00111000"', at=1)
    f.command("AT+QENG=0", b'+QENG: 0,3688,11,121,"0C3D4E5F",-72,-8,-64,14,8,"1A2B",0,-128,3', at=2)
    f.command("AT+CIMI", b"001010123456789", at=3)
    f.command("AT+CGSN=1", b"+CGSN: 866818039921444", at=3)
    d = f.state.details
    assert d.imsi == "001010123456789" and d.imei == "866818039921444"
    assert d.source("registration") == d.source("psm_timers")
    reg = d.source("registration")
    assert reg is not None and (reg.what, reg.wall) == ("AT+CEREG?", WALL + 1)
    cell_src = d.source("cell")
    assert cell_src is not None and cell_src.what == "AT+QENG=0"
    imsi = d.source("imsi")
    assert imsi is not None and (imsi.what, imsi.wall) == ("AT+CIMI", WALL + 3)
    assert (d.cereg_n, f.state.psm_timers) == (5, ("00100001", "00111000"))
    # A URC says so, and only what the pane shows changing says MODULE.
    changed = f.urc(b'+CEDRXP: 5,"0101","0101","0011"', at=4)
    assert changed == {Changed.MODULE}
    edrx = d.source("edrx")
    assert edrx is not None and edrx.what == "+CEDRXP URC"


def test_a_failed_read_is_said_and_the_last_value_kept() -> None:
    f = Feed()
    f.command("AT+CIMI", final=b"+CME ERROR: 10")
    assert f.state.details.imsi is None
    assert f.state.details.failures["imsi"] == "+CME ERROR: 10"
    identity = next(s for s in module_sections(f.state, WALL) if s.title == "Identity")
    row = next(r for r in identity.rows if r.label == "IMSI (SIM)")
    assert row.value == "not read: +CME ERROR: 10" and row.style == WARN
    f.command("AT+CIMI", b"001010123456789")
    assert "imsi" not in f.state.details.failures


def test_identity_from_ati_and_a_reboot_keeps_it() -> None:
    f = Feed()
    f.state.apply(ModuleIdentity("Quectel_Ltd Quectel_BC660K-GL", "BC660KGLAAR01A05"))
    f.command("AT+CGATT?", b"+CGATT: 1")
    d = f.state.details
    assert (d.model, d.firmware) == ("Quectel_BC660K-GL", "BC660KGLAAR01A05")
    f.state.apply(ModuleRebooted(0.0))
    assert d.attach is None and d.source("attach") is None  # the network's, gone
    assert d.model == "Quectel_BC660K-GL"  # the module's, kept
    assert d.power_events[-1].event == "module rebooted"


def test_rsrp_history_one_sample_per_read() -> None:
    f = Feed()
    for i, rsrp in enumerate((-80, -95, -118)):
        f.command(
            "AT+QENG=0", f'+QENG: 0,1,11,1,"1",{rsrp},-8,-60,5,8,"1",0,-128,3'.encode(), at=10 * i
        )
        f.command("AT+CESQ", b"+CESQ: 99,99,255,255,24,61", at=10 * i + 0.2)  # the same read
    assert [dbm for _, dbm in f.state.details.rsrp_history] == [-80, -80, -80]
    assert len(f.state.details.rsrp_history) == 3
    # -130 dBm is the lowest block, -60 the highest; beyond them, clipped.
    assert sparkline([-130, -95, -60, -20, -150]) == "▁▅██▁"
    assert sparkline([-130.0, -60.0]) == "▁█"
    assert len(sparkline([-100.0] * (RSRP_HISTORY + 5))) == 24


# -- the words -------------------------------------------------------------------------------


def rows(state: ModuleState, title: str, now: float = WALL) -> dict[str, str]:
    section = next(s for s in module_sections(state, now) if s.title == title)
    return {r.label: r.value for r in section.rows}


def test_registration_words_denied_with_cause() -> None:
    f = Feed()
    f.command("AT+CEREG?", b"+CEREG: 5,3,,,,0,15")
    reg = rows(f.state, "Registration")
    assert reg["Status"] == "registration denied"
    assert reg["Reject cause"] == "#15 no suitable cells in tracking area"
    assert glance(f.state, WALL).style == BAD


def test_radio_words_prefer_the_exact_reading() -> None:
    f = Feed()
    f.command("AT+CEREG?", b"+CEREG: 0,1")
    f.command("AT+QENG=0", b'+QENG: 0,3688,11,121,"05C4EF33",-72,-8,-64,14,8,"4C10",0,-128,3')
    f.command("AT+CESQ", b"+CESQ: 99,99,255,255,25,61")  # the same read: QENG's dB win
    radio = rows(f.state, "Radio")
    assert radio["RSRP"] == "-72 dBm" and radio["SINR"] == "14 dB" and radio["RSRQ"] == "-8 dB"
    assert radio["Quality"] == "medium (RSRQ -8 dB is between -11 and -7)"
    assert radio["EARFCN"] == "3688 (offset -0.5)"
    assert radio["TX power"] == "none (not sending: -128)"
    assert radio["CESQ"] == "rsrp 61, rsrq 25 (indexes, §4.2)"


def test_masked_identity() -> None:
    assert masked("866818039921444") == "•••••••••••1444"
    assert masked("1234") == "••••"
    f = Feed()
    f.command("AT+CGSN=1", b"+CGSN: 866818039921444")
    section = next(s for s in module_sections(f.state, WALL, mask=True) if s.title == "Identity")
    assert next(r.value for r in section.rows if r.label == "IMEI") == "•••••••••••1444"


# -- when the module can next be reached -------------------------------------------------------


def psm_state() -> Feed:
    """Registered; PSM granted: T3324 1 min ("00100001"), T3412 24 h ("00111000")."""
    f = Feed()
    f.command("AT+CEREG?", b'+CEREG: 5,1,"1A2B","0C3D4E5F",9,,,"00100001","00111000"')
    f.urc(b"+CSCON: 1", at=10)
    return f


def test_reachable_while_connected_then_for_the_active_time_then_psm() -> None:
    f = psm_state()
    assert reachability(f.state, WALL + 11).text == "now (RRC connected)"
    f.urc(b"+CSCON: 0", at=20)  # idle: T3324 and T3412 run from here
    reach = reachability(f.state, WALL + 30)
    assert reach.text == "yes, for 50 s more (T3324 active time), then PSM"
    assert reach.until == WALL + 80 and reach.style == GOOD
    # No word from the module yet, but T3324 ran out: PSM until the periodic TAU.
    reach = reachability(f.state, WALL + 90)
    assert reach.style == WARN and reach.until == WALL + 20 + 24 * 3600
    assert reach.text.startswith("in 23 h 58 min 50 s (in PSM since about ")
    f.urc(b'+QNBIOTEVENT: "ENTER PSM"', at=80)
    reach = reachability(f.state, WALL + 3600 + 20)
    assert reach.text.startswith("in 23 h 00 min 00 s (in PSM until the periodic TAU")
    # The module left PSM: reachable, and its list of events says so.
    f.urc(b'+QNBIOTEVENT: "EXIT PSM"', at=24 * 3600 + 20)
    assert reachability(f.state, WALL + 24 * 3600 + 21).style == GOOD
    events = [e.event for e in f.state.details.power_events]
    assert events == ["entered PSM", "left PSM"]


def test_reachable_without_psm_and_when_not_registered() -> None:
    f = Feed()
    assert reachability(f.state, WALL).text == "not known (the registration is not read yet)"
    f.command("AT+CEREG?", b"+CEREG: 0,2")
    assert reachability(f.state, WALL).text == "no: not registered"
    f.command("AT+CEREG?", b"+CEREG: 0,1")
    assert reachability(f.state, WALL).text == "yes, idle: paged every DRX cycle"
    f.command("AT+CEDRXRDP", b'+CEDRXRDP: 5,"0101","0101","0011"')
    assert reachability(f.state, WALL).text == (
        "yes, idle: paged every 81.92 s (eDRX), window 10.24 s"
    )
    # PSM entered with T3412 known but not when it went idle: from the PSM entry.
    g = psm_state()
    g.urc(b'+QNBIOTEVENT: "ENTER PSM"', at=100)
    g.state.details.idle_since = None
    reach = reachability(g.state, WALL + 100)
    assert reach.until == WALL + 100 + 24 * 3600 - 60


def test_power_saving_words() -> None:
    f = psm_state()
    f.command("AT+CPSMS?", b'+CPSMS: 1,,,"00111000","00100001"')
    f.command("AT+CEDRXS?", b'+CEDRXS: 5,"0011"')
    power = rows(f.state, "Power saving", WALL + 11)
    assert power["PSM requested"] == "yes: T3412 24 h (00111000), T3324 1 min (00100001)"
    assert power["PSM granted"] == "yes"
    assert power["Active time"] == "T3324 1 min (00100001)"
    assert power["Periodic TAU"] == "T3412 24 h (00111000)"
    assert power["eDRX requested"] == "40.96 s (0011)"
    assert power["URCs"] == "CEREG n=5, CSCON n=?, PSM events ?"
    g = Feed()
    g.command("AT+CEREG?", b"+CEREG: 0,1")
    power = rows(g.state, "Power saving")
    assert power["PSM granted"] == "not reported at AT+CEREG=0 (4 or 5 reports it)"
    # The network granted no active time: no PSM.
    h = Feed()
    h.command("AT+CEREG?", b'+CEREG: 4,1,"1A2B","0C3D4E5F",9,,,"11100000","00111000"')
    assert rows(h.state, "Power saving")["PSM granted"] == "no (T3324 deactivated)"


def test_summary_rows_for_the_report() -> None:
    f = psm_state()
    f.command("AT+COPS?", b'+COPS: 0,2,"00101",9')
    f.command("AT+CGATT?", b"+CGATT: 1")
    f.command("AT+QENG=0", b'+QENG: 0,3688,11,121,"0C3D4E5F",-72,-6,-64,14,8,"1A2B",0,-128,3')
    f.command("AT+CPSMS?", b'+CPSMS: 1,,,"00111000","00100001"')
    f.urc(b'+QNBIOTEVENT: "ENTER PSM"', at=100)
    assert summary_rows(f.state) == [
        (
            "Network",
            "registered, home network; TAC 1A2B; cell 0C3D4E5F; E-UTRAN NB-S1 (NB-IoT); "
            "operator 00101; attached",
        ),
        ("Signal", "strong (RSRP -72 dBm, RSRQ -6 dB, SINR 14 dB)"),
        (
            "PSM, eDRX",
            "PSM requested (T3412 24 h, T3324 1 min); granted T3324 1 min, T3412 24 h; "
            "entered PSM once",
        ),
    ]
    assert summary_rows(ModuleState()) == []
