// The sinusoid plot of the fine-tuning figures: the true curve, the network's prediction before
// and during fine-tuning, an optional comparison curve, and the support samples.
//
// Input: a click or tap on the plot adds a sample at that x; the plot area is also focusable, where
// the arrow keys move a cursor along x (Shift for big steps) and Enter or Space adds a sample at
// the cursor. Each sample is a focusable point: a click, Delete or Backspace removes it. The y of a
// sample always comes from the graph (the true curve at that x), never from the pointer.

import { axes, clientToUser, clipToInner, createPlot, el, fmt, legend, polyline, setPolyline } from "../lib/svg.js";
import { createHandle } from "../lib/handle.js";
import { X_RANGE } from "./compute.js";

const Y_RANGE = [-6, 6];
const CURSOR_STEP = 0.1;
const CURSOR_BIG_STEP = 1;

/**
 * Curves arrive on the 1,000-point protocol grid (the MSE needs them all); drawing every fifth
 * point and the last is indistinguishable on screen and keeps each step's redraw cheap (as
 * DRAW_EVERY in build/sitegen/fallback_finetune.py).
 */
const DRAW_EVERY = 5;
function thin(values) {
  if (!values) return values;
  const out = [];
  for (let i = 0; i < values.length; i += DRAW_EVERY) out.push(values[i]);
  if ((values.length - 1) % DRAW_EVERY !== 0) out.push(values[values.length - 1]);
  return out;
}

export const COLORS = {
  target: { series: 2, dashed: true },
  initial: { color: "var(--fig-muted)", dashed: true },
  prediction: { series: 1 },
  compare: { series: 4 },
  sample: 2,
};

/**
 * createSinusoidPlot(parent, {modelLabel, compareLabel, onAdd(x), onRemove(index)}) -> view
 *   view.setTarget(xs, ys) / setInitial(xs, ys) / setPrediction(xs, ys) / setCompare(xs, ys | null)
 *   view.setSamples(xs, ys, focusIndex?)   redraw the sample points (focus one after a removal)
 *   view.focusPlot()
 */
