"""Writing profiles: a whole profile, or one top-level key of a profile file (the
``[[macro]]`` tables, the command list) keeping the rest of the file as written,
comments included (tomlkit).

Apart from :mod:`app.config.profile`, which reads them: tomlkit is loaded only when
something is written, not as the console starts (a few ms of its start-up)."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Comment, String, Table, Trivia, Whitespace

if TYPE_CHECKING:
    from app.config.macros import Macro
    from app.config.profile import Profile


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write ``profile`` as TOML at ``path`` (parent folders made; the file is
    replaced whole, so a crash never leaves half a profile). Comments in an
    earlier version of the file are not kept (:func:`save_macros` keeps them).
    Raises OSError when it cannot write."""
    text = tomlkit.dumps(_document(profile.to_dict()))
    return _write_bytes(text.encode("utf-8"), Path(path).expanduser())


def save_macros(macros: list[Macro], path: str | Path) -> Path:
    """Replace the ``[[macro]]`` tables of the profile at ``path`` and keep the rest
    of the file as it is: every other key, valid or not, and the comments, blank
    lines, key order and layout (a new file holds just the macros). A macro saved
    unchanged keeps its table as written, comments included; the comments and blank
    lines after the last macro stay where they were.

    The file as it was is kept next to it as ``<name>.bak``. Raises ValueError,
    writing nothing, when the file is not TOML, and OSError when it cannot be read
    or written."""
    kept = [m.to_dict() for m in macros] or None
    return rewrite_key(path, "macro", kept, lambda doc: _replace_macros(doc, macros), "the macros")


def rewrite_key(
    path: str | Path,
    key: str,
    value: object,
    edit: Callable[[tomlkit.TOMLDocument], None],
    what: str,
) -> Path:
    """Rewrite one top-level ``key`` of the TOML file at ``path`` with ``edit`` and keep
    the rest as written: every other key, valid or not, the comments, blank lines,
    key order, line breaks and byte-order mark (a new file holds just the key).
    ``value`` is what ``key`` must read back as (None: the key is gone); the file as
    it was is kept as ``<name>.bak``. ValueError, writing nothing, when the file is
    not TOML or the result would not read back as the rest plus ``value``; OSError
    when it cannot be read or written."""
    target = Path(path).expanduser()
    old: bytes | None = None
    try:
        old = target.read_bytes()
    except FileNotFoundError:
        pass
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
    edit(doc)
    written = tomlkit.dumps(doc)
    if "\r\n" in text:  # the file's line breaks for the new lines too
        written = written.replace("\r\n", "\n").replace("\n", "\r\n")
    # The rest of the file must read back as it was: anything else writes nothing.
    expected = {k: v for k, v in data.items() if k != key}
    if value is not None:
        expected[key] = value
    try:
        same = _canonical(tomllib.loads(written)) == _canonical(expected)
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise ValueError(f"cannot write {what} into {target} and keep the rest as it is")
    if old is not None:
        _write_bytes(old, target.with_name(target.name + ".bak"))
    bom = codecs.BOM_UTF8 if old is not None and old.startswith(codecs.BOM_UTF8) else b""
    return _write_bytes(bom + written.encode("utf-8"), target)


def macros_toml(macros: list[Macro]) -> str:
    """The ``[[macro]]`` tables of a profile, as TOML (what the macro editor shows)."""
    if not macros:
        return (
            "# One [[macro]] table per macro: a name, an optional key and one of\n"
            '# at = "AT...", send = { connect_id = 0, data = "..." } or script = """..."""\n'
            '[[macro]]\nname = "sockets"\nkey = "f11"\nat = "AT+QISTATE?"\n'
        )
    return tomlkit.dumps(_document({"macro": [m.to_dict() for m in macros]}))


