"""The simulated module's cellular side: registration, signal, PDN, eDRX, events.

The BC660K-GL&BC950K-GL AT Commands Manual V1.4 ("AT manual §") chapters 4
(network status), 5 (PDN and APN), 7 (operator selection), 9 (AT+CFUN, eDRX)
and §12.2 (the time zone the network gives): what the network and the radio do
to the module, the URCs that report it, and the commands that read or steer it.
The RRC connection, PSM and UART sleep are :mod:`app.sim.power`'s. It reaches
the module's core through :class:`app.sim.host.ModuleCore`, as the socket layer
does.
"""

from __future__ import annotations

import time

from app.protocol import catalog
from app.protocol.catalog import Value
from app.protocol.codes import ResultCode
from app.protocol.syntax import CommandLine
from app.sim.host import (
    CME_NO_NETWORK,
    CME_NOT_ALLOWED,
    CME_NOT_SUPPORTED,
    Handler,
    ModuleCore,
)
from app.sim.power import Power
from app.sim.radio import (
    ACT_NB_S1,
    EDRX_ACT_NB_S1,
    Nvram,
    PdpContext,
    cesq,
    csq_index,
    select_plmn,
)
from app.sim.services import Services
from app.sim.sockets import Sockets

#: The APN the simulated network gives the initial PDP context when none is configured.
NETWORK_APN = "nbiot.qiterm"

# AT manual §4.1 <stat>.
STAT_NOT_SEARCHING, STAT_HOME, STAT_SEARCHING, STAT_DENIED, STAT_UNKNOWN = 0, 1, 2, 3, 4


