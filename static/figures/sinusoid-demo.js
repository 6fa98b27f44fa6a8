// Demonstration figure: a sinusoid model's prediction on [-5, 5], computed by the exported
// prediction graph, drawn next to a target sinusoid A sin(x + phi). Proves the chain manifest ->
// params -> ONNX -> SVG, in the page and in the build's static picture alike.
//
// params: {graph = "sinusoid_predict", model = "maml", amplitude = 2, phase = 0.5}

import { isMethod, METHODS } from "./lib/palette.js";
import { axes, createPlot, curve, key } from "./lib/plot.js";

const X_RANGE = [-5, 5];
const Y_RANGE = [-5.5, 5.5];
const POINTS = 200;
const DEFAULTS = { graph: "sinusoid_predict", model: "maml", amplitude: 2, phase: 0.5 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key

/** The figure's one state: the graph's prediction on the grid and the target curve. */
async function compute(params, runtime) {
  const { graph, model, amplitude, phase } = { ...DEFAULTS, ...params };
  await runtime.loadOrt();
  const [session, weights] = await Promise.all([runtime.session(graph), runtime.params(model)]);
  const xs = new Float32Array(POINTS);
  for (let i = 0; i < POINTS; i++) xs[i] = X_RANGE[0] + (i * (X_RANGE[1] - X_RANGE[0])) / (POINTS - 1);
  const feeds = {};
  for (const name of session.inputNames) {
    feeds[name] = name in weights ? weights[name] : runtime.tensor(xs, [POINTS, 1]);
  }
  const outputs = await runtime.run(session, feeds);
  const output = session.outputNames[0];
  const prediction = outputs[output];
  const target = xs.map((x) => amplitude * Math.sin(x + phase));
  // The prediction takes its method's colour; a model of no method (the untrained demo) the text's.
  const method = (await runtime.manifest()).models?.[model]?.method;
  return { graph, model, method: isMethod(method) ? method : null, amplitude, phase, output, xs, prediction, target };
}

function draw(element, state) {
  const plot = createPlot({
    x: X_RANGE,
    y: Y_RANGE,
    label: `Prediction of the ${state.model} model (solid) and the target sinusoid (dashed)`,
  });
  axes(plot, { xlabel: "x", ylabel: "y" });
  const curves = plot.layer("curves");
  const prediction = state.method ? { method: state.method } : { color: "var(--fig-fg)" };
  curve(curves, plot.x, plot.y, { role: "trueCurve", stroke: "dashed", className: "target" }).set(state.xs, state.target);
  curve(curves, plot.x, plot.y, { ...prediction, className: "prediction" }).set(state.xs, state.prediction);
  const name = state.method ? METHODS[state.method].label : state.model;
  element.replaceChildren();
  key(element, [
    { role: "trueCurve", stroke: "dashed", label: `A sin(x + φ), A = ${state.amplitude}, φ = ${state.phase}` },
    { ...prediction, label: `${name} model, before fine-tuning` },
  ]);
  element.append(plot.svg);
}

/** The static picture: the figure as it first appears. */
export async function picture(element, params, runtime) {
  draw(element, await compute(params, runtime));
}

export async function mount(element, params, runtime) {
  const state = await compute(params, runtime);
  draw(element, state);
  // Exposed for the browser test: the numbers the graph computed, with the inputs they came from.
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
