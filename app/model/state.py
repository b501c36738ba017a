"""What the console knows about the module, kept up to date from link events.

Pure: no Textual, no threads. The console feeds every batch of link events to
:meth:`ModuleState.apply` and redraws what it says changed; the panes are dumb
views of this state. Being pure, every rule below is tested without a UI.

Socket rows follow the spec: AT+QIOPEN starts a row (Connecting), ``+QIOPEN:``
settles it (§2.3.1; a failed socket stays, Initial, until AT+QICLOSE, note 3),
``+QIURC: "incoming"`` adds a TCP INCOMING row (§2.4.3), ``+QIURC: "closed"``
marks it Remote Closing (§2.4.1), ``CLOSE OK`` removes it (§2.3.2), a full
AT+QISTATE? answer is the truth (§2.3.3), and ``RDY`` empties the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.link.results import (
    CommandFinished,
    DataFormatChanged,
    DataModeChanged,
    DisplayDropped,
    LinkEvent,
    LinkState,
    LinkStatus,
    ModuleIdentity,
    ModuleRebooted,
    Outcome,
    Rx,
    Tx,
    TxKind,
)
from app.model.details import ModuleDetails
from app.protocol import events as ev
from app.protocol.commands import AtCommand, classify
from app.protocol.events import SocketState
from app.protocol.syntax import AtSyntaxError

CONNECT_IDS = range(5)


class Changed(Enum):
    SOCKETS = "sockets"  # a row came, went, or changed state
    COUNTERS = "counters"  # only byte counts moved (a flood: redraw them lazily)
    STATUS = "status"
    DATA_MODE = "data_mode"
    #: Something only the Module pane shows changed (ModuleState.details). The pane
    #: shows the header's radio too, so it redraws on STATUS as well; MODULE is
    #: said only when STATUS is not.
    MODULE = "module"


@dataclass
class SocketRow:
    connect_id: int
    service_type: str = ""
    host: str = ""
    remote_port: int = 0
    local_port: int = 0
    #: §2.3.3 <socket_state>; None until the module told us.
    state: int | None = None
    server_id: int | None = None
    #: AT+QIOPEN went out and its +QIOPEN: has not come yet.
    opening: bool = False
    #: The last +QIOPEN: result for this ID (0 = success).
    open_result: int | None = None
    #: Payload bytes this session sent and received on this socket.
    bytes_sent: int = 0
    bytes_received: int = 0
    #: From AT+QISEND=<id>,0, on demand.
    sent: int | None = None
    acked: int | None = None
    nacked: int | None = None
    #: The link dropped since the module last told us about this row.
    stale: bool = False

    @property
    def state_label(self) -> str:
        if self.opening and self.state in (None, SocketState.CONNECTING):
            return "Connecting"
        if self.state is None:
            return "?"
        try:
            return SocketState(self.state).label
        except ValueError:
            return f"state {self.state}"

    def same_socket(self, other: SocketRow) -> bool:
        """The same socket service: a local port of 0 is "any" (§2.3.1
        <local_port>), so it matches the port the module then reports."""
        ports = {self.local_port, other.local_port}
        same_local = len(ports) == 1 or 0 in ports
        return same_local and (self.service_type, self.host, self.remote_port) == (
            other.service_type,
            other.host,
            other.remote_port,
        )


def _classified(line: str) -> AtCommand | None:
    try:
        return classify(line)
    except AtSyntaxError:
        return None


@dataclass
class ModuleState:
    url: str = ""
    baudrate: int = 0
    link: LinkStatus | None = None
    identity: ModuleIdentity | None = None
    ip: str | None = None
    #: +CEREG <stat>: 1 home, 5 roaming... (AT manual V1.4 §4.1)
    cereg: int | None = None
    #: The last +CEREG line (read answer or URC), for <tac>, <ci>, the reject cause
    #: and, with n=4/5, the PSM timers the network granted.
    registration: ev.CeregStatus | None = None
    #: <Active-Time> (T3324) and <Periodic-TAU> (T3412) as the network last granted
    #: them (8-bit strings, §4.1), None until a +CEREG with n=4/5 carried them.
    psm_timers: tuple[str | None, str | None] | None = None
    #: +CSQ <rssi> (§4.7; 99 not known) and +CESQ (§4.2), the last ones read.
    csq: ev.CsqReport | None = None
    cesq: ev.CesqReport | None = None
    #: RRC: True connected, False idle, None unknown (+CSCON, §4.6).
    rrc_connected: bool | None = None
    #: Power saving, from +QNBIOTEVENT (§9.8, §11.1.6): in PSM, in deep sleep.
    psm: bool | None = None
    deep_sleep: bool = False
    send_hex: bool = False
    recv_hex: bool = False
    show_ra: bool = False
    data_mode: bool = False
    data_mode_line: str = ""
    #: In data mode, the module waits for a person to type the payload after '>'.
    awaiting_input: bool = False
    sockets: dict[int, SocketRow] = field(default_factory=dict)
    #: Payload bytes written per command id (data mode), counted on SEND OK.
    _payload: dict[int, int] = field(default_factory=dict)
    reboots: int = 0
    #: What is wrong with the capture now ("" while every record is written).
    capture_problem: str = ""
    #: The rest of what the Module pane shows, each value with its source.
    details: ModuleDetails = field(default_factory=ModuleDetails)

    # ------------------------------------------------------------------ API

    def apply(self, item: LinkEvent) -> set[Changed]:
        # The details see the state as it was before ``item`` (to tell changes).
        module = self.details.apply(item, self)
        changed = self._apply(item)
        if module and Changed.STATUS not in changed:
            changed.add(Changed.MODULE)
        return changed

    def _apply(self, item: LinkEvent) -> set[Changed]:
        if isinstance(item, Rx):
            return self._rx(item.event)
        if isinstance(item, Tx):
            return self._tx(item)
        if isinstance(item, CommandFinished):
            return self._finished(item)
        if isinstance(item, LinkStatus):
            return self._link(item)
        if isinstance(item, DataModeChanged):
            self.data_mode = item.active
            self.data_mode_line = item.line
            self.awaiting_input = item.active and item.awaiting_input
            return {Changed.DATA_MODE, Changed.STATUS}
        if isinstance(item, DataFormatChanged):
            self.send_hex, self.recv_hex, self.show_ra = item.send_hex, item.recv_hex, item.show_ra
            return {Changed.STATUS}
        if isinstance(item, ModuleIdentity):
            self.identity = item
            return {Changed.STATUS}
        if isinstance(item, DisplayDropped):
            for cid, size in item.recv_bytes.items():
                self.row(cid).bytes_received += size
            return {Changed.COUNTERS} if item.recv_bytes else set()
        if isinstance(item, ModuleRebooted):
            self.reboots += 1
            self.sockets.clear()
            self.ip = None
            self.cereg = None
            self.registration = None
            self.rrc_connected = None
            self.psm = None
            self.deep_sleep = False
            return {Changed.SOCKETS, Changed.STATUS}
        return set()

    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.state is LinkState.CONNECTED

    @property
    def dtr(self) -> bool:
        """DTR as qiterm last set it (asserted until told otherwise)."""
        return self.link is None or self.link.dtr

    @property
    def rts(self) -> bool:
        return self.link is None or self.link.rts

    @property
    def registered(self) -> bool:
        return self.cereg in (1, 5) or (self.cereg is None and self.ip is not None)

    def row(self, connect_id: int) -> SocketRow:
        return self.sockets.setdefault(connect_id, SocketRow(connect_id))

    def free_ids(self) -> list[int]:
        return [i for i in CONNECT_IDS if i not in self.sockets]

    # ------------------------------------------------------------ internals

    def _link(self, status: LinkStatus) -> set[Changed]:
        self.link = status
        self.url, self.baudrate = status.url, status.baudrate
        changed = {Changed.STATUS}
        if status.state is not LinkState.CONNECTED and self.sockets:
            for row in self.sockets.values():
                row.stale = True
            changed.add(Changed.SOCKETS)
        if status.state is not LinkState.CONNECTED:
            self.data_mode = self.awaiting_input = False
            changed.add(Changed.DATA_MODE)
        return changed

    def _tx(self, tx: Tx) -> set[Changed]:
        if tx.what is TxKind.PAYLOAD and tx.command_id is not None:
            self._payload[tx.command_id] = self._payload.get(tx.command_id, 0) + len(tx.data)
            return set()
        if tx.what is not TxKind.COMMAND:
            return set()
        cmd = _classified(tx.data.decode("utf-8", "replace").rstrip("\r"))
        if cmd is None or cmd.key != "qiopen.write":
            return set()
        v = cmd.values
        cid = v.get("connectID")
        if not isinstance(cid, int):
            return set()
        row = self.sockets.get(cid)
        if row is None or row.state is None or row.state == SocketState.INITIAL:
            row = SocketRow(
                cid,
                service_type=str(v.get("service_type") or ""),
                host=str(v.get("host") or ""),
                remote_port=int(v.get("remote_port") or 0),
                local_port=int(v.get("local_port") or 0),
            )
            self.sockets[cid] = row
        row.opening = True
        return {Changed.SOCKETS}

    def _rx(self, event: ev.Event) -> set[Changed]:
        if isinstance(event, ev.QiOpenResult):
            row = self.row(event.connect_id)
            row.open_result = event.result
            was_opening = row.opening
            row.opening = False
            if event.result == 0:
                row.state = SocketState.CONNECTED
            elif event.result == 563 and row.state not in (None, SocketState.CONNECTING):
                pass  # the ID was in use: the socket already there is unchanged
            elif was_opening or row.state is None:
                # §2.3.1 note 3: a failed socket stays until AT+QICLOSE.
                row.state = SocketState.INITIAL
            row.stale = False
            return {Changed.SOCKETS}
        if isinstance(event, ev.QiUrcClosed):
            row = self.row(event.connect_id)
            row.state = SocketState.REMOTE_CLOSING
            return {Changed.SOCKETS}
        if isinstance(event, ev.QiUrcIncoming):
            server = self.sockets.get(event.server_id)
            self.sockets[event.connect_id] = SocketRow(
                event.connect_id,
                service_type="TCP INCOMING",
                host=event.remote_ip,
                remote_port=event.remote_port,
                local_port=server.local_port if server else 0,
                state=SocketState.CONNECTED,
                server_id=event.server_id,
            )
            return {Changed.SOCKETS}
        if isinstance(event, ev.QiUrcRecv):
            known = event.connect_id in self.sockets
            row = self.row(event.connect_id)
            row.bytes_received += len(event.payload(self.recv_hex))
            return {Changed.COUNTERS} if known else {Changed.SOCKETS}
        if isinstance(event, ev.IpAddress):
            self.ip = event.address
            return {Changed.STATUS}
        if isinstance(event, ev.PdpAddress) and event.address:
            self.ip = event.address
            return {Changed.STATUS}
        if isinstance(event, ev.CeregStatus) and event.stat is not None:
            self.cereg = event.stat
            self.registration = event
            if event.active_time is not None or event.periodic_tau is not None:
                self.psm_timers = (event.active_time, event.periodic_tau)
            if not event.registered:
                self.ip = None
            return {Changed.STATUS}
        return self._radio(event)

    def _radio(self, event: ev.Event) -> set[Changed]:
        """Signal, RRC and power saving (AT manual V1.4 §4.2, 4.6, 4.7, 9.8)."""
        if isinstance(event, ev.CsqReport):
            self.csq = event
        elif isinstance(event, ev.CesqReport):
            self.cesq = event
        elif isinstance(event, ev.CsconStatus) and event.mode is not None:
            self.rrc_connected = event.connected
            if event.connected:
                self.psm = self.deep_sleep = False  # a radio link: out of PSM
        elif isinstance(event, ev.QNbiotEvent) and event.event_value is not None:
            value = event.event_value.upper()
            if value == "ENTER PSM":
                self.psm, self.rrc_connected = True, False
            elif value == "EXIT PSM":
                self.psm = self.deep_sleep = False
            elif value == "ENTER DEEPSLEEP":
                self.deep_sleep = True
            elif value == "EXIT DEEPSLEEP":
                self.deep_sleep = False
            else:
                return set()
        else:
            return set()
        return {Changed.STATUS}

    def _finished(self, item: CommandFinished) -> set[Changed]:
        result = item.result
        cmd = result.command
        written = self._payload.pop(result.command_id, 0)
        if result.outcome is not Outcome.OK:
            return set()
        key = cmd.key
        v = cmd.values
        if key in ("qistate.read", "qistate.context"):
            return self._replace_rows(result.lines, only=None)
        if key == "qistate.connect":
            cid = v.get("connectID")
            return self._replace_rows(result.lines, only=cid if isinstance(cid, int) else None)
        if key == "qiclose.write":
            cid = v.get("connectID")
            if isinstance(cid, int) and cid in self.sockets:
                del self.sockets[cid]
                for other in [r for r in self.sockets.values() if r.server_id == cid]:
                    del self.sockets[other.connect_id]
                return {Changed.SOCKETS}
            return set()
        if key == "qisend.query":
            cid = v.get("connectID")
            counts = next((e for e in result.lines if isinstance(e, ev.QiSendCounts)), None)
            if isinstance(cid, int) and counts is not None:
                row = self.row(cid)
                row.sent, row.acked, row.nacked = counts.sent, counts.acked, counts.nacked
                return {Changed.SOCKETS}
            return set()
        if key.startswith("qisend.") and isinstance(result.final, ev.SendOk):
            cid = v.get("connectID")
            if not isinstance(cid, int):
                return set()
            length = v.get("send_length")
            if cmd.data_mode is None and isinstance(length, int):
                count = length
            else:
                # Data mode: what was typed after '>' (hex digits count half).
                count = written // 2 if self.send_hex else written
            self.row(cid).bytes_sent += count
            return {Changed.COUNTERS}
        return set()

    def _replace_rows(self, lines: list[ev.Event], only: int | None) -> set[Changed]:
        rows = [e for e in lines if isinstance(e, ev.QiStateRow)]
        seen: set[int] = set()
        for r in rows:
            if only is not None and r.connect_id != only:
                continue
            seen.add(r.connect_id)
            fresh = SocketRow(
                r.connect_id,
                service_type=r.service_type,
                host=r.host,
                remote_port=r.remote_port,
                local_port=r.local_port,
                state=r.socket_state,
            )
            old = self.sockets.get(r.connect_id)
            if old is not None and (old.same_socket(fresh) or old.opening):
                # The same socket: keep this session's counters and what +QIOPEN said.
                old.service_type, old.host = fresh.service_type, fresh.host
                old.remote_port, old.local_port = fresh.remote_port, fresh.local_port
                old.state = fresh.state
                old.stale = False
                if old.state != SocketState.CONNECTING:
                    old.opening = False
            else:
                if old is not None and old.server_id is not None:
                    fresh.server_id = old.server_id
                self.sockets[r.connect_id] = fresh
        for cid in list(self.sockets):
            if cid in seen or (only is not None and cid != only):
                continue
            if self.sockets[cid].opening:
                continue  # its +QIOPEN: is still to come
            del self.sockets[cid]
        return {Changed.SOCKETS}