export function createSinusoidPlot(parent, { modelLabel, compareLabel, onAdd, onRemove }) {
  const plot = createPlot({
    x: X_RANGE,
    y: Y_RANGE,
    role: "group",
    label: `Target sinusoid, samples and the ${modelLabel}'s prediction`,
  });
  parent.append(plot.svg);
  axes(plot, { xlabel: "x", ylabel: "y" });

  // Stacking: the input surface at the back, then curves (which let clicks through), then samples.
  const surface = el("rect", {
    x: plot.inner.left,
    y: plot.inner.top,
    width: plot.inner.width,
    height: plot.inner.height,
    fill: "transparent",
  }, plot.layer("surface"));
  const curves = clipToInner(plot, plot.layer("curves"));
  curves.style.pointerEvents = "none";
  curves.setAttribute("aria-hidden", "true");
  const line = (style) => polyline(curves, null, null, plot.x, plot.y, style);
  const initialLine = line(COLORS.initial);
  const targetLine = line(COLORS.target);
  const compareLine = line(COLORS.compare);
  const predictionLine = line(COLORS.prediction);

  // ---- the keyboard cursor (the focusable plot area) ----
  const area = plot.layer("cursor");
  area.setAttribute("tabindex", "0");
  area.setAttribute("role", "slider");
  area.setAttribute("aria-label", "Position of a new sample on the x axis (Enter adds a sample there)");
  area.setAttribute("aria-valuemin", String(X_RANGE[0]));
  area.setAttribute("aria-valuemax", String(X_RANGE[1]));
  area.style.outline = "none";
  // The area's focus outline: a frame around the plot, drawn only while it has focus.
  const frame = el("rect", {
    x: plot.inner.left - 2,
    y: plot.inner.top - 2,
    width: plot.inner.width + 4,
    height: plot.inner.height + 4,
    fill: "none",
    "stroke-width": 2.5,
    style: { stroke: "var(--focus)" },
    visibility: "hidden",
  }, area);
  const cursorLine = el("line", {
    y1: plot.inner.top,
    y2: plot.inner.bottom,
    "stroke-width": 1.5,
    "stroke-dasharray": "3 3",
    style: { stroke: "var(--focus)" },
    visibility: "hidden",
  }, area);
  area.append(frame, cursorLine);
  let cursorX = 0;
  function renderCursor() {
    cursorLine.setAttribute("x1", fmt(plot.x(cursorX)));
    cursorLine.setAttribute("x2", fmt(plot.x(cursorX)));
    area.setAttribute("aria-valuenow", cursorX.toFixed(2));
    area.setAttribute("aria-valuetext", `x = ${cursorX.toFixed(2)}; Enter adds a sample here`);
  }
  renderCursor();
  area.addEventListener("focus", () => {
    frame.setAttribute("visibility", "visible");
    cursorLine.setAttribute("visibility", "visible");
  });
  area.addEventListener("blur", () => {
    frame.setAttribute("visibility", "hidden");
    cursorLine.setAttribute("visibility", "hidden");
  });
  area.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? CURSOR_BIG_STEP : CURSOR_STEP;
    const moves = { ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step };
    if (event.key in moves) {
      // Round to the step so repeated presses land on tidy positions (x = 1.30, not 1.2999).
      cursorX = plot.x.clamp(Math.round((cursorX + moves[event.key]) / CURSOR_STEP) * CURSOR_STEP);
    } else if (event.key === "Home" || event.key === "End") {
      cursorX = event.key === "Home" ? X_RANGE[0] : X_RANGE[1];
    } else if (event.key === "Enter" || event.key === " ") {
      onAdd(cursorX);
    } else {
      return;
    }
    event.preventDefault();
    renderCursor();
  });

  // ---- pointer: a click or tap anywhere on the plot adds a sample at that x ----
  surface.style.cursor = "crosshair";
  surface.addEventListener("click", (event) => {
    const p = clientToUser(plot.svg, event.clientX, event.clientY);
    const x = plot.x.clamp(plot.x.invert(p.x));
    cursorX = x;
    renderCursor();
    onAdd(x);
  });

  const samplesLayer = plot.layer("samples");
  let handles = [];

  const legendEntries = [
    { label: "true curve", ...COLORS.target },
    { label: `${modelLabel}, before fine-tuning`, ...COLORS.initial },
    { label: `${modelLabel}, fine-tuned`, ...COLORS.prediction },
  ];
  const legendLayer = plot.layer("legend");
  legendLayer.style.pointerEvents = "none";
  function drawLegend(withCompare) {
    legendLayer.replaceChildren();
    const entries = withCompare ? [...legendEntries, { label: compareLabel, ...COLORS.compare }] : legendEntries;
    legend(plot, entries, { parent: legendLayer });
  }
  drawLegend(false);

  const set = (lineElement) => (xs, ys) => setPolyline(lineElement, thin(xs), thin(ys), plot.x, plot.y);
  return {
    svg: plot.svg,
    setTarget: set(targetLine),
    setInitial: set(initialLine),
    setPrediction: set(predictionLine),
    setCompare(xs, ys) {
      setPolyline(compareLine, thin(xs), thin(ys), plot.x, plot.y);
      drawLegend(Boolean(xs));
    },
    setSamples(xs, ys, focusIndex = null) {
      handles.forEach((h) => h.destroy());
      handles = xs.map((x, i) =>
        createHandle(plot, samplesLayer, {
          x,
          y: plot.y.clamp(ys[i]),
          label: `Sample ${i + 1} of ${xs.length}`,
          series: COLORS.sample,
          radius: 5,
          movable: false,
          format: (hx) => `x = ${hx.toFixed(2)}, y = ${ys[i].toFixed(2)}`,
          hint: "Delete or click removes it",
          onActivate: () => onRemove(i),
          onRemove: () => onRemove(i),
        }),
      );
      if (focusIndex === null) return;
      // Keep keyboard users in place: focus the sample that took the removed one's position, or
      // the plot area when none is left.
      if (handles.length) handles[Math.min(focusIndex, handles.length - 1)].focus();
      else area.focus({ preventScroll: true });
    },
    focusPlot() {
      area.focus({ preventScroll: true });
    },
  };
}
