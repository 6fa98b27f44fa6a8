// Figure "sine-average": why a model trained on all sinusoid tasks at once predicts a flat cosine.
// A few tasks A sin(x + φ) of the article's task distribution are drawn thin, with their average;
// the dashed curve is the expectation over the whole distribution, E[A] · E_φ[sin(x + φ)]; and the
// pretrained model's prediction lies close to it. "Sample more waves" doubles the number of tasks
// averaged, and the average closes in on the dashed curve.
//
// Every curve comes from an exported graph. The tasks are those of the sinusoid_tasks graph (the
// trainers' own sampling from uniform draws): fed the seeded draws of lib/random.js for the
// amplitude and the phase, and a grid of query draws in [0, 1], it returns each task's curve on
// a grid of x (its query points). Fed the draws 0 and 1, the same graph tells the bounds of the
// amplitude and phase ranges, from which the expectation is computed here in closed form (the
// draws are uniform): E[A] is the middle of the amplitude range, and the mean of sin(x + φ) over
// φ uniform in [φ0, φ1] is (cos(x + φ0) - cos(x + φ1)) / (φ1 - φ0), which for [0, π] is
// (2/π) cos x. The model's prediction is the sinusoid_predict graph's.
//
// params: {model = "pretrained", count = 8 (tasks in the first frame), shown = 8 (thin curves),
//          max = 1024 (tasks at most), seed, points = 201 (grid)}
//
// mount() and picture() are one function: the static picture is the first frame without controls.

import { button, controlRow, statusLine } from "./lib/controls.js";
import { METHODS, ROLES } from "./lib/palette.js";
import { axes, clippedLayer, createPlot, curve, key } from "./lib/plot.js";
import { seededRandom } from "./lib/random.js";
import { formatNumber } from "./lib/readouts.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { model: "pretrained", count: 8, shown: 8, max: 1024, seed: 127, points: 201 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const TASKS_GRAPH = "sinusoid_tasks";
const PREDICT_GRAPH = "sinusoid_predict";
const Y_RANGE = [-5.4, 5.4];
/** The running average's colour: the page's text colour, apart from every method and role. */
const AVERAGE_COLOUR = "var(--fig-fg)";

/** The uniform draws [0, 1] of `points` query positions: the graph maps them to a grid of x. */
function gridDraws(points) {
  return Float32Array.from({ length: points }, (_, j) => j / (points - 1));
}

/** Run sinusoid_tasks on per-task draws (amplitude, phase) and the grid; one support point each. */
async function tasksOnGrid(runtime, session, amplitudeDraws, phaseDraws, grid) {
  const count = amplitudeDraws.length;
  const query = new Float32Array(count * grid.length);
  for (let t = 0; t < count; t++) query.set(grid, t * grid.length);
  return runtime.run(session, {
    amplitude_u: runtime.tensor(amplitudeDraws, [count, 1, 1]),
    phase_u: runtime.tensor(phaseDraws, [count, 1, 1]),
    support_u: runtime.tensor(new Float32Array(count).fill(0.5), [count, 1, 1]),
    query_u: runtime.tensor(query, [count, grid.length, 1]),
  });
}

/** The distribution as the graph samples it: the grid of x, the ranges, and the mean curve. */
async function distribution(runtime, session, grid) {
  const ends = await tasksOnGrid(runtime, session, Float32Array.of(0, 1), Float32Array.of(0, 1), grid);
  const xs = ends.query_x.slice(0, grid.length);
  const [a0, a1] = ends.amplitude;
  const [p0, p1] = ends.phase;
  const meanAmplitude = (a0 + a1) / 2;
  const mean = xs.map((x) => (meanAmplitude * (Math.cos(x + p0) - Math.cos(x + p1))) / (p1 - p0));
  // The mean curve is c cos(x + const); its amplitude c = E[A] · 2 sin(w/2) / w for a phase range
  // of width w, which is 2 E[A] / π for [0, π].
  const width = p1 - p0;
  const coefficient = (meanAmplitude * 2 * Math.sin(width / 2)) / width;
  return { xs, amplitudeRange: [a0, a1], phaseRange: [p0, p1], meanAmplitude, coefficient, mean };
}

/** Largest |a_j - b_j| over the grid. */
function largestGap(a, b) {
  let worst = 0;
  for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
  return worst;
}

async function load(params, runtime) {
  const options = { ...DEFAULTS, ...params };
  await runtime.loadOrt();
  const [tasks, predict, weights] = await Promise.all([
    runtime.session(TASKS_GRAPH),
    runtime.session(PREDICT_GRAPH),
    runtime.params(options.model),
  ]);
  const grid = gridDraws(options.points);
  const dist = await distribution(runtime, tasks, grid);
  const feeds = { ...weights, x: runtime.tensor(dist.xs, [dist.xs.length, 1]) };
  const prediction = (await runtime.run(predict, feeds)).y;
  return { options, tasks, grid, dist, prediction };
}

/**
 * The sampled tasks so far: the sum of their curves (for the average), the first `shown` curves,
 * and every draw fed to the graph (for the test that reruns them).
 */
class TaskSample {
  constructor(model, runtime) {
    this.model = model;
    this.runtime = runtime;
    this.random = seededRandom(model.options.seed);
    this.count = 0;
    this.sum = new Float64Array(model.grid.length);
    this.curves = [];
    this.amplitudeDraws = [];
    this.phaseDraws = [];
  }

  get average() {
    return Float32Array.from(this.sum, (s) => s / this.count);
  }

