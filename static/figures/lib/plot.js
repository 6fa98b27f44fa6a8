// SVG plots for every figure, on d3: scales (d3-scale), axes (d3-axis), lines (d3-shape),
// selections (d3-selection). What is left here is the article's own look: one palette, drawn
// through CSS custom properties so that dark mode follows, and marks that serialise the same in
// the browser and in Node (where the build draws each figure's static picture with this code).
//
// Figures draw in SVG user units (a fixed viewBox that CSS scales to the column width). Colours
// are never computed here: each mark gets a `fig-series-N` class or an inline `var(--fig-…)`
// style, which (unlike a presentation attribute) resolves the site's custom properties.

import { axisBottom, axisLeft } from "d3-axis";
import { scaleLinear } from "d3-scale";
import { create, select } from "d3-selection";
import { line as lineGenerator } from "d3-shape";

/** Coordinates are written with one decimal: small markup, the same text on every run. */
const DIGITS = 1;

/** The CSS colour of palette entry `series` (1-based, as in site.css --fig-1 … --fig-6). */
export function seriesColor(series) {
  return `var(--fig-${series})`;
}

/** Round a user-unit coordinate to DIGITS decimals (as a string, for an attribute). */
export function fmt(value) {
  return Number.isFinite(value) ? String(Math.round(value * 10 ** DIGITS) / 10 ** DIGITS) : "0";
}

/** A data value kept inside a scale's domain (d3's clamp() clamps the output instead). */
export function clampToDomain(scale, value) {
  const [d0, d1] = scale.domain();
  return Math.min(Math.max(value, Math.min(d0, d1)), Math.max(d0, d1));
}

// Ids for <defs> entries (masks). Several figures share one document, and a page holds both a
// figure's static picture and its live version, so ids carry a scope: random in the browser,
// the figure's own id when the build draws its picture (setIdScope), which keeps pictures
// deterministic.
let idScope = `f${Math.random().toString(36).slice(2, 8)}`;
let idCounter = 0;

export function setIdScope(scope) {
  idScope = scope;
  idCounter = 0;
}

export function uniqueId(prefix) {
  idCounter += 1;
  return `${idScope}-${prefix}-${idCounter}`;
}

/**
 * An empty plot: an <svg> with a fixed viewBox and the data-to-user-unit scales.
 *   options: {width = 480, height = 300, margin = {top, right, bottom, left}, x: [x0, x1],
 *             y: [y0, y1], label (accessible name), role = "img" | "group" | null}
 * Returns {svg (the node), root (its d3 selection), x, y (d3 linear scales), inner: {left, top,
 * right, bottom, width, height}, layer(name)}; layer(name) returns a <g> selection created on
 * first use, in call order (so callers decide the stacking).
 */
export function createPlot({ width = 480, height = 300, margin = {}, x = [0, 1], y = [0, 1], label = "", role = "img" } = {}) {
  const m = { top: 12, right: 12, bottom: 38, left: 44, ...margin };
  const inner = {
    left: m.left,
    top: m.top,
    right: width - m.right,
    bottom: height - m.bottom,
    width: width - m.left - m.right,
    height: height - m.top - m.bottom,
  };
  const root = create("svg")
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("role", role || null)
    .attr("aria-label", label || null)
    // Scale with the column, keep the aspect ratio, and never overflow a phone screen.
    .style("width", "100%")
    .style("height", "auto")
    .style("display", "block")
    .style("overflow", "visible");
  const layers = new Map();
  const layer = (name) => {
    if (!layers.has(name)) layers.set(name, root.append("g").attr("data-layer", name));
    return layers.get(name);
  };
  return {
    svg: root.node(),
    root,
    width,
    height,
    inner,
    x: scaleLinear(x, [inner.left, inner.right]),
    y: scaleLinear(y, [inner.bottom, inner.top]),
    layer,
  };
}

/**
 * A group whose contents are clipped to the plot's inner rectangle (curves that leave the y
 * range): a nested <svg>, which clips without a clipPath id. Its user units are the plot's.
 */
export function clippedLayer(plot, name) {
  const { left, top, width, height } = plot.inner;
  return plot
    .layer(name)
    .append("svg")
    .attr("x", left)
    .attr("y", top)
    .attr("width", width)
    .attr("height", height)
    .attr("viewBox", `${left} ${top} ${width} ${height}`)
    .attr("overflow", "hidden");
}

