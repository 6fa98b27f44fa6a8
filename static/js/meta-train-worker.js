// The Web Worker of the figure "Meta-train in your browser" (static/figures/meta-train.js).
//
// Meta-training runs here, off the page's main thread, so the page keeps scrolling and the other
// figures keep responding while five methods train. The worker has its own onnxruntime-web: a
// runtime from runtime-core.js (which needs no DOM) whose files come from the site root the page
// sends in its first message, so the site works from a sub-path. The build bundles this file as
// its own entry, assets/js/meta-train-worker.js (build/sitegen/assets.py WORKER_ENTRIES).
//
// Messages from the page: {type: "init", root, settings} first, then
//   {type: "start" | "pause"}, {type: "reset", generation}, {type: "enable", method, on},
//   {type: "run", iterations, id}, {type: "state" | "timings", method, id}.
// Messages to the page: {type: "ready"}, {type: "progress", generation, running, methods},
//   {type: "reply", id, value}, {type: "error", message}.

import { createRuntime } from "./runtime-core.js";
import { createTrainer } from "../figures/meta-train/trainer.js";

const ORT_FOLDER = "assets/vendor/ort/";
const ORT_ENTRY = "ort.wasm.min.mjs";

/** The host of runtime-core.js for a worker: files under `root` over HTTP (as runtime.js does). */
function workerHost(root) {
  const url = (path) => new URL(path, root);
  const fetchOk = async (path) => {
    const response = await fetch(url(path));
    if (!response.ok) throw new Error(`${url(path).pathname}: HTTP ${response.status}`);
    return response;
  };
  const values = new Map(); // runtime-core wants a storage; nothing here keeps anything
  return {
    async importOrt() {
      const folder = url(ORT_FOLDER);
      // A computed specifier, so esbuild leaves the library out of the bundle.
      const ort = await import(new URL(ORT_ENTRY, folder).href);
      ort.env.wasm.wasmPaths = folder.href; // absolute, as in runtime.js
      ort.env.wasm.numThreads = 1; // no cross-origin isolation on static hosts
      return ort;
    },
    json: async (path) => (await fetchOk(path)).json(),
    bytes: async (path) => (await fetchOk(path)).arrayBuffer(),
    graphSource: (path) => url(path).href,
    url,
    storage: {
      persistent: false,
      getItem: (key) => values.get(key) ?? null,
      setItem: (key, value) => values.set(key, String(value)),
      removeItem: (key) => values.delete(key),
    },
  };
}

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
