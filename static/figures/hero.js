// Figure "hero" (the index page): MAML's idea in one picture.
//
// Four small regression tasks (toys.json's "comparison" softplus tasks) have their best
// parameters, the crosses, spread over a two-parameter plane. MAML looks for one starting point θ
// from which a single gradient step on each task's support points (the thin arrows θ → ϕ_i)
// lands close to that task's best parameters. Every arrow is an output of the exported graph
// line_maml_step: the inner steps ϕ_i and the meta-update θ → θ_next (the thick arrow).
//
// The first frame already shows the outcome: the path of θ under repeated meta-updates from a
// poor start, and the one-step arrows from where it settles, which is far from the pretrained
// point (the lowest mean loss without adaptation, from line_mean_landscape on a grid): θ is a poor
// model in itself, and one step away from every task. The reader drags θ (or moves it
// with the arrow keys) and sees the arrows follow; "Run MAML from here" replays the meta-updates
// from the dragged point, animated unless the reader prefers reduced motion.
//
// params: {dataset = "comparison", start = [0.3, 0.75], step_size = 0.75 (α),
//          meta_step_size = 0.5 (β), steps = 30 (meta-updates in the path), grid = 41 (for the
//          pretrained point), key_step = 0.01}

import { button, controlRow, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { latestOnly } from "./lib/latest.js";
import { METHODS } from "./lib/palette.js";
import { arrow, createPlot, curve, fmt, key } from "./lib/plot.js";
import { disposeAll, lineDataset, planeGrid, sampleTensors } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { dataset: "comparison", start: [0.3, 0.75], step_size: 0.75, meta_step_size: 0.5, steps: 30, grid: 41, key_step: 0.01 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const DOMAIN = { x: [-0.08, 1.08], y: [-0.08, 0.86] };
const FRAME_MS = 160; // between animated meta-updates: slow enough to follow the path

export const { picture, mount } = entryPoints(build);

/** line_maml_step at θ with inner step size `alpha`. */
async function runStep(runtime, session, data, theta, alpha, beta) {
  const inputs = {
    theta: runtime.tensor(Float32Array.from(theta), [2]),
    step_size: runtime.tensor([alpha], []),
    meta_step_size: runtime.tensor([beta], []),
  };
  try {
    return { theta: Array.from(inputs.theta.data), ...(await runtime.run(session, { ...data, ...inputs })) };
  } finally {
    disposeAll(inputs);
  }
}

/**
 * One meta-step at θ: {theta, phi: [[a, b] per task], thetaNext, metaLoss (mean query loss after
 * one step), lossBefore (the same loss at θ itself, a step of size 0)}.
 */
async function metaStep(runtime, session, data, theta, settings) {
  // One run at a time: a session runs one graph call at once.
  const out = await runStep(runtime, session, data, theta, settings.step_size, settings.meta_step_size);
  const unadapted = await runStep(runtime, session, data, theta, 0, settings.meta_step_size);
  const phi = [];
  for (let i = 0; i < out.phi.length; i += 2) phi.push([out.phi[i], out.phi[i + 1]]);
  return { theta: out.theta, phi, thetaNext: Array.from(out.theta_next), metaLoss: out.meta_loss[0], lossBefore: unadapted.meta_loss[0] };
}

/** The pretrained point: the lowest mean loss of the tasks' points on an n × n grid. */
async function pretrainedPoint(runtime, dataset, n) {
  const session = await runtime.session("line_mean_landscape");
  const grid = planeGrid(dataset.plane, n);
  const inputs = { grid: runtime.tensor(grid, [n * n, 2]), ...sampleTensors(runtime, dataset, "train") };
  try {
    const { loss } = await runtime.run(session, inputs);
    let best = 0;
    for (let k = 1; k < loss.length; k++) if (loss[k] < loss[best]) best = k;
    return [grid[2 * best], grid[2 * best + 1]];
  } finally {
    disposeAll(inputs);
  }
}

/** The path of θ under `steps` meta-updates from `start`: the steps' results, the last one at the end. */
async function metaPath(runtime, session, data, start, settings) {
  const results = [await metaStep(runtime, session, data, start, settings)];
  for (let s = 0; s < settings.steps; s++) {
    results.push(await metaStep(runtime, session, data, results.at(-1).thetaNext, settings));
  }
  return results;
}

async function build(container, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const [dataset, session] = await Promise.all([lineDataset(runtime, settings.dataset), runtime.session("line_maml_step")]);
  const data = sampleTensors(runtime, dataset, "both");
  const [path, pretrained] = await Promise.all([
    metaPath(runtime, session, data, settings.start, settings),
    pretrainedPoint(runtime, dataset, settings.grid),
  ]);
  const f2 = (v) => v.toFixed(2);

  // An inner element carries the layout class: the build inlines the container's contents only.
  const element = document.createElement("div");
  element.className = "hero-figure";
  container.replaceChildren(element);
  const plot = createPlot({
    width: 640, height: 400, margin: { top: 8, right: 8, bottom: 8, left: 8 }, ...DOMAIN,
    label: "The plane of a model's two parameters, with four tasks' best parameters, the starting point θ, one step from θ towards each task, and the meta-update of θ",
    role: "group", // it holds θ's handle, which takes focus: not an image
  });
  element.append(plot.svg);
  plot.root.append("rect").attr("class", "fig-axis").attr("x", plot.inner.left).attr("y", plot.inner.top)
    .attr("width", plot.inner.width).attr("height", plot.inner.height).attr("fill", "none").attr("rx", 6);

  // Task minima: crosses, each labelled with its task's number.
  const minima = plot.layer("minima");
  dataset.tasks.forEach((task, i) => {
    const [x, y] = [plot.x(task.a), plot.y(task.b)];
    const g = minima.append("g").attr("data-role", "taskMinimum").attr("class", "hero-minimum");
    g.append("path").attr("d", `M${fmt(x - 7)},${fmt(y - 7)}L${fmt(x + 7)},${fmt(y + 7)}M${fmt(x + 7)},${fmt(y - 7)}L${fmt(x - 7)},${fmt(y + 7)}`)
      .attr("stroke-width", 6).style("stroke", "var(--fig-bg)");
    g.append("path").attr("d", `M${fmt(x - 7)},${fmt(y - 7)}L${fmt(x + 7)},${fmt(y + 7)}M${fmt(x + 7)},${fmt(y - 7)}L${fmt(x - 7)},${fmt(y + 7)}`)
      .attr("stroke-width", 2.5).style("stroke", "var(--task-min)");
    g.append("text").attr("class", "fig-text").attr("x", fmt(x)).attr("y", fmt(y - 12)).attr("text-anchor", "middle")
      .style("paint-order", "stroke").style("stroke", "var(--fig-bg)").style("stroke-width", 3).text(`task ${i + 1}`);
  });

  // The pretrained point, for contrast.
  const [px, py] = [plot.x(pretrained[0]), plot.y(pretrained[1])];
  const pre = plot.layer("minima").append("g").attr("class", "hero-pretrained");
  pre.append("circle").attr("cx", fmt(px)).attr("cy", fmt(py)).attr("r", 6).attr("data-method", "pretrained")
    .style("fill", METHODS.pretrained.color).style("stroke", "var(--fig-bg)").attr("stroke-width", 2);
  pre.append("text").attr("class", "fig-text").attr("x", fmt(px)).attr("y", fmt(py + 20)).attr("text-anchor", "middle")
    .style("paint-order", "stroke").style("stroke", "var(--fig-bg)").style("stroke-width", 3).text("pretrained");

  // θ's path under the meta-updates, its start, then the arrows from the current θ.
  const trail = curve(plot.layer("trail"), plot.x, plot.y, { method: "maml", stroke: "reference" });
  const startDot = plot.layer("trail").append("circle").attr("r", 4).attr("data-method", "maml")
    .style("fill", "none").style("stroke", METHODS.maml.color).attr("stroke-width", 1.5);
  const arrows = plot.layer("arrows");
  const inner = dataset.tasks.map(() => arrow(plot, arrows, { method: "maml", stroke: "inner", width: 1.5 }));
  const update = arrow(plot, arrows, { method: "maml", width: 3.5, className: "hero-meta-update" });

  const status = statusLine(element, { className: "figure-status figure-readout", live: interactive });
  const state = { current: path.at(-1), trail: path.map((r) => r.theta) };

  function draw() {
    const { theta, phi, thetaNext, metaLoss, lossBefore } = state.current;
    trail.set(state.trail.map((t) => t[0]), state.trail.map((t) => t[1]));
    startDot.attr("cx", fmt(plot.x(state.trail[0][0]))).attr("cy", fmt(plot.y(state.trail[0][1])));
    phi.forEach(([a, b], i) => inner[i].set(theta[0], theta[1], a, b));
    update.set(theta[0], theta[1], thetaNext[0], thetaNext[1]);
    handle.set(theta[0], theta[1]);
    status.set(`θ = (${f2(theta[0])}, ${f2(theta[1])}). Mean loss on the tasks' query points: `
      + `${lossBefore.toFixed(3)} at θ itself, ${metaLoss.toFixed(3)} after one step on each task.`);
  }

  const show = latestOnly(async (theta) => {
    state.current = await metaStep(runtime, session, data, theta, settings);
    state.trail = [theta];
    draw();
  });
  // The same point in the picture and on the page; only the page's takes input.
  const handle = createHandle(plot, plot.layer("handles"), {
    interactive, x: state.current.theta[0], y: state.current.theta[1], color: METHODS.maml.color,
    label: "θ, the shared starting point", step: [settings.key_step, settings.key_step],
    format: (a, b) => `a = ${f2(a)}, b = ${f2(b)}`,
    onMove: (a, b) => { playing += 1; show.request([a, b]); },
  });
  let playing = 0; // the id of the latest animated run; a newer run or a drag ends an older one
  if (interactive) {
    const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    const controls = controlRow(element);
    button(controls, {
      label: "Run MAML from here",
      onClick: async () => {
        const run = ++playing;
        await show.idle();
        const from = state.current.theta;
        const steps = await metaPath(runtime, session, data, from, settings);
        if (reducedMotion) {
          state.trail = steps.map((r) => r.theta);
          state.current = steps.at(-1);
          draw();
          return;
        }
        for (let s = 0; s < steps.length && run === playing; s++) {
          state.trail = steps.slice(0, s + 1).map((r) => r.theta);
          state.current = steps[s];
          draw();
          await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
        }
      },
    });
    button(controls, {
      label: "Start again",
      onClick: () => {
        playing += 1;
        state.current = path.at(-1);
        state.trail = path.map((r) => r.theta);
        draw();
      },
    });
  }
  key(element, [
    { method: "maml", label: "θ, the starting point MAML learns", marker: "dot" },
    { method: "maml", stroke: "inner", label: "one gradient step on each task" },
    { method: "maml", label: "the meta-update of θ (none once θ has settled)" },
    { method: "maml", stroke: "reference", label: "θ's path from a poor start" },
    { role: "taskMinimum", marker: "cross", label: "each task's best parameters" },
    { method: "pretrained", marker: "dot", label: "pretrained: lowest mean loss, no adaptation" },
  ]);
  draw();
}
