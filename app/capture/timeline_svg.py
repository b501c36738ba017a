"""The socket timeline as SVG, for the HTML report.

Drawn from the same :class:`~app.capture.timeline.Timeline` as the text rows:
one lane per connectID, time left to right (long quiet stretches squeezed to a
narrow band marked ``≈ 5m02s``), a line while the socket is open, a dashed
line over a gap, and a mark per event with a tooltip (``<title>``) giving its
time, kind, size and detail. When a lane has more events than there is room
for, neighbouring events share one mark whose tooltip counts them.

Colours are CSS classes (``tl-send``, ``tl-fail``...), so the page's light and
dark palettes apply; the SVG has no script and loads nothing.
"""

from __future__ import annotations

from html import escape

from app.capture.timeline import (
    BOTH,
    GLYPHS,
    KIND_LABELS,
    Kind,
    Lane,
    Timeline,
    fmt_bytes,
    fmt_offset,
)
from app.capture.timeline_draw import Axis, Cell, lane_cells

WIDTH = 1100
LABEL_W = 230
RIGHT = 16
TOP = 34
LANE_H = 34
BREAK_W = 26.0
#: A lane with at most this many events draws each one; more share marks.
EACH_MAX = 400
#: Size labels are written when a lane has at most this many events.
LABELS_MAX = 24
#: A reused connectID's sockets are labelled by type when it had at most this many.
LIFE_LABELS_MAX = 6

_CLASS = {
    Kind.OPEN: "tl-open",
    Kind.OPEN_FAILED: "tl-fail",
    Kind.INCOMING: "tl-open",
    Kind.SEND: "tl-send",
    Kind.SEND_FAIL: "tl-fail",
    Kind.RECV: "tl-recv",
    Kind.REMOTE_CLOSE: "tl-rclose",
    Kind.CLOSE: "tl-close",
    Kind.ENDED: "tl-fail",
}


def _f(x: float) -> str:
    return f"{x:.1f}"


def _mark(kind: Kind, x: float, y: float) -> str:
    """The shape of one kind of event, centred on the lane at ``x``."""
    cls = _CLASS[kind]
    if kind is Kind.OPEN:
        return f'<circle class="{cls}" cx="{_f(x)}" cy="{_f(y)}" r="5"/>'
    if kind is Kind.INCOMING:
        return (
            f'<circle class="{cls} tl-hollow" cx="{_f(x)}" cy="{_f(y)}" r="6"/>'
            f'<circle class="{cls}" cx="{_f(x)}" cy="{_f(y)}" r="3"/>'
        )
    if kind is Kind.SEND:
        return f'<path class="{cls}" d="M{_f(x)} {_f(y - 11)}l5 8h-10z"/>'
    if kind is Kind.RECV:
        return f'<path class="{cls}" d="M{_f(x)} {_f(y + 11)}l5 -8h-10z"/>'
    if kind is Kind.REMOTE_CLOSE:
        return f'<circle class="{cls} tl-hollow" cx="{_f(x)}" cy="{_f(y)}" r="5"/>'
    if kind is Kind.CLOSE:
        return f'<rect class="{cls}" x="{_f(x - 4.5)}" y="{_f(y - 4.5)}" width="9" height="9"/>'
    # A failure: a cross.
    return f'<path class="{cls} tl-cross" d="M{_f(x - 5)} {_f(y - 5)}l10 10m0 -10l-10 10"/>'


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _event_title(lane: Lane, t: float, kind: Kind, size: int, detail: str) -> str:
    words = f"{fmt_offset(t)} #{lane.connect_id} {KIND_LABELS[kind]}"
    if kind in (Kind.SEND, Kind.RECV):
        words += f" {fmt_bytes(size)}"
    if detail:
        words += f": {detail}"
    return words


def _cell_title(lane: Lane, cell: Cell) -> str:
    kinds = ", ".join(KIND_LABELS[k] for k in Kind if cell.has(k))
    return f"#{lane.connect_id}: {cell.count:,} events ({kinds}), {fmt_bytes(cell.size)}"


def _axis_ticks(axis: Axis, x0: float, bottom: float) -> list[str]:
    out = []
    count = 6
    for k in range(count + 1):
        x = axis.width * k / count
        t = axis.time_at(x)
        anchor = "start" if k == 0 else "end" if k == count else "middle"
        out.append(
            f'<line class="tl-grid" x1="{_f(x0 + x)}" y1="{TOP - 6}" '
            f'x2="{_f(x0 + x)}" y2="{_f(bottom)}"/>'
            f'<text class="tl-tick" x="{_f(x0 + x)}" y="{TOP - 12}" '
            f'text-anchor="{anchor}">{escape(fmt_offset(t))}</text>'
        )
    return out


