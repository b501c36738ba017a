"""Decoders: the module's codes, indexes and bit strings in plain words and units.

Pure functions over the values the parser hands out (:mod:`app.protocol.events`);
the Module pane, the status header and the report header all read the module
through them. Section numbers are those of the BC660K-GL & BC950K-GL AT Commands
Manual V1.4 ("the manual"); where the manual defers to 3GPP, the TS is named.

* PSM timers (§4.1 <Active-Time>/<Periodic-TAU>, §9.4): one byte as eight bits,
  bits 8-6 the unit, bits 5-1 the value. T3324 (the active time) is a GPRS Timer
  2 (3GPP TS 24.008 Table 10.5.163), T3412 (the extended periodic TAU) a GPRS
  Timer 3 (Table 10.5.163a): :func:`decode_t3324`, :func:`decode_t3412`.
* eDRX (§9.1, §9.2): the cycle and the paging time window, half a byte each, per
  access technology: :func:`decode_edrx`, :func:`decode_ptw`.
* Signal: the AT+CESQ indexes (§4.2), the AT+CSQ index (§4.7) in dB/dBm, and the
  manual's strong / medium / weak rating (§4.8 note 2): :func:`rate_signal`.
* Words: <stat> (§4.1), <AcT> (§4.1, §7.2), EMM reject causes (3GPP TS 24.301
  Annex A), AT+COPS modes (§7.2), AT+CFUN levels (§9.3), AT+QENG fields (§4.8).
"""

from __future__ import annotations

import msgspec

