"""The Module pane's content, as rows of words: each field labelled in plain words,
its value decoded, and where it came from (the command and the time). One pure
function of a :class:`~app.model.state.ModuleState` and the time, shared by the
console's pane, the viewer's pane and the report's header summary, and tested
without a UI. Sections follow the AT Commands Manual V1.4 (§ in the comments).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from app.model import render
from app.model.details import ModuleDetails, Source
from app.model.state import ModuleState
from app.protocol import decode

#: Styles a row may ask for (the pane maps them to colours).
GOOD, WARN, BAD, DIM = "good", "warn", "bad", "dim"
#: The sparkline's blocks, and the RSRP it spans (dBm): -130 is the cell edge of
#: the deepest coverage class, -60 a strong cell.
BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_LOW, SPARK_HIGH = -130.0, -60.0
SPARK_WIDTH = 24
#: Readings this close in time are one read (the pane's reads go out together).
SAME_READ_S = 5.0


class Row(msgspec.Struct, frozen=True):
    label: str
    value: str
    source: Source | None = None
    style: str = ""


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)

    def add(self, label: str, value: str, source: Source | None = None, style: str = "") -> None:
        self.rows.append(Row(label, value, source, style))


class Reach(msgspec.Struct, frozen=True):
    """When the module can next be reached from the network, in words. ``until``:
    when that changes by itself (a countdown's end), if it does."""

    text: str
    style: str
    until: float | None = None


def clock(wall: float) -> str:
    """``HH:MM:SS`` (the log's clock, so tests that pin it pin this too)."""
    return render.stamp(wall)[:8]


def masked(value: str) -> str:
    """An identifier for a demo: every digit but the last four hidden."""
    keep = 4 if len(value) > 8 else 0
    return "•" * (len(value) - keep) + value[len(value) - keep :]


def sparkline(values: Iterable[float], width: int = SPARK_WIDTH) -> str:
    """The last ``width`` values as blocks from -130 dBm (▁) to -60 dBm (█)."""
    points = list(values)[-width:]
    span = SPARK_HIGH - SPARK_LOW
    out = []
    for v in points:
        level = (min(max(v, SPARK_LOW), SPARK_HIGH) - SPARK_LOW) / span
        out.append(BLOCKS[min(len(BLOCKS) - 1, int(level * len(BLOCKS)))])
    return "".join(out)


# -- what the radio says -------------------------------------------------------------


class Radio(msgspec.Struct, frozen=True):
    """The serving cell's measurements, each from the best source there is:
    AT+QENG=0 (dBm/dB as printed, §4.8), else AT+CESQ (§4.2), else AT+CSQ (§4.7)."""

    rsrp: float | None = None
    rsrp_source: Source | None = None
    rsrq: float | None = None
    rsrq_source: Source | None = None
    sinr: float | None = None
    rssi: float | None = None
    rssi_source: Source | None = None
    #: AT+CESQ <rsrp> 0: below -140 dBm.
    rsrp_below: bool = False

    @property
    def rating(self) -> decode.Rating:
        return decode.rate_signal(self.rsrp, self.rsrq, self.sinr)


def radio(state: ModuleState) -> Radio:
    d = state.details
    qeng, cesq, csq = d.serving, state.cesq, state.csq
    qeng_src, cesq_src, csq_src = d.source("cell"), d.source("cesq"), d.source("csq")
    # AT+QENG=0 prints dBm and dB exactly; AT+CESQ only steps (§4.2). The same read
    # has both: AT+CESQ wins only when it is clearly newer.
    use_qeng = qeng is not None and (
        cesq is None
        or cesq_src is None
        or qeng_src is None
        or qeng_src.wall >= cesq_src.wall - SAME_READ_S
    )
    rsrp = rsrq = sinr = rssi = None
    rsrp_src = rsrq_src = rssi_src = None
    below = False
    if use_qeng and qeng is not None:
        rsrp = None if qeng.rsrp is None else float(qeng.rsrp)
        rsrq = None if qeng.rsrq is None else float(qeng.rsrq)
        sinr = None if qeng.sinr is None else float(qeng.sinr)
        rssi = None if qeng.rssi is None else float(qeng.rssi)
        rsrp_src = rsrq_src = rssi_src = qeng_src
    if rsrp is None and cesq is not None and cesq.rsrp_dbm is not None:
        rsrp, rsrp_src, below = float(cesq.rsrp_dbm), cesq_src, cesq.rsrp == 0
    if rsrq is None and cesq is not None and cesq.rsrq_db is not None:
        rsrq, rsrq_src = cesq.rsrq_db, cesq_src
    if rssi is None and csq is not None and csq.dbm is not None:
        rssi, rssi_src = float(csq.dbm), csq_src
    if sinr is None and qeng is not None and qeng.sinr is not None:
        sinr = float(qeng.sinr)  # only AT+QENG=0 measures it
    return Radio(rsrp, rsrp_src, rsrq, rsrq_src, sinr, rssi, rssi_src, below)


def _granted(state: ModuleState) -> tuple[decode.Timer | None, decode.Timer | None]:
    """(T3324, T3412) as the network last granted them (+CEREG n=4/5, §4.1)."""
    if state.psm_timers is None:
        return None, None
    active, periodic = state.psm_timers
    return decode.decode_t3324(active), decode.decode_t3412(periodic)


def reachability(state: ModuleState, now: float) -> Reach:
    """Whether the network can reach the module now, and if not, when next: RRC
    connected; idle and pageable (DRX, eDRX) until T3324 runs out; in PSM until
    T3412 brings it back for its periodic TAU (§4.1, §9.4, 3GPP TS 23.682)."""
    d = state.details
    if not state.registered:
        if state.cereg is None:
            return Reach("not known (the registration is not read yet)", DIM)
        return Reach("no: not registered", BAD)
    if state.rrc_connected:
        return Reach("now (RRC connected)", GOOD)
    t3324, t3412 = _granted(state)
    period = t3412.seconds if t3412 is not None else None
    active = t3324.seconds if t3324 is not None else None
    if state.psm or state.deep_sleep:
        wake: float | None = None
        if d.idle_since is not None and period is not None:
            wake = d.idle_since + period
        elif d.psm_since is not None and period is not None and active is not None:
            wake = d.psm_since + period - active
        if wake is None:
            return Reach(
                "not now (in PSM): at its next periodic TAU (T3412 not known), or when it sends",
                WARN,
            )
        if wake > now:
            return Reach(
                f"in {decode.countdown_text(wake - now)} (in PSM until the periodic TAU, "
                f"T3412, at {clock(wake)}; or when it sends)",
                WARN,
                wake,
            )
        return Reach("not now (in PSM): its periodic TAU (T3412) is due", WARN)
    if active is not None and d.idle_since is not None:
        psm_at = d.idle_since + active
        if now < psm_at:
            return Reach(
                f"yes, for {decode.countdown_text(psm_at - now)} more "
                "(T3324 active time), then PSM",
                GOOD,
                psm_at,
            )
        if period is not None and d.idle_since + period > now:
            wake = d.idle_since + period
            return Reach(
                f"in {decode.countdown_text(wake - now)} (in PSM since about {clock(psm_at)} "
                f"until the periodic TAU at {clock(wake)})",
                WARN,
                wake,
            )
    if active is not None:
        return Reach(f"yes, idle: PSM after {decode.duration_text(active)} idle (T3324)", GOOD)
    edrx = d.edrx
    if edrx is not None and edrx.in_use:
        act = edrx.act_type or decode.ACT_NB_S1
        cycle = decode.decode_edrx(edrx.provided, act)
        ptw = decode.decode_ptw(edrx.ptw, act)
        return Reach(f"yes, idle: paged every {cycle.text} (eDRX), window {ptw.text}", GOOD)
    return Reach("yes, idle: paged every DRX cycle", GOOD)


# -- the sections ----------------------------------------------------------------------


def _identity(state: ModuleState, mask: bool) -> Section:
    d = state.details
    sec = Section("Identity")

    def value(key: str, text: str | None, secret: bool = False) -> None:
        label = {
            "model": "Model",
            "firmware": "Firmware",
            "imei": "IMEI",
            "imsi": "IMSI (SIM)",
            "iccid": "ICCID (SIM)",
        }[key]
        failure = d.failures.get(key)
        if text is None:
            if failure:
                sec.add(label, f"not read: {failure}", d.source(key), WARN)
            else:
                sec.add(label, "not read yet", None, DIM)
            return
        shown = masked(text) if secret and mask else text
        sec.add(label, shown, d.source(key))

    value("model", d.model)
    value("firmware", d.firmware)
    value("imei", d.imei, True)
    value("imsi", d.imsi, True)
    value("iccid", d.iccid, True)
    return sec


def _registration(state: ModuleState) -> Section:
    d = state.details
    reg = state.registration
    src = d.source("registration")
    sec = Section("Registration")
    if reg is None or reg.stat is None:
        failure = d.failures.get("registration")
        sec.add(
            "Status",
            f"not read: {failure}" if failure else "not read yet",
            src,
            WARN if failure else DIM,
        )
    else:
        style = GOOD if reg.registered else BAD if reg.stat in (0, 3) else WARN
        sec.add("Status", decode.stat_words(reg.stat), src, style)
        if reg.reject_cause is not None:
            sec.add("Reject cause", decode.reject_words(reg.cause_type, reg.reject_cause), src, BAD)
        elif d.cereg_n in (3, 5):
            sec.add("Reject cause", "none", src)
    cell = d.serving
    tac, tac_src = (reg.tac, src) if reg is not None and reg.tac else (None, None)
    if tac is None and cell is not None and cell.tac:
        tac, tac_src = cell.tac, d.source("cell")
    ci, ci_src = (reg.ci, src) if reg is not None and reg.ci else (None, None)
    if ci is None and cell is not None and cell.cell_id:
        ci, ci_src = cell.cell_id, d.source("cell")
    if tac is not None:
        number = decode.hex_number(tac)
        sec.add("Tracking area", tac + (f" ({number})" if number is not None else ""), tac_src)
    if ci is not None:
        number = decode.hex_number(ci)
        sec.add("Cell ID", ci + (f" ({number})" if number is not None else ""), ci_src)
    act, act_src = (reg.act, src) if reg is not None and reg.act is not None else (None, None)
    if act is None and d.operator is not None and d.operator.act is not None:
        act, act_src = d.operator.act, d.source("operator")
    if act is not None:
        sec.add("Access technology", decode.act_words(act), act_src)
    if d.attach is not None:
        sec.add(
            "Packet attach",
            d.attach.words,
            d.source("attach"),
            GOOD if d.attach.state == 1 else BAD,
        )
    elif "attach" in d.failures:
        sec.add("Packet attach", f"not read: {d.failures['attach']}", d.source("attach"), WARN)
    op = d.operator
    if op is not None:
        mode = _word(decode.COPS_MODE_WORDS, op.mode, "mode")
        name = f"{op.oper} ({mode} selection)" if op.oper else f"none selected ({mode})"
        sec.add("Operator", name, d.source("operator"), "" if op.oper else WARN)
    for cid, ctx in sorted(d.contexts.items()):
        words = f"{ctx.pdp_type or '?'}, APN {ctx.apn or '(from the subscription)'}"
        if ctx.address:
            words += f", {ctx.address}"
        sec.add(f"PDP context {cid}", words, d.source("pdp"))
    if state.ip is not None:
        sec.add("IP address", state.ip, d.source("address"), GOOD)
    elif reg is not None and reg.stat is not None:
        sec.add("IP address", "none", d.source("address"), WARN)
    if d.functionality is not None and d.functionality.fun is not None:
        fun = d.functionality.fun
        sec.add(
            "Functionality",
            decode.CFUN_WORDS.get(fun, f"CFUN {fun}"),
            d.source("cfun"),
            GOOD if fun == 1 else BAD,
        )
    return sec


def _radio(state: ModuleState) -> Section:
    d = state.details
    r = radio(state)
    sec = Section("Radio")
    rating = r.rating
    style = {"strong": GOOD, "medium": WARN, "weak": BAD}.get(rating.level, DIM)
    if rating.level == "unknown":
        sec.add("Quality", "not read yet", None, DIM)
    else:
        sec.add("Quality", f"{rating.words} ({rating.why})", r.rsrp_source, style)
    history = [dbm for _, dbm in d.rsrp_history]
    if history:
        low, high = min(history), max(history)
        spread = f"{low:g} dBm" if low == high else f"{low:g} to {high:g} dBm"
        plural = "s" if len(history) != 1 else ""
        sec.add(
            "RSRP history",
            f"{sparkline(history)}  {spread}, {len(history)} read{plural}",
            None,
            style,
        )
    if r.rsrp is not None:
        sec.add("RSRP", f"{'<' if r.rsrp_below else ''}{r.rsrp:g} dBm", r.rsrp_source, style)
    if r.rsrq is not None:
        sec.add("RSRQ", f"{r.rsrq:g} dB", r.rsrq_source)
    if r.sinr is not None:
        sec.add("SINR", f"{r.sinr:g} dB", d.source("cell"))
    if r.rssi is not None:
        sec.add("RSSI", f"{r.rssi:g} dBm", r.rssi_source)
    cell = d.serving
    src = d.source("cell")
    if cell is not None:
        if cell.earfcn is not None:
            offset = decode.earfcn_offset_words(cell.earfcn_offset)
            sec.add("EARFCN", f"{cell.earfcn} (offset {offset})", src)
        if cell.pci is not None:
            sec.add("Physical cell ID", str(cell.pci), src)
        if cell.band is not None:
            mode = _word(decode.OPERATION_MODE_WORDS, cell.operation_mode, "operation mode")
            sec.add("Band", f"B{cell.band}" + (f", {mode}" if mode else ""), src)
        sec.add("Coverage level", decode.ecl_words(cell.ecl), src)
        power = decode.tx_power_dbm(cell.tx_power)
        if power is not None:
            sec.add("TX power", f"{power} dBm", src)
        elif cell.tx_power is None:
            sec.add("TX power", "not given", src)
        else:  # §4.8: 128 (-128) is invalid: nothing is being sent
            sec.add("TX power", f"none (not sending: {cell.tx_power})", src)
        if d.neighbours:
            near = ", ".join(
                f"PCI {n.pci} {n.rsrp} dBm" for n in d.neighbours[:3] if n.pci is not None
            )
            sec.add("Neighbour cells", f"{len(d.neighbours)}: {near}", src)
    elif "cell" in d.failures:
        sec.add("Serving cell", f"not read: {d.failures['cell']}", src, WARN)
    if state.cesq is not None:
        c = state.cesq
        sec.add("CESQ", f"rsrp {c.rsrp}, rsrq {c.rsrq} (indexes, §4.2)", d.source("cesq"), DIM)
    if state.csq is not None:
        q = state.csq
        dbm = q.dbm
        words = f"{q.rssi} ({dbm} dBm)" if dbm is not None else f"{q.rssi} (not known)"
        sec.add("CSQ", words, d.source("csq"), DIM)
    return sec


def _power(state: ModuleState, now: float) -> Section:
    d = state.details
    sec = Section("Power saving")
    reach = reachability(state, now)
    sec.add("Reachable", reach.text, None, reach.style)
    if state.rrc_connected is not None:
        words = "connected" if state.rrc_connected else "idle"
        if not state.rrc_connected and d.idle_since is not None:
            words += f" since {clock(d.idle_since)}"
        sec.add("RRC", words, d.source("rrc"))
    if state.deep_sleep:
        sec.add("Sleep", "deep sleep", d.source("psm_event"), WARN)
    elif state.psm:
        sec.add("Sleep", "in PSM", d.source("psm_event"), WARN)
    setting = d.psm_setting
    if setting is not None:
        if setting.mode == 1:
            words = f"yes: T3412 {_timer(setting.t3412)}, T3324 {_timer(setting.t3324)}"
        else:
            words = _word(decode.PSM_MODE_WORDS, setting.mode, "mode")
        sec.add("PSM requested", words, d.source("cpsms"))
    t3324, t3412 = _granted(state)
    granted_src = d.source("psm_timers")
    if t3324 is None or t3412 is None:
        if d.cereg_n is not None and d.cereg_n < 4:
            why = f"not reported at AT+CEREG={d.cereg_n} (4 or 5 reports it)"
        else:
            why = "not reported yet (+CEREG with n=4 or 5 carries it)"
        sec.add("PSM granted", why, None, DIM)
    else:
        if t3324.seconds is not None:
            sec.add("PSM granted", "yes", granted_src, GOOD)
        else:
            sec.add("PSM granted", f"no (T3324 {t3324.text})", granted_src, WARN)
        sec.add("Active time", f"T3324 {_timer(t3324)}", granted_src)
        sec.add("Periodic TAU", f"T3412 {_timer(t3412)}", granted_src)
    if d.edrx_setting is not None:
        act = d.edrx_setting.act_type or decode.ACT_NB_S1
        cycle = decode.decode_edrx(d.edrx_setting.requested, act)
        sec.add("eDRX requested", f"{cycle.text} ({cycle.bits})", d.source("cedrxs"))
    if d.edrx is not None:
        e = d.edrx
        if e.in_use:
            act = e.act_type or decode.ACT_NB_S1
            cycle = decode.decode_edrx(e.provided, act)
            ptw = decode.decode_ptw(e.ptw, act)
            words = f"{cycle.text} ({cycle.bits}), paging window {ptw.text} ({ptw.bits})"
            sec.add("eDRX in use", words, d.source("edrx"), GOOD)
        else:
            sec.add("eDRX in use", "no (the cell does not use eDRX)", d.source("edrx"))
    for event in reversed(d.power_events):
        sec.add("Event", event.event, event)
    sec.add("URCs", _urcs(d), None, DIM)
    return sec


def _word(words: dict[int, str], value: int | None, name: str) -> str:
    """``value`` in words; a value the manual does not list is named, not guessed."""
    if value is None:
        return f"{name} not given"
    return words.get(value, f"{name} {value}")


def _timer(timer: decode.Timer) -> str:
    return f"{timer.text} ({timer.bits})" if timer.ok else timer.text


def _urcs(d: ModuleDetails) -> str:
    """Which URCs keep the pane current between reads (§4.1, §4.6, §9.8)."""

    def mode(n: int | None) -> str:
        return "?" if n is None else str(n)

    psm = "?" if d.psm_events_on is None else ("on" if d.psm_events_on else "off")
    return f"CEREG n={mode(d.cereg_n)}, CSCON n={mode(d.cscon_n)}, PSM events {psm}"


def glance(state: ModuleState, now: float) -> Row:
    """One line that answers "can a socket open now?": registration, signal,
    reachability."""
    parts = []
    style = GOOD
    if state.cereg is not None:
        parts.append(decode.stat_words(state.cereg))
        if not state.registered:
            style = BAD
    rating = radio(state).rating
    if rating.level != "unknown":
        parts.append(f"signal {rating.level}")
        if rating.level == "weak" and style == GOOD:
            style = WARN
    reach = reachability(state, now)
    if state.registered:
        parts.append(f"reachable: {reach.text}")
        if reach.style == WARN and style == GOOD:
            style = WARN
    if not parts:
        return Row("", "nothing read yet", None, DIM)
    return Row("", " · ".join(parts), None, style)


def module_sections(state: ModuleState, now: float, *, mask: bool = False) -> list[Section]:
    """The pane's sections, most useful first: registration, radio, power saving,
    identity."""
    return [_registration(state), _radio(state), _power(state, now), _identity(state, mask)]


def summary_rows(state: ModuleState) -> list[tuple[str, str]]:
    """The module as the report's header sums it up (the state at the end of the
    capture or slice): registration, signal, power saving, for what was read.
    The labels are short: the header's column stays as wide as it was."""
    rows: list[tuple[str, str]] = []
    d = state.details
    reg = state.registration
    if reg is not None and reg.stat is not None:
        words = [decode.stat_words(reg.stat)]
        if reg.reject_cause is not None:
            words.append("reject cause " + decode.reject_words(reg.cause_type, reg.reject_cause))
        cell = d.serving
        tac = reg.tac or (cell.tac if cell is not None else None)
        ci = reg.ci or (cell.cell_id if cell is not None else None)
        if tac:
            words.append(f"TAC {tac}")
        if ci:
            words.append(f"cell {ci}")
        if reg.act is not None:
            words.append(decode.act_words(reg.act))
        if d.operator is not None and d.operator.oper:
            words.append(f"operator {d.operator.oper}")
        if d.attach is not None:
            words.append(d.attach.words)
        rows.append(("Network", "; ".join(words)))
    r = radio(state)
    if r.rsrp is not None:
        parts = [f"RSRP {r.rsrp:g} dBm"]
        if r.rsrq is not None:
            parts.append(f"RSRQ {r.rsrq:g} dB")
        if r.sinr is not None:
            parts.append(f"SINR {r.sinr:g} dB")
        text = f"{r.rating.level} ({', '.join(parts)})"
        history = [dbm for _, dbm in d.rsrp_history]
        if len(history) > 1:
            text += f"; RSRP {min(history):g} to {max(history):g} dBm in {len(history)} reads"
        rows.append(("Signal", text))
    elif r.rssi is not None:
        rows.append(("Signal", f"RSSI {r.rssi:g} dBm (AT+CSQ)"))
    power: list[str] = []
    if d.psm_setting is not None:
        s = d.psm_setting
        power.append(
            f"PSM requested (T3412 {s.t3412.text}, T3324 {s.t3324.text})"
            if s.mode == 1
            else "PSM not requested"
        )
    t3324, t3412 = _granted(state)
    if t3324 is not None and t3412 is not None:
        power.append(f"granted T3324 {t3324.text}, T3412 {t3412.text}")
    if d.edrx is not None:
        e = d.edrx
        if e.in_use:
            act = e.act_type or decode.ACT_NB_S1
            power.append(
                f"eDRX {decode.decode_edrx(e.provided, act).text}, "
                f"paging window {decode.decode_ptw(e.ptw, act).text}"
            )
        else:
            power.append("no eDRX")
    if d.psm_entries:
        times = "once" if d.psm_entries == 1 else f"{d.psm_entries} times"
        power.append(f"entered PSM {times}")
    if power:
        rows.append(("PSM, eDRX", "; ".join(power)))
    return rows


__all__ = [
    "BAD",
    "DIM",
    "GOOD",
    "WARN",
    "Radio",
    "Reach",
    "Row",
    "Section",
    "clock",
    "glance",
    "masked",
    "module_sections",
    "radio",
    "reachability",
    "sparkline",
    "summary_rows",
]
