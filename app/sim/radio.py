"""The simulated module's settings and radio state, and how the AT commands print them.

Pure data and formatting (no I/O): :class:`Nvram` holds what the BC660K-GL AT
Commands Manual V1.4 says is "saved to NVRAM" (it survives AT+QRST=1),
:class:`Radio` what the network and the cell give the module. The formats are
the manual's; each function names its section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: §4.1 <AcT> 9: E-UTRAN (NB-S1 mode); §9.1 <AcT_type> 5: E-UTRAN (NB-S1 mode).
ACT_NB_S1 = 9
EDRX_ACT_NB_S1 = 5


@dataclass
class PdpContext:
    """One AT+CGDCONT context (§5.4)."""

    cid: int
    pdp_type: str = "IP"
    apn: str = ""


@dataclass
class Nvram:
    """Settings the manual says are saved to NVRAM: they survive AT+QRST=1."""

    echo: bool = True  # §3.1 ATE
    cmee: int = 0  # §10.2
    cereg_n: int = 0  # §4.1
    cscon_n: int = 0  # §4.6
    ctzr: int = 0  # §12.2
    psm_mode: int = 0  # §9.4 AT+CPSMS
    psm_tau: str = "00111000"  # requested T3412: 24 hours
    psm_active: str = "00100001"  # requested T3324: 1 minute
    edrx_mode: int = 0  # §9.1 AT+CEDRXS
    edrx_value: str = "0011"  # 40.96 s, the factory default (AT manual §9.1 example)
    psm_event: bool = False  # §9.8 AT+QNBIOTEVENT=<enable>,1
    dsevent: bool = False  # §11.1.6 AT+QCFG="dsevent"
    slplocktimes: int = 10  # §11.1.5: seconds of quiet before sleep (default 10)
    cops_mode: int = 0  # §7.2 (only 0/1/4 are saved)
    cops_format: int = 2
    # §5.6 AT+QCGDEFCONT: the initial PDP context (cid 0), used from the next boot.
    default_pdp_type: str = "IP"
    default_apn: str = ""
    default_user: str = ""
    default_password: str = ""
    default_auth: int = 0
    #: §5.4: "the configurations of the first two defined PDP contexts are saved to NVRAM".
    contexts: dict[int, PdpContext] = field(default_factory=dict)
    # §2.3.9 AT+QICFG (TCP/IP application note): saved to NVRAM.
    send_hex: bool = False
    recv_hex: bool = False
    show_ra: bool = False

    def keep_after_reboot(self) -> None:
        """Forget the PDP contexts past the first two defined (§5.4 Characteristics)."""
        for cid in sorted(self.contexts)[2:]:
            del self.contexts[cid]


@dataclass
class Signal:
    """Serving-cell measurements (settable from the test API)."""

    rsrp: int = -72  # dBm
    rsrq: int = -8  # dB
    sinr: int = 14  # dB
    rssi: int = -64  # dBm

    def change(
        self,
        rsrp: int | None = None,
        rsrq: int | None = None,
        sinr: int | None = None,
        rssi: int | None = None,
        csq: int | None = None,
    ) -> None:
        """New measurements; a new RSRP moves the RSSI along with it unless one is
        given, the AT+CSQ index ``csq`` (0-31; another is ignored) sets the RSSI."""
        if rsrp is not None:
            self.rssi += rsrp - self.rsrp
            self.rsrp = rsrp
        if rsrq is not None:
            self.rsrq = rsrq
        if sinr is not None:
            self.sinr = sinr
        if rssi is not None:
            self.rssi = rssi
        if csq is not None and 0 <= csq <= 31:
            self.rssi = -113 + 2 * csq


@dataclass
class Cell:
    """The serving cell the simulated network offers (plausible values)."""

    plmn: str = "00101"  # MCC 001, MNC 01: the 3GPP test network
    operator_long: str = "Qiterm Simulated Network"
    operator_short: str = "QSIM"
    tac: str = "1A2B"
    ci: str = "0C3D4E5F"
    earfcn: int = 3688
    earfcn_offset: int = 11
    pci: int = 121
    band: int = 8
    #: §4.8 <operation_mode>: 3 stand alone... 0 in-band same PCI.
    operation_mode: int = 3
    tz_quarters: int = 0  # §12.2 <tz>
    dst: int = 0
    #: Network-provided timers (CEREG n=4/5): T3412 when the UE asks for no PSM.
    network_tau: str = "00101010"  # unit 001 (1 hour) x 10 = 10 hours, as a real A05 capture shows
    edrx_ptw: str = "0011"  # 10.24 s paging time window


def csq_index(rssi_dbm: int) -> int:
    """§4.7 <rssi>: 0 is -113 dBm or less, 2-30 are -109..-53 dBm, 31 is -51 dBm or more."""
    return max(0, min(31, (rssi_dbm + 113) // 2))


def rsrp_index(rsrp_dbm: float) -> int:
    """§4.2 <rsrp>: 0 below -140 dBm, 1 for -140 <= rsrp < -139 ... 97 at -44 dBm or more."""
    return max(0, min(97, math.floor(rsrp_dbm) + 141))


def rsrq_index(rsrq_db: float) -> int:
    """§4.2 <rsrq>: 0 below -19.5 dB, then half-dB steps up to 34 at -3 dB or more."""
    return max(0, min(34, math.floor((rsrq_db + 20) * 2)))


def cesq(signal: Signal, registered: bool) -> str:
    """§4.2: ``+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>``; notes 2 and 3: the
    GSM/UMTS fields are 99,99,255,255 on NB-IoT."""
    if not registered:
        return "+CESQ: 99,99,255,255,255,255"
    return f"+CESQ: 99,99,255,255,{rsrq_index(signal.rsrq)},{rsrp_index(signal.rsrp)}"


def select_plmn(plmn: str) -> str:
    """§4.8 <selectPLMN> as the example prints 46000: ``0x460,0xf000``."""
    mcc, mnc = plmn[:3], plmn[3:]
    return f"0x{mcc},0x{'f' if len(mnc) == 2 else ''}{mnc.rjust(3, '0')}"
