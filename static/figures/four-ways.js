// Figure "four-ways": one meta-update from the same theta by MAML, first-order MAML, Reptile and
// iMAML, on the mean loss of the four softplus tasks of the `comparison` data set, next to the
// plain gradient step a pretrained model would take.
//
// The map is the tasks' mean support loss (line_mean_landscape, computed once at mount). The
// reader drags theta, or moves it with the arrow keys. Each method has its own switch and
// settings, and its own graph (line_compare_<method>), which returns the update from theta for
// every value of the method's row setting at once: k = 1..5 inner steps for MAML, first-order MAML
// and Reptile, 1..5 conjugate-gradient iterations for iMAML. A row slider therefore only picks a
// row; the other settings (theta, alpha, epsilon, lambda, damping, beta) rerun the graph. For each
// method switched on, an arrow runs from theta to theta + update, and a readout prints the update,
// its length and its direction: all three are graph outputs, drawn and printed as they come.
//
// MAML, first-order MAML and iMAML step by -beta times their meta-gradient (beta shared, so
// their arrows compare by length); Reptile moves by epsilon times the way to the mean adapted
// parameters. The faint pretrained arrow is -beta times the gradient of the mean support loss
// (the map) at theta. It comes from Reptile's graph: one inner step of size beta with epsilon = 1
// moves theta by exactly -beta times that gradient (each task's step is -beta times its own
// gradient, and Reptile averages them), so no further graph is loaded.
//
// Every arrow is drawn at its true length in the plane's units. Only the selected method's
// settings show (tabs), beside the map; the numbers of every method show together under them.
//
// params: {dataset = "comparison", grid = 41, theta = [0.8, 0.8], outer_step_size = 1 (beta),
//          key_step = 0.01, shown = "maml" (whose settings show first),
//          maml: {enabled, steps, step_size}, fomaml: {enabled, steps, step_size},
//          reptile: {enabled, steps, step_size, interpolation_rate}, imaml: {enabled, lam, cg_steps,
//          damping}, pretrained: {enabled}}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestPerKey } from "./lib/latest.js";
import { checkbox, controlRow, element as el, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape } from "./lib/landscape.js";
import { METHODS as PALETTE } from "./lib/palette.js";
import { arrow, key } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  dataset: "comparison",
  grid: 41,
  theta: [0.8, 0.8],
  outer_step_size: 1.0,
  key_step: 0.01,
  shown: "maml",
  maml: { enabled: true, steps: 2, step_size: 0.25 },
  fomaml: { enabled: true, steps: 2, step_size: 0.25 },
  reptile: { enabled: true, steps: 3, step_size: 0.25, interpolation_rate: 0.5 },
  imaml: { enabled: true, lam: 1, cg_steps: 2, damping: 0.1 },
  pretrained: { enabled: true },
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
// iMAML's lambda spans two orders of magnitude: its slider walks this list (a lookup, no maths).
const LAMBDAS = [0.25, 0.5, 1, 2, 4, 8, 16];
const ROWS = 5; // rows of every graph: k = 1..5, or CG iterations 1..5
const ALPHA = { min: 0.05, max: 1.5, step: 0.05 };
const BETA = { min: 0.1, max: 2, step: 0.1 };
// The map reaches a little beyond the plane [0, 1]², so that the tasks' minima on its edges are
// drawn whole, off the tick labels; theta stays in the plane.
const MAP_MARGIN = 0.05;
const THETA_COLOUR = "var(--fig-fg)";

const f2 = (v) => v.toFixed(2);

/**
 * The four methods and the pretrained step: their graph, stroke and settings. A setting with
 * `row` picks the graph's output row (value - 1); any other setting is a graph input of the same
 * name (`values`: the slider's positions, when they are not evenly spaced). `fixed` inputs are
 * set by the figure (the pretrained step's), `shared` ones come from the shared beta slider.
 */
const METHODS = [
  {
    key: "maml",
    name: "MAML",
    graph: "line_compare_maml",
    stroke: "exact",
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
    stroke: "firstOrder",
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
    stroke: "exact",
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
    stroke: "exact",
    beta: true,
    settings: [
      { key: "lam", label: "Proximal strength λ", symbol: "λ", values: LAMBDAS, format: String },
      { key: "cg_steps", label: "CG steps", symbol: "CG steps", min: 1, max: ROWS, step: 1, row: true, format: String },
      { key: "damping", label: "Damping δ", symbol: "δ", min: 0, max: 1, step: 0.05, format: f2 },
    ],
  },
  {
    key: "pretrained",
    name: "Pretrained",
    graph: "line_compare_reptile",
    stroke: "reference",
    beta: true,
    // -beta times the mean loss's gradient: Reptile's first row with alpha = beta, epsilon = 1.
    fixed: { interpolation_rate: 1 },
    betaAs: "step_size",
    row: 0,
    settings: [],
  },
];
const BY_KEY = Object.fromEntries(METHODS.map((m) => [m.key, m]));
const TABBED = METHODS.filter((m) => m.settings.length);

