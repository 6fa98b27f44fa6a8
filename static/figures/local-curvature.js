// Figure "local-curvature": the exact and the first-order meta-gradient on the quadratic toy
// f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x, C = [[a, b], [b, c]] (chapter First-order MAML).
//
// The map is f over the unit square (graph quadratic_landscape, which shifts f by its grid
// minimum so the log-scaled map of lib/landscape.js sees values >= 0; the shape is f's). The
// reader drags x (pointer, touch, or the arrow keys on the focused point) and sets a, b, c and
// the inner step size alpha; "C = 0" removes the curvature. For each setting the graph
// quadratic_curvature gives phi = x - alpha grad f(x), the exact meta-gradient
// d f(phi(x)) / dx = (I - alpha C) grad f(phi) and the first-order one, grad f(phi), with C and
// its eigenvalues. Every number and every arrow on screen is one of those outputs:
//   - a thin arrow x -> phi (the inner step) and a cross at phi;
//   - two arrows from x, to x - s * (exact) and to x - s * (first-order): downhill, as an update
//     of x would go, each drawn `arrow_scale` (s) times its length so short gradients stay
//     visible. They are clipped to the plot when they leave it.
//
// params: {x = [0.8, 0.2] (first position), step_size = 1 (alpha), arrow_scale = 2, grid = 41
//          (points per axis of the map), key_step = 0.01 (x per arrow key); a, b, c default to
//          toys.json's quadratic.defaults (ARTICLE.md: 0.5, -0.1, 0)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { button, controlRow, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { arrow, clippedLayer } from "./lib/plot.js";
import { formatNumber, matrixView } from "./lib/readouts.js";
import { disposeAll, loadToys, planeGrid } from "./lib/toys.js";

const DEFAULTS = { x: [0.8, 0.2], step_size: 1, arrow_scale: 2, grid: 41, key_step: 0.01 };
const PLANE = { a: [0, 1], b: [0, 1] }; // planeGrid's names for the two axes: here x1 and x2
const CURVATURE_RANGE = { min: -0.5, max: 0.5, step: 0.01 };
const ALPHA_RANGE = { min: 0, max: 2, step: 0.05 };
const SERIES = { x: 1, phi: 6, exact: 3, firstOrder: 2 };

/** A short coloured line (decorative), telling which arrow a readout belongs to. */
function swatch(series, { thin = false } = {}) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 22 10");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "10");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "line");
  for (const [name, value] of Object.entries({ x1: 1, y1: 5, x2: 21, y2: 5, "stroke-width": thin ? 1.5 : 3 })) {
    line.setAttribute(name, String(value));
  }
  line.setAttribute("style", `stroke: var(--fig-${series})`);
  svg.append(line);
  return svg;
}

/** The numbers beside the map: C, its eigenvalues, and both meta-gradients as column vectors. */
function createNumbers(parent) {
  const panel = document.createElement("div");
  panel.className = "figure-curvature-numbers";
  Object.assign(panel.style, { display: "flex", flexDirection: "column", gap: "0.7rem", alignSelf: "center" });
  parent.append(panel);
  const views = {
    curvature: matrixView(panel, { label: "Hessian C =" }),
    eigenvalues: matrixView(panel, { label: "eigenvalues of C:", rows: 1, columns: 2 }),
    exact: matrixView(panel, { label: "exact, (I − αC) ∇f(φ) =", rows: 2, columns: 1 }),
    firstOrder: matrixView(panel, { label: "first-order, ∇f(φ) =", rows: 2, columns: 1 }),
  };
  views.exact.element.prepend(swatch(SERIES.exact));
  views.firstOrder.element.prepend(swatch(SERIES.firstOrder));
  const key = document.createElement("p");
  Object.assign(key.style, { margin: "0", fontFamily: "var(--font-ui)", fontSize: "0.85rem" });
  key.append(swatch(SERIES.phi, { thin: true }), " one inner step, x → φ = x − α∇f(x)");
  panel.append(key);
  return views;
}

