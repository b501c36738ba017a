"""The command list (QCOM's): saved lines in a tab, a send key per row, edited in
place and kept in the profile (its comments too). Over sim://."""

from __future__ import annotations

import textwrap
from pathlib import Path

from textual.widgets import Input

from app.config.commandlist import save_commands
from app.config.profile import load_profile
from app.console.app import QitermApp
from app.sim import registry
from tests.conftest import sim_url
from tests.consolekit import click, log_texts, ready, until
from widgets.cmdlist import CommandList

PROFILE = textwrap.dedent(
    """\
    # the bench module
    baud = 115200   # its rate

    commands = [
        "ATI",      # who is there
        "AT+CSQ",
    ]

    [[macro]]
    name = "sockets"
    at = "AT+QISTATE?"
    """
)


def test_saving_the_list_keeps_the_rest_of_the_profile(tmp_path: Path) -> None:
    path = tmp_path / "bench.toml"
    path.write_text(PROFILE, encoding="utf-8")
    save_commands(["ATI", " AT+CGMR ", "", "!hex 41 54 0D"], path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# the bench module\nbaud = 115200   # its rate\n")
    assert '[[macro]]\nname = "sockets"' in text
    loaded = load_profile(path)
    assert loaded.problems == []
    assert loaded.profile.commands == ["ATI", "AT+CGMR", "!hex 41 54 0D"]
    assert [m.name for m in loaded.profile.macros] == ["sockets"]
    assert (tmp_path / "bench.toml.bak").read_text(encoding="utf-8") == PROFILE
    # A new file holds the list alone; an empty list removes the key.
    fresh = tmp_path / "new.toml"
    save_commands(["AT"], fresh)
    assert load_profile(fresh).profile.commands == ["AT"]
    save_commands([], fresh)
    assert "commands" not in fresh.read_text(encoding="utf-8")


async def test_rows_send_with_their_own_key_and_are_edited_in_place(tmp_path: Path) -> None:
    path = tmp_path / "bench.toml"
    path.write_text(PROFILE, encoding="utf-8")
    name, url = sim_url()
    app = QitermApp.for_url(url, 115200, poll_interval=0, profile=load_profile(path))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            # Ctrl+N walks the tabs to the command list (the sixth), its first row.
            await pilot.press(*(["ctrl+n"] * 6))
            await until(pilot, lambda: app.focused is not None and app.focused.id == "cmd-0")
            pane = app.query_one(CommandList)
            assert [r.query_one(Input).value for r in pane.rows] == ["ATI", "AT+CSQ", ""]
            await pilot.press("enter")
            await until(pilot, lambda: "Revision: BC660KGLAAR01A05" in log_texts(app))
            await click(pilot, "#cmdsend-1")
            await until(pilot, lambda: "+CSQ: 24,99" in log_texts(app))
            # Edit row 2 in place; leaving it saves the list to the profile.
            pane.row_input(0).focus()
            await pilot.press("down")
            await until(pilot, lambda: app.focused is not None and app.focused.id == "cmd-1")
            field = pane.row_input(1)
            field.value = "AT+CGMR"
            # The empty last row adds a line (and a new empty row comes).
            last = pane.row_input(2)
            last.focus()
            await until(pilot, lambda: any("saved to" in t for t in log_texts(app)))
            last.value = "!hex 41 54 0D"
            await until(pilot, lambda: len(pane.rows) == 4)
            await pilot.press("enter")
            await until(
                pilot,
                lambda: any(e.text == "[raw] AT\\r" for e in app.journal.entries),
            )
            await until(pilot, lambda: load_profile(path).profile.commands[-1] == "!hex 41 54 0D")
    finally:
        registry.destroy(name)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# the bench module\n")
    assert load_profile(path).profile.commands == ["ATI", "AT+CGMR", "!hex 41 54 0D"]
