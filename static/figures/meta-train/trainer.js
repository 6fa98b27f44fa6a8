// Meta-training the sinusoid network with several methods at once, in the worker of the figure
// "Meta-train in your browser" (static/js/meta-train-worker.js hosts it; no DOM here).
//
// Every number comes from exported graphs run through `runtime` (runtime-core.js):
//   sinusoid_tasks         the page's seeded uniform draws -> a meta-batch of tasks (the task
//                          family is defined once, in trainers/sinusoid.py)
//   meta_step_<method>     one meta-iteration: parameters, Adam state and a meta-batch in, the next
//                          parameters and state and the meta-loss out
//   sinusoid_heldout_mse   the fixed held-out tasks' query MSE before and after one SGD step
//   window_mean            each point of the training curves: the mean meta-loss of a window
// This module moves arrays between those calls and decides which method runs when; it does no
// arithmetic on the model. (Iteration rates and timings are measurements of the browser itself.)
//
// Determinism: each method draws its tasks from its own mulberry32 stream with the same seed, so
// iteration i of every method sees the same tasks, and a reset replays the same run. Per
// iteration the stream gives, in trainers.sinusoid.sample_batch's order: T amplitudes, T phases,
// T*K support x and T*Q query x (all in [0, 1)).

import { seededRandom } from "../lib/random.js";
import { GRAPHS, metaStepGraph, methodInfo } from "./methods.js";

const STATE_PREFIXES = ["m", "v"];
/** Progress goes to the page at most this often (ms). */
const REPORT_MS = 250;
/** Iteration rates are measured over about this much wall-clock time (ms). */
const RATE_WINDOW_MS = 2000;
/** Per-iteration timings kept for the benchmark. */
const TIMINGS_KEPT = 2000;

const now = () => performance.now();

/** Let queued messages (pause, reset, …) run: a macrotask, without setTimeout's 4 ms clamp. */
function yieldToEvents() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * The uniforms of `iterations` consecutive meta-batches, each drawn in the sampler's order, laid
 * out so that meta-batch b is rows b*T .. (b+1)*T - 1 of every array.
 */
export function drawUniforms(random, iterations, { tasks, support, query }) {
  const fields = { amplitude_u: 1, phase_u: 1, support_u: support, query_u: query };
  const out = Object.fromEntries(Object.entries(fields).map(([name, per]) => [name, new Float32Array(iterations * tasks * per)]));
  for (let b = 0; b < iterations; b++) {
    for (const [name, per] of Object.entries(fields)) {
      const array = out[name];
      for (let i = b * tasks * per, end = (b + 1) * tasks * per; i < end; i++) array[i] = random();
    }
  }
  return out;
}

/** Uniforms -> tasks through sinusoid_tasks: {support_x, support_y, query_x, query_y, …} arrays. */
async function makeTasks(runtime, session, uniforms, count, { support, query }) {
  const dims = { amplitude_u: [count, 1, 1], phase_u: [count, 1, 1], support_u: [count, support, 1], query_u: [count, query, 1] };
  const feeds = Object.fromEntries(Object.entries(uniforms).map(([name, data]) => [name, runtime.tensor(data, dims[name])]));
  return runtime.run(session, feeds);
}

/**
 * A method's stream of meta-batches: tasks for `chunk` iterations are made by one graph call,
 * then handed out one iteration at a time (views into that call's outputs, never copied).
 */
function createTaskStream(runtime, session, sizes, seed, chunk) {
  const { tasks, support, query } = sizes;
  let random = null;
  let made = null;
  let position = 0;
  const view = (array, b, per) => array.subarray(b * tasks * per, (b + 1) * tasks * per);
  return {
    reset() {
      random = seededRandom(seed);
      made = null;
      position = 0;
    },
    async next() {
      if (!made || position === chunk) {
        made = await makeTasks(runtime, session, drawUniforms(random, chunk, sizes), chunk * tasks, sizes);
        position = 0;
      }
      const b = position++;
      return {
        support_x: view(made.support_x, b, support),
        support_y: view(made.support_y, b, support),
        query_x: view(made.query_x, b, query),
        query_y: view(made.query_y, b, query),
      };
    },
  };
}

