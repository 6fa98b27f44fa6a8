// Figure "omniglot-progress": reported one-shot accuracy on Omniglot against the year it was
// reported, for the methods of the chapter "Meta-learning, and why MAML is model-agnostic", with
// a switch between 5-way and 20-way tasks.
//
// Three kinds of marks besides the published points (omniglot-progress/results.js, each with its
// paper and table):
//   - people on the 20-way task (Lake et al. 2015), a dashed horizontal line;
//   - this project's MAML classifier, read from models/manifest.json under
//     models.omniglot.evaluation.ways["5" | "20"] = {accuracy, ci95 (fractions), tasks}; while the
//     manifest has no such entry the point is simply not drawn;
//   - the reader's own score from the few-shot game of the Introduction (storage key
//     "few-shot-game": {version: 1, modes: {"5" | "20": {reader: {correct, played}, model: …}}}),
//     only in the page, never in the static picture, and updated on the window's storage event.
// Nothing is computed here: the figure draws numbers that were reported or measured.
//
// The years of the published points fill the plot; our classifier and the reader's score, which
// are not results of a year, sit in a strip of their own at the right, so that no width is spent on
// the years between.
//
// Keyboard: the 5-way / 20-way switch is a pair of native radio buttons; every point is focusable
// (Tab, or the arrow keys from one point to the next) and shows its method, year, accuracy and
// source in the readout; hovering a point does the same.
//
// params: {ways = "20" (the mode shown first), game = "../introduction/#few-shot-game"}
//
// mount() and picture() are one function: the static picture is the first frame without controls.

import { METHODS } from "./lib/palette.js";
import { axes, createPlot, fmt, key, seriesColor } from "./lib/plot.js";
import { FAMILIES, HUMAN, OUR_YEAR, RESULTS } from "./omniglot-progress/results.js";
import { SCORES_KEY, readScores } from "./lib/game-scores.js";
import { entryPoints } from "./lib/entry-points.js";

const DEFAULTS = { ways: "20", game: "../introduction/#few-shot-game" };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const MODES = ["5", "20"];
const STORAGE_PREFIX = "maml-article:"; // storage.js's prefix: the key a storage event carries
// Our classifier is a MAML model: the method's colour. The reader is the page's text colour.
const OURS = { method: "maml", color: METHODS.maml.color, name: "Our MAML classifier", tick: "Ours" };
const READER = { color: "var(--fig-fg)", name: "You, in the game", tick: "You" };
const WIDTH = 560;
const HEIGHT = 320;
const X_DOMAIN = [2014.5, 2018.5];
const X_TICKS = [2015, 2016, 2017, 2018];
/** The strip at the right for our classifier and the reader: its gap from the plot and width. */
const STRIP = { gap: 14, width: 100 };
/** Points of one year sit side by side, this far apart (in years): none hides another, and on a
 *  phone their centres stay more than 24 px apart (WCAG 2.2's spacing for small targets). */
const SPREAD = 0.44;

const percent = (value, digits = 1) => `${Number(value).toFixed(digits)}%`;
const plusMinus = (value, ci, digits = 1) => (ci ? `${percent(value, digits)} ± ${Number(ci).toFixed(digits)}` : percent(value, digits));
/** A published number as its paper printed it: "92.0" keeps its digit, "98.95" its two. */
const asPrinted = (text, ci) => `${text}%${ci ? ` ± ${ci}` : ""}`;

/** Our classifier's measured accuracy for a mode, as percentages, or null where not measured. */
function ourResult(manifest, ways) {
  const entry = manifest?.models?.omniglot?.evaluation?.ways?.[ways];
  if (!entry || !Number.isFinite(entry.accuracy)) return null;
  return {
    accuracy: 100 * entry.accuracy,
    ci95: Number.isFinite(entry.ci95) ? 100 * entry.ci95 : null,
    tasks: entry.tasks,
  };
}