class Cellular:
    """Registration, the serving cell, PDN contexts and eDRX of one module."""

    def __init__(
        self, module: ModuleCore, power: Power, sockets: Sockets, services: Services
    ) -> None:
        self.m = module
        self.nv = module.nv
        self.cell = module.cell
        self.signal = module.signal
        self.power = power
        self.sockets = sockets
        self.services = services
        #: AT+CFUN=<fun>,1 sets the functionality the next boot starts with.
        self.cfun_after_reset = 1
        self.reset()

    def reset(self) -> None:
        """What a reboot forgets (the core resets NVRAM's volatile part first)."""
        self.cfun = self.cfun_after_reset
        self.cfun_after_reset = 1
        self.stat = STAT_NOT_SEARCHING
        self.reject_cause: int | None = None
        self.detached = False  # AT+CGATT=0
        self.cops_deregistered = self.nv.cops_mode == 2
        self.apn = (self.nv.default_apn or NETWORK_APN).upper()

    @property
    def registered(self) -> bool:
        return self.stat in (STAT_HOME, 5)

    def handlers(self) -> dict[str, Handler]:
        ok = self._just_ok
        return {
            "cereg.test": self._cereg_test,
            "cereg.read": self._cereg_read,
            "cereg.write": self._cereg_write,
            "cesq.test": self._cesq_test,
            "cesq": self._cesq,
            "cgatt.test": self._cgatt_test,
            "cgatt.read": self._cgatt_read,
            "cgatt.write": self._cgatt_write,
            "cgpaddr.test": self._cgpaddr_test,
            "cgpaddr.read": self._cgpaddr,
            "cgpaddr.exec": self._cgpaddr,
            "cgpaddr.write": self._cgpaddr,
            "csq.test": self._csq_test,
            "csq": self._csq,
            "qeng.test": self._qeng_test,
            "qeng.write": self._qeng,
            "cgdcont.test": self._cgdcont_test,
            "cgdcont.read": self._cgdcont_read,
            "cgdcont.write": self._cgdcont_write,
            "qcgdefcont.test": self._qcgdefcont_test,
            "qcgdefcont.read": self._qcgdefcont_read,
            "qcgdefcont.write": self._qcgdefcont_write,
            "cops.test": self._cops_test,
            "cops.read": self._cops_read,
            "cops.write": self._cops_write,
            "cedrxs.test": self._cedrxs_test,
            "cedrxs.read": self._cedrxs_read,
            "cedrxs.write": self._cedrxs_write,
            "cedrxrdp.test": ok,
            "cedrxrdp": self._cedrxrdp,
            "cfun.test": self._cfun_test,
            "cfun.read": self._cfun_read,
            "cfun.write": self._cfun_write,
        }

    def _just_ok(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok()

    # -- network status (AT manual chapter 4)

    def _cereg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CEREG: (0-5)")

    def _cereg_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CEREG: {self.nv.cereg_n},{self._cereg_body()}")

    def _cereg_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cereg_n = int(v["n"] or 0)
        self.m.ok()

    def _cereg_body(self) -> str:
        """``<stat>[,[<tac>],[<ci>],[<AcT>][,[<cause_type>],[<reject_cause>][,[<Active-Time>],
        [<Periodic-TAU>]]]]`` for the current <n> (AT manual §4.1): the location once
        camped (n >= 2), the EMM cause of a rejection (n = 3, 5), the PSM timers the
        network allocated (n = 4, 5)."""
        n = self.nv.cereg_n
        fields = [str(self.stat)]
        camped = self.stat in (STAT_HOME, STAT_DENIED, 5)
        cause = self.reject_cause if n in (3, 5) and self.stat == STAT_DENIED else None
        timers = n in (4, 5) and self.registered
        if n >= 2 and camped:
            fields += [f'"{self.cell.tac}"', f'"{self.cell.ci}"', str(ACT_NB_S1)]
        elif cause is not None or timers:
            fields += ["", "", ""]
        if cause is not None or timers:
            fields += ["0", str(cause)] if cause is not None else ["", ""]
        if timers:
            psm = self.nv.psm_mode == 1
            active = f'"{self.nv.psm_active}"' if psm else ""
            tau = self.nv.psm_tau if psm else self.cell.network_tau
            fields += [active, f'"{tau}"']
        return ",".join(fields)

    def _cereg_urc(self) -> None:
        if self.nv.cereg_n >= 1:
            self.m.urc(f"+CEREG: {self._cereg_body()}", paged=False)

    def _cesq_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)")

    def _cesq(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(cesq(self.signal, self.registered))

    def _cgatt_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CGATT: (0,1)")

    def _cgatt_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CGATT: {int(self.registered)}")

    def _cgatt_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §4.3: "If the MT is already in the requested state, the command
        # ignores and the OK response is still returned."
        if v["state"] == 1:
            self.detached = False
            self.m.ok()
            if not self.registered:
                self.m.soon(self.start_search)
        else:
            self.detached = True
            self.m.ok()
            if self.stat != STAT_NOT_SEARCHING:
                self.m.soon(self.deregister, STAT_NOT_SEARCHING, None)

    def _contexts(self) -> list[int]:
        return [0, *sorted(self.nv.contexts)]

    def _cgpaddr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CGPADDR: ({','.join(str(c) for c in self._contexts())})")

    def _cgpaddr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §4.4: <PDP_addr> "is omitted if none is available"; only cid 0
        # (the initial context) is ever active here.
        cid = v.get("cid")
        cids = self._contexts() if cid is None else [int(cid)]
        rows = [
            f'+CGPADDR: {c},"{self.m.ip}"' if c == 0 and self.registered else f"+CGPADDR: {c}"
            for c in cids
        ]
        self.m.ok(*rows)

    def _csq_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CSQ: (0-31,99),(0-7,99)")

    def _csq(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        rssi = csq_index(self.signal.rssi) if self.registered else 99
        self.m.ok(f"+CSQ: {rssi},99")

    def _qeng_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QENG: (0-3)")

    def _ecl(self) -> int:
        """§4.8 <sc_ECL> from the RSRP (coverage enhancement level 0-2)."""
        rsrp = self.signal.rsrp
        return 0 if rsrp >= -105 else 1 if rsrp >= -115 else 2

    def _qeng(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        if mode == 1:
            self.m.error(CME_NOT_SUPPORTED)  # "not supported currently"
            return
        if mode == 0:
            if self.cfun != 1:
                self.m.error(CME_NOT_ALLOWED)
                return
            c, s = self.cell, self.signal
            tx = 10 + 4 * self._ecl() if self.power.rrc else -128
            self.m.ok(
                f'+QENG: 0,{c.earfcn},{c.earfcn_offset},{c.pci},"{c.ci}",{s.rsrp},{s.rsrq},'
                f'{s.rssi},{s.sinr},{c.band},"{c.tac}",{self._ecl()},{tx},{c.operation_mode}'
            )
        elif mode == 2:
            asleep, rx = self.power.asleep_seconds(), self.power.connected_seconds()
            scale = 1000 if v.get("accuracy") == 0 else 10  # ms, or 0.1 s by default
            self.m.ok(f"+QENG: 3,{round(asleep * 10)},{round(rx * scale)},{round(rx * scale / 10)}")
        else:
            self.m.ok(f"+QENG: 4,{self._emm_line()}")

    def _emm_line(self) -> str:
        """§4.8 <EMM_state>,<EMM_mode>,<PLMN_state>,<PLMN_type>,<selectPLMN>."""
        if self.registered:
            emm, plmn_state = "REG", "SELECTED"
        elif self.stat == STAT_SEARCHING:
            emm, plmn_state = "REG INIT", "SEARCHING"
        else:
            emm, plmn_state = "DEREG", "NO PLMN"
        mode = (
            "PSM"
            if self.power.in_psm
            else "CONNECTED"
            if self.power.rrc
            else "IDLE"
            if self.registered
            else "UNKNOWN"
        )
        selected = select_plmn(self.cell.plmn) if self.registered else ""
        return f'"{emm}","{mode}","{plmn_state}","HPLMN","{selected}"'

    # -- PDN and APN (AT manual chapter 5)

    def _cgdcont_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        types = ",".join(f'"{t}"' for t in catalog.PDP_TYPES)
        flags = ",".join(["(0,1)"] * 7)
        self.m.ok(f"+CGDCONT: (0-10),({types}),,,,,(0,1),(0-3),(0-2),{flags}")

    def _cgdcont_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §5.4 example: +CGDCONT: 0,"IP","CMNBIOT","100.81.144.240" for the
        # initial context, then +CGDCONT: 1,"IP","CMNET"; APNs read in upper case (note 1).
        first = f'+CGDCONT: 0,"{self.nv.default_pdp_type}","{self.apn}"'
        if self.registered:
            first += f',"{self.m.ip}"'
        rows = [first] + [
            f'+CGDCONT: {c.cid},"{c.pdp_type}","{c.apn.upper()}"'
            for _, c in sorted(self.nv.contexts.items())
        ]
        self.m.ok(*rows)

    def _cgdcont_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        cid = int(v["cid"] or 1)
        if len(cmd.args) == 1:
            self.nv.contexts.pop(cid, None)  # "AT+CGDCONT=<cid> ... become undefined"
        else:
            self.nv.contexts[cid] = PdpContext(
                cid, str(v.get("PDP_type") or "IP"), str(v.get("APN") or "")
            )
        self.m.ok()

    def _qcgdefcont_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        types = ",".join(f'"{t}"' for t in catalog.PDP_TYPES)
        self.m.ok(f"+QCGDEFCONT: ({types})")

    def _qcgdefcont_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        fields = [f'"{nv.default_pdp_type}"']
        if nv.default_apn or nv.default_user:
            fields.append(f'"{nv.default_apn}"')
        if nv.default_user:
            fields += [f'"{nv.default_user}"', f'"{nv.default_password}"', str(nv.default_auth)]
        self.m.ok(f"+QCGDEFCONT: {','.join(fields)}")

    def _qcgdefcont_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §5.6: "takes effect after the module is rebooted".
        nv = self.nv
        nv.default_pdp_type = str(v["PDP_type"])
        nv.default_apn = str(v.get("APN") or "")
        nv.default_user = str(v.get("user_name") or "")
        nv.default_password = str(v.get("password") or "")
        auth = v.get("auth_type")
        nv.default_auth = int(auth) if auth is not None else (1 if nv.default_user else 0)
        self.m.ok()

    # -- operator selection (AT manual §7.2)

    def _oper(self, fmt: int) -> str:
        c = self.cell
        return c.operator_long if fmt == 0 else c.operator_short if fmt == 1 else c.plmn

    def _cops_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        c = self.cell
        stat = 2 if self.registered else 1
        self.m.ok(
            f'+COPS: ({stat},"{c.operator_long}","{c.operator_short}","{c.plmn}",{ACT_NB_S1}),'
            ",(0-4),(0-2)"
        )

    def _cops_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = 2 if self.cops_deregistered else self.nv.cops_mode
        if self.registered:
            fmt = self.nv.cops_format
            self.m.ok(f'+COPS: {mode},{fmt},"{self._oper(fmt)}",{ACT_NB_S1}')
        else:
            self.m.ok(f"+COPS: {mode}")

    def _cops_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        fmt = v.get("format")
        if fmt is not None:
            self.nv.cops_format = int(fmt)
        if mode == 3:
            self.m.ok()
            return
        if mode == 2:
            self.cops_deregistered = True
            self.m.ok()
            self.m.soon(self.deregister, STAT_NOT_SEARCHING, None)
            return
        oper = v.get("oper")
        if mode == 1 and oper is not None and str(oper) != self._oper(self.nv.cops_format):
            self.m.error(CME_NO_NETWORK)  # the only network around is not that one
            return
        self.nv.cops_mode = mode  # "Only when <mode>=0/1/4, the configurations are saved"
        self.cops_deregistered = False
        self.m.ok()
        if not self.registered:
            self.m.soon(self.start_search)

    # -- power consumption (AT manual chapter 9)

    def _cedrxs_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok('+CEDRXS: (0-3),(5),("0000"-"1111")')

    def _cedrxs_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # Shows the requested cycle whether or not eDRX is on (seen on A05 firmware:
        # cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md, stage 4).
        self.m.ok(f'+CEDRXS: {EDRX_ACT_NB_S1},"{self.nv.edrx_value}"')

    def _cedrxs_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = int(v["mode"] or 0)
        if mode == 3:
            self.nv.edrx_mode, self.nv.edrx_value = 0, Nvram().edrx_value
        else:
            self.nv.edrx_mode = mode
            value = v.get("requested_eDRX_value")
            if value is not None:
                self.nv.edrx_value = str(value)
        self.m.ok()
        if mode == 2 and self.registered:
            self._cedrxp()

    def _edrx_params(self) -> str:
        value = self.nv.edrx_value
        return f'{EDRX_ACT_NB_S1},"{value}","{value}","{self.cell.edrx_ptw}"'

    def _cedrxp(self) -> None:
        self.m.urc(f"+CEDRXP: {self._edrx_params()}", paged=False)

    def _cedrxrdp(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        if self.nv.edrx_mode in (1, 2) and self.registered:
            self.m.ok(f"+CEDRXRDP: {self._edrx_params()}")
        else:
            self.m.ok("+CEDRXRDP: 0")  # "access technology not supporting eDRX"

    def _cfun_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §9.3, exactly as its example prints it (trailing comma included).
        self.m.ok("+CFUN: (0,1,4,),(0,1)")

    def _cfun_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CFUN: {self.cfun}")

    def _cfun_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        fun = int(v["fun"] or 0)
        self.m.ok()
        if v.get("rst") == 1:
            # §9.3 example: AT+CFUN=0,1 -> OK, RDY, then AT+CFUN? answers +CFUN: 0.
            self.cfun_after_reset = fun
            self.m.soon(self.m.restart)
            return
        if fun == self.cfun:
            return
        self.cfun = fun
        if fun != 1:
            self.m.soon(self.deregister, STAT_NOT_SEARCHING, None)
        else:
            self.m.soon(self.start_search)

    # -- the time zone the network gives (AT manual §12.2)

    def _time_zone_urc(self) -> None:
        """§12.2: the time zone the network provides at registration. The zone is quoted
        and not zero-padded, as A05 firmware printed it on a live network
        (``+CTZEU: "+8",1,"2026/10/02,23:50:20"``, cornucopia-machines/ugly-duckling-firmware
        docs/specs/NB-IoT.md, stage 3 bench notes)."""
        mode = self.nv.ctzr
        if mode == 0:
            return
        tz = self.cell.tz_quarters
        zone = f"{'-' if tz < 0 else '+'}{abs(tz)}"
        if mode == 1:
            self.m.urc(f'+CTZV: "{zone}"', paged=False)
            return
        utc = self.m.now()
        stamp = utc + tz * 900 if mode == 2 else utc
        text = time.strftime("%Y/%m/%d,%H:%M:%S", time.gmtime(stamp))
        name = "+CTZE" if mode == 2 else "+CTZEU"
        self.m.urc(f'{name}: "{zone}",{self.cell.dst},"{text}"', paged=False)

    # ------------------------------------------------- boot and registration

    def power_on(self, banner: bool) -> None:
        if banner:
            self.boot()
        elif self._may_register():
            self.stat = STAT_HOME  # already up and registered when the port opened
        self.power.arm_sleep()

    def boot(self) -> None:
        """RDY, +CPIN: READY, then +IP: once registered (what a real module prints)."""
        m = self.m

        def rdy() -> None:
            m.urc("RDY", paged=False)
            m.urc("+CPIN: READY" if m.pin_ok else "+CPIN: SIM PIN", paged=False)
            self.start_search()

        m.later(m.profile.boot_delay, rdy)

    def _may_register(self) -> bool:
        return (
            self.cfun == 1
            and self.m.pin_ok
            and not self.detached
            and not self.cops_deregistered
            and not self.m.closed
        )

    def start_search(self) -> None:
        if self.registered or not self._may_register():
            return
        profile = self.m.profile
        if profile.register_delay > 0:
            if self.stat != STAT_SEARCHING:
                self.stat = STAT_SEARCHING
                self._cereg_urc()
            self.m.later(profile.register_delay, self.register)
        else:
            self.register()

    def register(self) -> None:
        if self.registered or not self._may_register():
            return
        self.power.network_activity()  # the attach runs over a signalling connection
        self.stat = STAT_HOME
        self.reject_cause = None
        self._cereg_urc()
        self._time_zone_urc()
        self.m.urc(f"+IP: {self.m.ip}", paged=False)
        if self.nv.edrx_mode == 2:
            self._cedrxp()

    def deregister(self, new_stat: int, reason_code: int | None) -> None:
        was = self.stat
        self.services.cancel_all()
        self.sockets.drop_all(report=True, open_result=reason_code)
        self.power.leave_network()
        self.stat = new_stat
        if new_stat != was:
            self._cereg_urc()

    def lose_registration(self, stat: int, reject_cause: int | None) -> None:
        self.reject_cause = reject_cause if stat == STAT_DENIED else None
        self.deregister(stat, ResultCode.PDP_CONTEXT_BROKE_DOWN)

    def drop_pdp(self) -> None:
        self.deregister(STAT_SEARCHING, ResultCode.PDP_CONTEXT_BROKE_DOWN)
        self.m.later(max(self.m.profile.register_delay, 0.05), self.register)