/** The graph inputs that are neither parameters, optimiser state nor tasks: its hyperparameters. */
function hyperparameterInputs(graph, paramNames) {
  const taken = new Set([...paramNames, ...STATE_PREFIXES.flatMap((p) => paramNames.map((n) => `${p}_${n}`)), "t",
    "support_x", "support_y", "query_x", "query_y"]);
  return graph.inputs.map((i) => i.name).filter((name) => !taken.has(name));
}

/**
 * createTrainer(runtime, settings, {onReport, onError}) -> Promise<trainer>
 *   settings: the figure's params (methods.js DEFAULTS)
 *   onReport({running, methods: {name: {enabled, iteration, rate, losses, evals}}}): progress,
 *     with the training-curve points [iteration, mean meta-loss, seconds] and held-out points
 *     [iteration, MSE before, MSE after one step, seconds] that are new since the previous
 *     report; seconds: the method's own training time so far (the sum of its iterations' times)
 *   onError(error): training stopped on an error (a graph that failed to load or run)
 *   trainer.start() / pause() / reset() / enable(name, on)
 *   trainer.runFor(n) -> Promise: n more iterations of every enabled method, then paused
 *   trainer.state(name) -> {iteration, params, state (m_*, v_*), t, dims}
 *   trainer.timings(name) -> {iterationMs, graphMs} of its last iterations (the benchmark's)
 * Hyperparameters: each method's trained configuration in the manifest (models.<name>.config),
 * read by input name (inner_lr, outer_lr, lam, cg_damping), without the trainers' annealing.
 */
