"""Command-line entry points: ``qiterm [console] | run | sim | check | export | view``."""

from __future__ import annotations

import gc
import sys

import click

from app import __version__
from app.config.size import parse_log_memory

#: Options of qiterm itself (the rest, without a sub-command, are the console's).
_OWN = ("--help", "-h", "--version")


class _DefaultGroup(click.Group):
    """A group whose options without a sub-command open the console; its help
    lists every sub-command and the console's options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and (args[0] in self.commands or args[0] in _OWN):
            return super().parse_args(ctx, args)
        return super().parse_args(ctx, ["console", *args])  # plain `qiterm` too

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        console = self.commands["console"]
        records = [r for p in console.get_params(ctx) if (r := p.get_help_record(ctx))]
        with formatter.section("Console options (qiterm [OPTIONS] opens the console)"):
            formatter.write_dl([r for r in records if not r[0].startswith("-h")])


def _log_memory(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--log-memory``: a size such as ``32M`` (app.config.size), in bytes."""
    if value is None:
        return None
    try:
        return parse_log_memory(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.group(
    cls=_DefaultGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    subcommand_metavar="[COMMAND] [ARGS]...",
)
@click.version_option(__version__, prog_name="qiterm", message="%(prog)s %(version)s")
def main() -> None:
    """qiterm: a console for the Quectel BC660K-GL TCP/IP AT commands.

    With no sub-command it opens the console; with no -p it talks to the
    built-in simulated module (sim://). `qiterm COMMAND --help` tells more.
    """


@main.command()
@click.option(
    "-p",
    "--port",
    "port",
    default=None,
    help="Serial port or pyserial URL "
    "(/dev/ttyUSB0, COM3, socket://host:port, rfc2217://..., sim://). "
    "Default: the built-in simulated module.",
)
@click.option(
    "-b",
    "--baud",
    "baud",
    default=None,
    type=click.IntRange(min=1),
    help="Baud rate (default: the profile's, else 115200).",
)
@click.option(
    "--databits",
    type=click.Choice(["5", "6", "7", "8"]),
    default=None,
    help="Data bits (default: the profile's, else 8).",
)
@click.option(
    "--parity",
    type=click.Choice(["N", "E", "O", "M", "S"], case_sensitive=False),
    default=None,
    help="Parity: N none, E even, O odd, M mark, S space (default: the profile's, else N).",
)
@click.option(
    "--stopbits",
    type=click.Choice(["1", "1.5", "2"]),
    default=None,
    help="Stop bits (default: the profile's, else 1).",
)
@click.option(
    "--rtscts/--no-rtscts", default=None, help="RTS/CTS hardware flow control (default off)."
)
@click.option(
    "--xonxoff/--no-xonxoff", default=None, help="XON/XOFF software flow control (default off)."
)
@click.option(
    "--line-ending",
    type=click.Choice(["CR", "CRLF", "LF"], case_sensitive=False),
    default=None,
    help="What ends each command line (default: the profile's, else CR as the spec says).",
)
@click.option(
    "--local-echo/--no-local-echo",
    default=None,
    help="The log shows what qiterm sends (default), or only what comes back.",
)
@click.option(
    "--log-memory",
    "log_memory",
    default=None,
    metavar="SIZE",
    callback=_log_memory,
    help="Memory the log's lines may keep, such as 32M or 512K (binary units, 1M-64G; "
    "default: the profile's, else 12M). The oldest lines leave the log first; the "
    "capture keeps every one.",
)
@click.option(
    "--log",
    "log_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Capture file (JSON Lines), a new file in an existing folder. Default: a "
    "timestamped file in the profile's log folder or the user log directory.",
)
@click.option(
    "--text-log",
    "text_log",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write the session as plain text to this new file as it runs, in the text "
    "export's format (polling folded).",
)
@click.option(
    "--text-log-all",
    is_flag=True,
    help="Keep the polling and start-up queries in the --text-log file.",
)
@click.option(
    "--capture-max-size",
    "capture_max_size",
    default=None,
    metavar="SIZE",
    help="Go on in a new numbered capture file (x.1.jsonl, x.2.jsonl...) once the "
    'file would pass SIZE: "100M" (default: the profile\'s, else 100M), "1G", "512K", '
    'bytes, or "off".',
)
@click.option(
    "--capture-polls",
    "capture_polls",
    type=click.Choice(["changes", "all", "none"], case_sensitive=False),
    default=None,
    help="The polling in the capture: changes (default: a poll is kept when its answer "
    "differs from the one before), all, or none.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the --log (and --text-log) file if it exists (never done otherwise).",
)
@click.option(
    "--profile",
    "profile",
    default=None,
    metavar="NAME|PATH",
    help="Device profile (TOML): NAME reads <config dir>/qiterm/profiles/NAME.toml. "
    'Default: the profile named "default" when it exists. -p and -b win over it.',
)
@click.option(
    "--pick", is_flag=True, help="Choose the port from a list (serial ports, the simulator)."
)
@click.option(
    "--no-peers",
    is_flag=True,
    help="On the built-in simulator, do not start the loopback demo peers "
    "(TCP/UDP echo, NTP, DNS).",
)
@click.option(
    "--welcome/--no-welcome",
    default=None,
    help="Show (or not) the welcome panel; by default it shows on the first start only.",
)
def console(
    port: str | None,
    baud: int | None,
    databits: str | None,
    parity: str | None,
    stopbits: str | None,
    rtscts: bool | None,
    xonxoff: bool | None,
    line_ending: str | None,
    local_echo: bool | None,
    log_memory: int | None,
    log_path: str | None,
    text_log: str | None,
    text_log_all: bool,
    capture_max_size: str | None,
    capture_polls: str | None,
    profile: str | None,
    force: bool,
    pick: bool,
    no_peers: bool,
    welcome: bool | None,
) -> None:
    """Open the console (the default)."""
    # No cyclic garbage collection until the first frame is on screen (the console
    # turns it back on then): start-up allocates many objects and frees few, and
    # each full collection on the way would walk them all again.
    gc.disable()
    from app.console.launch import SerialOptions, run_console

    serial = SerialOptions(
        databits=int(databits) if databits else None,
        parity=parity.upper() if parity else None,
        stopbits=float(stopbits) if stopbits else None,
        rtscts=rtscts,
        xonxoff=xonxoff,
        line_ending=line_ending.upper() if line_ending else None,
        local_echo=local_echo,
    )
    if text_log_all and not text_log:
        raise click.UsageError("--text-log-all goes with --text-log PATH")
    max_size: int | None = None  # not given: the profile's
    if capture_max_size is not None:
        from app.config.size import parse_capture_size

        try:
            max_size = parse_capture_size(capture_max_size) or 0  # 0: no limit
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--capture-max-size") from None
    sys.exit(
        run_console(
            port=port,
            baud=baud,
            log_path=log_path,
            peers=not no_peers,
            welcome=welcome,
            profile=profile,
            pick=pick,
            force=force,
            serial=serial,
            text_log=text_log,
            text_log_all=text_log_all,
            capture_max_size=max_size,
            capture_polls=capture_polls.lower() if capture_polls else None,
            log_memory=log_memory,
        )
    )


@main.command()
@click.argument("script", required=False)
@click.option("--list", "list_them", is_flag=True, help="List the shipped scenarios and exit.")
@click.option("-p", "--port", "port", default=None, help="Serial port or URL (default sim://).")
@click.option(
    "--log",
    "log_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Capture file (a new file in an existing folder; default: a timestamped one).",
)
@click.option("--force", is_flag=True, help="Replace the --log file if it exists.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a script variable ${NAME} (repeatable); wins over the script's set lines "
    "and the demo peers' values.",
)
def run(
    script: str | None,
    list_them: bool,
    port: str | None,
    log_path: str | None,
    force: bool,
    variables: tuple[str, ...],
) -> None:
    """Run a scenario script (a .qis file or a shipped name) headless.

    SCRIPT is a .qis file, or the name of a shipped scenario (qiterm run --list)
    when no file of that name exists. On the built-in simulator (no -p) the
    loopback demo peers are started for the run. Exit codes: 0 passed, 1 a step
    failed or the port cannot be opened, 2 a problem in the script, 130
    interrupted.
    """
    from app.session.run import list_main, run_main

    if list_them:
        sys.exit(list_main())
    if script is None:
        raise click.UsageError("give a script file or a shipped scenario's name (see --list)")
    sys.exit(run_main(script, port, log_path, list(variables), force=force))


@main.command()
@click.option("--pty", "use_pty", is_flag=True, help="Serve the module on a pseudo-terminal.")
@click.option(
    "--tcp",
    "tcp",
    default=None,
    metavar="HOST:PORT",
    help="Serve the module to socket:// clients, one at a time; HOST must be a loopback "
    "address (127.0.0.1, ::1, localhost) unless --expose.",
)
@click.option(
    "--expose",
    is_flag=True,
    help="Allow binds beyond loopback (--tcp 0.0.0.0:PORT, a LAN address, -o ip=0.0.0.0, "
    "AT+QIOPEN listeners on them): the module becomes reachable from the network, with "
    "no password; a warning says so on stderr.",
)
@click.option(
    "--allow-takeover",
    "takeover",
    is_flag=True,
    help="With --tcp: a new client takes the module over from the connected one (closed). "
    "Without it a second client reads 'qiterm sim: busy, another client is connected' and "
    "is closed; the first keeps its session.",
)
@click.option(
    "--profile",
    default="none",
    show_default=True,
    help="Impairment profile: none, or nbiot for realistic NB-IoT latencies.",
)
@click.option("--echo/--no-echo", default=True, show_default=True, help="Command echo (ATE1).")
@click.option(
    "--dns",
    "dns",
    default="",
    metavar="IP[:PORT],...",
    help="DNS servers the network issues to the module (none by default).",
)
@click.option(
    "--dns-port",
    default=53,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="UDP port of the DNS servers set with AT+QIDNSCFG.",
)
@click.option(
    "--ntp-port",
    default=123,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port AT+QNTP uses when the command gives none.",
)
@click.option(
    "--link",
    default=None,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="With --pty: also make PATH a symlink to the pty, a name that stays the same "
    "when qiterm sim restarts.",
)
@click.option(
    "--loopback-only",
    is_flag=True,
    help="Refuse every destination outside 127.0.0.0/8 and ::1 (sockets, ping, NTP, DNS); "
    "QITERM_SIM_LOOPBACK_ONLY=1 does the same.",
)
@click.option(
    "--peers",
    is_flag=True,
    help="Also start the loopback demo peers (TCP/UDP echo, NTP, DNS), point the simulated "
    "network's DNS and NTP at them, and list them on stderr.",
)
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any sim:// URL option (repeatable), e.g. -o sleep=1 -o imei=866818039921444 "
    "-o urc_boundaries=1 -o seed=7; see the README.",
)
@click.option(
    "--replay",
    "replay",
    default=None,
    metavar="CAPTURE",
    type=click.Path(exists=True, dir_okay=False),
    help="Answer from a capture recorded on a module (qiterm's JSON Lines) instead of "
    "simulating: each command gets the recorded answer, with the recorded delays and URCs.",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.001, max=1_000_000),
    help="With --replay: play the recorded delays this many times faster.",
)
@click.option(
    "--log",
    "log_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="With --replay: the replay's own capture (what the host sent, what was answered, "
    "each divergence). Default: a timestamped file in the user log directory.",
)
def sim(
    use_pty: bool,
    tcp: str | None,
    profile: str,
    echo: bool,
    dns: str,
    dns_port: int,
    ntp_port: int,
    link: str | None,
    loopback_only: bool,
    expose: bool,
    takeover: bool,
    peers: bool,
    options: tuple[str, ...],
    replay: str | None,
    speed: float,
    log_path: str | None,
) -> None:
    """Serve the simulated BC660K-GL on a pty or TCP port until killed.

    The first line printed is what to open: the pty's device path, or the
    socket:// URL (the demo peers, with --peers, are listed on stderr). With
    --replay the module answers from a capture; a command the capture cannot
    answer gets ERROR, and the divergence is reported on stderr and in the
    replay's own capture.

    Everything the simulator binds is loopback-only unless --expose: --tcp
    0.0.0.0:PORT, a LAN address, -o ip=0.0.0.0 and AT+QIOPEN listeners beyond
    loopback are refused (the listeners with 556). With --tcp one client is
    served at a time: another one is told it is busy and closed
    (--allow-takeover lets the newest take over instead).
    """
    import os

    from app.sim.config import SimConfigError
    from app.sim.serve_main import serve

    if use_pty == (tcp is not None):
        raise click.UsageError("choose one of --pty or --tcp HOST:PORT")
    if link is not None and not use_pty:
        raise click.UsageError("--link goes with --pty")
    if takeover and tcp is None:
        raise click.UsageError("--allow-takeover goes with --tcp")
    if replay is None and (log_path is not None or speed != 1.0):
        raise click.UsageError("--log and --speed go with --replay")
    if use_pty and not hasattr(os, "openpty"):
        raise click.UsageError(
            "--pty needs a POSIX pseudo-terminal, which this system does not have; "
            "serve the module over TCP instead (qiterm sim --tcp 127.0.0.1:5555) and open "
            "socket://127.0.0.1:5555 in your terminal program (or a virtual COM port pair "
            "bridged to it)"
        )
    if replay is not None:
        import app.playback  # noqa: F401  (lets the simulator play captures back)
        from app.capture.recorder import default_capture_path

        log_path = log_path or str(default_capture_path())
        click.echo(f"qiterm sim: the replay's own capture: {log_path}", err=True)
    demo = None
    if peers:
        from app.demo.wiring import start_demo

        try:
            demo = start_demo()
        except OSError as exc:
            raise click.ClickException(f"cannot start the demo peers on loopback: {exc}") from None
        assert demo.peers.dns is not None and demo.peers.ntp is not None
        dns = f"{demo.peers.dns[0]}:{demo.peers.dns[1]}"
        dns_port, ntp_port = demo.peers.dns[1], demo.peers.ntp[1]
        for line in demo.describe():
            click.echo(f"demo peer: {line}", err=True)
    try:
        code = serve(
            pty=use_pty,
            tcp=tcp,
            profile=profile,
            echo=echo,
            dns=dns,
            dns_port=dns_port,
            ntp_port=ntp_port,
            link=link,
            loopback_only=loopback_only,
            options=options,
            expose=expose,
            takeover=takeover,
            replay=replay,
            speed=speed,
            replay_log=log_path,
        )
    except SimConfigError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        if demo is not None:
            demo.stop()
    sys.exit(code)