def timeline_svg(timeline: Timeline, width: int = WIDTH) -> str:
    """The timeline as one ``<svg>`` element (empty lanes: a short message)."""
    lanes = timeline.sorted_lanes()
    if not lanes:
        return '<p class="tl-none">No socket was opened or used.</p>'
    chart = float(width - LABEL_W - RIGHT)
    axis = Axis.fit(timeline, chart, BREAK_W)
    height = TOP + LANE_H * len(lanes) + 10
    x0 = float(LABEL_W)
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" '
        f'aria-label="Socket timeline: {len(lanes)} lane(s), '
        f'{timeline.events_count:,} event(s)">'
    ]
    bottom = TOP + LANE_H * len(lanes)
    out.extend(_axis_ticks(axis, x0, bottom))
    for bx0, bx1, seconds in axis.break_spans():
        out.append(
            f'<rect class="tl-break" x="{_f(x0 + bx0)}" y="{TOP - 4}" '
            f'width="{_f(bx1 - bx0)}" height="{_f(bottom - TOP + 4)}">'
            f"{_title(f'{fmt_offset(seconds)[1:]} with nothing on any socket (squeezed)')}</rect>"
            f'<text class="tl-breaktext" x="{_f(x0 + (bx0 + bx1) / 2)}" y="{_f(bottom + 8)}" '
            f'text-anchor="middle">≈{escape(fmt_offset(seconds)[1:])}</text>'
        )
    for row, lane in enumerate(lanes):
        y = TOP + row * LANE_H + LANE_H / 2
        top = TOP + row * LANE_H
        out.append(
            f'<rect class="tl-lane{" tl-odd" if row % 2 else ""}" x="0" y="{top}" '
            f'width="{width}" height="{LANE_H}"/>'
        )
        label = lane.label
        if len(label) > 34:
            label = label[:33] + "…"
        out.append(
            f'<text class="tl-label" x="8" y="{_f(y + 4)}">{escape(label)}'
            f"{_title(lane.label)}</text>"
        )
        for life in lane.lives:
            start = life.opened if life.opened is not None else life.requested
            start = timeline.begin if start is None else start
            stop = life.closed if life.closed is not None else timeline.end
            out.append(
                f'<line class="tl-life{" tl-failed" if life.failed else ""}" '
                f'x1="{_f(x0 + axis.x(start))}" y1="{_f(y)}" '
                f'x2="{_f(x0 + axis.x(stop))}" y2="{_f(y)}">'
                f"{_title(f'#{life.connect_id} {life.service_type} {life.peer}')}</line>"
            )
            if 1 < len(lane.lives) <= LIFE_LABELS_MAX:
                # A reused connectID: say which socket each line is.
                out.append(
                    f'<text class="tl-life-label" x="{_f(x0 + axis.x(start) + 7)}" '
                    f'y="{_f(y - 6)}">{escape(life.service_type)}</text>'
                )
        for g0, g1 in lane.gaps:
            out.append(
                f'<line class="tl-gap" x1="{_f(x0 + axis.x(g0))}" y1="{_f(y)}" '
                f'x2="{_f(x0 + axis.x(g1))}" y2="{_f(y)}">'
                f"{_title(f'#{lane.connect_id}: nothing for {fmt_offset(g1 - g0)[1:]}')}</line>"
            )
        out.extend(_lane_marks(lane, axis, x0, y))
    out.append("</svg>")
    return "".join(out)


def _lane_marks(lane: Lane, axis: Axis, x0: float, y: float) -> list[str]:
    out: list[str] = []
    if len(lane) <= EACH_MAX:
        labelled = len(lane) <= LABELS_MAX
        for event in lane.events():
            x = x0 + axis.x(event.t)
            title = _event_title(lane, event.t, event.kind, event.size, event.detail)
            out.append(f"<g>{_mark(event.kind, x, y)}{_title(title)}</g>")
            if labelled and event.kind in (Kind.SEND, Kind.RECV):
                ty = y - 13 if event.kind is Kind.SEND else y + 21
                out.append(
                    f'<text class="tl-size" x="{_f(x)}" y="{_f(ty)}" text-anchor="middle">'
                    f"{event.size:,}</text>"
                )
        return out
    columns = max(1, int(axis.width / 6))
    for col, cell in sorted(lane_cells(lane, axis, columns).items()):
        x = x0 + (col + 0.5) * axis.width / columns
        main = cell.main
        shape = _mark(main, x, y)
        if main in (Kind.SEND, Kind.RECV) and cell.has(Kind.SEND) and cell.has(Kind.RECV):
            shape = _mark(Kind.SEND, x, y) + _mark(Kind.RECV, x, y)
        out.append(f"<g>{shape}{_title(_cell_title(lane, cell))}</g>")
    return out


def legend_items() -> list[tuple[str, str]]:
    """(SVG of a mark, what it means) for the report's timeline legend."""
    items = []
    for kind in Kind:
        svg = (
            '<svg class="timeline tl-key" viewBox="0 0 24 24" width="18" height="18" '
            f'aria-hidden="true">{_mark(kind, 12, 12)}</svg>'
        )
        items.append((svg, KIND_LABELS[kind]))
    return items


__all__ = ["BOTH", "GLYPHS", "legend_items", "timeline_svg"]
