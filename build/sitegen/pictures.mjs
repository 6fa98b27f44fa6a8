// Draws figures' static pictures at build time, in Node, on a small pool of worker threads
// (picture_worker.mjs), each with its own onnxruntime-web: creating a graph's session is most of
// a picture's cost and runs on one thread, so the pictures are drawn side by side.
//
// stdin:  {"static": "<static dir>", "models": "<models dir>",
//          "figures": [{"id": "...", "module": "...", "params": {...}}, ...]}
// stdout: [{"id", "html", "ms"} or {"id", "error", "where"}, ...] in the same order.
// ARTICLE_PICTURE_WORKERS sets the pool's size (1 draws one picture after the other).

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";

// More threads than cores only adds onnxruntime start-ups; past four, the longest figure decides.
const MAX_WORKERS = 4;
const WORKER = new URL("./picture_worker.mjs", import.meta.url);

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);

// The figures of one module go to one worker together: placements of a figure share its sessions.
const byModule = new Map();
for (const figure of job.figures) byModule.set(figure.module, [...(byModule.get(figure.module) ?? []), figure]);
const batches = [...byModule.values()];
const size = Math.max(1, Math.min(
  Number(process.env.ARTICLE_PICTURE_WORKERS) || Math.min(availableParallelism(), MAX_WORKERS),
  batches.length,
));

// onnxruntime-web's WebAssembly, compiled once here (lazily: functions compile on first call)
// while the workers load their modules, and shared by them: each would otherwise read and compile
// its 14 MB again.
const ortDist = dirname(createRequire(import.meta.url).resolve("onnxruntime-web/wasm"));
const compiling = readFile(join(ortDist, "ort-wasm-simd-threaded.wasm")).then((bytes) => WebAssembly.compile(bytes));

const byId = new Map();
await Promise.all(Array.from({ length: size }, () => drain()));

/** One worker drawing batches off the shared queue until it is empty. */
function drain() {
  const worker = new Worker(WORKER, { workerData: { static: job.static, models: job.models } });
  return new Promise((resolve, reject) => {
    const next = () => {
      const batch = batches.shift();
      if (batch) compiling.then((wasmModule) => worker.postMessage({ figures: batch, wasmModule }), reject);
      else resolve();
    };
    worker.on("message", ({ results }) => {
      for (const result of results) byId.set(result.id, result);
      next();
    });
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(`a picture worker stopped (exit code ${code})`)));
    next();
  });
}

// Exit as soon as the results are out: tearing down the WebAssembly instances otherwise costs
// about a second of the build.
const results = job.figures.map((figure) => byId.get(figure.id));
process.stdout.write(JSON.stringify(results), () => process.exit(0));
