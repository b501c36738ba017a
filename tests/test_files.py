"""Files holding session data: never written through a link, never over an existing
file unless asked (--force), no folder made for --log, mode 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.capture.recorder import CaptureRecorder
from app.cli import main
from app.config.files import ExistsError, create_private, create_unique
from app.console.launch import open_capture

SCRIPT = "AT\nATI\nexpect ^Revision: 5\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_capture_is_new_and_private(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with CaptureRecorder(path, url="sim://", baud=115200):
        pass
    assert mode(path) == 0o600


def test_log_refuses_an_existing_file_and_force_replaces_it_privately(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text("the last session\n")
    old.chmod(0o644)
    with pytest.raises(ExistsError):
        CaptureRecorder(old, url="sim://", baud=115200)
    assert old.read_text() == "the last session\n"
    with CaptureRecorder(old, url="sim://", baud=115200, replace=True):
        pass
    assert old.read_text().startswith('{"seq":0') and mode(old) == 0o600


def test_log_never_follows_a_link(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "c.jsonl"
    link.symlink_to(target)
    with pytest.raises(ExistsError):
        CaptureRecorder(link, url="sim://", baud=115200)
    dangling = tmp_path / "d.jsonl"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(ExistsError):
        CaptureRecorder(dangling, url="sim://", baud=115200)
    assert not (tmp_path / "nowhere.txt").exists()
    # --force replaces the link itself, never what it points at.
    with CaptureRecorder(link, url="sim://", baud=115200, replace=True):
        pass
    assert target.read_text() == "keep me\n"
    assert not link.is_symlink() and mode(link) == 0o600


def test_log_does_not_create_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "c.jsonl"
    assert open_capture(str(missing), "sim://", 115200) is None
    err = capsys.readouterr().err
    assert "the folder" in err and "does not exist" in err
    assert not (tmp_path / "no").exists()


def test_log_messages_say_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "c.jsonl"
    existing.write_text("x\n")
    assert open_capture(str(existing), "sim://", 115200) is None
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err and existing.read_text() == "x\n"
    capture = open_capture(str(existing), "sim://", 115200, force=True)
    assert capture is not None
    capture.close()


def test_qiterm_run_refuses_an_existing_log_unless_forced(tmp_path: Path) -> None:
    script = tmp_path / "s.qis"
    script.write_text(SCRIPT)
    log = tmp_path / "run.jsonl"
    log.write_text("earlier\n")
    runner = CliRunner()
    refused = runner.invoke(main, ["run", str(script), "-p", "sim://", "--log", str(log)])
    assert refused.exit_code == 2 and "exists already" in refused.output
    assert log.read_text() == "earlier\n"
    forced = runner.invoke(main, ["run", str(script), "-p", "sim://", "--log", str(log), "--force"])
    assert forced.exit_code == 0, forced.output
    assert log.read_text().startswith('{"seq":0') and mode(log) == 0o600


def test_unique_files_take_the_next_free_number(tmp_path: Path) -> None:
    (tmp_path / "shot.txt").write_text("taken")  # only one of the pair: the pair moves on
    base, fds = create_unique(tmp_path, "shot", (".svg", ".txt"))
    for fd in fds:
        os.close(fd)
    assert base.name == "shot-2"
    assert not (tmp_path / "shot.svg").exists()
    assert mode(tmp_path / "shot-2.svg") == 0o600
    with pytest.raises(ExistsError):
        create_private(tmp_path / "shot-2.txt")
