"""Drawing a socket timeline: the time axis (long quiet stretches squeezed), the
events binned into columns, and the text rows the text and Markdown reports and
the timeline screen show. The SVG (:mod:`app.capture.timeline_svg`) uses the
same axis and columns. No Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from app.capture.timeline import (
    BOTH,
    GLYPHS,
    KIND_LABELS,
    PRIORITY,
    ROW_STYLES,
    Kind,
    Lane,
    Timeline,
    fmt_offset,
)


@dataclass(frozen=True)
class Axis:
    """Seconds -> a position in ``[0, width)``, with long quiet stretches
    squeezed to ``break_width`` each (they would leave most of the chart empty)."""

    begin: float
    end: float
    width: float
    #: The squeezed stretches: (from, to) seconds.
    breaks: tuple[tuple[float, float], ...] = ()
    break_width: float = 0.0

    @classmethod
    def fit(cls, timeline: Timeline, width: float, break_width: float) -> Axis:
        span = max(timeline.end - timeline.begin, 1e-9)
        limit = max(timeline.gap_s, span * 0.1)
        breaks = tuple(q for q in timeline.quiet if q[1] - q[0] >= limit)
        # Never squeeze so many that nothing is left to draw the rest in.
        while breaks and len(breaks) * break_width > width / 2:
            breaks = tuple(sorted(breaks, key=lambda q: q[1] - q[0])[1:])
            breaks = tuple(sorted(breaks))
        return cls(
            timeline.begin,
            max(timeline.end, timeline.begin + 1e-9),
            width,
            breaks,
            break_width if breaks else 0.0,
        )

    @property
    def _active(self) -> float:
        squeezed = sum(b - a for a, b in self.breaks)
        return max(self.end - self.begin - squeezed, 1e-9)

    def x(self, t: float) -> float:
        t = min(max(t, self.begin), self.end)
        scale = (self.width - len(self.breaks) * self.break_width) / self._active
        pos = 0.0
        cursor = self.begin
        for a, b in self.breaks:
            if t <= a:
                break
            if t < b:
                pos += (a - cursor) * scale + (t - a) / (b - a) * self.break_width
                return min(pos, self.width)
            pos += (a - cursor) * scale + self.break_width
            cursor = b
        return min(pos + (t - cursor) * scale, self.width)

    def time_at(self, x: float) -> float:
        """The time drawn at position ``x`` (the inverse of :meth:`x`, by bisection)."""
        lo, hi = self.begin, self.end
        for _ in range(50):
            mid = (lo + hi) / 2
            if self.x(mid) < x:
                lo = mid
            else:
                hi = mid
        return lo

    def break_spans(self) -> list[tuple[float, float, float]]:
        """(x from, x to, seconds squeezed) of each break."""
        return [(self.x(a), self.x(a) + self.break_width, b - a) for a, b in self.breaks]


@dataclass
class Cell:
    kinds: int = 0  # bit mask of Kind
    count: int = 0
    size: int = 0

    def add(self, kind: int, size: int) -> None:
        self.kinds |= 1 << kind
        self.count += 1
        self.size += size

    def has(self, kind: Kind) -> bool:
        return bool(self.kinds & (1 << kind))

    @property
    def main(self) -> Kind:
        for kind in PRIORITY:
            if self.has(kind):
                return kind
        return Kind.SEND if self.has(Kind.SEND) else Kind.RECV

    @property
    def glyph(self) -> str:
        main = self.main
        if main in (Kind.SEND, Kind.RECV) and self.has(Kind.SEND) and self.has(Kind.RECV):
            return BOTH
        return GLYPHS[main]


def lane_cells(lane: Lane, axis: Axis, columns: int) -> dict[int, Cell]:
    """The lane's events binned into ``columns`` columns (only those with any)."""
    cells: dict[int, Cell] = {}
    scale = columns / axis.width if axis.width else 0.0
    for i, t in enumerate(lane.times):
        col = min(columns - 1, int(axis.x(t) * scale))
        cell = cells.get(col)
        if cell is None:
            cell = cells[col] = Cell()
        cell.add(lane.kinds[i], lane.sizes[i])
    return cells


