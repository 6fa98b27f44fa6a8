// The sinusoid plot of the fine-tuning figures: the true curve, the network's prediction before
// fine-tuning, after one step and after the steps taken so far, an optional comparison model's
// prediction, and the support samples; with its key in HTML under the plot.
//
// Input: a click or tap on the plot adds a sample at that x; the plot area is also focusable, where
// the arrow keys move a cursor along x (Shift for big steps) and Enter or Space adds a sample at
// the cursor. Each sample is a focusable point: a click, Delete or Backspace removes it. The y of a
// sample always comes from the graph (the true curve at that x), never from the pointer.

import { axes, clampToDomain, clippedLayer, createPlot, curve, fmt, key } from "../lib/plot.js";
import { createHandle } from "../lib/handle.js";
import { ROLES } from "../lib/palette.js";
import { X_RANGE } from "./compute.js";
import { pointer } from "d3-selection";

const Y_RANGE = [-6, 6];
/** One layout at every width: at 390 px a sample's touch circle is still 25 px across. */
const SIZE = { width: 400, height: 270, margin: { top: 10, right: 10, bottom: 36, left: 36 } };
const CURSOR_STEP = 0.1;
const CURSOR_BIG_STEP = 1;
/** The support samples: the support role's colour (`series: "fg"` names the same --fig-fg). */
const SAMPLE_COLOUR = { color: ROLES.support.color, series: "fg" };

/**
 * Curves arrive on the 1,000-point protocol grid (the MSE needs them all); drawing every fifth
 * point and the last is indistinguishable on screen and keeps each step's redraw cheap.
 */
const DRAW_EVERY = 5;
function thin(values) {
  if (!values) return values;
  const out = [];
  for (let i = 0; i < values.length; i += DRAW_EVERY) out.push(values[i]);
  if ((values.length - 1) % DRAW_EVERY !== 0) out.push(values[values.length - 1]);
  return out;
}

/**
 * The style of each curve. `method` is the palette name of the model shown (its colour), and
 * `compareMethod` the comparison's. The model's curve before fine-tuning is thin, after one step
 * faint (a reference to the current one), and after the steps so far solid.
 */
export function curveStyles(method, compareMethod) {
  return {
    target: { role: "trueCurve", stroke: "dashed" },
    initial: { method, stroke: "inner" },
    oneStep: { method, stroke: "reference" },
    prediction: { method, stroke: "exact" },
    compare: compareMethod ? { method: compareMethod, stroke: "exact" } : null,
  };
}

/**
 * createSinusoidPlot(parent, {method, compareMethod, modelLabel, compareLabel, interactive,
 *                             onAdd(x), onRemove(index)}) -> view
 *   view.setTarget(xs, ys) / setInitial / setOneStep / setPrediction / setCompare(xs, ys | null)
 *   view.setKey({step, compare})   the key lists what is drawn at that step
 *   view.setSamples(xs, ys, focusIndex?)   redraw the sample points (focus one after a removal)
 *   view.focusPlot()
 * With interactive = false (the static picture) the same marks are drawn and no input is wired.
 */
