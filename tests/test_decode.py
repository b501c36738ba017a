"""The decoders of app/protocol/decode.py against the AT Commands Manual V1.4's
examples and tables (sections cited per test) and their edge values."""

from __future__ import annotations

import pytest

from app.protocol import decode as d

# -- T3324, the active time: GPRS Timer 2 (§4.1 <Active-Time>, §9.4) ---------------------


@pytest.mark.parametrize(
    ("bits", "seconds", "unit"),
    [
        ("00000000", 0, "2 seconds"),
        ("00000001", 2, "2 seconds"),
        ("00011111", 62, "2 seconds"),  # the largest value in 2 s steps
        ("00100001", 60, "1 minute"),
        ("00100100", 240, "1 minute"),  # §4.1 and §9.4: "00100100" equals 4 minutes
        ("00111111", 31 * 60, "1 minute"),
        ("01000001", 360, "6 minutes"),
        ("01000011", 18 * 60, "6 minutes"),  # §9.4's example value read as T3324
        ("01011111", 31 * 360, "6 minutes"),
    ],
)
def test_t3324_every_unit(bits: str, seconds: int, unit: str) -> None:
    timer = d.decode_t3324(bits)
    assert timer.ok and not timer.deactivated
    assert (timer.seconds, timer.unit) == (seconds, unit)


def test_t3324_deactivated() -> None:
    # §4.1: bits 8-6 "1 1 1 value indicates that the timer is deactivated".
    for bits in ("11100000", "11111111"):
        timer = d.decode_t3324(bits)
        assert timer.deactivated and timer.seconds is None and timer.text == "deactivated"


@pytest.mark.parametrize("unit", ["011", "100", "101", "110"])
def test_t3324_other_units_are_minutes(unit: str) -> None:
    # The manual lists 000, 001, 010 and 111; 3GPP TS 24.008 Table 10.5.163 reads
    # the others as multiples of 1 minute.
    assert d.decode_t3324(unit + "00101").seconds == 5 * 60


# -- T3412, the extended periodic TAU: GPRS Timer 3 (§4.1 <Periodic-TAU>, §9.4) ---------


@pytest.mark.parametrize(
    ("bits", "seconds", "text"),
    [
        ("00000001", 600, "10 min"),
        ("00000110", 3600, "1 h"),
        ("00100001", 3600, "1 h"),
        ("00111000", 24 * 3600, "24 h"),
        ("01000011", 30 * 3600, "30 h"),  # §9.4's example "01000011"
        ("01000111", 70 * 3600, "70 h"),  # §4.1 and §9.4: "01000111" equals 70 hours
        ("01100001", 2, "2 s"),
        ("01111111", 62, "1 min 2 s"),
        ("10000010", 60, "1 min"),
        ("10011111", 31 * 30, "15 min 30 s"),
        ("10100011", 180, "3 min"),
        ("11000001", 320 * 3600, "320 h"),
        ("11000011", 960 * 3600, "960 h"),
    ],
)
def test_t3412_every_unit(bits: str, seconds: int, text: str) -> None:
    timer = d.decode_t3412(bits)
    assert timer.ok and (timer.seconds, timer.text) == (seconds, text)


def test_t3412_deactivated_and_zero() -> None:
    assert d.decode_t3412("11100000").deactivated
    assert d.decode_t3412("11111111").text == "deactivated"
    assert d.decode_t3412("00000000").seconds == 0  # a zero value is not "deactivated"


@pytest.mark.parametrize("decoder", [d.decode_t3324, d.decode_t3412])
def test_timers_missing_or_malformed(decoder: object) -> None:
    assert callable(decoder)
    for missing in (None, "", '""', "   "):
        timer = decoder(missing)
        assert not timer.ok and timer.problem == "not given" and timer.seconds is None
    for bad in ("0010010", "001001001", "0010010x", "2"):
        timer = decoder(bad)
        assert not timer.ok and timer.problem.startswith("not eight bits")
    # The manual prints its values with stray spaces (§9.4: " 01000011 "); quotes too.
    assert decoder(" 01000011 ").ok and decoder('"01000011"').ok


# -- eDRX and the paging time window (§9.1, §9.2) --------------------------------------

