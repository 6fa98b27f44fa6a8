// The few-shot game: N-way 1-shot classification of Omniglot characters, the reader against a
// MAML classifier.
//
// Each trial shows one query drawing and N candidate drawings of N held-out characters (never
// seen in meta-training). The reader picks the candidate of the same character: click or tap it,
// drag the query onto it, or move with the arrow keys and press Enter. The classifier adapts to
// the same N candidates in the browser (the exported inner loop, trainers/graphs/omniglot.py) and
// answers with its confidence; it starts as soon as the trial is shown and never sees the
// reader's answer. Scores per mode live in lib/game-scores.js.
//
// params: {model = "omniglot", modes = [5, 20], mode = 5, seed = 1}

import { classify, drawTrial, inkMask, loadSheet, maskUrl, sheetFor, sheetNames } from "./lib/omniglot.js";
import { seededRandom } from "./lib/random.js";
import { element as el } from "./lib/controls.js";
import { describe, readScores, recordTrial, resetScores } from "./lib/game-scores.js";
import { entryPoints } from "./lib/entry-points.js";

const COLUMNS = 5;
// mode: the mode shown first, null for the first of `modes`.
const DEFAULTS = { model: "omniglot", modes: [5, 20], mode: null, seed: 1 };
export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key
const RIGHT = "var(--fig-3)";
const WRONG = "var(--accent)";

/** A trial's seed: the figure's seed, the mode and how many trials of it were played. */
const trialSeed = (seed, mode, index) => ((seed * 1000003) ^ (mode * 7919) ^ Math.imul(index + 1, 2654435761)) >>> 0;

/** A drawing on white paper, at most `side` pixels wide, shrinking with its grid cell. */
function tile(parent, url, side, label, tag = "div") {
  const card = el(tag, tag === "button" ? { type: "button", "aria-label": label } : { role: "img", "aria-label": label }, parent, {
    display: "flex", position: "relative", padding: "0", background: "#fff", borderRadius: "6px",
    border: "3px solid var(--rule)", width: "100%", maxWidth: `${side + 6}px`, aspectRatio: "1", boxSizing: "border-box",
    alignItems: "center", justifyContent: "center", cursor: tag === "button" ? "pointer" : "grab",
  });
  el("img", { src: url, alt: "", width: side, height: side, draggable: "false" }, card, { width: "100%", height: "auto", pointerEvents: "none" });
  return card;
}

