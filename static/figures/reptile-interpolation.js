// Figure "reptile-interpolation": one Reptile update on one softplus task, step by step.
//
// The map is the task's support loss (line_landscape, computed once at mount). The reader drags
// theta (pointer, touch, or the arrow keys once it has focus) and sets the inner step size alpha,
// the number of inner steps k and the interpolation rate epsilon. For each theta, alpha and
// epsilon one run of the graph line_reptile_interpolation returns everything drawn, for every
// k = 1..5 at once: the inner path phi^(0) = theta, ..., phi^(5), the Reptile update
// theta + epsilon (phi^(k) - theta), and the exact and first-order MAML meta-gradients, their
// lengths, their cosines with the Reptile update and the end points of their descent directions
// drawn as long as the update (the arrows compare directions; the readout gives the lengths). So
// the k slider and the two switches only choose what to draw from the stored result; only theta,
// alpha and epsilon run the graph. Nothing is computed here.
//
// params: {dataset = "reptile", task = 0 (index in the data set), grid = 41 (points per axis of
//          the map), theta = [0.15, 0.85], step_size = 0.8 (alpha), steps = 3 (k),
//          interpolation_rate = 0.5 (epsilon), first_order = false, maml = false (the switches),
//          key_step = 0.01 (theta per arrow key)}
//
// Colours and line styles are the article's (lib/palette.js): Reptile's update thick and its
// chord theta -> phi^(k) dotted in Reptile's colour, first-order MAML dashed, MAML solid, the inner
// steps thin and neutral (every method takes them). The key beside the map lists what is drawn.
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { checkbox, controlRow, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape } from "./lib/landscape.js";
import { STROKES } from "./lib/palette.js";
import { arrow, clippedLayer, key, select } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, lineDataset, planeGrid } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  dataset: "reptile",
  task: 0,
  grid: 41,
  theta: [0.15, 0.85],
  step_size: 0.8,
  steps: 3,
  interpolation_rate: 0.5,
  first_order: false,
  maml: false,
  key_step: 0.01,
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const MAX_STEPS = 5; // the graph's REPTILE_STEPS: rows k = 1..5 of its per-k outputs
const ALPHA_RANGE = { min: 0.05, max: 1.5, step: 0.05 };
const EPSILON_RANGE = { min: 0.05, max: 1, step: 0.05 };
const SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
/** θ and the inner path are no method's: they take the figure's foreground colour. */
const NEUTRAL = "var(--fig-fg)";

/** ϕ after k inner steps, as the article writes it: ϕ⁽³⁾. */
const phiAfter = (k) => `ϕ⁽${String(k).replace(/\d/g, (d) => SUPERSCRIPTS[d])}⁾`;
const point = (v, digits = 3) => `(${formatNumber(v[0], digits)}, ${formatNumber(v[1], digits)})`;

/** Row k - 1 of a per-k output of shape (5, 2), as [a, b]. */
const rowOf = (values, k) => [values[2 * (k - 1)], values[2 * (k - 1) + 1]];

/** The support loss of one task on the n × n grid (line_landscape), as a Float32Array. */
async function supportLandscape(runtime, session, dataset, task, n) {
  const { N, arrays, plane } = dataset;
  const inputs = {
    grid: runtime.tensor(planeGrid(plane, n), [n * n, 2]),
    x: runtime.tensor(arrays.x_train.subarray(task * N, (task + 1) * N), [1, N]),
    y: runtime.tensor(arrays.y_train.subarray(task * N, (task + 1) * N), [1, N]),
  };
  try {
    return (await runtime.run(session, inputs)).loss;
  } finally {
    disposeAll(inputs);
  }
}

/** One task's support and query points as the vectors (N,) line_reptile_interpolation takes. */
function taskTensors(runtime, dataset, task) {
  const { N, arrays } = dataset;
  const names = ["x_train", "y_train", "x_test", "y_test"];
  const vector = (name) => runtime.tensor(arrays[name].slice(task * N, (task + 1) * N), [N]);
  return Object.fromEntries(names.map((name) => [name, vector(name)]));
}

/**
 * Runs line_reptile_interpolation for the latest requested (theta, alpha, epsilon) only: while a
 * run is in flight, newer requests replace each other, so a fast drag never queues stale work.
 */
