// SVG drawing helpers shared by every figure: scales, axes, lines, points, arrows and legends.
//
// Figures draw in SVG user units (a fixed viewBox that CSS scales to the column width), so every
// helper takes scales from data to user units. Colours are never hard-coded: each mark gets an
// inline `var(--fig-N)` style, which (unlike a presentation attribute) resolves the site's custom
// properties and therefore follows dark mode. No maths beyond mapping numbers to pixels lives here.

export const SVG_NS = "http://www.w3.org/2000/svg";

/** The CSS colour of palette entry `series` (1-based, as in site.css --fig-1 … --fig-6). */
export function seriesColor(series) {
  return `var(--fig-${series})`;
}

/** A palette variable's computed value (for canvas drawing, which cannot read var()). */
export function cssColor(element, name) {
  return getComputedStyle(element).getPropertyValue(name).trim();
}

/** Create an SVG element with attributes (and an optional parent to append it to). */
export function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "style" && typeof value === "object") Object.assign(node.style, value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, String(value));
  }
  if (parent) parent.append(node);
  return node;
}

/** Round a user-unit coordinate: small attribute strings, and identical output on every run. */
export function fmt(value) {
  return Number.isFinite(value) ? (Math.round(value * 10) / 10).toString() : "0";
}

/**
 * A linear map from `domain` [d0, d1] to `range` [r0, r1], with `invert` (pixels back to data,
 * for pointer input), `clamp` (a data value kept inside the domain) and `ticks`.
 */
export function linearScale([d0, d1], [r0, r1]) {
  const forward = (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
  forward.invert = (p) => d0 + ((p - r0) / (r1 - r0)) * (d1 - d0);
  forward.clamp = (v) => Math.min(Math.max(v, Math.min(d0, d1)), Math.max(d0, d1));
  forward.domain = [d0, d1];
  forward.range = [r0, r1];
  forward.ticks = (count = 5) => niceTicks(Math.min(d0, d1), Math.max(d0, d1), count);
  return forward;
}

/** Round tick positions (steps of 1, 2, 2.5 or 5 times a power of ten) covering [low, high]. */
export function niceTicks(low, high, count = 5) {
  const span = high - low || 1;
  const raw = span / Math.max(count, 1);
  let step = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10]) {
    if (raw <= factor * step) {
      step *= factor;
      break;
    }
  }
  const first = Math.ceil(low / step - 1e-9) * step;
  const ticks = [];
  for (let v = first; v <= high + step * 1e-9; v += step) {
    ticks.push(Number((Math.round(v / step) * step).toPrecision(12)) + 0); // + 0: no "-0" label
  }
  return ticks;
}

/** A tick label without float noise ("0.30000000000000004" -> "0.3"). */
export function tickLabel(value) {
  return String(Number(value.toPrecision(6)));
}

/**
 * An empty plot: an <svg> with a fixed viewBox and the data-to-user-unit scales.
 *   options: {width = 480, height = 300, margin = {top, right, bottom, left}, x: [x0, x1],
 *             y: [y0, y1], label (accessible name), role = "img" | "group" | null}
 * Returns {svg, x, y, inner: {left, top, right, bottom, width, height}, layer(name)} where
 * layer(name) returns a <g> created on first use, in call order (so callers decide stacking).
 */
export function createPlot({
  width = 480,
  height = 300,
  margin = {},
  x = [0, 1],
  y = [0, 1],
  label = "",
  role = "img",
  className = "",
} = {}) {
  const m = { top: 12, right: 12, bottom: 38, left: 44, ...margin };
  const inner = {
    left: m.left,
    top: m.top,
    right: width - m.right,
    bottom: height - m.bottom,
    width: width - m.left - m.right,
    height: height - m.top - m.bottom,
  };
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: role || undefined,
    "aria-label": label || undefined,
    class: className || undefined,
  });
  // Scale with the column, keep the aspect ratio, and never overflow a phone screen.
  Object.assign(svg.style, { width: "100%", height: "auto", display: "block", overflow: "visible" });
  const layers = new Map();
  const layer = (name) => {
    if (!layers.has(name)) layers.set(name, el("g", { "data-layer": name }, svg));
    return layers.get(name);
  };
  return {
    svg,
    width,
    height,
    inner,
    x: linearScale(x, [inner.left, inner.right]),
    y: linearScale(y, [inner.bottom, inner.top]),
    layer,
  };
}

