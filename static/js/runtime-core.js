// The runtime every figure receives in mount(element, params, runtime) and picture(...): one
// onnxruntime-web, the manifest, one session per graph and one tensor set per model, memoised.
//
// The same code serves two hosts. In the browser it runs inside a Web Worker (runtime-worker.js,
// with files from the site over HTTP), and the page's figures reach it through runtime.js, a
// proxy with the same interface; at build time (build/sitegen/pictures.mjs, in Node) it runs
// directly, with files from static/models on disk. Only the loaders differ, so a figure's static
// picture is computed exactly as its live first frame.

/** An error whose message is one sentence a reader can be shown under a figure's picture. */
export class FigureUnavailable extends Error {
  name = "FigureUnavailable";
}

/** Throw FigureUnavailable, with its sentence for the reader, where there is no WebAssembly. */
export function requireWebAssembly() {
  if (typeof WebAssembly !== "object") {
    throw new FigureUnavailable(
      "WebAssembly is unavailable in this browser, so this figure shows its static picture.",
    );
  }
}

/**
 * memoiser() -> once(key, load): memoise promise-returning loaders by key, forgetting failures so
 * that a later call can retry.
 */
/**
 * Storage that keeps nothing across runs: for a worker, which has no localStorage, and for the
 * build's pictures, which must not depend on a reader's history.
 */
export function memoryStorage() {
  const values = new Map();
  return {
    persistent: false,
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => values.set(key, String(value)),
    removeItem: (key) => values.delete(key),
  };
}

export function memoiser() {
  const loads = new Map(); // key -> Promise
  return function once(key, load) {
    if (!loads.has(key)) {
      const promise = load();
      loads.set(key, promise);
      promise.catch(() => loads.delete(key));
    }
    return loads.get(key);
  };
}

/** A session's cache key: its graph, and its options when there are any. */
export function sessionKey(graphName, options = {}) {
  return Object.keys(options).length ? `${graphName}:${JSON.stringify(options)}` : graphName;
}

/**
 * A session option `dims` ({dimension name: size}) checked against the graph's inputs in the
 * manifest, as onnxruntime's freeDimensionOverrides. onnxruntime-web creates a session several
 * times faster when the sizes of a graph's named dimensions are known, and the unrolled graphs
 * are dominated by that cost (Node, onnxruntime-web 1.30 wasm, unoptimised sessions:
 * line_compare_imaml 470 -> 100 ms with {T, N}, meta_step_imaml 2.85 -> 0.61 s with {K, Q, T}).
 * A session made so runs only feeds of those sizes.
 */
export function fixedDimensions(graphName, graph, dims) {
  const named = new Set(graph.inputs.flatMap((input) => input.shape.filter((d) => typeof d === "string")));
  for (const [name, size] of Object.entries(dims)) {
    if (!named.has(name)) {
      const known = named.size ? [...named].join(", ") : "none";
      throw new Error(`graph "${graphName}" has no dimension "${name}" (its named dimensions: ${known})`);
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`graph "${graphName}": dimension "${name}" must be a positive whole number, not ${size}`);
    }
  }
  return { ...dims };
}

/**
 * createRuntime(host) -> runtime
 *   host.importOrt()          -> Promise<the onnxruntime-web module, configured>
 *   host.json(path)           -> Promise<parsed JSON of a file under the site root>
 *   host.bytes(path)          -> Promise<ArrayBuffer of a file under the site root>
 *   host.graphSource(path)    -> what InferenceSession.create takes for that file (URL or bytes)
 *   host.url(path)            -> URL of a file under the site root
 *   host.storage              -> the storage module (localStorage that never throws, or memory)
 */
