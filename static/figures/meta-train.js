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
// chosen method's current parameters.
//
// params (meta-train/methods.js DEFAULTS): methods, init, tasks, support, query, seed, chunk,
//   log_every, eval_every, heldout {seed, tasks, support, query}, step_size, slice_ms, finetune
//   (the fine-tuning figure's target and samples)
//
// mount() and picture() are one function: the picture is the first frame (empty axes, legend and
// readouts before training) without the controls. The worker is only created by mount().

import { mount as mountFinetune } from "./finetune.js";
import { button, checkbox, controlRow, select, statusLine } from "./lib/controls.js";
import { DEFAULTS, methodInfo } from "./meta-train/methods.js";
import { createLossPlot, createReadoutTable, plotRow } from "./meta-train/view.js";

const WORKER = "assets/js/meta-train-worker.js"; // under the site root (build/sitegen/assets.py)

/** The static picture: the figure's first frame, drawn by the same code as the page's. */
export async function picture(element, params, runtime) {
  await build(element, params, runtime, { interactive: false });
}

export async function mount(element, params, runtime) {
  return build(element, params, runtime, { interactive: true });
}

function settingsFrom(params) {
  return {
    ...DEFAULTS,
    ...params,
    heldout: { ...DEFAULTS.heldout, ...params.heldout },
    finetune: { ...DEFAULTS.finetune, ...params.finetune },
  };
}

/** What the page knows of each method: the worker's reports, accumulated. */
function emptyProgress(methods, enabled = {}) {
  return Object.fromEntries(methods.map((m) => [m.name, {
    enabled: enabled[m.name] ?? true, loaded: false, iteration: 0, rate: null, losses: [], evals: [],
  }]));
}

async function build(element, rawParams, runtime, { interactive }) {
  const settings = settingsFrom(rawParams);
  const methods = settings.methods.map((name) => {
    const info = methodInfo(name);
    if (!info) throw new Error(`meta-train: unknown method "${name}"`);
    return info;
  });
  const h = settings.heldout;

  // ---- layout: controls (page only) around the picture's plots and readouts ----
  const root = document.createElement("div");
  root.className = "meta-train-figure";
  const runRow = interactive ? controlRow(root) : null;
  const methodRow = interactive ? controlRow(root) : null;
  const plots = plotRow(root);
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
    caption: `Training loss: mean meta-loss of the last ${settings.log_every} meta-iterations (${settings.tasks} tasks,`
      + ` K = ${settings.support}). Held-out MSE: the same ${h.tasks} tasks for every method, on ${h.query} points`
      + ` of each curve, before and after one SGD step (α = ${settings.step_size}) on ${h.support} points.`,
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
    trainingPlot.update(Object.fromEntries(Object.entries(progress).map(([n, p]) => [n, p.losses])));
    heldoutPlot.update(Object.fromEntries(Object.entries(progress).map(([n, p]) => [n, p.evals.map(([i, , after]) => [i, after])])));
  }

  render();
  status.set("Press “Start” to meta-train every method switched on, from the same initialisation.");
  if (!interactive) return null;

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
    if (running && !wasRunning) status.set("Meta-training in a background thread: the page stays responsive.");
    if (!running && wasRunning) status.set("Paused. Each method's held-out MSE is measured where it stopped.");
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
    Object.assign(heading.style, { margin: "1rem 0 0.2rem", fontFamily: "var(--font-ui)", fontSize: "0.95rem", fontWeight: "600" });
    heading.textContent = `Fine-tuning the ${label}, as it was after ${snapshot.iteration} meta-iterations`;
    const holder = document.createElement("div");
    holder.className = "meta-train-finetune";
    finetuneHolder.replaceChildren(heading, holder);
    finetune = await mountFinetune(holder, {
      ...settings.finetune, weights, label, compare: null, preview_steps: 0, step_size: settings.step_size,
    }, runtime);
    status.set(`Below: the ${label} after ${snapshot.iteration} meta-iterations, ready to fine-tune.`);
    return snapshot;
  }

  // ---- for tests and the benchmark ----
  const copy = (p) => ({ ...p, losses: p.losses.map((x) => [...x]), evals: p.evals.map((x) => [...x]) });
  const arrays = (tensors) => Object.fromEntries(Object.entries(tensors).map(([n, a]) => [n, Array.from(a)]));
  const plainState = (s) => ({ ...s, params: arrays(s.params), state: arrays(s.state) });
  element.figureTest = {
    ready: () => whenReady,
    inspect: () => ({
      running, generation, settings,
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
