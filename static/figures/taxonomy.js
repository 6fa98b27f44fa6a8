// Figure "taxonomy": few-shot learning and meta-learning as two overlapping sets, with the method
// families of the chapter "Meta-learning, and why MAML is model-agnostic" where they belong:
// transfer baselines in few-shot learning alone, the metric-, model- and optimisation-based
// families in the overlap, general learned optimisers and early learning-to-learn in
// meta-learning alone. The figure draws only; there is no graph behind it.
//
// In the page each method is a link (a focusable SVG group with role "link" and a name): hovering
// or focusing it marks the chapter section it belongs to (the class TARGET_CLASS on the section's
// heading and on what follows it up to the next heading of the same level), and activating it
// (click, Enter or Space) goes there: the location hash changes and the heading takes the focus.
// The arrow keys, Home and End move between the methods.
//
// params: {targets: {family key: id of the section's heading}}; a family without a target, or
// whose target is not on the page, is drawn but leads nowhere.
//
// mount() and picture() are one function: the static picture is the first frame without input.

import { createPlot, fmt, seriesColor } from "./lib/plot.js";

const WIDTH = 660;
const HEIGHT = 400;
const TARGET_CLASS = "taxonomy-target";
/** Width of a 12 px label per character, roughly (the build has no text metrics). */
const CHAR_WIDTH = 6.4;

const SETS = [
  { key: "few-shot", label: "Few-shot learning", cx: 235, cy: 205, rx: 215, ry: 180, series: 1, title: [110, 96] },
  { key: "meta", label: "Meta-learning", cx: 425, cy: 205, rx: 215, ry: 180, series: 2, title: [550, 96] },
];

// Families, where they sit (x of their centre line, y of their heading) and their methods.
const FAMILIES = [
  { key: "baselines", label: "Without meta-learning", series: 5, x: 115, y: 160,
    methods: ["Pretrain, then fine-tune", "Linear probe on features"] },
  { key: "metric", label: "Metric-based", series: 1, x: 330, y: 108,
    methods: ["Siamese networks", "Matching networks", "Prototypical networks"] },
  { key: "model", label: "Model-based", series: 2, x: 330, y: 194,
    methods: ["Memory-augmented networks", "Meta networks"] },
  { key: "optimisation", label: "Optimisation-based", series: 3, x: 330, y: 260,
    methods: ["Meta-learner LSTM", "MAML"] },
  { key: "general", label: "Beyond few-shot tasks", series: 4, x: 548, y: 160,
    methods: ["Learned optimisers", "Early learning to learn"], target: "optimisation" },
];
const LINE = 20;

/** Each method with its family, position and the family key whose section it leads to. */
function methods() {
  return FAMILIES.flatMap((family) => family.methods.map((name, i) => ({
    name,
    family,
    x: family.x,
    y: family.y + LINE * (i + 1),
    // "Early learning to learn" is introduced where the two sets are, not with learned optimisers.
    target: name === "Early learning to learn" ? "overview" : family.target ?? family.key,
  })));
}

/** The elements of the section a heading opens: itself and what follows, to the next heading of
 *  its level or higher. Any other element is a section of its own. */
function sectionOf(target, figure) {
  const level = /^H([1-6])$/.exec(target.tagName)?.[1];
  if (!level) return [target];
  const parts = [target];
  for (let node = target.nextElementSibling; node; node = node.nextElementSibling) {
    const other = /^H([1-6])$/.exec(node.tagName)?.[1];
    if (other && Number(other) <= Number(level)) break;
    if (!node.contains(figure)) parts.push(node);
  }
  return parts;
}

/** The static picture: the figure's first frame, drawn by the same code as the page's. */
export async function picture(element, params) {
  build(element, params, { interactive: false });
}

export async function mount(element, params) {
  return build(element, params, { interactive: true });
}

