// Figure "jacobian-product": the chain rule through k inner steps, as numbers, on one line-fitting
// task (two parameters, so every matrix is 2 × 2).
//
// The reader drags theta on the task's support-loss landscape (line_landscape, computed once at
// mount), or moves it with the arrow keys, and sets the inner step size alpha and the number of
// inner steps k = 1..5. For each (theta, alpha) one run of the graph line_jacobian_product gives
// the inner path phi_0 = theta, ..., phi_5, each step's Jacobian J_j = I - alpha H(phi_j), their
// running products d phi_k / d theta = J_{k-1} ... J_0, and for every k the exact meta-gradient
// (MAML through k steps) and the first-order one (the product dropped). The k slider only picks
// rows of that result, so it never runs the graph.
//
// What is drawn: the path phi_0..phi_k, and from theta two arrows pointing along the negative
// exact and first-order meta-gradients (the direction a meta-descent step would take). The
// gradients are short compared with the plane and their lengths span two orders of magnitude
// over alpha and theta, so both arrows are drawn s times their length, s a round number (1, 2 or
// 5 times a power of ten) chosen so that the longest of the arrows for every k = 1..5 spans at
// most `arrow_length` of the plane. Moving k therefore never changes s (shorter gradients look
// shorter), and a scale bar over the map shows the length of a gradient of a stated size. That
// scaling is the only arithmetic done here, and it is drawing, not maths: every number shown is a
// graph output.
//
// params: {dataset = "reptile" (toys.json's one-task set), task = 0 (which task of the data set),
//          grid = 41, theta = [0.9, 0.8],
//          step_size = 0.5 (alpha), steps = 3 (k), key_step = 0.01 (theta per arrow key),
//          arrow_length = 0.45 (the longest arrow's most, in plane units),
//          view = [-0.1, 1.1] (the map's range on both axes: a margin around the plane theta moves
//          in, so that arrows from theta on the plane's edge, in the settings the chapter suggests
//          with alpha = 2 in the upper right corner, stay on the map)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { controlRow, element as newElement, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { METHODS } from "./lib/palette.js";
import { arrow, clippedLayer, curve, dots, fmt, key } from "./lib/plot.js";
import { formatNumber, matrixView } from "./lib/readouts.js";
import { disposeAll, lineDataset, planeGrid } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = {
  dataset: "reptile",
  task: 0,
  grid: 41,
  theta: [0.9, 0.8],
  step_size: 0.5,
  steps: 3,
  key_step: 0.01,
  arrow_length: 0.45,
  view: [-0.1, 1.1],
};
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const ALPHA_RANGE = { min: 0.05, max: 2, step: 0.05 };
/** The scale bar's length in plane units; its label gives the gradient length it stands for. */
const SCALE_BAR = 0.2;
const SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉";
const sub = (j) => String(j).replace(/\d/g, (d) => SUBSCRIPT[Number(d)]);

/** One task's train and test points as the (N,) tensors line_jacobian_product takes. */
function taskTensors(runtime, dataset, task) {
  const { N, arrays } = dataset;
  const slice = (key) => runtime.tensor(arrays[key].subarray(task * N, (task + 1) * N), [N]);
  return Object.fromEntries(["x_train", "y_train", "x_test", "y_test"].map((key) => [key, slice(key)]));
}

/** The task's support-set loss on an n × n grid over `view` (line_landscape with one task). */
async function supportLandscape(runtime, session, dataset, task, view, n) {
  const { N, arrays } = dataset;
  const inputs = {
    grid: runtime.tensor(planeGrid(view, n), [n * n, 2]),
    x: runtime.tensor(arrays.x_train.subarray(task * N, (task + 1) * N), [1, N]),
    y: runtime.tensor(arrays.y_train.subarray(task * N, (task + 1) * N), [1, N]),
  };
  try {
    return (await runtime.run(session, inputs)).loss;
  } finally {
    disposeAll(inputs);
  }
}

/**
 * Runs line_jacobian_product for the latest requested (theta, alpha) only: while a run is in
 * flight, newer requests replace each other, so a fast drag never queues stale work.
 */
function createRunner(runtime, session, data, onResult) {
  async function runOne({ theta, alpha }) {
    const inputs = { theta: runtime.tensor(theta, [2]), step_size: runtime.tensor([alpha], []) };
    try {
      const out = await runtime.run(session, { ...data, ...inputs });
      // The float32 inputs the graph actually saw travel with its outputs.
      onResult({ theta: Array.from(inputs.theta.data), alpha: inputs.step_size.data[0], ...out });
    } finally {
      disposeAll(inputs);
    }
  }
  const runner = latestOnly(runOne);
  return {
    request: (theta, alpha) => runner.request({ theta: Float32Array.from(theta), alpha }),
    idle: runner.idle,
  };
}

