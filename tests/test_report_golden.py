"""The text report, diff-checked against a golden file.

tests/fixtures/report_fixed.jsonl is a real run of every_socket.qis on the
simulator with its times and ports made fixed (tests/fixtures/normalise_capture.py
says how), so its report never changes unless the report does. After a wanted
change, rewrite the golden files with ``QITERM_GOLDEN=update`` and read the diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from app.capture.export import report_string
from app.capture.report import ReportOptions

ROOT = Path(__file__).resolve().parent
FIXTURE = ROOT / "fixtures" / "report_fixed.jsonl"
GOLDEN = ROOT / "golden"


@pytest.mark.parametrize(
    ("name", "fmt", "options"),
    [
        ("report.txt", "text", ReportOptions()),
        ("report-masked-slice.md", "md", ReportOptions(mask=True, start="5", stop="+2m")),
    ],
)
def test_the_report_matches_its_golden_file(name: str, fmt: str, options: ReportOptions) -> None:
    made = report_string(FIXTURE, fmt, options)
    golden = GOLDEN / name
    if os.environ.get("QITERM_GOLDEN") == "update":
        golden.write_text(made, "utf-8")
    expected = golden.read_text("utf-8")
    if made != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                made.splitlines(keepends=True),
                f"{name} (golden)",
                f"{name} (made now)",
            )
        )
        pytest.fail(f"the report differs from {golden}:\n{diff}")