/** Clip a layer's contents to the plot's inner rectangle (curves that leave the y range). */
export function clipToInner(plot, group) {
  const id = uniqueId("clip");
  const clip = el("clipPath", { id }, defs(plot.svg));
  const { left, top, width, height } = plot.inner;
  el("rect", { x: left, y: top, width, height }, clip);
  group.setAttribute("clip-path", `url(#${id})`);
  return group;
}

let counter = 0;
/** A page-unique id for <defs> entries (several figures share one document). */
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

function defs(svg) {
  return svg.querySelector(":scope > defs") ?? svg.insertBefore(el("defs"), svg.firstChild);
}

/**
 * A frame, tick labels, optional grid lines and axis labels.
 *   options: {xlabel, ylabel, xticks, yticks, grid = true, tickCount = 5}
 * Returns the <g> so a figure can redraw axes by removing it.
 */
export function axes(plot, { xlabel = "", ylabel = "", xticks, yticks, grid = true, tickCount = 5 } = {}) {
  const g = el("g", { class: "fig-axes", "aria-hidden": "true" });
  plot.svg.insertBefore(g, plot.svg.querySelector(":scope > g"));
  const { left, top, right, bottom } = plot.inner;
  const xs = xticks ?? plot.x.ticks(tickCount);
  const ys = yticks ?? plot.y.ticks(tickCount);
  if (grid) {
    const lines = el("g", { class: "fig-grid", "stroke-width": 1 }, g);
    for (const t of xs) el("line", { x1: fmt(plot.x(t)), x2: fmt(plot.x(t)), y1: top, y2: bottom }, lines);
    for (const t of ys) el("line", { y1: fmt(plot.y(t)), y2: fmt(plot.y(t)), x1: left, x2: right }, lines);
  }
  el("rect", { class: "fig-axis", x: left, y: top, width: right - left, height: bottom - top, fill: "none" }, g);
  const labels = el("g", { class: "fig-text", style: { fill: "var(--fig-axis)" } }, g);
  for (const t of xs) {
    el("text", { x: fmt(plot.x(t)), y: bottom + 15, "text-anchor": "middle", text: tickLabel(t) }, labels);
  }
  for (const t of ys) {
    el("text", { x: left - 6, y: fmt(plot.y(t) + 4), "text-anchor": "end", text: tickLabel(t) }, labels);
  }
  if (xlabel) {
    el("text", { x: (left + right) / 2, y: plot.height - 4, "text-anchor": "middle", text: xlabel }, labels);
  }
  if (ylabel) {
    el("text", {
      transform: `translate(12 ${(top + bottom) / 2}) rotate(-90)`,
      "text-anchor": "middle",
      text: ylabel,
    }, labels);
  }
  return g;
}

/** The "x,y x,y …" string of a polyline through data points (xs[i], ys[i]). */
export function pointsAttr(xs, ys, sx, sy) {
  let out = "";
  for (let i = 0; i < xs.length; i++) out += `${i ? " " : ""}${fmt(sx(xs[i]))},${fmt(sy(ys[i]))}`;
  return out;
}

/**
 * A polyline in palette colour `series` (1-based) or any CSS `color` (e.g. "var(--fig-muted)");
 * `dashed` for reference curves. Update it later
 * with setPolyline(line, xs, ys, sx, sy).
 */
export function polyline(parent, xs, ys, sx, sy, { series = 1, color, dashed = false, width = 2, className = "" } = {}) {
  const line = el("polyline", {
    // The series class lets tests and stylesheets find a series; a custom colour belongs to none.
    class: [color ? "" : `fig-series-${series}`, dashed ? "fig-dashed" : "", className].filter(Boolean).join(" "),
    fill: "none",
    "stroke-width": width,
    "stroke-linejoin": "round",
    style: { stroke: color ?? seriesColor(series) },
  }, parent);
  setPolyline(line, xs, ys, sx, sy);
  return line;
}

