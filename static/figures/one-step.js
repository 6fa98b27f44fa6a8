// Figure "one-step": one inner step from a shared starting point theta on two softplus tasks.
//
// Each panel is one task's support-set landscape (line_landscape, computed once at mount). The
// reader drags theta in either panel, or moves it with the arrow keys; it is the same theta in
// both. For each theta and step size alpha the graph line_maml_step gives phi_i = theta - alpha
// grad L_i(theta), the meta-loss sum_i L_i,query(phi_i) and theta_next = theta - beta times the
// exact meta-gradient; the arrows and the numbers show exactly those outputs. "Take a MAML step"
// moves theta to theta_next, and theta's path over those steps stays drawn (until theta is
// dragged or reset). Both panels also mark the pretrained solution, the grid minimum of F_0, the
// sum of the tasks' query losses, on the grid of the accumulated-loss figure (line_landscape on
// the query points, run once at mount): the point MAML's answer is compared with.
//
// params: {dataset = "maml", grid = 41, theta = [0.8, 0.2], step_size = 0.25 (alpha, as in the
//          accumulated-loss figure), meta_step_size = 0.5 (beta), key_step = 0.01 (theta per
//          arrow key), pretrained_grid = 31 (the accumulated-loss figure's grid)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { button, controlRow, element as newElement, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { METHODS, ROLES } from "./lib/palette.js";
import { arrow, curve, dots, key } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  dataset: "maml",
  grid: 41,
  theta: [0.8, 0.2],
  step_size: 0.25,
  meta_step_size: 0.5,
  key_step: 0.01,
  pretrained_grid: 31,
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const TASK_NAMES = ["A", "B"];
const TASK_ROLES = ["taskA", "taskB"];
const ALPHA_RANGE = { min: 0.05, max: 1, step: 0.05 };
const ANIMATION_MS = 120; // pause between the steps of "take 10 steps", so the path can be followed

/** Each task's loss on an n × n grid for one split ("train": support, "test": query), T × n². */
async function taskLandscapes(runtime, session, dataset, n, split) {
  const inputs = { grid: runtime.tensor(planeGrid(dataset.plane, n), [n * n, 2]), ...sampleTensors(runtime, dataset, split) };
  try {
    return (await runtime.run(session, inputs)).loss;
  } finally {
    disposeAll(inputs);
  }
}

/**
 * The pretrained solution as the accumulated-loss figure shows it: the grid point (planeGrid's,
 * n × n) where F_0, the sum of the tasks' query losses, is smallest.
 */
function gridMinimumOfSum(losses, tasks, plane, n) {
  const G = n * n;
  const grid = planeGrid(plane, n);
  let best = 0;
  let bestValue = Infinity;
  for (let g = 0; g < G; g++) {
    let sum = 0;
    for (let i = 0; i < tasks; i++) sum += losses[i * G + g];
    if (sum < bestValue) {
      bestValue = sum;
      best = g;
    }
  }
  return [grid[2 * best], grid[2 * best + 1]];
}

/**
 * Runs line_maml_step for the latest requested (theta, alpha) only: while a run is in flight,
 * newer requests replace each other, so a fast drag never queues stale work.
 */
