// Figure "meta-gradient-cost": the measured cost of one meta-iteration of the sinusoid network
// against the number of inner steps k, for MAML (second order), first-order MAML, Reptile and
// iMAML, on log-log axes.
//
// The numbers are measurements, not a computation: `article cost` (trainers/cost.py) wrote them
// into models/manifest.json under measurements.cost, with the machine they were measured on, and
// this figure draws them exactly as stored (medians, and for time the quartiles as whiskers), one
// point per measured k, joined by straight segments. Nothing is fitted or smoothed. A value that
// a log axis cannot show (zero) is left out of the plot and named in the readout.
//
// Controls: a select for the quantity (time; peak tensor memory; peak resident memory) and one
// checkbox per method. Each quantity has one y scale for all methods, so switching methods on and
// off never moves the others' points.
//
// Log scales: lib/plot.js's createPlot makes linear scales; this module replaces them with
// d3-scale's scaleLog (same ranges) and reuses plot.js's axes, curves, dots and key. Each method
// has its palette colour; first-order MAML's line is dashed, as first-order things are everywhere.
//
// The table lists k down and the methods across, with two decimals throughout, so that it fits a
// phone's column (five k, four methods).
//
// params: {methods = ["maml", "fomaml", "reptile", "imaml"] (drawn, in this order),
//          shown = all of them (checked at first), quantity = "time" | "tensors" | "rss"}
//
// mount() and picture() are one function: the static picture is the first frame without controls.

import { scaleLog } from "d3-scale";
import { checkbox, controlRow, select, statusLine } from "./lib/controls.js";
import { METHODS as PALETTE } from "./lib/palette.js";
import { axes, createPlot, curve, dots, fmt, key } from "./lib/plot.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { methods: ["maml", "fomaml", "reptile", "imaml"], shown: null, quantity: "time" };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const METHODS = {
  maml: { name: PALETTE.maml.label, stroke: "exact" },
  fomaml: { name: PALETTE.fomaml.label, stroke: "firstOrder" },
  reptile: { name: PALETTE.reptile.label, stroke: "exact" },
  imaml: { name: PALETTE.imaml.label, stroke: "exact" },
};
const QUANTITIES = {
  time: { label: "Time per meta-iteration", axis: "time (ms)", unit: "ms", read: (at) => at.time_ms.median, spread: (at) => [at.time_ms.q1, at.time_ms.q3] },
  tensors: { label: "Peak tensor memory", axis: "tensor memory (MiB)", unit: "MiB", read: (at) => at.memory_mib.tensors, spread: null },
  rss: { label: "Peak resident memory", axis: "resident memory (MiB)", unit: "MiB", read: (at) => at.memory_mib.rss, spread: null },
};
const WIDTH = 520;
const HEIGHT = 320;
/** Every number of the table, in one format. */
const two = (value) => Number(value).toFixed(2);

/** The measurements as stored: per method, per k of the protocol, the entry of that k. */
function readCost(manifest) {
  const cost = manifest.measurements?.cost;
  if (!cost?.methods || !cost.protocol?.inner_steps) {
    throw new Error("models/manifest.json has no measurements.cost (run `article cost`, then `article export`)");
  }
  return cost;
}

/** One quantity's points for a method: [{k, value, low, high}], in the protocol's k order. */
function series(cost, method, quantity) {
  const steps = cost.methods[method]?.steps ?? {};
  return cost.protocol.inner_steps
    .filter((k) => steps[String(k)])
    .map((k) => {
      const at = steps[String(k)];
      const [low, high] = quantity.spread ? quantity.spread(at) : [null, null];
      return { k, value: quantity.read(at), low, high };
    });
}

/** Tick labels as plain numbers: d3's default log format is SI ("500m" for 0.5). */
const plainNumber = (v) => String(Number(v.toPrecision(v >= 1 ? 6 : 2)));

/** A log scale with plain tick labels (d3-axis asks the scale for its tick format). */
function logScale(domain, range) {
  const scale = scaleLog(domain, range);
  scale.tickFormat = () => plainNumber;
  return scale;
}

/** [lo, hi] of the positive values, widened by `pad` on a log scale so no point sits on the frame. */
function paddedDomain(values, pad = 1.25) {
  const positive = values.filter((v) => v > 0);
  if (!positive.length) return [1, 10];
  return [Math.min(...positive) / pad, Math.max(...positive) * pad];
}