function build(element, params, { interactive }) {
  const targets = params?.targets ?? {};
  element.replaceChildren();
  const plot = createPlot({
    width: WIDTH,
    height: HEIGHT,
    margin: { top: 0, right: 0, bottom: 0, left: 0 },
    label: "Few-shot learning and meta-learning as overlapping sets, with the families of methods in each",
    role: interactive ? "group" : "img",
  });
  element.append(plot.svg);
  const sets = plot.layer("sets").attr("aria-hidden", "true");
  for (const set of SETS) {
    sets.append("ellipse").attr("cx", set.cx).attr("cy", set.cy).attr("rx", set.rx).attr("ry", set.ry)
      .attr("data-set", set.key).attr("stroke-width", 1.5)
      .style("fill", seriesColor(set.series)).style("fill-opacity", "0.07").style("stroke", seriesColor(set.series));
    sets.append("text").attr("class", "fig-text").attr("x", set.title[0]).attr("y", set.title[1])
      .attr("text-anchor", "middle").style("font-size", "15px").style("font-weight", "600").style("fill", "var(--fig-fg)")
      .text(set.label);
  }
  const labels = plot.layer("families").attr("aria-hidden", "true");
  for (const family of FAMILIES) {
    labels.append("text").attr("class", "fig-text").attr("x", family.x).attr("y", family.y).attr("text-anchor", "middle")
      .style("font-weight", "600").style("fill", "var(--fig-fg)").text(family.label);
  }
  const layer = plot.layer("methods");
  const items = methods().map((method) => {
    const width = method.name.length * CHAR_WIDTH + 18;
    const g = layer.append("g").attr("class", "taxonomy-method").attr("data-family", method.family.key)
      .attr("data-target-key", method.target);
    const box = g.append("rect").attr("class", "taxonomy-method-box").attr("x", fmt(method.x - width / 2)).attr("y", method.y - 13)
      .attr("width", fmt(width)).attr("height", 18).attr("rx", 4).style("fill", "transparent");
    g.append("circle").attr("cx", fmt(method.x - width / 2 + 7)).attr("cy", method.y - 4).attr("r", 3.5)
      .style("fill", seriesColor(method.family.series));
    g.append("text").attr("class", "fig-text").attr("x", fmt(method.x - width / 2 + 15)).attr("y", method.y)
      .style("fill", "var(--fig-fg)").text(method.name);
    return { ...method, g, box };
  });
  if (!interactive) return null;

  const figure = element.closest("figure") ?? element;
  let marked = [];
  const unmark = () => {
    for (const node of marked) node.classList.remove(TARGET_CLASS);
    marked = [];
  };
  const targetOf = (item) => {
    const id = targets[item.target];
    return id ? document.getElementById(id) : null;
  };
  const mark = (item) => {
    unmark();
    const target = targetOf(item);
    if (!target) return;
    marked = sectionOf(target, figure);
    for (const node of marked) node.classList.add(TARGET_CLASS);
  };
  const go = (item) => {
    const target = targetOf(item);
    if (!target) return;
    if (location.hash === `#${target.id}`) target.scrollIntoView();
    else location.hash = target.id;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  };

  for (const [index, item] of items.entries()) {
    const id = targets[item.target];
    const heading = id ? document.getElementById(id) : null;
    const where = heading ? `: go to “${heading.textContent.trim()}”` : "";
    item.g.attr("tabindex", 0).attr("role", "link").attr("aria-label", `${item.name} (${item.family.label.toLowerCase()})${where}`)
      .attr("data-target", id ?? null).style("cursor", heading ? "pointer" : null).style("outline", "none");
    item.g.on("mouseenter", () => mark(item));
    item.g.on("mouseleave", () => {
      // Back to the focused method's section, if a method has the focus.
      const focused = items.find((other) => other.g.node() === document.activeElement);
      if (focused) mark(focused);
      else unmark();
    });
    item.g.on("focus", () => {
      item.box.style("stroke", "var(--focus)").style("stroke-width", "2");
      mark(item);
    });
    item.g.on("blur", () => {
      item.box.style("stroke", null).style("stroke-width", null);
      unmark();
    });
    item.g.on("click", () => go(item));
    item.g.on("keydown", (event) => {
      const moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
      if (event.key === "Enter" || event.key === " ") {
        go(item);
      } else if (event.key in moves) {
        items[(index + moves[event.key] + items.length) % items.length].g.node().focus();
      } else if (event.key === "Home" || event.key === "End") {
        items[event.key === "Home" ? 0 : items.length - 1].g.node().focus();
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  const api = {
    /** For tests: the methods, where they lead, and what is marked now. */
    inspect: () => ({
      methods: items.map((item) => ({ name: item.name, family: item.family.key, target: targets[item.target] ?? null })),
      marked: marked.map((node) => node.id || node.tagName.toLowerCase()),
    }),
    idle: () => Promise.resolve(),
    destroy: () => {
      unmark();
      element.replaceChildren();
    },
  };
  element.figureTest = api;
  return api;
}
