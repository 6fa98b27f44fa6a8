// Figure "methods-key" (Introduction): the article's visual language, shown once.
//
// Every figure draws a method in the same colour and a kind of line in the same style
// (lib/palette.js); this key lists them where the Introduction presents the methods, drawn by the
// same key() the figures use, so it cannot disagree with them. It has no input: mount() and
// picture() draw the same thing.

import { key, methodEntries } from "./lib/plot.js";

export const params = {}; // it takes none: the build refuses any key in figures.yaml

function draw(element) {
  element.replaceChildren();
  element.classList.add("methods-key");
  key(element, methodEntries(["pretrained", "maml", "fomaml", "reptile", "imaml"], { long: true }));
  key(element, [
    { color: "var(--fig-fg)", stroke: "exact", label: "exact gradient or meta-gradient" },
    { color: "var(--fig-fg)", stroke: "firstOrder", label: "first-order approximation" },
    { color: "var(--fig-fg)", stroke: "inner", label: "one inner (fine-tuning) step" },
    { color: "var(--fig-fg)", stroke: "reference", label: "reference: a mean, or a recorded run" },
  ]);
  key(element, [
    { role: "trueCurve", stroke: "dashed", label: "the true curve of a task" },
    { role: "taskMinimum", marker: "cross", label: "a task's minimum" },
    { role: "taskA", label: "task A" },
    { role: "taskB", label: "task B" },
  ]);
}

export async function picture(element) {
  draw(element);
}

export async function mount(element) {
  draw(element);
}
