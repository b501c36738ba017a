"""termapy, the closest Textual peer, in the benchmarks' own throwaway venv.

It is installed (``pip install termapy==VERSION`` from the configured index) into a
venv in the system's temporary directory, never into the project's ``.venv``; the
venv is kept between runs (a cache) and made again when it is missing or broken.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import say

TERMAPY_VERSION = "0.78.0"
VENV = Path(tempfile.gettempdir()) / f"qiterm-bench-termapy-{TERMAPY_VERSION}"


def termapy_bin() -> Path | None:
    """The ``termapy`` script of the benchmarks' venv (made on first use), or None
    (and why, said) when it cannot be installed."""
    script = VENV / "bin" / "termapy"
    python = VENV / "bin" / "python"
    if script.exists() and _runs(script):
        return script
    say(f"  installing termapy {TERMAPY_VERSION} into {VENV} (the benchmarks' own venv)")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"termapy=={TERMAPY_VERSION}",
            ],
            check=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        say(f"  termapy could not be installed ({exc}); its figures are left out")
        return None
    return script if _runs(script) else None


def _runs(script: Path) -> bool:
    try:
        done = subprocess.run(
            [str(script), "--version"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def compile_venv() -> None:
    """Byte-compile the venv, as pip leaves an installed package (it normally is)."""
    subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "compileall", "-q", str(VENV / "lib")],
        capture_output=True,
        check=False,
    )