function createRunner(runtime, session, data, onResult) {
  async function runOne({ theta, alpha, epsilon }) {
    const inputs = {
      theta: runtime.tensor(theta, [2]),
      step_size: runtime.tensor([alpha], []),
      interpolation_rate: runtime.tensor([epsilon], []),
    };
    try {
      const out = await runtime.run(session, { ...data, ...inputs });
      // Report the float32 inputs the graph actually saw, next to its outputs.
      onResult({
        theta: Array.from(inputs.theta.data),
        alpha: inputs.step_size.data[0],
        epsilon: inputs.interpolation_rate.data[0],
        ...out,
      });
    } finally {
      disposeAll(inputs);
    }
  }
  const runner = latestOnly(runOne);
  return {
    request: (theta, alpha, epsilon) => runner.request({ theta: Float32Array.from(theta), alpha, epsilon }),
    idle: runner.idle,
  };
}

export const { picture, mount } = entryPoints(build);

/** The map, the task's minimum, the arrows and theta's handle. */
function drawPlot(parent, { dataset, task, landscape, n, settings, state, interactive, onMove }) {
  const { a: taskA, b: taskB } = dataset.tasks[task];
  const map = createLandscape(parent, {
    x: dataset.plane.a,
    y: dataset.plane.b,
    width: 400,
    height: 380,
    title: `Softplus task (${taskA}, ${taskB}): support loss`,
    label: `Support loss landscape of the softplus task (${taskA}, ${taskB}), ` +
      "with θ, the inner steps and the Reptile update",
  });
  map.draw({ values: landscape, nx: n, ny: n });
  map.marker("minimum of the task", { role: "taskMinimum" }).set(taskA, taskB);
  // An inner step may start outside the plane (a large step overshoots and comes back): those
  // are cut by a clipped layer. The arrows from theta start inside, and arrow() cuts them at the
  // edge with their true length.
  const innerLayer = clippedLayer(map.plot, "inner-steps");
  const unbounded = { ...map.plot, inner: { left: -Infinity, right: Infinity, top: -Infinity, bottom: Infinity } };
  const layer = map.plot.layer("arrows");
  const make = (kind, parentLayer, options) => {
    const made = arrow(parentLayer === innerLayer ? unbounded : map.plot, parentLayer, options);
    made.node.dataset.arrow = kind;
    return made;
  };
  const arrows = {
    inner: Array.from({ length: MAX_STEPS }, (_, j) => {
      const made = make("inner", innerLayer, { color: NEUTRAL, stroke: "inner", width: STROKES.inner.width });
      made.node.dataset.step = String(j + 1);
      return made;
    }),
    toPhi: make("theta-to-phi", layer, { method: "reptile", stroke: "reference", width: STROKES.reference.width }),
    // The update is the thickest and lies underneath, so the MAML arrows stay visible on top of it
    // when they point the same way.
    update: make("update", layer, { method: "reptile", width: 4.5 }),
    firstOrder: make("first-order", layer, { method: "fomaml", stroke: "firstOrder", width: STROKES.firstOrder.width }),
    maml: make("maml", layer, { method: "maml", width: STROKES.exact.width }),
  };
  const handle = createHandle(map.plot, map.plot.layer("handles"), {
    interactive,
    x: state.theta[0],
    y: state.theta[1],
    label: "θ, the initialisation",
    color: NEUTRAL,
    step: [settings.key_step, settings.key_step],
    format: (a, b) => `a = ${a.toFixed(2)}, b = ${b.toFixed(2)}`,
    onMove,
  });
  return { map, arrows, handle };
}

