"""The simulated module's general 3GPP and Quectel commands.

The BC660K-GL&BC950K-GL AT Commands Manual V1.4 ("AT manual §"): identification
(chapter 2, ATE of chapter 3), the USIM (chapter 8), the platform (chapter 10:
AT+CBC, AT+CMEE, AT+QRST), AT+QCFG (§11.1), the clock (chapter 12), and the
application note's §2.3.9 AT+QICFG. Settings go to the module's NVRAM; the module
is reached through :class:`app.sim.host.ModuleCore`.
"""

from __future__ import annotations

import calendar
import re
import time

from app.protocol import catalog
from app.protocol.catalog import Value
from app.protocol.syntax import CommandLine
from app.sim.cellular import Cellular
from app.sim.host import (
    CME_INCORRECT_PARAMETERS,
    CME_INCORRECT_PASSWORD,
    CME_NOT_ALLOWED,
    CME_SIM_PIN_REQUIRED,
    Handler,
    ModuleCore,
)

MANUFACTURER = "Quectel_Ltd"
MODEL = "Quectel_BC660K-GL"
REVISION = "BC660KGLAAR01A05"
#: AT manual §2.2: AT+CGMI's third line, as the manual prints it.
CGMI_REVISION = "QCX"
#: AT manual §2.5 <SVN>: the software version number inside the IMEISV.
SVN = "01"

_CCLK = re.compile(r"(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d?)")


