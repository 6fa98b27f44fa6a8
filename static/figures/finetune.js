// Figures "Fine-tune the pretrained model" and "Fine-tune the MAML model" (chapter How MAML works).
//
// The reader chooses a target sinusoid (amplitude and phase), places support samples on it, and
// fine-tunes the network from its starting parameters with plain SGD, one exported-graph call per
// step, watching the prediction and the MSE against the true curve after every step, beside the
// model's mean MSE over the evaluation's tasks. With `compare`, a second model can be fine-tuned
// on the same samples alongside.
//
// params: {model: a model of the manifest (pretrained, maml, fomaml, reptile, imaml),
//          compare: null | another model, amplitude, phase,
//          samples: [x…] (initial support positions), steps (initial number of steps),
//          preview_steps (steps already taken when the figure opens; 0, the default, opens on
//          the model not fine-tuned yet, so the reader can guess before pressing the button),
//          step_size (alpha, 0.01), max_samples (10), seed (for "random samples"),
//          weights: parameters handed over by another figure instead of a manifest model, as
//                   {name: {data: Float32Array | number[], dims: number[]}} for w1 b1 … b3 (the
//                   figure "Meta-train in your browser" mounts this one with what it trained);
//                   `model` is then not loaded, and `label` names the model in the key and
//                   readouts (default: the manifest model's name),
//          method: the palette colour of the model's curves (default: `model`)}
//
// All maths runs in the graphs (./finetune/compute.js); this file holds state and wiring. The state
// the figure computed is exposed as `element.figureTest` for the browser tests. mount() and
// picture() are one function: the picture is the first frame without the controls.

import { createComputer, X_RANGE } from "./finetune/compute.js";
import { createSinusoidPlot } from "./finetune/plot.js";
import { createReadout } from "./finetune/readout.js";
import { uniformPositions } from "./finetune/random.js";
import { button, checkbox, controlRow, select, slider, statusLine } from "./lib/controls.js";
import { isMethod } from "./lib/palette.js";
import { seededRandom } from "./lib/random.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  model: "pretrained",
  compare: null,
  amplitude: 4,
  phase: 0,
  samples: [0.5, 1.25, 2, 2.75, 3.5],
  steps: 10,
  preview_steps: 0,
  step_size: 0.01,
  max_samples: 10,
  seed: 1,
  weights: null,
  label: null,
  method: null,
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const AMPLITUDE = { min: 0.1, max: 5, step: 0.1 };
const PHASE = { min: 0, max: Math.PI, step: Math.PI / 100 };
const MAX_STEPS = 20;
/** Pause between animated steps, so each step is visible; none for readers who ask for less motion. */
const STEP_DELAY_MS = 140;

const LABELS = {
  pretrained: "pretrained model",
  maml: "MAML model",
  fomaml: "first-order MAML model",
  reptile: "Reptile model",
  imaml: "iMAML model",
};
const labelOf = (model) => LABELS[model] ?? `${model} model`;
/** What "Reset" goes back to, in words. */
const startOf = (model) => (model === "pretrained" ? "the pretrained parameters" : "the meta-initialisation");
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const { picture, mount } = entryPoints(build);

