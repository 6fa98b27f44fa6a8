// Figure "Implicit gradient" (chapter iMAML): iMAML's meta-gradient on the two bumps tasks.
//
// Each panel is one task's plain loss L_i over the plane (bumps_landscape, computed once). For the
// shared theta (draggable, arrow keys, click or tap on a map) and lambda, bumps_inner_solve finds
// each task's proximal minimum phi_i*; bumps_implicit_cg then solves ((1 + delta) I + H_i/lambda)
// g_i = grad L_i(phi_i*) by conjugate gradient on Hessian-vector products, stopping on tolerance,
// and each task's arrow runs from theta to the graph's own theta_next. The readout gives CG's
// iterations and residual. The switch runs bumps_implicit_exact too, the undamped system solved
// directly, and draws its arrow beside CG's.
//
// The arrows are one meta-step of size beta, -beta g_i, magnified by a fixed display factor (at
// beta = 0.5 they would be a few pixels long): the graphs are given beta times that factor as
// their step size, so every arrow still ends at a point a graph returned. The thick arrow, drawn in
// both maps, is the meta-update itself: the mean of the two tasks' arrows (the mean of the two
// theta_next rows, the one sum done here).
//
// params: {grid = 41, theta = [0.35, 0.4], lam = 4 (one of toys.json's bumps.lambdas),
//          damping = 0.1 (delta, on its slider 0..1), tol = 1e-3 (CG's relative tolerance),
//          meta_step_size = 0.5 (beta), display_scale = 3 (the arrows' magnification; an arrow
//          longer than the map is cut at its edge with its length), exact = false (the switch's
//          first state), key_step = 0.01}

import { latestOnly } from "./lib/latest.js";
import { checkbox, controlRow, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { STROKES } from "./lib/palette.js";
import { arrow, curve, key } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, planeGrid } from "./lib/toys.js";
import {
  bumpsSession, bumpsToy, formatLambda, formatPoint, formatSmall, lambdaIndex, lambdaSlider, placeOnTap, runWith,
  thetaRows,
} from "./imaml-bumps.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  grid: 41, theta: [0.35, 0.4], lam: 4, damping: 0.1, tol: 1e-3, meta_step_size: 0.5, display_scale: 3, exact: false,
  key_step: 0.01,
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
/** θ and the line to ϕ⋆ are no method's: they take the figure's foreground colour. */
const NEUTRAL = "var(--fig-fg)";
const DAMPING = { min: 0, max: 1, step: 0.05 };

export const { picture, mount } = entryPoints(build);

