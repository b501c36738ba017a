"""The general commands hosts send before any socket (identity, SIM and power,
registration, signal, PDP contexts, power saving, clock, errors), as the
BC660K-GL&BC950K-GL AT Commands Manual V1.4 describes them (section numbers are
the manual's; ``AT`` itself is V.250's)."""

from __future__ import annotations

from collections.abc import Mapping

from app.protocol.params import (
    CommandSpec,
    FormSpec,
    Param,
    ParamError,
    ParamKind,
    StrFormat,
    Value,
    _choice,
    _int,
    _str,
)
from app.protocol.syntax import Form

#: AT manual §3.2 example: +IPR: (2400,4800,9600,19200,38400,57600,115200,230400,460800).
IPR_RATES = (2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800)
PDP_TYPES = ("IP", "IPV6", "IPV4V6", "Non-IP")
PDP_TYPE = _str("PDP_type", "Packet data protocol type.", choices=PDP_TYPES, fmt=StrFormat.KEYWORD)
APN = _str(
    "APN",
    "Access point name (99 bytes; empty asks the subscription's).",
    max_bytes=99,
    allow_empty=True,
)


def _qcgdefcont_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # AT manual §5.6: AT+QCGDEFCONT=<PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]
    user, password = v.get("user_name"), v.get("password")
    if (user is None) != (password is None):
        missing = "password" if password is None else "user_name"
        raise ParamError(missing, "(missing)", "text", "give the user name and password together")


def _cops_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # AT manual §7.2: <oper> "shall be present" in manual mode (1, 4).
    if v.get("mode") in (1, 4) and v.get("oper") is None:
        raise ParamError("oper", "(missing)", "an operator", "required in manual mode")


