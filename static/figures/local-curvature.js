// Figure "local-curvature": the exact and the first-order meta-gradient on the quadratic toy
// f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x, C = [[a, b], [b, c]] (chapter First-order MAML).
//
// The map is f over the square `plane` (graph quadratic_landscape, which shifts f by its grid
// minimum so the log-scaled map of lib/landscape.js sees values >= 0; the shape is f's). The
// reader drags x (pointer, touch, or the arrow keys on the focused point) and sets a, b, c and
// the inner step size alpha; "C = 0" removes the curvature. For each setting the graph
// quadratic_curvature gives phi = x - alpha grad f(x), the exact meta-gradient
// d f(phi(x)) / dx = (I - alpha C) grad f(phi) and the first-order one, grad f(phi), with C and
// its eigenvalues. Every number and every arrow on screen is one of those outputs:
//   - a thin arrow x -> phi (the inner step) and a cross at phi;
//   - two arrows from x, to x - s * (exact) and to x - s * (first-order): downhill, as an update
//     of x would go, at one fixed scale s (`arrow_scale`, stated in the key). The plane reaches a
//     quarter beyond the unit square on every side, so that in the settings the chapter suggests
//     (x in the upper right with a = b = c = 0.5 and alpha = 2, where the first-order arrow
//     points away from the centre) no arrow leaves the map; lib/plot.js cuts one that still does;
//   - C's eigen-axes through the centre (1/2, 1/2) of the quadratic term, each labelled with its
//     eigenvalue mu: the directions in which the exact meta-gradient is the first-order one
//     times 1 - alpha mu. The directions come from the graph's C and eigenvalues (a 2 x 2 null
//     vector, drawing only).
//
// params: {x = [0.8, 0.2] (first position), step_size = 1 (alpha), arrow_scale = 1, grid = 41
//          (points per axis of the map), key_step = 0.01 (x per arrow key), plane = [-0.25, 1.25]
//          (both axes); a, b, c default to toys.json's quadratic.defaults (0.5,
//          -0.1, 0)}
//
// mount() and picture() are one function: the static picture is the first frame without the
// controls and with no input wired.

import { latestOnly } from "./lib/latest.js";
import { button, controlRow, element as newElement, slider, statusLine } from "./lib/controls.js";
import { createHandle } from "./lib/handle.js";
import { createLandscape, landscapeRow } from "./lib/landscape.js";
import { METHODS, STROKES } from "./lib/palette.js";
import { arrow, clippedLayer, fmt, key } from "./lib/plot.js";
import { formatNumber, matrixView } from "./lib/readouts.js";
import { disposeAll, loadToys, planeGrid } from "./lib/toys.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { x: [0.8, 0.2], step_size: 1, arrow_scale: 1, grid: 41, key_step: 0.01, plane: [-0.25, 1.25] };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const CURVATURE_RANGE = { min: -0.5, max: 0.5, step: 0.01 };
const ALPHA_RANGE = { min: 0, max: 2, step: 0.05 };
const CENTRE = [0.5, 0.5]; // f's quadratic term is centred here

/**
 * Unit eigenvectors of the symmetric C = [[a, b], [b, c]] for its eigenvalues mu (from the graph):
 * a null vector of C - mu I, the coordinate axes when C is a multiple of I.
 */
function eigenAxes([a, b, , c], eigenvalues) {
  return eigenvalues.map((mu, i) => {
    const candidates = [[b, mu - a], [mu - c, b]];
    const [v1, v2] = candidates.reduce((p, q) => (Math.hypot(...q) > Math.hypot(...p) ? q : p));
    const norm = Math.hypot(v1, v2);
    return norm > 1e-6 ? [v1 / norm, v2 / norm] : i === 0 ? [1, 0] : [0, 1];
  });
}