async function build(element, rawParams, runtime, { interactive }) {
  const params = { ...DEFAULTS, ...rawParams };
  const modelLabel = params.label ?? labelOf(params.model);
  const compareLabel = params.compare ? `${labelOf(params.compare)}, same samples` : "";
  const method = params.method ?? params.model;
  if (!isMethod(method)) throw new Error(`finetune: no palette colour for "${method}"`);
  const compareMethod = params.compare;

  // Fetch the parameter files while the sessions are created (runtime.params memoises them).
  // Weights handed over by another figure replace the manifest model: nothing to fetch for it.
  const source = params.weights ?? params.model;
  const models = [params.weights ? null : params.model, params.compare].filter(Boolean);
  const [computer, manifest] = await Promise.all([
    createComputer(runtime, { stepSize: params.step_size }),
    runtime.manifest(),
    ...models.map((name) => runtime.params(name)),
  ]);
  // The mean evaluation curves (the manifest's numbers) of the manifest models shown, at the
  // evaluation's step size only: other steps would not be comparable.
  const evaluationOf = (name) => {
    const evaluation = manifest.models[name]?.evaluation;
    if (!evaluation || evaluation.protocol?.inner_lr !== params.step_size) return null;
    return evaluation;
  };
  const evaluations = { model: params.weights ? null : evaluationOf(params.model), compare: params.compare ? evaluationOf(params.compare) : null };
  const [initial, compareInitial] = await Promise.all([
    computer.initialParams(source),
    params.compare ? computer.initialParams(params.compare) : null,
  ]);

  const state = {
    amplitude: params.amplitude,
    phase: params.phase,
    xs: params.samples.slice(0, params.max_samples),
    ys: [],
    steps: Math.min(Math.max(params.steps, 1), MAX_STEPS),
    step: 0,
    params: initial,
    mse: [],
    supportLoss: [],
    compareOn: false,
    compareParams: compareInitial,
    compareMse: [],
    busy: false,
  };
  let generation = 0; // bumped by every change; a computation whose generation is stale stops
  const random = seededRandom(params.seed);
  const reducedMotion = globalThis.window?.matchMedia?.("(prefers-reduced-motion: reduce)").matches;

  // ---- layout: controls (page only) around the picture's plot and readout ----
  // In the order a phone shows them (finetune.css sets the two plots side by side where there is
  // room): the target, the curve plot, the buttons that fine-tune, the samples, the MSE chart.
  const root = document.createElement("div");
  root.className = "finetune-figure";
  const row = (name) => (interactive ? controlRow(root, { className: `figure-controls finetune-${name}` }) : null);
  const targetRow = row("target");
  const view = createSinusoidPlot(root, {
    method,
    compareMethod,
    modelLabel,
    compareLabel,
    interactive,
    onAdd: (x) => addSample(x),
    onRemove: (i) => removeSample(i),
  });
  const runRow = row("run");
  const sampleRow = row("samples");
  const readout = createReadout(root, {
    method,
    compareMethod,
    modelLabel,
    compareLabel: labelOf(params.compare ?? ""),
    live: interactive,
    evaluations,
  });
  const status = interactive ? statusLine(root, { className: "figure-status finetune-status" }) : { set() {} };
  let runButton = null;
  if (interactive) runButton = addControls();
  element.replaceChildren(root);

  function addControls() {
    slider(targetRow, {
      label: "Amplitude A",
      ...AMPLITUDE,
      value: state.amplitude,
      format: (v) => v.toFixed(1),
      onInput: (v) => setTarget(v, state.phase),
    });
    slider(targetRow, {
      label: "Phase φ",
      ...PHASE,
      value: state.phase,
      format: (v) => `${v.toFixed(2)} (${(v / Math.PI).toFixed(2)}π)`,
      onInput: (v) => setTarget(state.amplitude, v),
    });
    const kSelect = select(sampleRow, {
      label: "K",
      options: Array.from({ length: params.max_samples }, (_, i) => ({ value: i + 1, label: String(i + 1) })),
      value: Math.min(5, params.max_samples),
    });
    button(sampleRow, { label: "Draw K random samples", onClick: () => randomSamples(Number(kSelect.value)) });
    button(sampleRow, { label: "Remove all samples", onClick: () => setSamples([], "All samples removed.") });
    slider(runRow, {
      label: "Steps",
      min: 1,
      max: MAX_STEPS,
      step: 1,
      value: state.steps,
      onInput: (v) => {
        state.steps = v;
      },
    });
    const run = button(runRow, { label: "Fine-tune", onClick: () => fineTune() });
    button(runRow, { label: "Reset", onClick: () => reset(`Back at ${startOf(method)}.`) });
    if (params.compare) {
      checkbox(runRow, {
        label: `Compare with the ${labelOf(params.compare)}`,
        onChange: (on) => setCompare(on),
      });
    }
    return run;
  }

  // ---- state changes ----
  function setBusy(busy) {
    state.busy = busy;
    if (!interactive) return;
    runButton.setAttribute("aria-busy", String(busy));
  }

  function render() {
    readout.update({
      step: state.step,
      steps: Math.max(state.step, state.steps),
      mse: state.mse,
      compareMse: state.compareOn ? state.compareMse : null,
      samples: state.xs.length,
    });
    view.setKey({ step: state.step, compare: state.compareOn });
    if (interactive) element.dataset.step = String(state.step);
  }

  /** Back to the starting parameters (and the comparison model's), for the current target. */
  async function reset(message = "") {
    const mine = ++generation;
    setBusy(true);
    const start = await startCurves();
    if (mine !== generation) return false;
    showStart(start);
    if (message) status.set(message);
    setBusy(false);
    return true;
  }

  /** The curves of the starting parameters (and of the comparison model's), asked for at once. */
  function startCurves() {
    return Promise.all([computer.curves(initial), state.compareOn ? computer.curves(compareInitial) : null]);
  }

  function showStart([first, other]) {
    Object.assign(state, { step: 0, params: initial, mse: [first.mse], supportLoss: [] });
    Object.assign(state, { compareParams: compareInitial, compareMse: other ? [other.mse] : [] });
    view.setTarget(computer.grid, first.target);
    view.setInitial(computer.grid, first.prediction);
    view.setOneStep(null);
    view.setPrediction(computer.grid, first.prediction);
    view.setCompare(other ? computer.grid : null, other?.prediction);
    render();
  }

  /** Samples changed: fetch their y from the true curve, redraw them, and start over. */
  async function setSamples(xs, message, focusIndex = null) {
    const mine = ++generation;
    setBusy(true); // from the first moment, so nobody reads the old samples as the result
    const ys = await computer.targetAt(xs, initial);
    if (mine !== generation) return;
    Object.assign(state, { xs, ys: Array.from(ys) });
    view.setSamples(state.xs, state.ys, focusIndex);
    await reset(message);
  }

  function addSample(x) {
    if (state.xs.length >= params.max_samples) {
      status.set(`There are already ${params.max_samples} samples, the most this figure takes: remove one first.`);
      return;
    }
    const n = state.xs.length + 1;
    setSamples([...state.xs, x], `Added a sample at x = ${x.toFixed(2)}; ${plural(n, "sample")}.`);
  }

  function removeSample(index) {
    const x = state.xs[index];
    const xs = state.xs.filter((_, i) => i !== index);
    setSamples(xs, `Removed the sample at x = ${x.toFixed(2)}; ${plural(xs.length, "sample")} left.`, index);
  }

  function randomSamples(k) {
    setSamples(uniformPositions(random, k, X_RANGE), `Drew ${plural(k, "random sample")}.`);
  }

  async function setTarget(amplitude, phase) {
    Object.assign(state, { amplitude, phase });
    computer.setTarget(amplitude, phase);
    await setSamples(state.xs, "");
  }

  async function setCompare(on) {
    state.compareOn = on;
    if (!on) {
      ++generation; // a running animation stops; the main curve stays where it is
      view.setCompare(null);
      render();
      setBusy(false);
      return;
    }
    // Bring the comparison model to the same step on the same samples, without animation.
    const mine = ++generation;
    setBusy(true);
    const upTo = state.step;
    let p = compareInitial;
    const mse = [(await computer.curves(p)).mse];
    const runs = upTo > 0 ? await computer.steps(p, state.xs, state.ys, upTo) : [];
    for (const run of runs) mse.push(run.mse);
    p = runs.at(-1)?.params ?? p;
    const last = runs.at(-1) ?? (await computer.curves(p));
    if (mine !== generation) return;
    Object.assign(state, { compareParams: p, compareMse: mse });
    view.setCompare(computer.grid, last.prediction);
    render();
    status.set(`Showing the ${labelOf(params.compare)} after ${plural(upTo, "step")} on the same samples.`);
    setBusy(false);
  }

  /**
   * Fine-tune from the starting parameters for the chosen number of steps, one graph call per
   * step (per model); animated, it draws after each. Resolves true when it ran to the end.
   */
  async function fineTune({ animate = true, steps = state.steps, quiet = false } = {}) {
    if (state.xs.length === 0) {
      status.set(
        "There are no samples to fine-tune on. Add some first: click or tap the plot, press Enter on the focused plot, or use “Draw K random samples”.",
      );
      return false;
    }
    const mine = ++generation;
    setBusy(true);
    state.steps = steps;
    const { xs, ys } = state;
    const delay = animate && !reducedMotion ? STEP_DELAY_MS : 0;
    // Animated, one graph call per model and step, drawn as it comes; otherwise the whole run in
    // one chain of calls per model, drawn once at the end. Each call: the step, then the
    // prediction and MSE it leads to.
    const chunk = delay ? 1 : steps;
    const stepsFrom = (from, compareFrom, count) =>
      Promise.all([computer.steps(from, xs, ys, count), compareFrom ? computer.steps(compareFrom, xs, ys, count) : null]);
    // The start and the first steps are asked for together: one request to the runtime's worker.
    const [start, firstSteps] = await Promise.all([
      startCurves(),
      stepsFrom(initial, state.compareOn ? compareInitial : null, Math.min(chunk, steps)),
    ]);
    if (mine !== generation) return false;
    showStart(start);
    if (!quiet) status.set(`Fine-tuning on ${plural(xs.length, "sample")}…`);
    let taken = firstSteps;
    for (let n = 1; n <= steps; ) {
      if (!taken) {
        const count = Math.min(chunk, steps - n + 1);
        taken = await stepsFrom(state.params, state.compareOn ? state.compareParams : null, count);
        if (mine !== generation) return false;
      }
      const [results, others] = taken;
      taken = null;
      for (let i = 0; i < results.length; i++, n++) {
        const result = results[i];
        const other = others?.[i];
        const shown = delay || n === steps;
        state.step = n;
        state.params = result.params;
        state.mse.push(result.mse);
        state.supportLoss.push(result.loss);
        if (shown) view.setPrediction(computer.grid, result.prediction);
        if (n === 1) view.setOneStep(computer.grid, result.prediction);
        if (other) {
          state.compareParams = other.params;
          state.compareMse.push(other.mse);
          if (shown) view.setCompare(computer.grid, other.prediction);
        }
        if (shown) render();
        if (delay) await sleep(delay);
        if (mine !== generation) return false;
      }
    }
    if (!quiet) status.set(`Done: ${plural(steps, "step")} of SGD with α = ${params.step_size} on ${plural(xs.length, "sample")}.`);
    setBusy(false);
    return true;
  }

  // The first frame: the default samples, then the preview steps (if any), taken at once.
  computer.setTarget(state.amplitude, state.phase);
  const placed = `${plural(state.xs.length, "sample")} placed. Press “Fine-tune” to take the chosen number of steps.`;
  await setSamples(state.xs, placed);
  if (params.preview_steps > 0) {
    const chosen = state.steps;
    await fineTune({ animate: false, steps: Math.min(params.preview_steps, MAX_STEPS), quiet: true });
    state.steps = chosen; // the Steps slider keeps its value
    render();
  }
  if (!interactive) return null;

  // ---- for tests and the benchmark (1,000 runs without animation) ----
  const arrays = (p) => Object.fromEntries(Object.entries(p).map(([n, a]) => [n, Array.from(a)]));
  const inspect = () => ({
    model: params.weights ? null : params.model,
    compare: params.compare,
    amplitude: state.amplitude,
    phase: state.phase,
    stepSize: params.step_size,
    samples: { x: [...state.xs], y: [...state.ys] },
    steps: state.steps,
    step: state.step,
    mse: [...state.mse],
    supportLoss: [...state.supportLoss],
    params: arrays(state.params),
    compareOn: state.compareOn,
    compareMse: [...state.compareMse],
    compareParams: state.compareOn ? arrays(state.compareParams) : null,
    meanMse: readout.reference,
    busy: state.busy,
  });
  // Checked between tasks rather than at each setBusy(false): fineTune() first runs reset(), whose
  // end is not the end of the fine-tuning, and the two meet only in microtasks.
  const idle = () => new Promise((resolve) => {
    const check = () => (state.busy ? setTimeout(check, 10) : resolve());
    check();
  });
  const api = { inspect, idle, fineTune, reset, setSamples: (xs) => setSamples(xs, "") };
  element.figureTest = api;
  return {
    ...api,
    destroy() {
      ++generation;
      delete element.figureTest;
      element.replaceChildren();
    },
  };
}
