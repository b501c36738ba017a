"""The socket table: connectIDs 0-4 with type, peer, ports, state by name and
colour, and this session's byte counts; kept live by QISTATE polling and URCs."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from app.model.state import ModuleState, SocketRow
from app.protocol.events import SocketState

STATE_STYLE = {
    SocketState.INITIAL: "dim",
    SocketState.CONNECTING: "yellow",
    SocketState.CONNECTED: "bold green",
    SocketState.CLOSING: "magenta",
    SocketState.REMOTE_CLOSING: "bold red",
}
#: "Remote Closing", or "Initial (566)" for a failed open.
STATE_WIDTH = max(len(s.label) for s in SocketState)
COLUMNS = ("ID", "Type", "Host", "RPort", "LPort", "State", "Tx", "Rx", "Acked")


def cells(row: SocketRow) -> tuple[Text | str, ...]:
    state = row.state if row.state is not None else SocketState.CONNECTING
    style = STATE_STYLE.get(SocketState(state), "") if 0 <= state <= 4 else ""
    label = Text(row.state_label, style=style)
    if row.open_result not in (None, 0) and row.state == SocketState.INITIAL:
        label.append(f" ({row.open_result})", style="red")
    acked = "" if row.sent is None else f"{row.acked}/{row.sent} ({row.nacked} n)"
    cells_: tuple[Text | str, ...] = (
        str(row.connect_id),
        row.service_type,
        row.host,
        str(row.remote_port) if row.remote_port else "-",
        str(row.local_port) if row.local_port else "-",
        label,
        str(row.bytes_sent),
        str(row.bytes_received),
        acked,
    )
    if row.stale:
        return tuple(Text(c.plain if isinstance(c, Text) else c, style="dim") for c in cells_)
    return cells_


class SocketTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    SocketTable { height: auto; max-height: 8; }
    """
    BINDINGS = [
        Binding("delete", "app.close_socket", "Close", show=False),
        Binding("s", "app.send_to", "Send to", show=False),
        Binding("a", "app.query_acked", "Acked?", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[str] = []
        self._shown: dict[str, tuple[Text | str, ...]] = {}

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for name in COLUMNS:
            # The state column is as wide as its longest name from the start, so
            # the table does not shift when a row goes Connecting -> Connected.
            width = STATE_WIDTH if name == "State" else None
            self.add_column(name, key=name, width=width)

    def show(self, state: ModuleState) -> None:
        """Show ``state``'s rows: cells are updated in place when the same sockets
        are there (cheap under a flood), the table is rebuilt when rows come or go."""
        rows = {str(cid): cells(state.sockets[cid]) for cid in sorted(state.sockets)}
        if list(rows) == self._keys:
            for key, row in rows.items():
                old = self._shown.get(key)
                for column, (name, value) in enumerate(zip(COLUMNS, row, strict=True)):
                    if old is None or str(old[column]) != str(value):
                        self.update_cell(key, name, value)
            self._shown = rows
            return
        selected = self.selected_id
        self.clear()
        for key, row in rows.items():
            self.add_row(*row, key=key)
        self._keys = list(rows)
        self._shown = rows
        if selected is not None and str(selected) in rows:
            self.move_cursor(row=self.get_row_index(str(selected)))

    @property
    def selected_id(self) -> int | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key.value is not None else None
