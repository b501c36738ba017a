"""The AT command line: Enter sends the line, Up/Down walk the history,
completion and a parameter hint come from the catalog; in data mode it takes the
payload (Ctrl+Z sends, Esc cancels). ``A/``, ``+++``, ``!raw TEXT`` and ``!hex
DIGITS`` go too (:mod:`app.protocol.typed`); a raw line is marked as one while
it is typed (the hint says RAW, the field's border changes)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Input, Label

from app.protocol import catalog
from app.protocol.commands import check_line
from app.protocol.payload import PayloadError
from app.protocol.syntax import AtSyntaxError, parse_command_line
from app.protocol.typed import Kind, is_raw_text, parse_typed


def _prefixes() -> list[str]:
    out: set[str] = set()
    for _spec, form in catalog.all_forms():
        syntax = form.syntax
        cut = min((syntax.find(ch) for ch in "<[" if ch in syntax), default=len(syntax))
        out.add(syntax[:cut])
    return sorted(out, key=lambda s: (len(s), s))


def hint_for(line: str, *, send_hex: bool | None = None) -> Text:
    """The hint under the command line: the forms of the command being typed, or
    what is wrong with the line (a pure function of the text)."""
    text = line.strip()
    if not text:
        return Text(
            "Type an AT command · Tab completes · ↑↓ history · Ctrl+P lists all · F1 keys",
            "dim",
        )
    special = _typed_hint(text)
    if special is not None:
        return special
    try:
        parsed = parse_command_line(text)
    except AtSyntaxError as exc:
        if len(text) < 3 and "AT".startswith(text.upper()[:2]):
            return Text("AT…", "dim")
        return Text(f"✗ {exc}", "bold red")
    spec = catalog.lookup(parsed.name)
    if spec is None:
        return Text(
            f"{parsed.display_name}: not in qiterm's catalog; it is sent as typed.", "yellow"
        )
    forms = [f for f in spec.forms if f.form is parsed.form] or list(spec.forms)
    syntax = "  |  ".join(f.syntax for f in forms[:3])
    problem = check_line(text, send_hex=send_hex)
    if problem and (text.endswith((")", '"')) or text[-1:].isdigit() or text.endswith("?")):
        # One line (a fixed height keeps typing from re-laying out the screen):
        # what is wrong first, the syntax after it.
        out = Text(f"✗ {problem}", "bold red")
        out.append(f"  ·  {syntax}", "dim")
        return out
    # The syntax first: on a narrow screen it is what must stay in view.
    out = Text(syntax)
    out.append(f"  ·  §{spec.chapter} {spec.title}", "dim")
    return out


def _typed_hint(text: str) -> Text | None:
    """The hint for ``A/``, ``+++``, ``!raw`` and ``!hex`` (None for other lines)."""
    if text[:1] == "!" and not is_raw_text(text):
        if "!raw".startswith(text.lower()) or "!hex".startswith(text.lower()):
            return Text(
                "!raw TEXT (escapes \\r \\n \\xNN) or !hex DIGITS: bytes past the AT checks",
                "yellow",
            )
        return None
    try:
        typed = parse_typed(text)
    except PayloadError as exc:
        return Text(f"✗ RAW: {exc}", "bold red")
    if typed.kind is Kind.REPEAT:
        return Text("A/: the last command line you sent, again", "yellow")
    if typed.kind is Kind.ESCAPE:
        return Text(
            "RAW +++: no line ending, 1 s of silence before and after; not an AT command",
            "bold yellow",
        )
    if typed.kind is Kind.RAW:
        return Text(
            f"RAW: {len(typed.data)} byte(s) and the line ending, past the AT checks; "
            "what answers is unsolicited",
            "bold yellow",
        )
    if typed.kind is Kind.HEX:
        return Text(
            f"RAW HEX: exactly {len(typed.data)} byte(s), nothing added; "
            "what answers is unsolicited",
            "bold yellow",
        )
    return None


#: The hint while the module waits for a data-mode payload (§2.3.4).
DATA_HINT = Text(
    "DATA MODE: the module takes what you type as payload (0x1A and 0x1B cannot be "
    "part of it: they end and cancel data mode).",
    "bold red",
)


#: The cursor blinks for this long after the last key, click or focus, then stays
#: lit (GTK's cursor-blink-timeout does the same, 10 s by default): a console left
#: open does not redraw twice a second for nobody.
BLINK_TIMEOUT_S = 10.0


class AtInput(Input):
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, tooltip="accept the suggestion"),
        Binding("up", "history(-1)", "History", show=False, tooltip="the line before"),
        Binding("down", "history(1)", "History", show=False, tooltip="the line after"),
        Binding("enter", "submit", "Send", show=False, tooltip="send the line"),
    ]

    def __init__(self, **kw: object) -> None:
        super().__init__(suggester=SuggestFromList(_prefixes(), case_sensitive=False), **kw)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._index: int | None = None
        self._draft = ""
        #: The cursor was set to rest (solid) by :meth:`_rest_cursor`, not by a caller.
        self._resting = False
        self._rest_timer: Timer | None = None

    def on_mount(self) -> None:
        self._rest_timer = self.set_interval(BLINK_TIMEOUT_S, self._rest_cursor)

    def _rest_cursor(self) -> None:
        """No key, click or focus for :data:`BLINK_TIMEOUT_S`: the cursor stays lit."""
        if self.cursor_blink:
            self._resting = True
            self.cursor_blink = False
        if self._rest_timer is not None:
            self._rest_timer.pause()

    def _wake_cursor(self) -> None:
        if self._resting:
            self._resting = False
            self.cursor_blink = True
        if self._rest_timer is not None:
            self._rest_timer.reset()
            self._rest_timer.resume()

    def on_key(self) -> None:
        self._wake_cursor()

    def on_focus(self) -> None:
        self._wake_cursor()

    def on_mouse_down(self) -> None:
        self._wake_cursor()

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-500]
        self._index = None

    @property
    def suggestion(self) -> str:
        """What Tab (or →) would complete the line to ("" when nothing)."""
        value, offered = self.value, self._suggestion
        if value and len(offered) > len(value) and offered.lower().startswith(value.lower()):
            return offered
        return ""

    def action_complete(self) -> None:
        """Tab: take the suggestion shown after the cursor; with none, Tab moves
        the focus on as everywhere else."""
        suggestion = self.suggestion
        if not suggestion or not self.cursor_at_end:
            raise SkipAction()
        self.value = suggestion
        self.cursor_position = len(suggestion)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._index is None:
            if step > 0:
                return
            self._draft = self.value
            self._index = len(self.history)
        self._index = max(0, min(len(self.history), self._index + step))
        self.value = self._draft if self._index == len(self.history) else self.history[self._index]
        self.cursor_position = len(self.value)


class CommandLine(Vertical):
    DEFAULT_CSS = """
    CommandLine { height: auto; }
    /* Fixed sizes: the hint changes on every key without a screen layout. */
    CommandLine > Label { height: 1; width: 1fr; padding: 0 1; }
    CommandLine > #hint { max-height: 3; }
    CommandLine.-datamode AtInput { border: tall $error; }
    CommandLine.-raw AtInput { border: tall $warning; }
    """

    class Submitted(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.send_hex: bool | None = None
        self.data_mode = False
        self._hint = hint_for("")

    def compose(self) -> ComposeResult:
        yield AtInput(placeholder="AT command, e.g. ATI", id="at-input")
        yield Label(hint_for(""), id="hint")

    @property
    def input(self) -> AtInput:
        return self.query_one(AtInput)

    def set_data_mode(self, active: bool) -> None:
        """While the module waits for a payload, this line takes it."""
        self.data_mode = active
        self.set_class(active, "-datamode")
        inp = self.input
        if active:
            inp.value = ""
            inp.placeholder = "payload (escapes \\r \\n \\xNN): Ctrl+Z sends, Esc cancels"
            self.show_hint(DATA_HINT)
        else:
            inp.placeholder = "AT command, e.g. ATI"
            self.show_hint(hint_for(inp.value, send_hex=self.send_hex))

    @on(Input.Changed, "#at-input")
    def _changed(self, event: Input.Changed) -> None:
        if not self.data_mode:
            self.set_class(is_raw_text(event.value), "-raw")
            self.show_hint(hint_for(event.value, send_hex=self.send_hex))

    def show_hint(self, text: Text) -> None:
        """Show ``text`` under the line, on as many lines (up to 3) as it needs at
        this width; the screen is laid out again only when that number changes."""
        self._hint = text
        label = self.query_one("#hint", Label)
        width = max(1, label.size.width or self.size.width - 2)
        lines = min(3, max(1, -(-text.cell_len // width)))
        label.update(text, layout=False)
        if label.styles.height is None or label.styles.height.value != lines:
            label.styles.height = lines

    def on_resize(self) -> None:
        self.show_hint(self._hint)

    @on(Input.Submitted, "#at-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.data_mode:
            return  # Enter is part of what is typed; Ctrl+Z sends
        line = event.value.strip()
        if not line:
            return
        self.input.remember(line)
        self.input.value = ""
        self.post_message(self.Submitted(line))

    def insert(self, text: str) -> None:
        self.input.value = text
        self.input.cursor_position = len(text)
        self.input.focus()


class AtCommandsProvider(Provider):
    """The command palette lists every catalog form with its syntax and help;
    choosing one puts it on the command line."""

    def _entries(self) -> list[tuple[str, str, str]]:
        out = []
        for spec, form in catalog.all_forms():
            text = form.syntax
            cut = min((text.find(ch) for ch in "<[" if ch in text), default=len(text))
            out.append((form.syntax, f"§{spec.chapter} {spec.title}: {form.summary}", text[:cut]))
        return out

    def _insert(self, prefix: str) -> None:
        app = self.app
        cmdline = app.query_one(CommandLine)
        cmdline.insert(prefix)

    async def discover(self) -> Hits:
        for syntax, help_text, prefix in self._entries():
            yield DiscoveryHit(syntax, partial(self._insert, prefix), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for syntax, help_text, prefix in self._entries():
            score = max(matcher.match(syntax), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(syntax), partial(self._insert, prefix), help=help_text
                )
