"""What ships with qiterm: the stylesheet, the scenario scripts and the sample
profile, read from the ``app.assets`` package (the repository's ``assets/``
folder) with importlib.resources, so the same code reads them from a source
checkout, an editable install and an installed wheel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.scenario.script import Script

PACKAGE = "app.assets"


def _root() -> Traversable:
    return files(PACKAGE)


def stylesheet() -> str:
    """The console's stylesheet (Textual CSS)."""
    return (_root() / "qiterm.tcss").read_text(encoding="utf-8")


def example_profile() -> str:
    """The sample device profile (TOML)."""
    return (_root() / "profiles" / "example.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Scenario:
    """A scenario script shipped with qiterm."""

    #: What ``qiterm run NAME`` takes: the file name without ``.qis``.
    name: str
    resource: Traversable

    @property
    def filename(self) -> str:
        return self.resource.name

    def text(self) -> str:
        return self.resource.read_text(encoding="utf-8")

    @property
    def title(self) -> str:
        """The script's first comment line (``# title``), or its name."""
        for line in self.text().splitlines():
            stripped = line.strip()
            if stripped.startswith("#"):
                title = stripped.lstrip("#").strip()
                if title:
                    return title
            elif stripped:
                break
        return self.name


def scenarios() -> list[Scenario]:
    """Every shipped scenario, by name."""
    folder = _root() / "scenarios"
    found = [
        Scenario(item.name.removesuffix(".qis"), item)
        for item in folder.iterdir()
        if item.name.endswith(".qis")
    ]
    return sorted(found, key=lambda s: s.name)


def scenario(name: str) -> Scenario | None:
    """The shipped scenario called ``name`` (with or without ``.qis``), if any."""
    wanted = name.removesuffix(".qis")
    return next((s for s in scenarios() if s.name == wanted), None)


def load_scenario(
    name: str,
    variables: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
) -> Script:
    """The script in the file ``name`` when there is one, else the shipped scenario
    of that name (``tcp_echo``); ScriptError saying which it looked for otherwise."""
    # The script language loads when a script is played (the console's first frame
    # does not need it).
    from app.scenario.script import ScriptError, ScriptProblem, load_script, parse_script

    if Path(name).exists():
        return load_script(name, variables, overrides=overrides)
    found = scenario(Path(name).name)
    if found is None:
        known = ", ".join(s.name for s in scenarios())
        why = f"no such file, and no shipped scenario of that name (shipped: {known})"
        raise ScriptError([ScriptProblem(name, None, why)])
    return parse_script(found.text(), found.filename, variables, overrides=overrides)


__all__ = [
    "Scenario",
    "example_profile",
    "load_scenario",
    "scenario",
    "scenarios",
    "stylesheet",
]