/**
 * The arrows' common scale: the largest of 1, 2, 5 times a power of ten that keeps the longer
 * arrow within `target` plane units (1 when both gradients vanish).
 */
function arrowScale(longest, target) {
  if (!(longest > 0) || !Number.isFinite(longest)) return 1;
  const raw = target / longest;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [5, 2, 1].find((m) => m * power <= raw * (1 + 1e-12)) ?? 1;
  return Number((mantissa * power).toPrecision(1));
}

/** A labelled block of the matrix panel: a heading line and a wrapping row of matrices. */
function panelSection(parent, heading) {
  const section = newElement("div", { className: "figure-jacobian-section" }, parent);
  newElement("p", { className: "figure-jacobian-heading", text: heading }, section);
  return newElement("div", { className: "figure-jacobian-row" }, section);
}

/** A "=" or "×" between matrices (decorative: each matrix's label names it). */
function operator(parent, text) {
  return newElement("span", { className: "figure-matrix-operator", "aria-hidden": "true", text }, parent);
}

/**
 * The scale bar above the map's top right corner: SCALE_BAR plane units long, labelled with the
 * gradient length it stands for at scale s. Returns {set(s)}.
 */
function scaleBar(plot) {
  const g = plot.root.append("g").attr("class", "fig-scale-bar").attr("aria-hidden", "true");
  const x1 = plot.inner.right;
  const x0 = x1 - (plot.x(SCALE_BAR) - plot.x(0));
  const y = 12;
  g.append("path").attr("d", `M${fmt(x0)},${y - 4}V${y + 4}M${fmt(x0)},${y}H${fmt(x1)}M${fmt(x1)},${y - 4}V${y + 4}`)
    .attr("stroke-width", 1.5).attr("fill", "none").style("stroke", "var(--fig-fg)");
  const label = g.append("text").attr("class", "fig-text").attr("x", fmt(x0 - 6)).attr("y", y + 4)
    .attr("text-anchor", "end").style("fill", "var(--fig-fg)");
  return {
    set(s) {
      label.text(`gradient length ${Number((SCALE_BAR / s).toPrecision(2))}`);
    },
  };
}

