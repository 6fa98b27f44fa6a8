// Figure "Regularised landscapes" (chapter iMAML): the two bumps tasks with iMAML's proximal term.
//
// Each panel is one task's proximal objective F_i(phi) = L_i(phi) + lambda/2 ||phi - theta||^2
// over the plane, with theta (shared by both panels, draggable, arrow keys; a click or tap on a
// map moves it there) and the lowest point phi_i* that the inner solver finds. For each theta
// and lambda, bumps_landscape recomputes both maps and bumps_inner_solve both minima; the maps,
// the markers and the numbers are exactly those outputs.
//
// A trail of dots shows where phi* lies, for the same theta, at every fifth value of the lambda
// slider (0.1, 0.32, 1, ..., 100): from the task's own valley to theta, and the jump between
// valleys where there is one. It depends on theta alone, so lambda never recomputes it; after a
// move of theta it is hidden and recomputed (bumps_inner_solve once per lambda) once theta has
// rested for TRAIL_DELAY_MS, so that a drag stays as fast as without it.
//
// params: {grid = 31 (points a side), theta = [0.35, 0.4], lam = 2 (one of toys.json's
//          bumps.lambdas, the slider's values), key_step = 0.01 (theta per arrow key)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { controlRow, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { curve, dots, key } from "./lib/plot.js";
import { disposeAll, planeGrid } from "./lib/toys.js";
import {
  bumpsSession, bumpsToy, formatLambda, formatPoint, lambdaIndex, lambdaSlider, placeOnTap, runWith, thetaRows,
} from "./imaml-bumps.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { grid: 31, theta: [0.35, 0.4], lam: 2, key_step: 0.01 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
/** θ is no method's: it takes the figure's foreground colour. */
const NEUTRAL = "var(--fig-fg)";
/** The trail's λ: every TRAIL_EVERY-th value of the slider. */
const TRAIL_EVERY = 5;
const TRAIL_DELAY_MS = 250;

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const mountStarted = performance.now();
  const settings = { ...DEFAULTS, ...params };
  const toyPromise = bumpsToy(runtime);
  const [toy, landscapeSession, solverSession] = await Promise.all([
    toyPromise,
    bumpsSession(runtime, "bumps_landscape"),
    toyPromise.then((loaded) => bumpsSession(runtime, "bumps_inner_solve", { T: loaded.tasks.length })),
  ]);
  const n = settings.grid;
  const G = n * n;
  const T = toy.tasks.length;
  const shared = { ...toy.tensors, grid: runtime.tensor(planeGrid({ a: toy.plane.x, b: toy.plane.y }, n), [G, 2]) };
  const state = { theta: [...settings.theta], lamIndex: lambdaIndex(toy.lambdas, settings.lam), result: null };

  element.replaceChildren();
  // The key above the maps, the λ slider right under them (on a phone it stays at the bottom of
  // the screen while the maps scroll by), then the numbers.
  const layout = document.createElement("div");
  layout.className = "imaml-figure";
  element.append(layout);
  const trailLambdas = toy.lambdas.filter((_, i) => i % TRAIL_EVERY === 0);
  key(layout, [
    { label: "θ, the anchor", color: NEUTRAL, marker: "dot" },
    { label: "ϕ⋆, the lowest point of the map", method: "imaml", marker: "cross" },
    {
      label: `ϕ⋆ for λ = ${trailLambdas.map(formatLambda).join(", ")}`,
      method: "imaml",
      marker: "dot",
    },
  ]);
  const row = landscapeRow(layout);
  const controls = interactive ? controlRow(layout, { className: "figure-controls cmp-controls" }) : null;
  const panels = toy.tasks.map((task, i) => {
    const map = createLandscape(row, {
      x: toy.plane.x,
      y: toy.plane.y,
      xlabel: "ϕ₁",
      ylabel: "ϕ₂",
      title: `Task ${task}: L(ϕ) + λ/2 ‖ϕ − θ‖²`,
      label: `Regularised loss landscape of task ${task}, with θ and its minimum ϕ⋆`,
    });
    const trailLayer = map.plot.layer("trail");
    const trailLine = curve(trailLayer, map.plot.x, map.plot.y, { method: "imaml", stroke: "reference" });
    const minimum = map.marker(`ϕ⋆, the minimum of the regularised loss of task ${task}`, { method: "imaml" });
    const handle = createHandle(map.plot, map.plot.layer("handles"), {
      interactive,
      x: state.theta[0],
      y: state.theta[1],
      label: `θ, the shared anchor (task ${task} panel)`,
      color: NEUTRAL,
      step: [settings.key_step, settings.key_step],
      format: (x, y) => `ϕ₁ = ${x.toFixed(2)}, ϕ₂ = ${y.toFixed(2)}`,
      onMove: (x, y) => moveTheta([x, y], i),
    });
    if (interactive) placeOnTap(map.plot, (x, y) => moveTheta([x, y], -1));
    return { map, minimum, handle, trailLayer, trailLine, trailDots: null };
  });

  const readout = statusLine(layout, { className: "figure-status figure-readout", live: interactive });
  if (interactive) {
    lambdaSlider(controls, toy.lambdas, state.lamIndex, (index) => {
      state.lamIndex = index;
      compute.request(current());
    });
  }

  const current = () => ({ theta: Float32Array.from(state.theta), lam: toy.lambdas[state.lamIndex] });

  // The runtime runs graphs one at a time, in the order they are asked for; the trail asks for
  // one run at a time, so a frame's runs never wait behind more than one of the trail's.

  /** Both graphs for one (theta, lambda), then the maps, markers and readout from their outputs. */
  const compute = latestOnly(async ({ theta, lam }) => {
    const started = performance.now();
    const lamTensor = () => runtime.tensor([lam], []);
    // Both runs are asked for at once: they cross to the runtime's worker together and run back
    // to back there, instead of the second waiting for the first's reply.
    let mapped = started;
    const mapping = runWith(runtime, landscapeSession, shared, { theta: runtime.tensor(theta, [2]), lam: lamTensor() })
      .then((maps) => ((mapped = performance.now()), maps));
    const solving = runWith(runtime, solverSession, shared, { theta: thetaRows(runtime, theta, T), lam: lamTensor() });
    const [maps, solved] = await Promise.all([mapping, solving]);
    const graphed = performance.now();
    show({ theta: Array.from(theta), lam: Math.fround(lam), maps, solved });
    // For the benchmark: where one redraw's time goes.
    state.timings = { landscape: mapped - started, solver: graphed - mapped, draw: performance.now() - graphed };
  });

  /** phi* at every trail lambda for one theta (the solver once per lambda), then the dots. */
  const trail = latestOnly(async (theta) => {
    const moved = () => Array.from(theta).some((v, d) => Math.fround(state.theta[d]) !== v);
    const points = [];
    for (const lam of trailLambdas) {
      if (moved()) return; // a newer theta has its own trail coming
      const solved = await runWith(runtime, solverSession, shared, { theta: thetaRows(runtime, theta, T), lam: runtime.tensor([lam], []) });
      points.push(Array.from(solved.phi));
    }
    if (moved()) return;
    state.trail = { theta: Array.from(theta), lambdas: trailLambdas.map(Math.fround), points };
    panels.forEach((panel, i) => {
      const xs = points.map((phi) => phi[2 * i]);
      const ys = points.map((phi) => phi[2 * i + 1]);
      panel.trailLine.set(xs, ys);
      panel.trailDots?.remove();
      panel.trailDots = dots(panel.trailLayer, xs, ys, panel.map.plot.x, panel.map.plot.y, { radius: 3, method: "imaml" });
      panel.trailLayer.attr("visibility", null);
    });
  });
  let trailTimer = null;
  let trailWaiting = null; // resolves when the scheduled trail has been drawn
  /** Hide the trail and recompute it once theta has rested. */
  function scheduleTrail() {
    state.trail = null;
    panels.forEach((panel) => panel.trailLayer.attr("visibility", "hidden"));
    clearTimeout(trailTimer);
    let done;
    const waiting = trailWaiting ?? new Promise((resolve) => { done = resolve; });
    if (!trailWaiting) waiting.done = done;
    trailWaiting = waiting;
    trailTimer = setTimeout(() => {
      trailWaiting = null;
      trail.request(Float32Array.from(state.theta)).then(waiting.done, waiting.done);
    }, TRAIL_DELAY_MS);
  }

  /** A new theta from a handle or a tap (already inside the plane): mirror it, then compute. */
  function moveTheta(theta, from) {
    state.theta = theta;
    panels.forEach((panel, i) => {
      if (i !== from) panel.handle.set(theta[0], theta[1]);
    });
    scheduleTrail();
    compute.request(current());
    return { x: theta[0], y: theta[1] };
  }

  function show(result) {
    state.result = result;
    const { maps, solved } = result;
    panels.forEach((panel, i) => {
      panel.map.draw({ values: maps.regularised_shade.subarray(i * G, (i + 1) * G), nx: n, ny: n });
      panel.minimum.set(solved.phi[2 * i], solved.phi[2 * i + 1]);
    });
    const minima = toy.tasks.map((task, i) => `task ${task} ϕ⋆ = ${formatPoint(solved.phi[2 * i], solved.phi[2 * i + 1])}`);
    readout.set(`θ = ${formatPoint(...result.theta)}, λ = ${formatLambda(toy.lambdas[state.lamIndex])}: ${minima.join(", ")}.`);
  }

  const loaded = performance.now();
  await Promise.all([compute.request(current()), trail.request(Float32Array.from(state.theta))]);
  if (!interactive) {
    disposeAll(shared);
    return null;
  }
  state.mountMs = { load: loaded - mountStarted, firstFrame: performance.now() - loaded };

  const api = {
    /** For tests and benchmarks: the graphs' last inputs and outputs. */
    inspect: () => ({
      grid: n,
      theta: state.result.theta,
      lam: state.result.lam,
      lamIndex: state.lamIndex,
      regularised: Array.from(state.result.maps.regularised),
      phi: Array.from(state.result.solved.phi),
      objective: Array.from(state.result.solved.objective),
      markers: panels.map(({ map, minimum }) => {
        const [x, y] = minimum.element.getAttribute("transform").match(/[-\d.]+/g).map(Number);
        return { inner: map.plot.inner, x, y };
      }),
      readout: readout.text,
      timings: state.timings,
      mountMs: state.mountMs,
      trail: state.trail,
      trailDrawn: panels.map(({ trailDots }) => [...(trailDots?.node().querySelectorAll("circle") ?? [])]
        .map((c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))])),
    }),
    idle: () => compute.idle(),
    /** Resolves once the trail for the current theta is drawn (it waits for theta to rest). */
    trailIdle: async () => {
      await compute.idle();
      while (trailWaiting) await trailWaiting;
      await trail.idle();
    },
    destroy: () => {
      disposeAll(shared);
      element.replaceChildren();
    },
  };
  element.figureTest = api;
  return api;
}
