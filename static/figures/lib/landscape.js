// A loss landscape over a two-parameter plane: a colour map with contour lines on a <canvas>,
// under an SVG plot (lib/svg.js) that carries the axes, markers, arrows and handles.
//
// Why a canvas: a colour map is one pixel per grid value, and redrawing thousands of SVG
// rectangles for every slider move would be slow. The canvas sits exactly under the SVG's inner
// rectangle (positioned in percentages of the viewBox, so both scale together with the column);
// everything a reader can point at or focus stays in the SVG.
//
// Values are drawn on a log scale, normalised to the map's own range, because losses on these
// toys span several orders of magnitude and the interesting structure is near the minimum. The
// same convention is used by the fallback pictures (sitegen.fallback_landscapes).

import { axes, createPlot, el, fmt, seriesColor } from "./svg.js";

export const CONTOUR_LEVELS = 10;
/** Values below this fraction of the map's maximum are drawn as if equal to it (log of zero). */
const LOG_FLOOR = 1e-3;
const MAX_PIXEL_RATIO = 2;

/**
 * log(v + floor), rescaled to [0, 1] over the map: the quantity both colours and contour levels
 * are taken from. Returns a Float32Array the size of `values`.
 */
export function logNormalise(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const floor = Math.max(Math.abs(hi) * LOG_FLOOR, 1e-30);
  const l0 = Math.log(Math.max(lo, 0) + floor);
  const l1 = Math.log(Math.max(hi, 0) + floor);
  const span = l1 - l0 || 1;
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = (Math.log(Math.max(values[k], 0) + floor) - l0) / span;
  return out;
}

/**
 * Marching squares: the segments where the field `t` (row-major, nx × ny, row j = y index)
 * crosses `level`, as a flat array [i0, j0, i1, j1, ...] in fractional grid indices. Saddle cells
 * are resolved by the cell's mean value, so contours never cross each other.
 */
export function contourSegments(t, nx, ny, level) {
  const out = [];
  const cross = (va, vb) => (level - va) / (vb - va);
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const v00 = t[j * nx + i];
      const v10 = t[j * nx + i + 1];
      const v11 = t[(j + 1) * nx + i + 1];
      const v01 = t[(j + 1) * nx + i];
      const code = (v00 > level) | ((v10 > level) << 1) | ((v11 > level) << 2) | ((v01 > level) << 3);
      if (code === 0 || code === 15) continue;
      // Crossing points on the cell's edges: bottom, right, top, left (null: no crossing).
      const edges = [
        (v00 > level) !== (v10 > level) ? [i + cross(v00, v10), j] : null,
        (v10 > level) !== (v11 > level) ? [i + 1, j + cross(v10, v11)] : null,
        (v01 > level) !== (v11 > level) ? [i + cross(v01, v11), j + 1] : null,
        (v00 > level) !== (v01 > level) ? [i, j + cross(v00, v01)] : null,
      ];
      const hits = edges.filter(Boolean);
      if (hits.length === 2) {
        out.push(...hits[0], ...hits[1]);
      } else if (hits.length === 4) {
        // Saddle: if the centre lies on v00's side, the bottom-left and top-right corners are
        // joined through it, so the other two corners are cut off; otherwise the reverse.
        const centreAbove = (v00 + v10 + v11 + v01) / 4 > level;
        const pairs = centreAbove === v00 > level ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
        for (const [p, q] of pairs) out.push(...edges[p], ...edges[q]);
      }
    }
  }
  return out;
}

/** A CSS colour (any syntax the canvas accepts) as [r, g, b]. */
function rgbOf(context, colour) {
  context.fillStyle = "#000";
  context.fillStyle = colour;
  const normal = context.fillStyle; // "#rrggbb" or "rgba(r, g, b, a)"
  if (normal.startsWith("#")) return [1, 3, 5].map((k) => parseInt(normal.slice(k, k + 2), 16));
  return normal.match(/[\d.]+/g).slice(0, 3).map(Number);
}

/** The palette a map is drawn with, read from the page's CSS custom properties (dark mode too). */
function readPalette(element, context) {
  const style = getComputedStyle(element);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    low: rgbOf(context, read("--fig-contour-low", "#f7fbff")),
    high: rgbOf(context, read("--fig-contour-high", "#08306b")),
    line: read("--fig-axis", "#6c7078"),
  };
}

/**
 * createLandscape(parent, options) -> landscape
 *   options: {width = 360, height = 330, margin, x = [0, 1], y = [0, 1], label (accessible name
 *             of the plot), xlabel = "a", ylabel = "b", title (drawn above the map)}
 *   landscape: {plot (svg.createPlot result: svg, x, y, layer), element (the wrapper <div>),
 *               draw({values, nx, ny}), redraw() (after a palette change),
 *               marker(name, series) -> {set(x, y), hide()}, destroy()}
 * The field's grid spans the plot's x and y domains with its first and last points on the edges.
 */
