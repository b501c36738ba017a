"""Parsers for the answers about the module itself (identity, network, serving cell,
power saving): +CGSN, +QCCID, +CGATT, +COPS, +CGDCONT, +CFUN, +QENG, +CPSMS,
+CEDRXS, +CEDRXRDP and the URC +CEDRXP. :mod:`app.protocol.parse` looks them up
in :data:`HANDLERS`; like its own, a handler returns None for a shape it does not
know (the line then stays a generic :class:`~app.protocol.events.InfoResponse`)
and may raise ValueError, which means the same."""

from __future__ import annotations

from collections.abc import Callable

from app.protocol import cellular as cell
from app.protocol import events as ev
from app.protocol.syntax import Arg

Handler = Callable[[bytes, bytes, str, list[Arg]], ev.Event | None]


def _int(arg: Arg) -> int:
    value = arg.as_int()
    if value is None:
        raise ValueError(f"not an integer: {arg.text!r}")
    return value


def _opt_text(f: list[Arg], i: int) -> str | None:
    """Field ``i`` as text, None when absent or empty (``,,`` or ``""``)."""
    if i >= len(f) or not f[i].text.strip():
        return None
    return f[i].text.strip()


def _opt_num(f: list[Arg], i: int) -> int | None:
    """Field ``i`` as an integer, None when absent or empty; ValueError for text."""
    if i >= len(f) or f[i].omitted:
        return None
    return _int(f[i])


def _cgsn(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§2.5: ``+CGSN: <IMEI>`` (or <IMEISV>/<SVN>); the test answer has parentheses."""
    if len(f) != 1 or not f[0].text.strip():
        return None
    return cell.SerialNumber(raw=raw, line=line, value=f[0].text.strip())


def _qccid(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§8.11: ``+QCCID: <ICCID>``."""
    if len(f) != 1 or not f[0].text.strip():
        return None
    return cell.IccidReport(raw=raw, line=line, iccid=f[0].text.strip())


def _cgatt(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§4.3: ``+CGATT: <state>``."""
    if len(f) != 1:
        return None
    return cell.AttachState(raw=raw, line=line, state=_int(f[0]))


def _cops(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§7.2: ``+COPS: <mode>[,<format>,<oper>][,<AcT>]`` (the example prints
    ``+COPS: 0,2,"46000", 9``)."""
    if not 1 <= len(f) <= 4:
        return None
    if len(f) == 2:  # <mode>,<AcT>: no operator selected
        return cell.OperatorStatus(raw=raw, line=line, mode=_int(f[0]), act=_opt_num(f, 1))
    return cell.OperatorStatus(
        raw=raw,
        line=line,
        mode=_int(f[0]),
        format=_opt_num(f, 1),
        oper=_opt_text(f, 2),
        act=_opt_num(f, 3),
    )


def _cgdcont(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§5.4: ``+CGDCONT: <cid>,<PDP_type>,<APN>[,<PDP_addr>[,...]]``."""
    if len(f) < 2:
        return None
    return cell.PdpContextDef(
        raw=raw,
        line=line,
        cid=_int(f[0]),
        pdp_type=f[1].text.strip(),
        apn=_opt_text(f, 2) or "",
        address=_opt_text(f, 3) or "",
    )


def _cfun(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§9.3: ``+CFUN: <fun>``."""
    if len(f) != 1:
        return None
    return cell.FunctionalityLevel(raw=raw, line=line, fun=_int(f[0]))


def _qeng(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§4.8: the serving cell (``+QENG: 0,...``, 14 fields), a neighbour cell
    (``+QENG: 1,...``) and the PLMN state (``+QENG: 4,...``); the Tx/Rx times
    (``+QENG: 3,...``) stay a generic line."""
    if not f:
        return None
    mode = _int(f[0])
    if mode == 0 and len(f) == 14:
        return cell.QengServingCell(
            raw=raw,
            line=line,
            earfcn=_opt_num(f, 1),
            earfcn_offset=_opt_num(f, 2),
            pci=_opt_num(f, 3),
            cell_id=_opt_text(f, 4),
            rsrp=_opt_num(f, 5),
            rsrq=_opt_num(f, 6),
            rssi=_opt_num(f, 7),
            sinr=_opt_num(f, 8),
            band=_opt_num(f, 9),
            tac=_opt_text(f, 10),
            ecl=_opt_num(f, 11),
            tx_power=_opt_num(f, 12),
            operation_mode=_opt_num(f, 13),
        )
    if mode == 1 and len(f) == 5:
        return cell.QengNeighbourCell(
            raw=raw,
            line=line,
            earfcn=_opt_num(f, 1),
            pci=_opt_num(f, 2),
            rsrp=_opt_num(f, 3),
            rsrq=_opt_num(f, 4),
        )
    if mode == 4 and len(f) == 6:
        return cell.QengPlmnState(
            raw=raw,
            line=line,
            emm_state=f[1].text,
            emm_mode=f[2].text,
            plmn_state=f[3].text,
            plmn_type=f[4].text,
            select_plmn=f[5].text,
        )
    return None


def _cpsms(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§9.4: ``+CPSMS: <mode>,,,<requested_periodic_TAU>,<requested_active_time>``."""
    if not f or len(f) > 5:
        return None
    return cell.PsmSetting(
        raw=raw,
        line=line,
        mode=_int(f[0]),
        requested_periodic_tau=_opt_text(f, 3),
        requested_active_time=_opt_text(f, 4),
    )


def _cedrxs(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
    """§9.1: ``+CEDRXS: <AcT_type>,<requested_eDRX_value>``."""
    if not 1 <= len(f) <= 2:
        return None
    return cell.EdrxSetting(raw=raw, line=line, act_type=_int(f[0]), requested=_opt_text(f, 1))


def _edrx_dynamic(name: str) -> Handler:
    """§9.2 ``+CEDRXRDP:`` and §9.1 ``+CEDRXP:``: ``<AcT_type>[,<requested_eDRX_value>
    [,<NW_provided_eDRX_value>[,<paging_time_window>]]]``."""

    def handler(raw: bytes, line: bytes, body: str, f: list[Arg]) -> ev.Event | None:
        if not 1 <= len(f) <= 4:
            return None
        return cell.EdrxDynamic(
            raw=raw,
            line=line,
            name=name,
            act_type=_int(f[0]),
            requested=_opt_text(f, 1),
            provided=_opt_text(f, 2),
            ptw=_opt_text(f, 3),
        )

    return handler


HANDLERS: dict[str, Handler] = {
    "+CGSN": _cgsn,
    "+QCCID": _qccid,
    "+CGATT": _cgatt,
    "+COPS": _cops,
    "+CGDCONT": _cgdcont,
    "+CFUN": _cfun,
    "+QENG": _qeng,
    "+CPSMS": _cpsms,
    "+CEDRXS": _cedrxs,
    "+CEDRXRDP": _edrx_dynamic("+CEDRXRDP"),
    "+CEDRXP": _edrx_dynamic("+CEDRXP"),
}

__all__ = ["HANDLERS"]
