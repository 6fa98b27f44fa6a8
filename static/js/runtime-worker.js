// The Web Worker that runs every graph of a page's figures (one worker a page).
//
// onnxruntime-web lives here, so that compiling its WebAssembly, creating sessions and running
// graphs never hold up the page's main thread: scrolling, typing and drawing stay smooth while a
// figure computes. The page talks to it through runtime.js, which gives figures the interface of
// runtime-core.js; here a runtime-core.js runtime does the work. The build bundles this file as
// its own entry, assets/js/runtime-worker.js (build/sitegen/assets.py WORKER_ENTRIES).
//
// Requests (runtime-wire.js): {op: "init", root} first (the site root's absolute URL), then
//   {op: "loadOrt"}, {op: "session", graph, options} -> {inputNames, outputNames},
//   {op: "params", model} -> {name: {data, dims}},
//   {op: "run", graph, options, feeds} -> {output name: Float32Array}, where a feed is
//   {type, data, dims} or {param: [model, name]} (one of the model's parameters, already here);
//   {op: "runSteps", graph, options, feeds, steps, carry} -> [{output name: Float32Array}, ...];
//   and {op: "batch", requests: [run, run, ...]} -> {replies: [reply, reply, ...]}, one message.

import { createRuntime } from "./runtime-core.js";
import { errorToWire, packArrays } from "./runtime-wire.js";
import { workerHost } from "./worker-host.js";

let core = null;

/** The feeds of one run as ort tensors; `created` collects those made here, to dispose after. */
async function tensorsOf(feeds, created) {
  const ort = await core.loadOrt();
  const tensors = {};
  for (const [name, feed] of Object.entries(feeds)) {
    if (feed.param) {
      const [model, parameter] = feed.param;
      tensors[name] = (await core.params(model))[parameter];
    } else {
      tensors[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
      created.push(tensors[name]);
    }
  }
  return tensors;
}

/** `use(session, tensors)` on the request's graph and feeds; the tensors made here are disposed after. */
async function withFeeds({ graph, options, feeds }, use) {
  const session = await core.session(graph, options);
  const created = [];
  try {
    return await use(session, await tensorsOf(feeds, created));
  } finally {
    for (const tensor of created) tensor.dispose();
  }
}

/** Each op returns {value, transfer}: the reply and the buffers it moves. */
const ops = {
  init({ root }) {
    core = createRuntime(workerHost(root));
    return { value: true };
  },
  async loadOrt() {
    await core.loadOrt();
    return { value: true };
  },
  async session({ graph, options }) {
    const session = await core.session(graph, options);
    return { value: { inputNames: session.inputNames, outputNames: session.outputNames } };
  },
  async params({ model }) {
    const tensors = await core.params(model);
    const dims = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.dims]));
    // Copies: the worker keeps its own tensors for runs that name them.
    const data = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.data]));
    const { value, transfer } = packArrays(data, { copy: true });
    return { value: { data: value, dims }, transfer };
  },
  run: (request) => withFeeds(request, async (session, tensors) => packArrays(await core.run(session, tensors))),
  runSteps: ({ steps, carry, ...request }) =>
    withFeeds(request, async (session, tensors) => {
      const packed = (await core.runSteps(session, tensors, { steps, carry })).map((outputs) => packArrays(outputs));
      return { value: packed.map((p) => p.value), transfer: packed.flatMap((p) => p.transfer) };
    }),
};

/** One request's reply, {id, value} or {id, error}, and the buffers it moves. */
async function answer({ id, op, ...request }) {
  try {
    const handler = ops[op];
    if (!handler) throw new Error(`the figures' runtime has no operation "${op}"`);
    if (!core && op !== "init") throw new Error("the figures' runtime was not given the site root");
    const { value, transfer = [] } = await handler(request);
    return { reply: { id, value }, transfer };
  } catch (error) {
    return { reply: { id, error: errorToWire(error) }, transfer: [] };
  }
}

self.onmessage = async ({ data }) => {
  if (data.op !== "batch") {
    const { reply, transfer } = await answer(data);
    self.postMessage(reply, transfer);
    return;
  }
  // Runs the page asked for together: answered together, in one message (see runtime.js).
  const answers = await Promise.all(data.requests.map(answer));
  self.postMessage({ replies: answers.map((a) => a.reply) }, answers.flatMap((a) => a.transfer));
};
