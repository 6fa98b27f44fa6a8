// Figure "Meta-train in your browser" (chapter Comparison).
//
// The sinusoid network is meta-trained live, from one shared random initialisation (the manifest's
// untrained `demo` model), by the pretrained baseline, MAML, first-order MAML, Reptile and iMAML,
// each with its exported meta-step graph. Training runs in a Web Worker
// (static/js/meta-train-worker.js, static/figures/meta-train/trainer.js), so the page scrolls and
// the other figures respond meanwhile; the methods share the worker's time equally, so their
// iteration rates show what an iteration of each costs. The left plot is each method's own
// training loss (they measure different things), the right one every method's MSE on the same
// fixed held-out tasks after one SGD step on K = 5 points, which compares like with like.
// "Fine-tune this model" mounts the fine-tuning figure (finetune.js) below with a snapshot of the
// chosen method's current parameters. Before the reader starts, both plots show a recorded run of
// the same graphs on the same seeds (models/meta_train_recording.json, `article record-meta-train`),
// drawn faint: the live run retraces it along the iteration axis.
//
// params (meta-train/methods.js DEFAULTS): methods, init, tasks, support, query, seed, chunk,
//   log_every, eval_every, heldout {seed, tasks, support, query}, step_size, slice_ms, finetune
//   (the fine-tuning figure's target and samples)
//
// mount() and picture() are one function: the picture is the first frame (the recorded run, the
// key and the readouts before training) without the controls. The worker is only created by mount().

import { mount as mountFinetune } from "./finetune.js";
import { button, checkbox, controlRow, select, statusLine } from "./lib/controls.js";
import { DEFAULTS, RECORDED_SETTINGS, RECORDING, methodInfo } from "./meta-train/methods.js";
import { X_AXES, createKey, createLossPlot, createReadoutTable, plotRow } from "./meta-train/view.js";
import { entryPoints } from "./lib/entry-points.js";

export { DEFAULTS as params }; // the params figures.yaml may set; the build refuses any other key

const WORKER = "assets/js/meta-train-worker.js"; // under the site root (build/sitegen/assets.py)

export const { picture, mount } = entryPoints(build);

function settingsFrom(params) {
  return {
    ...DEFAULTS,
    ...params,
    heldout: { ...DEFAULTS.heldout, ...params.heldout },
    finetune: { ...DEFAULTS.finetune, ...params.finetune },
  };
}

/**
 * The recorded run, if it was recorded with the figure's settings (a stale one is not drawn):
 * {run: {seconds}, methods: {name: {iterations, seconds, losses: [[iteration, seconds, loss]],
 * evals: [[iteration, seconds, before, after]]}}}, or null.
 */
async function loadRecording(runtime, settings) {
  let recording;
  try {
    recording = await runtime.json(RECORDING);
  } catch {
    return null; // the figure works without it: it opens on empty axes
  }
  const same = RECORDED_SETTINGS.every((k) => JSON.stringify(recording.settings?.[k]) === JSON.stringify(settings[k]));
  return same ? recording : null;
}

/** What the page knows of each method: the worker's reports, accumulated. */
function emptyProgress(methods, enabled = {}) {
  return Object.fromEntries(methods.map((m) => [m.name, {
    enabled: enabled[m.name] ?? true, loaded: false, iteration: 0, rate: null, losses: [], evals: [],
  }]));
}

/** What the faint curves are, in one sentence of the note under the table. */
function recordedSentence(recording, methods) {
  const reached = methods.filter((m) => recording.methods[m.name])
    .map((m) => `${m.label} ${recording.methods[m.name].iterations.toLocaleString("en")}`);
  return `Faint curves: a run recorded with the same graphs and seeds outside the browser, the methods`
    + ` sharing ${recording.run.seconds} s of one processor core; meta-iterations reached: ${reached.join(", ")}.`;
}

