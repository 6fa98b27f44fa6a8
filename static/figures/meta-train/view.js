// The drawing of the figure "Meta-train in your browser": two loss plots side by side (each
// method's own training loss, and every method's MSE on the same held-out tasks) and a table of
// readouts. Everything drawn is a number the worker's graphs returned; this module only lays out.

import { axes, createPlot, curve, dots, legend, seriesColor, title } from "../lib/plot.js";
import { formatNumber } from "../lib/readouts.js";

const PLOT = { width: 480, height: 290, margin: { top: 30, right: 14, bottom: 38, left: 46 } };
/** The axes a plot opens with, before any point: the picture and the first frame. */
const INITIAL_X = 1000;
const INITIAL_Y = 6;

/** Two plots side by side where there is room, one above the other on a narrow screen. */
export function plotRow(parent) {
  const row = document.createElement("div");
  Object.assign(row.style, { display: "flex", flexWrap: "wrap", gap: "0.8rem 1.2rem" });
  parent.append(row);
  return row;
}

/**
 * createLossPlot(parent, {heading, label, methods}) -> {update(seriesByName, markers)}
 *   A plot of one loss against the iteration, one curve per method (palette colour per method),
 *   with dots where `markers` is set (the held-out evaluations). The axes grow with the data.
 */
export function createLossPlot(parent, { heading, label, methods, markers = false }) {
  const holder = document.createElement("div");
  Object.assign(holder.style, { flex: "1 1 18rem", minWidth: "0" });
  parent.append(holder);
  const plot = createPlot({ ...PLOT, x: [0, INITIAL_X], y: [0, INITIAL_Y], label });
  holder.append(plot.svg);
  title(plot, heading);
  const drawAxes = () => {
    plot.root.selectAll(".fig-axes").remove();
    axes(plot, { xlabel: "meta-iteration", ylabel: "MSE", xticks: 4, yticks: 4 });
  };
  drawAxes();
  const layer = plot.layer("curves");
  const lines = new Map(methods.map((m) => [m.name, curve(layer, plot.x, plot.y, { series: m.series })]));
  const dotLayer = plot.layer("dots");
  legend(plot, methods.map((m) => ({ label: m.label, series: m.series })), { x: plot.inner.right - 150, y: plot.inner.top + 14 });
  let domain = `${INITIAL_X}|${INITIAL_Y}`;

  return {
    /** series: {name: [[iteration, value], …]} (every point so far, for the methods shown). */
    update(series) {
      const all = Object.values(series).flat();
      // Grow the axes to the data (d3's nice() rounds them), never below the opening ones.
      const xTop = Math.max(INITIAL_X, ...all.map(([x]) => x));
      const yTop = Math.max(1, ...all.map(([, y]) => y));
      plot.x.domain([0, xTop]).nice(4);
      plot.y.domain([0, yTop]).nice(4);
      const key = `${plot.x.domain()[1]}|${plot.y.domain()[1]}`;
      if (key !== domain) {
        domain = key;
        drawAxes();
      }
      dotLayer.selectAll("*").remove();
      for (const method of methods) {
        const points = series[method.name] ?? [];
        const xs = points.map(([x]) => x);
        const ys = points.map(([, y]) => y);
        lines.get(method.name).set(points.length ? xs : null, ys);
        if (markers && points.length) dots(dotLayer, xs, ys, plot.x, plot.y, { series: method.series, radius: 2.5 });
      }
    },
  };
}

const DASH = "–";
const COLUMNS = ["Method", "Meta-iterations", "Per second", "Training loss", "Held-out MSE, 0 → 1 step"];

/**
 * createReadoutTable(parent, {methods, caption}) -> {update(rows)}
 *   rows: {name: {iteration, rate, enabled, loading, loss, before, after}}: numbers as the worker sent
 *   them (null where there is none yet), printed with fixed digits.
 */
export function createReadoutTable(parent, { methods, caption }) {
  // Built from plain elements (no insertRow & co.): the build draws the picture with linkedom.
  const make = (tag, into, props = {}) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    into?.append(node);
    return node;
  };
  const table = make("table", null, { className: "figure-readout readout" });
  Object.assign(table.style, { width: "100%", margin: "0.6rem 0 0", fontSize: "0.85rem" });
  make("caption", table, { textContent: caption });
  const head = make("tr", make("thead", table));
  COLUMNS.forEach((text, i) => {
    const th = make("th", head, { textContent: text, className: i > 0 ? "num" : "" });
    th.setAttribute("scope", "col");
  });
  const body = make("tbody", table);
  const cells = new Map();
  for (const method of methods) {
    const row = make("tr", body);
    const name = make("th", row);
    name.setAttribute("scope", "row");
    const swatch = make("span", name);
    swatch.setAttribute("aria-hidden", "true");
    Object.assign(swatch.style, {
      display: "inline-block", width: "0.8em", height: "0.8em", marginRight: "0.45em",
      borderRadius: "2px", background: seriesColor(method.series), verticalAlign: "-0.05em",
    });
    name.append(method.label);
    cells.set(method.name, COLUMNS.slice(1).map(() => make("td", row, { className: "num" })));
  }
  // On a phone the five columns may not fit: the table scrolls sideways, by keyboard too.
  const scroller = make("div", parent);
  Object.assign(scroller.style, { overflowX: "auto" });
  scroller.setAttribute("tabindex", "0");
  scroller.setAttribute("role", "region");
  scroller.setAttribute("aria-label", "Readouts of the meta-training");
  scroller.append(table);

  const number = (value, digits) => (value === null || value === undefined ? DASH : formatNumber(value, digits));
  return {
    element: table,
    update(rows) {
      for (const method of methods) {
        const r = rows[method.name];
        const [iterations, rate, loss, heldout] = cells.get(method.name);
        iterations.textContent = String(r.iteration);
        rate.textContent = !r.enabled ? "off" : r.loading ? "loading" : number(r.rate, 0);
        loss.textContent = number(r.loss, 3);
        heldout.textContent = r.after === null ? DASH : `${number(r.before, 3)} → ${number(r.after, 3)}`;
      }
    },
  };
}
