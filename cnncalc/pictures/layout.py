"""From nodes on a grid to a scene with coordinates: columns, lanes, rows, arrows.

Positions are worked out in flow coordinates — ``u`` along the flow, ``v`` across it — and turned
into screen coordinates at the end (``LR``: ``x = u``; ``TB``: ``y = u``), so both directions share
one layout. A style draws each node around its anchor; this module only places the drawings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from cnncalc.pictures.grid import Cell, Grid, place
from cnncalc.pictures.nodes import Node
from cnncalc.pictures.scene import Bounds, Item, Line, Part, Point, Rect, Scene, Text, bounds_of

Direction: TypeAlias = Literal["LR", "TB"]

COLUMN_GAP = 30.0
"""Room between columns, where arrows turn."""
LANE_GAP = 26.0
ROW_GAP = 44.0
"""Room between wrapped rows, where the connector runs back."""
TRACK = 14.0
"""Distance between the arrows that run above a row (skip connections)."""
PORT = 24.0
"""Room before a wrapped row's first column, where its connector arrives."""
MARGIN = 16.0
TITLE_SIZE = 15.0
FRAME_PAD = 7.0
"""Room between a block use's frame and the nodes inside it."""
CAPTION = 14.0
"""Room above the nodes of a block use for its name."""
CAPTION_SIZE = 10.0


@dataclass(frozen=True)
class Figure:
    """A node drawn around its anchor ``(0, 0)``: its body, its label, where arrows meet it."""

    body: tuple[Part, ...]
    label: tuple[Part, ...]
    entry: Point
    exit: Point
    classes: tuple[str, ...]
    title: str

    @property
    def bounds(self) -> Bounds:
        """The rectangle body and label take."""
        return bounds_of(self.body + self.label)


class Style(Protocol):
    """How one style draws nodes, and what it adds between a layer and the one it reads."""

    def figure(self, node: Node, direction: Direction) -> Figure:
        """``node`` drawn around ``(0, 0)``."""
        ...

    def joint(self, source: Node, target: Node, at: tuple[Point, Point], direction: Direction) -> Item | None:
        """What to draw between ``source`` and ``target``, side by side with anchors ``at``, besides
        the arrow (the blocks style's kernel window), or ``None``."""
        ...


@dataclass(frozen=True)
class _Flow:
    """Turns flow coordinates into screen coordinates and back."""

    direction: Direction

    def screen(self, u: float, v: float) -> Point:
        return (u, v) if self.direction == "LR" else (v, u)

    def flow(self, point: Point) -> tuple[float, float]:
        return point if self.direction == "LR" else (point[1], point[0])

    def extents(self, bounds: Bounds) -> tuple[float, float, float, float]:
        """``(before_u, after_u, before_v, after_v)``: how far ``bounds`` reach around the anchor."""
        if self.direction == "LR":
            return -bounds.left, bounds.right, -bounds.top, bounds.bottom
        return -bounds.top, bounds.bottom, -bounds.left, bounds.right


@dataclass(frozen=True)
class _Row:
    """A run of columns drawn side by side, and where its lanes and tracks are."""

    columns: range
    lanes: dict[int, float]
    """Lane → its ``v``."""
    top: float
    bottom: float
    tracks: dict[tuple[str, str], float]
    """Edge → the ``v`` of the track it runs along above the row."""


