// Shared by the iMAML figures (imaml-regularised.js, imaml-implicit-gradient.js): the bumps toy's
// data from models/toys.json as the tensors the bumps_* graphs take, the lambda slider, and a
// runner that computes only the latest request (lib/latest.js).
//
// The bumps graphs work on rows: row i pairs an anchor theta with task i's centres, so both tasks
// are solved by one call. Nothing here computes a number the figures show: that is the graphs' job.

import { slider } from "./lib/controls.js";
import { clampToDomain } from "./lib/plot.js";
import { formatNumber } from "./lib/readouts.js";
import { disposeAll, loadToys } from "./lib/toys.js";

/**
 * The bumps toy: {tasks: ["A", "B"], plane: {x, y}, lambdas: [λ…] (the log slider's values, as
 * the trainers wrote them), tensors: {centres (T × 4 × 2), weights (4)}}. The caller disposes the
 * tensors with disposeAll(toy.tensors).
 */
export async function bumpsToy(runtime) {
  const toys = await loadToys(runtime);
  const bumps = toys.bumps;
  if (!bumps?.centres || !bumps.lambdas || !bumps.plane) throw new Error("models/toys.json has no bumps toy");
  await runtime.loadOrt();
  const tasks = Object.keys(bumps.centres);
  const centres = tasks.flatMap((task) => bumps.centres[task].flat());
  return {
    tasks,
    plane: bumps.plane,
    lambdas: bumps.lambdas,
    tensors: {
      centres: runtime.tensor(centres, [tasks.length, bumps.weights.length, 2]),
      weights: runtime.tensor(bumps.weights, [bumps.weights.length]),
    },
  };
}

/**
 * The session of a bumps graph. Graph optimisation is off: onnxruntime-web then loads these
 * graphs several times faster (the inner solver's most of all), and runs them as fast. `dims`,
 * e.g. {T: number of tasks}, sizes it to what the figure feeds, which halves the inner solver's
 * creation again (Node: 99 -> 43 ms).
 */
export function bumpsSession(runtime, name, dims = undefined) {
  return runtime.session(name, { graphOptimizationLevel: "disabled", ...(dims && { dims }) });
}

/** theta repeated once per task: the `theta` rows of the solver and gradient graphs. */
export function thetaRows(runtime, theta, count) {
  const rows = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) rows.set(theta, 2 * i);
  return runtime.tensor(rows, [count, 2]);
}

/**
 * Run `session` on the shared tensors it takes plus per-call ones (released after the call);
 * onnxruntime-web rejects inputs a graph does not declare, so the shared ones are picked by name.
 */
export async function runWith(runtime, session, shared, fresh) {
  const feeds = Object.fromEntries(session.inputNames.filter((name) => name in shared).map((name) => [name, shared[name]]));
  try {
    return await runtime.run(session, { ...feeds, ...fresh });
  } finally {
    disposeAll(fresh);
  }
}

/** λ as the slider prints it (the values are a round series: 0.1, 0.125, …, 100). */
export function formatLambda(value) {
  return String(Number(value.toPrecision(3)));
}

/** The index of `lam` in the slider's values; a value that is not one of them is an error. */
export function lambdaIndex(lambdas, lam) {
  const index = lambdas.findIndex((value) => Math.abs(value - lam) <= 1e-9 * Math.max(1, lam));
  if (index < 0) throw new Error(`lambda ${lam} is not a value of the slider (${lambdas.join(", ")})`);
  return index;
}

/** The log-scale λ slider: its positions are the indices of the series, ten a decade. */
export function lambdaSlider(parent, lambdas, index, onIndex) {
  return slider(parent, {
    label: "Proximal strength λ (log scale)",
    min: 0,
    max: lambdas.length - 1,
    step: 1,
    value: index,
    format: (i) => `λ = ${formatLambda(lambdas[i])}`,
    onInput: onIndex,
  });
}

/** A point as the readouts print it: "(0.41, −0.20)". */
export function formatPoint(x, y, digits = 2) {
  return `(${formatNumber(x, digits)}, ${formatNumber(y, digits)})`;
}

/** A small positive number in scientific notation with a true minus sign: "3.1 × 10⁻⁸". */
export function formatSmall(value) {
  if (value === 0) return "0";
  const [mantissa, exponent] = value.toExponential(1).split("e");
  const superscript = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const power = [...String(Number(exponent))].map((c) => superscript[c]).join("");
  return Number(exponent) === 0 ? mantissa : `${mantissa} × 10${power}`;
}

/**
 * A click or a tap on the plot's inner area calls onPlace(x, y) with that point in data units
 * (so a reader on a phone can put theta somewhere without dragging). Clicks on a handle never
 * reach the plot: the handle stops them.
 */
export function placeOnTap(plot, onPlace) {
  plot.svg.addEventListener("click", (event) => {
    const matrix = plot.svg.getScreenCTM?.();
    if (!matrix) return;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    const { left, right, top, bottom } = plot.inner;
    if (point.x < left || point.x > right || point.y < top || point.y > bottom) return;
    onPlace(clampToDomain(plot.x, plot.x.invert(point.x)), clampToDomain(plot.y, plot.y.invert(point.y)));
  });
}
