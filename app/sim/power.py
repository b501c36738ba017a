"""The simulated module's power saving: the RRC connection, PSM and UART sleep.

AT manual §4.6 (AT+CSCON) and chapter 9 (AT+CPSMS, AT+QNBIOTEVENT, AT+QSCLK):
with AT+QSCLK=1/2 the UART sleeps after a quiet spell and the first command
line that wakes it is lost; with AT+CPSMS=1 the module enters PSM once the RRC
connection is released and the active time ran out, and holds its URCs until
traffic brings it back (spec §2.4 note 1). It reaches the module's core through
:class:`app.sim.host.ModuleCore`.
"""

from __future__ import annotations

from app.protocol.catalog import Value
from app.protocol.decode import decode_t3324
from app.protocol.syntax import CommandLine
from app.sim.host import Handler, ModuleCore
from app.sim.radio import Nvram


class Power:
    """The RRC connection, PSM and UART sleep of one module."""

    def __init__(self, module: ModuleCore) -> None:
        self.m = module
        self.nv = module.nv
        #: URCs held while in PSM, printed when it ends.
        self.psm_held: list[bytes] = []
        self.reset()

    def reset(self) -> None:
        """What a reboot forgets."""
        now = self.m.loop.time()
        self.qsclk = self.m.config.sleep  # AT manual §9.10: not saved to NVRAM
        self.asleep = False
        self.deep_sleep = False
        self.in_psm = False
        self.rrc = False
        self._rrc_until = 0.0
        self.last_io = now
        self.sleep_total = 0.0
        self._asleep_since = 0.0
        self.rrc_total = 0.0
        self._rrc_since = 0.0
        self.psm_held.clear()

    def handlers(self) -> dict[str, Handler]:
        return {
            "cscon.test": self._cscon_test,
            "cscon.read": self._cscon_read,
            "cscon.write": self._cscon_write,
            "cpsms.test": self._cpsms_test,
            "cpsms.read": self._cpsms_read,
            "cpsms.write": self._cpsms_write,
            "qnbiotevent.test": self._just_ok,
            "qnbiotevent.read": self._qnbiotevent_read,
            "qnbiotevent.write": self._qnbiotevent_write,
            "qsclk.test": self._qsclk_test,
            "qsclk.read": self._qsclk_read,
            "qsclk.write": self._qsclk_write,
        }

    def _just_ok(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok()

    def asleep_seconds(self) -> float:
        """Time spent asleep since boot (AT+QENG=2)."""
        now = self.m.loop.time()
        return self.sleep_total + (now - self._asleep_since if self.asleep else 0.0)

    def connected_seconds(self) -> float:
        """Time spent RRC-connected since boot (AT+QENG=2)."""
        now = self.m.loop.time()
        return self.rrc_total + (now - self._rrc_since if self.rrc else 0.0)

    def leave_network(self) -> None:
        """Registration is lost: no RRC connection, no PSM (nothing to report)."""
        self.m.cancel_timer("psm")
        self.m.cancel_timer("rrc")
        if self.in_psm:
            self.exit_psm(quiet=True)
        if self.rrc:
            self._rrc_release()

    # -- AT+CSCON (AT manual §4.6)

    def _cscon_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+CSCON: (0,1)")

    def _cscon_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+CSCON: {self.nv.cscon_n},{int(self.rrc)}")

    def _cscon_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.cscon_n = int(v["n"] or 0)
        self.m.ok()

    # -- AT manual chapter 9

    def _cpsms_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok('+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")')

    def _cpsms_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        self.m.ok(f'+CPSMS: {nv.psm_mode},,,"{nv.psm_tau}","{nv.psm_active}"')

    def _cpsms_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        nv = self.nv
        mode = int(v["mode"] or 0)
        if mode == 2:
            defaults = Nvram()
            nv.psm_mode, nv.psm_tau, nv.psm_active = 0, defaults.psm_tau, defaults.psm_active
        else:
            nv.psm_mode = mode
            tau, active = v.get("requested_periodic_TAU"), v.get("requested_active_time")
            if tau is not None:
                nv.psm_tau = str(tau)
            if active is not None:
                nv.psm_active = str(active)
        self.m.ok()
        if nv.psm_mode == 1:
            if self.m.registered and not self.rrc and not self.in_psm:
                self._arm_psm()
        else:
            self.m.cancel_timer("psm")
            if self.in_psm:
                self.m.soon(self.exit_psm)

    def _qnbiotevent_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+QNBIOTEVENT: {int(self.nv.psm_event)},1")

    def _qnbiotevent_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.nv.psm_event = v["enable"] == 1
        self.m.ok()

    def _qsclk_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QSCLK: (0-2)")

    def _qsclk_read(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(f"+QSCLK: {self.qsclk}")

    def _qsclk_write(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.qsclk = int(v["n"] or 0)
        self.m.ok()
        if self.qsclk == 0:
            self.m.cancel_timer("sleep")
        else:
            self.arm_sleep()

    # -- the RRC connection, PSM and sleep

    def network_activity(self, uplink: bool = True) -> None:
        """Radio traffic happens now (see :class:`app.sim.host.ModuleHost`): the RRC
        connection comes up (+CSCON: 1, AT manual §4.6) and stays up until the
        network releases it after ``rrc_idle`` seconds of quiet. Uplink traffic ends
        PSM; downlink cannot reach a module in PSM."""
        m = self.m
        if self.in_psm:
            if not uplink:
                return
            self.exit_psm()
        m.cancel_timer("psm")
        idle = m.config.rrc_idle if m.config.rrc_idle is not None else m.profile.rrc_idle
        self._rrc_until = m.loop.time() + idle
        if not self.rrc:
            self.rrc = True
            self._rrc_since = m.loop.time()
            if self.nv.cscon_n:
                m.urc("+CSCON: 1", paged=False)
            m.start_timer("rrc", idle, self._rrc_check)

    def _rrc_check(self) -> None:
        self.m.timer_fired("rrc")
        left = self._rrc_until - self.m.loop.time()
        if left > 0:
            self.m.start_timer("rrc", left, self._rrc_check)
            return
        self._rrc_release()
        if self.nv.psm_mode == 1 and self.m.registered:
            self._arm_psm()

    def _rrc_release(self) -> None:
        self.rrc = False
        self.rrc_total += self.m.loop.time() - self._rrc_since
        self.m.cancel_timer("rrc")
        if self.nv.cscon_n:
            self.m.urc("+CSCON: 0", paged=False)

    def _arm_psm(self) -> None:
        """T3324 (the active time) runs from the RRC release; PSM follows (§9.4)."""
        delay: float | None = self.m.config.psm_after
        if delay is None:
            active = decode_t3324(self.nv.psm_active).seconds
            delay = None if active is None else float(active)
        if delay is None:
            return  # T3324 deactivated: no PSM
        self.m.start_timer("psm", delay, self._enter_psm)

    def _enter_psm(self) -> None:
        self.m.timer_fired("psm")
        if self.in_psm or not self.m.registered or self.rrc or self.nv.psm_mode != 1:
            return
        # AT manual §9.8: +QNBIOTEVENT: "ENTER PSM"; §11.1.6: deep sleep only with
        # AT+QSCLK=1, reported when AT+QCFG="dsevent",1 ("deep sleep ... only happens in
        # PSM", cornucopia-machines/ugly-duckling-firmware docs/specs/NB-IoT.md).
        if self.nv.psm_event:
            self.m.power_urc('+QNBIOTEVENT: "ENTER PSM"')
        self.in_psm = True
        if self.qsclk == 1:
            if self.nv.dsevent:
                self.m.power_urc('+QNBIOTEVENT: "ENTER DEEPSLEEP"')
            self.deep_sleep = True
            self._fall_asleep()

    def exit_psm(self, quiet: bool = False) -> None:
        if not self.in_psm:
            return
        self.in_psm = False
        if self.deep_sleep:
            self.deep_sleep = False
            if self.asleep:
                self._wake()
            if self.nv.dsevent and not quiet:
                self.m.power_urc('+QNBIOTEVENT: "EXIT DEEPSLEEP"')
        if self.nv.psm_event and not quiet:
            self.m.power_urc('+QNBIOTEVENT: "EXIT PSM"')
        held, self.psm_held = self.psm_held, []
        for data in held:
            self.m.urc_raw(data, paged=False)

    def uart_activity(self) -> None:
        """UART traffic: the quiet spell starts again, and output wakes the module."""
        self.last_io = self.m.loop.time()
        if self.asleep and not self.deep_sleep:
            self._wake()
        if self.qsclk and not self.m.timer_armed("sleep"):
            self.arm_sleep()

    def _sleep_after(self) -> float:
        if self.m.config.sleep_after is not None:
            return self.m.config.sleep_after
        return float(self.nv.slplocktimes)

    def arm_sleep(self) -> None:
        if self.qsclk:
            left = self.last_io + self._sleep_after() - self.m.loop.time()
            self.m.start_timer("sleep", left, self._sleep_check)

    def _sleep_check(self) -> None:
        self.m.timer_fired("sleep")
        if not self.qsclk or self.asleep:
            return
        left = self.last_io + self._sleep_after() - self.m.loop.time()
        if left > 0 or self.m.uart_busy():
            self.m.start_timer("sleep", max(left, 0.05), self._sleep_check)
            return
        self._fall_asleep()

    def _fall_asleep(self) -> None:
        self.m.cancel_timer("sleep")
        if not self.asleep:
            self.asleep = True
            self._asleep_since = self.m.loop.time()

    def _wake(self) -> None:
        self.asleep = False
        self.sleep_total += self.m.loop.time() - self._asleep_since

    def wake_by_uart(self) -> None:
        """Input reaches a sleeping UART: it wakes (the core drops the command line
        that woke it: AT manual §9.10 note 1, "UART does not work during the light
        sleep mode. Therefore, when AT+QSCLK=1 or AT+QSCLK=2, send AT before each
        command to make sure the UART is woken up." On A05 firmware "the first AT is
        consumed by the deep-sleep wake", cornucopia-machines/ugly-duckling-firmware
        docs/specs/NB-IoT.md, stage 2)."""
        deep = self.deep_sleep
        self._wake()
        if deep:
            self.deep_sleep = False
            if self.nv.dsevent:
                self.m.power_urc('+QNBIOTEVENT: "EXIT DEEPSLEEP"')
