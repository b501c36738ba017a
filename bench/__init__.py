"""qiterm benchmarks: figures, not tests.

Run them with ``make bench`` or ``.venv/bin/python -m bench [name ...] [--quick] [--write]``
(see :mod:`bench.__main__`). Every figure is a ratio or a median of interleaved
repetitions measured side by side in one process run, because the machines this
runs on are shared and noisy: an absolute number from one run says little, a
ratio against a baseline measured in the same minute says more.

One module per benchmark, each with ``run(quick: bool) -> dict[str, Figure]``:

* :mod:`bench.framer` - framer + parser throughput on a realistic URC stream;
* :mod:`bench.sim_recv` - the simulator's recv URC output rate under a TCP flood;
* :mod:`bench.roundtrip` - command round trip through the SerialWorker vs raw pyserial;
* :mod:`bench.ingest` - how fast the SerialWorker takes in a flood of recv URCs.
"""

from __future__ import annotations