def _replace_macros(doc: tomlkit.TOMLDocument, macros: list[Macro]) -> None:
    """Put ``macros`` in place of the ``[[macro]]`` tables of ``doc``."""
    old = doc.item("macro") if "macro" in doc else None
    old_tables: list[Table] = list(old.body) if isinstance(old, AoT) else []
    # The comments and blank lines after the last macro are about what follows.
    after = _take_end(old_tables[-1], Comment | Whitespace) if old_tables else []
    if not macros:
        if old is not None:
            _put_after_previous_table(doc, after)
            doc.remove("macro")
        return
    unchanged = {_canonical(t.unwrap()): t for t in old_tables}
    first_indent = old_tables[0].trivia.indent if old_tables else ""
    tables = tomlkit.aot()
    for macro in macros:
        table = unchanged.pop(_canonical(macro.to_dict()), None)
        if table is None:
            table = _toml_item(macro.to_dict())
        _take_end(table, Whitespace)  # one blank line between tables: the writer's
        tables.append(table)
    tables.body[0].trivia.indent = first_indent
    for line in after:
        tables.body[-1].add(line)
    if isinstance(old, AoT):
        doc["macro"] = tables  # where the macros were
    else:
        if old is not None:
            doc.remove("macro")  # an array written inline (macro = [...]): tables go last
        doc.append("macro", tables)


def _take_end(table: Table, kinds: Any) -> list[Any]:
    """Remove the lines of ``kinds`` (comments, blank lines) that end ``table``, in order."""
    body = table.value.body
    taken: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], kinds):
        taken.insert(0, body.pop()[1])
    return taken


def _put_after_previous_table(doc: tomlkit.TOMLDocument, lines: list[Any]) -> None:
    """Keep ``lines`` where they are when the macros before them go: at the end of
    the table before the macros (with none, the macros' lines go with them)."""
    keys = [key.key if key is not None else None for key, _ in doc.body]
    index = keys.index("macro")
    previous = doc.body[index - 1][1] if index else None
    if isinstance(previous, AoT) and previous.body:
        previous = previous.body[-1]
    if isinstance(previous, Table) and lines:
        _take_end(previous, Whitespace)
        for line in lines:
            previous.add(line)


def _document(data: dict[str, Any]) -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    for key, value in data.items():
        doc.append(key, _toml_item(value))
    return doc


def _toml_item(value: Any, inline: bool = False) -> Any:
    """``value`` as a tomlkit item: tables (inline inside a table), arrays of
    tables, and strings that stay readable (:func:`_toml_string`)."""
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dict):
        table = tomlkit.inline_table() if inline else tomlkit.table()
        for key, item in value.items():
            table.append(key, _toml_item(item, inline=True))
        return table
    if isinstance(value, list) and not inline and value and all(isinstance(v, dict) for v in value):
        tables = tomlkit.aot()
        for item in value:
            tables.append(_toml_item(item))
        return tables
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(_toml_item(item, inline=True))
        return array
    return tomlkit.item(value)


def _toml_string(text: str) -> Any:
    """``text`` as TOML writes it readably: a regex or script with backslashes as a
    literal string (``'\\+QIURC'``, as typed), a script as lines (a multi-line
    string, opened on its own line). TOML reads a CR LF inside a multi-line string
    as LF, so a string holding a CR is written on one line, with escapes."""
    literal = "\\" in text and "'" not in text and all(c.isprintable() or c in "\t\n" for c in text)
    if "\n" not in text or "\r" in text:
        return tomlkit.string(text, literal=literal and "\n" not in text)
    written = tomlkit.string(text, literal=literal, multiline=True)
    body = written.as_string()[3:-3]
    if not body.startswith("\n"):  # TOML drops a newline right after the quotes
        body = "\n" + body
    return String(written.type, text, body, Trivia())


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _write_bytes(data: bytes, target: Path) -> Path:
    """Replace ``target`` whole (a crash never leaves half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


__all__ = ["macros_toml", "rewrite_key", "save_macros", "save_profile"]