/** The tasks' mean support loss on the n × n grid over `plane`, as one Float32Array (n²). */
async function meanLandscape(runtime, session, dataset, plane, n) {
  const inputs = { grid: runtime.tensor(planeGrid(plane, n), [n * n, 2]), ...sampleTensors(runtime, dataset, "train") };
  try {
    return (await runtime.run(session, inputs)).loss;
  } finally {
    disposeAll(inputs);
  }
}

/** The label a method goes by in the key and the readouts. */
function labelOf(method) {
  return method.key === "pretrained" ? "pretrained: −β ∇ mean loss" : PALETTE[method.key].label;
}

/**
 * The text of a method's readout, beside its switch (which names it): its settings, then the
 * update as the graph computed it.
 */
function readoutText(method, shown) {
  if (!shown.on) return "switched off.";
  const settings = method.settings.map((s) => `${s.symbol} = ${s.format(shown.values[s.key])}`);
  if (method.beta) settings.push(`β = ${f2(shown.beta)}`);
  const { update, length, direction, cgIterations } = shown;
  // iMAML's CG stops early once its residual is small: say how many iterations it really took
  // (the graph's mean over the tasks).
  const cg = cgIterations === undefined ? "" : ` CG iterations taken, mean over the tasks: ${formatNumber(cgIterations, 2)}.`;
  return (
    `${settings.join(", ")}: update (${formatNumber(update[0])}, ${formatNumber(update[1])}), ` +
    `length ${formatNumber(length)}, direction ${formatNumber(direction, 1)}°.` + cg
  );
}

