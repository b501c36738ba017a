"""What the Module pane shows beyond the header: the module's identity, its network,
its serving cell and its power saving, each value with where it came from.

:class:`ModuleDetails` lives in :class:`~app.model.state.ModuleState` (its
``details``) and is fed the same link events, before the state's own rules see
them (so it can tell a change, e.g. RRC connected -> idle, from a repeat). The
registration, signal, RRC and PSM flags the header shows stay in ModuleState;
this keeps what only the pane needs, and for every value a :class:`Source`:
the command that read it (or "URC") and the time it came. Pure: no Textual.

AT Commands Manual V1.4 sections: identity §2.1-2.5, §8.4, §8.11; network §4.1,
§4.3, §4.4, §5.4, §7.2; cell §4.2, §4.7, §4.8; power §4.6, §9.1-9.4, §9.8.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from app.link.results import (
    CommandFinished,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Role,
    Rx,
    Tx,
    TxKind,
)
from app.protocol import cellular as cell
from app.protocol import events as ev

if TYPE_CHECKING:
    from app.link.results import LinkEvent
    from app.model.state import ModuleState

#: RSRP readings kept for the sparkline (one per read; two reads closer than
#: :data:`SAMPLE_MERGE_S` count as one).
RSRP_HISTORY = 120
SAMPLE_MERGE_S = 2.0
#: Sleep and wake events kept (+QNBIOTEVENT, reboots).
POWER_EVENTS = 8
#: Command lines remembered by id until their answers came (more is a leak).
_LINE_MEMORY = 64


class Source(msgspec.Struct, frozen=True):
    """Where a value came from: the command line that read it (``AT+QENG=0``) or
    ``+CEREG URC``, and the wall-clock time it came. For an event, ``event`` says
    what happened ("entered PSM")."""

    what: str
    wall: float
    event: str = ""


@dataclass
class ModuleDetails:
    # -- identity (§2.1-2.5, §8.4, §8.11)
    model: str | None = None
    firmware: str | None = None
    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    # -- network (§4.3, §5.4, §7.2, §9.3)
    attach: cell.AttachState | None = None
    operator: cell.OperatorStatus | None = None
    contexts: dict[int, cell.PdpContextDef] = field(default_factory=dict)
    functionality: cell.FunctionalityLevel | None = None
    # -- serving cell (§4.8)
    serving: cell.QengServingCell | None = None
    neighbours: list[cell.QengNeighbourCell] = field(default_factory=list)
    plmn: cell.QengPlmnState | None = None
    # -- power saving (§9.1, §9.2, §9.4, §9.8)
    psm_setting: cell.PsmSetting | None = None
    edrx_setting: cell.EdrxSetting | None = None
    edrx: cell.EdrxDynamic | None = None
    #: The URC modes as last read: AT+CEREG <n>, AT+CSCON <n>, AT+QNBIOTEVENT <enable>.
    cereg_n: int | None = None
    cscon_n: int | None = None
    psm_events_on: bool | None = None
    #: When RRC last went idle (T3324 and T3412 run from then) and when the module
    #: said it entered PSM; None when not known or no longer true.
    idle_since: float | None = None
    psm_since: float | None = None
    #: (wall, dBm) per RSRP reading, oldest first.
    rsrp_history: deque[tuple[float, float]] = field(
        default_factory=lambda: deque(maxlen=RSRP_HISTORY)
    )
    #: Sleep and wake events the module reported, oldest first (the last few).
    power_events: deque[Source] = field(default_factory=lambda: deque(maxlen=POWER_EVENTS))
    #: How many times the module said it entered PSM.
    psm_entries: int = 0
    #: Where each value came from, by key ("registration", "cell", "imei"...).
    sources: dict[str, Source] = field(default_factory=dict)
    #: Why the last read of a key failed ("+CME ERROR: 10 SIM not inserted").
    failures: dict[str, str] = field(default_factory=dict)
    _lines: dict[int, str] = field(default_factory=dict)
    _wall: float = 0.0

    # ------------------------------------------------------------------ API

    def apply(self, item: LinkEvent, state: ModuleState) -> bool:
        """Fold one link event in (``state`` as it was before it); True when
        something the pane shows changed."""
        if isinstance(item, Tx):
            self._wall = item.wall
            if item.what is TxKind.COMMAND and item.command_id is not None:
                self._lines[item.command_id] = item.data.decode("utf-8", "replace").strip()
                if len(self._lines) > _LINE_MEMORY:
                    del self._lines[next(iter(self._lines))]
            return False
        if isinstance(item, Rx):
            self._wall = item.wall
            return self._rx(item, state)
        if isinstance(item, CommandFinished):
            return self._finished(item)
        if isinstance(item, ModuleIdentity):
            return self._identity(item)
        if isinstance(item, ModuleRebooted):
            self._rebooted()
            return True
        return False

    def source(self, key: str) -> Source | None:
        return self.sources.get(key)

    # ------------------------------------------------------------ internals

    def _from(self, rx: Rx) -> Source:
        if rx.role is Role.URC:
            name = rx.event.text.split(":", 1)[0].strip()
            return Source(f"{name} URC", rx.wall)
        line = self._lines.get(rx.command_id) if rx.command_id is not None else None
        return Source(line or "an answer", rx.wall)

    def _rx(self, rx: Rx, state: ModuleState) -> bool:
        event = rx.event
        key = _KEYS.get(type(event))
        if key is None:
            return False
        src = self._from(rx)
        if isinstance(event, ev.CeregStatus):
            if event.n is not None:
                self.cereg_n = event.n
            if event.active_time is not None or event.periodic_tau is not None:
                self.sources["psm_timers"] = src  # the timers the network granted
        elif isinstance(event, ev.CsconStatus):
            if event.n is not None:
                self.cscon_n = event.n
            if event.mode == 0 and state.rrc_connected is not False:
                # Connected (or not known) -> idle: the timers start now. A read
                # that finds it idle after an unknown stretch says only "by now".
                self.idle_since = rx.wall if rx.role is Role.URC or state.rrc_connected else None
            elif event.mode == 1:
                self.idle_since = self.psm_since = None
        elif isinstance(event, ev.QNbiotEvent):
            if event.event_value is None:
                self.psm_events_on = event.enable == 1
            else:
                self._power_event(event.event_value, rx.wall)
        elif isinstance(event, ev.CesqReport | ev.CsqReport):
            if isinstance(event, ev.CesqReport) and event.rsrp_dbm is not None:
                self._sample(rx.wall, event.rsrp_dbm)
        elif isinstance(event, ev.PdpAddress | ev.IpAddress):
            pass  # the address itself is ModuleState's; here only where it came from
        elif not self._cellular(event, rx.wall):
            return False
        self.sources[key] = src
        self.failures.pop(key, None)
        return True

    def _cellular(self, event: ev.Event, wall: float) -> bool:
        if isinstance(event, cell.SerialNumber):
            self.imei = event.value
        elif isinstance(event, cell.IccidReport):
            self.iccid = event.iccid
        elif isinstance(event, cell.AttachState):
            self.attach = event
        elif isinstance(event, cell.OperatorStatus):
            self.operator = event
        elif isinstance(event, cell.PdpContextDef):
            if event.cid is not None:
                self.contexts[event.cid] = event
        elif isinstance(event, cell.FunctionalityLevel):
            self.functionality = event
        elif isinstance(event, cell.QengServingCell):
            self.serving = event
            self.neighbours = []
            if event.rsrp is not None:
                self._sample(wall, float(event.rsrp))
        elif isinstance(event, cell.QengNeighbourCell):
            self.neighbours.append(event)
        elif isinstance(event, cell.QengPlmnState):
            self.plmn = event
        elif isinstance(event, cell.PsmSetting):
            self.psm_setting = event
        elif isinstance(event, cell.EdrxSetting):
            self.edrx_setting = event
        elif isinstance(event, cell.EdrxDynamic):
            self.edrx = event
        else:
            return False
        return True

    def _power_event(self, value: str, wall: float) -> None:
        """+QNBIOTEVENT (§9.8, §11.1.6): kept for the pane's list of events."""
        upper = value.strip().upper()
        if upper == "ENTER PSM":
            self.psm_since = wall
            self.psm_entries += 1
        elif upper == "EXIT PSM":
            self.psm_since = self.idle_since = None
        words = _EVENT_WORDS.get(upper, value)
        self.power_events.append(Source("+QNBIOTEVENT URC", wall, words))

    def _sample(self, wall: float, dbm: float) -> None:
        history = self.rsrp_history
        if history and wall - history[-1][0] < SAMPLE_MERGE_S:
            history[-1] = (wall, dbm)  # one read (AT+QENG=0 and AT+CESQ together)
        else:
            history.append((wall, dbm))

    def _finished(self, item: CommandFinished) -> bool:
        """Answers without a +NAME: of their own (AT+CIMI, AT+CGMM, AT+CGMR, ATI)
        are read from the finished command, and failed reads are remembered."""
        result = item.result
        key = result.command.key
        self._lines.pop(result.command_id, None)
        target = _TEXT_ANSWERS.get(key) or _READ_KEYS.get(key)
        if target is None:
            return False
        line = result.command.line
        if result.outcome is not Outcome.OK:
            if result.outcome in (Outcome.CANCELLED, Outcome.NOT_SENT):
                return False
            final = result.final.text if result.final is not None else ""
            self.failures[target] = final or result.detail or result.outcome.value
            return True
        if key not in _TEXT_ANSWERS:
            if not result.lines:
                # OK alone: nothing to show (AT+QCCID without a card, §8.11).
                self.failures[target] = "answered OK with nothing"
                return True
            return False
        texts = [e.text.strip() for e in result.lines if isinstance(e, ev.TextLine)]
        if key == "ati":
            return self._identity(
                ModuleIdentity(
                    " ".join(t for t in texts if not t.startswith("Revision")),
                    next((_revision(t) for t in texts if t.startswith("Revision")), ""),
                ),
                line,
            )
        value = next((t for t in texts if t), None)
        if value is None:
            self.failures[target] = "answered OK with nothing"
            return True
        if key == "cgmr":
            self.firmware = _revision(value)
        elif key == "cgmm":
            self.model = value
        elif key == "cimi":
            self.imsi = value
        elif key == "cgsn.exec":
            self.imei = value
        self.sources[target] = Source(line, self._wall)
        self.failures.pop(target, None)
        return True

    def _identity(self, identity: ModuleIdentity, line: str = "ATI") -> bool:
        words = identity.identity.split()
        if words:
            self.model = words[-1]
            self.sources["model"] = Source(line, self._wall)
        if identity.revision:
            self.firmware = identity.revision
            self.sources["firmware"] = Source(line, self._wall)
        return bool(words or identity.revision)

    def _rebooted(self) -> None:
        """RDY: what the network gave is gone; settings saved to NVRAM (PSM, eDRX,
        URC modes) and the identity stay."""
        self.attach = self.operator = self.serving = self.plmn = self.edrx = None
        self.functionality = None
        self.contexts.clear()
        self.neighbours = []
        self.idle_since = self.psm_since = None
        for key in ("attach", "operator", "pdp", "cell", "edrx", "cfun", "address"):
            self.sources.pop(key, None)
        self.power_events.append(Source("RDY", self._wall, "module rebooted"))


