"""``qiterm sim``: run a simulated module on a pty or a TCP port until killed."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from dataclasses import replace
from types import FrameType
from urllib.parse import quote

from app.sim import registry
from app.sim.config import (
    SimConfig,
    SimConfigError,
    check_reach,
    parse_dns_server,
    parse_options,
)
from app.sim.guard import GUARD_LOOPBACK
from app.sim.profiles import get_profile
from app.sim.reach import EXPOSE_FLAG, EXPOSE_OPTION, BindRefused
from app.sim.serve import PtyServer, TcpServer


def parse_host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SimConfigError(f"--tcp takes HOST:PORT (e.g. 127.0.0.1:5555), not {text!r}")
    return host, int(port)


def serve(
    *,
    pty: bool,
    tcp: str | None,
    profile: str,
    echo: bool,
    dns: str,
    dns_port: int,
    ntp_port: int,
    link: str | None = None,
    loopback_only: bool = False,
    options: tuple[str, ...] = (),
    replay: str | None = None,
    speed: float = 1.0,
    replay_log: str | None = None,
    expose: bool = False,
    takeover: bool = False,
) -> int:
    """Serve until SIGTERM or SIGINT; the exit code. Raises SimConfigError for a bad
    option, or a bind beyond loopback that ``expose`` (``--expose``) does not allow."""
    try:
        get_profile(profile)
    except ValueError as exc:
        raise SimConfigError(str(exc)) from None
    servers = tuple(parse_dns_server(d) for d in dns.split(",") if d.strip())
    address = parse_host_port(tcp) if tcp is not None else None
    config = SimConfig(
        name="served",
        profile=profile,
        echo=echo,
        boot=True,
        network_dns=servers,
        dns_port=dns_port,
        ntp_port=ntp_port,
        guard=GUARD_LOOPBACK if loopback_only else None,
        replay=replay,
        speed=speed,
        replay_log=replay_log,
    )
    config = apply_options(config, options)
    if expose:
        config = replace(config, expose=True)
    check_reach(config, f"{EXPOSE_FLAG} (or -o {EXPOSE_OPTION})")
    if address is not None:
        # Before the module starts: a refused address is said with nothing started.
        try:
            TcpServer.bind_addresses(*address, expose=config.expose)
        except BindRefused as exc:
            raise SimConfigError(str(exc)) from None
        except OSError as exc:
            print(f"qiterm sim: cannot listen on {tcp}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    module = registry.make(config)
    what = (
        f"replaying the capture {config.replay}"
        if config.replay is not None
        else "serving a simulated BC660K-GL"
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server: PtyServer | TcpServer
        if address is not None:
            try:
                tcp_server = TcpServer(
                    module, *address, expose=config.expose, takeover=takeover
                ).start()
            except OSError as exc:
                print(f"qiterm sim: cannot listen on {tcp}: {exc.strerror or exc}", file=sys.stderr)
                return 1
            server, where = tcp_server, tcp_server.url
        else:
            pty_server = PtyServer(module).start()
            server, where = pty_server, pty_server.path
            if link is not None:
                try:
                    make_link(link, pty_server.path)
                except OSError as exc:
                    print(
                        f"qiterm sim: cannot create {link}: {exc.strerror or exc}", file=sys.stderr
                    )
                    server.stop()
                    return 1
                where = link
        print(where, flush=True)
        print(
            f"qiterm sim: {what} on {where} (Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        server.stop()
    finally:
        module.close()
        if link is not None and os.path.islink(link):
            os.unlink(link)
    return 0


def apply_options(config: SimConfig, options: tuple[str, ...]) -> SimConfig:
    """``-o KEY=VALUE`` options: any ``sim://`` URL option (app.sim.config), over the
    flags. Raises SimConfigError naming a bad one (their reach is checked with the
    flags, by :func:`serve`)."""
    if not options:
        return config
    pairs = []
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise SimConfigError(f"-o takes KEY=VALUE (a sim:// option), not {option!r}")
        pairs.append((key.strip(), value))
    query = "&".join(f"{quote(k)}={quote(v, safe=',:[]')}" for k, v in pairs)
    parsed = parse_options(f"sim://served?{query}")
    fields = {"dns": "network_dns", "log": "replay_log"}
    return replace(
        config,
        **{fields.get(k, k): getattr(parsed, fields.get(k, k)) for k, _ in pairs},
    )


def make_link(link: str, target: str) -> None:
    """A stable name for the pty (like socat's link=), so a client that reconnects
    finds the module again after ``qiterm sim`` restarts. Only ever replaces a symlink."""
    if os.path.lexists(link):
        if not os.path.islink(link):
            raise FileExistsError(errno.EEXIST, "exists and is not a symlink", link)
        os.unlink(link)
    os.symlink(target, link)
