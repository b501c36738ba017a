"""Session capture: the recorder (JSON Lines, written from the serial worker
thread), the reader (tolerates a torn last line) and the exporters."""

from __future__ import annotations

from app.capture.export import export_html, export_jsonl, export_main, export_text
from app.capture.reader import (
    Capture,
    CaptureError,
    iter_records,
    read_capture,
    record_bytes,
    rx_stream,
    tx_stream,
)
from app.capture.recorder import CaptureRecorder, default_capture_path

__all__ = [
    "Capture",
    "CaptureError",
    "CaptureRecorder",
    "default_capture_path",
    "export_html",
    "export_jsonl",
    "export_main",
    "export_text",
    "iter_records",
    "read_capture",
    "record_bytes",
    "rx_stream",
    "tx_stream",
]
