"""Where each node goes, before any size is known: a column along the flow and a lane across it.

A node's column is its longest path from the input, so every arrow points forward. The longest
path through the network runs along lane 0; each branch (a ResNet projection shortcut, an Inception
tower) gets the lowest lane that is free over the columns it spans. Rows are cut only where every
arrow crossing the cut leaves the same node, so a wrapped diagram stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.pictures.nodes import Node


@dataclass(frozen=True)
class Cell:
    """A node's place: its column along the flow and its lane across it."""

    column: int
    lane: int


@dataclass(frozen=True)
class Grid:
    """The cells of every node, and the columns after which the diagram may wrap."""

    cells: dict[str, Cell]
    cuts: dict[int, str]
    """Column → the one node every arrow crossing a cut after that column comes from."""

    @property
    def columns(self) -> int:
        """How many columns there are."""
        return 1 + max(cell.column for cell in self.cells.values())


def place(nodes: tuple[Node, ...]) -> Grid:
    """The grid of ``nodes`` (in dependency order, the input first)."""
    column: dict[str, int] = {}
    for node in nodes:
        column[node.key] = 1 + max((column[key] for key in node.inputs), default=-1)
    readers: dict[str, list[str]] = {node.key: [] for node in nodes}
    for node in nodes:
        for key in node.inputs:
            readers[key].append(node.key)
    height: dict[str, int] = {}
    for node in reversed(nodes):
        height[node.key] = 1 + max((height[key] for key in readers[node.key]), default=-1)
    successor = {
        key: max(keys, key=lambda k: (height[k], -column[k])) for key, keys in readers.items() if keys
    }
    lanes = _lanes(_chains(nodes, successor), column, readers)
    cells = {node.key: Cell(column[node.key], lanes[node.key]) for node in nodes}
    return Grid(cells, _cuts(nodes, column))


def _chains(nodes: tuple[Node, ...], successor: dict[str, str]) -> list[list[str]]:
    """Split the nodes into chains that each follow their longest continuation; the first chain is the
    longest path from the input."""
    claimed: set[str] = set()
    chains: list[list[str]] = []
    for node in nodes:
        if node.key in claimed:
            continue
        chain = [node.key]
        claimed.add(node.key)
        while chain[-1] in successor and successor[chain[-1]] not in claimed:
            chain.append(successor[chain[-1]])
            claimed.add(chain[-1])
        chains.append(chain)
    return chains


def _lanes(chains: list[list[str]], column: dict[str, int], readers: dict[str, list[str]]) -> dict[str, int]:
    """The lowest lane free over the columns each chain spans, up to the column before its last
    node's readers (where its arrows run)."""
    taken: list[list[tuple[int, int]]] = []
    lanes: dict[str, int] = {}
    for chain in chains:
        first = column[chain[0]]
        last = max([column[chain[-1]], *(column[key] - 1 for key in readers[chain[-1]])])
        lane = next(
            (n for n, spans in enumerate(taken) if all(last < a or b < first for a, b in spans)), len(taken)
        )
        if lane == len(taken):
            taken.append([])
        taken[lane].append((first, last))
        lanes.update(dict.fromkeys(chain, lane))
    return lanes


def _cuts(nodes: tuple[Node, ...], column: dict[str, int]) -> dict[int, str]:
    """The columns after which every arrow that crosses comes from one node in that column."""
    crossing: dict[int, set[str]] = {}
    for node in nodes:
        for key in node.inputs:
            for between in range(column[key], column[node.key]):
                crossing.setdefault(between, set()).add(key)
    return {
        at: next(iter(sources))
        for at, sources in crossing.items()
        if len(sources) == 1 and column[next(iter(sources))] == at
    }