/** The reader's game score in a mode (lib/game-scores.js's record), or null before any trial. */
function readerResult(scores, ways) {
  const score = scores?.modes[ways]?.reader;
  if (!score || score.played < 1) return null;
  return { correct: score.correct, played: score.played, accuracy: (100 * score.correct) / score.played };
}

/** The published points of a mode, each placed at its year, spread within the year. */
function publishedPoints(ways) {
  const shown = RESULTS.filter((r) => r.ways[ways]);
  const byYear = new Map();
  for (const r of shown) byYear.set(r.year, [...(byYear.get(r.year) ?? []), r]);
  return shown.map((r) => {
    const same = byYear.get(r.year);
    const offset = (same.indexOf(r) - (same.length - 1) / 2) * SPREAD;
    const at = r.ways[ways];
    return {
      kind: "published", id: r.id, method: r.method, family: r.family, bibkey: r.bibkey, cite: r.cite,
      year: r.year, x: r.year + offset, accuracy: Number(at.accuracy), ci95: at.ci95 === null ? null : Number(at.ci95),
      printed: asPrinted(at.accuracy, at.ci95), table: at.table, note: at.note ?? "",
      series: FAMILIES[r.family].series,
    };
  });
}

function describe(point, ways) {
  const task = `${ways}-way 1-shot`;
  if (point.kind === "ours") {
    return `${OURS.name} (this project, ${point.year}): ${plusMinus(point.accuracy, point.ci95)} on ${task}, ` +
      `mean over ${point.tasks} held-out tasks with a 95% interval; measured by this project's evaluation.`;
  }
  if (point.kind === "reader") {
    return `You, in the game of the Introduction: ${point.correct} of ${point.played} correct on ${task}, ${percent(point.accuracy)}.`;
  }
  return `${point.method} (${point.cite}): ${point.printed} on ${task}; ` +
    `source: ${point.cite}, ${point.table}${point.note ? ` (${point.note})` : ""}.`;
}

/** A small element with inline layout (the stylesheet belongs to the site; these are ours). */
function make(tag, parent, { text, className, style = {}, attrs = {} } = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  Object.assign(node.style, style);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  parent.append(node);
  return node;
}

let radioGroups = 0;

export const { picture, mount } = entryPoints(build);

