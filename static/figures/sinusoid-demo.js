// Demonstration figure: a sinusoid model's prediction on [-5, 5] as the exported graph `graph`
// computes it, in the page and in the build's static picture alike (the browser tests compare the
// page's numbers with Python's onnxruntime). static/figures/template.js is the figure to copy.
// params: {graph = "sinusoid_predict", model = "maml", amplitude = 2, phase = 0.5}
//
import { entryPoints } from "./lib/entry-points.js";
import { isMethod, METHODS } from "./lib/palette.js";
import { axes, createPlot, curve, key } from "./lib/plot.js";

const X_RANGE = [-5, 5];
const Y_RANGE = [-5.5, 5.5];
const POINTS = 200;
const DEFAULTS = { graph: "sinusoid_predict", model: "maml", amplitude: 2, phase: 0.5 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key

/**
 * The figure's one state: the graph's outputs on the grid. The graph is fed by input name: the
 * model's parameters, the grid `x`, and `amplitude` and `phase` when it takes them. The figure
 * draws the output `prediction` (or the graph's first output) and, when the graph has one, its
 * `target`: with `sinusoid_curves` the true curve A sin(x + phi) comes from the graph too, so
 * nothing is computed here but the grid.
 */
async function compute(params, runtime) {
  const { graph, model, amplitude, phase } = { ...DEFAULTS, ...params };
  await runtime.loadOrt();
  const [session, weights, manifest] = await Promise.all([
    runtime.session(graph),
    runtime.params(model),
    runtime.manifest(),
  ]);
  const xs = new Float32Array(POINTS);
  for (let i = 0; i < POINTS; i++) xs[i] = X_RANGE[0] + (i * (X_RANGE[1] - X_RANGE[0])) / (POINTS - 1);
  const inputs = {
    x: runtime.tensor(xs, [POINTS, 1]),
    amplitude: runtime.tensor([amplitude], []),
    phase: runtime.tensor([phase], []),
  };
  const feeds = {};
  for (const name of session.inputNames) {
    feeds[name] = weights[name] ?? inputs[name];
    if (!feeds[name]) throw new Error(`sinusoid-demo: graph "${graph}" takes an input "${name}" the figure cannot feed`);
  }
  const outputs = await runtime.run(session, feeds);
  const output = session.outputNames.includes("prediction") ? "prediction" : session.outputNames[0];
  // The prediction takes its method's colour; a model of no method (the untrained demo) the text's.
  const method = manifest.models?.[model]?.method;
  return {
    graph, model, amplitude, phase, output, xs,
    method: isMethod(method) ? method : null,
    prediction: outputs[output],
    target: outputs.target ?? null,
  };
}

function draw(element, state) {
  const plot = createPlot({
    x: X_RANGE,
    y: Y_RANGE,
    label: state.target
      ? `Prediction of the ${state.model} model (solid) and the target sinusoid (dashed)`
      : `Prediction of the ${state.model} model`,
  });
  axes(plot, { xlabel: "x", ylabel: "y" });
  const curves = plot.layer("curves");
  const prediction = state.method ? { method: state.method } : { color: "var(--fig-fg)" };
  const name = state.method ? METHODS[state.method].label : state.model;
  const entries = [{ ...prediction, label: `${name} model, before fine-tuning` }];
  if (state.target) {
    curve(curves, plot.x, plot.y, { role: "trueCurve", stroke: "dashed", className: "target" }).set(state.xs, state.target);
    entries.unshift({ role: "trueCurve", stroke: "dashed", label: `A sin(x + φ), A = ${state.amplitude}, φ = ${state.phase}` });
  }
  curve(curves, plot.x, plot.y, { ...prediction, className: "prediction" }).set(state.xs, state.prediction);
  element.replaceChildren();
  key(element, entries);
  element.append(plot.svg);
}

export const { picture, mount } = entryPoints(build);

/** The page's figure and the build's static picture are one function; `interactive` adds what
 * only the page has (here: the numbers exposed for the browser tests). */
async function build(element, params, runtime, { interactive }) {
  const state = await compute(params, runtime);
  draw(element, state);
  if (!interactive) return null;
  // For the browser test: the numbers the graph computed, with the inputs they came from.
  element.dataset.prediction = JSON.stringify(Array.from(state.prediction.slice(0, 5), (v) => +v.toFixed(5)));
  Object.assign((element.closest("figure") ?? element).dataset, {
    demoGraph: state.graph,
    demoModel: state.model,
    demoOutput: state.output,
    demoX: JSON.stringify(Array.from(state.xs)),
    demoY: JSON.stringify(Array.from(state.prediction)),
  });
  return { destroy: () => element.replaceChildren() };
}
