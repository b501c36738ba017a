"""The simulated BC660K-GL.

Importing this package registers the ``sim://`` pyserial URL handler
(:mod:`app.sim.protocol_sim`).
"""

from __future__ import annotations

import serial

if "app.sim" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("app.sim")
