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
import { METHODS, STROKES, colorOf, isMethod } from "./palette.js";

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
    .style("overflow", "visible")
    // The viewBox width, for the stylesheet's estimate of text size before figure-text.js runs.
    .style("--fig-vbw", String(width));
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

/**
 * Class, colour and dash of a mark. Name what it shows, `method` ("maml", ...) or `role`
 * ("trueCurve", "taskA", ...), and the palette gives the colour; `series` (1-6) is for
 * categories that are neither (the taxonomy's families), `color` for furniture.
 * `stroke` is a STROKES name ("exact", "firstOrder", "inner", "reference", "dashed").
 */
function styleOf({ series = 1, color, method, role, dashed = false, stroke, className = "" }) {
  const named = method ?? role;
  const style = STROKES[stroke ?? (dashed ? "dashed" : "exact")];
  if (!style) throw new Error(`no stroke style "${stroke}"`);
  return {
    // The series class lets tests and stylesheets find a series; a custom colour belongs to none.
    className: [named || color ? "" : `fig-series-${series}`, className].filter(Boolean).join(" "),
    colour: named ? colorOf(named) : (color ?? seriesColor(series)),
    dash: style.dash,
    opacity: style.opacity,
    method: method && isMethod(method) ? method : null,
    role: role ?? null,
  };
}

/** Tag a mark with what it shows, for tests and for readers of the markup. */
function tag(selection, style) {
  return selection.attr("data-method", style.method).attr("data-role", style.role);
}

/**
 * A curve through data points (d3-shape's line). See styleOf for the colour and style options;
 * `dashed` is the "dashed" stroke. Returns {node, set(xs, ys)}: set(null) empties it.
 */
export function curve(parent, sx, sy, { width, ...options } = {}) {
  const style = styleOf(options);
  const path = tag(parent.append("path"), style)
    .attr("class", style.className || null)
    .attr("fill", "none")
    .attr("stroke-width", width ?? STROKES[options.stroke ?? (options.dashed ? "dashed" : "exact")].width)
    .attr("stroke-dasharray", style.dash)
    .attr("stroke-opacity", style.opacity === 1 ? null : style.opacity)
    .attr("stroke-linejoin", "round")
    .style("stroke", style.colour);
  const generator = lineGenerator().digits(DIGITS);
  return {
    node: path.node(),
    set(xs, ys) {
      if (!xs || !ys) return path.attr("d", null);
      return path.attr("d", generator.x((i) => sx(xs[i])).y((i) => sy(ys[i]))(Array.from(xs, (_, i) => i)));
    },
  };
}

/** Filled circles at (xs[i], ys[i]); colour options as for curve(). Returns the <g> holding them. */
export function dots(parent, xs, ys, sx, sy, { radius = 4, ...options } = {}) {
  const style = styleOf({ series: 2, ...options });
  const g = tag(parent.append("g"), style).style("fill", style.colour);
  g.selectAll(null).data(Array.from(xs, (_, i) => i)).join("circle")
    .attr("cx", (i) => fmt(sx(xs[i]))).attr("cy", (i) => fmt(sy(ys[i]))).attr("r", radius);
  return g;
}

const HEAD_LENGTH = 9;
const HEAD_HALF_WIDTH = 4;
/** The halo under a mark drawn on a map: --fig-bg around it keeps 3:1 whatever lies below. */
const HALO_WIDTH = 2.5;

/**
 * Where the segment (x0, y0) -> (x1, y1) leaves the rectangle, as the fraction t of its length
 * (1 when the end is inside). The start is assumed inside.
 */
function exitFraction(x0, y0, x1, y1, { left, top, right, bottom }) {
  let t = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  if (dx > 0 && x1 > right) t = Math.min(t, (right - x0) / dx);
  if (dx < 0 && x1 < left) t = Math.min(t, (left - x0) / dx);
  if (dy > 0 && y1 > bottom) t = Math.min(t, (bottom - y0) / dy);
  if (dy < 0 && y1 < top) t = Math.min(t, (top - y0) / dy);
  return Math.max(0, t);
}

/**
 * An arrow between data points: a shaft and a head drawn as one filled path (no <marker>, so no
 * id to keep unique), over a halo in the figure's background. Colour options as for curve();
 * `stroke: "firstOrder"` dashes the shaft.
 *
 * An arrow never leaves its plot: one whose tip lies outside is cut where it crosses the edge,
 * ends there in a flat bar instead of a head, and is labelled with its true length
 * (`lengthLabel(length)` in data units; default two decimals). It carries data-clipped="true".
 * Returns {node, set(x0, y0, x1, y1)}; an arrow shorter than its head shows only the shaft.
 */
