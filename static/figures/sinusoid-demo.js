// Demonstration figure: a sinusoid model's prediction on [-5, 5], computed in the browser by the
// exported prediction graph (the same graph the build's fallback picture ran in Python), drawn
// next to a target sinusoid A sin(x + phi). Proves the chain manifest -> params -> ONNX -> SVG.
//
// params: {graph = "sinusoid_predict", model = "maml", amplitude = 2, phase = 0.5}

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 480;
const HEIGHT = 300;
const MARGIN = { top: 12, right: 12, bottom: 36, left: 44 };
const X_RANGE = [-5, 5];
const Y_RANGE = [-5.5, 5.5];
const POINTS = 200;

function scale([d0, d1], [r0, r1]) {
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

function polyline(xs, ys, sx, sy, className) {
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("class", className);
  line.setAttribute("fill", "none");
  line.setAttribute("points", Array.from(xs, (x, i) => `${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(" "));
  return line;
}

export async function mount(element, params, runtime) {
  const graph = params.graph ?? "sinusoid_predict";
  const model = params.model ?? "maml";
  const amplitude = params.amplitude ?? 2;
  const phase = params.phase ?? 0.5;

  await runtime.loadOrt();
  const [session, weights] = await Promise.all([runtime.session(graph), runtime.params(model)]);
  const xs = new Float32Array(POINTS);
  for (let i = 0; i < POINTS; i++) xs[i] = X_RANGE[0] + (i * (X_RANGE[1] - X_RANGE[0])) / (POINTS - 1);
  const feeds = {};
  for (const name of session.inputNames) {
    feeds[name] = name in weights ? weights[name] : runtime.tensor(xs, [POINTS, 1]);
  }
  const outputs = await runtime.run(session, feeds);
  const prediction = outputs[session.outputNames[0]];
  const target = xs.map((x) => amplitude * Math.sin(x + phase));

  const sx = scale(X_RANGE, [MARGIN.left, WIDTH - MARGIN.right]);
  const sy = scale(Y_RANGE, [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Prediction of the ${model} model (solid) and the target sinusoid (dashed)`);
  svg.classList.add("sinusoid-demo");
  const frame = document.createElementNS(SVG, "rect");
  frame.setAttribute("x", MARGIN.left);
  frame.setAttribute("y", MARGIN.top);
  frame.setAttribute("width", WIDTH - MARGIN.left - MARGIN.right);
  frame.setAttribute("height", HEIGHT - MARGIN.top - MARGIN.bottom);
  frame.setAttribute("fill", "none");
  frame.setAttribute("stroke", "currentColor");
  frame.setAttribute("stroke-opacity", "0.4");
  const targetLine = polyline(xs, target, sx, sy, "target");
  targetLine.setAttribute("stroke", "#e0713d");
  targetLine.setAttribute("stroke-dasharray", "5 4");
  targetLine.setAttribute("stroke-width", "2");
  const predictionLine = polyline(xs, prediction, sx, sy, "prediction");
  predictionLine.setAttribute("stroke", "#3b82c4");
  predictionLine.setAttribute("stroke-width", "2");
  svg.append(frame, targetLine, predictionLine);
  element.replaceChildren(svg);
  // Exposed for the browser test: the numbers the graph computed.
  element.dataset.prediction = JSON.stringify(Array.from(prediction.slice(0, 5), (v) => +v.toFixed(5)));
  // The full inputs and outputs (float32 values as JSON) on the figure, for the browser test that
  // compares them with Python's onnxruntime (tests/browser/test_figures.py).
  Object.assign((element.closest("figure") ?? element).dataset, {
    demoGraph: graph,
    demoModel: model,
    demoOutput: session.outputNames[0],
    demoX: JSON.stringify(Array.from(xs)),
    demoY: JSON.stringify(Array.from(prediction)),
  });
  return { destroy: () => element.replaceChildren() };
}