/** The key's entries for what is drawn: the MAML directions only while switched on. */
function keyEntries(k, { firstOrder, maml }) {
  return [
    { label: "θ", color: NEUTRAL, marker: "dot" },
    { label: `inner steps to ${phiAfter(k)}`, color: NEUTRAL, stroke: "inner" },
    { label: `θ → ${phiAfter(k)}`, method: "reptile", stroke: "reference" },
    { label: "Reptile update", method: "reptile" },
    ...(firstOrder ? [{ label: "first-order MAML direction", method: "fomaml", stroke: "firstOrder" }] : []),
    ...(maml ? [{ label: "exact MAML direction", method: "maml" }] : []),
    { label: "the task's minimum", role: "taskMinimum", marker: "cross" },
  ];
}

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const started = performance.now();
  const timings = {}; // ms of each stage of the mount, for the benchmark
  // Data, runtime and both graphs load in parallel (sessions wait for the runtime themselves).
  // The graph unrolls 5 MAML meta-gradients: onnxruntime's graph optimisation would take longer
  // to create the session than it saves in the runs.
  // Its session is sized to the task's number of points, which makes it faster to create.
  const datasetPromise = lineDataset(runtime, settings.dataset);
  const [dataset, landscapeSession, session] = await Promise.all([
    datasetPromise,
    runtime.session("line_landscape"),
    datasetPromise.then(({ N }) =>
      runtime.session("line_reptile_interpolation", { graphOptimizationLevel: "disabled", dims: { N } })),
  ]);
  timings.load = performance.now() - started;
  const task = settings.task;
  if (!dataset.tasks[task]) throw new Error(`line data set "${settings.dataset}" has no task ${task}`);
  const n = settings.grid;
  const landscape = await supportLandscape(runtime, landscapeSession, dataset, task, n);
  timings.landscape = performance.now() - started - timings.load;
  const data = taskTensors(runtime, dataset, task); // kept for every run; released on destroy
  const state = {
    theta: [...settings.theta],
    alpha: settings.step_size,
    epsilon: settings.interpolation_rate,
    k: settings.steps,
    firstOrder: Boolean(settings.first_order),
    maml: Boolean(settings.maml),
    result: null,
  };

  element.replaceChildren();
  // The map on the left; its key, controls and numbers beside it (under it on a phone).
  const layout = document.createElement("div");
  layout.className = "cmp-split reptile-figure";
  const plotColumn = document.createElement("div");
  const side = document.createElement("div");
  plotColumn.className = "cmp-plot";
  side.className = "cmp-side";
  layout.append(plotColumn, side);
  element.append(layout);
  const { map, arrows, handle } = drawPlot(plotColumn, {
    dataset, task, landscape, n, settings, state, interactive, onMove: moveTheta,
  });
  const keyHolder = document.createElement("div");
  side.append(keyHolder);
  let keyShown = "";
  /** The key for what is drawn now (rebuilt only when that changes). */
  function showKey() {
    const entries = keyEntries(state.k, state);
    const signature = JSON.stringify(entries.map((entry) => entry.label));
    if (signature === keyShown) return;
    keyShown = signature;
    keyHolder.replaceChildren();
    key(keyHolder, entries);
  }

  // Controls (page only) beside the map, then the readouts of the numbers the graph computed.
  const controls = interactive ? controlRow(side) : null;
  const switches = interactive ? controlRow(side) : null;
  const readouts = ["path", "update", "directions"].map((name) => {
    const line = statusLine(side, { className: "figure-status figure-readout", live: interactive });
    line.element.dataset.readout = name;
    return line;
  });
  if (interactive) {
    slider(controls, {
      label: "Inner steps k", min: 1, max: MAX_STEPS, step: 1, value: state.k, format: String,
      onInput: (v) => {
        state.k = v;
        draw();
      },
    });
    slider(controls, {
      label: "Inner step size α", ...ALPHA_RANGE, value: state.alpha, format: (v) => v.toFixed(2),
      onInput: (v) => {
        state.alpha = v;
        compute();
      },
    });
    slider(controls, {
      label: "Interpolation rate ε", ...EPSILON_RANGE, value: state.epsilon, format: (v) => v.toFixed(2),
      onInput: (v) => {
        state.epsilon = v;
        compute();
      },
    });
    checkbox(switches, {
      label: "First-order MAML direction", checked: state.firstOrder,
      onChange: (on) => {
        state.firstOrder = on;
        draw();
      },
    });
    checkbox(switches, {
      label: "Exact MAML direction", checked: state.maml,
      onChange: (on) => {
        state.maml = on;
        draw();
      },
    });
  }

  const runner = createRunner(runtime, session, data, (result) => {
    state.result = result;
    draw();
  });

  function compute() {
    return runner.request(state.theta, state.alpha, state.epsilon);
  }

  /** A new theta from the handle (already clamped to the plane by it). */
  function moveTheta(a, b) {
    state.theta = [a, b];
    compute();
    return { x: a, y: b };
  }

  /** Draw the stored graph result for the current k and switches: arrows and numbers as computed. */
  function draw() {
    const result = state.result;
    if (!result) return;
    const { k } = state;
    const [a, b] = result.theta;
    arrows.inner.forEach((line, j) => {
      // Step j + 1 runs from phi_j to phi_{j+1}: rows j and j + 1 of the path (6, 2).
      line.set(result.path[2 * j], result.path[2 * j + 1], result.path[2 * j + 2], result.path[2 * j + 3]);
      select(line.node).attr("visibility", j < k ? null : "hidden");
    });
    const phi = [result.path[2 * k], result.path[2 * k + 1]];
    arrows.toPhi.set(a, b, ...phi);
    arrows.update.set(a, b, ...rowOf(result.theta_next, k));
    arrows.firstOrder.set(a, b, ...rowOf(result.first_order_end, k));
    arrows.maml.set(a, b, ...rowOf(result.maml_end, k));
    select(arrows.firstOrder.node).attr("visibility", state.firstOrder ? null : "hidden");
    select(arrows.maml.node).attr("visibility", state.maml ? null : "hidden");
    showKey();
    showNumbers(result, k, phi);
    element.dataset.theta = JSON.stringify(result.theta);
  }

  function showNumbers(result, k, phi) {
    const at = (name) => result[name][k - 1];
    readouts[0].set(
      `θ = ${point(result.theta)} → ${phiAfter(k)} = ${point(phi)} after k = ${k} inner step${k > 1 ? "s" : ""}` +
        ` of size α = ${formatNumber(result.alpha, 2)} on the support points.`,
    );
    readouts[1].set(
      `Reptile update ε (${phiAfter(k)} − θ) with ε = ${formatNumber(result.epsilon, 2)}: ` +
        `${point(rowOf(result.update, k))}, length ${formatNumber(at("update_length"))}; ` +
        `new θ = ${point(rowOf(result.theta_next, k))}.`,
    );
    const parts = [];
    if (state.firstOrder) {
      parts.push(`first-order MAML meta-gradient length ${formatNumber(at("first_order_length"))}, ` +
        `cosine ${formatNumber(at("first_order_cosine"))}`);
    }
    if (state.maml) {
      parts.push(`exact MAML meta-gradient length ${formatNumber(at("maml_length"))}, ` +
        `cosine ${formatNumber(at("maml_cosine"))}`);
    }
    readouts[2].set(parts.length
      ? `Against the Reptile update (cosine of the descent direction with it): ${parts.join("; ")}.`
      : "Switch on a MAML direction to compare it with the Reptile update.");
  }

  const computing = performance.now();
  await compute();
  timings.firstRun = performance.now() - computing;
  if (!interactive) {
    disposeAll(data);
    return null;
  }

  /** An arrow as drawn: its data end points, its user-unit end points and whether it shows. */
  function arrowState(line) {
    const [x1, y1] = line.node.dataset.from.split(",").map(Number);
    const [x2, y2] = line.node.dataset.to.split(",").map(Number);
    const shaft = line.node.querySelector("line");
    const head = line.node.querySelector("path").getAttribute("d");
    // With a head, the arrow's tip is the head's first point; without, the shaft's end.
    const tip = head ? head.slice(1).split("L")[0].split(",").map(Number)
      : [Number(shaft.getAttribute("x2")), Number(shaft.getAttribute("y2"))];
    return {
      from: [x1, y1],
      to: [x2, y2],
      start: [Number(shaft.getAttribute("x1")), Number(shaft.getAttribute("y1"))],
      shaft_end: [Number(shaft.getAttribute("x2")), Number(shaft.getAttribute("y2"))],
      tip,
      clipped: line.node.dataset.clipped === "true",
      visible: line.node.getAttribute("visibility") !== "hidden",
    };
  }

  const api = {
    /** For tests and benchmarks: the graph's last inputs and outputs, and what is drawn. */
    inspect: () => {
      const result = state.result;
      const outputs = Object.fromEntries(Object.entries(result)
        .filter(([, value]) => value instanceof Float32Array)
        .map(([name, value]) => [name, Array.from(value)]));
      return {
        dataset: settings.dataset,
        task,
        theta: result.theta,
        alpha: result.alpha,
        epsilon: result.epsilon,
        k: state.k,
        firstOrder: state.firstOrder,
        maml: state.maml,
        outputs,
        handle: [handle.x, handle.y],
        inner: map.plot.inner,
        arrows: {
          inner: arrows.inner.map(arrowState),
          toPhi: arrowState(arrows.toPhi),
          update: arrowState(arrows.update),
          firstOrder: arrowState(arrows.firstOrder),
          maml: arrowState(arrows.maml),
        },
        readouts: readouts.map((line) => line.text),
        key: [...keyHolder.querySelectorAll("li")].map((item) => item.textContent),
        timings,
      };
    },
    /** Resolves when every requested computation has been drawn. */
    idle: () => runner.idle(),
    destroy: () => {
      disposeAll(data);
      element.replaceChildren();
    },
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
