"""A tiny SVG plotting helper for static fallback pictures: plain string building, no libraries.

Coordinates are data coordinates; numbers are written with few decimals so output is small and
byte-for-byte reproducible. Colours are fixed (an <img> cannot see the page's CSS variables) and
chosen to read on light and dark backgrounds.
"""
from __future__ import annotations

import base64
import html
import math
import struct
import zlib
from collections.abc import Sequence

import numpy as np

PALETTE = ("#3b82c4", "#e0713d", "#3fa34d", "#b5489b", "#8c6d1f")
AXIS = "#888888"


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = (high - low) or 1.0
    raw = span / max(count, 1)
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


class Plot:
    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float], width: int = 480,
                 height: int = 300, margin: tuple[int, int, int, int] = (12, 12, 36, 44),
                 title: str = "") -> None:
        self.xlim, self.ylim = xlim, ylim
        self.width, self.height = width, height
        self.top, self.right, self.bottom, self.left = margin
        self.title = title
        self.parts: list[str] = []
        self.defs: list[str] = []

    # data -> pixel
    def px(self, x: float) -> float:
        x0, x1 = self.xlim
        return self.left + (x - x0) / (x1 - x0) * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        y0, y1 = self.ylim
        return self.height - self.bottom - (y - y0) / (y1 - y0) * (self.height - self.top - self.bottom)

    def axes(self, xlabel: str = "", ylabel: str = "", xticks: Sequence[float] | None = None,
             yticks: Sequence[float] | None = None) -> "Plot":
        x0, x1 = self.left, self.width - self.right
        y0, y1 = self.top, self.height - self.bottom
        out = [f'<g fill="none" stroke="{AXIS}" stroke-width="1">'
               f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}"/></g>',
               f'<g fill="{AXIS}" font-family="sans-serif" font-size="11">']
        for t in xticks if xticks is not None else nice_ticks(*self.xlim):
            out.append(f'<text x="{_n(self.px(t))}" y="{_n(y1 + 14)}" text-anchor="middle">{_n(t)}</text>')
        for t in yticks if yticks is not None else nice_ticks(*self.ylim):
            out.append(f'<text x="{_n(x0 - 5)}" y="{_n(self.py(t) + 4)}" text-anchor="end">{_n(t)}</text>')
        if xlabel:
            out.append(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(self.height - 4)}" '
                       f'text-anchor="middle">{html.escape(xlabel)}</text>')
        if ylabel:
            out.append(f'<text transform="translate(12 {_n((y0 + y1) / 2)}) rotate(-90)" '
                       f'text-anchor="middle">{html.escape(ylabel)}</text>')
        out.append("</g>")
        self.parts.extend(out)
        return self

    def polyline(self, xs: Sequence[float], ys: Sequence[float], color: str = PALETTE[0],
                 width: float = 2, dash: str = "") -> "Plot":
        points = " ".join(f"{_n(self.px(x))},{_n(self.py(y))}" for x, y in zip(xs, ys))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="{_n(width)}"'
                          f'{extra} points="{points}"/>')
        return self

    def points(self, xs: Sequence[float], ys: Sequence[float], color: str = PALETTE[1],
               radius: float = 4) -> "Plot":
        self.parts.append(f'<g fill="{color}">' + "".join(
            f'<circle cx="{_n(self.px(x))}" cy="{_n(self.py(y))}" r="{_n(radius)}"/>'
            for x, y in zip(xs, ys)) + "</g>")
        return self

    def arrow(self, x0: float, y0: float, x1: float, y1: float, color: str = PALETTE[2],
              width: float = 2) -> "Plot":
        marker = f"arrow-{color.lstrip('#')}"
        if not any(marker in d for d in self.defs):
            self.defs.append(f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
                             f'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
                             f'<path d="M0 0L10 5L0 10z" fill="{color}"/></marker>')
        self.parts.append(f'<line x1="{_n(self.px(x0))}" y1="{_n(self.py(y0))}" '
                          f'x2="{_n(self.px(x1))}" y2="{_n(self.py(y1))}" stroke="{color}" '
                          f'stroke-width="{_n(width)}" marker-end="url(#{marker})"/>')
        return self

    def heatmap(self, grid: Sequence[Sequence[float]], colormap=None, as_png: bool = False) -> "Plot":
        """grid[row][col] over the full x/y range, row 0 at the bottom (y = ylim[0]).

        `colormap` maps an array of values in [0, 1] to uint8 RGB (an extra last axis of 3);
        the default is `viridis`. With `as_png` the map is one embedded PNG, else SVG rectangles.
        """
        values = np.asarray(grid, dtype=np.float64)
        rows, cols = values.shape
        lo, hi = float(values.min()), float(values.max())
        rgb = (colormap or viridis)((values - lo) / ((hi - lo) or 1))[::-1]  # top row first
        x0, y0 = self.px(self.xlim[0]), self.py(self.ylim[1])
        w, h = self.px(self.xlim[1]) - x0, self.py(self.ylim[0]) - y0
        if as_png:
            data = base64.b64encode(png(rgb)).decode()
            self.parts.append(f'<image x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" '
                              f'preserveAspectRatio="none" image-rendering="pixelated" '
                              f'href="data:image/png;base64,{data}"/>')
            return self
        cw, ch = w / cols, h / rows
        cells = []
        for r in range(rows):
            for c in range(cols):
                red, green, blue = rgb[r, c]
                cells.append(f'<rect x="{_n(x0 + c * cw)}" y="{_n(y0 + r * ch)}" '
                             f'width="{_n(cw + 0.5)}" height="{_n(ch + 0.5)}" '
                             f'fill="#{red:02x}{green:02x}{blue:02x}"/>')
        self.parts.append("<g>" + "".join(cells) + "</g>")
        return self

    def contours(self, grid: Sequence[Sequence[float]], levels: Sequence[float], color: str = AXIS,
                 width: float = 1, opacity: float = 0.6) -> "Plot":
        """Contour lines of grid[row][col] (row 0 at the bottom) at each level, by marching
        squares; grid points lie on the plot's edges (first and last column on xlim)."""
        rows, cols = len(grid), len(grid[0])
        xs = [self.xlim[0] + c * (self.xlim[1] - self.xlim[0]) / (cols - 1) for c in range(cols)]
        ys = [self.ylim[0] + r * (self.ylim[1] - self.ylim[0]) / (rows - 1) for r in range(rows)]

        def at(c: float, r: float) -> str:
            i, j = min(int(c), cols - 2), min(int(r), rows - 2)
            x = xs[i] + (c - i) * (xs[i + 1] - xs[i])
            y = ys[j] + (r - j) * (ys[j + 1] - ys[j])
            return f"{_n(self.px(x))} {_n(self.py(y))}"

        path = []
        for level in levels:
            for r in range(rows - 1):
                for c in range(cols - 1):
                    path.extend(f"M{a}L{b}" for a, b in _cell_segments(grid, r, c, level, at))
        self.parts.append(f'<path fill="none" stroke="{color}" stroke-width="{_n(width)}" '
                          f'stroke-opacity="{_n(opacity)}" d="{"".join(path)}"/>')
        return self

    def text(self, x: float, y: float, label: str, color: str = AXIS, anchor: str = "start") -> "Plot":
        self.parts.append(f'<text x="{_n(self.px(x))}" y="{_n(self.py(y))}" fill="{color}" '
                          f'font-family="sans-serif" font-size="12" text-anchor="{anchor}">'
                          f'{html.escape(label)}</text>')
        return self

    def legend(self, entries: Sequence[tuple[str, str]]) -> "Plot":
        x, y = self.left + 10, self.top + 16
        for i, (label, color) in enumerate(entries):
            yy = y + i * 16
            self.parts.append(f'<line x1="{x}" y1="{yy - 4}" x2="{x + 18}" y2="{yy - 4}" '
                              f'stroke="{color}" stroke-width="2"/><text x="{x + 24}" y="{yy}" '
                              f'fill="{AXIS}" font-family="sans-serif" font-size="11">'
                              f'{html.escape(label)}</text>')
        return self

    def to_svg(self) -> str:
        title = f"<title>{html.escape(self.title)}</title>" if self.title else ""
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
                f'height="{self.height}" viewBox="0 0 {self.width} {self.height}">'
                f"{title}{defs}{''.join(self.parts)}</svg>\n")


