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

import codecs
import tomllib
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from app.config.profile import _canonical, _write_bytes

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
    target = Path(path).expanduser()
    try:
        old: bytes | None = target.read_bytes()
    except FileNotFoundError:
        old = None
    text = ""
    if old is not None:
        try:
            text = old.decode("utf-8-sig")
            data = tomllib.loads(text)
            doc = tomlkit.parse(text)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, TOMLKitError) as exc:
            raise ValueError(f"{target} is not valid TOML ({exc}); fix it first") from None
    else:
        data, doc = {}, tomlkit.document()
    rows = clean(lines)
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
    written = tomlkit.dumps(doc)
    if "\r\n" in text:
        written = written.replace("\r\n", "\n").replace("\n", "\r\n")
    expected = {k: v for k, v in data.items() if k != KEY}
    if rows:
        expected[KEY] = rows
    try:
        same = _canonical(tomllib.loads(written)) == _canonical(expected)
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise ValueError(f"cannot write the command list into {target} and keep the rest as it is")
    if old is not None:
        _write_bytes(old, target.with_name(target.name + ".bak"))
    bom = codecs.BOM_UTF8 if old is not None and old.startswith(codecs.BOM_UTF8) else b""
    return _write_bytes(bom + written.encode("utf-8"), target)


__all__ = ["KEY", "MAX_COMMANDS", "clean", "save_commands"]