/**
 * A frame, ticks with labels (d3-axis), optional grid lines and axis labels, behind everything
 * else. options: {xlabel, ylabel, xticks, yticks (tick counts, or arrays of values), grid = true}
 */
export function axes(plot, { xlabel = "", ylabel = "", xticks = 5, yticks = 5, grid = true } = {}) {
  const { left, top, right, bottom, width, height } = plot.inner;
  const g = plot.root.insert("g", ":first-child").attr("class", "fig-axes").attr("aria-hidden", "true");
  // A tick spec is a count (d3 picks round values and formats them to match) or a list.
  const tickValues = (scale, spec) => (Array.isArray(spec) ? spec : scale.ticks(spec));
  const configure = (axis, spec) => (Array.isArray(spec) ? axis.tickValues(spec) : axis.ticks(spec));
  const xs = tickValues(plot.x, xticks);
  const ys = tickValues(plot.y, yticks);
  if (grid) {
    const lines = g.append("g").attr("class", "fig-grid").attr("stroke-width", 1);
    lines.selectAll(null).data(xs).join("line")
      .attr("x1", (t) => fmt(plot.x(t))).attr("x2", (t) => fmt(plot.x(t))).attr("y1", top).attr("y2", bottom);
    lines.selectAll(null).data(ys).join("line")
      .attr("y1", (t) => fmt(plot.y(t))).attr("y2", (t) => fmt(plot.y(t))).attr("x1", left).attr("x2", right);
  }
  g.append("rect").attr("class", "fig-axis").attr("x", left).attr("y", top)
    .attr("width", width).attr("height", height).attr("fill", "none");
  // d3-axis draws ticks and labels in currentColor; the group's colour is the palette's axis
  // colour. offset(0): the same marks at every device pixel ratio (d3 shifts by half a pixel on
  // low-density screens only, which would make the build's picture differ from the page).
  const axisGroup = (axis, transform) =>
    g.append("g").attr("class", "fig-text").attr("transform", transform).style("color", "var(--fig-axis)")
      .call(axis.tickSizeOuter(0).tickPadding(4).offset(0))
      .call((s) => s.select(".domain").remove())
      .call((s) => s.selectAll("text").attr("fill", null).style("fill", "var(--fig-axis)"));
  axisGroup(configure(axisBottom(plot.x), xticks).tickSize(4), `translate(0 ${bottom})`);
  axisGroup(configure(axisLeft(plot.y), yticks).tickSize(4), `translate(${left} 0)`);
  const labels = g.append("g").attr("class", "fig-text").style("fill", "var(--fig-axis)");
  if (xlabel) {
    labels.append("text").attr("x", (left + right) / 2).attr("y", plot.height - 4)
      .attr("text-anchor", "middle").text(xlabel);
  }
  if (ylabel) {
    labels.append("text").attr("transform", `translate(12 ${(top + bottom) / 2}) rotate(-90)`)
      .attr("text-anchor", "middle").text(ylabel);
  }
  return g;
}

/** Class and inline style of a line in palette colour `series` or any CSS `color`. */
function strokeOf({ series = 1, color, dashed = false, className = "" }) {
  return {
    // The series class lets tests and stylesheets find a series; a custom colour belongs to none.
    className: [color ? "" : `fig-series-${series}`, dashed ? "fig-dashed" : "", className].filter(Boolean).join(" "),
    stroke: color ?? seriesColor(series),
  };
}

/**
 * A curve through data points (d3-shape's line), in palette colour `series` or any CSS `color`;
 * `dashed` for reference curves. Returns {node, set(xs, ys)}: set(null) empties it.
 */
export function curve(parent, sx, sy, { width = 2, ...style } = {}) {
  const { className, stroke } = strokeOf(style);
  const path = parent.append("path")
    .attr("class", className)
    .attr("fill", "none")
    .attr("stroke-width", width)
    .attr("stroke-linejoin", "round")
    .style("stroke", stroke);
  const generator = lineGenerator().digits(DIGITS);
  return {
    node: path.node(),
    set(xs, ys) {
      if (!xs || !ys) return path.attr("d", null);
      return path.attr("d", generator.x((i) => sx(xs[i])).y((i) => sy(ys[i]))(Array.from(xs, (_, i) => i)));
    },
  };
}

