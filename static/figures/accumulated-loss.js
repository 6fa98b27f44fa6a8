// Figure "accumulated-loss": the accumulated loss F_k(theta) = sum_i L_i(U_i^(k)(theta)) of two
// softplus tasks over the parameter plane, for k = 0..20 fine-tuning steps, beside the two task
// landscapes, with F_k's minimum marked.
//
// The first frame, k = 0, needs only the task landscapes: F_0 is the sum of the tasks' query
// losses, which line_landscape gives on the grid (the figure sums the two rows and takes the
// grid minimum). It is drawn as soon as that small graph has run, and the figure is ready then.
// The graph line_accumulated, which returns F_k for every k at once (and its minimising grid
// points) but takes most of the mount's time to load and run, runs right after; from then on the
// k slider only repaints from its stored result, well under a frame. A slider move before that
// result arrives is kept and shown when it does. Axes: a along x, b along y, as in Python.
//
// All three maps share one log colour scale, `loss_range`, drawn as a colour bar and fixed over
// every k, so that a colour means one loss value whatever k is: F_20's minimum is about 200
// times lower than F_0's, and a map normalised on its own would hide that. On the large map,
// besides F_k's minimum, are its trail over 0..k, F_0's minimum (the pretrained solution) and the
// two tasks' minima.
//
// params: {dataset = "maml", grid = 31 (points per axis; the graph run grows with its square),
//          step_size = 0.25 (alpha of the fine-tuning steps), k = 0 (initial slider position),
//          loss_range = [0.0005, 1] (the colour scale's ends; values beyond take the end colours)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// slider (and without the line_accumulated run, which the first frame does not use).

import { controlRow, element as newElement, slider, statusLine } from "./lib/controls.js";
import { colourBar, createLandscape, logScale } from "./lib/landscape.js";
import { METHODS, ROLES } from "./lib/palette.js";
import { curve, dots, key } from "./lib/plot.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { dataset: "maml", grid: 31, step_size: 0.25, k: 0, loss_range: [0.0005, 1] };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const TASK_NAMES = ["A", "B"];
// Contour lines over the shared scale: about six per decade of loss, so that F_0, which spans
// less than one decade, still shows its shape.
const CONTOURS = 17;
const TASK_ROLES = ["taskA", "taskB"];
const SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉";
const sub = (j) => String(j).replace(/\d/g, (d) => SUBSCRIPT[Number(d)]);

/** The tasks' query-set losses on the grid (line_landscape), T × n², for the first frame. */
async function taskLandscapes(runtime, session, dataset, grid, n) {
  const inputs = { grid: runtime.tensor(grid, [n * n, 2]), ...sampleTensors(runtime, dataset, "test") };
  try {
    return (await runtime.run(session, { grid: inputs.grid, x: inputs.x, y: inputs.y })).loss;
  } finally {
    disposeAll(inputs);
  }
}

/** F_k for every k and its grid minima (line_accumulated), with the run's time. */
async function accumulatedLosses(runtime, session, settings, dataset, grid, n) {
  const inputs = {
    grid: runtime.tensor(grid, [n * n, 2]),
    step_size: runtime.tensor([settings.step_size], []),
    ...sampleTensors(runtime, dataset, "both"),
  };
  try {
    const started = performance.now();
    const out = await runtime.run(session, inputs);
    return { loss: out.loss, minimum: out.minimum, runMs: performance.now() - started };
  } finally {
    disposeAll(inputs);
  }
}

/** F_0 from the task landscapes, as the figure draws it before line_accumulated has run. */
function firstFrame(taskLoss, tasks, grid, G) {
  const loss = new Float32Array(G);
  let best = 0;
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < tasks; i++) loss[g] += taskLoss[i * G + g];
    if (loss[g] < loss[best]) best = g;
  }
  return { loss, minimum: Float32Array.of(grid[2 * best], grid[2 * best + 1]) };
}

