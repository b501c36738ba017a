"""Coverage-guided fuzzing of the framer and parser with atheris (libFuzzer).

Not a test (pytest does not collect it): ``make fuzz`` runs it for a fixed budget
and adds the inputs that reached new code to ``tests/corpus/framer/``, which
``tests/test_fuzz_corpus.py`` replays on every ``make test``.

Each input is split into a chunk size (first byte) and a byte stream. The stream,
fed in chunks of that size, must never raise, must account for every byte in the
frames' raw bytes, and must give the same events as the stream fed whole.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from app.protocol import StreamDecoder


def check(data: bytes) -> None:
    if not data:
        return
    chunk = data[0] or 1
    stream = data[1:]
    decoder = StreamDecoder(line_cap=256)
    events = []
    for start in range(0, len(stream), chunk):
        events += decoder.feed(stream[start : start + chunk])
    events += decoder.flush()
    if b"".join(e.raw for e in events) != stream:
        raise AssertionError("bytes lost or duplicated")
    whole = StreamDecoder(line_cap=256)
    if whole.feed(stream) + whole.flush() != events:
        raise AssertionError("events depend on how the stream was cut")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