def lay_out(
    nodes: tuple[Node, ...],
    style: Style,
    *,
    direction: Direction,
    row_length: float,
    title: str,
) -> Scene:
    """Place every node of ``nodes`` and draw the arrows; rows wrap after about ``row_length`` pixels."""
    flow = _Flow(direction)
    grid = place(nodes)
    figures = {node.key: style.figure(node, direction) for node in nodes}
    framed = {
        node.key: _inflated(figures[node.key].bounds) if node.group else figures[node.key].bounds
        for node in nodes
    }
    extents = {key: flow.extents(bounds) for key, bounds in framed.items()}
    columns = _columns(nodes, grid, extents, row_length)
    spans, anchor_u = columns.spans, columns.anchor_u
    edges = [(source, node.key) for node in nodes for source in node.inputs]
    rows: list[_Row] = []
    top = 0.0
    for span in spans:
        row = _row(span, top, nodes=nodes, grid=grid, extents=extents, edges=edges, anchor_u=anchor_u)
        rows.append(row)
        top = row.bottom + ROW_GAP
    row_of_column = {column: n for n, row in enumerate(rows) for column in row.columns}
    row_of = {key: row_of_column[cell.column] for key, cell in grid.cells.items()}
    anchors = {
        key: flow.screen(anchor_u[cell.column], rows[row_of[key]].lanes[cell.lane])
        for key, cell in grid.cells.items()
    }

    def point(key: str, end: Literal["entry", "exit"]) -> tuple[float, float]:
        x, y = anchors[key]
        dx, dy = getattr(figures[key], end)
        return flow.flow((x + dx, y + dy))

    router = _Router(grid, rows, row_of, columns.gaps, point)
    items: list[Item] = []
    for source, target in edges:
        path = router.route(source, target)
        over = (source, target) in rows[row_of[target]].tracks
        items.append(
            Item(
                "edge",
                ("skip",) if over else (),
                (Line(tuple(flow.screen(u, v) for u, v in path), "edge", arrow=True),),
                layers=(source, target),
                title=f"{source} → {target}",
            )
        )
    for number, row in enumerate(rows[1:], start=1):
        source = grid.cuts[row.columns.start - 1]
        path = router.connector(source, rows[number - 1], row)
        line = Line(tuple(flow.screen(u, v) for u, v in path), "edge")
        items.append(Item("edge", ("wrap",), (line,), layers=(source,), title=f"{source} → next row"))
    items += _frames(nodes, framed, anchors, row_of)
    for node in nodes:
        figure = figures[node.key]
        x, y = anchors[node.key]
        items.append(
            Item("node", figure.classes, figure.body, figure.label, node.layers, figure.title).moved(x, y)
        )
    by_key = {node.key: node for node in nodes}
    for node in nodes:
        if len(node.inputs) == 1 and _side_by_side(grid, row_of, node.inputs[0], node.key):
            joint = style.joint(
                by_key[node.inputs[0]], node, (anchors[node.inputs[0]], anchors[node.key]), direction
            )
            if joint is not None:
                items.append(joint)
    return _framed(items, title)


@dataclass(frozen=True)
class _Columns:
    """Where the columns go along the flow, and how they are cut into rows."""

    spans: list[range]
    """The columns of each row."""
    anchor_u: dict[int, float]
    """Column → the ``u`` of its nodes' anchors."""
    gaps: tuple[dict[int, float], dict[int, float]]
    """Column → the ``u`` of the middle of the gap before it, and after it (where arrows turn)."""


def _columns(
    nodes: tuple[Node, ...],
    grid: Grid,
    extents: dict[str, tuple[float, float, float, float]],
    row_length: float,
) -> _Columns:
    """Each column as wide as its widest node, rows cut at the grid's cuts; a wrapped row starts
    after room for its connector."""
    by_column: dict[int, list[str]] = {}
    for node in nodes:
        by_column.setdefault(grid.cells[node.key].column, []).append(node.key)
    before = [max(extents[k][0] for k in by_column[c]) for c in range(grid.columns)]
    after = [max(extents[k][1] for k in by_column[c]) for c in range(grid.columns)]
    spans = _wrap([b + a for b, a in zip(before, after, strict=True)], grid.cuts, row_length)
    anchor_u: dict[int, float] = {}
    for number, span in enumerate(spans):
        u = PORT if number else 0.0
        for column in span:
            anchor_u[column] = u + before[column]
            u = anchor_u[column] + after[column] + COLUMN_GAP
    gaps = (
        {c: u - before[c] - COLUMN_GAP / 2 for c, u in anchor_u.items()},
        {c: u + after[c] + COLUMN_GAP / 2 for c, u in anchor_u.items()},
    )
    return _Columns(spans, anchor_u, gaps)


def _inflated(bounds: Bounds) -> Bounds:
    """The room a node takes inside the frame of its block use."""
    return Bounds(
        bounds.left - FRAME_PAD,
        bounds.top - FRAME_PAD - CAPTION,
        bounds.right + FRAME_PAD,
        bounds.bottom + FRAME_PAD,
    )


