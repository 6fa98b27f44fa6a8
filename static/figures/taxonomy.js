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
// On a narrow screen (static/css/figures/overview.css) the two sets give way to a stacked list of
// the same families and methods in HTML, grouped by where they sit (few-shot learning only, both,
// meta-learning only), whose methods are links that behave as the drawing's do. Both are in the
// page; the stylesheet shows one.
//
// params: {targets: {family key: id of the section's heading}}; a family without a target, or
// whose target is not on the page, is drawn but leads nowhere.
//
// mount() and picture() are one function: the static picture is the first frame without input.

import { createPlot, fmt, seriesColor } from "./lib/plot.js";

const WIDTH = 660;
const HEIGHT = 400;
const TARGET_CLASS = "taxonomy-target";
// targets: an empty mapping, so any family key is accepted.
const DEFAULTS = { targets: {} };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
/** Width per character of a 12 px label on a desktop, in user units, roughly (the build has no
 *  text metrics): the width of a method's focus ring. */
const CHAR_WIDTH = 5.6;

const SETS = [
  { key: "few-shot", label: "Few-shot learning", cx: 235, cy: 205, rx: 215, ry: 180, series: 1, title: [110, 96] },
  { key: "meta", label: "Meta-learning", cx: 425, cy: 205, rx: 215, ry: 180, series: 2, title: [550, 96] },
];

// Families, where they sit (x of their left edge, y of their heading) and their methods: one
// left-aligned column each, since the build cannot measure text to centre it.
const FAMILIES = [
  { key: "baselines", label: "Without meta-learning", region: "few-shot", series: 5, x: 48, y: 160,
    methods: ["Pretrain, then fine-tune", "Linear probe on features"] },
  { key: "metric", label: "Metric-based", region: "both", series: 1, x: 262, y: 108,
    methods: ["Siamese networks", "Matching networks", "Prototypical networks"] },
  { key: "model", label: "Model-based", region: "both", series: 2, x: 262, y: 194,
    methods: ["Memory-augmented networks", "Meta networks"] },
  { key: "optimisation", label: "Optimisation-based", region: "both", series: 3, x: 262, y: 260,
    methods: ["Meta-learner LSTM", "MAML"] },
  { key: "general", label: "Beyond few-shot tasks", region: "meta", series: 4, x: 492, y: 160,
    methods: ["Learned optimisers", "Early learning to learn"], target: "optimisation" },
];
const LINE = 20;
/** The stacked list's groups, in the drawing's left-to-right order. */
const REGIONS = [
  { key: "few-shot", label: "Few-shot learning only" },
  { key: "both", label: "Few-shot learning and meta-learning" },
  { key: "meta", label: "Meta-learning only" },
];

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

/**
 * The same families and methods as a stacked HTML list, grouped by region, for narrow screens.
 * In the page each method is a link to its section; in the static picture, plain text.
 * Returns the methods as items {name, family, target, node} in the drawing's order.
 */
function stackedList(element, targets, { interactive }) {
  const list = document.createElement("div");
  list.className = "taxonomy-list";
  const items = [];
  for (const region of REGIONS) {
    const title = document.createElement("p");
    title.className = "taxonomy-region";
    title.textContent = region.label;
    const families = document.createElement("ul");
    for (const family of FAMILIES.filter((f) => f.region === region.key)) {
      const entry = document.createElement("li");
      entry.dataset.family = family.key;
      const name = document.createElement("span");
      name.className = "taxonomy-family";
      name.style.setProperty("--taxonomy-dot", seriesColor(family.series));
      name.textContent = family.label;
      const names = document.createElement("ul");
      for (const method of methods().filter((m) => m.family === family)) {
        const row = document.createElement("li");
        const id = targets[method.target];
        const node = document.createElement(interactive && id ? "a" : "span");
        if (interactive && id) node.setAttribute("href", `#${id}`);
        node.textContent = method.name;
        row.append(node);
        names.append(row);
        items.push({ ...method, node });
      }
      entry.append(name, names);
      families.append(entry);
    }
    list.append(title, families);
  }
  element.append(list);
  return items;
}

/** The static picture: the figure's first frame, drawn by the same code as the page's. */
export async function picture(element, params) {
  build(element, params, { interactive: false });
}

export async function mount(element, params) {
  return build(element, params, { interactive: true });
}