export function createLandscape(parent, options = {}) {
  const {
    width = 360,
    height = 330,
    margin = {},
    x = [0, 1],
    y = [0, 1],
    label = "",
    xlabel = "a",
    ylabel = "b",
    title = "",
  } = options;
  const plot = createPlot({
    width,
    height,
    margin: { top: title ? 24 : 10, right: 10, bottom: 38, left: 44, ...margin },
    x,
    y,
    label,
    role: "group",
  });
  const element = document.createElement("div");
  element.className = "figure-landscape";
  element.style.position = "relative";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  const { inner } = plot;
  // Percentages of the viewBox keep the canvas under the SVG's inner rectangle at any width.
  Object.assign(canvas.style, {
    position: "absolute",
    left: `${(100 * inner.left) / width}%`,
    top: `${(100 * inner.top) / height}%`,
    width: `${(100 * inner.width) / width}%`,
    height: `${(100 * inner.height) / height}%`,
  });
  element.append(canvas, plot.svg);
  plot.svg.style.position = "relative"; // above the canvas
  parent.append(element);

  axes(plot, { xlabel, ylabel, grid: false });
  if (title) {
    el("text", { x: inner.left, y: 16, class: "fig-text", text: title, style: { fill: "var(--fig-fg)" } }, plot.svg);
  }

  const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
  canvas.width = Math.round(inner.width * ratio);
  canvas.height = Math.round(inner.height * ratio);
  const context = canvas.getContext("2d");
  const cells = document.createElement("canvas"); // one pixel per grid value
  const cellContext = cells.getContext("2d");
  let palette = readPalette(element, context);
  let field = null;

  function paint() {
    if (!field) return;
    const { values, nx, ny } = field;
    const t = logNormalise(values);
    if (cells.width !== nx || cells.height !== ny) {
      cells.width = nx;
      cells.height = ny;
    }
    const image = cellContext.createImageData(nx, ny);
    const { low, high } = palette;
    for (let j = 0; j < ny; j++) {
      const row = ny - 1 - j; // image rows run top-down, grid rows bottom-up
      for (let i = 0; i < nx; i++) {
        const v = t[j * nx + i];
        const p = 4 * (row * nx + i);
        image.data[p] = low[0] + v * (high[0] - low[0]);
        image.data[p + 1] = low[1] + v * (high[1] - low[1]);
        image.data[p + 2] = low[2] + v * (high[2] - low[2]);
        image.data[p + 3] = 255;
      }
    }
    cellContext.putImageData(image, 0, 0);
    const W = canvas.width;
    const H = canvas.height;
    // Grid points lie on the plot's edges, pixel centres half a cell inside: draw the image half
    // a cell larger on every side so that each value sits at its own (a, b).
    const cw = W / (nx - 1);
    const ch = H / (ny - 1);
    context.clearRect(0, 0, W, H);
    context.imageSmoothingEnabled = true;
    context.drawImage(cells, -cw / 2, -ch / 2, W + cw, H + ch);
    drawContours(t, nx, ny, cw, ch, H);
  }

  function drawContours(t, nx, ny, cw, ch, H) {
    context.save();
    context.strokeStyle = palette.line;
    context.globalAlpha = 0.55;
    context.lineWidth = ratio;
    context.beginPath();
    for (let k = 1; k <= CONTOUR_LEVELS; k++) {
      const s = contourSegments(t, nx, ny, k / (CONTOUR_LEVELS + 1));
      for (let p = 0; p < s.length; p += 4) {
        context.moveTo(s[p] * cw, H - s[p + 1] * ch);
        context.lineTo(s[p + 2] * cw, H - s[p + 3] * ch);
      }
    }
    context.stroke();
    context.restore();
  }

  // Dark mode: the custom properties change, so read them again and repaint.
  const scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
  const onScheme = () => {
    palette = readPalette(element, context);
    paint();
  };
  scheme?.addEventListener?.("change", onScheme);

  const markers = plot.layer("markers");
  return {
    plot,
    element,
    canvas,
    /** Show a field: values row-major over the grid (row j = y index, bottom row first). */
    draw(next) {
      field = next;
      paint();
    },
    redraw: onScheme,
    /** A cross marking a point (a minimum), in palette colour `series`, with an accessible title. */
    marker(name, series = 2) {
      const g = el("g", { class: "fig-marker", "data-marker": name, visibility: "hidden" }, markers);
      const titleNode = el("title", { text: name }, g);
      const arms = "M-6 -6L6 6M-6 6L6 -6";
      el("path", { d: arms, "stroke-width": 5, style: { stroke: "var(--fig-bg)" }, "stroke-linecap": "round" }, g);
      el("path", { d: arms, "stroke-width": 2.5, style: { stroke: seriesColor(series) }, "stroke-linecap": "round" }, g);
      return {
        element: g,
        set(px, py, text = name) {
          g.setAttribute("transform", `translate(${fmt(plot.x(px))} ${fmt(plot.y(py))})`);
          g.setAttribute("visibility", "visible");
          titleNode.textContent = text;
        },
        hide() {
          g.setAttribute("visibility", "hidden");
        },
      };
    },
    destroy() {
      scheme?.removeEventListener?.("change", onScheme);
      element.remove();
    },
  };
}

/** Lay landscapes out side by side (wrapping on narrow screens); returns the container <div>. */
export function landscapeRow(parent, { columns = "repeat(auto-fit, minmax(min(100%, 15rem), 1fr))" } = {}) {
  const row = document.createElement("div");
  row.className = "figure-landscapes";
  Object.assign(row.style, { display: "grid", gridTemplateColumns: columns, gap: "0.8rem", alignItems: "start" });
  parent.append(row);
  return row;
}
