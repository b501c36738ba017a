"""Replay the fuzzing corpus: every input that once reached new framer/parser code
(``make fuzz`` grows ``tests/corpus/framer/`` with atheris) must still keep the
invariants the fuzzer checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.protocol import StreamDecoder

CORPUS = sorted((Path(__file__).parent / "corpus" / "framer").iterdir())


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 40, "tests/corpus/framer holds the seeds and what fuzzing found"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name[:16])
def test_corpus_input_keeps_the_invariants(path: Path) -> None:
    data = path.read_bytes()
    if not data:
        return
    chunk = data[0] or 1
    stream = data[1:]
    for cap in (256, 4096):
        decoder = StreamDecoder(line_cap=cap)
        events = []
        for start in range(0, len(stream), chunk):
            events += decoder.feed(stream[start : start + chunk])
        events += decoder.flush()
        assert b"".join(e.raw for e in events) == stream
        whole = StreamDecoder(line_cap=cap)
        assert whole.feed(stream) + whole.flush() == events