/** Filled circles at (xs[i], ys[i]); returns the <g> selection holding them. */
export function dots(parent, xs, ys, sx, sy, { series = 2, color, radius = 4 } = {}) {
  const g = parent.append("g").style("fill", color ?? seriesColor(series));
  g.selectAll(null).data(Array.from(xs, (_, i) => i)).join("circle")
    .attr("cx", (i) => fmt(sx(xs[i]))).attr("cy", (i) => fmt(sy(ys[i]))).attr("r", radius);
  return g;
}

const HEAD_LENGTH = 9;
const HEAD_HALF_WIDTH = 4;

/**
 * An arrow between data points, in palette colour `series`: a shaft and a head drawn as one
 * filled path (no <marker>, so no id to keep unique). Returns {node, set(x0, y0, x1, y1)}; an
 * arrow shorter than its head shows only the shaft.
 */
export function arrow(plot, parent, { series = 3, width = 2, className = "" } = {}) {
  const g = parent.append("g").attr("class", ["fig-arrow", className].filter(Boolean).join(" "));
  const shaft = g.append("line").attr("stroke-width", width).style("stroke", seriesColor(series));
  const head = g.append("path").style("fill", seriesColor(series));
  return {
    node: g.node(),
    set(x0, y0, x1, y1) {
      const [px0, py0, px1, py1] = [plot.x(x0), plot.y(y0), plot.x(x1), plot.y(y1)];
      const length = Math.hypot(px1 - px0, py1 - py0);
      g.attr("data-from", `${x0},${y0}`).attr("data-to", `${x1},${y1}`);
      if (length < HEAD_LENGTH) {
        shaft.attr("x1", fmt(px0)).attr("y1", fmt(py0)).attr("x2", fmt(px1)).attr("y2", fmt(py1));
        head.attr("d", null);
        return;
      }
      const [ux, uy] = [(px1 - px0) / length, (py1 - py0) / length];
      const [bx, by] = [px1 - ux * HEAD_LENGTH, py1 - uy * HEAD_LENGTH]; // base of the head
      shaft.attr("x1", fmt(px0)).attr("y1", fmt(py0)).attr("x2", fmt(bx)).attr("y2", fmt(by));
      const side = (s) => `${fmt(bx - s * uy * HEAD_HALF_WIDTH)},${fmt(by + s * ux * HEAD_HALF_WIDTH)}`;
      head.attr("d", `M${fmt(px1)},${fmt(py1)}L${side(1)}L${side(-1)}Z`);
    },
  };
}

/**
 * A legend (top-left corner by default). entries: [{label, series | color, dashed?, marker?:
 * "line" | "dot"}]. Decorative for screen readers (the figure's own text and readouts name every
 * series), so aria-hidden. Returns the <g> selection.
 */
export function legend(plot, entries, { x, y, parent } = {}) {
  const g = (parent ?? plot.root).append("g").attr("class", "fig-legend fig-text").attr("aria-hidden", "true");
  const left = x ?? plot.inner.left + 10;
  const top = y ?? plot.inner.top + 14;
  entries.forEach((entry, i) => {
    const yy = top + i * 16;
    const colour = entry.color ?? seriesColor(entry.series);
    if (entry.marker === "dot") {
      g.append("circle").attr("cx", left + 9).attr("cy", yy - 4).attr("r", 4).style("fill", colour);
    } else {
      g.append("line").attr("x1", left).attr("x2", left + 18).attr("y1", yy - 4).attr("y2", yy - 4)
        .attr("stroke-width", 2).attr("class", entry.dashed ? "fig-dashed" : null).style("stroke", colour);
    }
    g.append("text").attr("x", left + 24).attr("y", yy).style("fill", "var(--fig-fg)").text(entry.label);
  });
  return g;
}

/** A title line above the plot area. */
export function title(plot, text, { x = plot.inner.left, y = 16 } = {}) {
  return plot.root.append("text").attr("x", x).attr("y", y).attr("class", "fig-text")
    .style("fill", "var(--fig-fg)").text(text);
}

export { select };