/** Log-axis ticks at 1, 2 and 5 times the powers of ten inside [lo, hi]. */
function ticks125(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(1));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** A one-line description of the machine and the load while it measured, from the same file. */
function machineText(cost) {
  const m = cost.machine ?? {};
  const load = (l) => (Array.isArray(l) ? l[0] : "?");
  const threads = m.threads === 1 ? "1 thread" : `${m.threads} threads`;
  return (
    `Measured ${m.date ?? ""} on ${m.cpu ?? "an unknown CPU"} (${m.cores ?? "?"} cores, ${threads}), ` +
    `torch ${m.torch ?? "?"}, ${cost.protocol.mode ?? ""}; load average ${load(m.load_average_before)} before, ` +
    `${load(m.load_average_after)} after. ${cost.protocol.tasks} tasks, K = ${cost.protocol.support} support and ` +
    `${cost.protocol.query} query points; time: median of ${cost.protocol.repeats} runs, whiskers from the first to the third quartile.`
  );
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const cost = readCost(await runtime.manifest());
  const methods = settings.methods.filter((m) => METHODS[m] && cost.methods[m]);
  const state = {
    quantity: QUANTITIES[settings.quantity] ? settings.quantity : "time",
    shown: new Set(settings.shown ?? methods),
  };
  const steps = cost.protocol.inner_steps;

  element.replaceChildren();
  const keyBox = document.createElement("div");
  keyBox.className = "figure-cost-key";
  element.append(keyBox);
  const plot = createPlot({
    width: WIDTH,
    height: HEIGHT,
    margin: { top: 14, right: 16, bottom: 42, left: 56 },
    label: "Measured cost of one meta-iteration against the number of inner steps k, log axes",
  });
  element.append(plot.svg);
  plot.x = logScale(paddedDomain(steps, 1.2), [plot.inner.left, plot.inner.right]);
  const marks = plot.layer("marks");
  const labels = plot.layer("labels");

  const controls = interactive ? controlRow(element) : null;
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });
  const machine = document.createElement("p");
  machine.className = "figure-readout figure-machine";
  machine.textContent = machineText(cost);
  const table = document.createElement("table");
  table.className = "readout figure-cost-table";
  // On a phone the table is wider than the column: it scrolls inside a focusable region, so that
  // the keyboard can scroll it too, instead of making the page scroll sideways.
  const tableBox = document.createElement("div");
  tableBox.className = "figure-cost-numbers";
  for (const [name, value] of Object.entries({ tabindex: "0", role: "region", "aria-label": "Measured numbers of the cost plot" })) {
    tableBox.setAttribute(name, value);
  }
  tableBox.append(table);
  element.append(tableBox, machine);

  // One y scale per quantity, over every method and k, so that toggling methods moves nothing.
  const scales = Object.fromEntries(Object.entries(QUANTITIES).map(([key, quantity]) => {
    const values = methods.flatMap((m) => series(cost, m, quantity).flatMap((p) => [p.value, p.low, p.high]));
    return [key, logScale(paddedDomain(values), [plot.inner.bottom, plot.inner.top])];
  }));

  /** Redraw axes, marks and numbers for the current quantity and methods (no graph involved). */
  function draw() {
    const quantity = QUANTITIES[state.quantity];
    plot.y = scales[state.quantity];
    plot.root.selectAll(".fig-axes").remove(); // axes() draws a new frame and ticks behind the rest
    const [y0, y1] = plot.y.domain();
    axes(plot, { xlabel: "inner steps k (log scale)", ylabel: quantity.axis, xticks: steps, yticks: ticks125(y0, y1) });
    marks.selectAll("*").remove();
    labels.selectAll("*").remove();
    const skipped = [];
    for (const method of methods) {
      if (!state.shown.has(method)) continue;
      const { stroke } = METHODS[method];
      const points = series(cost, method, quantity);
      const group = marks.append("g").attr("data-method", method);
      for (const p of points) {
        if (!(p.value > 0)) skipped.push(`${METHODS[method].name} at k = ${p.k} (${p.value} ${quantity.unit})`);
      }
      // Straight segments between measured points; a point a log axis cannot show breaks the line.
      let run = [];
      const flush = () => {
        if (run.length > 1) curve(group, plot.x, plot.y, { method, stroke }).set(run.map((p) => p.k), run.map((p) => p.value));
        run = [];
      };
      for (const p of points) {
        if (p.value > 0) run.push(p);
        else flush();
      }
      flush();
      const drawn = points.filter((p) => p.value > 0);
      if (quantity.spread) {
        const whiskers = group.append("g").attr("data-whiskers", method).style("stroke", PALETTE[method].color);
        for (const p of drawn.filter((q) => q.low > 0 && q.high > 0)) {
          whiskers.append("line").attr("x1", fmt(plot.x(p.k))).attr("x2", fmt(plot.x(p.k)))
            .attr("y1", fmt(plot.y(p.low))).attr("y2", fmt(plot.y(p.high))).attr("stroke-width", 1.5);
        }
      }
      dots(group, drawn.map((p) => p.k), drawn.map((p) => p.value), plot.x, plot.y, { method, radius: 3.5 })
        .attr("data-points", method);
    }
    keyBox.replaceChildren();
    key(keyBox, methods.filter((m) => state.shown.has(m)).map((m) => ({ method: m, stroke: METHODS[m].stroke, label: METHODS[m].name })));
    drawTable(quantity);
    const visible = methods.filter((m) => state.shown.has(m)).map((m) => METHODS[m].name);
    readout.set(
      `${quantity.label} (${quantity.unit}) against k = ${steps.join(", ")}, both axes logarithmic; ` +
        (visible.length ? `shown: ${visible.join(", ")}.` : "no method shown.") +
        (skipped.length ? ` Not drawn (zero on a log axis): ${skipped.join("; ")}.` : ""),
    );
    element.dataset.quantity = state.quantity;
  }

  /** The numbers behind the points, k down and the shown methods across, two decimals (plain
   *  DOM calls: the build's linkedom has no table helpers such as insertRow). */
  function drawTable(quantity) {
    const make = (tag, parent, text, className) => {
      const node = document.createElement(tag);
      if (text !== undefined) node.textContent = text;
      if (className) node.className = className;
      parent.append(node);
      return node;
    };
    const shown = methods.filter((m) => state.shown.has(m));
    table.replaceChildren();
    make("caption", table, `${quantity.label}, ${quantity.unit}${quantity.spread ? " (median; first and third quartile below)" : ""}`);
    const head = make("tr", make("thead", table));
    make("th", head, "k").setAttribute("scope", "col");
    for (const method of shown) {
      const th = make("th", head, METHODS[method].name, "numeric");
      th.setAttribute("scope", "col");
      th.dataset.method = method;
    }
    const body = make("tbody", table);
    const byMethod = new Map(shown.map((m) => [m, new Map(series(cost, m, quantity).map((p) => [p.k, p]))]));
    for (const k of steps) {
      const row = make("tr", body);
      row.dataset.k = String(k);
      make("th", row, String(k)).setAttribute("scope", "row");
      for (const method of shown) {
        const p = byMethod.get(method).get(k);
        const td = make("td", row, undefined, "numeric");
        td.dataset.method = method;
        make("span", td, p ? two(p.value) : "–", "figure-cost-value");
        // The quartiles on a line of their own, smaller, so that the columns stay narrow.
        if (p && quantity.spread) make("span", td, `${two(p.low)}–${two(p.high)}`, "figure-cost-spread");
      }
    }
  }

  if (interactive) {
    select(controls, {
      label: "Show",
      options: Object.entries(QUANTITIES).map(([value, q]) => ({ value, label: q.label })),
      value: state.quantity,
      onChange: (value) => {
        state.quantity = value;
        draw();
      },
    });
    for (const method of methods) {
      checkbox(controls, {
        label: METHODS[method].name,
        checked: state.shown.has(method),
        onChange: (on) => {
          if (on) state.shown.add(method);
          else state.shown.delete(method);
          draw();
        },
      });
    }
  }
  draw();
  if (!interactive) return null;

  const api = {
    /** For tests and benchmarks: what is plotted, where, and on which scales. */
    inspect: () => {
      const quantity = QUANTITIES[state.quantity];
      return {
        quantity: state.quantity,
        shown: methods.filter((m) => state.shown.has(m)),
        inner: plot.inner,
        xDomain: plot.x.domain(),
        yDomain: plot.y.domain(),
        points: Object.fromEntries(methods.filter((m) => state.shown.has(m)).map((m) => [m,
          [...plot.root.selectAll(`[data-points="${m}"] circle`).nodes()].map((c, i) => ({
            ...series(cost, m, quantity).filter((p) => p.value > 0)[i],
            cx: Number(c.getAttribute("cx")),
            cy: Number(c.getAttribute("cy")),
          }))])),
        machine: machine.textContent,
        readout: readout.text,
      };
    },
    idle: () => Promise.resolve(),
    destroy: () => element.replaceChildren(),
  };
  element.figureTest = api;
  return api;
}
