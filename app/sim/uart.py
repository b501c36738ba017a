"""The module's UART input: bytes from the host become echo, command lines and payload.

Spec §2.1.2 and AT manual §1.2: a command line ends with CR; a LF after the CR
is ignored, so CR LF pairs are fine; ``A/`` repeats the last line; backspace
edits the line. With echo on each byte typed is echoed as it arrives. In data
mode (after ``>``, §2.3.4) bytes are payload until Ctrl-Z (send), Esc (cancel),
1024 bytes (send), or ``<send_length>`` bytes in fixed-length mode.

What a line or a payload means is the host's business (:class:`UartHost`): the
simulated module, or a module replayed from a capture.
"""

from __future__ import annotations

from typing import Protocol

from app.sim.host import DataModeContext

CR, LF, BS, CTRL_Z, ESC, SLASH = 0x0D, 0x0A, 0x08, 0x1A, 0x1B, 0x2F
#: Longest command line kept; a longer one is answered ERROR (never buffered without bound).
MAX_COMMAND_LINE = 4096
#: §2.3.4: variable-length data mode sends by itself at 1024 bytes of input.
DATA_MODE_MAX = 1024


class UartHost(Protocol):
    """What the UART input drives."""

    data_mode: DataModeContext | None

    @property
    def echo(self) -> bool: ...

    def out(self, data: bytes) -> None:
        """Bytes to the host now (the echo)."""

    def line_received(self, text: str, overflow: bool) -> None:
        """A command line, stripped and not empty (``overflow``: longer than kept)."""

    def repeat_line(self) -> None:
        """``A/`` was typed."""

    def leave_data_mode(self, send: bool) -> None:
        """The payload is complete (``send``) or cancelled with Esc."""


class UartInput:
    def __init__(self, host: UartHost) -> None:
        self.host = host
        self.reset()

    def reset(self) -> None:
        self._line = bytearray()
        self._line_overflow = False
        self._skip_lf = False
        self._discard_line = False

    @property
    def typing(self) -> bool:
        """Part of a command line came in."""
        return bool(self._line)

    def discard_line(self) -> None:
        """Drop the command line being typed and the rest of it up to its CR."""
        self._discard_line = True
        self._line.clear()
        self._line_overflow = False

    def receive(self, data: bytes) -> None:
        host = self.host
        i = 0
        n = len(data)
        while i < n:
            b = data[i]
            if self._skip_lf:
                # AT manual §1.2: "A newline character is ignored so it is permissible
                # to use carriage return/line feed pairs on the input" -- also when the
                # command just put the module in data mode.
                self._skip_lf = False
                if b == LF:
                    i += 1
                    continue
            if self._discard_line:
                # The line that woke the UART is lost (see Power.wake_by_uart).
                i += 1
                if b == CR:
                    self._discard_line = False
                    self._skip_lf = True
                continue
            ctx = host.data_mode
            if ctx is not None:
                i = self._data_mode_input(ctx, data, i)
                continue
            i += 1
            if b == CR:
                self._skip_lf = True
                self._end_of_line()
            elif b == LF and not self._line:
                continue  # a lone LF between commands
            elif b in (ESC, CTRL_Z):
                continue  # no meaning outside data mode (qiterm sends Esc to resync)
            elif b == BS:
                if self._line:
                    del self._line[-1]
                if host.echo:
                    host.out(bytes([b]))
            elif b == SLASH and bytes(self._line) in (b"A", b"a"):
                # V.250 §5.2.4: "A/" repeats the last command line, without a CR.
                self._line.clear()
                if host.echo:
                    host.out(b"/")
                host.repeat_line()
            else:
                if len(self._line) < MAX_COMMAND_LINE:
                    self._line.append(b)
                else:
                    self._line_overflow = True
                if host.echo:
                    host.out(bytes([b]))

    def _end_of_line(self) -> None:
        raw = bytes(self._line)
        overflow = self._line_overflow
        self._line.clear()
        self._line_overflow = False
        if self.host.echo:
            self.host.out(b"\r")
        text = raw.decode("latin-1").strip()
        if not text:
            return  # an empty line: real modules stay silent
        self.host.line_received(text, overflow)

    def _data_mode_input(self, ctx: DataModeContext, data: bytes, i: int) -> int:
        host = self.host
        n = len(data)
        if ctx.fixed is not None:
            take = min(ctx.fixed - len(ctx.buffer), n - i)
            chunk = data[i : i + take]
            ctx.buffer += chunk
            if host.echo:
                host.out(chunk)
            i += take
            if len(ctx.buffer) >= ctx.fixed:
                host.leave_data_mode(send=True)
            return i
        b = data[i]
        if b == CTRL_Z:
            host.leave_data_mode(send=True)
            return i + 1
        if b == ESC:
            host.leave_data_mode(send=False)
            return i + 1
        # Take a run of ordinary bytes at once.
        j = i
        limit = min(n, i + DATA_MODE_MAX - len(ctx.buffer))
        while j < limit and data[j] not in (CTRL_Z, ESC):
            j += 1
        chunk = data[i:j]
        ctx.buffer += chunk
        if host.echo:
            host.out(chunk)
        if len(ctx.buffer) >= DATA_MODE_MAX:
            host.leave_data_mode(send=True)
        return j