function build(element, params, { interactive }) {
  const { targets } = { ...DEFAULTS, ...params };
  element.replaceChildren();
  const plot = createPlot({
    width: WIDTH,
    height: HEIGHT,
    margin: { top: 0, right: 0, bottom: 0, left: 0 },
    label: "Few-shot learning and meta-learning as overlapping sets, with the families of methods in each",
    role: interactive ? "group" : "img",
  });
  const drawing = document.createElement("div");
  drawing.className = "taxonomy-drawing";
  drawing.append(plot.svg);
  element.append(drawing);
  const sets = plot.layer("sets").attr("aria-hidden", "true");
  for (const set of SETS) {
    sets.append("ellipse").attr("cx", set.cx).attr("cy", set.cy).attr("rx", set.rx).attr("ry", set.ry)
      .attr("data-set", set.key).attr("stroke-width", 1.5)
      .style("fill", seriesColor(set.series)).style("fill-opacity", "0.07").style("stroke", seriesColor(set.series));
    sets.append("text").attr("class", "fig-text").attr("x", set.title[0]).attr("y", set.title[1])
      .attr("text-anchor", "middle").style("--fig-text-px", "15px").style("font-weight", "600").style("fill", "var(--fig-fg)")
      .text(set.label);
  }
  const labels = plot.layer("families").attr("aria-hidden", "true");
  for (const family of FAMILIES) {
    labels.append("text").attr("class", "fig-text").attr("x", family.x).attr("y", family.y)
      .style("font-weight", "600").style("fill", "var(--fig-fg)").text(family.label);
  }
  const layer = plot.layer("methods");
  const drawn = methods().map((method) => {
    const width = method.name.length * CHAR_WIDTH + 20;
    const g = layer.append("g").attr("class", "taxonomy-method").attr("data-family", method.family.key)
      .attr("data-target-key", method.target);
    const box = g.append("rect").attr("class", "taxonomy-method-box").attr("x", fmt(method.x - 2)).attr("y", method.y - 13)
      .attr("width", fmt(width)).attr("height", 18).attr("rx", 4).style("fill", "transparent");
    g.append("circle").attr("cx", fmt(method.x + 5)).attr("cy", method.y - 4).attr("r", 3.5)
      .style("fill", seriesColor(method.family.series));
    g.append("text").attr("class", "fig-text").attr("x", fmt(method.x + 13)).attr("y", method.y)
      .style("fill", "var(--fig-fg)").text(method.name);
    return { ...method, node: g.node(), box };
  });
  const listed = stackedList(element, targets, { interactive });
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

  /** Hover, focus, activation and arrow keys for one way of showing the methods. */
  const bind = (items, { svg }) => {
    for (const [index, item] of items.entries()) {
      const id = targets[item.target];
      const heading = id ? document.getElementById(id) : null;
      const where = heading ? `: go to “${heading.textContent.trim()}”` : "";
      const node = item.node;
      node.setAttribute("aria-label", `${item.name} (${item.family.label.toLowerCase()})${where}`);
      if (id) node.dataset.target = id;
      if (svg) {
        node.setAttribute("tabindex", "0");
        node.setAttribute("role", "link");
        node.style.outline = "none";
        if (heading) node.style.cursor = "pointer";
      }
      node.addEventListener("mouseenter", () => mark(item));
      node.addEventListener("mouseleave", () => {
        // Back to the focused method's section, if a method has the focus.
        const focused = items.find((other) => other.node === document.activeElement);
        if (focused) mark(focused);
        else unmark();
      });
      node.addEventListener("focus", () => {
        item.box?.style("stroke", "var(--focus)").style("stroke-width", "2");
        mark(item);
      });
      node.addEventListener("blur", () => {
        item.box?.style("stroke", null).style("stroke-width", null);
        unmark();
      });
      node.addEventListener("click", (event) => {
        event.preventDefault();
        go(item);
      });
      node.addEventListener("keydown", (event) => {
        const moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
        if ((svg && event.key === "Enter") || event.key === " ") {
          go(item);
        } else if (event.key in moves) {
          items[(index + moves[event.key] + items.length) % items.length].node.focus();
        } else if (event.key === "Home" || event.key === "End") {
          items[event.key === "Home" ? 0 : items.length - 1].node.focus();
        } else {
          return;
        }
        event.preventDefault();
      });
    }
  };
  bind(drawn, { svg: true });
  bind(listed, { svg: false });

  const api = {
    /** For tests: the methods, where they lead, and what is marked now. */
    inspect: () => ({
      methods: drawn.map((item) => ({ name: item.name, family: item.family.key, target: targets[item.target] ?? null })),
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
