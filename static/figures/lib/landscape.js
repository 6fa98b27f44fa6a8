// A loss landscape over a two-parameter plane: a colour map with contour lines, under the axes,
// markers, arrows and handles of an SVG plot (plot.js). All of it is SVG, drawn the same way in
// the page and in the build's static picture.
//
// The colour map blends two palette colours, --fig-contour-low and --fig-contour-high, by a
// per-grid-point weight t in [0, 1]: the high colour is laid over the low one through a mask
// whose alpha is t. The mask is a one-pixel-per-grid-value PNG (png.js), so the map follows dark
// mode through CSS alone and a picture stays a few kilobytes. Contours come from d3-contour.
//
// Values are drawn on a log scale, normalised to the map's own range, because losses on these
// toys span several orders of magnitude and the interesting structure is near the minimum.

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
 *   label (accessible name of the plot), xlabel = "a", ylabel = "b", title (drawn above the map)}
 *   landscape: {plot (plot.createPlot result), element (the wrapper <div>),
 *               draw({values, nx, ny}), marker(name, series | {method | role, faint}) -> {set(x, y, text),
 *               hide()}, destroy()}
 * The field's grid spans the plot's x and y domains with its first and last points on the edges.
 */
export function createLandscape(parent, options = {}) {
  const { width = 360, height = 330, margin = {}, x = [0, 1], y = [0, 1] } = options;
  const { label = "", xlabel = "a", ylabel = "b", title = "" } = options;
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
  axes(plot, { xlabel, ylabel, grid: false });
  if (title) drawTitle(plot, title);

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

  function draw({ values, nx, ny }) {
    const t = logNormalise(values);
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
    const levels = Array.from({ length: CONTOUR_LEVELS }, (_, k) => (k + 1) / (CONTOUR_LEVELS + 1));
    const rings = contours().size([nx, ny]).thresholds(levels)(t);
    const path = geoPath(toPlot).digits(1);
    contourPath.attr("d", rings.map((ring) => path(ring) ?? "").join(""));
  }

  const markers = plot.layer("markers");
  return {
    plot,
    element,
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
  row.className = "figure-landscapes";
  Object.assign(row.style, {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fit, minmax(min(100%, 15rem), 1fr))",
    gap: "0.8rem",
    alignItems: "start",
  });
  parent.append(row);
  return row;
}