/** The static picture: the figure's first frame, drawn by the same code as the page's. */
export async function picture(element, params, runtime) {
  await build(element, params, runtime, { interactive: false });
}

export async function mount(element, params, runtime) {
  return build(element, params, runtime, { interactive: true });
}

async function build(element, params, runtime, { interactive }) {
  const [toys, landscapeSession, curvatureSession] = await Promise.all([
    loadToys(runtime),
    runtime.session("quadratic_landscape"),
    runtime.session("quadratic_curvature"),
  ]);
  const defaults = { ...DEFAULTS, ...toys.quadratic.defaults };
  const settings = { ...defaults, ...params };
  const n = settings.grid;
  const gridTensor = runtime.tensor(planeGrid(PLANE, n), [n * n, 2]); // kept; released on destroy
  const initial = () => ({ x: [...settings.x], a: settings.a, b: settings.b, c: settings.c, alpha: settings.step_size });
  const state = { ...initial(), result: null, landscape: null };
  const f2 = (v) => v.toFixed(2);
  const f3 = (v) => formatNumber(v, 3);

  element.replaceChildren();
  const row = landscapeRow(element);
  const map = createLandscape(row, {
    x: PLANE.a,
    y: PLANE.b,
    xlabel: "x₁",
    ylabel: "x₂",
    title: "f(x), shifted so its lowest value here is 0",
    label: "Map of the quadratic f over the plane, with x, the inner step to φ and both meta-gradients as arrows",
  });
  const numbers = createNumbers(row);
  const phiMarker = map.marker("φ, where one inner step from x lands", SERIES.phi);
  const arrows = clippedLayer(map.plot, "arrows");
  const stepArrow = arrow(map.plot, arrows, { series: SERIES.phi, width: 1.5, className: "fig-arrow-step" });
  // The exact arrow is wider and underneath, so it still shows where the two coincide (C = 0).
  const exactArrow = arrow(map.plot, arrows, { series: SERIES.exact, width: 4, className: "fig-arrow-exact" });
  const firstOrderArrow = arrow(map.plot, arrows, { series: SERIES.firstOrder, width: 2, className: "fig-arrow-first-order" });
  const handle = createHandle(map.plot, map.plot.layer("handles"), {
    interactive,
    x: state.x[0],
    y: state.x[1],
    label: "x, the starting point",
    series: SERIES.x,
    step: [settings.key_step, settings.key_step],
    format: (x1, x2) => `x₁ = ${f2(x1)}, x₂ = ${f2(x2)}`,
    onMove: (x1, x2) => {
      state.x = [x1, x2];
      request();
    },
  });
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });

  const sliders = {};
  if (interactive) {
    const curvatureRow = controlRow(element);
    for (const [name, label] of [["a", "a (C₁₁)"], ["b", "b (C₁₂ = C₂₁)"], ["c", "c (C₂₂)"]]) {
      sliders[name] = slider(curvatureRow, {
        label,
        ...CURVATURE_RANGE,
        value: state[name],
        format: (v) => formatNumber(v, 2),
        onInput: (v) => {
          state[name] = v;
          request();
        },
      });
    }
    const stepRow = controlRow(element);
    sliders.alpha = slider(stepRow, {
      label: "Inner step size α",
      ...ALPHA_RANGE,
      value: state.alpha,
      format: f2,
      onInput: (v) => {
        state.alpha = v;
        request();
      },
    });
    button(stepRow, { label: "C = 0", onClick: () => setCurvature(0, 0, 0) });
    button(stepRow, { label: "Reset", onClick: reset });
  }

  /** Both graphs for one setting; the map only when C changed since it was last drawn. */
  async function compute(job) {
    const inputs = {
      x: runtime.tensor(job.x, [2]),
      a: runtime.tensor([job.a], []),
      b: runtime.tensor([job.b], []),
      c: runtime.tensor([job.c], []),
      step_size: runtime.tensor([job.alpha], []),
    };
    try {
      // The float32 values the graphs saw, reported next to their outputs.
      const seen = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, Array.from(t.data)]));
      const key = [seen.a[0], seen.b[0], seen.c[0]].join(",");
      let landscape = null;
      if (state.landscape?.key !== key) {
        const out = await runtime.run(landscapeSession, { grid: gridTensor, a: inputs.a, b: inputs.b, c: inputs.c });
        landscape = { key, loss: out.loss, offset: out.offset[0] };
      }
      const out = await runtime.run(curvatureSession, inputs);
      show({ seen, out, landscape });
    } finally {
      disposeAll(inputs);
    }
  }

  const runner = latestOnly(compute);
  const request = () => runner.request({ x: Float32Array.from(state.x), a: state.a, b: state.b, c: state.c, alpha: state.alpha });

  /** Draw one result, exactly as the graphs computed it. */
  function show({ seen, out, landscape }) {
    if (landscape) {
      map.draw({ values: landscape.loss, nx: n, ny: n });
      state.landscape = landscape;
    }
    state.result = { seen, out };
    const [x1, x2] = seen.x;
    const [p1, p2] = out.phi;
    const s = settings.arrow_scale;
    stepArrow.set(x1, x2, p1, p2);
    phiMarker.set(p1, p2);
    exactArrow.set(x1, x2, x1 - s * out.meta_gradient[0], x2 - s * out.meta_gradient[1]);
    firstOrderArrow.set(x1, x2, x1 - s * out.first_order_meta_gradient[0], x2 - s * out.first_order_meta_gradient[1]);
    numbers.curvature.set(out.curvature);
    numbers.eigenvalues.set(out.eigenvalues);
    numbers.exact.set(out.meta_gradient);
    numbers.firstOrder.set(out.first_order_meta_gradient);
    readout.set(
      `x = (${f2(x1)}, ${f2(x2)}), α = ${f2(seen.step_size[0])}: φ = (${f3(p1)}, ${f3(p2)}), ` +
        `f(x) = ${f3(out.loss[0])}, f(φ) = ${f3(out.loss_after[0])}.`,
    );
  }

  function setCurvature(a, b, c) {
    Object.assign(state, { a, b, c });
    for (const [name, value] of Object.entries({ a, b, c })) sliders[name].value = value;
    return request();
  }

  function reset() {
    Object.assign(state, initial());
    for (const name of ["a", "b", "c", "alpha"]) sliders[name].value = state[name];
    handle.set(state.x[0], state.x[1]);
    return request();
  }

  await request();
  if (!interactive) {
    disposeAll({ gridTensor });
    return null;
  }

  const api = {
    /** For tests and benchmarks: the graphs' last inputs and outputs, and the marks drawn. */
    inspect: () => {
      const { seen, out } = state.result;
      const vector = (v) => Array.from(v);
      const ends = (line) => ({
        from: line.node.dataset.from.split(",").map(Number),
        to: line.node.dataset.to.split(",").map(Number),
      });
      return {
        x: seen.x,
        a: seen.a[0],
        b: seen.b[0],
        c: seen.c[0],
        alpha: seen.step_size[0],
        arrowScale: settings.arrow_scale,
        grid: n,
        plane: PLANE,
        outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, vector(v)])),
        landscape: { loss: vector(state.landscape.loss), offset: state.landscape.offset, key: state.landscape.key },
        arrows: { step: ends(stepArrow), exact: ends(exactArrow), firstOrder: ends(firstOrderArrow) },
        inner: map.plot.inner,
        handle: { x: handle.x, y: handle.y },
      };
    },
    /** Resolves when every requested computation has been drawn. */
    idle: () => runner.idle(),
    destroy: () => {
      disposeAll({ gridTensor });
      element.replaceChildren();
    },
  };
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = api;
  return api;
}
