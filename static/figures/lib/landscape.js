// A loss landscape over a two-parameter plane: a colour map with contour lines, under the axes,
// markers, arrows and handles of an SVG plot (plot.js). All of it is SVG, drawn the same way in
// the page and in the build's static picture.
//
// The colour map blends two palette colours, --fig-contour-low and --fig-contour-high, by a
// per-grid-point weight t in [0, 1]: the high colour is laid over the low one through a mask
// whose alpha is t. The mask is a one-pixel-per-grid-value PNG (png.js), so the map follows dark
// mode through CSS alone and a picture stays a few kilobytes. Contours come from d3-contour.
//
// Values are drawn on a log scale, because losses on these toys span several orders of magnitude
// and the interesting structure is near the minimum. By default each map is normalised to its own
// range; a figure whose maps are compared with each other passes one logScale() to all of them
// (and can draw it with colourBar()), so that one colour means one value in every map.

import { contours } from "d3-contour";
import { geoPath, geoTransform } from "d3-geo";
import { colorOf } from "./palette.js";
import { axes, createPlot, fmt, seriesColor, title as drawTitle, uniqueId } from "./plot.js";
import { pngDataUrl } from "./png.js";

export const CONTOUR_LEVELS = 10;
/** Values below this fraction of the map's maximum are drawn as if equal to it (log of zero). */
const LOG_FLOOR = 1e-3;

/**
 * log(v + floor), rescaled to [0, 1] over the map: the quantity both colours and contour levels
 * are taken from. Returns a Float64Array the size of `values`.
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
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = (Math.log(Math.max(values[k], 0) + floor) - l0) / span;
  return out;
}

/**
 * A fixed log scale from `lo` to `hi` (both > 0), shared by maps and their colour bar:
 * {lo, hi, t(value) in [0, 1] (values outside clamp to the ends), value(t)}.
 */
export function logScale(lo, hi) {
  const l0 = Math.log(lo);
  const span = Math.log(hi) - l0 || 1;
  return {
    lo,
    hi,
    t: (v) => Math.min(1, Math.max(0, (Math.log(Math.max(v, lo)) - l0) / span)),
    value: (t) => Math.exp(l0 + t * span),
  };
}

/** The mask image: alpha = t, one pixel per grid value, image rows top-down (grid rows bottom-up). */
function weightImage(t, nx, ny) {
  const pixels = new Uint8Array(nx * ny * 2); // grey (unused) + alpha
  for (let j = 0; j < ny; j++) {
    const row = ny - 1 - j;
    for (let i = 0; i < nx; i++) pixels[2 * (row * nx + i) + 1] = Math.round(255 * t[j * nx + i]);
  }
  return pngDataUrl(pixels, nx, ny, 2);
}

/**
 * createLandscape(parent, options) -> landscape
 *   parent: an HTML element; options: {width = 360, height = 330, margin, x = [0, 1], y = [0, 1],
 *   label (accessible name of the plot), xlabel = "a", ylabel = "b", title (drawn above the map),
 *   ticks = 5 (tick count or values on both axes)}
 *   landscape: {plot (plot.createPlot result), element (the wrapper <div>), heading (the title),
 *               draw({values, nx, ny, scale, levels}), marker(name, series | {method | role, faint}) ->
 *               {set(x, y, text), hide()}, destroy()}
 * The field's grid spans the plot's x and y domains with its first and last points on the edges.
 */