export function createSinusoidPlot(parent, options) {
  const { method, compareMethod, modelLabel, compareLabel, interactive = true, onAdd, onRemove } = options;
  const styles = curveStyles(method, compareMethod);
  const holder = document.createElement("div");
  holder.className = "finetune-curve";
  parent.append(holder);
  const plot = createPlot({
    ...SIZE,
    x: X_RANGE,
    y: Y_RANGE,
    role: "group",
    label: `Target sinusoid, samples and the ${modelLabel}'s prediction`,
  });
  holder.append(plot.svg);
  axes(plot, { xlabel: "x", ylabel: "y", xticks: 5, yticks: [-6, -3, 0, 3, 6] });

  // Stacking: the input surface at the back, then curves (which let clicks through), then samples.
  const { left, top, width, height } = plot.inner;
  const surface = plot.layer("surface").append("rect")
    .attr("x", left).attr("y", top).attr("width", width).attr("height", height).attr("fill", "transparent");
  const curves = clippedLayer(plot, "curves").style("pointer-events", "none").attr("aria-hidden", "true");
  const line = (style) => curve(curves, plot.x, plot.y, style);
  const initialLine = line(styles.initial);
  const oneStepLine = line(styles.oneStep);
  const targetLine = line(styles.target);
  const compareLine = styles.compare ? line(styles.compare) : null;
  const predictionLine = line(styles.prediction);
  const cursor = plot.layer("cursor");
  const samplesLayer = plot.layer("samples");
  let handles = [];

  const keyHolder = document.createElement("div");
  holder.append(keyHolder);
  let keyShown = "";
  function setKey({ step, compare }) {
    const entries = [{ label: ROLES.trueCurve.label, ...styles.target }];
    entries.push({ label: "samples", role: "support", marker: "dot" });
    if (step === 0) {
      entries.push({ label: `${modelLabel}, not fine-tuned yet`, ...styles.prediction });
    } else {
      entries.push({ label: "before fine-tuning", ...styles.initial });
      if (step > 1) entries.push({ label: "after 1 step", ...styles.oneStep });
      entries.push({ label: `${modelLabel} after ${step} step${step === 1 ? "" : "s"}`, ...styles.prediction });
    }
    if (compare && styles.compare) entries.push({ label: compareLabel, ...styles.compare });
    const id = JSON.stringify(entries.map((e) => e.label));
    if (id === keyShown) return; // most steps change nothing in the key
    keyShown = id;
    keyHolder.replaceChildren();
    key(keyHolder, entries);
  }

  const focusArea = interactive ? wireInput(plot, surface, cursor, onAdd) : () => {};
  const set = (curveMark) => (xs, ys) => curveMark.set(thin(xs), thin(ys));
  return {
    svg: plot.svg,
    setTarget: set(targetLine),
    setInitial: set(initialLine),
    setOneStep: set(oneStepLine),
    setPrediction: set(predictionLine),
    setCompare(xs, ys) {
      compareLine?.set(thin(xs), thin(ys));
    },
    setKey,
    setSamples(xs, ys, focusIndex = null) {
      handles.forEach((h) => h.destroy());
      handles = xs.map((x, i) =>
        createHandle(plot, samplesLayer, {
          x,
          y: clampToDomain(plot.y, ys[i]),
          label: `Sample ${i + 1} of ${xs.length}`,
          ...SAMPLE_COLOUR,
          radius: 5,
          movable: false,
          interactive,
          format: (hx) => `x = ${hx.toFixed(2)}, y = ${ys[i].toFixed(2)}`,
          hint: "Delete or click removes it",
          onActivate: () => onRemove(i),
          onRemove: () => onRemove(i),
        }),
      );
      samplesLayer.attr("data-role", "support");
      if (focusIndex === null) return;
      // Keep keyboard users in place: focus the sample that took the removed one's position, or
      // the plot area when none is left.
      if (handles.length) handles[Math.min(focusIndex, handles.length - 1)].focus();
      else focusArea();
    },
    focusPlot: () => focusArea(),
  };
}

/**
 * Input on the plot: a click or tap adds a sample at that x; the focusable plot area moves a
 * keyboard cursor along x (arrows, Shift for big steps, Home/End) and Enter or Space adds a sample
 * there. The y of a sample always comes from the graph (the true curve at that x), never from
 * the pointer. Returns a function that focuses the area.
 */
function wireInput(plot, surface, cursor, onAdd) {
  const area = cursor.attr("tabindex", 0).attr("role", "slider")
    .attr("aria-label", "Position of a new sample on the x axis (Enter adds a sample there)")
    .attr("aria-valuemin", X_RANGE[0]).attr("aria-valuemax", X_RANGE[1]).style("outline", "none");
  // The area's focus outline: a frame around the plot, drawn only while it has focus.
  const { left, top, width, height, bottom } = plot.inner;
  const frame = area.append("rect").attr("x", left - 2).attr("y", top - 2).attr("width", width + 4)
    .attr("height", height + 4).attr("fill", "none").attr("stroke-width", 2.5)
    .style("stroke", "var(--focus)").attr("visibility", "hidden");
  const cursorLine = area.append("line").attr("y1", top).attr("y2", bottom).attr("stroke-width", 1.5)
    .attr("stroke-dasharray", "3 3").style("stroke", "var(--focus)").attr("visibility", "hidden");
  let cursorX = 0;
  function renderCursor() {
    cursorLine.attr("x1", fmt(plot.x(cursorX))).attr("x2", fmt(plot.x(cursorX)));
    area.attr("aria-valuenow", cursorX.toFixed(2)).attr("aria-valuetext", `x = ${cursorX.toFixed(2)}; Enter adds a sample here`);
  }
  renderCursor();
  const show = (visible) => {
    frame.attr("visibility", visible ? "visible" : "hidden");
    cursorLine.attr("visibility", visible ? "visible" : "hidden");
  };
  area.on("focus", () => show(true)).on("blur", () => show(false));
  area.on("keydown", (event) => {
    const step = event.shiftKey ? CURSOR_BIG_STEP : CURSOR_STEP;
    const moves = { ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step };
    if (event.key in moves) {
      // Round to the step so repeated presses land on tidy positions (x = 1.30, not 1.2999).
      cursorX = clampToDomain(plot.x, Math.round((cursorX + moves[event.key]) / CURSOR_STEP) * CURSOR_STEP);
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
  surface.style("cursor", "crosshair").on("click", (event) => {
    const [px] = pointer(event, plot.svg); // client pixels to the SVG's user units
    cursorX = clampToDomain(plot.x, plot.x.invert(px));
    renderCursor();
    onAdd(cursorX);
  });
  return () => area.node().focus({ preventScroll: true });
}
