"""The HTML report in a real headless browser (Debian's chromium, driven over the
DevTools protocol: tests/browser.py).

It loads with no script error and nothing fetched, every link of its table of
contents lands on an element, it follows the reader's light or dark preference,
and it prints to PDF. Screenshots are taken every run; with
``QITERM_SCREENSHOTS=update`` they are written to tests/screenshots/ (committed,
for review: look at them after a change), otherwise to a temporary folder.

Without chromium the tests are skipped and say why (``make test`` installs it
through .ci/ensure-tools).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.export import export_main
from tests.browser import Browser, find_chromium

ROOT = Path(__file__).resolve().parent
FIXTURE = ROOT / "fixtures" / "report_fixed.jsonl"
SHOTS = ROOT / "screenshots"

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: `apt-get install chromium` (make test runs "
    ".ci/ensure-tools, which installs it); the HTML report was NOT checked in a browser",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert export_main(str(FIXTURE), "html", str(out)) == 0
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


def shot_path(tmp_path: Path, name: str) -> Path:
    if os.environ.get("QITERM_SCREENSHOTS") == "update":
        SHOTS.mkdir(exist_ok=True)
        return SHOTS / name
    return tmp_path / name


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


BROKEN_LINKS = """
[...document.querySelectorAll('a[href^="#"]')]
  .map(a => a.getAttribute('href').slice(1))
  .filter(id => !document.getElementById(decodeURIComponent(id)))
"""


def test_it_loads_with_no_error_and_its_links_resolve(browser: Browser, report: Path) -> None:
    browser.open(report)
    assert browser.errors() == []
    assert browser.evaluate("document.scripts.length") == 0
    links = browser.evaluate("document.querySelectorAll('nav.toc a[href^=\"#\"]').length")
    assert links >= 20  # the sections, every marker and note
    assert browser.evaluate(BROKEN_LINKS) == []
    # Following a link brings its target into view.
    browser.evaluate("location.hash = '#marker-6'")
    top = browser.evaluate("document.getElementById('marker-6').getBoundingClientRect().top")
    assert -2 <= top < 900  # in view (a fraction of a pixel above 0 is rounding)
    # Nothing was fetched: every resource is the page itself.
    assert browser.evaluate("performance.getEntriesByType('resource').length") == 0


def test_it_follows_light_and_dark_and_is_screenshotted(
    browser: Browser, report: Path, tmp_path: Path
) -> None:
    background = "getComputedStyle(document.documentElement).backgroundColor"
    browser.color_scheme("light")
    browser.open(report, width=1280, height=1000)
    assert browser.evaluate(background) == "rgb(255, 255, 255)"
    light = shot_path(tmp_path, "report.png")
    browser.screenshot(light, height=2600)
    browser.color_scheme("dark")
    assert browser.evaluate(background) == "rgb(13, 17, 23)"
    dark = shot_path(tmp_path, "report-dark.png")
    browser.screenshot(dark, height=2600)
    # The transcript, scrolled to (its blocks are laid out as they come into view).
    browser.color_scheme("light")
    browser.evaluate("document.getElementById('marker-3').scrollIntoView()")
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    transcript = shot_path(tmp_path, "report-transcript.png")
    browser.screenshot(transcript)
    assert png_size(light) == (1280, 2600) and png_size(dark) == (1280, 2600)
    assert png_size(transcript) == (1280, 1000)
    assert light.read_bytes() != dark.read_bytes()
    assert browser.errors() == []


def test_it_prints_to_pdf(browser: Browser, report: Path, tmp_path: Path) -> None:
    browser.color_scheme("light")
    browser.open(report)
    chunk = "getComputedStyle(document.querySelector('.chunk')).contentVisibility"
    assert browser.evaluate(chunk) == "auto"  # on screen: laid out when in view
    browser.call("Emulation.setEmulatedMedia", session=True, media="print")
    try:
        assert browser.evaluate(chunk) == "visible"  # printed: every block
    finally:
        browser.call("Emulation.setEmulatedMedia", session=True, media="")
    pdf = tmp_path / "report.pdf"
    browser.pdf(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) >= 3
