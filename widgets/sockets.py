"""The socket table: connectIDs 0-4 with type, peer, ports, state by name and
colour, and this session's byte counts; kept live by QISTATE polling and URCs.

The table fits its width: when the columns do not fit, the least telling go
first (the local port, then the remote port, which then shows after the host
as ``host:port``), then the host is cut short. ID, state and the byte counts
always stay in view."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
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
#: Dropped in this order when the table is too narrow for every column.
DROP_FIRST = ("LPort", "RPort")
#: The host column is never cut shorter than this.
MIN_HOST = 8
#: What the console's table says in its bottom border while no socket is open.
EMPTY = "no socket open: F2 opens one"

Cell = Text | str


def cells(row: SocketRow) -> tuple[Cell, ...]:
    """The row's cells, one per name in :data:`COLUMNS`."""
    state = row.state if row.state is not None else SocketState.CONNECTING
    style = STATE_STYLE.get(SocketState(state), "") if 0 <= state <= 4 else ""
    label = Text(row.state_label, style=style)
    if row.open_result not in (None, 0) and row.state == SocketState.INITIAL:
        label.append(f" ({row.open_result})", style="red")
    acked = "" if row.sent is None else f"{row.acked}/{row.sent} ({row.nacked} n)"
    cells_: tuple[Cell, ...] = (
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


def fit_columns(
    widths: dict[str, int], available: int, padding: int = 2
) -> tuple[tuple[str, ...], int | None]:
    """Which columns to show in ``available`` cells, and how wide the host column
    may be (None: as wide as it needs). ``widths``: each column's content width."""
    shown = list(COLUMNS)

    def total() -> int:
        return sum(widths[name] + padding for name in shown)

    for name in DROP_FIRST:
        if total() > available:
            shown.remove(name)
    host: int | None = None
    if total() > available:
        host = max(MIN_HOST, widths["Host"] - (total() - available))
    return tuple(shown), host


#: The DataTable render caches a table of a few sockets keeps, and their sizes
#: (Textual's own: 1,000 rows, 10,000 cells, 1,000 row renderables, 1,000 lines).
RENDER_CACHES = {
    "_row_render_cache": 32,
    "_cell_render_cache": 128,
    "_row_renderable_cache": 32,
    "_line_cache": 32,
}


class SocketTable(DataTable[Cell]):
    DEFAULT_CSS = """
    SocketTable { height: auto; max-height: 8; border-subtitle-color: $text-muted; }
    """
    BINDINGS = [
        Binding("s", "app.send_to", "Send to", tooltip="the composer, for the selected socket"),
        Binding("delete", "app.close_socket", "Close", tooltip="close the selected socket"),
        Binding("a", "app.query_acked", "Acked?", tooltip="sent / acked / nAcked"),
        Binding("t", "app.timeline", "Timeline", tooltip="every socket's life on a time axis"),
        # The first and last socket (DataTable's own Home/End move sideways).
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None, empty: str = "") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        #: Said in the bottom border while the table is empty.
        self.empty = empty
        self._keys: list[str] = []
        self._shown: dict[str, tuple[Cell, ...]] = {}
        #: Each column's content width when the table was last built (see show()).
        self._built_widths: dict[str, int] = {}
        #: The widths _fit chose the columns with (the Host column as host:port
        #: when the remote port has no column of its own).
        self._fit_widths: dict[str, int] = {}
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._layout: tuple[tuple[str, ...], int | None] = ((), None)
        self._small_caches()

    def _small_caches(self) -> None:
        """DataTable sizes its render caches for thousands of rows (1,000 to
        10,000 entries each), and their keys hold the table's update count: with a
        socket's counters changing every tick under a flood they fill with renders
        nobody will ask for again, megabytes that grow for hours. A table of at
        most five sockets needs a few screens of them."""
        for name, size in RENDER_CACHES.items():
            if isinstance(getattr(self, name, None), LRUCache):
                setattr(self, name, LRUCache(size))

    def on_mount(self) -> None:
        self.border_subtitle = self.empty
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    # -- columns --------------------------------------------------------------------

    def _widths(self) -> dict[str, int]:
        widths = {name: len(name) for name in COLUMNS}
        widths["State"] = STATE_WIDTH
        for row in self._rows.values():
            for name, cell in zip(COLUMNS, row, strict=True):
                length = len(cell.plain if isinstance(cell, Text) else cell)
                widths[name] = max(widths[name], length)
        return widths

    def _fit(self) -> None:
        """Choose the columns for the width; rebuild the table when they change."""
        available = self.size.width
        if available <= 0:
            return
        widths = self._widths()
        shown, host = fit_columns(widths, available)
        if "RPort" not in shown:
            # The remote port goes after the host: measure "host:port".
            widths["Host"] = max(
                [len("Host")] + [len(self._host(row, shown)) for row in self._rows.values()]
            )
            shown, host = fit_columns(widths, available)
        self._fit_widths = widths
        if (shown, host) == self._layout:
            return
        self._layout = (shown, host)
        self._rebuild()

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._layout[0]

    @staticmethod
    def _host(row: tuple[Cell, ...], shown: tuple[str, ...]) -> str:
        host, rport = str(row[2]), str(row[3])
        if "RPort" in shown or rport == "-":
            return host
        return f"{host}:{rport}"

    def _visible(self, row: tuple[Cell, ...]) -> list[Cell]:
        shown = self.shown_columns
        out: list[Cell] = []
        for name, cell in zip(COLUMNS, row, strict=True):
            if name not in shown:
                continue
            if name == "Host":
                text = self._host(row, shown)
                cell = Text(text, style=row[2].style) if isinstance(row[2], Text) else text
            out.append(cell)
        return out

    def _rebuild(self) -> None:
        selected = self.selected_id
        shown, host = self._layout
        self.clear(columns=True)
        widths = self._fit_widths
        for name in shown:
            # Every column gets its width now, measured here: DataTable would measure
            # on idle and can keep drawing cells cut at the old width from its line
            # cache. The state column is as wide as its longest name from the start,
            # so the table does not shift when a row goes Connecting -> Connected.
            width = host if name == "Host" and host is not None else widths[name]
            self.add_column(name, key=name, width=width)
        for key, row in self._rows.items():
            self.add_row(*self._visible(row), key=key)
        self._built_widths = self._widths()
        self._keys = list(self._rows)
        self._shown = dict(self._rows)
        if selected is not None and str(selected) in self._rows:
            self.move_cursor(row=self.get_row_index(str(selected)))

    # -- rows -----------------------------------------------------------------------

    def show(self, state: ModuleState) -> None:
        """Show ``state``'s rows: cells are updated in place when the same sockets
        are there (cheap under a flood), the table is rebuilt when rows come or go."""
        rows = {str(cid): cells(state.sockets[cid]) for cid in sorted(state.sockets)}
        self._rows = rows
        subtitle = "" if rows else self.empty
        if self.border_subtitle != subtitle:  # setting it redraws, even when the same
            self.border_subtitle = subtitle
        before = self._layout
        self._fit()
        if self._layout != before:
            return  # rebuilt with the new rows
        # A cell wider than its column (a counter gaining digits) rebuilds the table
        # with the new widths (see _rebuild).
        grown = any(
            width > self._built_widths.get(name, 0) for name, width in self._widths().items()
        )
        if list(rows) == self._keys and not grown:
            shown = self.shown_columns
            for key, row in rows.items():
                old = self._shown.get(key)
                if old is not None and all(str(a) == str(b) for a, b in zip(old, row, strict=True)):
                    continue
                for name, value in zip(shown, self._visible(row), strict=True):
                    self.update_cell(key, name, value)
            self._shown = rows
            return
        self._rebuild()

    @property
    def selected_id(self) -> int | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key.value is not None else None

    def describe(self, connect_id: int) -> str:
        """The socket as the table shows it: ``#0 TCP echo.qiterm.local:7 (Connected)``."""
        row = self._rows.get(str(connect_id))
        if row is None:
            return f"#{connect_id}"
        peer = str(row[2]) + (f":{row[3]}" if str(row[3]) != "-" else "")
        local = f", local port {row[4]}" if str(row[4]) != "-" else ""
        state = row[5].plain if isinstance(row[5], Text) else str(row[5])
        return f"#{connect_id} {row[1]} {peer}{local} ({state})"
