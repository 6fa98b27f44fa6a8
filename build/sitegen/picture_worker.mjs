// One of pictures.mjs's workers: draws figures' static pictures with the figures' own ES modules.
//
// Each figure module exports picture(element, params, runtime), which computes and draws the
// figure's first frame with the same code (and the same exported graphs, through the same
// runtime-core.js) as mount() in the page. Here the DOM is linkedom's and the files come from
// disk; the result is the element's HTML, which the build inlines in the page.
//
// workerData: {static: "<static dir>", models: "<models dir>"}
// in:  {figures: [{id, module, params}, ...], wasmModule: onnxruntime-web's, compiled}
//      (the figures of one module: they share sessions)
// out: {results: [{id, html, ms} or {id, error, where}, ...]} in the same order.
// A worker keeps its runtime (onnxruntime-web, sessions, parameters) for every batch it draws.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { parseHTML } from "linkedom";

const { document, window } = parseHTML("<!doctype html><html><head></head><body></body></html>");
// What figure modules (and d3-selection) expect of a browser: a document to create elements in.
Object.assign(globalThis, { document, window });

const { static: staticDir, models } = workerData;
const [{ createRuntime, memoryStorage }, { setIdScope }] = await Promise.all([
  import(pathToFileURL(join(staticDir, "js/runtime-core.js")).href),
  import(pathToFileURL(join(staticDir, "figures/lib/plot.js")).href),
]);

// Files under the site root: models/ is static/models (the build copies it there unchanged).
const onDisk = (path) => (path.startsWith("models/") ? join(models, path.slice(7)) : join(staticDir, path));

const runtime = createRuntime({
  async importOrt() {
    const ort = await import("onnxruntime-web/wasm");
    ort.env.wasm.numThreads = 1; // as in the page, and no threads of its own to tear down
    useCompiled(ort, await compiled);
    return ort;
  },
  json: async (path) => JSON.parse(await readFile(onDisk(path), "utf8")),
  bytes: async (path) => {
    const data = await readFile(onDisk(path));
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  },
  graphSource: async (path) => new Uint8Array(await readFile(onDisk(path))),
  url: (path) => new URL(path, "https://site.invalid/"),
  storage: memoryStorage(),
});

/**
 * Make onnxruntime-web instantiate `compiled` (its WebAssembly, compiled once by pictures.mjs and
 * shared by every worker, with the functions any of them has compiled) instead of compiling the
 * 14 MB again. onnxruntime-web takes the module's bytes (env.wasm.wasmBinary) and hands them to
 * WebAssembly.instantiate; a stand-in buffer marks that call, which gets the compiled module.
 */
function useCompiled(ort, compiled) {
  const standIn = new ArrayBuffer(8);
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (source, imports) =>
    source?.buffer === standIn || source === standIn
      ? instantiate(compiled, imports).then((instance) => ({ instance, module: compiled }))
      : instantiate(source, imports);
  ort.env.wasm.wasmBinary = standIn;
}

/** The first line of a stack inside static/ (the author's file, line and column), if any. */
function whereIn(error) {
  const match = String(error?.stack ?? "").match(/file:\/\/(\/[^\s)]*\/static\/[^\s):]+):(\d+):(\d+)/);
  return match ? { file: match[1], line: Number(match[2]), column: Number(match[3]) } : null;
}

async function draw(figure) {
  const started = performance.now();
  try {
    const module = await import(pathToFileURL(join(staticDir, "figures", `${figure.module}.js`)).href);
    if (typeof module.picture !== "function") {
      throw new Error(`static/figures/${figure.module}.js exports no picture(element, params, runtime)`);
    }
    setIdScope(`${figure.id}-picture`); // ids in the picture: deterministic, unlike the page's
    const element = document.createElement("div");
    await module.picture(element, figure.params, runtime);
    return { id: figure.id, html: element.innerHTML, ms: performance.now() - started };
  } catch (error) {
    return { id: figure.id, error: String(error?.message ?? error), where: whereIn(error) };
  }
}

let received;
const compiled = new Promise((resolve) => (received = resolve));

parentPort.on("message", async ({ figures, wasmModule }) => {
  received(wasmModule);
  const results = [];
  for (const figure of figures) results.push(await draw(figure));
  parentPort.postMessage({ results });
});