/** The numbers beside the map: C, its eigenvalues, and both meta-gradients as column vectors. */
function createNumbers(parent) {
  const panel = newElement("div", { className: "figure-curvature-numbers" }, parent);
  return {
    curvature: matrixView(panel, { label: "Hessian C =" }),
    eigenvalues: matrixView(panel, { label: "eigenvalues μ of C:", rows: 1, columns: 2 }),
    exact: matrixView(panel, { label: "exact, (I − αC) ∇f(ϕ) =", rows: 2, columns: 1 }),
    firstOrder: matrixView(panel, { label: "first-order, ∇f(ϕ) =", rows: 2, columns: 1 }),
  };
}

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const [toys, landscapeSession, curvatureSession] = await Promise.all([
    loadToys(runtime),
    runtime.session("quadratic_landscape"),
    runtime.session("quadratic_curvature"),
  ]);
  const defaults = { ...DEFAULTS, ...toys.quadratic.defaults };
  const settings = { ...defaults, ...params };
  const n = settings.grid;
  const plane = { a: settings.plane, b: settings.plane }; // planeGrid's names for the axes: x1, x2
  const gridTensor = runtime.tensor(planeGrid(plane, n), [n * n, 2]); // kept; released on destroy
  const initial = () => ({ x: [...settings.x], a: settings.a, b: settings.b, c: settings.c, alpha: settings.step_size });
  const state = { ...initial(), result: null, landscape: null };
  const f2 = (v) => v.toFixed(2);
  const f3 = (v) => formatNumber(v, 3);

  element.replaceChildren();
  const row = landscapeRow(element);
  row.classList.add("figure-curvature"); // on the row: a static picture keeps what is inside `element`
  // The map, and beside it (under it on a phone, on the same screen) its controls, key and numbers.
  const mapColumn = newElement("div", { className: "figure-curvature-map" }, row);
  const side = newElement("div", { className: "figure-curvature-side" }, row);
  const map = createLandscape(mapColumn, {
    x: plane.a,
    y: plane.b,
    xlabel: "x₁",
    ylabel: "x₂",
    ticks: [0, 0.5, 1],
    title: "f(x), shifted so its lowest value here is 0",
    label: "Map of the quadratic f over the plane, with x, the inner step to ϕ, both meta-gradients as arrows " +
      "and the eigen-axes of C",
  });
  // The axes are clipped to the map; their labels are not in the clipped layer (a nested <svg>,
  // whose text would not get the figure's text size), and stay inside the map by construction.
  const axesLayer = clippedLayer(map.plot, "eigen-axes");
  const labelLayer = map.plot.layer("eigen-labels").attr("aria-hidden", "true");
  const eigen = [0, 1].map(() => {
    const g = axesLayer.append("g").attr("class", "fig-eigen-axis").attr("aria-hidden", "true");
    const line = g.append("line").attr("stroke-width", STROKES.reference.width + 0.5)
      .attr("stroke-dasharray", STROKES.reference.dash).style("stroke", "var(--fig-fg)").attr("stroke-opacity", 0.7);
    const label = labelLayer.append("text").attr("class", "fig-text fig-eigen-label").style("fill", "var(--fig-fg)")
      .style("paint-order", "stroke").style("stroke", "var(--fig-bg)").style("stroke-width", 3);
    return { line, label };
  });
  const phiMarker = map.marker("ϕ, where one inner step from x lands", { role: "taskA" });
  const arrows = map.plot.layer("arrows");
  const stepArrow = arrow(map.plot, arrows, { role: "taskA", stroke: "inner", width: 1.75, className: "fig-arrow-step" });
  // The exact arrow is wider and underneath, so it still shows where the two coincide (C = 0).
  const exactArrow = arrow(map.plot, arrows, { method: "maml", stroke: "exact", width: 4, className: "fig-arrow-exact" });
  const firstOrderArrow = arrow(map.plot, arrows, { method: "fomaml", stroke: "firstOrder", width: 2.5, className: "fig-arrow-first-order" });
  const handle = createHandle(map.plot, map.plot.layer("handles"), {
    interactive,
    x: state.x[0],
    y: state.x[1],
    label: "x, the starting point",
    color: METHODS.maml.color,
    step: [settings.key_step, settings.key_step],
    format: (x1, x2) => `x₁ = ${f2(x1)}, x₂ = ${f2(x2)}`,
    onMove: (x1, x2) => {
      state.x = [x1, x2];
      request();
    },
  });
  handle.element.dataset.method = "maml";
  const scaleText = settings.arrow_scale === 1 ? "at their true length" : `${settings.arrow_scale} times their length`;

  const sliders = {};
  if (interactive) {
    const curvatureRow = controlRow(side);
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
    const stepRow = controlRow(side);
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
  const keyHolder = newElement("div", { className: "figure-curvature-key" }, side);
  key(keyHolder, [
    { method: "maml", marker: "dot", label: "x (drag it)" },
    { role: "taskA", stroke: "inner", label: "inner step x → ϕ" },
    { method: "maml", stroke: "exact", label: "−exact meta-gradient" },
    { method: "fomaml", stroke: "firstOrder", label: "−first-order meta-gradient" },
    { color: "var(--fig-fg)", stroke: "reference", label: "eigen-axes of C, with μ" },
  ]);
  newElement("p", { className: "figure-curvature-scale", text: `Arrows from x are drawn ${scaleText}.` }, keyHolder);
  const numbers = createNumbers(side);
  const readout = statusLine(element, { className: "figure-status figure-readout", live: interactive });

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
    drawEigenAxes(out.curvature, out.eigenvalues);
    stepArrow.set(x1, x2, p1, p2);
    phiMarker.set(p1, p2);
    exactArrow.set(x1, x2, x1 - s * out.meta_gradient[0], x2 - s * out.meta_gradient[1]);
    firstOrderArrow.set(x1, x2, x1 - s * out.first_order_meta_gradient[0], x2 - s * out.first_order_meta_gradient[1]);
    numbers.curvature.set(out.curvature);
    numbers.eigenvalues.set(out.eigenvalues);
    numbers.exact.set(out.meta_gradient);
    numbers.firstOrder.set(out.first_order_meta_gradient);
    readout.set(
      `x = (${f2(x1)}, ${f2(x2)}), α = ${f2(seen.step_size[0])}: ϕ = (${f3(p1)}, ${f3(p2)}), ` +
        `f(x) = ${f3(out.loss[0])}, f(ϕ) = ${f3(out.loss_after[0])}.`,
    );
  }

  /** C's eigen-axes through CENTRE, across the map, each labelled with its eigenvalue. */
  function drawEigenAxes(curvature, eigenvalues) {
    const { x, y } = map.plot;
    const reach = 3 * (plane.a[1] - plane.a[0]); // beyond the map: the clipped layer trims it
    eigenAxes(Array.from(curvature), Array.from(eigenvalues)).forEach(([v1, v2], i) => {
      const { line, label } = eigen[i];
      line.attr("x1", fmt(x(CENTRE[0] - reach * v1))).attr("y1", fmt(y(CENTRE[1] - reach * v2)))
        .attr("x2", fmt(x(CENTRE[0] + reach * v1))).attr("y2", fmt(y(CENTRE[1] + reach * v2)));
      // The label sits on the axis near the map's edge, at the end farther from x (where the
      // arrows are).
      const half = (plane.a[1] - plane.a[0]) / 2;
      const t = 0.8 * half / Math.max(Math.abs(v1), Math.abs(v2));
      const away = (sign) => Math.hypot(CENTRE[0] + sign * t * v1 - state.x[0], CENTRE[1] + sign * t * v2 - state.x[1]);
      const sign = away(1) >= away(-1) ? 1 : -1;
      const px = x(CENTRE[0] + sign * t * v1);
      label.attr("x", fmt(px + (px > (map.plot.inner.left + map.plot.inner.right) / 2 ? -6 : 6)))
        .attr("y", fmt(y(CENTRE[1] + sign * t * v2) - 6))
        .attr("text-anchor", px > (map.plot.inner.left + map.plot.inner.right) / 2 ? "end" : "start")
        .text(`μ = ${formatNumber(eigenvalues[i], 2)}`);
    });
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
        plane: plane,
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
