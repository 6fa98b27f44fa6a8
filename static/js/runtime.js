// The browser's runtime for figures: the interface of runtime-core.js (see there for what a figure
// can ask of it), with the work done in a Web Worker (runtime-worker.js).
//
// Figures never import onnxruntime-web themselves: they receive this module's `runtime` object in
// `mount(element, params, runtime)`. That keeps one copy of the library, one WebAssembly instance
// and one fetch of each model a page, whatever the number of figures on it. The main thread
// neither loads the library nor compiles its WebAssembly nor runs a graph: sessions and runs are
// messages to the worker, and what comes back are plain typed arrays. Tensors here are plain
// objects ({type, data, dims}) that the worker turns into onnxruntime's.
//
// JSON and other files a figure reads itself (the manifest, toys.json, sprite sheets) are fetched
// here, on the main thread, where the figure uses them.

import { FigureUnavailable, memoiser, requireWebAssembly, sessionKey } from "./runtime-core.js";
import { errorFromWire, packArrays, tensorType } from "./runtime-wire.js";
import { siteRoot, siteUrl } from "./site-root.js";
import * as storage from "./storage.js";

export { FigureUnavailable };

const WORKER = "assets/js/runtime-worker.js";

/** A tensor as figures use it: its data, its shape; the worker makes the onnxruntime tensor. */
class Tensor {
  constructor(type, data, dims) {
    this.type = type;
    this.data = data;
    this.dims = dims ?? [data.length];
  }

  get size() {
    return this.data.length;
  }

  /** Nothing to free on this side: the worker disposes the tensors it makes for each run. */
  dispose() {}
}

/** What `runtime.ort` and `loadOrt()` give a figure in the page: only the Tensor constructor. */
const ortFacade = Object.freeze({ Tensor });

// Parameter tensors given out by params(): tensor -> [model, name]. A run that feeds one sends
// only its name, since the worker holds the same tensor already.
const parameterOf = new WeakMap();
// Session objects given out by session(): session -> {graph, options}.
const graphOf = new WeakMap();

/**
 * The worker, started on the first request, and the replies it owes.
 *
 * Runs asked for in one turn of the page's event loop (four-ways' five methods on one key press,
 * the iMAML figures' graphs for one drag) go as one message, and their replies come back as one:
 * the figure then draws them all in one task. Replies in separate messages would each be a task of
 * its own, and the browser may render between two of them, laying out a half-updated figure.
 */
function createConnection() {
  let worker = null;
  let nextId = 0;
  const pending = new Map(); // id -> {resolve, reject}
  let batch = null; // run requests of this turn, sent together at its end: {requests, transfer}

  function failAll(error) {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
    worker?.terminate();
    worker = null; // the next request starts a fresh worker
  }

  function start() {
    if (typeof Worker !== "function") {
      throw new FigureUnavailable(
        "This browser cannot run scripts in the background, so this figure shows its static picture.",
      );
    }
    // Checked here too: a browser without it on the page has none in its workers either, and
    // the reader learns why at once instead of after the worker has started.
    requireWebAssembly();
    worker = new Worker(siteUrl(WORKER), { type: "module" });
    worker.onmessage = ({ data }) => {
      for (const { id, value, error } of data.replies ?? [data]) {
        const call = pending.get(id);
        if (!call) continue;
        pending.delete(id);
        if (error) call.reject(errorFromWire(error));
        else call.resolve(value);
      }
    };
    // The worker's script failed to load or to start: nothing it owes will come.
    worker.onerror = (event) => {
      event.preventDefault?.();
      failAll(new Error(`the figures' runtime stopped: ${event.message || "its script did not load"}`));
    };
    worker.onmessageerror = () => failAll(new Error("the figures' runtime sent a reply that could not be read"));
    worker.postMessage({ id: nextId++, op: "init", root: siteRoot.href });
  }

  function sendBatch() {
    const { requests, transfer } = batch;
    batch = null;
    if (requests.length === 1) worker.postMessage(requests[0], transfer);
    else worker.postMessage({ op: "batch", requests }, transfer);
  }

  /** Send one request (a run waits for the end of this turn); resolves with the reply's value. */
  return function request(op, args = {}, transfer = []) {
    return new Promise((resolve, reject) => {
      if (!worker) start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      if (op !== "run" && op !== "runSteps") {
        worker.postMessage({ id, op, ...args }, transfer);
        return;
      }
      if (!batch) {
        batch = { requests: [], transfer: [] };
        queueMicrotask(sendBatch);
      }
      batch.requests.push({ id, op, ...args });
      batch.transfer.push(...transfer);
    });
  };
}

