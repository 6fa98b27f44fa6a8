// The Web Worker of the figure "Meta-train in your browser" (static/figures/meta-train.js).
//
// Meta-training runs here, off the page's main thread, so the page keeps scrolling and the other
// figures keep responding while five methods train. The worker has its own onnxruntime-web: a
// runtime from runtime-core.js (which needs no DOM) whose files come from the site root the page
// sends in its first message, so the site works from a sub-path. It does not share the page's
// runtime worker (runtime-worker.js): a training run keeps its worker busy for seconds at a time,
// and the other figures' graphs would wait behind it. The build bundles this file as its own
// entry, assets/js/meta-train-worker.js (build/sitegen/assets.py WORKER_ENTRIES).
//
// Messages from the page: {type: "init", root, settings} first, then
//   {type: "start" | "pause"}, {type: "reset", generation}, {type: "enable", method, on},
//   {type: "run", iterations, id}, {type: "state" | "timings", method, id}.
// Messages to the page: {type: "ready"}, {type: "progress", generation, running, methods},
//   {type: "reply", id, value}, {type: "error", message}.

import { createRuntime } from "./runtime-core.js";
import { workerHost } from "./worker-host.js";
import { createTrainer } from "../figures/meta-train/trainer.js";

let trainer = null; // a Promise of the trainer, from the "init" message on
let generation = 0; // the page's count of resets: progress from before a reset is stale

function post(message) {
  self.postMessage(message);
}

function fail(error) {
  post({ type: "error", message: String(error?.message ?? error) });
}

const handlers = {
  init({ root, settings }) {
    trainer = createTrainer(createRuntime(workerHost(root)), settings, {
      onReport: (progress) => post({ type: "progress", generation, ...progress }),
      onError: fail,
    });
    return trainer.then(() => post({ type: "ready" }));
  },
  start: (t) => t.start(),
  pause: (t) => t.pause(),
  async reset(t, { generation: next }) {
    await t.reset();
    generation = next; // after it: what the pause before the reset reported is the old run's
  },
  enable: (t, { method, on }) => t.enable(method, on),
  run: (t, { iterations }) => t.runFor(iterations),
  state: (t, { method }) => t.state(method),
  timings: (t, { method }) => t.timings(method),
};

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      await handlers.init(data);
      return;
    }
    const handler = handlers[data.type];
    if (!handler || !trainer) throw new Error(`unexpected message ${data.type}`);
    const value = await handler(await trainer, data);
    if (data.id !== undefined) post({ type: "reply", id: data.id, value: value ?? null });
  } catch (error) {
    fail(error);
    if (data.id !== undefined) post({ type: "reply", id: data.id, error: String(error?.message ?? error) });
  }
};