export function createRuntime(host) {
  let ortModule = null; // set once loaded, for the synchronous helpers below
  // keys: "ort" | "json:<path>" | "bytes:<path>" | "session:<graph>" | "params:<model>"
  const once = memoiser();

  function loadOrt() {
    return once("ort", async () => {
      ortModule = await host.importOrt();
      return ortModule;
    });
  }

  /** A JSON file under the site root (models/manifest.json, models/toys.json), read once. */
  function json(path) {
    return once(`json:${path}`, () => host.json(path));
  }

  const manifest = () => json("models/manifest.json");

  /** The bytes of a file under the site root (e.g. a sprite sheet) as an ArrayBuffer, read once. */
  function bytes(path) {
    return once(`bytes:${path}`, () => host.bytes(path));
  }

  /**
   * An InferenceSession for the manifest's graph `graphName`, created once per distinct `options`:
   * extra InferenceSession options, e.g. {graphOptimizationLevel: "disabled"}, which creates a
   * large unrolled graph about twice as fast and runs it as fast; and `dims`, the sizes of the
   * graph's named dimensions that this figure feeds, e.g. {T: 4, N: 5} (see fixedDimensions).
   */
  function session(graphName, options = {}) {
    return once(`session:${sessionKey(graphName, options)}`, async () => {
      const [ort, info] = await Promise.all([loadOrt(), manifest()]);
      const graph = info.graphs?.[graphName];
      if (!graph) throw new Error(`graph "${graphName}" is not in models/manifest.json`);
      const { dims, ...sessionOptions } = options;
      if (dims) sessionOptions.freeDimensionOverrides = fixedDimensions(graphName, graph, dims);
      const source = await host.graphSource(`models/${graph.file}`);
      return ort.InferenceSession.create(source, { executionProviders: ["wasm"], ...sessionOptions });
    });
  }

  /**
   * The parameters of model `modelName` as {name: float32 Tensor}, read once from its .params.bin
   * (little-endian float32; layout offsets count floats). Shared between figures: treat these
   * tensors as read-only and never dispose them.
   */
  function params(modelName) {
    return once(`params:${modelName}`, async () => {
      const [ort, info] = await Promise.all([loadOrt(), manifest()]);
      const model = info.models?.[modelName];
      if (!model) throw new Error(`model "${modelName}" is not in models/manifest.json`);
      const buffer = await host.bytes(`models/${model.params.file}`);
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
  function tensor(data, dims) {
    if (!ortModule) throw new Error("runtime.tensor() needs `await runtime.loadOrt()` first");
    const array = data instanceof Float32Array ? data : Float32Array.from(data);
    return new ortModule.Tensor("float32", array, dims ?? [array.length]);
  }

  // onnxruntime-web's WebAssembly backend runs one graph at a time: a run started while another
  // is in flight fails inside the WebAssembly ("operation does not support unaligned accesses"),
  // so runs queue here, whichever figures (or methods of one figure) ask for them together.
  let lastRun = Promise.resolve();

  /**
   * Run `session` on `feeds` (after the runs asked for before it) and return {output name:
   * Float32Array}; the feeds are read when the run's turn comes, so keep them until it settles.
   * The output tensors are disposed here, so nothing the library allocated outlives one
   * interaction.
   */
  function run(sessionObject, feeds) {
    const result = lastRun.then(() => runNow(sessionObject, feeds));
    lastRun = result.catch(() => {}); // a failed run is its caller's to see; the queue goes on
    return result;
  }

  /**
   * Run `session` `steps` times from `feeds`, each run fed the outputs of the one before as named
   * in `carry` ({output name: input name}, e.g. {w1_next: "w1"}); returns every run's outputs in
   * order. A fine-tuning run without animation is one call of this: in the page, one request to
   * the runtime's worker instead of one a step.
   */
  async function runSteps(sessionObject, feeds, { steps, carry }) {
    const ort = await loadOrt();
    const made = [];
    const results = [];
    let current = feeds;
    try {
      for (let step = 0; step < steps; step++) {
        const outputs = await run(sessionObject, current);
        results.push(outputs);
        current = { ...current };
        for (const [output, input] of Object.entries(carry)) {
          if (!(output in outputs)) throw new Error(`runSteps: the graph has no output "${output}" to carry`);
          current[input] = new ort.Tensor("float32", outputs[output], current[input]?.dims ?? [outputs[output].length]);
          made.push(current[input]);
        }
      }
    } finally {
      for (const tensor of made) tensor.dispose();
    }
    return results;
  }

  async function runNow(sessionObject, feeds) {
    const outputs = await sessionObject.run(feeds);
    const result = {};
    for (const [name, value] of Object.entries(outputs)) {
      const data = value.data; // a copy on the JS heap (wasm backend), still valid after dispose
      result[name] = data instanceof Float32Array ? data : Float32Array.from(data);
      value.dispose();
    }
    return result;
  }

  return {
    url: host.url,
    loadOrt,
    /** The loaded onnxruntime-web module, or null before `await loadOrt()`. */
    get ort() {
      return ortModule;
    },
    json,
    bytes,
    manifest,
    session,
    params,
    tensor,
    run,
    runSteps,
    storage: host.storage,
    FigureUnavailable,
  };
}
