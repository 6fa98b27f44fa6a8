// The MSE readout: a line of text with the current step and MSE (the numbers the graph returned),
// and a small chart of the MSE after each step so far, for the model and its comparison, over
// the model's mean evaluation curve (the same fine-tuning averaged over many tasks, from the
// manifest), so that one example cannot mislead; its key in HTML under the chart.

import { axes, createPlot, curve, dots, key } from "../lib/plot.js";

/** One layout at every width (a phone stacks the chart under the curve plot). */
const SIZE = { width: 300, height: 220, margin: { top: 10, right: 10, bottom: 36, left: 40 } };

/** MSE with enough digits to compare runs, without pretending to more. */
export function formatMse(value) {
  return value >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

/**
 * A model's mean evaluation curve for `samples` support points: the manifest's K = 5 or K = 10
 * curve, whichever is nearer, as {mean: [MSE after n steps], tasks, shots}; null without one.
 */
export function referenceCurve(evaluation, samples) {
  if (!evaluation) return null;
  const name = samples > 7 && evaluation.K10 ? "K10" : "K5";
  if (!evaluation[name]) return null;
  return { mean: evaluation[name].mean, tasks: evaluation.protocol.tasks, shots: Number(name.slice(1)) };
}

/**
 * createReadout(parent, {method, compareMethod, modelLabel, compareLabel, live, evaluations})
 *   -> {update({step, steps, mse, compareMse, samples})}
 *   mse / compareMse: arrays, entry n = MSE after n steps (entry 0 = before fine-tuning).
 *   evaluations: {model, compare}: the manifest's models.<name>.evaluation of each, or null; the
 *   mean curve for the number of samples is drawn faint.
 */
export function createReadout(parent, options) {
  const { method, compareMethod, modelLabel, compareLabel, live = true, evaluations = {} } = options;
  let reference = null;
  let compareReference = null;
  const holder = document.createElement("div");
  holder.className = "finetune-mse";
  const text = document.createElement("p");
  text.className = "readout figure-readout finetune-readout";
  // Announced as it changes; "off" during the animation would hide progress, "polite" suffices.
  if (live) text.setAttribute("aria-live", "polite");
  const chartHolder = document.createElement("div");
  const keyHolder = document.createElement("div");
  holder.append(text, chartHolder, keyHolder);
  parent.append(holder);

  const mine = { method, stroke: "exact" };
  const theirs = compareMethod ? { method: compareMethod, stroke: "exact" } : null;
  const faint = (name) => ({ method: name, stroke: "reference" });

  // The frame (axes, ticks) depends only on the number of steps, the y range and whether there is
  // a comparison, which a fine-tuning run rarely changes: it is built once per run, and each step
  // redraws just the series layer.
  let frame = null; // {id, plot, layer}

  function drawFrame(id, top, steps) {
    const plot = createPlot({
      ...SIZE,
      x: [0, Math.max(steps, 1)],
      y: [0, top],
      label: "MSE against the true curve after each fine-tuning step",
    });
    // Five ticks at most along either axis: the chart is small, and more labels would overlap.
    axes(plot, { xlabel: "step", ylabel: "MSE", xticks: Math.min(steps, 5) || 1, yticks: 4 });
    const layer = plot.layer("series");
    plot.root.append("title").text("MSE after each step");
    chartHolder.replaceChildren(plot.svg);
    return { id, plot, layer };
  }

  /** The mean curve, up to the last step it has and the chart shows. */
  const referencePoints = (ref, steps) => (ref ? ref.mean.slice(0, Math.min(ref.mean.length, steps + 1)) : null);

  let keyShown = "";
  function drawKey(withCompare) {
    const entries = [{ label: `${modelLabel}, this task`, ...mine, marker: "dot" }];
    if (reference) entries.push({ label: `mean over ${reference.tasks} tasks, K = ${reference.shots}`, ...faint(method) });
    if (withCompare && theirs) {
      entries.push({ label: compareLabel, ...theirs, marker: "dot" });
      if (compareReference) entries.push({ label: `its mean, K = ${compareReference.shots}`, ...faint(compareMethod) });
    }
    const id = JSON.stringify(entries.map((e) => e.label));
    if (id === keyShown) return;
    keyShown = id;
    keyHolder.replaceChildren();
    key(keyHolder, entries);
  }

  function chart(mse, compareMse, steps) {
    const ref = referencePoints(reference, steps);
    const compareRef = compareMse ? referencePoints(compareReference, steps) : null;
    const all = [...mse, ...(compareMse ?? []), ...(ref ?? []), ...(compareRef ?? [])];
    const top = Math.max(...all, 1e-3) * 1.1;
    const id = `${steps}|${top}`;
    if (frame?.id !== id) frame = drawFrame(id, top, steps);
    const { plot, layer } = frame;
    layer.selectAll("*").remove();
    const line = (values, style) => curve(layer, plot.x, plot.y, style).set(values.map((_, i) => i), values);
    const draw = (values, style) => {
      line(values, style);
      dots(layer, values.map((_, i) => i), values, plot.x, plot.y, { ...style, radius: 3 });
    };
    if (compareRef) line(compareRef, faint(compareMethod));
    if (ref) line(ref, faint(method));
    if (compareMse) draw(compareMse, theirs);
    draw(mse, mine);
    drawKey(Boolean(compareMse));
  }

  return {
    element: text,
    /** The mean evaluation curve drawn for the model: {shots, mean} or null. */
    get reference() {
      return reference && { shots: reference.shots, mean: [...reference.mean] };
    },
    update({ step, steps, mse, compareMse = null, samples = 0 }) {
      reference = referenceCurve(evaluations.model, samples);
      compareReference = referenceCurve(evaluations.compare, samples);
      let line = `Step ${step} of ${steps} · MSE against the true curve: ${formatMse(mse[step])}`;
      if (compareMse && compareMse.length > step) line += ` · ${compareLabel}: ${formatMse(compareMse[step])}`;
      text.textContent = line;
      text.dataset.step = String(step);
      chart(mse.slice(0, step + 1), compareMse?.slice(0, step + 1), steps);
    },
  };
}
