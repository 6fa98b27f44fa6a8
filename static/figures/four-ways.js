// Figure "four-ways": one meta-update from the same theta by MAML, first-order MAML, Reptile and
// iMAML, on the mean loss of the four line-fitting tasks of the `comparison` data set.
//
// The map is the tasks' mean train loss (line_mean_landscape, computed once at mount). The reader
// drags theta, or moves it with the arrow keys. Each method has its own switch and settings, and
// its own graph (line_compare_<method>), which returns the update from theta for every value of
// the method's row setting at once: k = 1..5 inner steps for MAML, first-order MAML and Reptile,
// 1..5 conjugate-gradient iterations for iMAML. A row slider therefore only picks a row; the
// other settings (theta, alpha, epsilon, lambda, damping, beta) rerun the graph. For each method
// switched on, an arrow runs from theta to theta + update, and a readout prints the update, its
// length and its direction: all three are graph outputs, drawn and printed as they come.
//
// MAML, first-order MAML and iMAML step by -beta times their meta-gradient (beta shared, so
// their arrows compare by length); Reptile moves by epsilon times the way to the mean adapted
// parameters.
//
// params: {dataset = "comparison", grid = 41, theta = [0.8, 0.8], outer_step_size = 1 (beta),
//          key_step = 0.01, maml: {enabled, steps, step_size}, fomaml: {enabled, steps, step_size},
//          reptile: {enabled, steps, step_size, interpolation_rate}, imaml: {enabled, lam, cg_steps, damping}}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestPerKey } from "./lib/latest.js";
import { checkbox, controlRow, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { arrow, legend, seriesColor } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";

const DEFAULTS = {
  dataset: "comparison",
  grid: 41,
  theta: [0.8, 0.8],
  outer_step_size: 1.0,
  key_step: 0.01,
  maml: { enabled: true, steps: 2, step_size: 0.25 },
  fomaml: { enabled: true, steps: 2, step_size: 0.25 },
  reptile: { enabled: true, steps: 3, step_size: 0.25, interpolation_rate: 0.5 },
  imaml: { enabled: true, lam: 1, cg_steps: 2, damping: 0.1 },
};
// iMAML's lambda spans two orders of magnitude: its slider walks this list (a lookup, no maths).
const LAMBDAS = [0.25, 0.5, 1, 2, 4, 8, 16];
const ROWS = 5; // rows of every graph: k = 1..5, or CG iterations 1..5
const ALPHA = { min: 0.05, max: 1.5, step: 0.05 };
const BETA = { min: 0.1, max: 2, step: 0.1 };

const f2 = (v) => v.toFixed(2);

/**
 * The four methods: their graph, colour and settings. A setting with `row` picks the graph's
 * output row (value - 1); any other setting is a graph input of the same name (`values`: the
 * slider's positions, when they are not evenly spaced).
 */
const METHODS = [
  {
    key: "maml",
    name: "MAML",
    graph: "line_compare_maml",
    series: 2,
    beta: true,
    settings: [
      { key: "steps", label: "Inner steps k", symbol: "k", min: 1, max: ROWS, step: 1, row: true, format: String },
      { key: "step_size", label: "Step size α", symbol: "α", ...ALPHA, format: f2 },
    ],
  },
  {
    key: "fomaml",
    name: "First-order MAML",
    graph: "line_compare_fomaml",
    series: 3,
    beta: true,
    settings: [
      { key: "steps", label: "Inner steps k", symbol: "k", min: 1, max: ROWS, step: 1, row: true, format: String },
      { key: "step_size", label: "Step size α", symbol: "α", ...ALPHA, format: f2 },
    ],
  },
  {
    key: "reptile",
    name: "Reptile",
    graph: "line_compare_reptile",
    series: 4,
    beta: false,
    settings: [
      { key: "steps", label: "Inner steps k", symbol: "k", min: 1, max: ROWS, step: 1, row: true, format: String },
      { key: "step_size", label: "Step size α", symbol: "α", ...ALPHA, format: f2 },
      { key: "interpolation_rate", label: "Interpolation ε", symbol: "ε", min: 0.05, max: 1, step: 0.05, format: f2 },
    ],
  },
  {
    key: "imaml",
    name: "iMAML",
    graph: "line_compare_imaml",
    series: 5,
    beta: true,
    settings: [
      { key: "lam", label: "Proximal strength λ", symbol: "λ", values: LAMBDAS, format: String },
      { key: "cg_steps", label: "CG steps", symbol: "CG steps", min: 1, max: ROWS, step: 1, row: true, format: String },
      { key: "damping", label: "Damping δ", symbol: "δ", min: 0, max: 1, step: 0.05, format: f2 },
    ],
  },
];

/** The tasks' mean train loss on the grid, as one Float32Array (n²). */
async function meanLandscape(runtime, session, dataset, n) {
  const inputs = { grid: runtime.tensor(planeGrid(dataset.plane, n), [n * n, 2]), ...sampleTensors(runtime, dataset, "train") };
  try {
    return (await runtime.run(session, inputs)).loss;
  } finally {
    disposeAll(inputs);
  }
}

/** A method's block beside the map: its colour, switch, sliders (page only) and readout. */
function methodPanel(parent, method, interactive) {
  const block = document.createElement("div");
  block.className = `figure-method figure-method-${method.key}`;
  Object.assign(block.style, { borderLeft: `4px solid ${seriesColor(method.series)}`, paddingLeft: "0.6rem", margin: "0 0 0.6rem" });
  parent.append(block);
  const row = interactive ? controlRow(block) : null;
  if (row) row.style.margin = "0.2rem 0";
  const readout = statusLine(block, { className: "figure-status figure-readout", live: interactive });
  readout.element.setAttribute("data-method", method.key);
  return { block, row, readout };
}

/** The text a method's readout shows: its settings, then the update as the graph computed it. */
function readoutText(method, shown) {
  if (!shown.on) return `${method.name}: switched off.`;
  const settings = method.settings.map((s) => `${s.symbol} = ${s.format(shown.values[s.key])}`);
  if (method.beta) settings.push(`β = ${f2(shown.beta)}`);
  const { update, length, direction, cgIterations } = shown;
  // iMAML's CG stops early once its residual is small: say how many iterations it really took
  // (the graph's mean over the tasks).
  const cg = cgIterations === undefined ? "" : ` CG iterations taken, mean over the tasks: ${formatNumber(cgIterations, 2)}.`;
  return (
    `${method.name} (${settings.join(", ")}): update (${formatNumber(update[0])}, ${formatNumber(update[1])}), ` +
    `length ${formatNumber(length)}, direction ${formatNumber(direction, 1)}°.` + cg
  );
}

/** The static picture: the figure's first frame, drawn by the same code as the page's. */
export async function picture(element, params, runtime) {
  await build(element, params, runtime, { interactive: false });
}

export async function mount(element, params, runtime) {
  return build(element, params, runtime, { interactive: true });
}

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const started = performance.now();
  const timed = (promise) => promise.then((value) => [value, performance.now() - started]);
  const [[dataset], [landscapeSession], ...sessionsTimed] = await Promise.all([
    timed(lineDataset(runtime, settings.dataset)),
    timed(runtime.session("line_mean_landscape")),
    // Unoptimised sessions: onnxruntime's graph optimisations cost more at creation than they
    // save on these unrolled graphs (Node, onnxruntime-web 1.30 wasm: MAML's session 788 -> 297 ms,
    // iMAML's 796 -> 631 ms, and a run 5.8 -> 2.2 ms and 3.0 -> 2.8 ms).
    ...METHODS.map((method) => timed(runtime.session(method.graph, { graphOptimizationLevel: "disabled" }))),
  ]);
  const sessions = sessionsTimed.map(([session]) => session);
  // When each graph's session was ready, from the start of build (for the benchmark).
  const timings = { sessionsMs: Object.fromEntries(METHODS.map((m, i) => [m.graph, sessionsTimed[i][1]])) };
  const n = settings.grid;
  const landscape = await meanLandscape(runtime, landscapeSession, dataset, n);
  timings.landscapeMs = performance.now() - started;
  const data = sampleTensors(runtime, dataset, "both"); // kept for every run; released on destroy
  const state = {
    theta: [...settings.theta],
    beta: settings.outer_step_size,
    methods: Object.fromEntries(METHODS.map((m) => [m.key, { ...DEFAULTS[m.key], ...settings[m.key] }])),
    results: {},
  };

  element.replaceChildren();
  const row = landscapeRow(element);
  const map = createLandscape(row, {
    x: dataset.plane.a,
    y: dataset.plane.b,
    width: 400,
    height: 380,
    title: `Mean loss of the ${dataset.T} tasks, and one update from θ`,
    label: "Mean loss landscape of the four line-fitting tasks, with theta and each method's update from it",
  });
  map.draw({ values: landscape, nx: n, ny: n });
  dataset.tasks.forEach((task, i) => map.marker(`minimum of task ${i + 1} at (${task.a}, ${task.b})`, 6).set(task.a, task.b));
  const arrows = Object.fromEntries(
    METHODS.map((m) => [m.key, arrow(map.plot, map.plot.layer("arrows"), { series: m.series, className: `fig-arrow-${m.key}` })]),
  );
  legend(map.plot, METHODS.map((m) => ({ label: m.name, series: m.series })));
  const handle = createHandle(map.plot, map.plot.layer("handles"), {
    interactive,
    x: state.theta[0],
    y: state.theta[1],
    label: "θ, the initialisation all four methods update",
    series: 1,
    step: [settings.key_step, settings.key_step],
    format: (a, b) => `a = ${f2(a)}, b = ${f2(b)}`,
    onMove: (a, b) => {
      state.theta = [a, b];
      requestAll();
      return { x: a, y: b };
    },
  });

  // Beside the map: the shared beta (page only), then one block per method.
  const side = document.createElement("div");
  side.className = "figure-methods";
  row.append(side);
  const status = statusLine(side, { className: "figure-status figure-theta", live: interactive });
  const controls = {};
  if (interactive) {
    const shared = controlRow(side);
    controls.beta = slider(shared, {
      label: "Outer step size β (MAML, first-order MAML, iMAML)",
      ...BETA,
      value: state.beta,
      format: f2,
      onInput: (v) => {
        state.beta = v;
        for (const m of METHODS) if (m.beta) request(m);
      },
    });
  }
  const panels = Object.fromEntries(METHODS.map((m) => [m.key, methodPanel(side, m, interactive)]));
  if (interactive) for (const m of METHODS) controls[m.key] = methodControls(m, panels[m.key].row);

  /** The switch and sliders of one method; row settings redraw, the others rerun its graph. */
  function methodControls(method, parent) {
    const own = state.methods[method.key];
    const made = {
      on: checkbox(parent, {
        label: method.name,
        checked: own.enabled,
        onChange: (on) => {
          own.enabled = on;
          for (const s of Object.values(made.sliders)) s.setDisabled(!on);
          if (on) request(method);
          else draw(method);
        },
      }),
      sliders: {},
    };
    for (const setting of method.settings) {
      const positions = setting.values;
      made.sliders[setting.key] = slider(parent, {
        label: setting.label,
        ...(positions ? { min: 0, max: positions.length - 1, step: 1 } : { min: setting.min, max: setting.max, step: setting.step }),
        value: positions ? positions.indexOf(own[setting.key]) : own[setting.key],
        format: (v) => setting.format(positions ? positions[v] : v),
        onInput: (v) => {
          own[setting.key] = positions ? positions[v] : v;
          if (setting.row) draw(method);
          else request(method);
        },
      });
      // The visible label is short (the block names the method); the accessible name says
      // which method's setting it is, since every method has an "Inner steps k".
      made.sliders[setting.key].input.setAttribute("aria-label", `${method.name}: ${setting.label}`);
      made.sliders[setting.key].setDisabled(!own.enabled);
    }
    return made;
  }

  const scheduler = latestPerKey(async (key, job) => {
    const method = METHODS.find((m) => m.key === key);
    const session = sessions[METHODS.indexOf(method)];
    const inputs = { theta: runtime.tensor(job.theta, [2]) };
    for (const name of session.inputNames) {
      if (name in job.scalars) inputs[name] = runtime.tensor([job.scalars[name]], []);
    }
    try {
      const feeds = Object.fromEntries(session.inputNames.map((name) => [name, inputs[name] ?? data[name]]));
      const out = await runtime.run(session, feeds);
      // The float32 inputs the graph actually saw travel with its outputs.
      const seen = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, name === "theta" ? Array.from(t.data) : t.data[0]]));
      state.results[key] = { inputs: seen, outputs: out };
      draw(method);
    } finally {
      disposeAll(inputs);
    }
  });

  /** Queue a run of one method's graph at the current theta and settings (if it is on). */
  function request(method) {
    const own = state.methods[method.key];
    if (!own.enabled) return scheduler.idle();
    const scalars = {};
    for (const s of method.settings) if (!s.row) scalars[s.key] = own[s.key];
    if (method.beta) scalars.outer_step_size = state.beta;
    return scheduler.request(method.key, { theta: Float32Array.from(state.theta), scalars });
  }

  function requestAll() {
    status.set(`θ = (${f2(state.theta[0])}, ${f2(state.theta[1])}); the arrows are each method's update from θ.`);
    for (const m of METHODS) request(m);
    return scheduler.idle();
  }

  /** The method's selected row of its last result, as drawn and printed. */
  function shownRow(method) {
    const own = state.methods[method.key];
    const result = state.results[method.key];
    if (!own.enabled || !result) return { on: false };
    const rowSetting = method.settings.find((s) => s.row);
    const k = own[rowSetting.key] - 1;
    const { update, theta_next: next, length, direction } = result.outputs;
    const values = {};
    for (const s of method.settings) values[s.key] = s.row ? own[s.key] : result.inputs[s.key];
    return {
      on: true,
      row: k,
      values,
      beta: result.inputs.outer_step_size,
      theta: result.inputs.theta,
      update: [update[2 * k], update[2 * k + 1]],
      end: [next[2 * k], next[2 * k + 1]],
      length: length[k],
      direction: direction[k],
      ...(result.outputs.cg_iterations ? { cgIterations: result.outputs.cg_iterations[k] } : {}),
    };
  }

  function draw(method) {
    const shown = shownRow(method);
    const line = arrows[method.key];
    line.node.setAttribute("visibility", shown.on ? "visible" : "hidden");
    if (shown.on) line.set(shown.theta[0], shown.theta[1], shown.end[0], shown.end[1]);
    panels[method.key].readout.set(readoutText(method, shown));
  }

  await requestAll();
  timings.firstFrameMs = performance.now() - started;
  if (!interactive) {
    disposeAll(data);
    return null;
  }

  const api = {
    /** For tests and benchmarks: what each graph saw and returned, and what is drawn and shown. */
    inspect: () => ({
      theta: [...state.theta],
      dataset: settings.dataset,
      grid: n,
      plane: dataset.plane,
      landscape: Array.from(landscape),
      timings,
      inner: map.plot.inner,
      handle: { x: handle.x, y: handle.y },
      methods: Object.fromEntries(
        METHODS.map((m) => {
          const result = state.results[m.key];
          const line = arrows[m.key].node;
          return [
            m.key,
            {
              settings: { ...state.methods[m.key], beta: state.beta },
              shown: shownRow(m),
              inputs: result?.inputs ?? null,
              outputs: result ? Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, Array.from(v)])) : null,
              arrow: {
                visible: line.getAttribute("visibility") !== "hidden",
                from: line.dataset.from?.split(",").map(Number) ?? null,
                to: line.dataset.to?.split(",").map(Number) ?? null,
              },
              readout: panels[m.key].readout.text,
            },
          ];
        }),
      ),
    }),
    /** Resolves when every requested computation has been drawn. */
    idle: () => scheduler.idle(),
    destroy: () => {
      disposeAll(data);
      element.replaceChildren();
    },
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