GENERAL: tuple[CommandSpec, ...] = (
    # ---- general commands: BC660K-GL&BC950K-GL AT Commands Manual V1.4 ------------
    # (chapter numbers are the manual's; "AT" itself is V.250's)
    CommandSpec(
        "",
        "Attention",
        "V.250",
        "Check that the module answers.",
        (FormSpec(Form.EXECUTE, "AT", "Answers OK.", key="at"),),
    ),
    CommandSpec(
        "E",
        "Set Command Echo Mode",
        "AT manual 3.1",
        "ATE0 turns command echo off, ATE1 on (saved to NVRAM).",
        (
            FormSpec(
                Form.EXECUTE,
                "ATE<value>",
                "Echo off (0) or on (1).",
                params=(_choice("value", (0, 1), "0 echo off, 1 echo on.", default=1),),
                key="ate",
            ),
        ),
    ),
    CommandSpec(
        "I",
        "Display Product Identification Information",
        "AT manual 2.1",
        "Manufacturer, model and firmware revision.",
        (
            FormSpec(
                Form.EXECUTE,
                "ATI",
                "Identify the module.",
                "Quectel_Ltd / <objectID> / Revision: <revision>",
                key="ati",
            ),
        ),
    ),
    CommandSpec(
        "+CGMI",
        "Request Manufacturer Identification",
        "AT manual 2.2",
        "Manufacturer information.",
        (
            FormSpec(Form.TEST, "AT+CGMI=?", "Answers OK.", key="cgmi.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CGMI",
                "Show the manufacturer.",
                "Quectel_Ltd / <objectID> / Revision: QCX",
                key="cgmi",
            ),
        ),
    ),
    CommandSpec(
        "+CGMM",
        "Request Model Identification",
        "AT manual 2.3",
        "Model of the product.",
        (
            FormSpec(Form.TEST, "AT+CGMM=?", "Answers OK.", key="cgmm.test"),
            FormSpec(Form.EXECUTE, "AT+CGMM", "Show the model.", "<objectID>", key="cgmm"),
        ),
    ),
    CommandSpec(
        "+CGMR",
        "Request Manufacturer Revision",
        "AT manual 2.4",
        "Firmware revision.",
        (
            FormSpec(Form.TEST, "AT+CGMR=?", "Answers OK.", key="cgmr.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CGMR",
                "Show the firmware revision.",
                "Revision: <revision>",
                key="cgmr",
            ),
        ),
    ),
    CommandSpec(
        "+CGSN",
        "Request Product Serial Number",
        "AT manual 2.5",
        "Serial number, IMEI, IMEISV or SVN.",
        (
            FormSpec(Form.TEST, "AT+CGSN=?", "List the <snt>s.", "+CGSN: (0-3)", key="cgsn.test"),
            FormSpec(Form.EXECUTE, "AT+CGSN", "Show the serial number.", "<SN>", key="cgsn.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGSN=<snt>",
                "0 <SN>, 1 +CGSN: <IMEI>, 2 +CGSN: <IMEISV>, 3 +CGSN: <SVN>.",
                params=(_int("snt", 0, 3, "0 SN, 1 IMEI, 2 IMEISV, 3 SVN."),),
                required=1,
                key="cgsn.write",
            ),
        ),
    ),
    CommandSpec(
        "+IPR",
        "Set TE-TA Local Rate",
        "AT manual 3.2",
        "UART baud rate (saved to NVRAM).",
        (
            FormSpec(Form.TEST, "AT+IPR=?", "List the rates.", key="ipr.test"),
            FormSpec(Form.READ, "AT+IPR?", "Show the rate.", "+IPR: <rate>", key="ipr.read"),
            FormSpec(
                Form.WRITE,
                "AT+IPR=<rate>",
                "Set the rate.",
                params=(_choice("rate", IPR_RATES, "Baud rate in bps."),),
                required=1,
                key="ipr.write",
            ),
        ),
    ),
    CommandSpec(
        "+CEREG",
        "EPS Network Registration Status",
        "AT manual 4.1",
        "Registration status (1 home, 5 roaming); <n> sets the URC (4/5 add the PSM timers).",
        (
            FormSpec(
                Form.TEST, "AT+CEREG=?", "List the URC modes.", "+CEREG: (0-5)", key="cereg.test"
            ),
            FormSpec(
                Form.READ,
                "AT+CEREG?",
                "Show the registration status.",
                "+CEREG: <n>,<stat>[,[<tac>],[<ci>],[<AcT>][,...]]",
                key="cereg.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CEREG=<n>",
                "Set the registration URC mode.",
                params=(
                    _int(
                        "n",
                        0,
                        5,
                        "0 off, 1 <stat>, 2 + location, 3 + cause, 4 + PSM timers, 5 all.",
                    ),
                ),
                required=1,
                key="cereg.write",
            ),
        ),
    ),
    CommandSpec(
        "+CESQ",
        "Extended Signal Quality",
        "AT manual 4.2",
        "RSRQ and RSRP indexes (the GSM/UMTS fields are 99/255 on NB-IoT).",
        (
            FormSpec(Form.TEST, "AT+CESQ=?", "List the ranges.", key="cesq.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CESQ",
                "Show the signal quality.",
                "+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>",
                key="cesq",
            ),
        ),
    ),
    CommandSpec(
        "+CGATT",
        "PS Attach or Detach",
        "AT manual 4.3",
        "Packet domain attach state.",
        (
            FormSpec(
                Form.TEST, "AT+CGATT=?", "List the states.", "+CGATT: (0,1)", key="cgatt.test"
            ),
            FormSpec(
                Form.READ, "AT+CGATT?", "Show the state.", "+CGATT: <state>", key="cgatt.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CGATT=<state>",
                "Attach (1) or detach (0).",
                params=(_choice("state", (0, 1), "0 detached, 1 attached."),),
                required=1,
                key="cgatt.write",
            ),
        ),
        max_response_time=70.0,
    ),
    CommandSpec(
        "+CGPADDR",
        "Show PDP Addresses",
        "AT manual 4.4",
        "IP address of each PDP context.",
        (
            FormSpec(Form.TEST, "AT+CGPADDR=?", "List the defined <cid>s.", key="cgpaddr.test"),
            FormSpec(Form.READ, "AT+CGPADDR?", "Show every address.", key="cgpaddr.read"),
            FormSpec(Form.EXECUTE, "AT+CGPADDR", "Show every address.", key="cgpaddr.exec"),
            FormSpec(
                Form.WRITE,
                "AT+CGPADDR=<cid>",
                "Show the address of one context.",
                "+CGPADDR: <cid>[,<PDP_addr_1>[,<PDP_addr_2>]]",
                params=(_int("cid", 0, 10, "Context identifier."),),
                required=1,
                key="cgpaddr.write",
            ),
        ),
    ),
    CommandSpec(
        "+CSCON",
        "Signaling Connection Status",
        "AT manual 4.6",
        "Idle (0) or connected (1); <n>=1 reports changes as +CSCON: <mode>.",
        (
            FormSpec(
                Form.TEST, "AT+CSCON=?", "List the URC modes.", "+CSCON: (0,1)", key="cscon.test"
            ),
            FormSpec(
                Form.READ,
                "AT+CSCON?",
                "Show the connection.",
                "+CSCON: <n>,<mode>",
                key="cscon.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CSCON=<n>",
                "Enable (1) or disable (0) the URC.",
                params=(_choice("n", (0, 1), "1: report +CSCON: <mode>."),),
                required=1,
                key="cscon.write",
            ),
        ),
    ),
    CommandSpec(
        "+CSQ",
        "Signal Quality Report",
        "AT manual 4.7",
        "RSSI index and BER.",
        (
            FormSpec(Form.TEST, "AT+CSQ=?", "List the ranges.", key="csq.test"),
            FormSpec(
                Form.EXECUTE, "AT+CSQ", "Show the signal quality.", "+CSQ: <rssi>,<ber>", key="csq"
            ),
        ),
    ),
    CommandSpec(
        "+QENG",
        "Engineering Mode",
        "AT manual 4.8",
        "Serving cell radio information (0), Tx/Rx time (2), PLMN state (3).",
        (
            FormSpec(Form.TEST, "AT+QENG=?", "List the modes.", "+QENG: (0-3)", key="qeng.test"),
            FormSpec(
                Form.WRITE,
                "AT+QENG=<mode>[,<accuracy>]",
                "Query engineering information.",
                "+QENG: 0,<sc_EARFCN>,<sc_EARFCN_offset>,<sc_pci>,<sc_cellID>,<sc_RSRP>,"
                "<sc_RSRQ>,<sc_RSSI>,<sc_SINR>,<sc_band>,<sc_TAC>,<sc_ECL>,<sc_Tx_pwr>,"
                "<operation_mode>",
                params=(
                    _int("mode", 0, 3, "0 radio, 1 data transfer (unsupported), 2 time, 3 PLMN."),
                    _int("accuracy", 0, 255, "0: <Rx_time>/<Tx_time> in ms (mode 2 only)."),
                ),
                required=1,
                key="qeng.write",
            ),
        ),
        max_response_time=15.0,
    ),
    CommandSpec(
        "+CGDCONT",
        "Define PDP Context",
        "AT manual 5.4",
        "PDP contexts 1-10 (cid 0 is the initial one, set with AT+QCGDEFCONT).",
        (
            FormSpec(Form.TEST, "AT+CGDCONT=?", "List the ranges.", key="cgdcont.test"),
            FormSpec(
                Form.READ,
                "AT+CGDCONT?",
                "Show the defined contexts.",
                "+CGDCONT: <cid>,<PDP_type>,<APN>[,<PDP_addr>] ...",
                key="cgdcont.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CGDCONT=<cid>[,<PDP_type>[,<APN>[,<PDP_addr>[,<d_comp>[,<h_comp>"
                "[,<IPv4_addr_alloc>[,<request_type>[,<P-CSCF_discovery>"
                "[,<IM_CN_signaling_flag_ind>[,<NSLPI>[,<securePCO>[,<IPv4_MTU_discovery>"
                "[,<local_addr_ind>[,<Non-IP_MTU_discovery>]]]]]]]]]]]]]]",
                "Define a context (AT+CGDCONT=<cid> alone undefines it).",
                params=(
                    _int("cid", 1, 10, "Context identifier (0 is set with AT+QCGDEFCONT)."),
                    PDP_TYPE,
                    APN,
                    _str("PDP_addr", "Omitted for EPS.", max_bytes=64, allow_empty=True),
                    _int("d_comp", 0, 3, "PDP data compression."),
                    _int("h_comp", 0, 4, "PDP header compression."),
                    _int("IPv4_addr_alloc", 0, 1, "0 through NAS signaling, 1 DHCP."),
                    _int("request_type", 0, 3, "Kind of PDP context activation request."),
                    _int("P-CSCF_discovery", 0, 2, "How the P-CSCF address is found."),
                    _int("IM_CN_signaling_flag_ind", 0, 1, "IM CN signalling only."),
                    _int("NSLPI", 0, 1, "NAS signalling low priority."),
                    _int("securePCO", 0, 1, "Security protected PCO."),
                    _int("IPv4_MTU_discovery", 0, 1, "IPv4 MTU through NAS signalling."),
                    _int("local_addr_ind", 0, 1, "Local IP address in TFTs."),
                    _int("Non-IP_MTU_discovery", 0, 1, "Non-IP MTU through NAS signalling."),
                ),
                required=1,
                key="cgdcont.write",
            ),
        ),
    ),
    CommandSpec(
        "+QCGDEFCONT",
        "Set Default PSD Connection Settings",
        "AT manual 5.6",
        "The initial PDP context (cid 0): type and APN, used from the next boot.",
        (
            FormSpec(Form.TEST, "AT+QCGDEFCONT=?", "List the PDP types.", key="qcgdefcont.test"),
            FormSpec(
                Form.READ,
                "AT+QCGDEFCONT?",
                "Show the settings.",
                "+QCGDEFCONT: <PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]",
                key="qcgdefcont.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QCGDEFCONT=<PDP_type>[,<APN>[,<user_name>,<password>[,<auth_type>]]]",
                "Set the initial PDP context (takes effect after a reboot).",
                params=(
                    PDP_TYPE,
                    APN,
                    _str("user_name", "User name (19 bytes).", max_bytes=19, allow_empty=True),
                    _str("password", "Password (19 bytes).", max_bytes=19, allow_empty=True),
                    _int("auth_type", 0, 2, "0 none, 1 PAP, 2 CHAP (not supported)."),
                ),
                required=1,
                key="qcgdefcont.write",
            ),
        ),
        cross_check=_qcgdefcont_cross,
    ),
    CommandSpec(
        "+COPS",
        "Operator Selection",
        "AT manual 7.2",
        "Network operator: automatic (0), manual (1), deregister (2).",
        (
            FormSpec(Form.TEST, "AT+COPS=?", "List the operators present.", key="cops.test"),
            FormSpec(
                Form.READ,
                "AT+COPS?",
                "Show the mode and the selected operator.",
                "+COPS: <mode>[,<format>,<oper>][,<AcT>]",
                key="cops.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+COPS=<mode>[,<format>[,<oper>[,<AcT>]]]",
                "Select the operator, or deregister.",
                params=(
                    _int(
                        "mode", 0, 4, "0 auto, 1 manual, 2 deregister, 3 set format, 4 manual/auto."
                    ),
                    _int("format", 0, 2, "0 long name, 1 short name, 2 numeric."),
                    _str("oper", "Operator in <format>.", max_bytes=32),
                    _choice("AcT", (9,), "9: E-UTRAN (NB-S1 mode)."),
                ),
                required=1,
                key="cops.write",
            ),
        ),
        max_response_time=305.0,
        cross_check=_cops_cross,
    ),
    CommandSpec(
        "+CIMI",
        "Request International Mobile Subscriber Identity",
        "AT manual 8.4",
        "The IMSI.",
        (
            FormSpec(Form.TEST, "AT+CIMI=?", "Answers OK.", key="cimi.test"),
            FormSpec(Form.EXECUTE, "AT+CIMI", "Show the IMSI.", "<IMSI>", key="cimi"),
        ),
    ),
    CommandSpec(
        "+CPIN",
        "Enter PIN",
        "AT manual 8.6",
        "SIM state; READY when no PIN is needed.",
        (
            FormSpec(Form.TEST, "AT+CPIN=?", "Answers OK.", key="cpin.test"),
            FormSpec(
                Form.READ, "AT+CPIN?", "Show the SIM state.", "+CPIN: <code>", key="cpin.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CPIN=<pin>[,<newpin>]",
                "Enter the PIN (or the PUK and a new PIN).",
                params=(
                    _str("pin", "Password.", max_bytes=8),
                    _str("newpin", "New PIN after a PUK.", max_bytes=8),
                ),
                required=1,
                key="cpin.write",
            ),
        ),
    ),
    CommandSpec(
        "+QCCID",
        "USIM Card Identification",
        "AT manual 8.11",
        "The ICCID of the USIM.",
        (FormSpec(Form.EXECUTE, "AT+QCCID", "Show the ICCID.", "+QCCID: <ICCID>", key="qccid"),),
    ),
    CommandSpec(
        "+CEDRXS",
        "eDRX Setting",
        "AT manual 9.1",
        "Enable eDRX and request a cycle (mode 2 also reports +CEDRXP).",
        (
            FormSpec(Form.TEST, "AT+CEDRXS=?", "List the ranges.", key="cedrxs.test"),
            FormSpec(
                Form.READ,
                "AT+CEDRXS?",
                "Show the requested value.",
                "+CEDRXS: <AcT_type>,<requested_eDRX_value>",
                key="cedrxs.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CEDRXS=<mode>[,<AcT_type>[,<requested_eDRX_value>]]",
                "0 off, 1 on, 2 on with +CEDRXP, 3 off and reset.",
                params=(
                    _int("mode", 0, 3, "0 disable, 1 enable, 2 enable + URC, 3 disable + reset."),
                    _choice("AcT_type", (5,), "5: E-UTRAN (NB-S1 mode)."),
                    _str("requested_eDRX_value", "eDRX cycle, 4 bits.", bits=4),
                ),
                required=1,
                key="cedrxs.write",
            ),
        ),
    ),
    CommandSpec(
        "+CEDRXRDP",
        "eDRX Read Dynamic Parameters",
        "AT manual 9.2",
        "The eDRX values the cell uses (0 when eDRX is not used).",
        (
            FormSpec(Form.TEST, "AT+CEDRXRDP=?", "Answers OK.", key="cedrxrdp.test"),
            FormSpec(
                Form.EXECUTE,
                "AT+CEDRXRDP",
                "Show the eDRX parameters in use.",
                "+CEDRXRDP: <AcT_type>[,<requested_eDRX_value>[,<NW_provided_eDRX_value>"
                "[,<paging_time_window>]]]",
                key="cedrxrdp",
            ),
        ),
    ),
    CommandSpec(
        "+CFUN",
        "Set UE Functionality",
        "AT manual 9.3",
        "0 minimum functionality, 1 full, 4 RF off; <rst>=1 resets.",
        (
            FormSpec(Form.TEST, "AT+CFUN=?", "List the levels.", key="cfun.test"),
            FormSpec(Form.READ, "AT+CFUN?", "Show the level.", "+CFUN: <fun>", key="cfun.read"),
            FormSpec(
                Form.WRITE,
                "AT+CFUN=<fun>[,<rst>]",
                "Set the functionality level.",
                params=(
                    _choice("fun", (0, 1, 4), "0 minimum, 1 full, 4 RF off."),
                    _choice("rst", (0, 1), "1: reset the UE."),
                ),
                required=1,
                key="cfun.write",
            ),
        ),
        max_response_time=25.0,
    ),
    CommandSpec(
        "+CPSMS",
        "Power Saving Mode Setting",
        "AT manual 9.4",
        "Enable PSM and request the periodic TAU (T3412) and active time (T3324).",
        (
            FormSpec(Form.TEST, "AT+CPSMS=?", "List the ranges.", key="cpsms.test"),
            FormSpec(
                Form.READ,
                "AT+CPSMS?",
                "Show the requested values.",
                "+CPSMS: <mode>,,,<requested_periodic_TAU>,<requested_active_time>",
                key="cpsms.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+CPSMS=<mode>[,,,<requested_periodic_TAU>[,<requested_active_time>]]",
                "0 off, 1 on, 2 off and reset.",
                params=(
                    _int("mode", 0, 2, "0 disable, 1 enable, 2 disable and reset."),
                    Param(
                        "Requested_Periodic-RAU",
                        ParamKind.STRING,
                        "Not used (leave empty).",
                        omitted_only=True,
                    ),
                    Param(
                        "Requested_GPRS-READY-timer",
                        ParamKind.STRING,
                        "Not used (leave empty).",
                        omitted_only=True,
                    ),
                    _str(
                        "requested_periodic_TAU",
                        'T3412 as GPRS Timer 3, 8 bits ("01000111" is 70 hours).',
                        bits=8,
                    ),
                    _str(
                        "requested_active_time",
                        'T3324 as GPRS Timer 2, 8 bits ("00100100" is 4 minutes).',
                        bits=8,
                    ),
                ),
                required=1,
                key="cpsms.write",
            ),
        ),
    ),
    CommandSpec(
        "+QNBIOTEVENT",
        "Enable/Disable NB-IoT Related Event Report",
        "AT manual 9.8",
        'Report PSM events as +QNBIOTEVENT: "ENTER PSM" / "EXIT PSM".',
        (
            FormSpec(Form.TEST, "AT+QNBIOTEVENT=?", "Answers OK.", key="qnbiotevent.test"),
            FormSpec(
                Form.READ,
                "AT+QNBIOTEVENT?",
                "Show the setting.",
                "+QNBIOTEVENT: <enable>,<event>",
                key="qnbiotevent.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QNBIOTEVENT=<enable>,<event>",
                "Enable (1) or disable (0) the report of <event> 1 (PSM state).",
                params=(
                    _choice("enable", (0, 1), "1: report the event."),
                    _choice("event", (1,), "1: PSM state."),
                ),
                required=2,
                key="qnbiotevent.write",
            ),
        ),
    ),
    CommandSpec(
        "+QSCLK",
        "Configure Sleep Mode",
        "AT manual 9.10",
        "0 no sleep, 1 light and deep sleep, 2 light sleep only (not saved).",
        (
            FormSpec(Form.TEST, "AT+QSCLK=?", "List the modes.", "+QSCLK: (0-2)", key="qsclk.test"),
            FormSpec(Form.READ, "AT+QSCLK?", "Show the mode.", "+QSCLK: <n>", key="qsclk.read"),
            FormSpec(
                Form.WRITE,
                "AT+QSCLK=<n>",
                "Set the sleep mode.",
                params=(_int("n", 0, 2, "0 disable, 1 light + deep sleep, 2 light sleep."),),
                required=1,
                key="qsclk.write",
            ),
        ),
    ),
    CommandSpec(
        "+CBC",
        "Query Power Supply Voltage",
        "AT manual 10.1",
        "Supply voltage in mV.",
        (
            FormSpec(Form.TEST, "AT+CBC=?", "Answers OK.", key="cbc.test"),
            FormSpec(Form.EXECUTE, "AT+CBC", "Show the voltage.", "+CBC: <voltage>", key="cbc"),
        ),
    ),
    CommandSpec(
        "+CMEE",
        "Report Mobile Termination Error",
        "AT manual 10.2",
        "0 plain ERROR, 1 numeric +CME ERROR: <err>, 2 verbose (saved to NVRAM).",
        (
            FormSpec(Form.TEST, "AT+CMEE=?", "List the modes.", "+CMEE: (0-2)", key="cmee.test"),
            FormSpec(Form.READ, "AT+CMEE?", "Show the mode.", "+CMEE: <n>", key="cmee.read"),
            FormSpec(
                Form.WRITE,
                "AT+CMEE=<n>",
                "Set the error report mode.",
                params=(_choice("n", (0, 1, 2), "0 ERROR, 1 numeric, 2 verbose."),),
                required=1,
                key="cmee.write",
            ),
        ),
    ),
    CommandSpec(
        "+QRST",
        "Module Reset",
        "AT manual 10.4",
        "AT+QRST=1 resets at once: sockets drop, RDY, then +IP: after registration.",
        (
            FormSpec(Form.TEST, "AT+QRST=?", "List the modes.", "+QRST: (1)", key="qrst.test"),
            FormSpec(
                Form.WRITE,
                "AT+QRST=1",
                "Reboot now.",
                "OK, then RDY",
                params=(_choice("mode", (1,), "1: reset after OK, without detaching."),),
                required=1,
                key="qrst",
            ),
        ),
    ),
    CommandSpec(
        "+QCFG",
        "System Configuration",
        "AT manual 11.1",
        'Deep sleep event URC ("dsevent") and the countdown to sleep ("slplocktimes").',
        (
            FormSpec(Form.TEST, "AT+QCFG=?", "List the functions.", key="qcfg.test"),
            FormSpec(Form.READ, "AT+QCFG?", "Show every function.", key="qcfg.read"),
            FormSpec(
                Form.WRITE,
                'AT+QCFG="dsevent"[,<value>]',
                "Report entering and leaving deep sleep (or, without a value, show it).",
                '+QCFG: "dsevent",<value> when querying',
                (
                    _str("function", '"dsevent"', choices=("dsevent",), fmt=StrFormat.KEYWORD),
                    _choice("value", (0, 1), "1: report the deep sleep URCs."),
                ),
                required=1,
                key="qcfg.dsevent",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QCFG="slplocktimes"[,<value>]',
                "Seconds of quiet before the module sleeps (or, without a value, show it).",
                '+QCFG: "slplocktimes",<value> when querying',
                (
                    _str(
                        "function",
                        '"slplocktimes"',
                        choices=("slplocktimes",),
                        fmt=StrFormat.KEYWORD,
                    ),
                    _int("value", 0, 30, "Countdown to sleep in seconds (default 10)."),
                ),
                required=1,
                key="qcfg.slplocktimes",
            ),
        ),
    ),
    CommandSpec(
        "+CCLK",
        "Set and Get Current Date and Time",
        "AT manual 12.1",
        'Module clock "yy/MM/dd,hh:mm:ss±zz" (also set by AT+QNTP with auto_set_time=1).',
        (
            FormSpec(Form.TEST, "AT+CCLK=?", "Answers OK.", key="cclk.test"),
            FormSpec(Form.READ, "AT+CCLK?", "Show the clock.", "+CCLK: <time>", key="cclk.read"),
            FormSpec(
                Form.WRITE,
                "AT+CCLK=<time>",
                "Set the clock.",
                params=(
                    _str(
                        "time",
                        '"yy/MM/dd,hh:mm:ss±zz", ±zz in quarters of an hour.',
                        max_bytes=20,
                    ),
                ),
                required=1,
                key="cclk.write",
            ),
        ),
    ),
    CommandSpec(
        "+CTZR",
        "Time Zone Reporting",
        "AT manual 12.2",
        "Report the time zone: 1 +CTZV, 2 +CTZE, 3 +CTZEU (with UTC).",
        (
            FormSpec(Form.TEST, "AT+CTZR=?", "List the modes.", "+CTZR: (0-3)", key="ctzr.test"),
            FormSpec(
                Form.READ, "AT+CTZR?", "Show the mode.", "+CTZR: <reporting>", key="ctzr.read"
            ),
            FormSpec(
                Form.WRITE,
                "AT+CTZR=<reporting>",
                "Set the time zone reporting.",
                params=(_int("reporting", 0, 3, "0 off, 1 +CTZV, 2 +CTZE, 3 +CTZEU."),),
                required=1,
                key="ctzr.write",
            ),
        ),
    ),
)
