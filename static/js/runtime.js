// The one onnxruntime-web loader every figure shares.
//
// Figures never import onnxruntime-web themselves: they receive this module's `runtime` object in
// `mount(element, params, runtime)`. That keeps a single copy of the library, one WebAssembly
// instance, one fetch of the manifest and of each model, whatever the number of figures on a page.
//
// onnxruntime-web is not bundled: the build copies its wasm entry into assets/vendor/ort/ and we
// import it from there by absolute URL, only when the first figure asks for it.

import { siteRoot, siteUrl } from "./site-root.js";
import * as storage from "./storage.js";

/** An error whose message is one sentence a reader can be shown under a figure's picture. */
export class FigureUnavailable extends Error {
  name = "FigureUnavailable";
}

const ORT_FOLDER = "assets/vendor/ort/";
const ORT_ENTRY = "ort.wasm.min.mjs";

let ortModule = null; // set once loaded, for the synchronous helpers below
const loads = new Map(); // "ort" | "manifest" | "session:<graph>" | "params:<model>" -> Promise

/** Memoise a promise-returning loader per page, forgetting failures so a later call can retry. */
function once(key, load) {
  if (!loads.has(key)) {
    const promise = load();
    loads.set(key, promise);
    promise.catch(() => loads.delete(key));
  }
  return loads.get(key);
}

/** Import onnxruntime-web (wasm backend, one thread) from the site's own copy. */
export function loadOrt() {
  return once("ort", async () => {
    if (typeof WebAssembly !== "object") {
      throw new FigureUnavailable(
        "WebAssembly is unavailable in this browser, so this figure shows its static picture.",
      );
    }
    const folder = siteUrl(ORT_FOLDER);
    // A computed specifier: esbuild leaves it alone, so the library stays out of the bundle.
    const ort = await import(new URL(ORT_ENTRY, folder).href);
    // Must be absolute: a relative path would be resolved against ort's own module URL.
    ort.env.wasm.wasmPaths = folder.href;
    // Threads need cross-origin isolation, which static hosts do not offer; the models are tiny.
    ort.env.wasm.numThreads = 1;
    ortModule = ort;
    return ort;
  });
}

async function fetchOk(path, as) {
  const url = siteUrl(path);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return as === "json" ? response.json() : response.arrayBuffer();
}

/** models/manifest.json, fetched once per page. */
export function manifest() {
  return once("manifest", () => fetchOk("models/manifest.json", "json"));
}

/**
 * An InferenceSession for the manifest's graph `graphName`, created once per page (per distinct
 * `options`). `options` are extra InferenceSession options: a large unrolled graph (such as
 * line_accumulated, 800+ nodes) is created about twice as fast with
 * {graphOptimizationLevel: "disabled"}, and its one run costs the same.
 */
export function session(graphName, options = {}) {
  const key = Object.keys(options).length ? `${graphName}:${JSON.stringify(options)}` : graphName;
  return once(`session:${key}`, async () => {
    const [ort, info] = await Promise.all([loadOrt(), manifest()]);
    const graph = info.graphs?.[graphName];
    if (!graph) throw new Error(`graph "${graphName}" is not in models/manifest.json`);
    return ort.InferenceSession.create(siteUrl(`models/${graph.file}`).href, {
      executionProviders: ["wasm"],
      ...options,
    });
  });
}

/** The smallest graph: creating any session starts the WebAssembly runtime, this one costs least. */
const WARM_UP_GRAPH = "sinusoid_predict";

/**
 * Start onnxruntime-web's WebAssembly instance ahead of need (about 0.6 s of work, most of a
 * figure's time to interactive). figures.js calls it once the page is idle, so a reader who
 * scrolls to a figure finds the runtime running. Never rejects: a figure that then fails says why.
 */
export function warmUp() {
  return once("warm-up", () =>
    session(WARM_UP_GRAPH).then(
      () => {
        document.documentElement.dataset.runtime = "ready"; // for tests and benchmarks
        return true;
      },
      () => false,
    ),
  );
}

/**
 * The parameters of model `modelName` as {name: float32 Tensor}, read once per page from its
 * .params.bin (little-endian float32; layout offsets count floats). Shared between figures:
 * treat these tensors as read-only and never dispose them.
 */
export function params(modelName) {
  return once(`params:${modelName}`, async () => {
    const [ort, info] = await Promise.all([loadOrt(), manifest()]);
    const model = info.models?.[modelName];
    if (!model) throw new Error(`model "${modelName}" is not in models/manifest.json`);
    const buffer = await fetchOk(`models/${model.params.file}`, "bytes");
    const floats = buffer.byteLength / 4;
    const tensors = {};
    for (const { name, shape, offset } of model.params.layout) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (offset + size > floats) throw new Error(`${model.params.file} is shorter than its layout`);
      tensors[name] = new ort.Tensor("float32", new Float32Array(buffer, offset * 4, size), shape);
    }
    return tensors;
  });
}

/** A float32 tensor of shape `dims` from an array or Float32Array (needs loadOrt() first). */
export function tensor(data, dims) {
  if (!ortModule) throw new Error("runtime.tensor() needs `await runtime.loadOrt()` first");
  const array = data instanceof Float32Array ? data : Float32Array.from(data);
  return new ortModule.Tensor("float32", array, dims ?? [array.length]);
}

/**
 * Run `session` on `feeds` and return {output name: Float32Array}. The output tensors are
 * disposed here, so nothing the library allocated outlives one interaction.
 */
export async function run(sessionObject, feeds) {
  const outputs = await sessionObject.run(feeds);
  const result = {};
  for (const [name, value] of Object.entries(outputs)) {
    const data = value.data; // a copy on the JS heap (wasm backend), still valid after dispose
    result[name] = data instanceof Float32Array ? data : Float32Array.from(data);
    value.dispose();
  }
  return result;
}

/** The object handed to every figure's mount(). */
export const runtime = {
  siteRoot,
  url: siteUrl,
  loadOrt,
  /** The loaded onnxruntime-web module, or null before `await loadOrt()`. */
  get ort() {
    return ortModule;
  },
  manifest,
  session,
  params,
  warmUp,
  tensor,
  run,
  storage,
  FigureUnavailable,
};