/** The key's entries: theta, each arrow drawn, the tasks' minima. */
function keyEntries(enabled) {
  return [
    { label: "θ", color: THETA_COLOUR, marker: "dot" },
    ...METHODS.filter((m) => enabled[m.key]).map((m) => ({ label: labelOf(m), method: m.key, stroke: m.stroke })),
    { label: "a task's minimum", role: "taskMinimum", marker: "cross" },
  ];
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const started = performance.now();
  const timed = (promise) => promise.then((value) => [value, performance.now() - started]);
  const graphs = [...new Set(METHODS.map((m) => m.graph))];
  // The map needs only its own session and the data: it is computed while the methods' sessions
  // are still being created.
  const dataPromise = lineDataset(runtime, settings.dataset);
  const landscapeSessionPromise = runtime.session("line_mean_landscape");
  const sessionPromises = graphs.map((graph) =>
    // Unoptimised sessions, sized to the data set: onnxruntime's graph optimisations cost more at
    // creation than they save on these unrolled graphs, and known sizes make creation several
    // times faster (Node, onnxruntime-web 1.30 wasm: iMAML's session 796 ms optimised, 470 ms
    // not, 100 ms sized; MAML's 788, 260, 77 ms). The data set arrives first, in a few ms.
    timed(dataPromise.then(({ T, N }) =>
      runtime.session(graph, { graphOptimizationLevel: "disabled", dims: { T, N } }))));
  // If the data fails, build fails with that error before anything awaits the sessions: marked
  // as handled, their own failures (a missing model fails them all) are not reported twice over.
  for (const promise of [landscapeSessionPromise, ...sessionPromises]) promise.catch(() => {});
  const dataset = await dataPromise;
  const plane = {
    a: [dataset.plane.a[0] - MAP_MARGIN, dataset.plane.a[1] + MAP_MARGIN],
    b: [dataset.plane.b[0] - MAP_MARGIN, dataset.plane.b[1] + MAP_MARGIN],
  };
  const n = settings.grid;
  const landscapePromise = landscapeSessionPromise.then((session) => meanLandscape(runtime, session, dataset, plane, n));
  const [landscape, ...sessionsTimed] = await Promise.all([landscapePromise, ...sessionPromises]);
  const sessionOf = Object.fromEntries(graphs.map((graph, i) => [graph, sessionsTimed[i][0]]));
  // When each graph's session was ready, from the start of build (for the benchmark).
  const timings = { sessionsMs: Object.fromEntries(graphs.map((graph, i) => [graph, sessionsTimed[i][1]])) };
  timings.landscapeMs = performance.now() - started;
  const data = sampleTensors(runtime, dataset, "both"); // kept for every run; released on destroy
  const state = {
    theta: [...settings.theta],
    beta: settings.outer_step_size,
    shown: BY_KEY[settings.shown]?.settings.length ? settings.shown : "maml",
    methods: Object.fromEntries(METHODS.map((m) => [m.key, { ...DEFAULTS[m.key], ...settings[m.key] }])),
    results: {},
  };

  element.replaceChildren();
  const layout = el("div", { className: "cmp-split four-ways-figure" }, element);
  const plotColumn = el("div", { className: "cmp-plot" }, layout);
  const side = el("div", { className: "cmp-side" }, layout);
  const [[a0, a1], [b0, b1]] = [dataset.plane.a, dataset.plane.b];
  const map = createLandscape(plotColumn, {
    x: plane.a,
    y: plane.b,
    width: 400,
    height: 390,
    title: `Mean loss of the ${dataset.T} tasks, one update from θ`,
    label: "Mean loss landscape of the four softplus tasks, with theta, each method's update from it " +
      "and the plain gradient step",
  });
  map.draw({ values: landscape, nx: n, ny: n });
  dataset.tasks.forEach((task, i) =>
    map.marker(`minimum of task ${i + 1} at (${task.a}, ${task.b})`, { role: "taskMinimum" }).set(task.a, task.b));
  // The pretrained arrow lies underneath: it is faint, and the methods' arrows cross it.
  const drawOrder = ["pretrained", "maml", "fomaml", "reptile", "imaml"];
  const arrows = Object.fromEntries(drawOrder.map((name) => {
    const m = BY_KEY[name];
    return [name, arrow(map.plot, map.plot.layer("arrows"), { method: m.key, stroke: m.stroke, className: `fig-arrow-${m.key}` })];
  }));
  const handle = createHandle(map.plot, map.plot.layer("handles"), {
    interactive,
    x: state.theta[0],
    y: state.theta[1],
    label: "θ, the initialisation all four methods update",
    color: THETA_COLOUR,
    step: [settings.key_step, settings.key_step],
    format: (a, b) => `a = ${f2(a)}, b = ${f2(b)}`,
    onMove: (a, b) => {
      state.theta = [Math.min(Math.max(a, a0), a1), Math.min(Math.max(b, b0), b1)];
      requestAll();
      return { x: state.theta[0], y: state.theta[1] };
    },
  });
  const keyHolder = el("div", { className: "cmp-key" }, side);
  let keyShown = "";
  function showKey() {
    const enabled = Object.fromEntries(METHODS.map((m) => [m.key, state.methods[m.key].enabled]));
    const signature = JSON.stringify(enabled);
    if (signature === keyShown) return;
    keyShown = signature;
    keyHolder.replaceChildren();
    key(keyHolder, keyEntries(enabled));
  }
  showKey();

  // Beside the map: theta and the conventions, the key, the method tabs and the selected method's
  // settings with the shared beta (page only). Under both: every method's switch and numbers.
  const status = statusLine(side, { className: "figure-status figure-theta", live: interactive });
  side.prepend(status.element);
  const controls = {};
  const panels = {};
  if (interactive) {
    const tabs = el("fieldset", { className: "cmp-methods" }, side);
    el("legend", { text: "Settings of" }, tabs);
    const group = `four-ways-${Math.random().toString(36).slice(2, 8)}`;
    for (const m of TABBED) {
      const tab = el("label", { className: "cmp-tab", "data-tab": m.key }, tabs);
      const input = el("input", { type: "radio", name: group, value: m.key }, tab);
      input.checked = m.key === state.shown;
      el("span", { text: PALETTE[m.key].label }, tab);
      input.addEventListener("change", () => {
        if (input.checked) showPanel(m.key);
      });
    }
    for (const m of TABBED) {
      panels[m.key] = el("div", { className: "cmp-panel", "data-tab": m.key }, side);
      panels[m.key].hidden = m.key !== state.shown;
      controls[m.key] = methodControls(m, controlRow(panels[m.key], { className: "figure-controls cmp-controls" }));
    }
    const shared = controlRow(side, { className: "figure-controls cmp-controls" });
    controls.beta = slider(shared, {
      label: "Outer step size β (all but Reptile)",
      ...BETA,
      value: state.beta,
      format: f2,
      onInput: (v) => {
        state.beta = v;
        for (const m of METHODS) if (m.beta) request(m);
      },
    });
  }
  const numbers = el("ul", { className: "cmp-numbers" }, layout);
  const readouts = {};
  for (const m of METHODS) {
    const item = el("li", { "data-tab": m.key }, numbers);
    // The switch names the method; the static picture, without switches, names it in text.
    if (interactive) {
      controls[m.key] ??= {};
      controls[m.key].on = checkbox(item, {
        label: m.name,
        checked: state.methods[m.key].enabled,
        onChange: (on) => switchMethod(m, on),
      });
    } else {
      el("span", { className: "cmp-name", text: m.name }, item);
    }
    readouts[m.key] = statusLine(item, { className: "figure-status figure-readout", live: interactive });
    readouts[m.key].element.dataset.readout = m.key;
  }

  function showPanel(name) {
    state.shown = name;
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
  }

  function switchMethod(method, on) {
    state.methods[method.key].enabled = on;
    for (const s of Object.values(controls[method.key].sliders ?? {})) s.setDisabled(!on);
    showKey();
    if (on) request(method);
    else draw(method);
  }

  /** The sliders of one method; row settings redraw, the others rerun its graph. */
  function methodControls(method, parent) {
    const own = state.methods[method.key];
    const made = { sliders: {} };
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
      // The visible label is short (the tab names the method); the accessible name says
      // which method's setting it is, since every method has an "Inner steps k".
      made.sliders[setting.key].input.setAttribute("aria-label", `${method.name}: ${setting.label}`);
      made.sliders[setting.key].setDisabled(!own.enabled);
    }
    return made;
  }

  const scheduler = latestPerKey(async (name, job) => {
    const method = BY_KEY[name];
    const session = sessionOf[method.graph];
    const inputs = { theta: runtime.tensor(job.theta, [2]) };
    for (const input of session.inputNames) {
      if (input in job.scalars) inputs[input] = runtime.tensor([job.scalars[input]], []);
    }
    try {
      const feeds = Object.fromEntries(session.inputNames.map((input) => [input, inputs[input] ?? data[input]]));
      const out = await runtime.run(session, feeds);
      // The float32 inputs the graph actually saw travel with its outputs.
      const seen = Object.fromEntries(Object.entries(inputs).map(([input, t]) => [input, input === "theta" ? Array.from(t.data) : t.data[0]]));
      state.results[name] = { inputs: seen, outputs: out };
      draw(method);
    } finally {
      disposeAll(inputs);
    }
  });

  /** Queue a run of one method's graph at the current theta and settings (if it is on). */
  function request(method) {
    const own = state.methods[method.key];
    if (!own.enabled) return scheduler.idle();
    const scalars = { ...method.fixed };
    for (const s of method.settings) if (!s.row) scalars[s.key] = own[s.key];
    if (method.beta) scalars[method.betaAs ?? "outer_step_size"] = state.beta;
    return scheduler.request(method.key, { theta: Float32Array.from(state.theta), scalars });
  }

  function requestAll() {
    status.set(`θ = (${f2(state.theta[0])}, ${f2(state.theta[1])}). Each arrow is an update from θ at its true ` +
      "length; a direction is its angle from the +a axis, counter-clockwise.");
    for (const m of METHODS) request(m);
    return scheduler.idle();
  }

  /** The method's selected row of its last result, as drawn and printed. */
  function shownRow(method) {
    const own = state.methods[method.key];
    const result = state.results[method.key];
    if (!own.enabled || !result) return { on: false };
    const rowSetting = method.settings.find((s) => s.row);
    const k = rowSetting ? own[rowSetting.key] - 1 : method.row;
    const { update, theta_next: next, length, direction } = result.outputs;
    const values = {};
    for (const s of method.settings) values[s.key] = s.row ? own[s.key] : result.inputs[s.key];
    return {
      on: true,
      row: k,
      values,
      beta: result.inputs[method.betaAs ?? "outer_step_size"],
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
    readouts[method.key].set(readoutText(method, shown));
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
      plane,
      landscape: Array.from(landscape),
      timings,
      inner: map.plot.inner,
      handle: { x: handle.x, y: handle.y },
      shownTab: state.shown,
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
                clipped: line.dataset.clipped === "true",
                from: line.dataset.from?.split(",").map(Number) ?? null,
                to: line.dataset.to?.split(",").map(Number) ?? null,
              },
              readout: readouts[m.key].text,
            },
          ];
        }),
      ),
      key: [...keyHolder.querySelectorAll("li")].map((item) => item.textContent),
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