async function build(element, rawParams, runtime, { interactive }) {
  const settings = settingsFrom(rawParams);
  const methods = settings.methods.map((name) => {
    const info = methodInfo(name);
    if (!info) throw new Error(`meta-train: unknown method "${name}"`);
    return info;
  });
  const h = settings.heldout;
  const recording = await loadRecording(runtime, settings);
  let axis = "iteration";

  // ---- layout: controls (page only) around the picture's plots and readouts ----
  const root = document.createElement("div");
  root.className = "meta-train-figure";
  const runRow = interactive ? controlRow(root) : null;
  const methodRow = interactive ? controlRow(root) : null;
  const { row: plots, keyHolder } = plotRow(root);
  const figureKey = createKey(keyHolder);
  const trainingPlot = createLossPlot(plots, {
    heading: "Training loss (each method's own)",
    label: `Each method's meta-loss during meta-training, averaged over every ${settings.log_every} meta-iterations`,
    methods,
  });
  const heldoutPlot = createLossPlot(plots, {
    heading: `Held-out tasks: MSE after one step, K = ${h.support}`,
    label: `Every method's MSE on the same ${h.tasks} held-out tasks after one SGD step on ${h.support} points`,
    methods,
    markers: true,
  });
  const table = createReadoutTable(root, {
    methods,
    caption: "Meta-training so far, per method",
    note: `Training loss: mean meta-loss of the last ${settings.log_every} meta-iterations (${settings.tasks} tasks,`
      + ` K = ${settings.support}). Held-out MSE: the same ${h.tasks} tasks for every method, on ${h.query} points`
      + ` of each curve, before and after one SGD step (α = ${settings.step_size}) on ${h.support} points.`
      + (recording ? ` ${recordedSentence(recording, methods)}` : ""),
  });
  const status = statusLine(root, { live: interactive });
  const finetuneRow = interactive ? controlRow(root) : null;
  const finetuneHolder = document.createElement("div");
  root.append(finetuneHolder);
  element.replaceChildren(root);

  let progress = emptyProgress(methods);
  let running = false;

  function render() {
    const last = (list) => (list.length ? list[list.length - 1] : null);
    const rows = {};
    for (const [name, p] of Object.entries(progress)) {
      const loss = last(p.losses);
      const evaluation = last(p.evals);
      rows[name] = {
        enabled: p.enabled, loading: running && !p.loaded, iteration: p.iteration, rate: running ? p.rate : null,
        loss: loss?.[1] ?? null, before: evaluation?.[1] ?? null, after: evaluation?.[2] ?? null,
      };
    }
    table.update(rows);
    // Points as the worker sends them: losses [iteration, loss, seconds], evaluations
    // [iteration, before, after, seconds]; the recording's: [iteration, seconds, loss] and
    // [iteration, seconds, before, after].
    const x = (iteration, seconds) => (axis === "seconds" ? seconds : iteration);
    const each = (f) => Object.fromEntries(Object.entries(progress).map(([n, p]) => [n, f(p, n)]));
    const recorded = (f) => each((_, n) => (recording?.methods[n] ? f(recording.methods[n]) : []));
    trainingPlot.update(
      each((p) => p.losses.map(([i, loss, s]) => [x(i, s), loss])),
      recorded((r) => r.losses.map(([i, s, loss]) => [x(i, s), loss])),
      axis,
    );
    heldoutPlot.update(
      each((p) => p.evals.map(([i, , after, s]) => [x(i, s), after])),
      recorded((r) => r.evals.map(([i, s, , after]) => [x(i, s), after])),
      axis,
    );
    figureKey.update(methods, { recorded: Boolean(recording) });
  }

  render();
  const readyText = "Press “Start” to meta-train every method switched on, from the same initialisation.";
  status.set(readyText);
  if (!interactive) return null;
  status.set(`Loading the training graphs: 0 of ${methods.length} methods ready.`);

  // ---- the worker ----
  const worker = new Worker(new URL(WORKER, runtime.siteRoot), { type: "module" });
  let generation = 0;
  let nextId = 0;
  const replies = new Map();
  let ready = false;
  let markReady;
  const whenReady = new Promise((resolve) => {
    markReady = resolve;
  });

  function request(message) {
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      replies.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  worker.onmessage = ({ data }) => {
    if (data.type === "ready") {
      ready = true;
      markReady();
    } else if (data.type === "progress") {
      if (data.generation === generation) receive(data);
    } else if (data.type === "reply") {
      const waiting = replies.get(data.id);
      replies.delete(data.id);
      if (data.error) waiting?.reject(new Error(data.error));
      else waiting?.resolve(data.value);
    } else if (data.type === "error") {
      console.warn("meta-train worker:", data.message);
      status.set(`Training stopped: ${data.message}`);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    console.warn("meta-train worker failed:", event.message);
    status.set("The training worker could not start in this browser, so nothing can be trained here.");
  };
  worker.postMessage({ type: "init", root: runtime.siteRoot.href, settings });

  let allLoaded = false;
  function receive({ running: nowRunning, methods: reported }) {
    const wasRunning = running;
    running = nowRunning;
    for (const [name, r] of Object.entries(reported)) {
      const p = progress[name];
      if (!p) continue;
      Object.assign(p, { enabled: r.enabled, loaded: r.loaded, iteration: r.iteration, rate: r.rate });
      p.losses.push(...r.losses);
      p.evals.push(...r.evals);
    }
    render();
    const loaded = methods.filter((m) => progress[m.name].loaded).length;
    if (running && !wasRunning) status.set("Meta-training in a background thread: the page stays responsive.");
    else if (!running && wasRunning) status.set("Paused. Each method's held-out MSE is measured where it stopped.");
    if (!allLoaded && loaded < methods.length) {
      // Methods whose graph is there train meanwhile; the others join as their graphs arrive.
      status.set(`Loading the training graphs: ${loaded} of ${methods.length} methods ready.${running ? " The ready ones are training." : ""}`);
    } else if (!allLoaded) {
      allLoaded = true;
      status.set(running ? "Every method's graph is loaded; all are training." : readyText);
    }
  }

  // ---- controls ----
  button(runRow, { label: "Start", onClick: () => start() });
  button(runRow, { label: "Pause", onClick: () => pause() });
  button(runRow, { label: "Reset", onClick: () => reset() });
  const methodLabel = document.createElement("span");
  methodLabel.id = `${element.closest?.("figure")?.id || "meta-train"}-methods`;
  methodLabel.textContent = "Methods:";
  methodRow.append(methodLabel);
  methodRow.setAttribute("role", "group");
  methodRow.setAttribute("aria-labelledby", methodLabel.id);
  const switches = new Map(methods.map((m) => [m.name, checkbox(methodRow, {
    label: m.label, checked: true, onChange: (on) => enable(m.name, on),
  })]));
  // The methods share the worker's time equally: against time, how far each got shows its cost.
  select(runRow, {
    label: "x axis",
    options: Object.entries(X_AXES).map(([value, { name }]) => ({ value, label: name })),
    value: axis,
    onChange: (value) => {
      axis = value;
      render();
    },
  });

  function start() {
    if (!methods.some((m) => progress[m.name].enabled)) {
      status.set("Every method is switched off: switch one on first.");
      return;
    }
    status.set(ready ? "Starting…" : "Loading the training graphs…");
    worker.postMessage({ type: "start" });
  }

  function pause() {
    worker.postMessage({ type: "pause" });
    if (!running) status.set("Not training: press “Start” to go on.");
  }

  function reset() {
    generation += 1;
    worker.postMessage({ type: "reset", generation });
    const enabled = Object.fromEntries(methods.map((m) => [m.name, switches.get(m.name).checked]));
    progress = emptyProgress(methods, enabled);
    running = false;
    render();
    status.set("Back at the shared initialisation: every method starts again from iteration 0 on the same tasks.");
  }

  function enable(name, on) {
    progress[name].enabled = on;
    worker.postMessage({ type: "enable", method: name, on });
    render();
    status.set(`${methodInfo(name).label} switched ${on ? "on" : "off"}.`);
  }

  // ---- "Fine-tune this model": the fine-tuning figure, mounted with a snapshot of the parameters ----
  const modelSelect = select(finetuneRow, {
    label: "Model",
    options: methods.map((m) => ({ value: m.name, label: m.label })),
    value: methods.some((m) => m.name === "maml") ? "maml" : methods[0].name,
  });
  button(finetuneRow, { label: "Fine-tune this model", onClick: () => fineTune(modelSelect.value) });
  let finetune = null; // the mounted fine-tuning figure: {destroy(), …}

  async function fineTune(name) {
    const snapshot = await request({ type: "state", method: name });
    const weights = Object.fromEntries(Object.entries(snapshot.params).map(([n, data]) => [n, { data, dims: snapshot.dims[n] }]));
    const label = `${methodInfo(name).label} model trained here`;
    finetune?.destroy();
    const heading = document.createElement("p");
    heading.className = "meta-train-finetune-heading";
    heading.textContent = `Fine-tuning the ${label}, as it was after ${snapshot.iteration} meta-iterations`;
    const holder = document.createElement("div");
    holder.className = "meta-train-finetune";
    finetuneHolder.replaceChildren(heading, holder);
    finetune = await mountFinetune(holder, {
      ...settings.finetune, weights, label, method: name, compare: null, preview_steps: 0, step_size: settings.step_size,
    }, runtime);
    status.set(`Below: the ${label} after ${snapshot.iteration} meta-iterations, ready to fine-tune.`);
    return snapshot;
  }

  // ---- for tests and the benchmark ----
  const copy = (p) => ({ ...p, losses: p.losses.map((x) => [...x]), evals: p.evals.map((x) => [...x]) });
  const arrays = (tensors) => Object.fromEntries(Object.entries(tensors).map(([n, a]) => [n, Array.from(a)]));
  const plainState = (s) => ({ ...s, params: arrays(s.params), state: arrays(s.state) });
  element.figureTest = {
    /** Resolves once every method's session is ready (a running training is not waited for). */
    idle: () => whenReady,
    inspect: () => ({
      running, generation, settings, axis, recorded: Boolean(recording),
      methods: Object.fromEntries(Object.entries(progress).map(([n, p]) => [n, copy(p)])),
    }),
    /** n more iterations of every method switched on, then paused; resolves once reported. */
    train: (n) => request({ type: "run", iterations: n }),
    state: (name) => request({ type: "state", method: name }).then(plainState),
    timings: (name) => request({ type: "timings", method: name }),
    fineTune,
  };
  return {
    destroy() {
      worker.terminate();
      finetune?.destroy();
      delete element.figureTest;
      element.replaceChildren();
    },
  };
}
