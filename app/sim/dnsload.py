"""dnspython, loaded on first use (it costs ~50 ms at start-up otherwise).

The demo DNS peer and the simulated module each run on their own thread; the
first DNS query of each would import dnspython's modules there. Loading them all
under one lock keeps two threads from importing the same package at once (which
can expose a half-initialised module).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_loaded = False


def load_dns() -> None:
    """Import every dnspython module qiterm uses (once; thread-safe)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        import dns.asyncquery
        import dns.exception
        import dns.flags
        import dns.message
        import dns.name
        import dns.opcode
        import dns.rcode
        import dns.rdataclass
        import dns.rdatatype
        import dns.rrset  # noqa: F401

        _loaded = True