# -- durations ---------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """``seconds`` the way a person says it: ``2 s``, ``4 min``, ``1 h 30 min``,
    ``70 h``, ``20.48 s`` (fractions only below a minute)."""
    if seconds < 0:
        return "-" + duration_text(-seconds)
    if seconds < 60:
        whole = round(seconds)
        if abs(seconds - whole) < 0.005:
            return f"{whole} s"
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return " ".join(parts) or "0 s"


def countdown_text(seconds: float) -> str:
    """A countdown, to the second: ``59 s``, ``12 min 05 s``, ``9 h 59 min 59 s``."""
    total = max(0, int(seconds + 0.999))  # 0.2 s left is still "1 s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


# -- PSM timers (§4.1, §9.4; 3GPP TS 24.008 §10.5.7.4, §10.5.7.4a) ------------------------


class Timer(msgspec.Struct, frozen=True):
    """A decoded GPRS timer byte. ``seconds`` is None when the timer is
    deactivated (unit ``111``) or when ``bits`` could not be read (``problem``)."""

    name: str
    bits: str
    seconds: int | None = None
    deactivated: bool = False
    #: Why ``bits`` is not a timer ("" when it is one).
    problem: str = ""
    #: The unit, as the manual names it ("1 minute", "10 hours"...).
    unit: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def text(self) -> str:
        """``18 min``, ``deactivated`` or why the bits could not be read."""
        if self.problem:
            return self.problem
        if self.deactivated or self.seconds is None:
            return "deactivated"
        return duration_text(self.seconds)


#: GPRS Timer 2 (T3324, §4.1 <Active-Time>, §9.4 <requested_active_time>): bits 8-6.
T3324_UNITS: dict[str, tuple[int, str]] = {
    "000": (2, "2 seconds"),
    "001": (60, "1 minute"),
    "010": (360, "6 minutes"),
}
#: GPRS Timer 3 (T3412, §4.1 <Periodic-TAU>, §9.4 <requested_periodic_TAU>): bits 8-6.
T3412_UNITS: dict[str, tuple[int, str]] = {
    "000": (600, "10 minutes"),
    "001": (3600, "1 hour"),
    "010": (36000, "10 hours"),
    "011": (2, "2 seconds"),
    "100": (30, "30 seconds"),
    "101": (60, "1 minute"),
    "110": (1_152_000, "320 hours"),
}
DEACTIVATED = "111"


def _clean_bits(bits: str, width: int) -> str | None:
    """``bits`` without quotes and stray spaces (the manual prints ``" 01000011 "``),
    or None when it is not ``width`` binary digits."""
    text = "".join(bits.split()).strip('"')
    if len(text) != width or any(ch not in "01" for ch in text):
        return None
    return text


def _decode_timer(
    name: str, bits: str | None, units: dict[str, tuple[int, str]], fallback: str | None
) -> Timer:
    if bits is None or not bits.strip().strip('"'):
        return Timer(name, bits or "", problem="not given")
    clean = _clean_bits(bits, 8)
    if clean is None:
        return Timer(name, bits, problem=f"not eight bits ({bits!r})")
    unit_bits, value = clean[:3], int(clean[3:], 2)
    if unit_bits == DEACTIVATED:
        return Timer(name, clean, deactivated=True, unit="deactivated")
    unit = units.get(unit_bits)
    if unit is None and fallback is not None:
        # 3GPP TS 24.008 Table 10.5.163: "Other values shall be interpreted as
        # multiples of 1 minute in this version of the protocol."
        unit = units[fallback]
    if unit is None:  # pragma: no cover - GPRS Timer 3 defines every unit
        return Timer(name, clean, problem=f"unit {unit_bits} is not defined")
    step, words = unit
    return Timer(name, clean, seconds=value * step, unit=words)


def decode_t3324(bits: str | None) -> Timer:
    """T3324, the active time (GPRS Timer 2, §4.1 and §9.4): ``"00100100"`` is
    4 minutes. Units ``011``-``110`` are read as minutes, as 3GPP TS 24.008 says."""
    return _decode_timer("T3324", bits, T3324_UNITS, "001")


def decode_t3412(bits: str | None) -> Timer:
    """T3412, the extended periodic TAU (GPRS Timer 3, §4.1 and §9.4): ``"01000111"``
    is 70 hours."""
    return _decode_timer("T3412", bits, T3412_UNITS, None)


# -- eDRX (§9.1, §9.2; 3GPP TS 24.008 §10.5.5.32) ---------------------------------------

#: <AcT_type> (§9.1, §9.2): 5 is NB-S1 mode, the only one the module supports;
#: 4 (WB-S1) is decoded too, for captures of other E-UTRAN modules (3GPP TS 27.007).
ACT_NB_S1 = 5
ACT_WB_S1 = 4
EDRX_ACT_WORDS = {
    0: "access technology not using eDRX",
    ACT_WB_S1: "E-UTRAN (WB-S1 mode)",
    ACT_NB_S1: "E-UTRAN (NB-S1 mode)",
}

#: NB-S1 eDRX cycle lengths (§9.1 <requested_eDRX_value> table), seconds.
EDRX_NB_S1: dict[str, float] = {
    "0010": 20.48,
    "0011": 40.96,
    "0101": 81.92,
    "1001": 163.84,
    "1010": 327.68,
    "1011": 655.36,
    "1100": 1310.72,
    "1101": 2621.44,
    "1110": 5242.88,
    "1111": 10485.76,
}
#: WB-S1 eDRX cycle lengths (3GPP TS 24.008 Table 10.5.5.32): every value is defined.
EDRX_WB_S1: dict[str, float] = {
    "0000": 5.12,
    "0001": 10.24,
    "0010": 20.48,
    "0011": 40.96,
    "0100": 61.44,
    "0101": 81.92,
    "0110": 102.4,
    "0111": 122.88,
    "1000": 143.36,
    **{k: v for k, v in EDRX_NB_S1.items() if k >= "1001"},
}
#: Paging time window step per access technology: 2.56 s in NB-S1 mode (§9.1
#: <paging_time_window>: "0000" is 2.56 s ... "1111" 40.96 s), 1.28 s in WB-S1.
PTW_STEP = {ACT_NB_S1: 2.56, ACT_WB_S1: 1.28}


class Cycle(msgspec.Struct, frozen=True):
    """A decoded eDRX value or paging time window (``seconds`` None: ``problem``)."""

    bits: str
    seconds: float | None = None
    problem: str = ""

    @property
    def text(self) -> str:
        """The manual's figure (``81.92 s``), and about how long for long cycles
        (``1310.72 s (about 22 min)``)."""
        if self.seconds is None:
            return self.problem
        exact = f"{self.seconds:.2f}".rstrip("0").rstrip(".") + " s"
        if self.seconds >= 600:
            exact += f" (about {duration_text(round(self.seconds / 60) * 60)})"
        return exact


def decode_edrx(bits: str | None, act_type: int = ACT_NB_S1) -> Cycle:
    """The eDRX cycle a 4-bit <requested_eDRX_value>/<NW_provided_eDRX_value> stands
    for (§9.1): ``"0101"`` is 81.92 s in NB-S1 mode. Values the manual's table leaves
    out are reserved in NB-S1 mode."""
    if bits is None or not bits.strip().strip('"'):
        return Cycle(bits or "", problem="not given")
    clean = _clean_bits(bits, 4)
    if clean is None:
        return Cycle(bits, problem=f"not four bits ({bits!r})")
    table = EDRX_WB_S1 if act_type == ACT_WB_S1 else EDRX_NB_S1
    seconds = table.get(clean)
    if seconds is None:
        return Cycle(clean, problem=f"{clean} is reserved")
    return Cycle(clean, seconds)


def decode_ptw(bits: str | None, act_type: int = ACT_NB_S1) -> Cycle:
    """The paging time window of a 4-bit <paging_time_window> (§9.1, §9.2):
    (value + 1) x 2.56 s in NB-S1 mode, (value + 1) x 1.28 s in WB-S1 mode."""
    if bits is None or not bits.strip().strip('"'):
        return Cycle(bits or "", problem="not given")
    clean = _clean_bits(bits, 4)
    if clean is None:
        return Cycle(bits, problem=f"not four bits ({bits!r})")
    step = PTW_STEP.get(act_type, PTW_STEP[ACT_NB_S1])
    return Cycle(clean, round((int(clean, 2) + 1) * step, 2))


# -- signal (§4.2, §4.7, §4.8) ---------------------------------------------------------


def cesq_rsrp_dbm(index: int | None) -> int | None:
    """AT+CESQ <rsrp> (§4.2) as dBm, the lower bound of its 1 dB step: 0 is below
    -140 dBm (shown as -140), n is -141+n, 97 is -44 dBm or more; 255 (not known)
    and anything out of range is None."""
    if index is None or not 0 <= index <= 97:
        return None
    return -140 if index == 0 else -141 + index


def cesq_rsrq_db(index: int | None) -> float | None:
    """AT+CESQ <rsrq> (§4.2) as dB, the lower bound of its 0.5 dB step: 0 is below
    -19.5 dB (shown as -19.5), n is -20+n/2, 34 is -3 dB or more; 255 is None."""
    if index is None or not 0 <= index <= 34:
        return None
    return -19.5 if index == 0 else -20.0 + index / 2


def cesq_rxlev_dbm(index: int | None) -> int | None:
    """AT+CESQ <rxlev> (§4.2): 0 is below -110 dBm, n is -111+n, 63 is -48 dBm or
    more; 99 (not applicable to NB-IoT, note 2) is None."""
    if index is None or not 0 <= index <= 63:
        return None
    return -110 if index == 0 else -111 + index


def csq_rssi_dbm(index: int | None) -> int | None:
    """AT+CSQ <rssi> (§4.7): 0 is -113 dBm or less, 1 is -111, 2-30 are -109 to -53
    in steps of 2, 31 is -51 or more; 99 (not known) is None."""
    if index is None or not 0 <= index <= 31:
        return None
    return -113 + 2 * index


#: AT+QENG <sc_Tx_pwr> (§4.8): "128 means an invalid value" (the example prints -128).
TX_POWER_INVALID = (128, -128)


def tx_power_dbm(value: int | None) -> int | None:
    """<sc_Tx_pwr> in dBm, None when invalid (±128: not transmitting) or missing."""
    if value is None or value in TX_POWER_INVALID or not -45 <= value <= 23:
        return None
    return value


class Rating(msgspec.Struct, frozen=True):
    """The manual's rating of the network quality (§4.8 note 2)."""

    level: str  # "strong", "medium", "weak" or "unknown"
    why: str  # the measurement that decided it

    @property
    def words(self) -> str:
        return {
            "strong": "strong",
            "medium": "medium",
            "weak": "weak: sends may fail",
            "unknown": "not known",
        }[self.level]


