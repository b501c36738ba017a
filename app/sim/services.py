"""Ping, NTP and DNS: chapter 2.3.5-2.3.8, done for real on the host.

Host names resolve only through the module's DNS servers (AT+QIDNSCFG, or the
ones the network issued), never through the host's resolver, as on the module
(§2.3.5 note 2, §2.3.6 note 3, §2.3.8 note 5).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time

from app.protocol.catalog import Value
from app.protocol.codes import ResultCode
from app.protocol.syntax import CommandLine
from app.sim.deviations import deviates
from app.sim.host import Handler, ModuleHost
from app.sim.network import DnsAnswer, DnsError, Pinger, ntp_query, resolve

__all__ = ["DnsError", "Services"]


class Services:
    def __init__(self, module: ModuleHost) -> None:
        self.m = module
        self._ping: asyncio.Task[None] | None = None
        self._dns: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def handlers(self) -> dict[str, Handler]:
        """The command handlers, by catalog form key."""
        return {
            "qping.test": self.qping_test,
            "qping.write": self.qping,
            "qntp.test": self.qntp_test,
            "qntp.write": self.qntp,
            "qidnsgip.test": self.qidnsgip_test,
            "qidnsgip.write": self.qidnsgip,
            "qidnscfg.test": self.qidnscfg_test,
            "qidnscfg.write": self.qidnscfg,
            "qidnscfg.query": self.qidnscfg_query,
        }

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def _start(self, coro: object) -> asyncio.Task[None]:
        task: asyncio.Task[None] = self.m.spawn(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------- DNS

    async def lookup(self, hostname: str) -> DnsAnswer:
        """Resolve through the module's DNS servers; DnsError carries the result code."""
        try:
            ipaddress.ip_address(hostname)
        except ValueError:
            pass
        else:
            return DnsAnswer([hostname], 0)
        configured = self.m.dns_servers()
        if not configured:
            # §2.3.8 note 5: there is no default DNS server.
            raise DnsError(ResultCode.DNS_PARSE_FAILED, "no DNS server configured (AT+QIDNSCFG)")
        servers = [s for s in configured if self.m.guard.allows(s.ip)]
        if not servers:
            # The loopback guard: no server may be asked, as if none answered.
            raise DnsError(ResultCode.OPERATION_TIMEOUT, "DNS server refused by the loopback guard")
        last = DnsError(ResultCode.OPERATION_TIMEOUT, "no DNS server answered")
        for server in servers:
            try:
                return await resolve(
                    hostname, [server.ip], server.port, self.m.profile.query_timeout
                )
            except DnsError as exc:
                last = exc
                if exc.code != ResultCode.OPERATION_TIMEOUT:
                    raise
        raise last

    async def resolve_one(self, host: str) -> str:
        return (await self.lookup(host)).addresses[0]

    # ----------------------------------------------------- §2.3.5 AT+QPING

    def qping_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QPING: (0-10),<host>,(1-255),(1-10),(32-1500),(0,1)")

    def qping(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = self.m
        if self._ping is not None and not self._ping.done():
            m.error(ResultCode.OPERATION_BUSY)
            return
        if not m.registered:
            m.error(ResultCode.OPERATION_NOT_ALLOWED)
            return
        m.ok()
        m.network_activity()
        self._ping = self._start(
            self._run_ping(
                str(v["host"]),
                int(v.get("time_out") or 4),
                int(v.get("ping_num") or 4),
                int(v.get("ping_size") or 32),
            )
        )

    async def _run_ping(self, host: str, time_out: int, ping_num: int, ping_size: int) -> None:
        m = self.m
        try:
            ip = (await self.lookup(host)).addresses[0]
        except DnsError as exc:
            m.urc(f"+QPING: {exc.code}", paged=False)
            return
        if not m.guard.allows(ip):
            # The loopback guard: every request times out at once (an unreachable
            # host), and no packet is sent.
            for _ in range(ping_num):
                m.urc(f"+QPING: {ResultCode.OPERATION_TIMEOUT}", paged=False)
            m.urc(f"+QPING: 0,{ping_num},0,{ping_num},0,0,0", paged=False)
            return
        try:
            pinger = Pinger()
        except OSError:
            # Neither a raw socket (root) nor an unprivileged ICMP socket
            # (net.ipv4.ping_group_range) is allowed here.
            m.urc(f"+QPING: {ResultCode.CREATE_SOCKET_FAILED}", paged=False)
            return
        times: list[int] = []
        try:
            for seq in range(1, ping_num + 1):
                if seq > 1:
                    await asyncio.sleep(m.profile.ping_interval)
                reply = await pinger.ping(ip, seq, ping_size, float(time_out))
                if reply is None:
                    m.urc(f"+QPING: {ResultCode.OPERATION_TIMEOUT}", paged=False)
                    continue
                extra = m.profile.pick(m.profile.rtt_extra, m.rng)
                if extra:
                    await asyncio.sleep(extra)
                ms = round((reply.rtt + extra) * 1000)
                times.append(ms)
                m.urc(f'+QPING: 0,"{ip}",{ping_size},{ms},{reply.ttl}', paged=False)
        finally:
            pinger.close()
        # Chapter 4.4: +QPING: <finresult>,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>
        # (the example counts requests, though §2.3.5 words them as bytes).
        rcvd = len(times)
        lo, hi = (min(times), max(times)) if times else (0, 0)
        avg = round(sum(times) / rcvd) if rcvd else 0
        counts = [rcvd, ping_num - rcvd]
        if deviates(m.config, "qping_summary"):
            counts.reverse()
        got, lost = counts
        m.urc(f"+QPING: 0,{ping_num},{got},{lost},{lo},{hi},{avg}", paged=False)

    # ------------------------------------------------------ §2.3.6 AT+QNTP

    def qntp_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QNTP: (0-10),<server>,(1-65535),(0,1)")

    def qntp(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = self.m
        if not m.registered:
            m.error(ResultCode.OPERATION_NOT_ALLOWED)
            return
        m.ok()
        m.network_activity()
        auto = v.get("auto_set_time")
        self._start(
            self._run_ntp(
                str(v["server"]),
                int(v.get("port") or m.config.ntp_port),
                True if auto is None else bool(auto),
            )
        )

    async def _run_ntp(self, server: str, port: int, auto_set_time: bool) -> None:
        m = self.m
        await m.pause(m.profile.deferred_latency)
        try:
            ip = (await self.lookup(server)).addresses[0]
            if not m.guard.allows(ip):
                raise TimeoutError  # the loopback guard: no answer, nothing sent
            unix = await ntp_query(ip, port, m.profile.query_timeout)
        except DnsError as exc:
            m.urc(f"+QNTP: {exc.code}", paged=False)
            return
        except TimeoutError:
            m.urc(f"+QNTP: {ResultCode.OPERATION_TIMEOUT}", paged=False)
            return
        except (OSError, ValueError):
            m.urc(f"+QNTP: {ResultCode.SOCKET_READ_FAILED}", paged=False)
            return
        if auto_set_time:
            m.clock_offset = unix - time.time()
        # Chapter 4.5 prints "2019/06/11,11:08:20" (four-digit year).
        stamp = time.strftime("%Y/%m/%d,%H:%M:%S", time.gmtime(unix))
        if deviates(m.config, "qntp_unquoted"):
            m.urc(f"+QNTP: 0,{stamp}", paged=False)
            return
        m.urc(f'+QNTP: 0,"{stamp}"', paged=False)

    # -------------------------------------------------- §2.3.7 AT+QIDNSGIP

    def qidnsgip_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QIDNSGIP: (0-10),<hostname>")

    def qidnsgip(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = self.m
        if not m.registered:
            m.error(ResultCode.OPERATION_NOT_ALLOWED)
            return
        m.ok()
        m.network_activity()
        if self._dns is not None and not self._dns.done():
            m.urc(f"+QIDNSGIP: {ResultCode.DNS_BUSY}", paged=False)
            return
        self._dns = self._start(self._run_dnsgip(str(v["hostname"])))

    async def _run_dnsgip(self, hostname: str) -> None:
        m = self.m
        await m.pause(m.profile.deferred_latency)
        try:
            answer = await self.lookup(hostname)
        except DnsError as exc:
            m.urc(f"+QIDNSGIP: {exc.code}", paged=False)
            return
        # Note 3: only the first address is displayed; <IP_count> counts them all.
        m.urc(f"+QIDNSGIP: 0,{len(answer.addresses)},{answer.ttl}", paged=False)
        m.urc(f"+QIDNSGIP: {answer.addresses[0]}", paged=False)

    # -------------------------------------------------- §2.3.8 AT+QIDNSCFG

    def qidnscfg_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QIDNSCFG: (0-10),<pridnsaddr>,<secdnsaddr>")

    def qidnscfg(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = self.m
        pri, sec = str(v["pridnsaddr"]), v.get("secdnsaddr")
        addresses = [pri] + ([str(sec)] if sec is not None else [])
        # Note 2: in an IPv4 network only IPv4 DNS addresses can be set.
        ipv6 = any(ipaddress.ip_address(a).version != 4 for a in addresses)
        if ipv6 and not deviates(m.config, "qidnscfg_ipv6"):
            m.error(ResultCode.PARAMETERS_INVALID)
            return
        old_sec = m.user_dns[1] if len(m.user_dns) > 1 else None
        if sec is None and old_sec is not None:
            addresses.append(old_sec)  # §2.1.1: an omitted parameter keeps its value
        m.user_dns = addresses
        m.ok()

    def qidnscfg_query(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        # Chapter 4.6 prints the IPv4 pair only; the IPv6 pair of the §2.3.8 table
        # has nothing to show in an IPv4 network.
        shown = self.m.user_dns or [s.ip for s in self.m.dns_servers()]
        pri = shown[0] if shown else "0.0.0.0"
        sec = shown[1] if len(shown) > 1 else "0.0.0.0"
        self.m.ok(f'+QIDNSCFG: 0,"{pri}","{sec}"')