function createProxyRuntime() {
  const request = createConnection();
  const once = memoiser();
  let ortLoaded = false;

  async function fetchOk(path) {
    const url = siteUrl(path);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
    return response;
  }

  const json = (path) => once(`json:${path}`, async () => (await fetchOk(path)).json());
  const bytes = (path) => once(`bytes:${path}`, async () => (await fetchOk(path)).arrayBuffer());

  function loadOrt() {
    return once("ort", async () => {
      await request("loadOrt");
      ortLoaded = true;
      return ortFacade;
    });
  }

  function session(graphName, options = {}) {
    return once(`session:${sessionKey(graphName, options)}`, async () => {
      const names = await request("session", { graph: graphName, options });
      ortLoaded = true; // the worker loaded it for the session, as runtime-core.js does
      const proxy = Object.freeze({ inputNames: names.inputNames, outputNames: names.outputNames });
      graphOf.set(proxy, { graph: graphName, options });
      return proxy;
    });
  }

  function params(modelName) {
    return once(`params:${modelName}`, async () => {
      const { data, dims } = await request("params", { model: modelName });
      ortLoaded = true;
      const tensors = {};
      for (const [name, array] of Object.entries(data)) {
        tensors[name] = new Tensor("float32", array, dims[name]);
        parameterOf.set(tensors[name], [modelName, name]);
      }
      return tensors;
    });
  }

  function tensor(data, dims) {
    // Same rule as in runtime-core.js, so a figure that forgets it fails here too, not only in
    // the build's pictures.
    if (!ortLoaded) throw new Error("runtime.tensor() needs `await runtime.loadOrt()` first");
    const array = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor("float32", array, dims ?? [array.length]);
  }

  /** Run `sessionObject` (from session()) on `feeds` in the worker: {output name: Float32Array}. */
  function run(sessionObject, feeds) {
    return requestRun("run", sessionObject, feeds);
  }

  /** runtime-core.js's runSteps, done in the worker: one request for the whole chain of runs. */
  function runSteps(sessionObject, feeds, { steps, carry }) {
    return requestRun("runSteps", sessionObject, feeds, { steps, carry });
  }

  /** A run-like request (`op`) of a session's graph on `feeds`, with `extra` arguments. */
  function requestRun(op, sessionObject, feeds, extra = {}) {
    const graph = graphOf.get(sessionObject);
    if (!graph) return Promise.reject(new Error(`runtime.${op}() needs a session from runtime.session()`));
    const { wire, transfer } = wireFeeds(feeds);
    return request(op, { ...graph, feeds: wire, ...extra }, transfer);
  }

  /** A run's feeds as they cross to the worker: parameters by name, other tensors as data. */
  function wireFeeds(feeds) {
    const wire = {};
    const arrays = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const parameter = parameterOf.get(feed);
      if (parameter) {
        wire[name] = { param: parameter };
        continue;
      }
      const data = ArrayBuffer.isView(feed?.data) ? feed.data : Float32Array.from(feed?.data ?? []);
      wire[name] = { type: feed.type ?? tensorType(data), dims: feed.dims ?? [data.length] };
      arrays[name] = data;
    }
    // Copied, since a figure may keep using its tensors; the copies are moved, not copied again.
    const { value, transfer } = packArrays(arrays, { copy: true });
    for (const [name, data] of Object.entries(value)) wire[name].data = data;
    return { wire, transfer };
  }

  return {
    url: siteUrl,
    loadOrt,
    /** In the page: {Tensor} once `await loadOrt()` has resolved, else null. */
    get ort() {
      return ortLoaded ? ortFacade : null;
    },
    json,
    bytes,
    manifest: () => json("models/manifest.json"),
    session,
    params,
    tensor,
    run,
    runSteps,
    storage,
    FigureUnavailable,
  };
}

const core = createProxyRuntime();

/** The smallest graph: creating any session starts the WebAssembly runtime, this one costs least. */
const WARM_UP_GRAPH = "sinusoid_predict";
let warming = null;

/**
 * Start the worker and onnxruntime-web's WebAssembly instance in it ahead of need, so that a
 * reader who scrolls to a figure finds the runtime running. figures.js calls it once the page is
 * idle. Never rejects: a figure that then fails says why.
 */
function warmUp() {
  warming ??= core.session(WARM_UP_GRAPH).then(
    () => {
      document.documentElement.dataset.runtime = "ready"; // for tests and benchmarks
      return true;
    },
    () => {
      warming = null;
      return false;
    },
  );
  return warming;
}

/** The object handed to every figure's mount(). */
export const runtime = Object.defineProperties(
  { siteRoot, warmUp },
  Object.getOwnPropertyDescriptors(core),
);