export function setPolyline(line, xs, ys, sx, sy) {
  line.setAttribute("points", xs && ys ? pointsAttr(xs, ys, sx, sy) : "");
}

/** Filled circles at (xs[i], ys[i]); returns the <g> holding them. */
export function points(parent, xs, ys, sx, sy, { series = 2, color, radius = 4, className = "" } = {}) {
  const g = el("g", { class: className || undefined, style: { fill: color ?? seriesColor(series) } }, parent);
  for (let i = 0; i < xs.length; i++) el("circle", { cx: fmt(sx(xs[i])), cy: fmt(sy(ys[i])), r: radius }, g);
  return g;
}

/**
 * An arrow from data point (x0, y0) to (x1, y1) in palette colour `series`, with an arrowhead
 * marker. Returns the <line>; move it with setArrow().
 */
export function arrow(plot, parent, x0, y0, x1, y1, { series = 3, width = 2, className = "" } = {}) {
  const id = arrowMarker(plot.svg, series);
  const line = el("line", {
    class: className || undefined,
    "stroke-width": width,
    "marker-end": `url(#${id})`,
    style: { stroke: seriesColor(series) },
  }, parent);
  setArrow(plot, line, x0, y0, x1, y1);
  return line;
}

export function setArrow(plot, line, x0, y0, x1, y1) {
  line.setAttribute("x1", fmt(plot.x(x0)));
  line.setAttribute("y1", fmt(plot.y(y0)));
  line.setAttribute("x2", fmt(plot.x(x1)));
  line.setAttribute("y2", fmt(plot.y(y1)));
}

function arrowMarker(svg, series) {
  const existing = svg.querySelector(`:scope > defs > marker[data-series="${series}"]`);
  if (existing) return existing.id;
  const id = uniqueId(`arrow-${series}`);
  const marker = el("marker", {
    id,
    "data-series": series,
    viewBox: "0 0 10 10",
    refX: 9,
    refY: 5,
    markerWidth: 6,
    markerHeight: 6,
    orient: "auto-start-reverse",
  }, defs(svg));
  el("path", { d: "M0 0L10 5L0 10z", style: { fill: seriesColor(series) } }, marker);
  return id;
}

/**
 * A legend in the plot's top-left corner. entries: [{label, series | color, dashed?, marker?:
 * "line" | "dot"}]. Returns the <g>; the legend is decorative for screen readers (the figure's own text
 * and readouts name every series), so it is aria-hidden.
 */
export function legend(plot, entries, { x, y, parent } = {}) {
  const g = el("g", { class: "fig-legend fig-text", "aria-hidden": "true" }, parent ?? plot.svg);
  const left = x ?? plot.inner.left + 10;
  const top = y ?? plot.inner.top + 14;
  entries.forEach((entry, i) => {
    const yy = top + i * 16;
    if (entry.marker === "dot") {
      el("circle", { cx: left + 9, cy: yy - 4, r: 4, style: { fill: entry.color ?? seriesColor(entry.series) } }, g);
    } else {
      el("line", {
        x1: left,
        x2: left + 18,
        y1: yy - 4,
        y2: yy - 4,
        "stroke-width": 2,
        class: entry.dashed ? "fig-dashed" : undefined,
        style: { stroke: entry.color ?? seriesColor(entry.series) },
      }, g);
    }
    el("text", { x: left + 24, y: yy, text: entry.label, style: { fill: "var(--fig-fg)" } }, g);
  });
  return g;
}

/**
 * Convert a pointer event's client coordinates to the SVG's user units (the viewBox is scaled by
 * CSS, so client pixels are not user units).
 */
export function clientToUser(svg, clientX, clientY) {
  const matrix = svg.getScreenCTM();
  if (!matrix) return { x: 0, y: 0 };
  const p = new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
  return { x: p.x, y: p.y };
}