async function build(element, params, runtime, { interactive }) {
  const settings = { ...DEFAULTS, ...params };
  const manifest = await runtime.manifest().catch(() => null);
  const state = {
    ways: MODES.includes(String(settings.ways)) ? String(settings.ways) : "20",
    game: interactive ? readScores(runtime.storage, MODES) : null, // the picture never shows a reader's score
    points: [],
  };

  element.replaceChildren();
  const controls = interactive ? make("fieldset", element, { className: "omniglot-progress-switch" }) : null;
  const plot = createPlot({
    width: WIDTH,
    height: HEIGHT,
    margin: { top: 14, right: 12 + STRIP.gap + STRIP.width, bottom: 48, left: 56 },
    x: X_DOMAIN,
    label: "Reported one-shot accuracy on Omniglot against the year it was reported",
    role: interactive ? "group" : "img",
  });
  plot.x.tickFormat = () => String; // years, not "2,015"
  element.append(plot.svg);
  const marks = plot.layer("marks");
  const strip = { left: plot.inner.right + STRIP.gap, right: plot.inner.right + STRIP.gap + STRIP.width };
  /** Where our classifier's and the reader's marks sit in the strip. */
  const stripX = { ours: strip.left + STRIP.width * 0.27, reader: strip.left + STRIP.width * 0.75 };
  const keyBox = make("div", element, { className: "omniglot-progress-key" });
  const readout = make("p", element, {
    className: "figure-status figure-readout omniglot-progress-readout",
    attrs: interactive ? { role: "status", "aria-live": "polite" } : {},
  });
  const gameNote = interactive ? make("p", element, { className: "omniglot-progress-game" }) : null;
  const tableBox = make("div", element, {
    className: "omniglot-progress-numbers",
    attrs: { tabindex: "0", role: "region", "aria-label": "Numbers and sources of the Omniglot plot" },
  });
  const table = make("table", tableBox, { className: "readout omniglot-progress-table" });

  function allPoints() {
    const points = publishedPoints(state.ways);
    const ours = ourResult(manifest, state.ways);
    if (ours) points.push({ kind: "ours", id: "ours", method: OURS.name, year: OUR_YEAR, px: stripX.ours, color: OURS.color, ...ours });
    const reader = interactive ? readerResult(state.game, state.ways) : null;
    if (reader) points.push({ kind: "reader", id: "reader", method: READER.name, year: OUR_YEAR, px: stripX.reader, color: READER.color, ...reader });
    return points;
  }

  /** Redraw axes, marks, readout and table for the current mode and score (no graph involved). */
  function draw() {
    const ways = state.ways;
    const points = allPoints();
    const human = HUMAN.ways[ways] ? { ...HUMAN.ways[ways], accuracy: Number(HUMAN.ways[ways].accuracy) } : null;
    // The y range takes in every mark, in whole fives, and ends at 100%.
    const lows = points.map((p) => p.accuracy - (p.ci95 ?? 0));
    if (human) lows.push(human.accuracy);
    const low = Math.min(80, 5 * Math.floor((Math.min(...lows) - 1) / 5));
    plot.y.domain([Math.max(0, low), 100]);
    plot.root.selectAll(".fig-axes").remove();
    axes(plot, { xlabel: "year reported", ylabel: `${ways}-way accuracy (%)`, xticks: X_TICKS, yticks: 5 });
    drawStrip(points);
    marks.selectAll("*").remove();
    const { left, right } = plot.inner;

    if (human) {
      const y = fmt(plot.y(human.accuracy));
      const line = marks.append("g").attr("data-human", ways);
      line.append("line").attr("x1", left).attr("x2", right).attr("y1", y).attr("y2", y)
        .attr("class", "fig-dashed").attr("stroke-width", 1.5).style("stroke", "var(--fig-fg)");
      // Labelled at the left, above the line, where no published point lies (the key cites it).
      line.append("text").attr("class", "fig-text").attr("x", left + 6).attr("y", fmt(plot.y(human.accuracy) - 5))
        .style("fill", "var(--fig-fg)").text(`People: ${percent(human.accuracy)}`);
    }

    state.points = points;
    const nodes = [];
    for (const [index, point] of points.entries()) {
      const cx = point.px ?? plot.x(point.x);
      const colour = point.color ?? seriesColor(point.series);
      const cy = plot.y(point.accuracy);
      const g = marks.append("g").attr("class", "omniglot-progress-point").attr("data-point", point.id)
        .attr("data-kind", point.kind);
      if (point.ci95) {
        g.append("line").attr("x1", fmt(cx)).attr("x2", fmt(cx))
          .attr("y1", fmt(plot.y(point.accuracy - point.ci95))).attr("y2", fmt(plot.y(Math.min(100, point.accuracy + point.ci95))))
          .attr("stroke-width", 1.5).style("stroke", colour);
      }
      if (point.kind === "published") {
        g.append("circle").attr("cx", fmt(cx)).attr("cy", fmt(cy)).attr("r", 5).style("fill", colour);
      } else {
        // Ours and the reader's: diamonds, so that they stand apart from the published circles;
        // the strip's tick labels name them.
        const r = 7;
        g.append("path").attr("data-method", point.kind === "ours" ? OURS.method : null).attr("d", `M${fmt(cx)},${fmt(cy - r)}L${fmt(cx + r)},${fmt(cy)}L${fmt(cx)},${fmt(cy + r)}L${fmt(cx - r)},${fmt(cy)}Z`)
          .style("fill", colour).style("stroke", "var(--fig-bg)").attr("stroke-width", 1.5);
      }
      if (interactive) {
        // The focus ring, hidden until focus (the static picture has none).
        const ring = g.insert("circle", ":first-child").attr("cx", fmt(cx)).attr("cy", fmt(cy)).attr("r", 10)
          .attr("fill", "none").attr("stroke-width", 2.5).style("stroke", "var(--focus)").attr("visibility", "hidden");
        g.attr("tabindex", 0).attr("role", "img").attr("aria-label", describe(point, ways)).style("outline", "none");
        const show = () => {
          readout.textContent = describe(point, ways);
        };
        g.on("focus", () => {
          ring.attr("visibility", "visible");
          show();
        });
        g.on("blur", () => ring.attr("visibility", "hidden"));
        g.on("mouseenter", show);
        g.on("keydown", (event) => {
          const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
          let next = null;
          if (event.key in moves) next = (index + moves[event.key] + nodes.length) % nodes.length;
          else if (event.key === "Home") next = 0;
          else if (event.key === "End") next = nodes.length - 1;
          else return;
          event.preventDefault();
          nodes[next].focus();
        });
      }
      nodes.push(g.node());
    }

    const families = Object.values(FAMILIES).filter((f) => points.some((p) => p.series === f.series && p.kind === "published"));
    const entries = families.map((f) => ({ label: f.name, series: f.series, marker: "dot" }));
    if (points.some((p) => p.kind === "ours")) entries.push({ label: OURS.name, method: OURS.method, marker: "dot" });
    if (points.some((p) => p.kind === "reader")) entries.push({ label: READER.name, color: READER.color, marker: "dot" });
    if (human) entries.push({ label: `People (${HUMAN.cite}): ${percent(human.accuracy)}`, color: "var(--fig-fg)", stroke: "dashed" });
    keyBox.replaceChildren();
    key(keyBox, entries);

    drawTable(points, human);
    if (gameNote) drawGameNote(points);
    readout.textContent = `${ways}-way 1-shot: ${points.filter((p) => p.kind === "published").length} published results` +
      (human ? ", people's accuracy as a dashed line" : "") +
      (points.some((p) => p.kind === "ours") ? ", our classifier" : "") +
      (points.some((p) => p.kind === "reader") ? ", your score" : "") + ".";
    element.dataset.ways = ways;
  }

  /** The strip's frame, its grid lines at the y ticks, and the names of its marks under it. */
  function drawStrip(points) {
    const { top, bottom } = plot.inner;
    const g = plot.root.insert("g", ":first-child").attr("class", "fig-axes omniglot-progress-strip").attr("aria-hidden", "true");
    const grid = g.append("g").attr("class", "fig-grid").attr("stroke-width", 1);
    for (const t of plot.y.ticks(5)) {
      grid.append("line").attr("x1", strip.left).attr("x2", strip.right).attr("y1", fmt(plot.y(t))).attr("y2", fmt(plot.y(t)));
    }
    g.append("rect").attr("class", "fig-axis").attr("x", strip.left).attr("y", top)
      .attr("width", STRIP.width).attr("height", bottom - top).attr("fill", "none");
    // Placed as d3-axis places the year labels, so that they line up at any text size.
    const labels = g.append("g").attr("class", "fig-text").style("fill", "var(--fig-axis)");
    for (const [kind, spec] of [["ours", OURS], ["reader", READER]]) {
      if (!points.some((p) => p.kind === kind)) continue;
      labels.append("text").attr("x", fmt(stripX[kind])).attr("y", bottom + 8).attr("dy", "0.71em")
        .attr("text-anchor", "middle").text(spec.tick);
    }
  }

  /** The numbers and their sources, for the mode shown (plain DOM calls: linkedom has no insertRow). */
  function drawTable(points, human) {
    const COLUMNS = ["method", "year", "accuracy", "source"];
    const CLASSES = { year: "numeric", accuracy: "numeric", source: "source" };
    table.replaceChildren();
    make("caption", table, { text: `${state.ways}-way 1-shot accuracy on Omniglot, as reported` });
    const head = make("tr", make("thead", table));
    for (const label of COLUMNS) make("th", head, { text: label, className: CLASSES[label], attrs: { scope: "col" } });
    const body = make("tbody", table);
    const row = (id, cells) => {
      const tr = make("tr", body);
      tr.dataset.point = id;
      cells.forEach(([text], i) => make(i === 0 ? "th" : "td", tr, { text, className: CLASSES[COLUMNS[i]], attrs: i === 0 ? { scope: "row" } : {} }));
    };
    for (const p of points) {
      if (p.kind === "published") {
        row(p.id, [[p.method, "left"], [String(p.year), "right"], [p.printed, "right"],
          [`${p.cite}, ${p.table}${p.note ? `; ${p.note}` : ""}`, "left"]]);
      } else if (p.kind === "ours") {
        row(p.id, [[p.method, "left"], [String(p.year), "right"], [plusMinus(p.accuracy, p.ci95), "right"],
          [`this project's evaluation, ${p.tasks} tasks (95% interval)`, "left"]]);
      } else {
        row(p.id, [[p.method, "left"], ["", "right"], [percent(p.accuracy), "right"], [`${p.correct} of ${p.played} correct, this browser`, "left"]]);
      }
    }
    if (human) row("human", [["People", "left"], ["2015", "right"], [percent(human.accuracy), "right"], [`${HUMAN.cite}, ${human.table}`, "left"]]);
  }

  function drawGameNote(points) {
    gameNote.replaceChildren();
    if (points.some((p) => p.kind === "reader")) {
      gameNote.textContent = "Your mark counts every round you played in this mode in the game of the Introduction.";
      return;
    }
    const link = make("a", gameNote, { text: "Play the game in the Introduction", attrs: { href: settings.game } });
    link.after(" to see your score here.");
  }

  if (interactive) {
    radioGroups += 1;
    const name = `omniglot-progress-ways-${radioGroups}`;
    // A block fieldset whose legend floats beside an inner flex row (a flex fieldset puts a floated
    // legend on a line of its own in WebKit).
    make("legend", controls, { text: "Task" });
    const choices = make("div", controls, { className: "omniglot-progress-choices" });
    for (const ways of MODES) {
      const wrap = make("span", choices, { className: "omniglot-progress-choice" });
      const id = `${name}-${ways}`;
      const input = make("input", wrap, { attrs: { type: "radio", name, id, value: ways } });
      input.checked = ways === state.ways;
      make("label", wrap, { text: `${ways}-way 1-shot`, attrs: { for: id } });
      input.addEventListener("change", () => {
        if (!input.checked) return;
        state.ways = ways;
        draw();
      });
    }
  }
  draw();
  if (!interactive) return null;

  // The game writes its record in another page (or tab): the window's storage event says so.
  const onStorage = (event) => {
    if (event.key !== null && event.key !== STORAGE_PREFIX + SCORES_KEY) return;
    state.game = readScores(runtime.storage, MODES);
    draw();
  };
  window.addEventListener("storage", onStorage);

  const api = {
    /** For tests and benchmarks: what is drawn, where. */
    inspect: () => ({
      ways: state.ways,
      yDomain: plot.y.domain(),
      inner: plot.inner,
      points: state.points.map((p) => {
        const node = plot.root.select(`[data-point="${p.id}"]`).node();
        return { id: p.id, kind: p.kind, bibkey: p.bibkey ?? null, year: p.year, accuracy: p.accuracy, label: node?.getAttribute("aria-label") ?? "" };
      }),
      human: plot.root.select("[data-human]").empty() ? null : Number(HUMAN.ways[state.ways].accuracy),
      readout: readout.textContent,
      note: gameNote.textContent,
    }),
    idle: () => Promise.resolve(),
    destroy: () => {
      window.removeEventListener("storage", onStorage);
      element.replaceChildren();
    },
  };
  element.figureTest = api;
  return api;
}
