// Template figure: the one to copy when you start a new figure (it is not in the article).
//
// What it shows: a model's prediction and a target sinusoid A sin(x + phi), with a slider for the
// amplitude A and the mean squared error between the two. Every number comes from the exported
// graph `sinusoid_curves` (inputs: the model's parameters w1..b3, amplitude, phase, x; outputs:
// prediction, target, mse); this module only feeds the graph and draws what it returns. The
// graph's inputs and outputs are listed in static/models/manifest.json under graphs.<name>.
//
// To make a figure of your own: copy this file to static/figures/<your-figure>.js, register it
// in content/figures.yaml (module, params, the graphs and models it loads, alt text for screen
// readers) and place it in a chapter with `::: figure <id>` ... `:::`.
//
// params: {model = "maml", amplitude = 3, phase = 0.5}

import { controlRow, slider, statusLine } from "./lib/controls.js";
import { entryPoints } from "./lib/entry-points.js";
import { latestOnly } from "./lib/latest.js";
import { isMethod, METHODS } from "./lib/palette.js";
import { axes, createPlot, curve, key } from "./lib/plot.js";

// 1. The params figures.yaml may set, with their defaults. The build refuses any other key, so a
//    misspelt one in figures.yaml stops the build instead of silently falling back here.
const DEFAULTS = { model: "maml", amplitude: 3, phase: 0.5 };
export { DEFAULTS as params };

const GRAPH = "sinusoid_curves";
const X_RANGE = [-5, 5];
const Y_RANGE = [-5.5, 5.5];
const POINTS = 200;
const AMPLITUDE = { min: 0.1, max: 5, step: 0.1 }; // the task family's range

// 2. picture() and mount() are one function, `build`, with an `interactive` switch
//    (lib/entry-points.js). The build runs picture() in Node and inlines what it draws as the
//    static picture (readers without JavaScript see it, and every reader sees it until the page's
//    figure is ready); the page runs mount(), which resolves to {inspect, idle, destroy} once the
//    first frame is drawn. Being one function, the first frame of the two cannot disagree.
export const { picture, mount } = entryPoints(build);

async function build(element, rawParams, runtime, { interactive }) {
  const params = { ...DEFAULTS, ...rawParams };

  // 3. The runtime (static/js/runtime-core.js) loads onnxruntime, the graph and the model's
  //    parameters once per page, shared by every figure that asks for them.
  await runtime.loadOrt();
  const [session, weights, manifest] = await Promise.all([
    runtime.session(GRAPH),
    runtime.params(params.model),
    runtime.manifest(),
  ]);
  // The x grid is the graph's input, not a result: the only array this module fills itself.
  const xs = new Float32Array(POINTS);
  for (let i = 0; i < POINTS; i++) xs[i] = X_RANGE[0] + (i * (X_RANGE[1] - X_RANGE[0])) / (POINTS - 1);
  const x = runtime.tensor(xs, [POINTS, 1]);
  const phase = runtime.tensor([params.phase], []);

  /** One graph call: everything the figure shows for amplitude `a`. */
  async function compute(a) {
    return runtime.run(session, { ...weights, x, phase, amplitude: runtime.tensor([a], []) });
  }

  // 4. Layout. The colours and line styles come from the palette (static/figures/lib/palette.js)
  //    through the plot helpers: name what a mark shows ({method}, {role}), never a colour.
  const method = manifest.models?.[params.model]?.method;
  const look = isMethod(method) ? { method } : { color: "var(--fig-fg)" };
  const name = isMethod(method) ? `${METHODS[method].label} model` : `${params.model} model`;
  const root = document.createElement("div");
  key(root, [
    { role: "trueCurve", stroke: "dashed", label: "target A sin(x + φ)" },
    { ...look, label: `${name}, before fine-tuning` },
  ]);
  const plot = createPlot({ x: X_RANGE, y: Y_RANGE, label: `The ${name}'s prediction and a target sinusoid` });
  axes(plot, { xlabel: "x", ylabel: "y" });
  const layer = plot.layer("curves");
  const target = curve(layer, plot.x, plot.y, { role: "trueCurve", stroke: "dashed", className: "target" });
  const prediction = curve(layer, plot.x, plot.y, { ...look, className: "prediction" });
  root.append(plot.svg);
  // A control exists on the page only; the status line is a live region there, plain text in the
  // picture.
  const controls = interactive ? controlRow(root) : null;
  const status = statusLine(root, { live: interactive });

  const state = { amplitude: params.amplitude, mse: null };
  function draw(outputs) {
    target.set(xs, outputs.target);
    prediction.set(xs, outputs.prediction);
    state.mse = outputs.mse[0];
    status.set(`A = ${state.amplitude.toFixed(1)}: mean squared error ${state.mse.toFixed(2)}`);
  }

  draw(await compute(state.amplitude));
  element.replaceChildren(root);
  if (!interactive) return null;

  // 5. Input. A slider fires faster than the graph runs: latestOnly runs one call at a time and
  //    drops requests that were overtaken, so the figure always ends on the slider's last value.
  const runner = latestOnly(async (a) => {
    const outputs = await compute(a);
    state.amplitude = a;
    draw(outputs);
  });
  slider(controls, {
    label: "Amplitude A",
    ...AMPLITUDE,
    value: state.amplitude,
    format: (a) => a.toFixed(1),
    onInput: (a) => runner.request(a),
  });

  // 6. The test hook: browser tests read the figure's state and wait for its work to finish.
  const api = { inspect: () => ({ ...state }), idle: () => runner.idle() };
  element.figureTest = api;
  return {
    ...api,
    destroy() {
      delete element.figureTest;
      element.replaceChildren();
    },
  };
}
