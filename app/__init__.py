"""qiterm: a console for the Quectel BC660K-GL TCP/IP AT commands."""

from __future__ import annotations

__version__ = "0.1.0"
