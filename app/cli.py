"""Command-line entry points: ``qiterm [console] | run | sim | export | view``."""

from __future__ import annotations

import sys

import click

from app import __version__

SIM_URL = "sim://"


class _DefaultGroup(click.Group):
    """A group whose options without a sub-command open the console."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        if any(a in ("--help", "-h") for a in args) and not args[0].startswith("-"):
            return super().parse_args(ctx, args)
        return super().parse_args(ctx, ["console", *args])


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qiterm")
def main() -> None:
    """qiterm: a console for the Quectel BC660K-GL TCP/IP AT commands.

    With no sub-command it opens the console; with no -p it talks to the
    built-in simulated module (sim://).
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
    "--log",
    "log_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Capture file (JSON Lines), a new file in an existing folder. Default: a "
    "timestamped file in the profile's log folder or the user log directory.",
)
@click.option(
    "--force", is_flag=True, help="Replace the --log file if it exists (never done otherwise)."
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
    log_path: str | None,
    profile: str | None,
    force: bool,
    pick: bool,
    no_peers: bool,
    welcome: bool | None,
) -> None:
    """Open the console (the default)."""
    from app.console.launch import run_console

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
        )
    )


@main.command()
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
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
    script: str, port: str | None, log_path: str | None, force: bool, variables: tuple[str, ...]
) -> None:
    """Run a scenario SCRIPT headless; exit 0 only if every step passed.

    On the built-in simulator (no -p) the loopback demo peers are started for the
    run. Exit codes: 0 passed, 1 a step failed or the port cannot be opened,
    2 a problem in the script, 130 interrupted.
    """
    from app.session.run import run_main

    sys.exit(run_main(script, port, log_path, list(variables), force=force))


@main.command()
@click.option("--pty", "use_pty", is_flag=True, help="Serve the module on a pseudo-terminal.")
@click.option(
    "--tcp", "tcp", default=None, metavar="HOST:PORT", help="Serve the module to socket:// clients."
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
def sim(
    use_pty: bool,
    tcp: str | None,
    profile: str,
    echo: bool,
    dns: str,
    dns_port: int,
    ntp_port: int,
    link: str | None,
) -> None:
    """Serve the simulated BC660K-GL on a pty or TCP port until killed.

    The first line printed is what to open: the pty's device path, or the
    socket:// URL.
    """
    from app.sim.config import SimConfigError
    from app.sim.serve_main import serve

    if use_pty == (tcp is not None):
        raise click.UsageError("choose one of --pty or --tcp HOST:PORT")
    if link is not None and not use_pty:
        raise click.UsageError("--link goes with --pty")
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
        )
    except SimConfigError as exc:
        raise click.UsageError(str(exc)) from None
    sys.exit(code)


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "html", "jsonl"]), default="text")
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False))
def export(log: str, fmt: str, output: str | None) -> None:
    """Export a capture LOG as text, HTML or JSON Lines."""
    from app.capture.export import export_main

    sys.exit(export_main(log, fmt, output))


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False))
def view(log: str) -> None:
    """Open a capture LOG read-only in the console."""
    from app.viewer.app import view_main

    sys.exit(view_main(log))


if __name__ == "__main__":  # pragma: no cover
    main()