def rate_signal(rsrp: float | None, rsrq: float | None = None, sinr: float | None = None) -> Rating:
    """§4.8 note 2: strong with RSRP ≥ -100 dBm, SNR ≥ 3 dB and RSRQ > -7 dB; weak
    with RSRP < -110 dBm or SNR < -3 dB or RSRQ < -11 dB; medium in between.
    Measurements not given do not count; without RSRP the rating is unknown."""
    if rsrp is None:
        return Rating("unknown", "no RSRP")
    if rsrp < -110:
        return Rating("weak", f"RSRP {rsrp:g} dBm is below -110")
    if sinr is not None and sinr < -3:
        return Rating("weak", f"SINR {sinr:g} dB is below -3")
    if rsrq is not None and rsrq < -11:
        return Rating("weak", f"RSRQ {rsrq:g} dB is below -11")
    if rsrp < -100:
        return Rating("medium", f"RSRP {rsrp:g} dBm is between -110 and -100")
    if sinr is not None and sinr < 3:
        return Rating("medium", f"SINR {sinr:g} dB is between -3 and 3")
    if rsrq is not None and rsrq <= -7:
        return Rating("medium", f"RSRQ {rsrq:g} dB is between -11 and -7")
    return Rating("strong", f"RSRP {rsrp:g} dBm is -100 or more")


