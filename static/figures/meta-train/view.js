// The drawing of the figure "Meta-train in your browser": two loss plots side by side (each
// method's own training loss, and every method's MSE on the same held-out tasks), one key in HTML
// under them, and a table of readouts. Everything drawn is a number the worker's graphs returned,
// or the recorded run of the same graphs (models/meta_train_recording.json), drawn faint; this
// module only lays out.

import { axes, createPlot, curve, dots, key, title } from "../lib/plot.js";
import { METHODS } from "../lib/palette.js";
import { formatNumber } from "../lib/readouts.js";

const PLOT = { width: 420, height: 280, margin: { top: 28, right: 22, bottom: 38, left: 42 } };
/** The smallest axes a plot shows (before any point, and when there is no recorded run). */
const INITIAL_X = { iteration: 1000, seconds: 10 };
const INITIAL_Y = 6;

/** The x axes a reader can choose: meta-iterations, or each method's own training time. */
export const X_AXES = {
  iteration: { label: "meta-iteration", name: "meta-iterations" },
  seconds: { label: "training time, s (each method's own)", name: "training time" },
};

/** The two plots, side by side where there is room (meta-train.css), and their shared key. */
export function plotRow(parent) {
  const row = document.createElement("div");
  row.className = "meta-train-plots";
  const keyHolder = document.createElement("div");
  keyHolder.className = "meta-train-key";
  parent.append(row, keyHolder);
  return { row, keyHolder };
}

/**
 * The shared key: one entry per method shown, and the recorded run's faint line when drawn.
 * Redrawn only when what it lists changes.
 */
export function createKey(holder) {
  let shown = "";
  return {
    update(methods, { recorded }) {
      const entries = methods.map((m) => ({ method: m.name, label: m.label }));
      if (recorded) entries.push({ color: "var(--fig-fg)", stroke: "reference", label: "faint: the recorded run" });
      const id = JSON.stringify(entries.map((e) => e.label));
      if (id === shown) return;
      shown = id;
      holder.replaceChildren();
      key(holder, entries);
    },
  };
}

/**
 * createLossPlot(parent, {heading, label, methods, markers}) -> {update(live, recorded, axis)}
 *   A plot of one loss against the iteration or the training time, one curve per method in its
 *   palette colour, with dots where `markers` is set (the held-out evaluations), over the
 *   recorded run's curves (faint). The axes grow with the data.
 */
export function createLossPlot(parent, { heading, label, methods, markers = false }) {
  const holder = document.createElement("div");
  holder.className = "meta-train-plot";
  parent.append(holder);
  const plot = createPlot({ ...PLOT, x: [0, INITIAL_X.iteration], y: [0, INITIAL_Y], label });
  holder.append(plot.svg);
  title(plot, heading);
  let axisShown = "";
  const drawAxes = (axis) => {
    plot.root.selectAll(".fig-axes").remove();
    axes(plot, { xlabel: X_AXES[axis].label, ylabel: "MSE", xticks: 4, yticks: 4 });
  };
  const recordedLayer = plot.layer("recorded");
  const recordedLines = new Map(methods.map((m) => [m.name, curve(recordedLayer, plot.x, plot.y, { method: m.name, stroke: "reference" })]));
  const layer = plot.layer("curves");
  const lines = new Map(methods.map((m) => [m.name, curve(layer, plot.x, plot.y, { method: m.name, stroke: "exact", width: 2 })]));
  const dotLayer = plot.layer("dots");

  return {
    /**
     * live / recorded: {name: [[x, y], …]} for the methods shown (every live point so far, and
     * the recording's, already on the chosen axis); axis: a key of X_AXES.
     */
    update(live, recorded, axis) {
      const all = [...Object.values(live).flat(), ...Object.values(recorded).flat()];
      // Grow the axes to the data (d3's nice() rounds them), never below the opening ones.
      const xTop = Math.max(INITIAL_X[axis], ...all.map(([x]) => x));
      const yTop = Math.max(1, ...all.map(([, y]) => y));
      plot.x.domain([0, xTop]).nice(4);
      plot.y.domain([0, yTop]).nice(4);
      const id = `${axis}|${plot.x.domain()[1]}|${plot.y.domain()[1]}`;
      if (id !== axisShown) {
        axisShown = id;
        drawAxes(axis);
      }
      const set = (mark, points) => mark.set(points?.length ? points.map(([x]) => x) : null, points?.map(([, y]) => y));
      dotLayer.selectAll("*").remove();
      for (const method of methods) {
        set(recordedLines.get(method.name), recorded[method.name]);
        const points = live[method.name] ?? [];
        set(lines.get(method.name), points);
        if (markers && points.length) {
          dots(dotLayer, points.map(([x]) => x), points.map(([, y]) => y), plot.x, plot.y, { method: method.name, radius: 2.5 });
        }
      }
    },
  };
}

const DASH = "–";
const COLUMNS = ["Method", "Meta-iterations", "Per second", "Training loss", "Held-out MSE, 0 → 1 step"];

/**
 * createReadoutTable(parent, {methods, caption, note}) -> {update(rows)}
 *   rows: {name: {iteration, rate, enabled, loading, loss, before, after}}: numbers as the worker sent
 *   them (null where there is none yet), printed with fixed digits. `note` explains the columns in
 *   a paragraph under the table, which wraps on a phone where the table scrolls sideways.
 */
export function createReadoutTable(parent, { methods, caption, note }) {
  // Built from plain elements (no insertRow & co.): the build draws the picture with linkedom.
  const make = (tag, into, props = {}) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    into?.append(node);
    return node;
  };
  const table = make("table", null, { className: "figure-readout readout meta-train-table" });
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
    const swatch = make("span", name, { className: "meta-train-swatch" });
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.background = METHODS[method.name].color;
    name.append(method.label);
    cells.set(method.name, COLUMNS.slice(1).map(() => make("td", row, { className: "num" })));
  }
  // On a phone the five columns may not fit: the table scrolls sideways, by keyboard too.
  const scroller = make("div", parent, { className: "table-wrap meta-train-scroller" });
  scroller.setAttribute("tabindex", "0");
  scroller.setAttribute("role", "region");
  scroller.setAttribute("aria-label", "Readouts of the meta-training");
  scroller.append(table);
  make("p", parent, { className: "meta-train-note", textContent: note });

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
