// Figure "Implicit gradient" (chapter iMAML): iMAML's meta-gradient on the two bumps tasks.
//
// Each panel is one task's plain loss L_i over the plane (bumps_landscape, computed once). For the
// shared theta (draggable, arrow keys, click or tap on a map) and lambda, bumps_inner_solve finds
// each task's proximal minimum phi_i*; bumps_implicit_cg then solves ((1 + delta) I + H_i/lambda)
// g_i = grad L_i(phi_i*) by conjugate gradient on Hessian-vector products, stopping on tolerance,
// and the arrow from theta to theta - beta g_i is the graph's own theta_next. The readout gives
// CG's iterations and residual. The switch runs bumps_implicit_exact too, the undamped system
// solved directly, and draws its arrow beside CG's. No arrow is drawn by construction: each one
// joins theta to a point a graph returned.
//
// params: {grid = 41, theta = [0.35, 0.4], lam = 4 (one of toys.json's bumps.lambdas),
//          damping = 0.1 (delta, on its slider 0..1), tol = 1e-3 (CG's relative tolerance),
//          meta_step_size = 0.5 (beta: arrow length per unit of gradient; arrows longer than the
//          map are clipped at its edge), exact = false (the switch's first state), key_step = 0.01}

import { latestOnly } from "./lib/latest.js";
import { checkbox, controlRow, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { arrow, clippedLayer, curve } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, planeGrid } from "./lib/toys.js";
import {
  bumpsSession, bumpsToy, formatLambda, formatPoint, formatSmall, lambdaIndex, lambdaSlider, placeOnTap, runWith,
  thetaRows,
} from "./imaml-bumps.js";

const DEFAULTS = {
  grid: 41, theta: [0.35, 0.4], lam: 4, damping: 0.1, tol: 1e-3, meta_step_size: 0.5, exact: false, key_step: 0.01,
};
const DAMPING = { min: 0, max: 1, step: 0.05 };

export async function picture(element, params, runtime) {
  await build(element, params, runtime, { interactive: false });
}

export async function mount(element, params, runtime) {
  return build(element, params, runtime, { interactive: true });
}

