// Figure "Regularised landscapes" (chapter iMAML): the two bumps tasks with iMAML's proximal term.
//
// Each panel is one task's proximal objective F_i(phi) = L_i(phi) + lambda/2 ||phi - theta||^2
// over the plane, with theta (shared by both panels, draggable, arrow keys; a click or tap on a
// map moves it there) and the lowest point phi_i* that the inner solver finds. For each theta
// and lambda, bumps_landscape recomputes both maps and bumps_inner_solve both minima; the maps,
// the markers and the numbers are exactly those outputs.
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
import { disposeAll, planeGrid } from "./lib/toys.js";
import {
  bumpsSession, bumpsToy, formatLambda, formatPoint, lambdaIndex, lambdaSlider, placeOnTap, runWith, thetaRows,
} from "./imaml-bumps.js";

const DEFAULTS = { grid: 31, theta: [0.35, 0.4], lam: 2, key_step: 0.01 };

export async function picture(element, params, runtime) {
  await build(element, params, runtime, { interactive: false });
}

export async function mount(element, params, runtime) {
  return build(element, params, runtime, { interactive: true });
}

async function build(element, params, runtime, { interactive }) {
  const mountStarted = performance.now();
  const settings = { ...DEFAULTS, ...params };
  const [toy, landscapeSession, solverSession] = await Promise.all([
    bumpsToy(runtime),
    bumpsSession(runtime, "bumps_landscape"),
    bumpsSession(runtime, "bumps_inner_solve"),
  ]);
  const n = settings.grid;
  const G = n * n;
  const T = toy.tasks.length;
  const shared = { ...toy.tensors, grid: runtime.tensor(planeGrid({ a: toy.plane.x, b: toy.plane.y }, n), [G, 2]) };
  const state = { theta: [...settings.theta], lamIndex: lambdaIndex(toy.lambdas, settings.lam), result: null };

  element.replaceChildren();
  const row = landscapeRow(element);
  const panels = toy.tasks.map((task, i) => {
    const map = createLandscape(row, {
      x: toy.plane.x,
      y: toy.plane.y,
      xlabel: "φ₁",
      ylabel: "φ₂",
      title: `Task ${task}: L(φ) + λ/2 ‖φ − θ‖²`,
      label: `Regularised loss landscape of task ${task}, with θ and its minimum φ*`,
    });
    const minimum = map.marker(`φ*, the minimum of the regularised loss of task ${task}`, 2);
    const handle = createHandle(map.plot, map.plot.layer("handles"), {
      interactive,
      x: state.theta[0],
      y: state.theta[1],
      label: `θ, the shared anchor (task ${task} panel)`,
      series: 1,
      step: [settings.key_step, settings.key_step],
      format: (x, y) => `φ₁ = ${x.toFixed(2)}, φ₂ = ${y.toFixed(2)}`,
      onMove: (x, y) => moveTheta([x, y], i),
    });
    if (interactive) placeOnTap(map.plot, (x, y) => moveTheta([x, y], -1));
    return { map, minimum, handle };
  });

  const controls = interactive ? controlRow(element) : null;
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });
  if (interactive) {
    lambdaSlider(controls, toy.lambdas, state.lamIndex, (index) => {
      state.lamIndex = index;
      compute.request(current());
    });
  }

  const current = () => ({ theta: Float32Array.from(state.theta), lam: toy.lambdas[state.lamIndex] });

  /** Both graphs for one (theta, lambda), then the maps, markers and readout from their outputs. */
  const compute = latestOnly(async ({ theta, lam }) => {
    const started = performance.now();
    const lamTensor = () => runtime.tensor([lam], []);
    const maps = await runWith(runtime, landscapeSession, shared, { theta: runtime.tensor(theta, [2]), lam: lamTensor() });
    const mapped = performance.now();
    const solved = await runWith(runtime, solverSession, shared, { theta: thetaRows(runtime, theta, T), lam: lamTensor() });
    const graphed = performance.now();
    show({ theta: Array.from(theta), lam: Math.fround(lam), maps, solved });
    // For the benchmark: where one redraw's time goes.
    state.timings = { landscape: mapped - started, solver: graphed - mapped, draw: performance.now() - graphed };
  });

  /** A new theta from a handle or a tap (already inside the plane): mirror it, then compute. */
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
    const { maps, solved } = result;
    panels.forEach((panel, i) => {
      panel.map.draw({ values: maps.regularised_shade.subarray(i * G, (i + 1) * G), nx: n, ny: n });
      panel.minimum.set(solved.phi[2 * i], solved.phi[2 * i + 1]);
    });
    const minima = toy.tasks.map((task, i) => `task ${task} φ* = ${formatPoint(solved.phi[2 * i], solved.phi[2 * i + 1])}`);
    readout.set(`θ = ${formatPoint(...result.theta)}, λ = ${formatLambda(toy.lambdas[state.lamIndex])}: ${minima.join(", ")}.`);
  }

  const loaded = performance.now();
  await compute.request(current());
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
    }),
    idle: () => compute.idle(),
    destroy: () => {
      disposeAll(shared);
      element.replaceChildren();
    },
  };
  element.figureTest = api;
  return api;
}