def _open_columns(lane: Lane, axis: Axis, columns: int, end: float) -> list[tuple[int, int]]:
    spans = []
    for life in lane.lives:
        start = life.opened if life.opened is not None else life.requested
        if start is None:
            start = axis.begin
        stop = life.closed if life.closed is not None else end
        a = min(columns - 1, int(axis.x(start) * columns / axis.width))
        b = min(columns - 1, int(axis.x(stop) * columns / axis.width))
        spans.append((a, b))
    return spans


LABEL_WIDTH = 30


def _ticks(axis: Axis, columns: int) -> Text:
    """The axis row: ``≈2m30s`` over each squeezed stretch, then offsets every
    few columns where they fit."""
    row = [" "] * columns
    taken = [False] * columns
    styles: list[tuple[int, int]] = []

    def place(col: int, label: str) -> bool:
        col = max(0, min(col, columns - len(label)))
        if col < 0 or any(taken[max(0, col - 1) : min(columns, col + len(label) + 1)]):
            return False
        row[col : col + len(label)] = list(label)
        for i in range(col, col + len(label)):
            taken[i] = True
        return True

    for x0, _x1, seconds in axis.break_spans():
        col = int(x0 * columns / axis.width)
        label = "≈" + fmt_offset(seconds)[1:]
        if place(col, label):
            styles.append((max(0, min(col, columns - len(label))), len(label)))
    spots = max(2, columns // 14)
    for k in range(spots + 1):
        col = min(columns - 1, round(k * (columns - 1) / spots))
        t = axis.time_at(col * axis.width / columns)
        label = "|" + fmt_offset(t)
        if col + len(label) > columns:
            label = fmt_offset(t) + "|"
            col = columns - len(label)
        place(col, label)
    text = Text("".join(row), style="dim")
    for col, length in styles:
        text.stylize("bold yellow", col, col + length)
    return text


def timeline_rows(timeline: Timeline, width: int = 100) -> list[Text]:
    """The timeline as text rows ``width`` cells wide: a time axis, then one row
    per lane (its label, then the socket's life drawn over the columns: ``─``
    while open, ``┄`` over a gap, each event's mark; see :data:`GLYPHS`)."""
    if not timeline.lanes:
        return [Text("no socket was opened or used", style="dim")]
    label_w = min(LABEL_WIDTH, max(12, width // 3))
    columns = max(10, width - label_w - 1)
    axis = Axis.fit(timeline, float(columns), 4.0)
    rows = [Text(" " * (label_w + 1)) + _ticks(axis, columns)]
    for lane in timeline.sorted_lanes():
        cells = lane_cells(lane, axis, columns)
        line = [" "] * columns
        kinds: list[Kind | None] = [None] * columns
        for a, b in _open_columns(lane, axis, columns, timeline.end):
            for col in range(a, b + 1):
                line[col] = "─"
        for g0, g1 in lane.gaps:
            a = int(axis.x(g0) * columns / axis.width)
            b = min(columns - 1, int(axis.x(g1) * columns / axis.width))
            for col in range(a + 1, b):
                line[col] = "┄"
        for col, cell in cells.items():
            line[col] = cell.glyph
            kinds[col] = cell.main
        label = lane.label
        if len(lane.lives) > 1:
            label += f" (+{len(lane.lives) - 1})"
        if len(label) > label_w:
            label = label[: label_w - 1] + "…"
        row = Text(label.ljust(label_w) + " ", style="bold")
        body = Text("".join(line), style="dim")
        for col, kind in enumerate(kinds):
            if kind is not None:
                body.stylize(ROW_STYLES[kind], col, col + 1)
        rows.append(row + body)
    return rows


def legend_lines(per_line: int = 5) -> list[str]:
    """What the marks of the text rows mean, a few to a line."""
    parts = [f"{GLYPHS[k]} {KIND_LABELS[k]}" for k in Kind]
    parts.insert(5, f"{BOTH} sent and received")
    parts += ["─ open", "┄ gap (nothing for a while)", "≈ quiet time squeezed"]
    return ["   ".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]


def legend_text() -> str:
    """What the marks of the text rows mean, on one line."""
    return "   ".join(legend_lines(per_line=99))


__all__ = [
    "LABEL_WIDTH",
    "Axis",
    "Cell",
    "lane_cells",
    "legend_lines",
    "legend_text",
    "timeline_rows",
]