export function arrow(plot, parent, { width = 2, halo = true, lengthLabel, ...options } = {}) {
  const style = styleOf({ series: 3, ...options });
  const g = tag(parent.append("g"), style)
    .attr("class", ["fig-arrow", style.className].filter(Boolean).join(" "));
  const haloShaft = halo ? g.append("line").attr("stroke-width", width + 2 * HALO_WIDTH)
    .attr("stroke-linecap", "round").style("stroke", "var(--fig-bg)") : null;
  const haloHead = halo ? g.append("path").attr("stroke-width", 2 * HALO_WIDTH)
    .attr("stroke-linejoin", "round").style("stroke", "var(--fig-bg)").style("fill", "var(--fig-bg)") : null;
  const shaft = g.append("line").attr("stroke-width", width).attr("stroke-dasharray", style.dash)
    .style("stroke", style.colour);
  const head = g.append("path").style("fill", style.colour);
  const label = g.append("text").attr("class", "fig-text fig-arrow-length").style("fill", style.colour)
    .style("paint-order", "stroke").style("stroke", "var(--fig-bg)").style("stroke-width", 3);
  const formatLength = lengthLabel ?? ((length) => length.toFixed(2));
  const lines = [shaft, haloShaft].filter(Boolean);
  const heads = [head, haloHead].filter(Boolean);
  return {
    node: g.node(),
    set(x0, y0, x1, y1) {
      const [px0, py0, pxEnd, pyEnd] = [plot.x(x0), plot.y(y0), plot.x(x1), plot.y(y1)];
      const t = exitFraction(px0, py0, pxEnd, pyEnd, plot.inner);
      const clipped = t < 1;
      const [px1, py1] = [px0 + t * (pxEnd - px0), py0 + t * (pyEnd - py0)];
      const length = Math.hypot(px1 - px0, py1 - py0);
      g.attr("data-from", `${x0},${y0}`).attr("data-to", `${x1},${y1}`).attr("data-clipped", clipped ? "true" : null);
      label.text(clipped ? formatLength(Math.hypot(x1 - x0, y1 - y0)) : "");
      if (length < HEAD_LENGTH) {
        lines.forEach((l) => l.attr("x1", fmt(px0)).attr("y1", fmt(py0)).attr("x2", fmt(px1)).attr("y2", fmt(py1)));
        heads.forEach((h) => h.attr("d", null));
        return;
      }
      const [ux, uy] = [(px1 - px0) / length, (py1 - py0) / length];
      const side = (bx, by, s, half) => `${fmt(bx - s * uy * half)},${fmt(by + s * ux * half)}`;
      let headPath;
      let shaftEnd;
      if (clipped) {
        // A flat bar across the shaft where it meets the edge: "this goes on".
        headPath = `M${side(px1, py1, 1, HEAD_HALF_WIDTH + 1)}L${side(px1, py1, -1, HEAD_HALF_WIDTH + 1)}`
          + `L${side(px1 - ux * 3, py1 - uy * 3, -1, HEAD_HALF_WIDTH + 1)}L${side(px1 - ux * 3, py1 - uy * 3, 1, HEAD_HALF_WIDTH + 1)}Z`;
        shaftEnd = [px1, py1];
        // The true length, just inside the edge, beside the bar.
        label.attr("x", fmt(px1 - ux * 8 - uy * 10)).attr("y", fmt(py1 - uy * 8 + ux * 10 + 4))
          .attr("text-anchor", ux > 0.3 ? "end" : ux < -0.3 ? "start" : "middle");
      } else {
        const [bx, by] = [px1 - ux * HEAD_LENGTH, py1 - uy * HEAD_LENGTH]; // base of the head
        headPath = `M${fmt(px1)},${fmt(py1)}L${side(bx, by, 1, HEAD_HALF_WIDTH)}L${side(bx, by, -1, HEAD_HALF_WIDTH)}Z`;
        shaftEnd = [bx, by];
      }
      lines.forEach((l) => l.attr("x1", fmt(px0)).attr("y1", fmt(py0)).attr("x2", fmt(shaftEnd[0])).attr("y2", fmt(shaftEnd[1])));
      heads.forEach((h) => h.attr("d", headPath));
    },
  };
}

/**
 * A figure's key, in HTML beside the plot (so it never covers data and its text is sized like
 * the page's): one item per entry, each a small swatch in the mark's own style and a label.
 * entries: [{label, method | role | series | color, stroke?, marker?: "line" | "dot" | "cross"}].
 * `parent` is an HTML element or a d3 selection of one. Returns the <ul> selection.
 */
export function key(parent, entries) {
  const list = select(parent.node ? parent.node() : parent).append("ul").attr("class", "fig-key");
  for (const entry of entries) {
    const style = styleOf(entry);
    const item = tag(list.append("li"), style);
    const swatch = item.append("svg").attr("width", 22).attr("height", 12).attr("viewBox", "0 0 22 12")
      .attr("aria-hidden", "true");
    if (entry.marker === "dot") {
      swatch.append("circle").attr("cx", 11).attr("cy", 6).attr("r", 4).style("fill", style.colour);
    } else if (entry.marker === "cross") {
      swatch.append("path").attr("d", "M7,2L15,10M15,2L7,10").attr("stroke-width", 2).style("stroke", style.colour)
        .style("fill", "none");
    } else {
      const width = STROKES[entry.stroke ?? (entry.dashed ? "dashed" : "exact")].width;
      swatch.append("line").attr("x1", 0).attr("x2", 22).attr("y1", 6).attr("y2", 6)
        .attr("stroke-width", width).attr("stroke-dasharray", style.dash)
        .attr("stroke-opacity", style.opacity === 1 ? null : style.opacity).style("stroke", style.colour);
    }
    item.append("span").text(entry.label);
  }
  return list;
}

/** Key entries for methods by name, labelled as the article names them. */
export function methodEntries(names, { long = false } = {}) {
  return names.map((name) => ({ method: name, label: long ? METHODS[name].long : METHODS[name].label }));
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
