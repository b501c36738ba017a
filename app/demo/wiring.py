"""First run: demo peers for the built-in simulated module.

On a machine with no internet a newcomer still needs something to connect to,
ping, ask the time of and resolve. When qiterm runs on the built-in simulator it
starts :class:`app.demo.peers.Peers` on loopback (ephemeral ports, 127.0.0.1 only,
stopped on exit) and points the simulated module at them: the DNS peer is the
DNS server the network issues (so names resolve as on a real network), and
AT+QNTP without a port asks the NTP peer.

The same names and ports fill the console's forms and the scenario scripts'
``${VARIABLES}``.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from urllib.parse import urlencode

from app.demo.peers import Peers

ECHO_HOST = "echo.qiterm.local"
TIME_HOST = "time.qiterm.local"


@dataclass
class Demo:
    peers: Peers
    url: str
    #: ``${NAME}`` values for scenario scripts.
    variables: dict[str, str] = field(default_factory=dict)
    #: Pre-filled form values for the console.
    defaults: dict[str, object] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """One line per peer, for the welcome panel and ``qiterm run`` output."""
        v = self.variables
        return [
            f"TCP echo    {ECHO_HOST} = {v['ECHO_IP']}:{v['ECHO_TCP_PORT']}",
            f"UDP echo    {ECHO_HOST} = {v['ECHO_IP']}:{v['ECHO_UDP_PORT']}",
            f"NTP server  {TIME_HOST} = {v['ECHO_IP']}:{v['NTP_PORT']}",
            f"DNS server  {v['DNS_IP']}:{v['DNS_PORT']} (issued by the simulated network)",
        ]

    def wire(self, url: str) -> str:
        """``url`` (a ``sim://`` URL) with the simulated network's DNS server and
        the default NTP port pointed at these peers (the URL's own options win)."""
        assert self.peers.dns is not None and self.peers.ntp is not None
        dns_ip, dns_port = self.peers.dns
        return add_options(
            url, dns=f"{dns_ip}:{dns_port}", dns_port=dns_port, ntp_port=self.peers.ntp[1]
        )

    def stop(self) -> None:
        self.peers.stop()


def add_options(url: str, **options: object) -> str:
    """``sim://x?a=1`` + options (existing ones win: the user's URL is the boss)."""
    base, _, query = url.partition("?")
    given = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    merged = {k: str(v) for k, v in options.items() if k not in given}
    merged.update(given)
    return f"{base}?{urlencode(merged, safe=':,')}" if merged else base


def start_demo(url: str = "sim://") -> Demo:
    """Start the peers and return the sim URL wired to them."""
    peers = Peers().start()
    assert peers.tcp_echo and peers.udp_echo and peers.ntp and peers.dns
    dns_ip, dns_port = peers.dns
    variables = {
        "ECHO_HOST": ECHO_HOST,
        "ECHO_IP": peers.tcp_echo[0],
        "ECHO_TCP_PORT": str(peers.tcp_echo[1]),
        "ECHO_UDP_PORT": str(peers.udp_echo[1]),
        "TIME_HOST": TIME_HOST,
        "NTP_PORT": str(peers.ntp[1]),
        "DNS_IP": dns_ip,
        "DNS_PORT": str(dns_port),
    }
    defaults: dict[str, object] = {
        "tcp_host": ECHO_HOST,
        "tcp_port": peers.tcp_echo[1],
        "udp_port": peers.udp_echo[1],
        "ping_host": ECHO_HOST,
        "ntp_server": TIME_HOST,
        "ntp_port": peers.ntp[1],
        "dns_name": ECHO_HOST,
        "dns_server": dns_ip,
    }
    demo = Demo(peers, url, variables, defaults)
    demo.url = demo.wire(url)
    return demo


def simulator_variables(demo: Demo, module_ip: str = "127.0.0.1") -> dict[str, str]:
    """The ``${NAME}`` values for a run on the built-in simulator: the demo peers',
    the module's address, and a free local TCP port (``LISTENER_PORT``) and UDP
    port (``SERVICE_PORT``) for a TCP LISTENER or UDP SERVICE to bind."""
    return {
        **demo.variables,
        "MODULE_IP": module_ip,
        "LISTENER_PORT": str(_free_port(module_ip, socket.SOCK_STREAM)),
        "SERVICE_PORT": str(_free_port(module_ip, socket.SOCK_DGRAM)),
    }


def _free_port(ip: str, kind: socket.SocketKind) -> int:
    """A port the OS says is free on ``ip`` now (the simulated module binds the
    host's sockets, so its listeners share the host's ports)."""
    for host in (ip, "127.0.0.1"):
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, kind) as probe:
            probe.bind((host, 0))
            port: int = probe.getsockname()[1]
            return port
    raise OSError(f"no free local port on {ip}")
