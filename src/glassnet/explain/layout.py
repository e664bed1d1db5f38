"""Where to draw a network: one layout computation shared by every renderer (SVG, the explorer's page).

``network_layout`` places neurons in columns, edges between them, and every label (weights on their edge,
biases beside their neuron, short notes above neurons) so that no label box meets another label box or a
neuron circle, and nothing leaves the canvas. Labels with no room are listed in ``Layout.hidden``: a
renderer shows their values on hover instead. Plain dataclasses, JSON-ready through
``dataclasses.asdict``; standard library only.

>>> names = [["i1"], ["o1"]]
>>> lay = network_layout(names, [("w1", "i1", "o1", "w1=0.5")], [("b1", ("o1",), "b1=0.1")], 300)
>>> [label.key for label in lay.labels], lay.hidden
(['b1', 'w1'], [])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

MAX_NEURONS = 24  # per layer; wider layers show their first neurons and a "+N more" note

# Advance widths in em, the larger of DejaVu Sans and Liberation Sans (Arial's metrics) for each character,
# so that an estimate is at least the width a browser's usual sans-serif draws; unknown characters count 1 em.
_SANS = {
    **dict.fromkeys("0123456789", 0.64),
    **dict.fromkeys(".,: ", 0.34),
    "-": 0.37,
    "=": 0.84,
    "+": 0.84,
    "_": 0.56,
    "(": 0.39,
    ")": 0.39,
    **dict.fromkeys("ilj", 0.29),
    **dict.fromkeys("frt", 0.43),
    **dict.fromkeys("abcdeghknopqsuvxyz", 0.65),
    "m": 0.98,
    "w": 0.83,
    **dict.fromkeys("ABCDEFGHJKLNOPQRSTUVXYZ", 0.8),
    "I": 0.31,
    "M": 0.88,
    "W": 1.0,
}
MONO_ADVANCE = 0.61  # DejaVu Sans Mono and Liberation Mono advance 0.60 em for every character
ASCENT, DESCENT = 0.95, 0.3  # in em, above and below the baseline: at least the fonts' own extents
PAD = 1.5  # pixels around every text box
T_CHOICES = (0.5, 0.38, 0.62, 0.3, 0.7, 0.44, 0.56, 0.24, 0.76, 0.33, 0.67, 0.18, 0.82, 0.13, 0.87)


def text_width(text: str, font_size: float, monospace: bool = False) -> float:
    """A conservative estimate of a text's drawn width in pixels (without padding).

    >>> round(text_width("w1=0.15", 10), 2), round(text_width("0.5", 10, monospace=True), 2)
    (45.7, 18.3)
    """
    if monospace:
        return len(text) * MONO_ADVANCE * font_size
    return sum(_SANS.get(c, 1.0) for c in text) * font_size


@dataclass
class Box:
    """An axis-aligned rectangle: top-left corner (x, y), width w and height h, in pixels."""

    x: float
    y: float
    w: float
    h: float

    def meets(self, other: Box) -> bool:
        """Whether the two boxes overlap (touching edges do not count)."""
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def meets_circle(self, cx: float, cy: float, r: float) -> bool:
        """Whether the box overlaps the disc of radius r around (cx, cy): the box's nearest point is inside.

        >>> Box(0, 0, 10, 10).meets_circle(13, 5, 4), Box(0, 0, 10, 10).meets_circle(13, 13, 4)
        (True, False)
        """
        nx = min(max(cx, self.x), self.x + self.w)
        ny = min(max(cy, self.y), self.y + self.h)
        return (nx - cx) ** 2 + (ny - cy) ** 2 < r * r

    def inside(self, width: float, height: float) -> bool:
        """Whether the box lies within the canvas [0, width] x [0, height]."""
        return self.x >= 0 and self.y >= 0 and self.x + self.w <= width and self.y + self.h <= height


@dataclass
class NeuronPlace:
    """A drawn neuron: its name, layer, centre and radius (``name_size``: the font size of its name)."""

    name: str
    layer: int
    x: float
    y: float
    r: float
    name_size: float


@dataclass
class EdgePlace:
    """A drawn weight: parameter name, the neurons it joins and its end points (the two centres)."""

    key: str
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float


LabelKind = Literal["weight", "bias", "note", "more"]


@dataclass
class Label:
    """A text: drawn centred on x (text-anchor middle) with its baseline at y; ``box`` holds it with room.

    ``key`` is the parameter's name for weights and biases, ``"<neuron>#<line>"`` for a neuron's notes
    and ``"more#<layer>"`` for a layer's "+N more" note; ``neuron`` is the neuron it belongs to, if any.
    """

    key: str
    kind: LabelKind
    text: str
    x: float
    y: float
    box: Box
    neuron: str | None = None


@dataclass
class Layout:
    """Everything a renderer needs: canvas size, neurons, edges, the labels that fit, and the keys of the
    labels that did not (``hidden``; their values belong in a hover)."""

    width: float
    height: float
    font_size: float
    monospace: bool
    neurons: list[NeuronPlace]
    edges: list[EdgePlace]
    labels: list[Label]
    hidden: list[str] = field(default_factory=list)
    more: list[int] = field(default_factory=list)  # per layer: neurons not drawn

    def label(self, key: str) -> Label | None:
        """The placed label with this key, or None if it had no room."""
        return next((label for label in self.labels if label.key == key), None)


class _Room:
    """The boxes and circles placed so far, bucketed on a grid so a new box is checked only near itself."""

    CELL = 48.0

    def __init__(self, width: float, height: float, circles: Sequence[tuple[float, float, float]]) -> None:
        self.width, self.height = width, height
        self.boxes: list[Box] = []
        self.grid: dict[tuple[int, int], list[int]] = {}
        self.circles: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
        for cx, cy, r in circles:
            for cell in self._cells(Box(cx - r, cy - r, 2 * r, 2 * r)):
                self.circles.setdefault(cell, []).append((cx, cy, r))

    def _cells(self, box: Box) -> list[tuple[int, int]]:
        c = self.CELL
        return [
            (i, j)
            for i in range(math.floor(box.x / c), math.floor((box.x + box.w) / c) + 1)
            for j in range(math.floor(box.y / c), math.floor((box.y + box.h) / c) + 1)
        ]

    def free(self, box: Box) -> bool:
        if not box.inside(self.width, self.height):
            return False
        for cell in self._cells(box):
            if any(box.meets_circle(*circle) for circle in self.circles.get(cell, ())):
                return False
            if any(box.meets(self.boxes[k]) for k in self.grid.get(cell, ())):
                return False
        return True

    def take(self, box: Box) -> None:
        self.boxes.append(box)
        for cell in self._cells(box):
            self.grid.setdefault(cell, []).append(len(self.boxes) - 1)


def _label(
    key: str, kind: LabelKind, text: str, cx: float, cy: float, size: float, mono: bool, neuron: str | None
) -> Label:
    """A label whose text box (with PAD around it) is centred on (cx, cy)."""
    w = text_width(text, size, mono) + 2 * PAD
    h = (ASCENT + DESCENT) * size + 2 * PAD
    top = cy - h / 2
    return Label(key, kind, text, cx, top + PAD + ASCENT * size, Box(cx - w / 2, top, w, h), neuron)


def network_layout(
    names: Sequence[Sequence[str]],
    edges: Sequence[tuple[str, str, str, str]],
    biases: Sequence[tuple[str, Sequence[str], str]],
    width: float,
    *,
    neuron_notes: Mapping[str, Sequence[str]] | None = None,
    font_size: float = 11,
    monospace: bool = False,
    radius: float = 17,
    max_neurons: int = MAX_NEURONS,
    max_height: float | None = None,
) -> Layout:
    """Place a network's neurons, edges and labels on a canvas ``width`` pixels wide.

    Parameters
    ----------
    names : per layer, the neurons' names (``glassnet.core.naming.neuron_names``).
    edges : (parameter name, source neuron, target neuron, label text) for every weight.
    biases : (parameter name, neurons it feeds, label text) for every bias.
    width : the canvas width; the height grows with the tallest layer until the labels fit (at most
        ``max_height`` if given).
    neuron_notes : short lines of text drawn above a neuron (e.g. its net input and output).
    font_size, monospace : the labels' font; widths are estimated conservatively (``text_width``).

    Weight labels sit on their edge, at the first position along it (preferring positions away from
    crossings with other edges) where their box meets no other label and no neuron; bias labels sit beside
    one of their neurons; notes above their neuron. The keys of labels without room are in ``hidden``.
    """
    notes = {k: list(v) for k, v in (neuron_notes or {}).items()}
    shown = [list(layer[:max_neurons]) for layer in names]
    lines = max((len(notes.get(n, ())) for layer in shown for n in layer), default=0)
    best: Layout | None = None
    wanted = len(edges) + len(biases) + sum(len(v) for v in notes.values())
    for stretch in (1.0, 1.3, 1.7, 2.2, 3.0):
        layout = _place(
            names, shown, edges, biases, notes, lines, width, stretch, font_size, monospace, radius
        )
        if max_height is not None and layout.height > max_height and best is not None:
            break
        if best is None or len(layout.hidden) < len(best.hidden):
            best = layout
        if not layout.hidden or wanted > 150:  # large networks: one try; most labels cannot fit anyway
            break
    assert best is not None
    return best


def _place(
    names: Sequence[Sequence[str]],
    shown: list[list[str]],
    edges: Sequence[tuple[str, str, str, str]],
    biases: Sequence[tuple[str, Sequence[str], str]],
    notes: dict[str, list[str]],
    lines: int,
    width: float,
    stretch: float,
    size: float,
    mono: bool,
    r: float,
) -> Layout:
    """One attempt at the layout, with the vertical spacing of neurons scaled by ``stretch``."""
    line = (ASCENT + DESCENT) * size + 2 * PAD
    more = [max(0, len(layer) - len(s)) for layer, s in zip(names, shown, strict=True)]
    # Columns: the outer ones far enough in that notes and "+N more" above and below them fit.
    ends = [n for i in (0, -1) for n in shown[i]]
    half = max(
        [r + PAD]
        + [(text_width(t, size, mono) + 2 * PAD) / 2 for n in ends for t in notes.get(n, ())]
        + [(text_width(f"+{m} more", size, mono) + 2 * PAD) / 2 for m in (more[0], more[-1]) if m]
    )
    margin = half + 2
    columns = len(shown)
    gap = (width - 2 * margin) / (columns - 1) if columns > 1 else 0.0
    xs = [margin + l * gap if columns > 1 else width / 2 for l in range(columns)]
    # Rows: room above each neuron for its notes, below it for a bias label, between for edge labels.
    above = lines * line + 3
    step = stretch * max(2 * r + above + line + 12, 3.4 * r)
    tallest = max(len(layer) for layer in shown)
    top = 4 + above + r
    bottom = r + line + 6 + (line if any(more) else 0)
    height = math.ceil(top + step * (tallest - 1) + bottom)
    mid = (top + height - bottom) / 2
    neurons: list[NeuronPlace] = []
    pos: dict[str, tuple[float, float]] = {}
    for l, layer in enumerate(shown):
        first = mid - step * (len(layer) - 1) / 2
        for k, name in enumerate(layer):
            bold = text_width(name, 1, mono) * 1.12  # bold is wider
            name_size = min(size, (2 * r - 4) / bold, (2 * r - 6) / (ASCENT + DESCENT))
            pos[name] = (xs[l], first + k * step)
            neurons.append(NeuronPlace(name, l, xs[l], first + k * step, r, round(name_size, 2)))
    room = _Room(width, height, [(n.x, n.y, n.r + 1) for n in neurons])
    placed: list[Label] = []
    hidden: list[str] = []

    def put(candidates: list[Label], key: str) -> bool:
        for label in candidates:
            if room.free(label.box):
                room.take(label.box)
                placed.append(label)
                return True
        hidden.append(key)
        return False

    for l, m in enumerate(more):
        if m:
            key = f"more#{l}"
            put([_label(key, "more", f"+{m} more", xs[l], height - 4 - line / 2, size, mono, None)], key)
    for n in neurons:
        for k, text in enumerate(notes.get(n.name, ())):
            key = f"{n.name}#{k}"
            cy = n.y - n.r - 3 - line * (len(notes[n.name]) - k - 0.5)
            put([_label(key, "note", text, n.x, cy, size, mono, n.name)], key)
    for key, targets, text in biases:
        candidates = []
        for t in targets:
            if t not in pos:
                continue
            x, y = pos[t]
            w = text_width(text, size, mono) + 2 * PAD
            d = r + 2 + line / 2
            for dx, dy in ((0, d), (0, -d - above + 3), (r + w / 2 + 2, d - 2), (-r - w / 2 - 2, d - 2)):
                candidates.append(_label(key, "bias", text, x + dx, y + dy, size, mono, t))
            for dx in (r + w / 2 + 2, -r - w / 2 - 2):
                candidates.append(_label(key, "bias", text, x + dx, y, size, mono, t))
        put(candidates, key)
    drawn = [(k, s, t, text) for k, s, t, text in edges if s in pos and t in pos]
    places = [EdgePlace(k, s, t, *pos[s], *pos[t]) for k, s, t, _ in drawn]
    crossings = _crossings(places)
    for (key, _, _, text), e in zip(drawn, places, strict=True):
        length = math.hypot(e.x2 - e.x1, e.y2 - e.y1) or 1.0
        w = text_width(text, size, mono) + 2 * PAD
        reach = (w / 2 + 8) / length  # half a label, in units of t

        def score(t: float, key: str = key, reach: float = reach) -> float:
            near = min((abs(t - c) for c in crossings.get(key, ())), default=1.0)
            return -min(near, reach) + 0.05 * abs(t - 0.5)

        ts = sorted(T_CHOICES, key=score)
        put(
            [
                _label(
                    key, "weight", text, e.x1 + t * (e.x2 - e.x1), e.y1 + t * (e.y2 - e.y1), size, mono, None
                )
                for t in ts
            ],
            key,
        )
    return Layout(float(width), float(height), size, mono, neurons, places, placed, hidden, more)


def _crossings(edges: Sequence[EdgePlace]) -> dict[str, list[float]]:
    """Per edge, where along it (as t in [0, 1]) other edges between the same two columns cross it."""
    groups: dict[tuple[float, float], list[EdgePlace]] = {}
    for e in edges:
        groups.setdefault((e.x1, e.x2), []).append(e)
    out: dict[str, list[float]] = {}
    for group in groups.values():
        for e in group:
            ts = []
            for f in group:
                da, db = e.y1 - f.y1, e.y2 - f.y2
                if da * db < 0:
                    ts.append(da / (da - db))
            out[e.key] = ts
    return out