/** Show exactly the view for k among several, one per k (their labels differ with k). */
function showOnly(views, k) {
  views.forEach((view, i) => {
    view.element.style.display = i === k - 1 ? "inline-flex" : "none";
  });
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const started = performance.now();
  const datasetPromise = lineDataset(runtime, settings.dataset);
  const [dataset, landscapeSession, session, manifest] = await Promise.all([
    datasetPromise,
    runtime.session("line_landscape"),
    // 1,275 nodes (five unrolled steps, each with its Hessian): graph optimisation about doubles
    // the session's creation time, and the runs are no slower without it; the task's number of
    // points, known, takes another third off (Node: 314 -> 214 ms).
    datasetPromise.then(({ N }) =>
      runtime.session("line_jacobian_product", { graphOptimizationLevel: "disabled", dims: { N } })),
    runtime.manifest(),
  ]);
  const task = dataset.tasks[settings.task];
  if (!task) throw new Error(`line data set "${settings.dataset}" has no task ${settings.task}`);
  const n = settings.grid;
  const loaded = performance.now();
  const view = { a: settings.view, b: settings.view };
  const landscape = await supportLandscape(runtime, landscapeSession, dataset, settings.task, view, n);
  const mapped = performance.now();
  const data = taskTensors(runtime, dataset, settings.task); // kept for every run; released on destroy
  // The graph computes every k up to its fixed maximum; its output shapes say which.
  const maxSteps = manifest.graphs.line_jacobian_product.outputs.find((o) => o.name === "products").shape[0];
  const f2 = (v) => v.toFixed(2);
  const state = { theta: [...settings.theta], alpha: settings.step_size, k: settings.steps, result: null, scale: 1 };

  element.replaceChildren();
  const row = landscapeRow(element);
  row.classList.add("figure-jacobian"); // on the row: a static picture keeps what is inside `element`
  // The map, and beside it (under it on a phone) its sliders, key and readout; the matrices under
  // both, the width of the figure, so that a product of five fits on one row.
  const mapColumn = newElement("div", { className: "figure-jacobian-map" }, row);
  const side = newElement("div", { className: "figure-jacobian-side" }, row);
  const map = createLandscape(mapColumn, {
    x: view.a,
    y: view.b,
    margin: { top: 28 },
    title: `Support loss of the task (${task.a}, ${task.b})`,
    label: "Support-set loss landscape of the task, with theta, the inner path and the two meta-gradient arrows",
  });
  map.heading.attr("y", 30).attr("x", map.plot.inner.left + 4).attr("dy", "0.9em")
    .style("paint-order", "stroke").style("stroke", "var(--fig-bg)").style("stroke-width", 3);
  map.draw({ values: landscape, nx: n, ny: n });
  map.marker(`minimum of the task at a = ${task.a}, b = ${task.b}`, { role: "taskMinimum" }).set(task.a, task.b);
  const { plot } = map;
  const bar = scaleBar(plot);
  // Arrows may leave the plane (lib/plot.js cuts them at its edge); the path is clipped to it.
  const marks = clippedLayer(plot, "marks");
  const pathLine = curve(marks, plot.x, plot.y, { role: "taskA", stroke: "inner" });
  const dotLayer = marks.append("g").attr("data-path", "phi");
  let pathDots = null;
  const arrowLayer = plot.layer("arrows");
  const firstOrderArrow = arrow(plot, arrowLayer, { method: "fomaml", stroke: "firstOrder", width: 2.5 });
  firstOrderArrow.node.dataset.arrow = "first-order";
  const exactArrow = arrow(plot, arrowLayer, { method: "maml", stroke: "exact", width: 2.5 });
  exactArrow.node.dataset.arrow = "exact";
  const handle = createHandle(plot, plot.layer("handles"), {
    interactive,
    x: state.theta[0],
    y: state.theta[1],
    label: "θ, the starting point of the inner steps",
    color: METHODS.maml.color,
    step: [settings.key_step, settings.key_step],
    format: (a, b) => `a = ${f2(a)}, b = ${f2(b)}`,
    onMove: (a, b) => {
      // theta stays on the plane; the map's margin beyond it is room for the arrows.
      const clamp = (v, [lo, hi]) => Math.min(Math.max(v, lo), hi);
      state.theta = [clamp(a, dataset.plane.a), clamp(b, dataset.plane.b)];
      runner.request(state.theta, state.alpha);
      return { x: state.theta[0], y: state.theta[1] };
    },
  });

  handle.element.dataset.method = "maml";
  const controls = interactive ? controlRow(side) : null;
  const keyHolder = newElement("div", { className: "figure-jacobian-key" }, side);
  key(keyHolder, [
    { method: "maml", stroke: "exact", label: "−s × exact meta-gradient" },
    { method: "fomaml", stroke: "firstOrder", label: "−s × first-order meta-gradient" },
    { role: "taskA", stroke: "inner", label: "inner path ϕ⁽⁰⁾ = θ, …, ϕ⁽ᵏ⁾" },
    { role: "taskMinimum", marker: "cross", label: "the task's minimum" },
  ]);
  const readout = statusLine(side, { className: "figure-status figure-readout", live: interactive });

  // The numbers: the step Jacobians in the chain rule's order (latest step on the left), their
  // product, and the two meta-gradients, in one row each.
  const panel = newElement("div", { className: "figure-jacobians" }, element);
  const productRow = panelSection(panel, "The Jacobian of the inner loop, a product of step Jacobians Jⱼ = I − αHⱼ:");
  const productViews = Array.from({ length: maxSteps }, (_, i) => {
    const k = i + 1;
    return matrixView(productRow, { label: `dϕ${sub(k)}/dθ`, labelBelow: true });
  });
  operator(productRow, "=");
  const jacobianViews = Array.from({ length: maxSteps }, (_, j) => ({ j }))
    .reverse()
    .map(({ j }) => ({ j, view: matrixView(productRow, { label: `J${sub(j)}`, labelBelow: true }) }));
  const gradientRow = panelSection(panel, "Meta-gradients at θ: exact = (dϕₖ/dθ)ᵀ × first-order");
  const exactViews = Array.from({ length: maxSteps }, (_, i) =>
    matrixView(gradientRow, { label: `exact ∇θ L(ϕ${sub(i + 1)}) =`, rows: 2, columns: 1, digits: 4 }));
  const firstOrderViews = Array.from({ length: maxSteps }, (_, i) =>
    matrixView(gradientRow, { label: `first-order ∇L(ϕ${sub(i + 1)}) =`, rows: 2, columns: 1, digits: 4 }));

  if (interactive) {
    slider(controls, {
      label: "Inner step size α",
      ...ALPHA_RANGE,
      value: state.alpha,
      format: (v) => v.toFixed(2),
      onInput: (v) => {
        state.alpha = v;
        runner.request(state.theta, state.alpha);
      },
    });
    slider(controls, {
      label: "Inner steps k",
      min: 1,
      max: maxSteps,
      step: 1,
      value: state.k,
      format: (k) => String(k),
      onInput: (k) => {
        state.k = k;
        if (state.result) draw();
      },
    });
  }

  const runner = createRunner(runtime, session, data, (result) => {
    state.result = result;
    draw();
  });

  /** Draw the stored graph result for the current k: nothing here runs a graph. */
  function draw() {
    const r = state.result;
    const k = state.k;
    const [a, b] = r.theta;
    // The path phi_0 .. phi_k, and the points phi_1 .. phi_k where the later Hessians are taken.
    const xs = Array.from({ length: k + 1 }, (_, j) => r.path[2 * j]);
    const ys = Array.from({ length: k + 1 }, (_, j) => r.path[2 * j + 1]);
    pathLine.set(xs, ys);
    pathDots?.remove();
    pathDots = dots(dotLayer, xs.slice(1), ys.slice(1), plot.x, plot.y, { role: "taskA", radius: 2.5 });

    const exact = r.meta_gradient.subarray(2 * (k - 1), 2 * k);
    const firstOrder = r.first_order_meta_gradient.subarray(2 * (k - 1), 2 * k);
    // One scale for every k at this theta and alpha: the longest gradient over all k sets it.
    let longest = 0;
    for (const g of [r.meta_gradient, r.first_order_meta_gradient]) {
      for (let i = 0; i < g.length; i += 2) longest = Math.max(longest, Math.hypot(g[i], g[i + 1]));
    }
    const s = arrowScale(longest, settings.arrow_length);
    state.scale = s;
    bar.set(s);
    exactArrow.set(a, b, a - s * exact[0], b - s * exact[1]);
    firstOrderArrow.set(a, b, a - s * firstOrder[0], b - s * firstOrder[1]);

    for (const { j, view } of jacobianViews) {
      view.set(r.jacobians.subarray(4 * j, 4 * j + 4));
      view.element.style.display = j < k ? "inline-flex" : "none";
    }
    productViews.forEach((view, i) => view.set(r.products.subarray(4 * i, 4 * i + 4)));
    exactViews.forEach((view, i) => view.set(r.meta_gradient.subarray(2 * i, 2 * i + 2)));
    firstOrderViews.forEach((view, i) => view.set(r.first_order_meta_gradient.subarray(2 * i, 2 * i + 2)));
    for (const views of [productViews, exactViews, firstOrderViews]) showOnly(views, k);

    readout.set(
      `θ = (${f2(a)}, ${f2(b)}), α = ${r.alpha.toFixed(2)}, k = ${k}: query loss after the inner steps ` +
        `L(ϕ${sub(k)}) = ${formatNumber(r.test_loss[k], 4)} (at θ: ${formatNumber(r.test_loss[0], 4)}). ` +
        `Arrows from θ: −s × each meta-gradient, with s = ${s} for every k.`,
    );
    Object.assign(element.dataset, { theta: JSON.stringify(r.theta), steps: String(k), arrowScale: String(s) });
  }

  await runner.request(state.theta, state.alpha);
  // Where mount's time goes (for the benchmark): loading data, runtime and sessions; the
  // landscape's one run; the first line_jacobian_product run and its drawing.
  const mountMs = { load: loaded - started, landscape: mapped - loaded, firstRun: performance.now() - mapped };
  if (!interactive) {
    disposeAll(data);
    return null;
  }

  /** An arrow's data end points as drawn, and the same in user units. */
  const arrowEnds = (line) => {
    const [x1, y1] = line.node.dataset.from.split(",").map(Number);
    const [x2, y2] = line.node.dataset.to.split(",").map(Number);
    return { from: [x1, y1], to: [x2, y2], px: [plot.x(x1), plot.y(y1), plot.x(x2), plot.y(y2)] };
  };
  const shown = (views) => views.filter((v) => v.element.style.display !== "none")
    .map((v) => ({ label: v.element.firstChild.textContent, cells: [...v.element.querySelectorAll("td")].map((td) => td.textContent) }));
  const api = {
    /** For tests and benchmarks: the graph's last inputs and outputs, and what is drawn. */
    inspect: () => {
      const r = state.result;
      return {
        dataset: settings.dataset,
        task: settings.task,
        theta: r.theta,
        alpha: r.alpha,
        k: state.k,
        path: Array.from(r.path),
        jacobians: Array.from(r.jacobians),
        products: Array.from(r.products),
        metaGradient: Array.from(r.meta_gradient),
        firstOrderMetaGradient: Array.from(r.first_order_meta_gradient),
        testLoss: Array.from(r.test_loss),
        scale: state.scale,
        inner: plot.inner,
        view,
        arrows: { exact: arrowEnds(exactArrow), firstOrder: arrowEnds(firstOrderArrow) },
        matrices: {
          jacobians: shown(jacobianViews.map(({ view }) => view)),
          product: shown(productViews),
          exact: shown(exactViews),
          firstOrder: shown(firstOrderViews),
        },
        readout: readout.text,
        mountMs,
      };
    },
    /** Resolves when every requested computation has been drawn. */
    idle: () => runner.idle(),
    destroy: () => {
      disposeAll(data);
      element.replaceChildren();
    },
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