/** The grid index of a grid point (a, b) (planeGrid's numbering), to read the value drawn there. */
function gridIndex(plane, n, a, b) {
  const at = (v, [lo, hi]) => Math.round(((v - lo) / (hi - lo)) * (n - 1));
  return at(b, plane.b) * n + at(a, plane.a);
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const started = performance.now();
  const n = settings.grid;
  const G = n * n;
  const [dataset, landscapeSession, manifest] = await Promise.all([
    lineDataset(runtime, settings.dataset),
    runtime.session("line_landscape"),
    runtime.manifest(),
  ]);
  const grid = planeGrid(dataset.plane, n);
  const taskLoss = await taskLandscapes(runtime, landscapeSession, dataset, grid, n);
  const first = firstFrame(taskLoss, dataset.T, grid, G);
  // The rows of line_accumulated's output: k = 0..steps.
  const steps = manifest.graphs.line_accumulated.outputs.find((o) => o.name === "loss").shape[0] - 1;
  const domain = { x: dataset.plane.a, y: dataset.plane.b };
  const scale = logScale(...settings.loss_range);
  const fmt = (v) => v.toFixed(2);
  // Until line_accumulated has run, only k = 0 is known (from the task landscapes).
  const data = { loss: first.loss, minimum: first.minimum, complete: false, runMs: null };
  const pointAt = (k) => [data.minimum[2 * k], data.minimum[2 * k + 1]];
  const valueAt = (k) => {
    const [a, b] = pointAt(k);
    return data.loss[k * G + gridIndex(dataset.plane, n, a, b)];
  };
  const result = { taskLoss };

  element.replaceChildren();
  const layout = newElement("div", { className: "figure-accumulated" }, element);
  // The large map with its control first (on a phone they share one screen), the tasks after.
  const main = newElement("div", { className: "figure-accumulated-main" }, layout);
  const side = newElement("div", { className: "figure-accumulated-tasks" }, layout);
  dataset.tasks.forEach((task, i) => {
    const map = createLandscape(side, {
      ...domain,
      width: 260,
      height: 250,
      title: `Task ${TASK_NAMES[i]} (${task.a}, ${task.b})`,
      ticks: [0, 0.5, 1],
      margin: { left: 66, bottom: 44 }, // room for 11 px tick labels and the axis label on a phone (half width)
      label: `Loss landscape of task ${TASK_NAMES[i]}, with its minimum at a = ${task.a}, b = ${task.b}`,
    });
    map.heading.style("fill", ROLES[TASK_ROLES[i]].color);
    map.draw({ values: result.taskLoss.subarray(i * G, (i + 1) * G), nx: n, ny: n, scale, levels: CONTOURS });
    map.marker(`minimum of task ${TASK_NAMES[i]}`, { role: "taskMinimum" }).set(task.a, task.b);
  });

  const big = createLandscape(main, {
    ...domain,
    width: 380,
    height: 360,
    title: "Accumulated loss",
    label: "Accumulated loss of both tasks after k fine-tuning steps, with its minimum and the minimum's trail",
  });
  // Reference points first, so that the minimum of F_k is drawn over them.
  dataset.tasks.forEach((task, i) => {
    big.marker(`minimum of task ${TASK_NAMES[i]}`, { role: "taskMinimum", faint: true }).set(task.a, task.b);
    const right = task.a < 0.8;
    big.plot.layer("markers").append("text").attr("class", "fig-text fig-task-label")
      .attr("x", big.plot.x(task.a) + (right ? 10 : -10)).attr("y", big.plot.y(task.b) + 4)
      .attr("text-anchor", right ? "start" : "end")
      .style("fill", ROLES[TASK_ROLES[i]].color).style("paint-order", "stroke").style("stroke", "var(--fig-bg)")
      .style("stroke-width", 3).text(TASK_NAMES[i]);
  });
  const trailLayer = big.plot.layer("trail");
  const trail = curve(trailLayer, big.plot.x, big.plot.y, { method: "maml", stroke: "inner" });
  const trailDots = trailLayer.append("g");
  const pretrained = big.marker("minimum of F₀, the pretrained solution", { method: "pretrained" });
  const minimum = big.marker("minimum of the accumulated loss", { method: "maml" });
  pretrained.set(...pointAt(0), `minimum of F₀, the pretrained solution, at a = ${fmt(pointAt(0)[0])}, b = ${fmt(pointAt(0)[1])}`);

  const controls = interactive ? controlRow(main) : null;
  const bar = colourBar(main, {
    scale,
    width: 380,
    label: "loss (log scale, the same in all three maps)",
  });
  const barMinimum = bar.mark("value at the minimum of Fₖ", { method: "maml" });
  bar.mark("value at the minimum of F₀", { method: "pretrained" }).set(valueAt(0));
  const keyHolder = newElement("div", { className: "figure-accumulated-key" }, main);
  const readout = statusLine(main, { className: "figure-status figure-readout", live: interactive });
  const state = { k: 0, keyFor: null, pending: null };

  /** The key lists what is drawn: the trail and F_0's minimum apart from F_k's only once k > 0. */
  function drawKey(k) {
    const moved = k > 0;
    if (state.keyFor === moved) return;
    state.keyFor = moved;
    keyHolder.replaceChildren();
    key(keyHolder, [
      { method: "maml", marker: "cross", label: moved ? `minimum of Fₖ` : "minimum of F₀ = minimum of Fₖ" },
      ...(moved ? [
        { method: "maml", stroke: "inner", label: "its trail from k = 0" },
        { method: "pretrained", marker: "cross", label: `minimum of F₀ (${METHODS.pretrained.label})` },
      ] : []),
      { role: "taskMinimum", marker: "cross", label: "minima of tasks A and B" },
    ]);
  }

  /** Repaint for step count k from the stored graph output (no graph runs here). */
  function show(k) {
    if (k > 0 && !data.complete) {
      state.pending = k; // drawn once line_accumulated has run
      readout.set(`Computing F₁ … F${sub(steps)} in your browser…`);
      return;
    }
    state.k = k;
    const values = data.loss.subarray(k * G, (k + 1) * G);
    big.draw({ values, nx: n, ny: n, scale, levels: CONTOURS });
    // Short enough to fit over the map on a 320 px phone at 12 px.
    big.heading.text(`F${sub(k)}: ${k} step${k === 1 ? "" : "s"} of size α = ${settings.step_size}`);
    const [a, b] = pointAt(k);
    const value = valueAt(k);
    minimum.set(a, b, `minimum of the accumulated loss for k = ${k} at a = ${fmt(a)}, b = ${fmt(b)}`);
    barMinimum.set(value, `value at the minimum of F${sub(k)}: ${value.toPrecision(3)}`);
    const path = Array.from({ length: k + 1 }, (_, j) => pointAt(j));
    trail.set(k > 0 ? path.map((p) => p[0]) : null, path.map((p) => p[1]));
    trailDots.selectAll("*").remove();
    if (k > 0) {
      dots(trailDots, path.map((p) => p[0]), path.map((p) => p[1]), big.plot.x, big.plot.y, { method: "maml", radius: 2 });
    }
    drawKey(k);
    readout.set(
      `k = ${k}: F${sub(k)} is smallest on the grid at (a, b) = (${fmt(a)}, ${fmt(b)}), where it is ` +
        `${value.toPrecision(3)}` + (k > 0 ? ` (F₀'s minimum: ${valueAt(0).toPrecision(3)}).` : "."),
    );
    Object.assign(element.dataset, {
      k: String(k),
      minimum: JSON.stringify([a, b]),
    });
  }

  if (interactive) {
    const { input } = slider(controls, {
      label: "Fine-tuning steps k",
      min: 0,
      max: steps,
      step: 1,
      value: state.k,
      format: (k) => String(k),
      onInput: show,
    });
    // Tick marks at every step count.
    const ticks = newElement("datalist", { id: `${input.id}-ticks` }, controls);
    for (let k = 0; k <= steps; k++) newElement("option", { value: k }, ticks);
    input.setAttribute("list", ticks.id);
  }
  show(0);
  if (!interactive) return null;
  const mountMs = { firstFrame: performance.now() - started, rest: null };

  // F_k for k = 1..steps: the large graph, after the first frame is on screen.
  const complete = (async () => {
    try {
      // Created only now: this one (800+ nodes, 20 unrolled steps) would hold up the first frame.
      // Graph optimisation would double its creation time and save nothing on its single run;
      // known sizes cut it by more than half.
      const dims = { G: n * n, T: dataset.T, N: dataset.N };
      const session = await runtime.session("line_accumulated", { graphOptimizationLevel: "disabled", dims });
      const out = await accumulatedLosses(runtime, session, settings, dataset, grid, n);
      Object.assign(data, out, { complete: true });
      mountMs.rest = performance.now() - started;
      const k = Math.min(Math.max(state.pending ?? settings.k, 0), steps);
      state.pending = null;
      show(k);
    } catch (error) {
      console.warn("accumulated-loss: F_k could not be computed", error);
      readout.set(`F₁ … F${sub(steps)} could not be computed in this browser; the map shows F₀.`);
    }
  })();

  const api = {
    /** For tests and benchmarks: what is drawn, with the inputs it was computed from. */
    inspect: () => ({
      k: state.k,
      grid: n,
      plane: dataset.plane,
      stepSize: settings.step_size,
      dataset: settings.dataset,
      minimum: Array.from(data.minimum.subarray(2 * state.k, 2 * state.k + 2)),
      trail: Array.from({ length: state.k + 1 }, (_, j) => pointAt(j)),
      loss: Array.from(data.loss.subarray(state.k * G, (state.k + 1) * G)),
      scale: [scale.lo, scale.hi],
      complete: data.complete,
      accumulatedMs: data.runMs, // time of the one line_accumulated run
      mountMs, // first frame (mount) and the rest (line_accumulated loaded and run), from the start
    }),
    /** Resolves once F_k is known for every k (line_accumulated has run). */
    idle: () => complete,
    destroy: () => element.replaceChildren(),
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