  /** Sample `count` more tasks (each task draws its amplitude, then its phase). */
  async add(count) {
    const { options, tasks, grid } = this.model;
    const amplitudeDraws = new Float32Array(count);
    const phaseDraws = new Float32Array(count);
    for (let t = 0; t < count; t++) {
      amplitudeDraws[t] = this.random();
      phaseDraws[t] = this.random();
    }
    const out = await tasksOnGrid(this.runtime, tasks, amplitudeDraws, phaseDraws, grid);
    const n = grid.length;
    for (let t = 0; t < count; t++) {
      const ys = out.query_y.subarray(t * n, (t + 1) * n);
      for (let j = 0; j < n; j++) this.sum[j] += ys[j];
      if (this.curves.length < options.shown) this.curves.push(ys.slice());
    }
    this.amplitudeDraws.push(...amplitudeDraws);
    this.phaseDraws.push(...phaseDraws);
    this.count += count;
  }
}

const two = (value) => formatNumber(value, 2);

function keyEntries(model, sample) {
  const { dist } = model;
  const shown = sample.curves.length;
  return [
    { role: "taskSample", stroke: "inner", label: shown < sample.count ? `${shown} of the sampled tasks` : "sampled tasks" },
    { color: AVERAGE_COLOUR, label: `average of ${sample.count} tasks` },
    {
      role: "trueCurve",
      stroke: "dashed",
      label: `mean over all tasks, (2·${two(dist.meanAmplitude)}/π) cos x ≈ ${two(dist.coefficient)} cos x`,
    },
    { method: "pretrained", label: `${METHODS.pretrained.label} model's prediction` },
  ];
}

function readoutText(model, sample) {
  const { dist, prediction } = model;
  return `Average of ${sample.count} tasks: at most ${two(largestGap(sample.average, dist.mean))} from the mean curve; `
    + `the pretrained model: at most ${two(largestGap(prediction, dist.mean))}.`;
}

async function build(element, params, runtime, { interactive }) {
  const model = await load(params, runtime);
  let sample = new TaskSample(model, runtime);
  await sample.add(model.options.count);
  const { dist } = model;

  element.replaceChildren();
  element.classList.add("sine-average");
  const keyBox = document.createElement("div");
  keyBox.className = "sine-average-key";
  element.append(keyBox);
  const drawKey = () => {
    keyBox.replaceChildren();
    key(keyBox, keyEntries(model, sample));
  };
  drawKey();

  const plot = createPlot({
    x: [dist.xs[0], dist.xs[dist.xs.length - 1]],
    y: Y_RANGE,
    height: 270,
    margin: { left: 40, bottom: 40 },
    label: "Sampled sine waves, their average, the mean over all tasks and the pretrained model's prediction",
  });
  axes(plot, { xlabel: "x", ylabel: "y", xticks: 5, yticks: 5 });
  const layer = clippedLayer(plot, "curves");
  const thin = layer.append("g").attr("class", "sine-average-samples");
  const averageCurve = curve(layer, plot.x, plot.y, { color: AVERAGE_COLOUR, className: "sine-average-average" });
  curve(layer, plot.x, plot.y, { role: "trueCurve", stroke: "dashed", className: "sine-average-mean" }).set(dist.xs, dist.mean);
  curve(layer, plot.x, plot.y, { method: "pretrained", className: "sine-average-prediction" }).set(dist.xs, model.prediction);
  element.append(plot.svg);

  const drawCurves = () => {
    thin.selectAll("*").remove();
    for (const ys of sample.curves) curve(thin, plot.x, plot.y, { role: "taskSample", stroke: "inner" }).set(dist.xs, ys);
    averageCurve.set(dist.xs, sample.average);
  };
  drawCurves();

  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });
  readout.set(readoutText(model, sample));
  if (!interactive) return null;

  const row = controlRow(element, { className: "figure-controls sine-average-controls" });
  let busy = Promise.resolve();
  const more = button(row, { label: `Sample ${sample.count} more tasks`, onClick: () => { busy = busy.then(grow); } });
  button(row, { label: "Start over", onClick: () => { busy = busy.then(reset); } });
  const refresh = () => {
    drawCurves();
    drawKey();
    readout.set(readoutText(model, sample));
    const full = sample.count >= model.options.max;
    more.disabled = full;
    more.textContent = full ? `${sample.count} tasks sampled` : `Sample ${sample.count} more tasks`;
  };
  async function grow() {
    await sample.add(Math.min(sample.count, model.options.max - sample.count));
    refresh();
  }
  async function reset() {
    const fresh = new TaskSample(model, runtime);
    await fresh.add(model.options.count);
    sample = fresh;
    refresh();
  }

  const api = {
    /** For tests: what is drawn, and every draw that was fed to the tasks graph. */
    inspect: () => ({
      count: sample.count,
      xs: Array.from(dist.xs),
      grid: Array.from(model.grid),
      amplitudeDraws: sample.amplitudeDraws.slice(),
      phaseDraws: sample.phaseDraws.slice(),
      average: Array.from(sample.average),
      mean: Array.from(dist.mean),
      prediction: Array.from(model.prediction),
      meanAmplitude: dist.meanAmplitude,
      coefficient: dist.coefficient,
      amplitudeRange: dist.amplitudeRange,
      phaseRange: dist.phaseRange,
      model: model.options.model,
    }),
    idle: () => busy,
    destroy: () => element.replaceChildren(),
  };
  element.figureTest = api;
  return api;
}

export const { picture, mount } = entryPoints(build);