# -- words ---------------------------------------------------------------------------------

#: <stat> (§4.1), in the manual's words.
STAT_WORDS = {
    0: "not registered, not searching",
    1: "registered, home network",
    2: "not registered, searching",
    3: "registration denied",
    4: "unknown (e.g. out of coverage)",
    5: "registered, roaming",
}


def stat_words(stat: int | None) -> str:
    if stat is None:
        return "not known"
    return STAT_WORDS.get(stat, f"stat {stat} (not in the manual)")


#: <AcT> of AT+CEREG and AT+COPS (§4.1, §7.2).
ACT_WORDS = {7: "E-UTRAN (LTE)", 9: "E-UTRAN NB-S1 (NB-IoT)"}


def act_words(act: int | None) -> str:
    if act is None:
        return "not given"
    return ACT_WORDS.get(act, f"AcT {act}")


#: EMM causes (3GPP TS 24.301 Annex A; §4.1 <reject_cause> with <cause_type> 0).
EMM_CAUSES = {
    2: "IMSI unknown in HSS",
    3: "illegal UE",
    5: "IMEI not accepted",
    6: "illegal ME",
    7: "EPS services not allowed",
    8: "EPS services and non-EPS services not allowed",
    9: "UE identity cannot be derived by the network",
    10: "implicitly detached",
    11: "PLMN not allowed",
    12: "tracking area not allowed",
    13: "roaming not allowed in this tracking area",
    14: "EPS services not allowed in this PLMN",
    15: "no suitable cells in tracking area",
    16: "MSC temporarily not reachable",
    17: "network failure",
    18: "CS domain not available",
    19: "ESM failure",
    20: "MAC failure",
    21: "synch failure",
    22: "congestion",
    23: "UE security capabilities mismatch",
    24: "security mode rejected, unspecified",
    25: "not authorized for this CSG",
    26: "non-EPS authentication unacceptable",
    31: "redirection to 5GCN required",
    35: "requested service option not authorized in this PLMN",
    39: "CS service temporarily not available",
    40: "no EPS bearer context activated",
    42: "severe network failure",
    78: "PLMN not allowed to operate at the present UE location",
    95: "semantically incorrect message",
    96: "invalid mandatory information",
    97: "message type non-existent or not implemented",
    98: "message type not compatible with the protocol state",
    99: "information element non-existent or not implemented",
    100: "conditional IE error",
    101: "message not compatible with the protocol state",
    111: "protocol error, unspecified",
}