/** The plain landscapes: bumps_landscape once (its regularised outputs are not used here). */
async function plainLandscapes(runtime, session, shared) {
  return runWith(runtime, session, shared, { theta: runtime.tensor([0, 0], [2]), lam: runtime.tensor([1], []) });
}

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  // The graphs that take a row per task are sized to the tasks, once the toy is known.
  const toyPromise = bumpsToy(runtime);
  const perTask = (name) => toyPromise.then((loaded) => bumpsSession(runtime, name, { T: loaded.tasks.length }));
  const [toy, landscapeSession, solverSession, cgSession] = await Promise.all([
    toyPromise,
    bumpsSession(runtime, "bumps_landscape"),
    perTask("bumps_inner_solve"),
    perTask("bumps_implicit_cg"),
  ]);
  // The direct solve is loaded when the switch first needs it (or at once if it starts on).
  const exactSession = () => perTask("bumps_implicit_exact");
  const n = settings.grid;
  const G = n * n;
  const T = toy.tasks.length;
  const grid = runtime.tensor(planeGrid({ a: toy.plane.x, b: toy.plane.y }, n), [G, 2]);
  const landscapes = await plainLandscapes(runtime, landscapeSession, { ...toy.tensors, grid });
  grid.dispose?.();
  const shared = toy.tensors;
  const state = {
    theta: [...settings.theta],
    lamIndex: lambdaIndex(toy.lambdas, settings.lam),
    damping: settings.damping,
    exact: Boolean(settings.exact),
    result: null,
  };

  element.replaceChildren();
  // The key above the maps, the controls right under them (on a phone they stay at the bottom of
  // the screen while the maps scroll by), then the numbers.
  const layout = document.createElement("div");
  layout.className = "imaml-figure";
  element.append(layout);
  const keyHolder = document.createElement("div");
  layout.append(keyHolder);
  const row = landscapeRow(layout);
  const controls = interactive ? controlRow(layout, { className: "figure-controls cmp-controls" }) : null;
  const scale = settings.display_scale;
  const panels = toy.tasks.map((task, i) => {
    const map = createLandscape(row, {
      x: toy.plane.x,
      y: toy.plane.y,
      xlabel: "ϕ₁",
      ylabel: "ϕ₂",
      title: `Task ${task}: loss L(ϕ), arrows ×${scale}`,
      label: `Loss landscape of task ${task}, with θ, the task's inner solution ϕ⋆, its implicit meta-gradient ` +
        "and the meta-update",
    });
    map.draw({ values: landscapes.loss_shade.subarray(i * G, (i + 1) * G), nx: n, ny: n });
    const link = curve(map.plot.layer("links"), map.plot.x, map.plot.y, { color: NEUTRAL, stroke: "reference" });
    link.node.dataset.task = task;
    const minimum = map.marker(`ϕ⋆, the inner solution of task ${task}`, { method: "imaml" });
    // Arrows from theta start inside the map; arrow() cuts one that leaves it at the edge.
    const arrows = map.plot.layer("arrows");
    const exactArrow = arrow(map.plot, arrows, { method: "imaml", stroke: "reference", width: 3, className: "imaml-exact" });
    exactArrow.node.setAttribute("visibility", "hidden");
    const cgArrow = arrow(map.plot, arrows, { method: "imaml", width: STROKES.inner.width + 0.5, className: "imaml-cg" });
    const meanArrow = arrow(map.plot, arrows, { method: "imaml", width: 4.5, className: "imaml-mean" });
    const handle = createHandle(map.plot, map.plot.layer("handles"), {
      interactive,
      x: state.theta[0],
      y: state.theta[1],
      label: `θ, the shared initialisation (task ${task} panel)`,
      color: NEUTRAL,
      step: [settings.key_step, settings.key_step],
      format: (x, y) => `ϕ₁ = ${x.toFixed(2)}, ϕ₂ = ${y.toFixed(2)}`,
      onMove: (x, y) => moveTheta([x, y], i),
    });
    if (interactive) placeOnTap(map.plot, (x, y) => moveTheta([x, y], -1));
    return { map, link, minimum, cgArrow, exactArrow, meanArrow, handle };
  });

  const readouts = toy.tasks.map(() => statusLine(layout, { className: "figure-status figure-readout", live: interactive }));
  const meanReadout = statusLine(layout, { className: "figure-status figure-readout", live: interactive });
  if (interactive) {
    lambdaSlider(controls, toy.lambdas, state.lamIndex, (index) => {
      state.lamIndex = index;
      compute.request(current());
    });
    slider(controls, {
      label: "CG damping δ",
      ...DAMPING,
      value: state.damping,
      format: (v) => v.toFixed(2),
      onInput: (v) => {
        state.damping = v;
        compute.request(current());
      },
    });
    checkbox(controls, {
      label: "Show the exact implicit gradient (direct 2 × 2 solve)",
      checked: state.exact,
      onChange: (checked) => {
        state.exact = checked;
        compute.request(current());
      },
    });
  }
  let keyShown = null;
  /** The key for what is drawn (the exact arrows only while switched on). */
  function showKey(exact) {
    if (keyShown === exact) return;
    keyShown = exact;
    keyHolder.replaceChildren();
    key(keyHolder, [
      { label: "θ", color: NEUTRAL, marker: "dot" },
      { label: "ϕ⋆, the task's inner solution", method: "imaml", marker: "cross" },
      { label: `iMAML, this task: −β g, ×${scale}`, method: "imaml", stroke: "inner" },
      { label: `iMAML meta-update: mean of both, ×${scale}`, method: "imaml" },
      ...(exact ? [{ label: "exact implicit gradient, this task", method: "imaml", stroke: "reference" }] : []),
    ]);
  }
  showKey(state.exact);

  const current = () => ({
    theta: Float32Array.from(state.theta),
    lam: toy.lambdas[state.lamIndex],
    damping: state.damping,
    exact: state.exact,
  });

  /** Solver, then CG (and the direct solve when switched on), all on the solver's phi*. */
  // phi* depends on theta and lambda only: the damping slider and the switch reuse the last solve.
  let lastSolve = { key: null, solved: null };
  const compute = latestOnly(async ({ theta, lam, damping, exact }) => {
    const started = performance.now();
    const scalar = (v) => runtime.tensor([v], []);
    const solveKey = `${theta[0]},${theta[1]},${lam}`;
    if (lastSolve.key !== solveKey) {
      const fresh = await runWith(runtime, solverSession, shared, { theta: thetaRows(runtime, theta, T), lam: scalar(lam) });
      lastSolve = { key: solveKey, solved: fresh };
    }
    const { solved } = lastSolve;
    const solvedAt = performance.now();
    const gradientInputs = () => ({
      theta: thetaRows(runtime, theta, T),
      phi: runtime.tensor(solved.phi, [T, 2]),
      lam: scalar(lam),
      // One meta-step of size beta, magnified for display (see the top of this file).
      meta_step_size: scalar(settings.meta_step_size * scale),
    });
    // CG and the direct solve are asked for together: one wait for the runtime's worker, not two.
    const [cg, direct] = await Promise.all([
      runWith(runtime, cgSession, shared, { ...gradientInputs(), damping: scalar(damping), tol: scalar(settings.tol) }),
      exact ? exactSession().then((session) => runWith(runtime, session, shared, gradientInputs())) : null,
    ]);
    const graphed = performance.now();
    show({
      theta: Array.from(theta), lam: Math.fround(lam), damping: Math.fround(damping),
      stepSize: Math.fround(settings.meta_step_size * scale), solved, cg, direct,
    });
    // For the benchmark: where one redraw's time goes.
    state.timings = { solver: solvedAt - started, gradients: graphed - solvedAt, draw: performance.now() - graphed };
  });

  function moveTheta(theta, from) {
    state.theta = theta;
    panels.forEach((panel, i) => {
      if (i !== from) panel.handle.set(theta[0], theta[1]);
    });
    compute.request(current());
    return { x: theta[0], y: theta[1] };
  }

  function show(result) {
    state.result = result;
    const { solved, cg, direct } = result;
    const [t0, t1] = result.theta;
    // The meta-update: the mean of the tasks' arrow ends (theta minus the step times the mean
    // meta-gradient).
    const mean = [0, 1].map((d) => toy.tasks.reduce((sum, _, i) => sum + cg.theta_next[2 * i + d], 0) / T);
    result.meanEnd = mean;
    showKey(Boolean(direct));
    panels.forEach((panel, i) => {
      const [p0, p1] = [solved.phi[2 * i], solved.phi[2 * i + 1]];
      panel.minimum.set(p0, p1);
      panel.link.set([t0, p0], [t1, p1]);
      panel.cgArrow.set(t0, t1, cg.theta_next[2 * i], cg.theta_next[2 * i + 1]);
      panel.meanArrow.set(t0, t1, mean[0], mean[1]);
      panel.exactArrow.node.setAttribute("visibility", direct ? "visible" : "hidden");
      if (direct) panel.exactArrow.set(t0, t1, direct.theta_next[2 * i], direct.theta_next[2 * i + 1]);
      readouts[i].set(taskReadout(i, result));
    });
    const meanGradient = [0, 1].map((d) => toy.tasks.reduce((sum, _, i) => sum + cg.gradient[2 * i + d], 0) / T);
    meanReadout.set(`Meta-update, the mean over both tasks: −β g with β = ${formatNumber(settings.meta_step_size, 2)} ` +
      `and g = ${formatPoint(meanGradient[0], meanGradient[1], 3)}; the arrows are drawn ${scale} times as long.`);
  }

  function taskReadout(i, { lam, damping, solved, cg, direct }) {
    const task = toy.tasks[i];
    const iterations = cg.iterations[i];
    const vector = (values) => formatPoint(values[2 * i], values[2 * i + 1], 3);
    const parts = [
      `Task ${task}, λ = ${formatLambda(toy.lambdas[state.lamIndex])}: ϕ⋆ = ${formatPoint(solved.phi[2 * i], solved.phi[2 * i + 1])}` +
        ` (inner gradient ${formatSmall(solved.gradient_norm[i])})`,
      `CG with δ = ${formatNumber(damping, 2)}, tol = ${formatSmall(settings.tol)}: ${iterations} iteration${iterations === 1 ? "" : "s"}, ` +
        `residual ${formatSmall(cg.residual[i])}, meta-gradient g = ${vector(cg.gradient)}`,
    ];
    if (direct) parts.push(`exact ${vector(direct.gradient)}`);
    return `${parts.join("; ")}.`;
  }

  await compute.request(current());
  if (!interactive) {
    disposeAll(shared);
    return null;
  }

  const api = {
    /** For tests and benchmarks: the graphs' last inputs and outputs, and the arrows drawn. */
    inspect: () => {
      const r = state.result;
      const list = (values) => (values ? Array.from(values) : null);
      return {
        theta: r.theta,
        lam: r.lam,
        lamIndex: state.lamIndex,
        damping: r.damping,
        tol: settings.tol,
        metaStepSize: r.stepSize,
        betaShown: settings.meta_step_size,
        displayScale: scale,
        meanEnd: r.meanEnd,
        exact: Boolean(r.direct),
        phi: list(r.solved.phi),
        gradientNorm: list(r.solved.gradient_norm),
        gradient: list(r.cg.gradient),
        iterations: list(r.cg.iterations),
        residual: list(r.cg.residual),
        thetaNext: list(r.cg.theta_next),
        exactGradient: list(r.direct?.gradient),
        exactThetaNext: list(r.direct?.theta_next),
        arrows: panels.map(({ map, cgArrow, exactArrow, meanArrow }) => ({
          inner: map.plot.inner,
          cg: endpoints(cgArrow.node),
          mean: endpoints(meanArrow.node),
          clipped: [cgArrow, meanArrow, exactArrow].some((a) => a.node.dataset.clipped === "true"),
          exact: exactArrow.node.getAttribute("visibility") === "hidden" ? null : endpoints(exactArrow.node),
        })),
        readouts: readouts.map((line) => line.text),
        meanReadout: meanReadout.text,
        timings: state.timings,
      };
    },
    idle: () => compute.idle(),
    destroy: () => {
      disposeAll(shared);
      element.replaceChildren();
    },
  };
  element.figureTest = api;
  return api;
}

/** An arrow's data end points, as drawn (lib/plot.js keeps them on the node). */
function endpoints(node) {
  const [x1, y1] = node.dataset.from.split(",").map(Number);
  const [x2, y2] = node.dataset.to.split(",").map(Number);
  return { x1, y1, x2, y2 };
}
