// The browser's runtime for figures (see runtime-core.js for what a figure can ask of it).
//
// Figures never import onnxruntime-web themselves: they receive this module's `runtime` object in
// `mount(element, params, runtime)`. That keeps a single copy of the library, one WebAssembly
// instance, one fetch of the manifest and of each model, whatever the number of figures on a page.
//
// onnxruntime-web is not bundled: the build copies its wasm entry into assets/vendor/ort/ and we
// import it from there by absolute URL, only when the first figure asks for it.

import { createRuntime, FigureUnavailable } from "./runtime-core.js";
import { siteRoot, siteUrl } from "./site-root.js";
import * as storage from "./storage.js";

export { FigureUnavailable };

const ORT_FOLDER = "assets/vendor/ort/";
const ORT_ENTRY = "ort.wasm.min.mjs";

/** Import onnxruntime-web (wasm backend, one thread) from the site's own copy. */
async function importOrt() {
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
  return ort;
}

async function fetchOk(path) {
  const url = siteUrl(path);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return response;
}

const core = createRuntime({
  importOrt,
  json: async (path) => (await fetchOk(path)).json(),
  bytes: async (path) => (await fetchOk(path)).arrayBuffer(),
  // onnxruntime-web fetches the graph itself (and the browser caches it).
  graphSource: (path) => siteUrl(path).href,
  url: siteUrl,
  storage,
});

/** The smallest graph: creating any session starts the WebAssembly runtime, this one costs least. */
const WARM_UP_GRAPH = "sinusoid_predict";
let warming = null;

/**
 * Start onnxruntime-web's WebAssembly instance ahead of need (about 0.6 s of work, most of a
 * figure's time to interactive). figures.js calls it once the page is idle, so a reader who
 * scrolls to a figure finds the runtime running. Never rejects: a figure that then fails says why.
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
