"""The simulated module's general 3GPP / Quectel commands, against the BC660K-GL&BC950K-GL
AT Commands Manual V1.4 ("AT manual", a public Markdown copy in the GitHub repository
mestre2marcos/BC660K-GL-Python, docs/application-notes/BC660k-AT-manual.md).

Each test quotes the manual's example or syntax line it pins and names its section.
Where the manual's example carries site-specific values (a Chinese operator, an IMEI),
the simulator prints its own plausible values in the same shape.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from app.demo.peers import Peers
from app.sim import registry
from app.sim.module import Module
from tests.atclient import AtClient
from tests.conftest import sim_url

Sim = tuple[AtClient, Module]


def open_sim(peers: Peers | None = None, **options: object) -> tuple[AtClient, Module, str]:
    name, url = sim_url(peers, echo=0, **options)
    port = serial.serial_for_url(url, timeout=0.1)
    return AtClient(port), registry.get(name), name


@pytest.fixture
def custom(peers: Peers) -> Iterator[Callable[..., Sim]]:
    made: list[tuple[AtClient, str]] = []

    def make(**options: object) -> Sim:
        at, module, name = open_sim(peers, **options)
        made.append((at, name))
        return at, module

    yield make
    for at, name in made:
        at.port.close()
        registry.destroy(name)


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` is true (polled), or fail."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- chapter 2: identification -------------------------------------------------------


def test_identification(sim: Sim) -> None:
    at, _ = sim
    # §2.1 example: ATI -> Quectel_Ltd / Quectel_BC660K-GL / Revision: BC660KGLAAR01A...
    assert at.lines("ATI") == [
        "Quectel_Ltd",
        "Quectel_BC660K-GL",
        "Revision: BC660KGLAAR01A05",
        "OK",
    ]
    # §2.2 example: "AT+CGMI / Quectel_Ltd / Quectel_BC660K-GL / Revision: QCX / OK"
    assert at.lines("AT+CGMI") == ["Quectel_Ltd", "Quectel_BC660K-GL", "Revision: QCX", "OK"]
    assert at.lines("AT+CGMI=?") == ["OK"]
    # §2.3 example: "AT+CGMM / Quectel_BC660K-GL / OK"
    assert at.lines("AT+CGMM") == ["Quectel_BC660K-GL", "OK"]
    # §2.4: "Response Revision: <revision>"; example "Revision: BC660KGLAAR01A03".
    assert at.lines("AT+CGMR") == ["Revision: BC660KGLAAR01A05", "OK"]


def test_cgsn_all_serial_number_types(sim: Sim) -> None:
    at, _ = sim
    # §2.5: "+CGSN: (range of supported <snt>s)"; snt 0 <SN>, 1 +CGSN: <IMEI>,
    # 2 +CGSN: <IMEISV>, 3 +CGSN: <SVN>. Example: "AT+CGSN=1 / +CGSN: 866818039921444".
    assert at.lines("AT+CGSN=?") == ["+CGSN: (0-3)", "OK"]
    assert at.lines("AT+CGSN=1") == ["+CGSN: 866818039921444", "OK"]
    assert at.lines("AT+CGSN") == ["866818039921444", "OK"]
    assert at.lines("AT+CGSN=0") == ["866818039921444", "OK"]
    imeisv = at.lines("AT+CGSN=2")[0]
    svn = at.lines("AT+CGSN=3")[0]
    assert re.fullmatch(r"\+CGSN: 86681803992144\d\d", imeisv)
    assert imeisv.endswith(svn.removeprefix("+CGSN: "))
    assert at.lines("AT+CGSN=4") == ["ERROR"]


def test_identities_follow_the_options(custom: Callable[..., Sim]) -> None:
    at, _ = custom(imei="490154203237518", imsi="001019876543210", iccid="8900101000000000001")
    assert at.lines("AT+CGSN=1") == ["+CGSN: 490154203237518", "OK"]
    # §8.4 example: "AT+CIMI / 460001357924680 / OK" (no quotes, no prefix).
    assert at.lines("AT+CIMI") == ["001019876543210", "OK"]
    # §8.11: "+QCCID: <ICCID>".
    assert at.lines("AT+QCCID") == ["+QCCID: 8900101000000000001", "OK"]


# --- chapter 3 and 10: UART, platform ------------------------------------------------


def test_ipr_cbc_and_qrst_test_forms(sim: Sim) -> None:
    at, _ = sim
    # §3.2 example: "+IPR: (2400,4800,9600,19200,38400,57600,115200,230400,460800)".
    assert at.lines("AT+IPR=?") == [
        "+IPR: (2400,4800,9600,19200,38400,57600,115200,230400,460800)",
        "OK",
    ]
    assert at.lines("AT+IPR=115200") == ["OK"]
    assert at.lines("AT+IPR?") == ["+IPR: 115200", "OK"]
    # §10.1 example: "AT+CBC / +CBC: 3369 / OK".
    assert re.fullmatch(r"\+CBC: \d{4}", at.lines("AT+CBC")[0])
    assert at.lines("AT+CBC=?") == ["OK"]
    # §10.4: "+QRST: (list of supported <mode>s)"; <mode> 1 only.
    assert at.lines("AT+QRST=?") == ["+QRST: (1)", "OK"]


def test_cmee_codes_numeric_and_verbose(sim: Sim) -> None:
    at, _ = sim
    # §10.2 example: "AT+CMEE=? / +CMEE: (0-2)"; Table 5 texts for the verbose mode.
    assert at.lines("AT+CMEE=?") == ["+CMEE: (0-2)", "OK"]
    assert at.lines("AT+CEREG=9") == ["ERROR"]
    at.ok("AT+CMEE=1")
    assert at.lines("AT+CEREG=9") == ["+CME ERROR: 50"]
    assert at.lines('AT+CPIN="1234"') == ["+CME ERROR: 3"]  # §8.6: no PIN request pending
    at.ok("AT+CMEE=2")
    assert at.lines("AT+CEREG=9") == ["+CME ERROR: Incorrect Parameters"]
    assert at.lines('AT+CPIN="1234"') == ["+CME ERROR: Operation not allowed"]
    assert at.lines("AT+QENG=1") == ["+CME ERROR: Operation not supported"]


def test_nvram_settings_survive_qrst_and_the_rest_does_not(sim: Sim) -> None:
    at, _ = sim
    # "The configuration is saved to NVRAM" for ATE (§3.1), AT+CEREG (§4.1), AT+CMEE
    # (§10.2), AT+CPSMS (§9.4), AT+QNBIOTEVENT (§9.8); AT+QSCLK is not (§9.10).
    for line in ("AT+CMEE=1", "AT+CEREG=2", "AT+QNBIOTEVENT=1,1", "AT+QSCLK=2"):
        at.ok(line)
    at.ok('AT+CPSMS=1,,,"01000011","00000101"')
    at.write(b"AT+QRST=1\r")
    assert [e.text for e in at.expect(r"^\+IP: ")][:2] == ["OK", "RDY"]
    assert at.lines("AT+CMEE?") == ["+CMEE: 1", "OK"]
    assert at.lines("AT+CEREG?")[0].startswith("+CEREG: 2,1,")
    assert at.lines("AT+QNBIOTEVENT?") == ["+QNBIOTEVENT: 1,1", "OK"]
    assert at.lines("AT+CPSMS?") == ['+CPSMS: 1,,,"01000011","00000101"', "OK"]
    assert at.lines("AT+QSCLK?") == ["+QSCLK: 0", "OK"]
    at.write(b"ATE1\r")
    at.expect("^OK$")
    at.write(b"AT+QRST=1\r")
    at.expect(r"^\+IP: ")
    at.write(b"AT\r")
    assert at.expect("^OK$")[0].text == "AT"  # echo came back on after the reboot (§3.1)


# --- chapter 4: network status ---------------------------------------------------------


def test_cereg_all_modes(sim: Sim) -> None:
    at, _ = sim
    # §4.1 examples: "AT+CEREG=? / +CEREG: (0-5)", "AT+CEREG=1 ... AT+CEREG? / +CEREG: 1,1".
    assert at.lines("AT+CEREG=?") == ["+CEREG: (0-5)", "OK"]
    at.ok("AT+CEREG=1")
    assert at.lines("AT+CEREG?") == ["+CEREG: 1,1", "OK"]
    at.ok("AT+CEREG=2")
    assert at.lines("AT+CEREG?") == ['+CEREG: 2,1,"1A2B","0C3D4E5F",9', "OK"]
    at.ok("AT+CEREG=3")
    assert at.lines("AT+CEREG?") == ['+CEREG: 3,1,"1A2B","0C3D4E5F",9', "OK"]
    # n=4/5: "+CEREG: <n>,<stat>[,[<tac>],[<ci>],[<AcT>][,[<cause_type>],[<reject_cause>]
    # [,[<Active-Time>],[<Periodic-TAU>]]]]": without PSM only the network's T3412.
    at.ok("AT+CEREG=4")
    assert at.lines("AT+CEREG?") == ['+CEREG: 4,1,"1A2B","0C3D4E5F",9,,,,"00101010"', "OK"]
    at.ok('AT+CPSMS=1,,,"01000111","00100100"')
    at.ok("AT+CEREG=5")
    assert at.lines("AT+CEREG?") == [
        '+CEREG: 5,1,"1A2B","0C3D4E5F",9,,,"00100100","01000111"',
        "OK",
    ]


def test_cereg_urcs_carry_the_reject_cause_and_the_registration_comes_back(sim: Sim) -> None:
    at, module = sim
    at.ok("AT+CEREG=3")
    module.drop_registration(stat=3, reject_cause=15)
    # §4.1 n=3: "+CEREG: <stat>[,[<tac>],[<ci>],[<AcT>][,<cause_type>,<reject_cause>]]".
    assert at.expect(r"^\+CEREG")[-1].text == '+CEREG: 3,"1A2B","0C3D4E5F",9,0,15'
    assert at.lines("AT+CEREG?") == ['+CEREG: 3,3,"1A2B","0C3D4E5F",9,0,15', "OK"]
    assert at.lines("AT+CGATT?") == ["+CGATT: 0", "OK"]
    module.regain_registration()
    assert [e.text for e in at.expect(r"^\+IP: ")] == [
        '+CEREG: 1,"1A2B","0C3D4E5F",9',
        "+IP: 127.0.0.1",
    ]
    at.ok("AT+CEREG=1")
    module.drop_registration(stat=4)
    assert at.expect(r"^\+CEREG")[-1].text == "+CEREG: 4"
    assert at.lines("AT+CSQ") == ["+CSQ: 99,99", "OK"]
    # §4.2 notes 2/3: GSM/UMTS fields 99/255; nothing measured when out of coverage.
    assert at.lines("AT+CESQ") == ["+CESQ: 99,99,255,255,255,255", "OK"]
    module.regain_registration()
    assert at.expect(r"^\+IP: ")[-1].text == "+IP: 127.0.0.1"


def test_signal_values_from_the_test_api(sim: Sim) -> None:
    at, module = sim
    # §4.7 example "+CSQ: 22,0"; §4.2 example "+CESQ: 99,99,255,255,25,61".
    assert at.lines("AT+CSQ=?") == ["+CSQ: (0-31,99),(0-7,99)", "OK"]
    assert at.lines("AT+CESQ=?") == [
        "+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)",
        "OK",
    ]
    module.set_signal(rsrp=-80, rsrq=-7, sinr=3, rssi=-69)
    # RSRP -80 dBm is index 61 (-81 <= rsrp < -80 is 60), RSRQ -7 dB is 26.
    assert at.lines("AT+CESQ") == ["+CESQ: 99,99,255,255,26,61", "OK"]
    assert at.lines("AT+CSQ") == ["+CSQ: 22,99", "OK"]
    # §4.8 example: +QENG: 0,3688,11,121,"05C4EF33",-72,-8,-64,14,8,"4C10",0,-128,3
    assert (
        at.lines("AT+QENG=0")[0] == '+QENG: 0,3688,11,121,"0C3D4E5F",-80,-7,-69,3,8,"1A2B",0,-128,3'
    )
    module.set_signal(csq=31)
    assert at.lines("AT+CSQ") == ["+CSQ: 31,99", "OK"]
    with pytest.raises(ValueError):
        module.set_signal(csq=40)


def test_cgatt_cgpaddr_and_cscon(sim: Sim) -> None:
    at, _ = sim
    # §4.3 examples: "AT+CGATT? / +CGATT: 1", "AT+CGATT=? / +CGATT: (0,1)".
    assert at.lines("AT+CGATT?") == ["+CGATT: 1", "OK"]
    assert at.lines("AT+CGATT=?") == ["+CGATT: (0,1)", "OK"]
    assert at.lines("AT+CGATT=1") == ["OK"]  # already attached: still OK
    # §4.4 examples: "AT+CGPADDR= 0 / +CGPADDR: 0,"100.68.114.220"", "AT+CGPADDR=? /
    # +CGPADDR: ( 0 )"; any <cid> answers, without an address when none is active.
    assert at.lines("AT+CGPADDR=0") == ['+CGPADDR: 0,"127.0.0.1"', "OK"]
    assert at.lines("AT+CGPADDR=?") == ["+CGPADDR: (0)", "OK"]
    assert at.lines("AT+CGPADDR=3") == ["+CGPADDR: 3", "OK"]
    # §4.6 examples: "AT+CSCON? / +CSCON: 0, 0", "AT+CSCON=? / +CSCON: (0,1)".
    assert at.lines("AT+CSCON?") == ["+CSCON: 0,0", "OK"]
    assert at.lines("AT+CSCON=?") == ["+CSCON: (0,1)", "OK"]
    at.ok("AT+CEREG=1")
    at.ok("AT+CGATT=0")
    assert at.expect(r"^\+CEREG")[-1].text == "+CEREG: 0"
    assert at.lines("AT+CGATT?") == ["+CGATT: 0", "OK"]
    assert at.lines("AT+CGPADDR=0") == ["+CGPADDR: 0", "OK"]
    at.ok("AT+CGATT=1")
    assert at.expect(r"^\+IP: ")[-1].text == "+IP: 127.0.0.1"


def test_qeng_modes(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT+QENG=?") == ["+QENG: (0-3)", "OK"]
    # §4.8 example: +QENG: 4,"REG","PSM","SELECTED","EHPLMN","0x460,0xf000" (PLMN 46000).
    assert at.lines("AT+QENG=3") == [
        '+QENG: 4,"REG","IDLE","SELECTED","HPLMN","0x001,0xf001"',
        "OK",
    ]
    assert re.fullmatch(r"\+QENG: 3,\d+,\d+,\d+", at.lines("AT+QENG=2")[0])
    assert at.lines("AT+QENG=1") == ["ERROR"]  # "not supported currently"


# --- chapter 5 and 7: PDN, operator ----------------------------------------------------


def test_cgdcont_and_qcgdefcont(sim: Sim) -> None:
    at, _ = sim
    # §5.4 examples: "+CGDCONT: (0- 10 ),("IP","IPV6","IPV4V6","Non-IP"),,,,,(0,1),(0-3),
    # (0-2),(0,1),(0,1),(0,1),(0,1),(0,1),(0,1),(0,1)"; "AT+CGDCONT=1,"IP","CMNET"" then
    # "+CGDCONT: 0 ,"IP","CMNBIOT","100.81.144.240" / +CGDCONT: 1,"IP","CMNET"".
    assert at.lines("AT+CGDCONT=?") == [
        '+CGDCONT: (0-10),("IP","IPV6","IPV4V6","Non-IP"),,,,,(0,1),(0-3),(0-2),(0,1),(0,1),'
        "(0,1),(0,1),(0,1),(0,1),(0,1)",
        "OK",
    ]
    assert at.lines('AT+CGDCONT=1,"IP","cmnet"') == ["OK"]
    assert at.lines("AT+CGDCONT?") == [
        '+CGDCONT: 0,"IP","NBIOT.QITERM","127.0.0.1"',
        '+CGDCONT: 1,"IP","CMNET"',  # note 1: APNs read in upper case
        "OK",
    ]
    assert at.lines('AT+CGDCONT=0,"IP","x"') == ["ERROR"]  # cid 0 is AT+QCGDEFCONT's
    assert at.lines("AT+CGDCONT=1") == ["OK"]  # undefines it
    assert at.lines("AT+CGDCONT?") == ['+CGDCONT: 0,"IP","NBIOT.QITERM","127.0.0.1"', "OK"]
    # §5.6 example: "+QCGDEFCONT: ("IP","IPV6","IPV4V6","Non-IP")"; the APN applies from
    # the next boot ("takes effect after the module is rebooted").
    assert at.lines("AT+QCGDEFCONT=?") == ['+QCGDEFCONT: ("IP","IPV6","IPV4V6","Non-IP")', "OK"]
    at.ok('AT+QCGDEFCONT="IP","sensor.net"')
    assert at.lines("AT+QCGDEFCONT?") == ['+QCGDEFCONT: "IP","sensor.net"', "OK"]
    assert at.lines('AT+QCGDEFCONT="IP","a","user"') == ["ERROR"]  # user without password
    at.write(b"AT+QRST=1\r")
    at.expect(r"^\+IP: ")
    assert at.lines("AT+CGDCONT?")[0] == '+CGDCONT: 0,"IP","SENSOR.NET","127.0.0.1"'


def test_cops(sim: Sim) -> None:
    at, _ = sim
    # §7.2 examples: "AT+COPS? / +COPS: 0,2,"46000", 9" and the test form
    # "+COPS: (2,"CHINA MOBILE","CMCC","46000",9),...,,(0-4),(0-2)".
    assert at.lines("AT+COPS?") == ['+COPS: 0,2,"00101",9', "OK"]
    assert at.lines("AT+COPS=?") == [
        '+COPS: (2,"Qiterm Simulated Network","QSIM","00101",9),,(0-4),(0-2)',
        "OK",
    ]
    at.ok("AT+COPS=3,1")
    assert at.lines("AT+COPS?") == ['+COPS: 0,1,"QSIM",9', "OK"]
    at.ok("AT+CEREG=1")
    at.ok("AT+COPS=2")
    assert at.expect(r"^\+CEREG")[-1].text == "+CEREG: 0"
    assert at.lines("AT+COPS?") == ["+COPS: 2", "OK"]
    assert at.lines('AT+COPS=1,2,"99999"') == ["ERROR"]
    at.ok('AT+COPS=1,2,"00101"')
    assert at.expect(r"^\+IP: ")[-1].text == "+IP: 127.0.0.1"
    assert at.lines("AT+COPS?") == ['+COPS: 1,2,"00101",9', "OK"]


# --- chapter 8: USIM -------------------------------------------------------------------


def test_cpin_with_a_pin(custom: Callable[..., Sim]) -> None:
    at, _ = custom(pin="4321")
    at.write(b"AT+QRST=1\r")
    assert [e.text for e in at.expect(r"\+CPIN")] == ["OK", "RDY", "+CPIN: SIM PIN"]
    # §8.6: "+CPIN: <code>", READY / SIM PIN / SIM PUK.
    assert at.lines("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
    assert at.lines("AT+CIMI") == ["ERROR"]
    at.ok("AT+CMEE=1")
    assert at.lines('AT+CPIN="1111"') == ["+CME ERROR: 16"]  # Table 5: Incorrect password
    assert at.lines('AT+CPIN="4321"') == ["OK"]
    assert [e.text for e in at.expect(r"^\+IP: ")] == ["+CPIN: READY", "+IP: 127.0.0.1"]
    assert at.lines("AT+CPIN?") == ["+CPIN: READY", "OK"]


# --- chapter 9: power consumption --------------------------------------------------------


def test_cfun(sim: Sim) -> None:
    at, _ = sim
    # §9.3 example: "AT+CFUN=? / +CFUN: (0,1,4,),(0,1)" (printed as the manual has it).
    assert at.lines("AT+CFUN=?") == ["+CFUN: (0,1,4,),(0,1)", "OK"]
    at.ok("AT+CEREG=1")
    at.ok("AT+CFUN=4")
    assert at.expect(r"^\+CEREG")[-1].text == "+CEREG: 0"
    assert at.lines("AT+CFUN?") == ["+CFUN: 4", "OK"]
    # §9.3 example: "AT+CFUN=0, 1 / OK / RDY / AT+CFUN? / +CFUN: 0".
    at.write(b"AT+CFUN=0,1\r")
    assert [e.text for e in at.expect(r"^\+CPIN")] == ["OK", "RDY", "+CPIN: READY"]
    assert at.lines("AT+CFUN?") == ["+CFUN: 0", "OK"]
    at.ok("AT+CFUN=1")
    assert at.expect(r"^\+IP: ")[-1].text == "+IP: 127.0.0.1"


def test_cpsms_cedrxs_cedrxrdp_qnbiotevent_qsclk(sim: Sim) -> None:
    at, _ = sim
    # §9.4 examples: "AT+CPSMS=1,,," 01000011 "," 01000011 "" then "AT+CPSMS? /
    # +CPSMS: 1,,,"01000011","01000011"", and the test form with the bit ranges.
    assert at.lines("AT+CPSMS=?") == [
        '+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")',
        "OK",
    ]
    at.ok('AT+CPSMS=1,,,"01000011","01000011"')
    assert at.lines("AT+CPSMS?") == ['+CPSMS: 1,,,"01000011","01000011"', "OK"]
    assert at.lines('AT+CPSMS=1,"x",,"01000011"') == ["ERROR"]
    assert at.lines('AT+CPSMS=1,,,"0100001"') == ["ERROR"]  # not 8 bits
    at.ok("AT+CPSMS=2")
    assert at.lines("AT+CPSMS?")[0].startswith("+CPSMS: 0,,,")
    # §9.1 examples: "AT+CEDRXS? / +CEDRXS: 5,"0011"", "+CEDRXS: (0-3),(5),("0000"-"1111")".
    assert at.lines("AT+CEDRXS?") == ['+CEDRXS: 5,"0011"', "OK"]
    assert at.lines("AT+CEDRXS=?") == ['+CEDRXS: (0-3),(5),("0000"-"1111")', "OK"]
    # §9.2: "+CEDRXRDP: 0" when the cell does not use eDRX for the module.
    assert at.lines("AT+CEDRXRDP") == ["+CEDRXRDP: 0", "OK"]
    assert at.lines("AT+CEDRXRDP=?") == ["OK"]
    at.write(b'AT+CEDRXS=2,5,"0101"\r')
    # mode 2: "+CEDRXP: <AcT_type>[,<requested_eDRX_value>[,<NW_provided_eDRX_value>
    # [,<paging_time_window>]]]" when the network provides the values.
    assert [e.text for e in at.expect(r"^\+CEDRXP")] == ["OK", '+CEDRXP: 5,"0101","0101","0011"']
    # §9.2 example: +CEDRXRDP: 5,"0011","0011","0011".
    assert at.lines("AT+CEDRXRDP") == ['+CEDRXRDP: 5,"0101","0101","0011"', "OK"]
    at.ok("AT+CEDRXS=3")
    assert at.lines("AT+CEDRXS?") == ['+CEDRXS: 5,"0011"', "OK"]
    # §9.8 example: "AT+QNBIOTEVENT? / +QNBIOTEVENT: 1,1".
    at.ok("AT+QNBIOTEVENT=1,1")
    assert at.lines("AT+QNBIOTEVENT?") == ["+QNBIOTEVENT: 1,1", "OK"]
    assert at.lines("AT+QNBIOTEVENT=1,2") == ["ERROR"]
    # §9.10: "+QSCLK: (range of supported <n>s)"; example "AT+QSCLK= 0 / OK".
    assert at.lines("AT+QSCLK=?") == ["+QSCLK: (0-2)", "OK"]
    assert at.lines("AT+QSCLK= 0") == ["OK"]
    assert at.lines("AT+QSCLK?") == ["+QSCLK: 0", "OK"]


def test_qcfg_dsevent_and_slplocktimes(sim: Sim) -> None:
    at, _ = sim
    # §11.1.6: AT+QCFG="dsevent"[,<value>] -> +QCFG: "dsevent",<value>; §11.1.5 default 10.
    assert at.lines('AT+QCFG="dsevent"') == ['+QCFG: "dsevent",0', "OK"]
    at.ok('AT+QCFG="dsevent",1')
    assert at.lines('AT+QCFG="dsevent"') == ['+QCFG: "dsevent",1', "OK"]
    assert at.lines('AT+QCFG="slplocktimes"') == ['+QCFG: "slplocktimes",10', "OK"]
    assert at.lines('AT+QCFG="slplocktimes",31') == ["ERROR"]
    assert at.lines("AT+QCFG?") == ['+QCFG: "dsevent",1', '+QCFG: "slplocktimes",10', "OK"]
    assert at.lines("AT+QCFG=?") == ['+QCFG: "dsevent",(0,1)', '+QCFG: "slplocktimes",(0-30)', "OK"]


def test_sleep_loses_the_command_that_wakes_the_uart(custom: Callable[..., Sim]) -> None:
    # AT manual §9.10 note 1: "UART does not work during the light sleep mode. Therefore,
    # when AT+QSCLK=1 or AT+QSCLK=2, send AT before each command to make sure the UART is
    # woken up." Real A05 modules swallow that first AT: "the first AT is consumed by the
    # deep-sleep wake" (cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md).
    at, module = custom(sleep_after="0.1")
    at.ok("AT+QSCLK=2")
    wait_for(lambda: module.power_state()["asleep"])
    at.write(b"AT+CGMM\r")  # lost: it wakes the UART
    assert at.lines("AT+CSQ") == ["+CSQ: 24,99", "OK"]
    wait_for(lambda: module.power_state()["asleep"])
    at.write(b"AT\r\nAT+CGMR\r\n")  # the same with CR LF terminators
    assert at.expect("^OK$")[0].text == "Revision: BC660KGLAAR01A05"
    at.ok("AT+QSCLK=0")
    assert not module.power_state()["asleep"]


def test_psm_events_deep_sleep_and_held_urcs(custom: Callable[..., Sim], peers: Peers) -> None:
    at, module = custom(psm_after="0.1", rrc_idle="0.1")
    assert peers.udp_echo is not None
    # §9.8: +QNBIOTEVENT: "ENTER PSM" / "EXIT PSM"; §11.1.6 "dsevent": the deep sleep URC.
    for line in ("AT+CSCON=1", "AT+QNBIOTEVENT=1,1", 'AT+QCFG="dsevent",1', "AT+QSCLK=1"):
        at.ok(line)
    at.ok('AT+CPSMS=1,,,"00111000","00000001"')
    host, port = peers.udp_echo
    at.ok(f'AT+QIOPEN=0,0,"UDP","{host}",{port},0,1')
    events = [e.text for e in at.expect(r'"ENTER DEEPSLEEP"')]
    assert events == [
        "+CSCON: 1",
        "+QIOPEN: 0,0",
        "+CSCON: 0",
        '+QNBIOTEVENT: "ENTER PSM"',
        '+QNBIOTEVENT: "ENTER DEEPSLEEP"',
    ]
    assert module.power_state()["deep_sleep"]
    at.write(b"AT\r")  # lost; the UART wakes from deep sleep
    assert at.expect(r"EXIT DEEPSLEEP")[-1].text == '+QNBIOTEVENT: "EXIT DEEPSLEEP"'
    assert at.lines("AT+QENG=3") == ['+QENG: 4,"REG","PSM","SELECTED","HPLMN","0x001,0xf001"', "OK"]
    at.write(b'AT+QISEND=0,4,"ping"\r')  # uplink data ends PSM
    got = [e.text for e in at.expect(r'"recv"')]
    # +CSCON: 1 follows SEND OK, as in a real BC660K capture (renode/renode issue #917).
    assert got[:4] == ['+QNBIOTEVENT: "EXIT PSM"', "OK", "SEND OK", "+CSCON: 1"]
    assert got[-1] == '+QIURC: "recv",0,4,"ping"'
    at.ok("AT+CPSMS=0")
    at.ok("AT+QICLOSE=0")


# --- chapter 12: time --------------------------------------------------------------------


def test_cclk_and_ctzr(custom: Callable[..., Sim]) -> None:
    at, module = custom(tz="8")
    # §12.1 examples: "+CCLK: 20/11/03,06:25:06+32" and AT+CCLK="20/02/27,01:30:48+23".
    assert re.fullmatch(r"\+CCLK: \d\d/\d\d/\d\d,\d\d:\d\d:\d\d\+08", at.lines("AT+CCLK?")[0])
    assert at.lines('AT+CCLK="20/02/27,01:30:48+23"') == ["OK"]
    assert at.lines("AT+CCLK?")[0].startswith("+CCLK: 20/02/27,01:30:")
    assert at.lines('AT+CCLK="20/13/27,01:30:48+23"') == ["ERROR"]
    # §12.2 examples: "AT+CTZR=? / +CTZR: (0- 3 )", "AT+CTZR= 1 / OK / AT+CTZR? / +CTZR: 1".
    assert at.lines("AT+CTZR=?") == ["+CTZR: (0-3)", "OK"]
    at.ok("AT+CTZR=3")
    assert at.lines("AT+CTZR?") == ["+CTZR: 3", "OK"]
    at.write(b"AT+QRST=1\r")
    lines = [e.text for e in at.expect(r"^\+IP: ")]
    # A05 on a live network: +CTZEU: "+8",1,"2026/10/02,23:50:20" (quoted, not padded;
    # cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md, stage 3 notes).
    ctzeu = next(x for x in lines if x.startswith("+CTZEU"))
    assert re.fullmatch(r'\+CTZEU: "\+8",0,"\d{4}/\d\d/\d\d,\d\d:\d\d:\d\d"', ctzeu)
    assert module.config.tz == 8


# --- the command line (AT manual §1.2, V.250) ----------------------------------------------


def test_several_commands_on_one_line_and_case(sim: Sim) -> None:
    at, _ = sim
    # §1.2: "Multiple commands can be placed on a single line using a semi-colon (;) between
    # commands. In such cases, only the first command should have AT prefix. Commands can be
    # in upper or lower case." One final result code for the line (§1.3).
    assert at.lines("AT+CGATT?;+CEREG?") == ["+CGATT: 1", "+CEREG: 0,1", "OK"]
    assert at.lines("at+cgatt?;+csq;+cgmm") == [
        "+CGATT: 1",
        "+CSQ: 24,99",
        "Quectel_BC660K-GL",
        "OK",
    ]
    assert at.lines("ATE0;+CMEE=2") == ["OK"]
    # The first failing command ends the line with its error; the rest does not run.
    assert at.lines("AT+CGATT?;+CEREG=9;+CMEE=0") == [
        "+CGATT: 1",
        "+CME ERROR: Incorrect Parameters",
    ]
    assert at.lines("AT+CMEE?") == ["+CMEE: 2", "OK"]
    # Spaces are ignored around parameters (§1.2; the manual's own "AT+CGPADDR= 0").
    assert at.lines("AT+CGPADDR= 0") == ['+CGPADDR: 0,"127.0.0.1"', "OK"]


def test_a_slash_repeats_the_last_command_line(sim: Sim) -> None:
    at, _ = sim
    assert at.lines("AT+CGATT?;+CSQ") == ["+CGATT: 1", "+CSQ: 24,99", "OK"]
    # V.250 §5.2.4: "A/" re-executes the last command line, without a CR.
    at.write(b"A/")
    assert [e.text for e in at.expect("^OK$")] == ["+CGATT: 1", "+CSQ: 24,99", "OK"]
    at.write(b"a/")
    assert [e.text for e in at.expect("^OK$")] == ["+CGATT: 1", "+CSQ: 24,99", "OK"]


def test_crlf_terminated_qisend_takes_exactly_its_bytes(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    assert peers.udp_echo is not None
    host, port = peers.udp_echo
    at.ok(f'AT+QIOPEN=0,0,"UDP","{host}",{port}')
    at.expect(r"\+QIOPEN: 0,0")
    # AT manual §1.2: "A newline character is ignored so it is permissible to use carriage
    # return/line feed pairs on the input" -- the LF after the CR is not payload.
    at.write(b"AT+QISEND=0,4\r\n")
    at.events_until(lambda evs: evs[-1].text.startswith(">"))
    at.write(b"abcd")
    assert at.expect("SEND OK")[-1].text == "SEND OK"
    assert at.expect(r'"recv"')[-1].text == '+QIURC: "recv",0,4,"abcd"'
    assert at.lines("AT") == ["OK"]  # nothing was left over for the next command line


def test_qiopen_takes_access_mode_0_as_direct_push(sim: Sim, peers: Peers) -> None:
    at, _ = sim
    assert peers.udp_echo is not None
    host, port = peers.udp_echo
    # Spec §1.2: "the value of <access_mode>, specified or not, is always 1 (the direct
    # push mode)".
    assert at.lines(f'AT+QIOPEN=0,1,"UDP","{host}",{port},0,0') == ["OK"]
    at.expect(r"\+QIOPEN: 1,0")
    assert at.lines("AT+QISTATE=1,1")[0].endswith(",2,0,1")
    at.ok('AT+QISEND=1,2,"hi"')
    assert at.expect(r'"recv"')[-1].text == '+QIURC: "recv",1,2,"hi"'
    assert at.lines(f'AT+QIOPEN=0,2,"UDP","{host}",{port},0,2') == ["ERROR"]
    at.ok("AT+QICLOSE=1")


# --- URCs at every boundary --------------------------------------------------------------


def test_urc_boundaries_places_urcs_before_and_after_responses(custom: Callable[..., Sim]) -> None:
    # A real A05 capture glues +CSCON: 1 right after SEND OK (renode/renode issue #917,
    # "Quectel BC660K modem does not replicate real hardware after reboot").
    at, module = custom(urc_boundaries="1", seed="7")
    at.ok("AT+CEREG=1")
    seen_before = seen_after = False
    for _ in range(60):
        module.drop_registration()
        module.regain_registration()
        at.write(b"AT+CSQ\r")
        at.expect(r"^\+CSQ: ")
        at.expect(r"^\+IP: ")
        raw = bytes(at.received)
        seen_before = seen_before or b"\r\n+IP: 127.0.0.1\r\n\r\n+CSQ:" in raw
        seen_after = seen_after or b"OK\r\n\r\n+CEREG" in raw or b"OK\r\n\r\n+IP" in raw
        if seen_before and seen_after:
            break
    assert seen_before and seen_after
    assert at.lines("AT+CEREG?")[-1] == "OK"