def about_the_module(item: LinkEvent) -> bool:
    """``item`` can change what the Module pane says about the network, the cell or
    power saving (a line it reads, or a reboot): what a summary needs to see, where
    feeding every event would cost (a report over a large capture)."""
    if isinstance(item, Rx):
        return type(item.event) in _KEYS
    return isinstance(item, ModuleRebooted)


def _revision(text: str) -> str:
    """``Revision: BC660KGLAAR01A05`` -> ``BC660KGLAAR01A05``."""
    return text.split(":", 1)[1].strip() if ":" in text else text.strip()


#: The source key of each event the pane shows.
_KEYS: dict[type[ev.Event], str] = {
    ev.CeregStatus: "registration",
    ev.CsconStatus: "rrc",
    ev.QNbiotEvent: "psm_event",
    ev.CesqReport: "cesq",
    ev.CsqReport: "csq",
    ev.PdpAddress: "address",
    ev.IpAddress: "address",
    cell.SerialNumber: "imei",
    cell.IccidReport: "iccid",
    cell.AttachState: "attach",
    cell.OperatorStatus: "operator",
    cell.PdpContextDef: "pdp",
    cell.FunctionalityLevel: "cfun",
    cell.QengServingCell: "cell",
    cell.QengNeighbourCell: "cell",
    cell.QengPlmnState: "plmn",
    cell.PsmSetting: "cpsms",
    cell.EdrxSetting: "cedrxs",
    cell.EdrxDynamic: "edrx",
}
#: Commands whose answer is a bare line (no +NAME:), by catalog key -> source key.
_TEXT_ANSWERS = {
    "ati": "model",
    "cgmm": "model",
    "cgmr": "firmware",
    "cimi": "imsi",
    "cgsn.exec": "imei",
}
#: Read commands whose failure the pane says, by catalog key -> source key.
_READ_KEYS = {
    "cgsn.write": "imei",
    "qccid": "iccid",
    "cereg.read": "registration",
    "cgatt.read": "attach",
    "cops.read": "operator",
    "cgdcont.read": "pdp",
    "cgpaddr.exec": "address",
    "cscon.read": "rrc",
    "qeng.write": "cell",
    "cesq": "cesq",
    "csq": "csq",
    "cpsms.read": "cpsms",
    "cedrxs.read": "cedrxs",
    "cedrxrdp": "edrx",
    "cfun.read": "cfun",
    "qnbiotevent.read": "psm_event",
}
#: +QNBIOTEVENT <event_value>s (§9.8, §11.1.6) in words.
_EVENT_WORDS = {
    "ENTER PSM": "entered PSM",
    "EXIT PSM": "left PSM",
    "ENTER DEEPSLEEP": "entered deep sleep",
    "EXIT DEEPSLEEP": "left deep sleep",
}


__all__ = ["POWER_EVENTS", "RSRP_HISTORY", "ModuleDetails", "Source", "about_the_module"]