export async function createTrainer(runtime, settings, { onReport, onError }) {
  await runtime.loadOrt();
  const manifest = await runtime.manifest();
  const init = manifest.models[settings.init];
  const layout = init.params.layout;
  const paramNames = layout.map((entry) => entry.name);
  const dims = Object.fromEntries(layout.map((entry) => [entry.name, entry.shape]));
  const sizes = { tasks: settings.tasks, support: settings.support, query: settings.query };

  const [initial, tasksSession, heldoutSession, meanSession] = await Promise.all([
    runtime.params(settings.init),
    runtime.session(GRAPHS.tasks),
    runtime.session(GRAPHS.heldout),
    runtime.session(GRAPHS.mean),
  ]);

  // The fixed held-out tasks, made once from their own seed.
  const h = settings.heldout;
  const heldoutSizes = { tasks: h.tasks, support: h.support, query: h.query };
  const heldoutTasks = await makeTasks(runtime, tasksSession, drawUniforms(seededRandom(h.seed), 1, heldoutSizes), h.tasks, heldoutSizes);
  const heldoutFeeds = {
    support_x: runtime.tensor(heldoutTasks.support_x, [h.tasks, h.support, 1]),
    support_y: runtime.tensor(heldoutTasks.support_y, [h.tasks, h.support, 1]),
    query_x: runtime.tensor(heldoutTasks.query_x, [h.tasks, h.query, 1]),
    query_y: runtime.tensor(heldoutTasks.query_y, [h.tasks, h.query, 1]),
    step_size: runtime.tensor([settings.step_size], []),
  };

  const runs = settings.methods.map((name) => createRun(name));

  // The meta-step sessions, one after the other in the figure's order: creating one occupies the
  // worker's thread (iMAML's graph, thousands of nodes, for a fraction of a second), and the
  // methods whose session is there train meanwhile, between two creations. They are sized to the
  // training batches, which makes iMAML's several times faster to create.
  const batchDims = { T: sizes.tasks, K: sizes.support, Q: sizes.query };
  const sessionsLoaded = (async () => {
    for (const run of runs) {
      await yieldToEvents();
      const options = { ...methodInfo(run.name)?.sessionOptions, dims: batchDims };
      run.session = await runtime.session(metaStepGraph(run.name), options);
      run.markLoaded();
      report();
    }
  })();
  sessionsLoaded.catch(() => {}); // reported by the loop, which awaits it

  function createRun(name) {
    const graph = manifest.graphs[metaStepGraph(name)];
    const config = manifest.models[name]?.config ?? {};
    const hyper = {};
    for (const input of hyperparameterInputs(graph, paramNames)) {
      if (typeof config[input] !== "number") throw new Error(`no ${input} for ${name} in the manifest's models.${name}.config`);
      hyper[input] = runtime.tensor([config[input]], []);
    }
    const stream = createTaskStream(runtime, tasksSession, sizes, settings.seed, settings.chunk);
    let markLoaded;
    const loaded = new Promise((resolve) => {
      markLoaded = resolve;
    });
    const run = {
      name,
      session: null, // the meta-step graph's session, once created
      loaded,
      markLoaded,
      enabled: true,
      iteration: 0,
      seconds: 0, // the sum of its iterations' times
      params: null,
      state: null,
      t: null,
      window: new Float32Array(settings.log_every),
      losses: [], // new points since the last report
      evals: [],
      lastEval: -1,
      rateSamples: [],
      iterationMs: [],
      graphMs: [],
      reset() {
        run.iteration = 0;
        run.seconds = 0;
        run.params = Object.fromEntries(paramNames.map((n) => [n, Float32Array.from(initial[n].data)]));
        run.state = Object.fromEntries(STATE_PREFIXES.flatMap((p) => paramNames.map((n) => [`${p}_${n}`, new Float32Array(initial[n].data.length)])));
        run.t = new Float32Array(1);
        run.losses = [];
        run.evals = [];
        run.lastEval = -1;
        run.rateSamples = [];
        run.iterationMs = [];
        run.graphMs = [];
        stream.reset();
      },
      /** One meta-iteration: the next meta-batch, the meta-step graph, and its outputs kept. */
      async step() {
        const started = now();
        const batch = await stream.next();
        const { tasks, support, query } = sizes;
        const feeds = { ...hyper, t: runtime.tensor(run.t, []) };
        for (const n of paramNames) {
          feeds[n] = runtime.tensor(run.params[n], dims[n]);
          for (const p of STATE_PREFIXES) feeds[`${p}_${n}`] = runtime.tensor(run.state[`${p}_${n}`], dims[n]);
        }
        feeds.support_x = runtime.tensor(batch.support_x, [tasks, support, 1]);
        feeds.support_y = runtime.tensor(batch.support_y, [tasks, support, 1]);
        feeds.query_x = runtime.tensor(batch.query_x, [tasks, query, 1]);
        feeds.query_y = runtime.tensor(batch.query_y, [tasks, query, 1]);
        const called = now();
        const out = await runtime.run(run.session, feeds);
        const returned = now();
        for (const n of paramNames) {
          run.params[n] = out[`${n}_next`];
          for (const p of STATE_PREFIXES) run.state[`${p}_${n}`] = out[`${p}_${n}_next`];
        }
        run.t = out.t_next;
        run.window[run.iteration % settings.log_every] = out.meta_loss[0];
        run.iteration += 1;
        keep(run.graphMs, returned - called);
        const took = now() - started;
        keep(run.iterationMs, took);
        run.seconds += took / 1000;
      },
    };
    run.reset();
    return run;
  }

  function keep(list, value) {
    list.push(value);
    if (list.length > TIMINGS_KEPT) list.splice(0, list.length - TIMINGS_KEPT);
  }

  async function evaluate(run) {
    const feeds = { ...heldoutFeeds };
    for (const n of paramNames) feeds[n] = runtime.tensor(run.params[n], dims[n]);
    const { mse } = await runtime.run(heldoutSession, feeds);
    run.evals.push([run.iteration, mse[0], mse[1], run.seconds]);
    run.lastEval = run.iteration;
  }

  /** One iteration of `run`, with the evaluations and curve points that fall on it. */
  async function advance(run) {
    if (run.lastEval < 0) await evaluate(run); // the shared initialisation, at iteration 0
    await run.step();
    if (run.iteration % settings.log_every === 0) {
      const { mean } = await runtime.run(meanSession, { values: runtime.tensor(run.window, [settings.log_every]) });
      run.losses.push([run.iteration, mean[0], run.seconds]);
    }
    if (run.iteration % settings.eval_every === 0) await evaluate(run);
  }

  // ---- scheduling: methods share the worker's time equally, in slices ----
  let running = false;
  let looping = null; // the loop's promise while it runs
  let targets = null; // {name: iteration} while running a fixed number of iterations
  let finished = []; // resolvers of runFor() promises, called when the loop stops
  let lastReport = 0;

  const reached = (run) => targets !== null && run.iteration >= targets[run.name];
  const active = () => runs.filter((run) => run.enabled && !reached(run));

  function rate(run, time) {
    if (!running || !run.enabled) {
      run.rateSamples = [];
      return null;
    }
    run.rateSamples.push([time, run.iteration]);
    while (run.rateSamples.length > 2 && time - run.rateSamples[1][0] >= RATE_WINDOW_MS) run.rateSamples.shift();
    const [t0, i0] = run.rateSamples[0];
    return time - t0 >= REPORT_MS ? ((run.iteration - i0) * 1000) / (time - t0) : null;
  }

  function report() {
    const time = now();
    lastReport = time;
    const methods = {};
    for (const run of runs) {
      methods[run.name] = {
        enabled: run.enabled, loaded: Boolean(run.session), iteration: run.iteration, rate: rate(run, time),
        losses: run.losses, evals: run.evals,
      };
      run.losses = [];
      run.evals = [];
    }
    onReport({ running, methods });
  }

  async function round() {
    const waiting = active();
    if (!waiting.some((run) => run.session)) {
      // Nothing to train until another session is created (or creating them failed).
      await Promise.race([...waiting.map((run) => run.loaded), sessionsLoaded]);
      return;
    }
    for (const run of waiting) {
      if (!run.enabled || !run.session) continue; // switched off during this round, or not loaded yet
      const end = now() + settings.slice_ms;
      do await advance(run);
      while (running && run.enabled && !reached(run) && now() < end);
      if (now() - lastReport >= REPORT_MS) report();
      await yieldToEvents();
      if (!running) return;
    }
  }

  async function loop() {
    for (;;) {
      while (running && active().length) await round();
      running = false;
      // Every paused method gets a held-out point where it stopped.
      for (const run of runs) if (run.lastEval !== run.iteration) await evaluate(run);
      report();
      if (!running) break; // (a start that came during those evaluations carries on)
    }
    // runFor() is over: its iterations are done, or a pause or reset cut it short.
    targets = null;
    finished.forEach((resolve) => resolve());
    finished = [];
  }

  function start() {
    running = true;
    looping ??= loop()
      .catch((error) => {
        running = false;
        onError(error);
      })
      .finally(() => {
        looping = null;
      });
    return looping;
  }

  async function pause() {
    running = false;
    await looping;
  }

  return {
    start() {
      targets = null;
      start();
    },
    pause,
    async reset() {
      await pause();
      targets = null;
      runs.forEach((run) => run.reset());
      report();
    },
    enable(name, on) {
      const run = runs.find((r) => r.name === name);
      if (run) run.enabled = on;
      if (running && on) start();
      else report();
    },
    /** n more iterations of every enabled method, then paused (the tests' and benchmark's way). */
    async runFor(n) {
      await pause();
      targets = Object.fromEntries(runs.map((run) => [run.name, run.iteration + n]));
      const done = new Promise((resolve) => finished.push(resolve));
      await start();
      return done;
    },
    state(name) {
      const run = runs.find((r) => r.name === name);
      return { iteration: run.iteration, params: run.params, state: run.state, t: run.t[0], dims };
    },
    timings(name) {
      const run = runs.find((r) => r.name === name);
      return { iterationMs: [...run.iterationMs], graphMs: [...run.graphMs] };
    },
  };
}
