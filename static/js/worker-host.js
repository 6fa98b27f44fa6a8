// The host of runtime-core.js inside a Web Worker: files under the site root over HTTP, and
// onnxruntime-web from the site's own copy. Both workers use it: the page's runtime worker
// (runtime-worker.js) and meta-training's (meta-train-worker.js).
//
// A worker has no document to find the site root in, so the page sends it (an absolute URL
// ending in "/"): the site then works from a sub-path as well as from "/".

import { memoryStorage, requireWebAssembly } from "./runtime-core.js";

const ORT_FOLDER = "assets/vendor/ort/";
const ORT_ENTRY = "ort.wasm.min.mjs";

/** Import onnxruntime-web (wasm backend, one thread) from `folder`, an absolute URL. */
async function importOrt(folder) {
  requireWebAssembly();
  // A computed specifier: esbuild leaves it alone, so the library stays out of the bundle.
  const ort = await import(new URL(ORT_ENTRY, folder).href);
  // Must be absolute: a relative path would be resolved against ort's own module URL.
  ort.env.wasm.wasmPaths = folder.href;
  // Threads need cross-origin isolation, which static hosts do not offer; the models are tiny.
  ort.env.wasm.numThreads = 1;
  return ort;
}

/** createRuntime's host for files under `root` (the site root's absolute URL). */
export function workerHost(root) {
  const url = (path) => new URL(path, root);
  const fetchOk = async (path) => {
    const response = await fetch(url(path));
    if (!response.ok) throw new Error(`${url(path).pathname}: HTTP ${response.status}`);
    return response;
  };
  return {
    importOrt: () => importOrt(url(ORT_FOLDER)),
    json: async (path) => (await fetchOk(path)).json(),
    bytes: async (path) => (await fetchOk(path)).arrayBuffer(),
    // onnxruntime-web fetches the graph itself (and the browser caches it).
    graphSource: (path) => url(path).href,
    url,
    storage: memoryStorage(),
  };
}