export function createLandscape(parent, options = {}) {
  const { width = 360, height = 330, margin = {}, x = [0, 1], y = [0, 1] } = options;
  const { label = "", xlabel = "a", ylabel = "b", title = "", ticks = 5 } = options;
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
  element.append(plot.svg);
  parent.append(element);
  axes(plot, { xlabel, ylabel, grid: false, xticks: ticks, yticks: ticks });
  const heading = title ? drawTitle(plot, title) : null;

  // The map and its contours, clipped to the plot area by a nested <svg>.
  const { left, top, width: w, height: h } = plot.inner;
  const map = plot.layer("map").attr("aria-hidden", "true").append("svg")
    .attr("x", left).attr("y", top).attr("width", w).attr("height", h)
    .attr("viewBox", `${left} ${top} ${w} ${h}`).attr("overflow", "hidden");
  const maskId = uniqueId("map");
  const mask = map.append("defs").append("mask").attr("id", maskId).attr("maskUnits", "userSpaceOnUse")
    .attr("x", left).attr("y", top).attr("width", w).attr("height", h).style("mask-type", "alpha");
  const weights = mask.append("image").attr("preserveAspectRatio", "none");
  const area = (fill) => map.append("rect").attr("x", left).attr("y", top).attr("width", w).attr("height", h)
    .style("fill", fill);
  area("var(--fig-contour-low)");
  area("var(--fig-contour-high)").attr("mask", `url(#${maskId})`);
  const contourPath = map.append("path").attr("class", "fig-contours").attr("fill", "none")
    .attr("stroke-width", 1).style("stroke", "var(--fig-axis)").style("stroke-opacity", 0.55);

  /**
   * Paint a grid of values; `scale` (a logScale) fixes the colours, else the map's own range does.
   * `levels` contour lines are spread evenly over the colour ramp.
   */
  function draw({ values, nx, ny, scale = null, levels: count = CONTOUR_LEVELS }) {
    const t = scale ? Float64Array.from(values, scale.t) : logNormalise(values);
    // Grid points lie on the plot's edges, pixel centres half a cell inside: the image is drawn
    // half a cell larger on every side so that each value sits at its own (a, b).
    const cw = w / (nx - 1);
    const ch = h / (ny - 1);
    weights.attr("href", weightImage(t, nx, ny))
      .attr("x", fmt(left - cw / 2)).attr("y", fmt(top - ch / 2))
      .attr("width", fmt(w + cw)).attr("height", fmt(h + ch));
    // d3-contour puts grid value (i, j) at (i + 0.5, j + 0.5); map that back to (a, b).
    const [a0, a1] = plot.x.domain();
    const [b0, b1] = plot.y.domain();
    const toPlot = geoTransform({
      point(gx, gy) {
        this.stream.point(plot.x(a0 + ((gx - 0.5) * (a1 - a0)) / (nx - 1)), plot.y(b0 + ((gy - 0.5) * (b1 - b0)) / (ny - 1)));
      },
    });
    const levels = Array.from({ length: count }, (_, k) => (k + 1) / (count + 1));
    const rings = contours().size([nx, ny]).thresholds(levels)(t);
    const path = geoPath(toPlot).digits(1);
    contourPath.attr("d", rings.map((ring) => path(ring) ?? "").join(""));
  }

  const markers = plot.layer("markers");
  return {
    plot,
    element,
    heading, // the title's <text> selection (null without a title), for figures that retitle a map
    draw,
    /**
     * A cross marking a point (a minimum), with an accessible title, coloured by palette series
     * number, or by palette name ({method: "imaml"} or {role: "taskMinimum"}, tagged as such);
     * `faint: true` draws it at half opacity, for a reference point (a ghost of another map's).
     */
    marker(name, series = 2) {
      const named = typeof series === "object" ? series : {};
      const colour = named.method || named.role ? colorOf(named.method ?? named.role) : seriesColor(series);
      const g = markers.append("g").attr("class", "fig-marker").attr("data-marker", name).attr("visibility", "hidden")
        .attr("data-method", named.method ?? null).attr("data-role", named.role ?? null).style("fill", "none")
        .attr("opacity", named.faint ? 0.5 : null);
      const titleNode = g.append("title").text(name);
      const arms = "M-6 -6L6 6M-6 6L6 -6";
      g.append("path").attr("d", arms).attr("stroke-width", 5).style("stroke", "var(--fig-bg)").attr("stroke-linecap", "round");
      g.append("path").attr("d", arms).attr("stroke-width", 2.5).style("stroke", colour).attr("stroke-linecap", "round");
      return {
        element: g.node(),
        set(px, py, text = name) {
          g.attr("transform", `translate(${fmt(plot.x(px))} ${fmt(plot.y(py))})`).attr("visibility", "visible");
          titleNode.text(text);
        },
        hide() {
          g.attr("visibility", "hidden");
        },
      };
    },
    destroy() {
      element.remove();
    },
  };
}