function createStepper(runtime, session, data, metaStepSize, onResult) {
  async function runOne({ theta, alpha }) {
    const inputs = {
      theta: runtime.tensor(theta, [2]),
      step_size: runtime.tensor([alpha], []),
      meta_step_size: runtime.tensor([metaStepSize], []),
    };
    try {
      const out = await runtime.run(session, { ...data, ...inputs });
      // Report the float32 inputs the graph actually saw, next to its outputs.
      onResult({ theta: Array.from(inputs.theta.data), alpha: inputs.step_size.data[0], ...out });
    } finally {
      disposeAll(inputs);
    }
  }
  const runner = latestOnly(runOne);
  return {
    request: (theta, alpha) => runner.request({ theta: Float32Array.from(theta), alpha }),
    idle: runner.idle,
  };
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  // Data, runtime and both graphs load in parallel (sessions wait for the runtime themselves).
  const [dataset, landscapeSession, session] = await Promise.all([
    lineDataset(runtime, settings.dataset),
    runtime.session("line_landscape"),
    runtime.session("line_maml_step"),
  ]);
  const n = settings.grid;
  const landscapes = await taskLandscapes(runtime, landscapeSession, dataset, n, "train");
  const m = settings.pretrained_grid;
  const pretrainedPoint = gridMinimumOfSum(
    await taskLandscapes(runtime, landscapeSession, dataset, m, "test"), dataset.T, dataset.plane, m);
  const data = sampleTensors(runtime, dataset, "both"); // kept for every step; released on destroy
  const domain = { x: dataset.plane.a, y: dataset.plane.b };
  const G = n * n;
  const f2 = (v) => v.toFixed(2);
  const state = { theta: [...settings.theta], alpha: settings.step_size, result: null, steps: 0, busy: false, path: [] };

  element.replaceChildren();
  const row = landscapeRow(element);
  row.classList.add("figure-one-step"); // on the row: a static picture keeps what is inside `element`
  const panels = dataset.tasks.map((task, i) => {
    const map = createLandscape(row, {
      ...domain,
      width: 280,
      height: 270,
      margin: { left: 66, bottom: 44 }, // room for 11 px tick labels and the axis label on a phone (half width)
      ticks: [0, 0.5, 1],
      title: `Task ${TASK_NAMES[i]}: support loss`,
      label: `Support-set loss landscape of task ${TASK_NAMES[i]}, with theta, the step to phi ${TASK_NAMES[i]} ` +
        "and the pretrained solution",
    });
    map.heading.style("fill", ROLES[TASK_ROLES[i]].color);
    map.draw({ values: landscapes.subarray(i * G, (i + 1) * G), nx: n, ny: n });
    map.marker(`minimum of task ${TASK_NAMES[i]} at (${task.a}, ${task.b})`, { role: "taskMinimum" }).set(task.a, task.b);
    map.marker(`the pretrained solution at (${f2(pretrainedPoint[0])}, ${f2(pretrainedPoint[1])})`, { method: "pretrained" })
      .set(...pretrainedPoint);
    const pathLayer = map.plot.layer("path");
    const path = { line: curve(pathLayer, map.plot.x, map.plot.y, { method: "maml", stroke: "inner" }), dots: pathLayer.append("g") };
    const line = arrow(map.plot, map.plot.layer("arrows"), { role: TASK_ROLES[i], stroke: "inner", width: 2 });
    line.node.dataset.task = String(i);
    const handle = createHandle(map.plot, map.plot.layer("handles"), {
      interactive,
      x: state.theta[0],
      y: state.theta[1],
      label: `θ, the shared starting point (task ${TASK_NAMES[i]} panel)`,
      color: METHODS.maml.color,
      step: [settings.key_step, settings.key_step],
      format: (a, b) => `a = ${f2(a)}, b = ${f2(b)}`,
      onMove: (a, b) => moveTheta([a, b], i),
    });
    handle.element.dataset.method = "maml";
    return { map, line, handle, path };
  });

  // Controls (page only) right under the maps, then the key and the readout of the graph's numbers.
  const controls = interactive ? controlRow(element) : null;
  const buttons = interactive ? controlRow(element) : null;
  const keyHolder = newElement("div", { className: "figure-one-step-key" }, element);
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });

  /** The key lists what is drawn: θ's path only once MAML steps were taken. */
  function drawKey() {
    keyHolder.replaceChildren();
    key(keyHolder, [
      { method: "maml", marker: "dot", label: "θ (drag it)" },
      { role: "taskA", stroke: "inner", label: "one step on task A, θ → ϕ" },
      { role: "taskB", stroke: "inner", label: "one step on task B, θ → ϕ" },
      ...(state.path.length > 1 ? [{ method: "maml", stroke: "inner", label: "θ's path under MAML steps" }] : []),
      { method: "pretrained", marker: "cross", label: "pretrained solution (minimum of F₀)" },
      { role: "taskMinimum", marker: "cross", label: "each task's minimum" },
    ]);
  }

  /** θ's path over the MAML steps taken since the last drag or reset, in both panels. */
  function drawPath() {
    const xs = state.path.map((p) => p[0]);
    const ys = state.path.map((p) => p[1]);
    for (const { map, path } of panels) {
      path.line.set(xs.length > 1 ? xs : null, ys);
      path.dots.selectAll("*").remove();
      if (xs.length > 1) dots(path.dots, xs.slice(0, -1), ys.slice(0, -1), map.plot.x, map.plot.y, { method: "maml", radius: 2 });
    }
    drawKey();
  }
  let alphaSlider = null;
  let stepButtons = [];
  if (interactive) {
    alphaSlider = slider(controls, {
      label: "Inner step size α",
      ...ALPHA_RANGE,
      value: state.alpha,
      format: (v) => v.toFixed(2),
      onInput: (v) => {
        state.alpha = v;
        stepper.request(state.theta, state.alpha);
      },
    });
    stepButtons = [
      button(buttons, { label: "Take a MAML step", onClick: () => mamlSteps(1) }),
      button(buttons, { label: "Take 10 MAML steps", onClick: () => mamlSteps(10) }),
      button(buttons, { label: "Reset", onClick: reset }),
    ];
  }

  const stepper = createStepper(runtime, session, data, settings.meta_step_size, show);

  /** A new theta from a handle (already clamped to the plane by it): mirror it, then compute. */
  function moveTheta(theta, from) {
    state.theta = theta;
    if (state.path.length) {
      state.path = [];
      drawPath();
    }
    panels.forEach((panel, i) => {
      if (i !== from) panel.handle.set(theta[0], theta[1]);
    });
    stepper.request(state.theta, state.alpha);
    return { x: theta[0], y: theta[1] };
  }

  /** Draw a graph result: arrows theta -> phi_i and the numbers, exactly as computed. */
  function show(result) {
    state.result = result;
    const [a, b] = result.theta;
    panels.forEach((panel, i) => {
      panel.line.set(a, b, result.phi[2 * i], result.phi[2 * i + 1]);
    });
    const perTask = Array.from(result.task_losses_after, (v, i) => `${v.toFixed(4)} (task ${TASK_NAMES[i]})`).join(" + ");
    readout.set(
      `θ = (${f2(a)}, ${f2(b)}), α = ${formatNumber(result.alpha, 2)}: query losses after the step ${perTask} = ` +
        `meta-loss ${result.meta_loss[0].toFixed(4)}` +
        (state.steps ? `, after ${state.steps} MAML step${state.steps > 1 ? "s" : ""} (β = ${settings.meta_step_size}).` : "."),
    );
    Object.assign(element.dataset, {
      theta: JSON.stringify(result.theta),
      metaLoss: String(result.meta_loss[0]),
    });
  }

  function setTheta(theta) {
    state.theta = theta;
    for (const panel of panels) panel.handle.set(theta[0], theta[1]);
    return stepper.request(state.theta, state.alpha);
  }

  function setBusy(busy) {
    state.busy = busy;
    for (const node of stepButtons) node.disabled = busy;
  }

  /** Move theta to the graph's theta_next, `count` times, showing each step. */
  async function mamlSteps(count) {
    if (state.busy) return;
    setBusy(true);
    try {
      for (let k = 0; k < count; k++) {
        await stepper.idle(); // theta_next must belong to the theta on screen
        state.steps += 1;
        if (!state.path.length) state.path.push(Array.from(state.result.theta));
        state.path.push(Array.from(state.result.theta_next));
        drawPath();
        await setTheta(Array.from(state.result.theta_next));
        if (k + 1 < count) await new Promise((resolve) => setTimeout(resolve, ANIMATION_MS));
      }
    } finally {
      setBusy(false);
    }
  }

  function reset() {
    state.steps = 0;
    state.path = [];
    drawPath();
    state.alpha = settings.step_size;
    alphaSlider.value = state.alpha;
    setTheta([...settings.theta]);
  }

  drawKey();
  await setTheta(state.theta);
  if (!interactive) {
    disposeAll(data);
    return null;
  }

  const api = {
    /** For tests and benchmarks: the graph's last inputs and outputs, and the arrows drawn. */
    inspect: () => ({
      theta: state.result.theta,
      alpha: state.result.alpha,
      metaStepSize: settings.meta_step_size,
      dataset: settings.dataset,
      phi: Array.from(state.result.phi),
      metaLoss: state.result.meta_loss[0],
      thetaNext: Array.from(state.result.theta_next),
      steps: state.steps,
      path: state.path.map((p) => [...p]),
      pretrained: pretrainedPoint,
      arrows: panels.map(({ map, line }) => {
        // The arrow runs from theta to phi_i: its data end points, as drawn.
        const [x1, y1] = line.node.dataset.from.split(",").map(Number);
        const [x2, y2] = line.node.dataset.to.split(",").map(Number);
        return { inner: map.plot.inner, x1: map.plot.x(x1), y1: map.plot.y(y1), x2: map.plot.x(x2), y2: map.plot.y(y2) };
      }),
    }),
    /** Resolves when every requested computation has been drawn. */
    idle: async () => {
      while (state.busy) await new Promise((resolve) => setTimeout(resolve, 10));
      await stepper.idle();
    },
    destroy: () => {
      disposeAll(data);
      element.replaceChildren();
    },
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