/** The plain landscapes: bumps_landscape once (its regularised outputs are not used here). */
async function plainLandscapes(runtime, session, shared) {
  return runWith(runtime, session, shared, { theta: runtime.tensor([0, 0], [2]), lam: runtime.tensor([1], []) });
}

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const [toy, landscapeSession, solverSession, cgSession] = await Promise.all([
    bumpsToy(runtime),
    bumpsSession(runtime, "bumps_landscape"),
    bumpsSession(runtime, "bumps_inner_solve"),
    bumpsSession(runtime, "bumps_implicit_cg"),
  ]);
  // The direct solve is loaded when the switch first needs it (or at once if it starts on).
  const exactSession = () => bumpsSession(runtime, "bumps_implicit_exact");
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
  const row = landscapeRow(element);
  const panels = toy.tasks.map((task, i) => {
    const map = createLandscape(row, {
      x: toy.plane.x,
      y: toy.plane.y,
      xlabel: "φ₁",
      ylabel: "φ₂",
      title: `Task ${task}: loss L(φ)`,
      label: `Loss landscape of task ${task}, with θ, the task's inner solution φ* and its implicit meta-gradient`,
    });
    map.draw({ values: landscapes.loss_shade.subarray(i * G, (i + 1) * G), nx: n, ny: n });
    const link = curve(map.plot.layer("links"), map.plot.x, map.plot.y, { series: 2, width: 1.5, dashed: true });
    link.node.dataset.task = task;
    const minimum = map.marker(`φ*, the inner solution of task ${task}`, 2);
    // Long arrows (large λ) leave the map: the clipped layer cuts them at its edge.
    const arrows = clippedLayer(map.plot, "arrows");
    const exactArrow = arrow(map.plot, arrows, { series: 4, width: 4, className: "imaml-exact" });
    exactArrow.node.setAttribute("visibility", "hidden");
    const cgArrow = arrow(map.plot, arrows, { series: 3, className: "imaml-cg" });
    const handle = createHandle(map.plot, map.plot.layer("handles"), {
      interactive,
      x: state.theta[0],
      y: state.theta[1],
      label: `θ, the shared initialisation (task ${task} panel)`,
      series: 1,
      step: [settings.key_step, settings.key_step],
      format: (x, y) => `φ₁ = ${x.toFixed(2)}, φ₂ = ${y.toFixed(2)}`,
      onMove: (x, y) => moveTheta([x, y], i),
    });
    if (interactive) placeOnTap(map.plot, (x, y) => moveTheta([x, y], -1));
    return { map, link, minimum, cgArrow, exactArrow, handle };
  });

  const controls = interactive ? controlRow(element) : null;
  const readouts = toy.tasks.map(() => statusLine(element, { className: "figure-status figure-readout", live: interactive }));
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

  const current = () => ({
    theta: Float32Array.from(state.theta),
    lam: toy.lambdas[state.lamIndex],
    damping: state.damping,
    exact: state.exact,
  });

  /** Solver, then CG (and the direct solve when switched on), all on the solver's phi*. */
  const compute = latestOnly(async ({ theta, lam, damping, exact }) => {
    const started = performance.now();
    const scalar = (v) => runtime.tensor([v], []);
    const solved = await runWith(runtime, solverSession, shared, { theta: thetaRows(runtime, theta, T), lam: scalar(lam) });
    const solvedAt = performance.now();
    const gradientInputs = () => ({
      theta: thetaRows(runtime, theta, T),
      phi: runtime.tensor(solved.phi, [T, 2]),
      lam: scalar(lam),
      meta_step_size: scalar(settings.meta_step_size),
    });
    const cg = await runWith(runtime, cgSession, shared, { ...gradientInputs(), damping: scalar(damping), tol: scalar(settings.tol) });
    const direct = exact ? await runWith(runtime, await exactSession(), shared, gradientInputs()) : null;
    const graphed = performance.now();
    show({ theta: Array.from(theta), lam: Math.fround(lam), damping: Math.fround(damping), solved, cg, direct });
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
    panels.forEach((panel, i) => {
      const [p0, p1] = [solved.phi[2 * i], solved.phi[2 * i + 1]];
      panel.minimum.set(p0, p1);
      panel.link.set([t0, p0], [t1, p1]);
      panel.cgArrow.set(t0, t1, cg.theta_next[2 * i], cg.theta_next[2 * i + 1]);
      panel.exactArrow.node.setAttribute("visibility", direct ? "visible" : "hidden");
      if (direct) panel.exactArrow.set(t0, t1, direct.theta_next[2 * i], direct.theta_next[2 * i + 1]);
      readouts[i].set(taskReadout(i, result));
    });
  }

  function taskReadout(i, { lam, damping, solved, cg, direct }) {
    const task = toy.tasks[i];
    const iterations = cg.iterations[i];
    const vector = (values) => formatPoint(values[2 * i], values[2 * i + 1], 3);
    const parts = [
      `Task ${task}, λ = ${formatLambda(toy.lambdas[state.lamIndex])}: φ* = ${formatPoint(solved.phi[2 * i], solved.phi[2 * i + 1])}` +
        ` (‖∇G‖ = ${formatSmall(solved.gradient_norm[i])})`,
      `CG with δ = ${formatNumber(damping, 2)}: ${iterations} iteration${iterations === 1 ? "" : "s"}, ` +
        `residual ${formatSmall(cg.residual[i])}, meta-gradient ${vector(cg.gradient)}`,
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
        metaStepSize: settings.meta_step_size,
        exact: Boolean(r.direct),
        phi: list(r.solved.phi),
        gradientNorm: list(r.solved.gradient_norm),
        gradient: list(r.cg.gradient),
        iterations: list(r.cg.iterations),
        residual: list(r.cg.residual),
        thetaNext: list(r.cg.theta_next),
        exactGradient: list(r.direct?.gradient),
        exactThetaNext: list(r.direct?.theta_next),
        arrows: panels.map(({ map, cgArrow, exactArrow }) => ({
          inner: map.plot.inner,
          cg: endpoints(cgArrow.node),
          exact: exactArrow.node.getAttribute("visibility") === "hidden" ? null : endpoints(exactArrow.node),
        })),
        readouts: readouts.map((line) => line.text),
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