/** Draw the game into `element`; `interactive` false draws the first frame only (the picture). */
async function build(element, params, runtime, { interactive }) {
  const { model, modes, seed } = { ...DEFAULTS, ...params };
  const manifest = await runtime.manifest();
  if (!manifest.models?.[model]) throw new Error(`model "${model}" is not in models/manifest.json (run \`article train ${model}\`, then \`article export\`)`);
  const names = sheetNames(manifest);
  const sheets = [await loadSheet(runtime, manifest, names[0])];
  const characters = sheets[0].entry.characters;
  const storage = runtime.storage;
  let scores = readScores(storage, modes);
  let mode = params.mode ?? modes[0];
  let trial = null;
  let masks = null;
  let answer = null; // the model's answer, a promise started with the trial
  let modelQueue = Promise.resolve();
  let answered = false;
  let readerChoice = null; // what the reader and the model answered, for tests
  let modelShown = null;
  let answering = Promise.resolve(); // the model's answer to the reader's choice, until drawn
  const figure = element.closest("figure") ?? element;

  // Layout: static/css/figures/overview.css.
  const root = el("div", { className: "few-shot-game" });
  const bar = el("div", { className: "game-bar" }, root);
  const modeGroup = el("div", { className: "game-modes", role: "radiogroup", "aria-label": "Number of candidates" }, bar);
  const radios = modes.map((m) => {
    const label = el("label", {}, modeGroup);
    const input = el("input", { type: "radio", name: `game-mode-${figure.id || "f"}`, value: m }, label);
    input.checked = m === mode;
    if (!interactive) input.disabled = true;
    label.append(`${m}-way`);
    return input;
  });
  const scoreLine = el("span", { className: "game-score", "aria-live": "polite" }, bar);
  const reset = el("button", { type: "button", className: "game-reset", text: "Reset scores" }, bar);
  reset.disabled = !interactive;

  const prompt = el("p", { className: "game-prompt" }, root);
  const stage = el("div", { className: "game-stage" }, root);
  const queryBox = el("div", { className: "game-query-box" }, stage);
  // The candidates, the result and "Next trial" in one column beside the query (below it on narrow
  // screens), so that no band of empty space opens under a short row of candidates.
  const column = el("div", { className: "game-side" }, stage);
  const grid = el("div", { className: "game-candidates", role: "group", "aria-label": "Candidates" }, column);
  const result = el("p", { className: "game-result", "aria-live": "polite" }, column);
  const next = el("button", { type: "button", className: "game-next", text: "Next trial" }, column);
  next.disabled = true;
  const note = el("p", { className: "game-note" }, root);
  if (interactive && !storage.persistent) note.textContent = "This browser does not let the page store data, so your scores last for this visit only.";

  function showScores() {
    const entry = scores.modes[mode];
    scoreLine.textContent = `${mode}-way · you: ${describe(entry.reader)} · model: ${describe(entry.model)}`;
  }

  let candidates = [];
  function newTrial() {
    const index = scores.modes[mode].reader.played;
    trial = drawTrial(seededRandom(trialSeed(seed, mode, index)), mode, characters, interactive ? sheets : sheets.slice(0, 1));
    const mask = ({ character, drawing }) => inkMask(sheetFor(sheets, drawing), character, drawing);
    masks = { support: trial.support.map(mask), query: mask(trial.query) };
    answered = false;
    if (interactive) {
      // One adaptation at a time: a mode switch mid-run queues the new trial's behind it (a
      // session must not run twice at once).
      const [thisTrial, theseMasks] = [trial, masks];
      answer = modelQueue.then(() => classify(runtime, model, thisTrial, theseMasks));
      modelQueue = answer.catch(() => {}); // reported when the reader answers
    }
    const side = mode > 5 ? 56 : 80;
    grid.style.gridTemplateColumns = `repeat(${COLUMNS}, minmax(0, ${side + 6}px))`;
    prompt.textContent = interactive
      ? `Which of the ${mode} candidates is the same character as this drawing? Click or tap it, drag the drawing onto it, or use the arrow keys and Enter.`
      : `Which of the ${mode} candidates is the same character as this drawing?`;
    queryBox.replaceChildren();
    el("span", { className: "game-query-label", text: "Query" }, queryBox);
    const query = tile(queryBox, maskUrl(masks.query, 105), 104, "The query drawing");
    query.style.width = "110px";
    query.classList.add("game-query");
    query.style.touchAction = "none";
    if (interactive) enableDrag(query);
    grid.replaceChildren();
    candidates = masks.support.map((m, i) => {
      const card = tile(grid, maskUrl(m, 105), side, `Candidate ${i + 1} of ${mode}`, "button");
      card.classList.add("game-candidate");
      card.dataset.index = i;
      if (!interactive) card.disabled = true;
      card.addEventListener("click", () => choose(i));
      card.addEventListener("keydown", (event) => moveFocus(event, i));
      return card;
    });
    result.textContent = "";
    next.disabled = true;
    figure.dataset.gamePhase = "asking";
    readerChoice = null;
    modelShown = null;
    showScores();
  }

  function moveFocus(event, i) {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const j = i + step;
    if (j >= 0 && j < candidates.length) candidates[j].focus();
  }

  function enableDrag(query) {
    let ghost = null;
    let start = null;
    query.addEventListener("pointerdown", (event) => {
      if (answered) return;
      start = { x: event.clientX, y: event.clientY, id: event.pointerId };
      query.setPointerCapture(event.pointerId);
    });
    query.addEventListener("pointermove", (event) => {
      if (!start || event.pointerId !== start.id) return;
      if (!ghost && Math.hypot(event.clientX - start.x, event.clientY - start.y) > 4) {
        ghost = query.cloneNode(true);
        Object.assign(ghost.style, { position: "fixed", pointerEvents: "none", opacity: "0.8", zIndex: "10", margin: "0" });
        document.body.append(ghost);
      }
      if (ghost) Object.assign(ghost.style, { left: `${event.clientX - ghost.offsetWidth / 2}px`, top: `${event.clientY - ghost.offsetHeight / 2}px` });
    });
    const drop = (event) => {
      if (!start || event.pointerId !== start.id) return;
      start = null;
      if (!ghost) return;
      ghost.remove();
      ghost = null;
      const target = document.elementFromPoint(event.clientX, event.clientY)?.closest(".game-candidate");
      if (target && grid.contains(target)) choose(Number(target.dataset.index));
    };
    query.addEventListener("pointerup", drop);
    query.addEventListener("pointercancel", (event) => {
      start = null;
      ghost?.remove();
      ghost = null;
    });
  }

  function choose(i) {
    if (answered || !interactive) return;
    answered = true;
    answering = answerWith(i);
  }

  async function answerWith(i) {
    const chosenAt = performance.now();
    readerChoice = i;
    const readerRight = i === trial.target;
    candidates.forEach((card) => card.setAttribute("aria-disabled", "true"));
    candidates[trial.target].style.borderColor = RIGHT;
    if (!readerRight) candidates[i].style.borderColor = WRONG;
    result.textContent = readerRight ? "Right. The model is answering…" : `Not that one: it was candidate ${trial.target + 1}. The model is answering…`;
    figure.dataset.gamePhase = "model";
    let modelAnswer;
    try {
      modelAnswer = await answer;
    } catch (error) {
      result.textContent = "The model could not answer in this browser.";
      console.warn("few-shot game:", error);
      figure.dataset.gamePhase = "failed";
      next.disabled = false;
      return;
    }
    const shownAfter = performance.now() - chosenAt;
    const modelRight = modelAnswer.choice === trial.target;
    scores = recordTrial(storage, scores, mode, readerRight, modelRight);
    const sure = Math.round(100 * modelAnswer.probabilities[modelAnswer.choice]);
    // Under the tile, in the grid's row gap, so that it never covers the drawing.
    const badge = el("span", { className: "game-model-pick", text: `model ${sure}%` }, candidates[modelAnswer.choice]);
    badge.setAttribute("aria-hidden", "true");
    result.textContent =
      `${readerRight ? "Right." : `Not that one: it was candidate ${trial.target + 1}.`} ` +
      `The model picked candidate ${modelAnswer.choice + 1}, ${sure}% sure: ${modelRight ? "right" : "wrong"}. ` +
      `(It adapted to the ${mode} candidates in ${Math.round(modelAnswer.ms)} ms.)`;
    modelShown = { choice: modelAnswer.choice, probabilities: Array.from(modelAnswer.probabilities), ms: modelAnswer.ms, shownAfterMs: shownAfter };
    figure.dataset.gamePhase = "answered";
    showScores();
    next.disabled = false;
    next.focus();
  }

  newTrial();
  element.replaceChildren(root);
  if (!interactive) return null;

  next.addEventListener("click", () => {
    newTrial();
    candidates[0]?.focus();
  });
  reset.addEventListener("click", () => {
    scores = resetScores(storage, modes);
    newTrial();
  });
  radios.forEach((input) =>
    input.addEventListener("change", () => {
      if (!input.checked) return;
      mode = Number(input.value);
      newTrial();
    }),
  );
  // The other sheets add variety to later trials; the first trial needs only sheet 0.
  const more = Promise.all(names.slice(1).map((name) => loadSheet(runtime, manifest, name).then((sheet) => sheets.push(sheet))));
  more.catch((error) => console.warn("few-shot game: extra sprite sheets", error));
  // The loader keeps no handle on the instance, so tests and benchmarks find it on the element.
  element.figureTest = {
    inspect: () => ({ phase: figure.dataset.gamePhase, mode, trial, reader: readerChoice, model: modelShown }),
    /** Resolves once the model's answer to the reader's choice is drawn. */
    idle: () => answering,
    destroy: () => element.replaceChildren(),
  };
  return element.figureTest;
}

/** The static picture: the first 5-way trial of a reader who has not played yet. */
export const { picture, mount } = entryPoints(build);
