// Figure "accumulated-loss": the accumulated loss F_m(theta) = sum_i L_i(U_i^(m)(theta)) of two
// line-fitting tasks over the parameter plane, for m = 0..20 fine-tuning steps, beside the two
// task landscapes, with F_m's minimum marked.
//
// The graph line_accumulated returns F_m for every m at once (and its minimising grid point), so
// it runs once at mount; the m slider then only repaints from the stored result, which keeps a
// slider move well under a frame. Axes: a along x, b along y, as in Python and the fallback.
//
// params: {dataset = "maml", grid = 31 (points per axis; the one graph run at mount grows with
//          its square, and 31 keeps a mount under a second), step_size = 0.25 (alpha of the
//          fine-tuning steps), m = 0 (initial slider position)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// slider.

import { controlRow, slider, statusLine } from "./lib/controls.js";
import { createLandscape } from "./lib/landscape.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";

const DEFAULTS = { dataset: "maml", grid: 31, step_size: 0.25, m: 0 };

/** Both graphs on the same grid and data, with every input tensor released afterwards. */
async function computeAll(runtime, settings, dataset, [accumulated, landscape]) {
  const n = settings.grid;
  const grid = planeGrid(dataset.plane, n);
  const inputs = {
    grid: runtime.tensor(grid, [n * n, 2]),
    step_size: runtime.tensor([settings.step_size], []),
    ...sampleTensors(runtime, dataset, "both"),
  };
  try {
    const started = performance.now();
    const sum = await runtime.run(accumulated, inputs);
    const accumulatedMs = performance.now() - started;
    // F_0 is the sum of the tasks' query-set losses, so the small maps show those landscapes.
    const tasks = await runtime.run(landscape, { grid: inputs.grid, x: inputs.x_test, y: inputs.y_test });
    return { n, grid, loss: sum.loss, minimum: sum.minimum, taskLoss: tasks.loss, accumulatedMs };
  } finally {
    disposeAll(inputs);
  }
}

/** The grid index of a grid point (a, b) (planeGrid's numbering), to read the value drawn there. */
function gridIndex(plane, n, a, b) {
  const at = (v, [lo, hi]) => Math.round(((v - lo) / (hi - lo)) * (n - 1));
  return at(b, plane.b) * n + at(a, plane.a);
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
  // Data, runtime and both graphs load in parallel (sessions wait for the runtime themselves).
  const [dataset, ...sessions] = await Promise.all([
    lineDataset(runtime, settings.dataset),
    // 800+ nodes (20 unrolled steps): graph optimisation would double the session's creation
    // time and save nothing on its single run.
    runtime.session("line_accumulated", { graphOptimizationLevel: "disabled" }),
    runtime.session("line_landscape"),
  ]);
  const result = await computeAll(runtime, settings, dataset, sessions);
  const { n } = result;
  const G = n * n;
  const steps = result.loss.length / G - 1; // rows of the graph's output: m = 0..steps
  const domain = { x: dataset.plane.a, y: dataset.plane.b };
  const fmt = (v) => v.toFixed(2);

  element.replaceChildren();
  // Task maps in a narrow column beside the large map; on a phone each takes the full width.
  const layout = document.createElement("div");
  Object.assign(layout.style, { display: "flex", flexWrap: "wrap", gap: "0.8rem", alignItems: "flex-start" });
  const side = document.createElement("div");
  Object.assign(side.style, { display: "grid", gap: "0.4rem", flex: "1 1 12rem", minWidth: "0" });
  layout.append(side);
  element.append(layout);
  dataset.tasks.forEach((task, i) => {
    const map = createLandscape(side, {
      ...domain,
      width: 260,
      height: 240,
      title: `Task ${i + 1}: a* = ${task.a}, b* = ${task.b}`,
      label: `Loss landscape of task ${i + 1}, with its minimum at a = ${task.a}, b = ${task.b}`,
    });
    map.draw({ values: result.taskLoss.subarray(i * G, (i + 1) * G), nx: n, ny: n });
    map.marker(`minimum of task ${i + 1}`, 2).set(task.a, task.b);
  });
  const main = createLandscape(layout, {
    ...domain,
    width: 380,
    height: 360,
    title: "Accumulated loss Fₘ after m fine-tuning steps",
    label: "Accumulated loss of both tasks after m fine-tuning steps, with its minimum",
  });
  Object.assign(main.element.style, { flex: "2 1 20rem", minWidth: "0" });
  const minimum = main.marker("minimum of the accumulated loss", 2);

  const controls = interactive ? controlRow(element) : null;
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });
  const state = { m: settings.m };

  /** Repaint for step count m from the stored graph output (no graph runs here). */
  function show(m) {
    state.m = m;
    const values = result.loss.subarray(m * G, (m + 1) * G);
    main.draw({ values, nx: n, ny: n });
    const a = result.minimum[2 * m];
    const b = result.minimum[2 * m + 1];
    const k = gridIndex(dataset.plane, n, a, b);
    minimum.set(a, b, `minimum of the accumulated loss for m = ${m} at a = ${fmt(a)}, b = ${fmt(b)}`);
    readout.set(
      `m = ${m}: Fₘ is smallest on the grid at (a, b) = (${fmt(a)}, ${fmt(b)}), where it is ` +
        `${values[k].toPrecision(3)}. Fine-tuning steps of size α = ${settings.step_size}.`,
    );
    Object.assign(element.dataset, {
      m: String(m),
      minimum: JSON.stringify([a, b]),
    });
  }

  if (interactive) {
    slider(controls, {
      label: "Fine-tuning steps m",
      min: 0,
      max: steps,
      step: 1,
      value: state.m,
      format: (m) => String(m),
      onInput: show,
    });
  }
  show(Math.min(Math.max(state.m, 0), steps));
  if (!interactive) return null;

  const api = {
    /** For tests and benchmarks: what is drawn, with the inputs it was computed from. */
    inspect: () => ({
      m: state.m,
      grid: n,
      plane: dataset.plane,
      stepSize: settings.step_size,
      dataset: settings.dataset,
      minimum: Array.from(result.minimum.subarray(2 * state.m, 2 * state.m + 2)),
      loss: Array.from(result.loss.subarray(state.m * G, (state.m + 1) * G)),
      accumulatedMs: result.accumulatedMs, // time of the one line_accumulated run at mount
    }),
    destroy: () => element.replaceChildren(),
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