@main.command()
@click.option(
    "-p",
    "--port",
    "port",
    default=None,
    help="Serial port or URL of the module to check (default: the built-in simulator).",
)
@click.option(
    "--report",
    "report_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write the report as one self-contained HTML file (readable by you only).",
)
@click.option(
    "--log",
    "log_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Capture of the run (JSON Lines). Default: a timestamped file in the user log directory.",
)
@click.option(
    "--tcp-echo", default=None, metavar="HOST:PORT", help="A TCP echo server the module can reach."
)
@click.option(
    "--udp-echo", default=None, metavar="HOST:PORT", help="A UDP echo server the module can reach."
)
@click.option(
    "--ntp", default=None, metavar="HOST[:PORT]", help="An NTP server the module can reach."
)
@click.option("--ping", default=None, metavar="HOST", help="A host the module can ping.")
@click.option(
    "--dns-name", default=None, metavar="NAME", help="A name the module's DNS servers resolve."
)
@click.option(
    "--inbound",
    is_flag=True,
    help="Connect from this machine to the module's own address (TCP LISTENER tests).",
)
def check(
    port: str | None,
    report_path: str | None,
    log_path: str | None,
    tcp_echo: str | None,
    udp_echo: str | None,
    ntp: str | None,
    ping: str | None,
    dns_name: str | None,
    inbound: bool,
) -> None:
    """Check a module against the TCP/IP application note: a conformance report.

    Each command of chapter 2.3 (test, read and write forms, response layout,
    parameter errors, result codes, response times), the URCs, data mode and the
    chapter 4 flows, with a table per command (conforms / differs, what the spec
    expects and what came). By default the check starts its own loopback peers
    and nothing leaves this machine; a module on a real network needs peers it can
    reach (--tcp-echo, --udp-echo, --ntp, --ping, --dns-name). Exit codes: 0 all
    conform, 1 the module differs, 2 a bad option, 3 the check could not run.
    """
    from app.check.net import PeerOptions, parse_host_port
    from app.check.run import check_main

    try:
        peers = PeerOptions(
            tcp_echo=parse_host_port(tcp_echo, "--tcp-echo") if tcp_echo else None,
            udp_echo=parse_host_port(udp_echo, "--udp-echo") if udp_echo else None,
            ntp=parse_host_port(ntp, "--ntp", default_port=123) if ntp else None,
            ping=ping,
            dns_name=dns_name,
            inbound=inbound,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    sys.exit(check_main(port, report_path=report_path, log_path=log_path, peers=peers))


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "md", "jsonl"]),
    default="text",
    show_default=True,
    help="html: one self-contained page (summary, contents, socket timeline, transcript); "
    "text and md: the same as plain text and Markdown; jsonl: the records again, cleaned.",
)
@click.option(
    "-o",
    "--output",
    "output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write here (created readable by you only) instead of standard output.",
)
@click.option(
    "--all",
    "keep_all",
    is_flag=True,
    help="Keep the console's polling (AT+QISTATE?) and start-up queries; "
    "by default they are folded into a count.",
)
@click.option(
    "--mask",
    is_flag=True,
    help="Replace the IMEI, IMSI, ICCID and the module's IP address everywhere by "
    "placeholders (IMEI-1, ...), for a log sent outside the company.",
)
@click.option(
    "--from",
    "start",
    default=None,
    metavar="WHERE",
    help="Start at a marker (its number, or words of its text) or a time "
    "(+SECONDS or +M:SS since the start, HH:MM:SS local time, or an ISO date and time).",
)
@click.option(
    "--to", "stop", default=None, metavar="WHERE", help="Stop before this marker, or at this time."
)
def export(
    log: str,
    fmt: str,
    output: str | None,
    keep_all: bool,
    mask: bool,
    start: str | None,
    stop: str | None,
) -> None:
    """Export a capture LOG as a report to share (HTML, text, Markdown) or as JSON Lines.

    The report opens with what a reader asks first (module and firmware, port,
    start and duration, sockets and their peers, bytes both ways, errors with
    their result codes, ping/NTP/DNS results), then the transcript: every line
    marked sent, echo, response, URC, note or qiterm's own event, each command
    grouped with its answer and elapsed time, notes and markers as sections.
    Exit codes: 0 written, 1 the output could not be written, 2 bad input.
    """
    from app.capture.export import export_main

    sys.exit(export_main(log, fmt, output, keep_all=keep_all, mask=mask, start=start, stop=stop))


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False))
def view(log: str) -> None:
    """Open a capture LOG read-only in the console."""
    from app.viewer.app import view_main

    sys.exit(view_main(log))


if __name__ == "__main__":  # pragma: no cover
    main()