/** Lay landscapes out side by side (wrapping on narrow screens); returns the container <div>. */
export function landscapeRow(parent) {
  const row = document.createElement("div");
  row.className = "figure-landscapes"; // laid out by static/css/figures/landscapes.css
  parent.append(row);
  return row;
}

/**
 * colourBar(parent, {scale, width = 360, label, ticks}) -> {element, plot, mark(name, style) -> {set(value)}}
 *   A horizontal bar of the maps' colour ramp under a shared logScale, ticked at `ticks` (default:
 *   the powers of ten inside the scale) and titled `label`. mark() adds a small triangle above
 *   the bar at a value (a minimum's), coloured like a marker (series number or {method | role}).
 */
export function colourBar(parent, { scale, width = 360, label = "", ticks } = {}) {
  const plot = createPlot({
    width,
    height: 58,
    margin: { top: 12, right: 10, bottom: 32, left: 44 },
    x: [0, 1],
    y: [0, 1],
    label,
    role: "img",
  });
  const element = document.createElement("div");
  element.className = "figure-colour-bar";
  element.append(plot.svg);
  parent.append(element);
  const { left, top, width: w, height: h } = plot.inner;
  const gradientId = uniqueId("ramp");
  const gradient = plot.root.append("defs").append("linearGradient").attr("id", gradientId);
  gradient.append("stop").attr("offset", 0).style("stop-color", "var(--fig-contour-low)");
  gradient.append("stop").attr("offset", 1).style("stop-color", "var(--fig-contour-high)");
  plot.layer("bar").append("rect").attr("x", left).attr("y", top).attr("width", w).attr("height", h)
    .style("fill", `url(#${gradientId})`).style("stroke", "var(--fig-axis)").attr("stroke-width", 1);
  const decades = [];
  for (let e = Math.ceil(Math.log10(scale.lo) - 1e-9); 10 ** e <= scale.hi * (1 + 1e-9); e++) decades.push(10 ** e);
  const values = ticks ?? decades;
  const axis = plot.layer("ticks").attr("class", "fig-text").attr("aria-hidden", "true");
  for (const v of values) {
    const x = left + scale.t(v) * w;
    axis.append("line").attr("x1", fmt(x)).attr("x2", fmt(x)).attr("y1", top + h).attr("y2", top + h + 4)
      .style("stroke", "var(--fig-axis)");
    axis.append("text").attr("x", fmt(x)).attr("y", top + h + 16).attr("text-anchor", "middle")
      .style("fill", "var(--fig-axis)").text(String(Number(v.toPrecision(2))));
  }
  if (label) {
    axis.append("text").attr("x", left + w / 2).attr("y", plot.height - 2).attr("text-anchor", "middle")
      .style("fill", "var(--fig-axis)").text(label);
  }
  const marks = plot.layer("marks");
  return {
    element,
    plot,
    mark(name, style = 1) {
      const named = typeof style === "object" ? style : {};
      const colour = named.method || named.role ? colorOf(named.method ?? named.role) : seriesColor(style);
      const g = marks.append("g").attr("data-marker", name).attr("data-method", named.method ?? null)
        .attr("data-role", named.role ?? null).attr("opacity", named.faint ? 0.5 : null).attr("visibility", "hidden");
      const titleNode = g.append("title").text(name);
      for (const [stroke, width] of [["var(--fig-bg)", 5], [colour, 2]]) {
        g.append("line").attr("y1", top).attr("y2", top + h).attr("stroke-width", width).style("stroke", stroke);
      }
      g.append("path").attr("d", `M0,${top}L-5,${top - 10}L5,${top - 10}Z`).attr("stroke-width", 1.5)
        .style("fill", colour).style("stroke", "var(--fig-bg)");
      return {
        set(value, text = name) {
          g.attr("transform", `translate(${fmt(left + scale.t(value) * w)} 0)`).attr("visibility", "visible");
          titleNode.text(text);
        },
      };
    },
  };
}
