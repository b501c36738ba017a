"""The command list (in the manner of QCOM): saved command lines, one per row of
a pane, each sent with its own key; kept in the profile as ``commands``::

    commands = [
        "ATI",
        "AT+CSQ",
        "AT+QIOPEN=0,0,\\"TCP\\",\\"${ECHO_HOST}\\",${ECHO_TCP_PORT},0,1",
        "!hex 41 54 0D",
    ]

:func:`save_commands` rewrites that one key and keeps the rest of the file as it
is, comments and layout included (as the macro editor does with ``[[macro]]``).
"""

from __future__ import annotations

from pathlib import Path

import tomlkit

from app.config.toml_write import rewrite_key

KEY = "commands"
#: Rows the pane holds at most (a list longer than a screen is hard to use anyway).
MAX_COMMANDS = 200


def clean(lines: list[str]) -> list[str]:
    """The rows worth keeping: stripped, one line each, empty rows left out."""
    out = []
    for line in lines:
        text = " ".join(line.split("\n")).strip()
        if text:
            out.append(text)
    return out[:MAX_COMMANDS]


def save_commands(lines: list[str], path: str | Path) -> Path:
    """Replace the ``commands`` array of the profile at ``path`` (a new file holds
    just it) and keep everything else as written. The file as it was is kept as
    ``<name>.bak``. ValueError, writing nothing, when the file is not TOML or
    would not read back the same otherwise; OSError when it cannot be written."""
    rows = clean(lines)

    def edit(doc: tomlkit.TOMLDocument) -> None:
        if rows:
            array = tomlkit.array()
            array.multiline(True)
            for row in rows:
                array.append(row)
            if KEY in doc:
                doc[KEY] = array
            else:
                doc.append(KEY, array)  # tomlkit puts a plain key before the tables
        elif KEY in doc:
            doc.remove(KEY)

    return rewrite_key(path, KEY, rows or None, edit, "the command list")
