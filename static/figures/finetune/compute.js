// Every number the fine-tuning figures show comes from here, and all of it from exported graphs:
//   sinusoid_curves        -> the network's prediction, the true curve A sin(x + phi), their MSE
//   sinusoid_finetune_step -> one SGD step on the support samples (and the support MSE before
//                             it), then the prediction and its MSE at the new parameters: one
//                             call per animation frame, or one chain of calls for a whole run
//                             without animation (runtime.runSteps)
// This module only moves arrays in and out of onnxruntime; it does no arithmetic of its own.
//
// Tensors: the query grid, the step size and the target's amplitude/phase are created once and
// reused; parameters travel as plain Float32Arrays between calls and are wrapped in fresh tensors
// only for the call that needs them (then disposed). runtime.run() disposes every output tensor.

export const GRAPHS = { curves: "sinusoid_curves", step: "sinusoid_finetune_step" };

/** Protocol grid: the MSE is measured on this many equally spaced points of [-5, 5]. */
export const GRID_POINTS = 1000;
export const X_RANGE = [-5, 5];

/** x_i = -5 + 10 i / (n - 1), as numpy.linspace writes them (then rounded to float32). */
export function linspace([low, high], count) {
  const xs = new Float32Array(count);
  for (let i = 0; i < count; i++) xs[i] = low + ((high - low) * i) / (count - 1);
  return xs;
}

/**
 * createComputer(runtime, {stepSize}) -> Promise<computer>
 *   computer.initialParams(model)            -> {name: Float32Array} (a copy, safe to keep);
 *                                               model: a manifest model's name, or parameters
 *                                               given as {name: {data, dims}} (another figure's)
 *   computer.setTarget(amplitude, phase)
 *   computer.curves(params)                  -> {prediction, target, mse} on the protocol grid
 *   computer.targetAt(xs, params)            -> Float32Array, the true curve at xs (sample y's)
 *   computer.steps(params, xs, ys, count)    -> [{params, loss, prediction, mse}, ...], after
 *                                               each of `count` steps taken one after the other
 *   computer.grid                            -> Float32Array of the protocol grid
 * Calls run in the order they are made (the runtime queues graph runs), and calls made in one
 * turn reach the runtime's worker together.
 */
export async function createComputer(runtime, { stepSize = 0.01 } = {}) {
  await runtime.loadOrt();
  const [curvesSession, stepSession] = await Promise.all([
    runtime.session(GRAPHS.curves),
    runtime.session(GRAPHS.step),
  ]);
  const grid = linspace(X_RANGE, GRID_POINTS);
  const gridTensor = runtime.tensor(grid, [GRID_POINTS, 1]);
  const stepTensor = runtime.tensor([stepSize], []);
  let amplitude = runtime.tensor([1], []);
  let phase = runtime.tensor([0], []);
  let shapes = null; // parameter name -> dims, from the first model loaded

  /** Wrap parameters in tensors for one call; the caller disposes them with release(). */
  function paramFeeds(params) {
    const feeds = {};
    for (const [name, data] of Object.entries(params)) feeds[name] = runtime.tensor(data, shapes[name]);
    return feeds;
  }

  function release(tensors) {
    for (const t of tensors) t.dispose?.();
  }

  async function runWith(session, params, extra, owned) {
    const feeds = { ...paramFeeds(params), ...extra };
    try {
      return await runtime.run(session, feeds);
    } finally {
      release(Object.keys(params).map((name) => feeds[name]));
      release(owned);
    }
  }

  return {
    grid,
    async initialParams(model) {
      // runtime.params gives {name: Tensor}; parameters given by a figure have the same two fields.
      const tensors = typeof model === "string" ? await runtime.params(model) : model;
      shapes ??= Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.dims]));
      // Copies: the runtime's tensors are shared between figures and must stay untouched.
      return Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, Float32Array.from(t.data)]));
    },
    setTarget(a, p) {
      release([amplitude, phase]);
      amplitude = runtime.tensor([a], []);
      phase = runtime.tensor([p], []);
    },
    curves(params) {
      return runWith(curvesSession, params, { amplitude, phase, x: gridTensor }, []).then((out) => ({
        prediction: out.prediction,
        target: out.target,
        mse: out.mse[0],
      }));
    },
    targetAt(xs, params) {
      if (xs.length === 0) return Promise.resolve(new Float32Array(0));
      const x = runtime.tensor(Float32Array.from(xs), [xs.length, 1]);
      return runWith(curvesSession, params, { amplitude, phase, x }, [x]).then((out) => out.target);
    },
    async steps(params, xs, ys, count) {
      const sx = runtime.tensor(Float32Array.from(xs), [xs.length, 1]);
      const sy = runtime.tensor(Float32Array.from(ys), [ys.length, 1]);
      const names = Object.keys(params);
      const feeds = { ...paramFeeds(params), support_x: sx, support_y: sy, step_size: stepTensor, amplitude, phase, x: gridTensor };
      // Each step's new parameters (w1_next, ...) are the next step's (w1, ...).
      const carry = Object.fromEntries(names.map((name) => [`${name}_next`, name]));
      try {
        const runs = await runtime.runSteps(stepSession, feeds, { steps: count, carry });
        return runs.map((out) => ({
          params: Object.fromEntries(names.map((name) => [name, out[`${name}_next`]])),
          loss: out.loss[0],
          prediction: out.prediction,
          mse: out.mse[0],
        }));
      } finally {
        release([sx, sy, ...names.map((name) => feeds[name])]);
      }
    },
  };
}
