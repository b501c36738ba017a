"""Events for the answers that describe the module itself: its identity, its network
(attach, operator, PDP contexts), its serving cell and its power-saving settings.

The same frozen :class:`~app.protocol.events.Event` shape as the rest (``raw``,
``line``, a ``kind`` for the capture: ``"info"`` like every other information
line, except the URC +CEDRXP). Section numbers are the AT Commands Manual V1.4's;
:mod:`app.protocol.decode` turns the values into words and units.
"""

from __future__ import annotations

from app.protocol import decode
from app.protocol.events import Event


class SerialNumber(Event, frozen=True, kw_only=True):
    """``+CGSN: <IMEI>`` (AT+CGSN=1, §2.5; also <IMEISV>/<SVN> for <snt> 2/3)."""

    value: str = ""
    kind = "info"


class IccidReport(Event, frozen=True, kw_only=True):
    """``+QCCID: <ICCID>`` (§8.11)."""

    iccid: str = ""
    kind = "info"


class AttachState(Event, frozen=True, kw_only=True):
    """``+CGATT: <state>`` (§4.3): 0 detached, 1 attached."""

    state: int | None = None
    kind = "info"

    @property
    def words(self) -> str:
        if self.state is None:
            return "not known"
        return decode.ATTACH_WORDS.get(self.state, f"state {self.state}")


class OperatorStatus(Event, frozen=True, kw_only=True):
    """``+COPS: <mode>[,<format>,<oper>][,<AcT>]`` (§7.2); without an operator
    selected only <mode> is given."""

    mode: int | None = None
    format: int | None = None
    oper: str | None = None
    act: int | None = None
    kind = "info"


class PdpContextDef(Event, frozen=True, kw_only=True):
    """``+CGDCONT: <cid>,<PDP_type>,<APN>[,<PDP_addr>[,...]]`` (§5.4)."""

    cid: int | None = None
    pdp_type: str = ""
    apn: str = ""
    address: str = ""
    kind = "info"


class FunctionalityLevel(Event, frozen=True, kw_only=True):
    """``+CFUN: <fun>`` (§9.3): 0 minimum, 1 full, 4 radio off."""

    fun: int | None = None
    kind = "info"


class QengServingCell(Event, frozen=True, kw_only=True):
    """``+QENG: 0,<sc_EARFCN>,<sc_EARFCN_offset>,<sc_pci>,<sc_cellID>,[<sc_RSRP>],
    [<sc_RSRQ>],[<sc_RSSI>],[<sc_SINR>],<sc_band>,<sc_TAC>,[<sc_ECL>],[<sc_Tx_pwr>],
    <operation_mode>`` (§4.8). RSRP/RSSI in dBm, RSRQ/SINR in dB, as printed;
    empty fields are None."""

    earfcn: int | None = None
    earfcn_offset: int | None = None
    pci: int | None = None
    cell_id: str | None = None
    rsrp: int | None = None
    rsrq: int | None = None
    rssi: int | None = None
    sinr: int | None = None
    band: int | None = None
    tac: str | None = None
    ecl: int | None = None
    tx_power: int | None = None
    operation_mode: int | None = None
    kind = "info"


class QengNeighbourCell(Event, frozen=True, kw_only=True):
    """``+QENG: 1,<nc_EARFCN>,<nc_pci>,<nc_RSRP>,<nc_RSRQ>`` (§4.8)."""

    earfcn: int | None = None
    pci: int | None = None
    rsrp: int | None = None
    rsrq: int | None = None
    kind = "info"


class QengPlmnState(Event, frozen=True, kw_only=True):
    """``+QENG: 4,<EMM_state>,<EMM_mode>,<PLMN_state>,<PLMN_type>,<selectPLMN>`` (§4.8,
    AT+QENG=3)."""

    emm_state: str = ""
    emm_mode: str = ""
    plmn_state: str = ""
    plmn_type: str = ""
    select_plmn: str = ""
    kind = "info"


class PsmSetting(Event, frozen=True, kw_only=True):
    """``+CPSMS: <mode>,,,<requested_periodic_TAU>,<requested_active_time>`` (§9.4):
    what the module asks the network for (the network's grant comes in +CEREG,
    §4.1 n=4/5)."""

    mode: int | None = None
    requested_periodic_tau: str | None = None
    requested_active_time: str | None = None
    kind = "info"

    @property
    def t3412(self) -> decode.Timer:
        return decode.decode_t3412(self.requested_periodic_tau)

    @property
    def t3324(self) -> decode.Timer:
        return decode.decode_t3324(self.requested_active_time)


class EdrxSetting(Event, frozen=True, kw_only=True):
    """``+CEDRXS: <AcT_type>,<requested_eDRX_value>`` (§9.1, the read answer; one
    line per access technology)."""

    act_type: int | None = None
    requested: str | None = None
    kind = "info"


class EdrxDynamic(Event, frozen=True, kw_only=True):
    """``+CEDRXRDP: <AcT_type>[,<requested_eDRX_value>[,<NW_provided_eDRX_value>
    [,<paging_time_window>]]]`` (§9.2), or the URC ``+CEDRXP:`` with the same fields
    (§9.1, <mode>=2). <AcT_type> 0: the cell does not use eDRX."""

    name: str = "+CEDRXRDP"
    act_type: int | None = None
    requested: str | None = None
    provided: str | None = None
    ptw: str | None = None
    kind = "info"

    @property
    def unsolicited(self) -> bool:
        return self.name == "+CEDRXP"

    @property
    def in_use(self) -> bool:
        return bool(self.act_type) and self.provided is not None


__all__ = [
    "AttachState",
    "EdrxDynamic",
    "EdrxSetting",
    "FunctionalityLevel",
    "IccidReport",
    "OperatorStatus",
    "PdpContextDef",
    "PsmSetting",
    "QengNeighbourCell",
    "QengPlmnState",
    "QengServingCell",
    "SerialNumber",
]