def reject_words(cause_type: int | None, cause: int | None) -> str:
    """<cause_type>,<reject_cause> (§4.1): an EMM cause (type 0, or no type given)
    in words, or a manufacturer-specific cause (type 1) by its number."""
    if cause is None:
        return "none given"
    if cause_type == 1:
        return f"{cause} (manufacturer-specific cause)"
    words = EMM_CAUSES.get(cause)
    return f"#{cause} {words}" if words else f"#{cause} (EMM cause not in 3GPP TS 24.301 Annex A)"


#: AT+CGATT <state> (§4.3).
ATTACH_WORDS = {0: "detached", 1: "attached"}
#: AT+COPS <mode> (§7.2).
COPS_MODE_WORDS = {
    0: "automatic",
    1: "manual",
    2: "deregistered by hand (AT+COPS=2)",
    3: "format only",
    4: "manual, else automatic",
}
#: AT+CFUN <fun> (§9.3).
CFUN_WORDS = {0: "minimum functionality", 1: "full functionality", 4: "radio off (RF disabled)"}
#: AT+CSCON <mode> (§4.6).
RRC_WORDS = {0: "idle", 1: "connected"}
#: AT+QENG <operation_mode> (§4.8).
OPERATION_MODE_WORDS = {
    0: "in-band, same PCI",
    1: "in-band, different PCI",
    2: "guard band",
    3: "stand-alone",
}
#: AT+QENG <sc_EARFCN_offset> (§4.8): 0 invalid, 1-10 are -10..-1, 11 is -0.5, 12-21 are 0..9.
EARFCN_OFFSETS: dict[int, float] = {
    **{i: float(i - 11) for i in range(1, 11)},
    11: -0.5,
    **{i: float(i - 12) for i in range(12, 22)},
}
#: AT+CPSMS <mode> (§9.4).
PSM_MODE_WORDS = {0: "not requested (PSM off)", 1: "requested", 2: "off, settings reset"}


def earfcn_offset_words(code: int | None) -> str:
    if code is None:
        return "not given"
    if code == 0:
        return "invalid"
    offset = EARFCN_OFFSETS.get(code)
    return f"{offset:+g}" if offset is not None else f"code {code} (not in the manual)"


def ecl_words(ecl: int | None) -> str:
    """<sc_ECL> (§4.8): coverage enhancement level 0-2, "only available in RRC
    connected state"."""
    if ecl is None:
        return "not given (only known while RRC connected)"
    return {0: "0 (normal coverage)", 1: "1 (extended coverage)", 2: "2 (extreme coverage)"}.get(
        ecl, f"{ecl} (out of range)"
    )


def hex_number(text: str | None) -> int | None:
    """A hexadecimal TAC or cell ID (§4.1: ``"00C3"`` is 195), None when not one."""
    if text is None:
        return None
    clean = text.strip().strip('"')
    if not clean:
        return None
    try:
        return int(clean, 16)
    except ValueError:
        return None


__all__ = [
    "ACT_NB_S1",
    "ACT_WB_S1",
    "ACT_WORDS",
    "ATTACH_WORDS",
    "CFUN_WORDS",
    "COPS_MODE_WORDS",
    "EDRX_ACT_WORDS",
    "EDRX_NB_S1",
    "EDRX_WB_S1",
    "EMM_CAUSES",
    "OPERATION_MODE_WORDS",
    "PSM_MODE_WORDS",
    "RRC_WORDS",
    "STAT_WORDS",
    "T3324_UNITS",
    "T3412_UNITS",
    "Cycle",
    "Rating",
    "Timer",
    "act_words",
    "cesq_rsrp_dbm",
    "cesq_rsrq_db",
    "cesq_rxlev_dbm",
    "countdown_text",
    "csq_rssi_dbm",
    "decode_edrx",
    "decode_ptw",
    "decode_t3324",
    "decode_t3412",
    "duration_text",
    "earfcn_offset_words",
    "ecl_words",
    "hex_number",
    "rate_signal",
    "reject_words",
    "stat_words",
    "tx_power_dbm",
]
