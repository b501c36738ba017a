"""Scenario scripts: parse a ``.qis`` file and run it on the serial worker.

:mod:`app.scenario.script` documents the format and parses it;
:mod:`app.scenario.runner` runs a parsed script (from any thread but the
worker's); :mod:`app.session.run` is ``qiterm run``.
"""

from app.scenario.runner import (
    SCRIPT_TAG,
    Report,
    StepResult,
    StepStatus,
    run,
)
from app.scenario.script import (
    AtStep,
    ExpectStep,
    MarkerStep,
    NoteStep,
    Script,
    ScriptError,
    ScriptProblem,
    SendStep,
    SetStep,
    SleepStep,
    Step,
    load_script,
    parse_script,
)

__all__ = [
    "SCRIPT_TAG",
    "AtStep",
    "ExpectStep",
    "MarkerStep",
    "NoteStep",
    "Report",
    "Script",
    "ScriptError",
    "ScriptProblem",
    "SendStep",
    "SetStep",
    "SleepStep",
    "Step",
    "StepResult",
    "StepStatus",
    "load_script",
    "parse_script",
    "run",
]