NB_S1_TABLE = {  # §9.1 <requested_eDRX_value>, NB-S1 mode
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


@pytest.mark.parametrize(("bits", "seconds"), sorted(NB_S1_TABLE.items()))
def test_edrx_every_nb_s1_value(bits: str, seconds: float) -> None:
    cycle = d.decode_edrx(bits)
    assert cycle.seconds == seconds and not cycle.problem
    assert d.decode_edrx(bits, d.ACT_NB_S1).seconds == seconds


@pytest.mark.parametrize("bits", ["0000", "0001", "0100", "0110", "0111", "1000"])
def test_edrx_values_the_nb_s1_table_leaves_out_are_reserved(bits: str) -> None:
    cycle = d.decode_edrx(bits)
    assert cycle.seconds is None and cycle.problem == f"{bits} is reserved"


def test_edrx_wb_s1_defines_every_value() -> None:
    # 3GPP TS 24.008 Table 10.5.5.32 (WB-S1 mode): 5.12 s, 10.24 s ... 10485.76 s.
    got = [d.decode_edrx(f"{n:04b}", d.ACT_WB_S1).seconds for n in range(16)]
    assert got[:9] == [5.12, 10.24, 20.48, 40.96, 61.44, 81.92, 102.4, 122.88, 143.36]
    assert got[9:] == [163.84, 327.68, 655.36, 1310.72, 2621.44, 5242.88, 10485.76]


def test_edrx_manual_examples() -> None:
    # §9.1: AT+CEDRXS=1,5,"0101" asks for 81.92 s; +CEDRXS: 5,"0 011 " is 40.96 s.
    assert d.decode_edrx("0101").seconds == 81.92
    assert d.decode_edrx("0 011 ").seconds == 40.96
    # §9.2: +CEDRXRDP: 5,"0011","0011","0011": 40.96 s, window 10.24 s.
    assert d.decode_edrx("0011").text == "40.96 s"
    assert d.decode_ptw("0011").text == "10.24 s"


def test_ptw_every_value_per_access_technology() -> None:
    # §9.1 <paging_time_window> (NB-S1): "0000" 2.56 s ... "1111" 40.96 s, 2.56 s steps.
    nb = [d.decode_ptw(f"{n:04b}").seconds for n in range(16)]
    assert nb == [round(2.56 * (n + 1), 2) for n in range(16)]
    assert (nb[0], nb[4], nb[15]) == (2.56, 12.8, 40.96)
    # WB-S1 (3GPP TS 24.008 §10.5.5.32): 1.28 s steps.
    wb = [d.decode_ptw(f"{n:04b}", d.ACT_WB_S1).seconds for n in range(16)]
    assert (wb[0], wb[15]) == (1.28, 20.48)


def test_cycle_text() -> None:
    assert d.decode_edrx("1001").text == "163.84 s"
    assert d.decode_edrx("1100").text == "1310.72 s (about 22 min)"
    assert d.decode_edrx("1111").text == "10485.76 s (about 2 h 55 min)"
    assert d.decode_ptw("0100").text == "12.8 s"


def test_edrx_and_ptw_missing_or_malformed() -> None:
    for decoder in (d.decode_edrx, d.decode_ptw):
        assert decoder(None).problem == "not given"
        assert decoder("").problem == "not given"
        assert decoder("101").problem.startswith("not four bits")
        assert decoder("10a1").problem.startswith("not four bits")


# -- signal (§4.2, §4.7, §4.8) -----------------------------------------------------------


def test_cesq_rsrp_and_rsrq_indexes() -> None:
    rsrp = d.cesq_rsrp_dbm
    # §4.2: 0 is below -140, 1 is -140 <= rsrp < -139 ... 97 is -44 or more; 255 unknown.
    assert [rsrp(n) for n in (0, 1, 2, 61, 96, 97)] == [-140, -140, -139, -80, -45, -44]
    assert [rsrp(n) for n in (98, 255, -1, None)] == [None, None, None, None]
    rsrq = d.cesq_rsrq_db
    # §4.2: 0 is below -19.5, 1 is -19.5 <= rsrq < -19 ... 34 is -3 or more.
    assert [rsrq(n) for n in (0, 1, 2, 25, 32, 33, 34)] == [-19.5, -19.5, -19, -7.5, -4, -3.5, -3]
    assert [rsrq(n) for n in (35, 255, None)] == [None, None, None]
    # §4.2's example +CESQ: 99,99,255,255,25,61.
    assert (rsrq(25), rsrp(61)) == (-7.5, -80)
    # <rxlev> (not used on NB-IoT, note 2): 0 below -110 ... 63 is -48 or more.
    assert [d.cesq_rxlev_dbm(n) for n in (0, 1, 63, 99)] == [-110, -110, -48, None]


def test_csq_index() -> None:
    # §4.7: 0 is -113 or less, 1 is -111, 2-30 are -109 to -53, 31 is -51 or more, 99 unknown.
    assert [d.csq_rssi_dbm(n) for n in (0, 1, 2, 22, 30, 31)] == [-113, -111, -109, -69, -53, -51]
    assert [d.csq_rssi_dbm(n) for n in (32, 99, None)] == [None, None, None]


def test_tx_power() -> None:
    # §4.8 <sc_Tx_pwr>: -45 to 23 dBm; 128 invalid (the example prints -128).
    assert [d.tx_power_dbm(v) for v in (-45, 0, 23)] == [-45, 0, 23]
    assert [d.tx_power_dbm(v) for v in (128, -128, 24, None)] == [None, None, None, None]


@pytest.mark.parametrize(
    ("rsrp", "rsrq", "sinr", "level"),
    [
        # §4.8 note 2: strong RSRP >= -100, SNR >= 3, RSRQ > -7.
        (-72, -6, 14, "strong"),
        (-100, None, None, "strong"),  # only what was measured counts
        (-100, -7, 3, "medium"),  # RSRQ -7 is not above -7
        (-100, -6.5, 2.9, "medium"),
        (-110, -10, 0, "medium"),  # -100 >= RSRP >= -110 is medium
        (-110.5, None, None, "weak"),  # RSRP < -110
        (-90, -11.5, 10, "weak"),  # RSRQ < -11
        (-90, -5, -3.5, "weak"),  # SNR < -3
        (-90, -11, -3, "medium"),  # the weak bounds are strict
        (None, -5, 10, "unknown"),
    ],
)
def test_signal_rating(
    rsrp: float | None, rsrq: float | None, sinr: float | None, level: str
) -> None:
    assert d.rate_signal(rsrp, rsrq, sinr).level == level


def test_signal_rating_says_why() -> None:
    assert d.rate_signal(-118).why == "RSRP -118 dBm is below -110"
    assert d.rate_signal(-72, -8, 14).why == "RSRQ -8 dB is between -11 and -7"
    assert d.rate_signal(-118).words == "weak: sends may fail"


# -- words ----------------------------------------------------------------------------------


def test_stat_words_cover_the_manual() -> None:
    # §4.1 <stat> 0-5.
    assert d.stat_words(1) == "registered, home network"
    assert d.stat_words(3) == "registration denied"
    assert d.stat_words(5) == "registered, roaming"
    assert set(d.STAT_WORDS) == {0, 1, 2, 3, 4, 5}
    assert d.stat_words(None) == "not known"
    assert d.stat_words(9) == "stat 9 (not in the manual)"


def test_reject_causes() -> None:
    # §4.1: <cause_type> 0 is an EMM cause (3GPP TS 24.301 Annex A), 1 manufacturer's.
    assert d.reject_words(0, 15) == "#15 no suitable cells in tracking area"
    assert d.reject_words(None, 11) == "#11 PLMN not allowed"
    assert d.reject_words(1, 15) == "15 (manufacturer-specific cause)"
    assert d.reject_words(0, 200) == "#200 (EMM cause not in 3GPP TS 24.301 Annex A)"
    assert d.reject_words(0, None) == "none given"


def test_other_words() -> None:
    assert d.act_words(9) == "E-UTRAN NB-S1 (NB-IoT)" and d.act_words(7) == "E-UTRAN (LTE)"
    assert d.act_words(None) == "not given" and d.act_words(3) == "AcT 3"
    # §4.8 <sc_EARFCN_offset>: 0 invalid, 1 is -10, 10 is -1, 11 is -0.5, 12 is 0, 21 is 9.
    offsets = [d.earfcn_offset_words(n) for n in (0, 1, 10, 11, 12, 13, 21, 22)]
    assert offsets == [
        "invalid",
        "-10",
        "-1",
        "-0.5",
        "+0",
        "+1",
        "+9",
        "code 22 (not in the manual)",
    ]
    assert d.ecl_words(None).startswith("not given")
    assert d.ecl_words(2) == "2 (extreme coverage)"
    # §4.1 <tac>: "00C3" equals 195.
    assert d.hex_number("00C3") == 195 and d.hex_number('"4C10"') == 0x4C10
    assert d.hex_number("") is None and d.hex_number("zz") is None and d.hex_number(None) is None


def test_durations() -> None:
    assert [d.duration_text(s) for s in (0, 2, 20.48, 60, 62, 5400, 252000)] == [
        "0 s",
        "2 s",
        "20.48 s",
        "1 min",
        "1 min 2 s",
        "1 h 30 min",
        "70 h",
    ]
    assert [d.countdown_text(s) for s in (0, 0.2, 59.5, 725, 35999.1)] == [
        "0 s",
        "1 s",
        "1 min 00 s",
        "12 min 05 s",
        "10 h 00 min 00 s",
    ]