def _frames(
    nodes: tuple[Node, ...], framed: dict[str, Bounds], anchors: dict[str, Point], row_of: dict[str, int]
) -> list[Item]:
    """A frame around each group of nodes (a block use) in each row, its name in the top-left corner."""
    groups: dict[tuple[str, int], Bounds] = {}
    for node in nodes:
        if node.group is None:
            continue
        x, y = anchors[node.key]
        b = framed[node.key]
        placed = Bounds(b.left + x, b.top + y, b.right + x, b.bottom + y)
        key = (node.group, row_of[node.key])
        groups[key] = groups[key].union(placed) if key in groups else placed
    return [
        Item(
            "frame",
            (),
            (Rect(b.left, b.top, b.right - b.left, b.bottom - b.top, "frame", radius=8.0),),
            (Text(b.left + FRAME_PAD, b.top + CAPTION - 2, use, "caption", "start", CAPTION_SIZE),),
            title=use,
        )
        for (use, _), b in groups.items()
    ]


def _wrap(widths: list[float], cuts: dict[int, str], row_length: float) -> list[range]:
    """Columns split into rows no longer than ``row_length`` where possible, cut only at ``cuts``,
    then evened out: as few rows, each as short as it can be."""
    spans = _greedy(widths, cuts, row_length)
    target = (sum(widths) + COLUMN_GAP * len(widths)) / len(spans)
    while target < row_length:
        even = _greedy(widths, cuts, target)
        if len(even) <= len(spans):
            return even
        target *= 1.05
    return spans


def _greedy(widths: list[float], cuts: dict[int, str], row_length: float) -> list[range]:
    """Rows filled one after the other up to ``row_length``, cut at the last cut that fits."""
    spans: list[range] = []
    start = 0
    while start < len(widths):
        end: int | None = None
        length = 0.0
        for column in range(start, len(widths)):
            length += widths[column] + COLUMN_GAP
            if length > row_length and column > start:
                break
            if column in cuts or column == len(widths) - 1:
                end = column
        if end is None:
            end = next(c for c in range(start, len(widths)) if c in cuts or c == len(widths) - 1)
        spans.append(range(start, end + 1))
        start = end + 1
    return spans


def _row(
    span: range,
    top: float,
    *,
    nodes: tuple[Node, ...],
    grid: Grid,
    extents: dict[str, tuple[float, float, float, float]],
    edges: list[tuple[str, str]],
    anchor_u: dict[int, float],
) -> _Row:
    """Where the lanes and the tracks above them go in the row of columns ``span``, from ``top``."""
    cells = grid.cells
    members = [node.key for node in nodes if cells[node.key].column in span]
    lanes = range(1 + max(cells[k].lane for k in members))
    above = [max((extents[k][2] for k in members if cells[k].lane == lane), default=0.0) for lane in lanes]
    below = [max((extents[k][3] for k in members if cells[k].lane == lane), default=0.0) for lane in lanes]
    occupied = {(cells[k].lane, cells[k].column) for k in members}
    overhead = [
        (source, target)
        for source, target in edges
        if cells[target].column in span
        and not any(
            _clear(occupied, lane, _first(cells[source], span), cells[target])
            for lane in {cells[source].lane, cells[target].lane}
        )
    ]
    numbers: dict[tuple[str, str], int] = {}
    ends: list[float] = []
    for edge in sorted(overhead, key=lambda e: anchor_u[_first(cells[e[0]], span) + 1]):
        start, stop = anchor_u[_first(cells[edge[0]], span) + 1], anchor_u[cells[edge[1]].column]
        number = next((n for n, end in enumerate(ends) if end < start), len(ends))
        ends[number : number + 1] = [stop]
        numbers[edge] = number
    channel = len(ends) * TRACK
    lane_v: dict[int, float] = {}
    v = top + channel + (TRACK if ends else 0.0)
    for lane in lanes:
        v += above[lane]
        lane_v[lane] = v
        v += below[lane] + LANE_GAP
    tracks = {edge: top + channel - number * TRACK for edge, number in numbers.items()}
    return _Row(span, lane_v, top, v - LANE_GAP, tracks)