class General:
    """The general commands of one module."""

    def __init__(self, module: ModuleCore, cellular: Cellular) -> None:
        self.m = module
        self.nv = module.nv
        self.cellular = cellular
        #: AT+IPR (no line rate is simulated; kept across reboots).
        self.ipr = 115200

    def handlers(self) -> dict[str, Handler]:
        ok = self._just_ok
        return {
            "at": self._at,
            "ate": self._ate,
            "ati": self._ati,
            "cgmi.test": ok,
            "cgmi": self._cgmi,
            "cgmm.test": ok,
            "cgmm": self._cgmm,
            "cgmr.test": ok,
            "cgmr": self._cgmr,
            "cgsn.test": self._cgsn_test,
            "cgsn.exec": self._cgsn,
            "cgsn.write": self._cgsn,
            "ipr.test": self._ipr_test,
            "ipr.read": self._ipr_read,
            "ipr.write": self._ipr_write,
            "cimi.test": ok,
            "cimi": self._cimi,
            "cpin.test": ok,
            "cpin.read": self._cpin_read,
            "cpin.write": self._cpin_write,
            "qccid": self._qccid,
            "cbc.test": ok,
            "cbc": self._cbc,
            "cmee.test": self._cmee_test,
            "cmee.read": self._cmee_read,
            "cmee.write": self._cmee_write,
            "qrst.test": self._qrst_test,
            "qrst": self._qrst,
            "qcfg.test": self._qcfg_test,
            "qcfg.read": self._qcfg_read,
            "qcfg.dsevent": self._qcfg_dsevent,
            "qcfg.slplocktimes": self._qcfg_slplocktimes,
            "cclk.test": ok,
            "cclk.read": self._cclk_read,
            "cclk.write": self._cclk_write,
            "ctzr.test": self._ctzr_test,
            "ctzr.read": self._ctzr_read,
            "ctzr.write": self._ctzr_write,
            "qicfg.test": self._qicfg_test,
            "qicfg.dataformat": self._qicfg_dataformat,
            "qicfg.showra": self._qicfg_showra,
        }

    def _just_ok(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok()

    # -- identification (AT manual chapter 2)

    def _at(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok()

    def _ate(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # V.250: ATE is ATE0. AT manual §3.1: saved to NVRAM.
        self.nv.echo = bool(v.get("value") or 0) if cmd.args else False
        self.m.ok()

    def _ati(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(MANUFACTURER, MODEL, f"Revision: {REVISION}")

    def _cgmi(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(MANUFACTURER, MODEL, f"Revision: {CGMI_REVISION}")

    def _cgmm(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(MODEL)

    def _cgmr(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"Revision: {REVISION}")

    def _cgsn_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CGSN: (0-3)")

    def _cgsn(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        imei = self.m.config.imei
        snt = v.get("snt")
        if snt == 1:
            self.m.ok(f"+CGSN: {imei}")
        elif snt == 2:
            self.m.ok(f"+CGSN: {imei[:14]}{SVN}")
        elif snt == 3:
            self.m.ok(f"+CGSN: {SVN}")
        else:
            self.m.ok(imei)  # <SN>: the IMEI on this module

    def _ipr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+IPR: ({','.join(str(r) for r in catalog.IPR_RATES)})")

    def _ipr_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+IPR: {self.ipr}")

    def _ipr_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.ipr = int(v["rate"] or 115200)  # no line rate is simulated
        self.m.ok()

    # -- USIM (AT manual chapter 8)

    def _sim_ready(self) -> bool:
        if not self.m.pin_ok:
            self.m.error(CME_SIM_PIN_REQUIRED)
        return self.m.pin_ok

    def _cimi(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        if self._sim_ready():
            self.m.ok(self.m.config.imsi)

    def _qccid(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+QCCID: {self.m.config.iccid}")

    def _cpin_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CPIN: READY" if self.m.pin_ok else "+CPIN: SIM PIN")

    def _cpin_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §8.6: "If no PIN request is pending, no action is taken towards MT
        # and an error message, +CME ERROR, is returned to TE."
        if self.m.pin_ok:
            self.m.error(CME_NOT_ALLOWED)
            return
        if str(v["pin"]) != self.m.config.pin:
            self.m.error(CME_INCORRECT_PASSWORD)
            return
        self.m.pin_ok = True
        self.m.ok()
        self.m.urc("+CPIN: READY", paged=False)
        self.m.soon(self.cellular.start_search)

    # -- platform (AT manual chapter 10)

    def _cbc(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CBC: {self.m.config.vbat}")

    def _cmee_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CMEE: (0-2)")

    def _cmee_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CMEE: {self.m.cmee}")

    def _cmee_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cmee = int(v["n"] or 0)  # AT manual §10.2: saved to NVRAM
        self.m.ok()

    def _qrst_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QRST: (1)")

    def _qrst(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # AT manual §10.4: "resets immediately after OK is returned".
        self.m.ok()
        self.m.soon(self.m.after_answers, self.m.restart)

    # -- AT+QCFG (AT manual §11.1)

    def _qcfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok('+QCFG: "dsevent",(0,1)', '+QCFG: "slplocktimes",(0-30)')

    def _qcfg_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(
            f'+QCFG: "dsevent",{int(self.nv.dsevent)}',
            f'+QCFG: "slplocktimes",{self.nv.slplocktimes}',
        )

    def _qcfg_dsevent(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        value = v.get("value")
        if value is None:
            self.m.ok(f'+QCFG: "dsevent",{int(self.nv.dsevent)}')
            return
        self.nv.dsevent = value == 1
        self.m.ok()

    def _qcfg_slplocktimes(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        value = v.get("value")
        if value is None:
            self.m.ok(f'+QCFG: "slplocktimes",{self.nv.slplocktimes}')
            return
        self.nv.slplocktimes = int(value)
        self.m.ok()

    # -- time (AT manual chapter 12)

    @staticmethod
    def _tz_text(quarters: int) -> str:
        return f"{'-' if quarters < 0 else '+'}{abs(quarters):02d}"

    def _cclk_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # §12.1 example: +CCLK: 20/11/03,06:25:06+32 (local time, zone in quarters, unquoted).
        local = time.gmtime(self.m.now() + self.m.tz * 900)
        self.m.ok(f"+CCLK: {time.strftime('%y/%m/%d,%H:%M:%S', local)}{self._tz_text(self.m.tz)}")

    def _cclk_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = _CCLK.fullmatch(str(v["time"]))
        if m is None:
            self.m.error(CME_INCORRECT_PARAMETERS)
            return
        yy, mo, dd, hh, mi, ss = (int(x) for x in m.groups()[:6])
        tz = int(m.group(7))
        if (
            not (1 <= mo <= 12 and 1 <= dd <= 31 and hh < 24 and mi < 60 and ss < 60)
            or abs(tz) > 96
        ):
            self.m.error(CME_INCORRECT_PARAMETERS)
            return
        local = calendar.timegm((2000 + yy, mo, dd, hh, mi, ss, 0, 0, 0))
        self.m.clock_offset = local - tz * 900 - time.time()
        self.m.tz = tz
        self.m.ok()

    def _ctzr_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CTZR: (0-3)")

    def _ctzr_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CTZR: {self.nv.ctzr}")

    def _ctzr_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.ctzr = int(v["reporting"] or 0)
        self.m.ok()

    # -- §2.3.9 AT+QICFG

    def _qicfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok('+QICFG: "dataformat",(0,1),(0,1)', '+QICFG: "showRA",(0,1)')

    def _qicfg_dataformat(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        send, recv = v.get("send_data_format"), v.get("recv_data_format")
        if send is None:
            self.m.ok(f'+QICFG: "dataformat",{int(self.m.send_hex)},{int(self.m.recv_hex)}')
            return
        self.nv.send_hex, self.nv.recv_hex = bool(send), bool(recv)
        self.m.ok()

    def _qicfg_showra(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        mode = v.get("showRA_mode")
        if mode is None:
            self.m.ok(f'+QICFG: "showRA",{int(self.m.show_ra)}')
            return
        self.nv.show_ra = bool(mode)
        self.m.ok()
