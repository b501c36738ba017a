"""Who can reach the simulated module: loopback only, unless it is exposed on purpose.

Every address the simulator binds — the module's own listeners (AT+QIOPEN
"TCP LISTENER" and "UDP SERVICE"), the module's address (the ``ip`` option,
which those listeners bind), and ``qiterm sim --tcp HOST:PORT`` — must be a
loopback one (127.0.0.0/8, ::1). A simulated module answers anyone who connects,
with no password, and can be told to open sockets; on ``0.0.0.0`` or a LAN
address that is anyone on the network. Binding beyond loopback takes an explicit
choice: the ``expose=1`` option of a ``sim://`` URL, or ``qiterm sim --expose``;
then a warning says, on stderr and in the session's log and capture, that the
module is reachable from the network.

This is about who reaches the module. Where the module itself may connect to is
the outgoing guard's business (:mod:`app.sim.guard`), a separate switch.
"""

from __future__ import annotations

import socket
import sys

from app.sim.guard import is_loopback

#: The ``sim://`` option that allows binding beyond loopback.
EXPOSE_OPTION = "expose=1"
#: The ``qiterm sim`` flag that does the same.
EXPOSE_FLAG = "--expose"

EXPOSED_WARNING = (
    "warning: exposed: the simulated module may bind beyond loopback and be reachable "
    "from the network; whoever reaches it can drive it and make it open sockets"
)


def exposed_bind(what: str, address: str) -> str:
    """The warning for a bind beyond loopback that the flag allowed."""
    return f"warning: the simulated module is reachable from the network: {what} {address}"


class BindRefused(ValueError):
    """A bind beyond loopback without the flag that allows it; the message names it."""


def refusal(address: str, what: str, flag: str) -> str:
    """Why ``address`` is not bound, and what would allow it."""
    return (
        f"{what} {address} is not a loopback address: the simulated module would be "
        f"reachable from the network; {flag} allows it"
    )


def check_bind(address: str, *, expose: bool, what: str, flag: str) -> None:
    """Raise BindRefused unless ``address`` is loopback or ``expose`` allows it."""
    if not expose and not is_loopback(address):
        raise BindRefused(refusal(address, what, flag))


def bind_addresses(host: str, port: int, *, expose: bool, what: str, flag: str) -> list[str]:
    """The addresses ``host`` stands for, to bind a TCP server: an IP address as it
    is, a name (``localhost``) resolved. Raises BindRefused when any of them is not
    loopback and ``expose`` is off (so a name cannot smuggle in a LAN address), and
    OSError when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        check_bind(address, expose=expose, what=what, flag=flag)
    return addresses


def report(text: str) -> None:
    """A line from the simulator on stderr, where ``qiterm sim`` reports everything."""
    print(f"qiterm sim: {text}", file=sys.stderr, flush=True)