def _first(source: Cell, span: range) -> int:
    """The column an arrow into ``span`` starts from: its source's, or just before the row's start
    (where a wrapped row's connector arrives)."""
    return max(source.column, span.start - 1)


def _clear(occupied: set[tuple[int, int]], lane: int, first: int, target: Cell) -> bool:
    """Whether no node sits in ``lane`` between column ``first`` and the target's column."""
    return all((lane, column) not in occupied for column in range(first + 1, target.column))


class _Router:
    """Orthogonal paths for arrows, in flow coordinates. An arrow runs straight along its lane when it
    can, else turns in the gap before its target (along the source's lane) or after its source
    (along the target's), else runs along a track above the row."""

    def __init__(
        self,
        grid: Grid,
        rows: list[_Row],
        row_of: dict[str, int],
        gaps: tuple[dict[int, float], dict[int, float]],
        point: Callable[[str, Literal["entry", "exit"]], tuple[float, float]],
    ) -> None:
        self.grid, self.rows, self.row_of, self.point = grid, rows, row_of, point
        self.gap_before, self.gap_after = gaps
        self.occupied: list[set[tuple[int, int]]] = [set() for _ in rows]
        for key, cell in grid.cells.items():
            self.occupied[row_of[key]].add((cell.lane, cell.column))

    def route(self, source: str, target: str) -> list[tuple[float, float]]:
        """The path of the arrow from ``source`` to ``target``."""
        cells, row = self.grid.cells, self.rows[self.row_of[target]]
        end = self.point(target, "entry")
        if self.row_of[source] == self.row_of[target]:
            start, turn = self.point(source, "exit"), self.gap_after[cells[source].column]
        else:
            start, turn = (0.0, self._lane_v(row, cells[source])), PORT / 2
        before = self.gap_before[cells[target].column]
        if (source, target) in row.tracks:
            track = row.tracks[(source, target)]
            return [start, (turn, start[1]), (turn, track), (before, track), (before, end[1]), end]
        if start[1] == end[1]:
            return [start, end]
        if _clear(
            self.occupied[self.row_of[target]],
            cells[source].lane,
            _first(cells[source], row.columns),
            cells[target],
        ):
            return [start, (before, start[1]), (before, end[1]), end]
        return [start, (turn, start[1]), (turn, end[1]), end]

    def connector(self, source: str, above: _Row, below: _Row) -> list[tuple[float, float]]:
        """The line from a row's last node back to where the next row starts (its port)."""
        start = self.point(source, "exit")
        turn = self.gap_after[self.grid.cells[source].column]
        middle = (above.bottom + below.top) / 2
        port = self._lane_v(below, self.grid.cells[source])
        return [start, (turn, start[1]), (turn, middle), (-PORT / 2, middle), (-PORT / 2, port), (0.0, port)]

    @staticmethod
    def _lane_v(row: _Row, cell: Cell) -> float:
        return row.lanes.get(cell.lane, row.lanes[0])


def _side_by_side(grid: Grid, row_of: dict[str, int], source: str, target: str) -> bool:
    """Whether ``target`` sits right after ``source`` in the same lane of the same row."""
    s, t = grid.cells[source], grid.cells[target]
    return row_of[source] == row_of[target] and s.lane == t.lane and s.column + 1 == t.column


def _framed(items: list[Item], title: str) -> Scene:
    """The scene with a title on top, everything shifted to start at the margin."""
    bounds = bounds_of(tuple(part for item in items for part in item.body + item.label))
    heading = Text(bounds.left, bounds.top - 14, title, "title", "start", TITLE_SIZE, bold=True)
    bounds = bounds.union(heading.bounds)
    dx, dy = MARGIN - bounds.left, MARGIN - bounds.top
    ordered = sorted(items, key=lambda item: ("frame", "edge", "node", "kernel").index(item.kind))
    shifted = [Item("title", (), (), (heading,)).moved(dx, dy), *(item.moved(dx, dy) for item in ordered)]
    return Scene(
        bounds.right - bounds.left + 2 * MARGIN,
        bounds.bottom - bounds.top + 2 * MARGIN,
        title,
        tuple(shifted),
    )
