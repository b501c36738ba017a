"""The port picker's model: which ports to offer.

:func:`list_ports` merges three sources, with no duplicates:

1. the serial ports the OS reports now (``serial.tools.list_ports``), Quectel
   devices (USB vendor 0x2C7C, or "Quectel" as the manufacturer) first;
2. the built-in simulator ``sim://``, always there;
3. recently used ports (:class:`app.config.recent.RecentPorts`), most recent first: those that
   exist now (a pty, a ``/dev/serial/by-id`` link, a ``sim://`` variant) are
   marked present, the others (an unplugged adapter, a ``socket://`` URL whose
   server nobody can vouch for) ``present=False`` and listed last.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from typing import Any

import msgspec

log = logging.getLogger(__name__)

QUECTEL_VID = 0x2C7C
SIM_PORT = "sim://"
SIM_DESCRIPTION = "built-in simulated BC660K-GL"


def is_builtin_simulator(url: str | None) -> bool:
    """No port at all, or a ``sim://`` URL: the built-in simulated module."""
    return url is None or url.lower().startswith(SIM_PORT)


_COM = re.compile(r"(?i)com\d+")
_NUMBERS = re.compile(r"(\d+)")


class PortChoice(msgspec.Struct, frozen=True):
    #: What to open: a device path (``/dev/ttyUSB0``, ``COM3``) or a URL.
    device: str
    description: str
    #: ``"2C7C:0700"`` for a USB device, else None.
    vid_pid: str | None = None
    manufacturer: str | None = None
    #: A Quectel USB device (vendor 0x2C7C).
    quectel: bool = False
    #: The OS lists it now (always True for ``sim://``).
    present: bool = True
    #: In the recently used list.
    recent: bool = False

    @property
    def is_url(self) -> bool:
        return "://" in self.device

    @property
    def label(self) -> str:
        """One line for the picker: ``/dev/ttyUSB0  Quectel USB AT Port [2C7C:0700]``."""
        parts = [self.device, self.description]
        if self.vid_pid:
            parts.append(f"[{self.vid_pid}]")
        if not self.present:
            parts.append("(not present)")
        return "  ".join(p for p in parts if p)


def comports() -> list[Any]:
    """The OS's serial ports (the boundary tests replace)."""
    from serial.tools import list_ports as serial_list_ports

    return list(serial_list_ports.comports())


def port_key(device: str) -> str:
    """Compare ports as the OS does: COM names and URL schemes ignore case."""
    if _COM.fullmatch(device):
        return device.upper()
    scheme, sep, rest = device.partition("://")
    return f"{scheme.lower()}://{rest}" if sep else device


def _natural(device: str) -> list[Any]:
    """ttyUSB2 before ttyUSB10."""
    return [int(p) if p.isascii() and p.isdigit() else p.lower() for p in _NUMBERS.split(device)]


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and value.lower() != "n/a" else None


def _from_info(info: Any, recent: set[str]) -> PortChoice | None:
    device = _text(getattr(info, "device", None))
    if device is None:
        return None
    vid, pid = getattr(info, "vid", None), getattr(info, "pid", None)
    vid_pid = f"{vid:04X}:{pid:04X}" if isinstance(vid, int) and isinstance(pid, int) else None
    manufacturer = _text(getattr(info, "manufacturer", None))
    quectel = vid == QUECTEL_VID or "quectel" in (manufacturer or "").lower()
    description = _text(getattr(info, "description", None)) or ""
    if description == device:
        description = ""
    interface = _text(getattr(info, "interface", None))
    if interface and interface not in description:
        description = f"{description} ({interface})" if description else interface
    if not description:
        description = manufacturer or "serial port"
    return PortChoice(
        device=device,
        description=description,
        vid_pid=vid_pid,
        manufacturer=manufacturer,
        quectel=quectel,
        present=True,
        recent=port_key(device) in recent,
    )


def list_ports(recent: Sequence[str] = ()) -> list[PortChoice]:
    """Every port worth offering, best first (see the module docstring)."""
    recent_keys = {port_key(r) for r in recent}
    try:
        infos = comports()
    except Exception as exc:  # a broken udev/registry must not break the picker
        log.warning("listing serial ports failed: %s", exc)
        infos = []
    hardware: list[PortChoice] = []
    seen: set[str] = set()
    for info in infos:
        choice = _from_info(info, recent_keys)
        if choice is None or port_key(choice.device) in seen:
            continue
        seen.add(port_key(choice.device))
        hardware.append(choice)
    hardware.sort(key=lambda c: (not c.quectel, _natural(c.device)))
    choices = list(hardware)
    if port_key(SIM_PORT) not in seen:
        seen.add(port_key(SIM_PORT))
        choices.append(
            PortChoice(SIM_PORT, SIM_DESCRIPTION, recent=port_key(SIM_PORT) in recent_keys)
        )
    present: list[PortChoice] = []
    absent: list[PortChoice] = []
    for device in recent:
        device = device.strip()
        if not device or port_key(device) in seen:
            continue
        seen.add(port_key(device))
        if is_builtin_simulator(device):
            present.append(PortChoice(device, SIM_DESCRIPTION, recent=True))
        elif "://" not in device and os.path.exists(device):
            target = os.path.realpath(device)
            what = f"recently used, link to {target}" if target != device else "recently used"
            present.append(PortChoice(device, what, recent=True))
        else:
            what = "recently used URL" if "://" in device else "recently used, not connected"
            absent.append(PortChoice(device, what, present=False, recent=True))
    return choices + present + absent


# --- recently used ports --------------------------------------------------------------


__all__ = [
    "QUECTEL_VID",
    "SIM_DESCRIPTION",
    "SIM_PORT",
    "PortChoice",
    "comports",
    "is_builtin_simulator",
    "list_ports",
    "port_key",
]