def _cell_segments(grid, r: int, c: int, level: float, at):
    """Marching squares in one cell: the contour segments at `level`, saddles resolved by the
    cell's mean (the same rule as static/figures/lib/landscape.js)."""
    v00, v10 = grid[r][c], grid[r][c + 1]
    v01, v11 = grid[r + 1][c], grid[r + 1][c + 1]
    above = (v00 > level, v10 > level, v11 > level, v01 > level)
    if all(above) or not any(above):
        return []

    def cross(va: float, vb: float) -> float:
        return (level - va) / (vb - va)

    edges = [
        at(c + cross(v00, v10), r) if above[0] != above[1] else None,
        at(c + 1, r + cross(v10, v11)) if above[1] != above[2] else None,
        at(c + cross(v01, v11), r + 1) if above[3] != above[2] else None,
        at(c, r + cross(v00, v01)) if above[0] != above[3] else None,
    ]
    hits = [e for e in edges if e is not None]
    if len(hits) == 2:
        return [(hits[0], hits[1])]
    centre_above = (v00 + v10 + v11 + v01) / 4 > level
    pairs = ((0, 1), (2, 3)) if centre_above == above[0] else ((3, 0), (1, 2))
    return [(edges[p], edges[q]) for p, q in pairs]


VIRIDIS_STOPS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)],
                         dtype=np.float64)


def viridis(t: np.ndarray) -> np.ndarray:
    """A five-stop approximation of the viridis colour map (perceptually ordered): values in
    [0, 1] (clipped) to uint8 RGB, interpolated linearly between the stops."""
    position = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0) * (len(VIRIDIS_STOPS) - 1)
    stops = np.arange(len(VIRIDIS_STOPS))
    channels = [np.interp(position, stops, VIRIDIS_STOPS[:, k]) for k in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def png(pixels: np.ndarray) -> bytes:
    """An RGB PNG from a (height, width, 3) uint8 array, written with zlib only (deterministic)."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
