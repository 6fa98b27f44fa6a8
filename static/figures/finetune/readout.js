// The MSE readout: a line of text with the current step and MSE (the numbers the graph returned),
// and a small chart of the MSE after each step so far, for the model and its comparison.

import { axes, createPlot, curve, dots, legend } from "../lib/plot.js";
import { COLORS } from "./plot.js";

const HEIGHT = 150;

/** MSE with enough digits to compare runs, without pretending to more. */
export function formatMse(value) {
  return value >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

/**
 * createReadout(parent, {modelLabel, compareLabel, live}) -> {update({step, steps, mse, compareMse})}
 *   mse / compareMse: arrays, entry n = MSE after n steps (entry 0 = before fine-tuning).
 */
export function createReadout(parent, { modelLabel, compareLabel, live = true }) {
  const text = document.createElement("p");
  text.className = "readout figure-readout";
  Object.assign(text.style, { margin: "0.3rem 0", fontFamily: "var(--font-ui)", fontSize: "0.95rem" });
  // Announced as it changes; "off" during the animation would hide progress, "polite" suffices.
  if (live) text.setAttribute("aria-live", "polite");
  const chartHolder = document.createElement("div");
  parent.append(text, chartHolder);

  // The frame (axes, ticks, legend) depends only on the number of steps, the y range and whether
  // there is a comparison, which a fine-tuning run rarely changes: it is built once per run, and
  // each step redraws just the series layer.
  let frame = null; // {key, plot, layer}

  function drawFrame(key, top, steps, withCompare) {
    const plot = createPlot({
      height: HEIGHT,
      margin: { top: 10, bottom: 34 },
      x: [0, Math.max(steps, 1)],
      y: [0, top],
      label: "MSE against the true curve after each fine-tuning step",
    });
    // One tick per step along x, but only three along y: the chart is short, and more labels
    // would overlap.
    axes(plot, { xlabel: "step", ylabel: "MSE", xticks: Math.min(steps, 10) || 1, yticks: 3 });
    const layer = plot.layer("series");
    const entries = [{ label: modelLabel, ...COLORS.prediction, marker: "dot" }];
    if (withCompare) entries.push({ label: compareLabel, ...COLORS.compare, marker: "dot" });
    legend(plot, entries, { x: plot.inner.right - 150 });
    plot.root.append("title").text("MSE after each step");
    chartHolder.replaceChildren(plot.svg);
    return { key, plot, layer };
  }

  function chart(mse, compareMse, steps) {
    const all = compareMse ? [...mse, ...compareMse] : mse;
    const top = Math.max(...all, 1e-3) * 1.1;
    const key = `${steps}|${top}|${Boolean(compareMse)}`;
    if (frame?.key !== key) frame = drawFrame(key, top, steps, Boolean(compareMse));
    const { plot, layer } = frame;
    layer.selectAll("*").remove();
    const draw = (values, style) => {
      const xs = values.map((_, i) => i);
      curve(layer, plot.x, plot.y, { ...style, dashed: false }).set(xs, values);
      dots(layer, xs, values, plot.x, plot.y, { ...style, radius: 3 });
    };
    if (compareMse) draw(compareMse, COLORS.compare);
    draw(mse, COLORS.prediction);
  }

  return {
    element: text,
    update({ step, steps, mse, compareMse = null }) {
      let line = `Step ${step} of ${steps} · MSE against the true curve: ${formatMse(mse[step])}`;
      if (compareMse && compareMse.length > step) line += ` · ${compareLabel}: ${formatMse(compareMse[step])}`;
      text.textContent = line;
      text.dataset.step = String(step);
      chart(mse.slice(0, step + 1), compareMse?.slice(0, step + 1), steps);
    },
  };
}
