// What the page and its training worker share about the figure "Meta-train in your browser": the
// methods (their meta-step graphs and names; colours come from lib/palette.js), the other graphs,
// the recorded run, and the default settings.
// Nothing here touches the DOM, so the worker can import it.

/** In the order of the trainers' registry (trainers/methods/__init__.py METHODS). */
export const METHODS = [
  { name: "pretrained", label: "pretrained baseline" },
  { name: "maml", label: "MAML" },
  { name: "fomaml", label: "first-order MAML" },
  { name: "reptile", label: "Reptile" },
  // Its graph (ten inner steps and five CG steps unrolled, about 2,700 nodes) is slow to load:
  // without graph optimisations about half the CPU time (2.8 s against 5.1 s in Node with
  // onnxruntime-web 1.30), and it runs as fast (about 20 ms an iteration either way). Sized to
  // the training batches (trainer.js), it loads in 0.6 s.
  { name: "imaml", label: "iMAML", sessionOptions: { graphOptimizationLevel: "disabled" } },
];

export const methodInfo = (name) => METHODS.find((m) => m.name === name);
export const metaStepGraph = (name) => `meta_step_${name}`;

export const GRAPHS = {
  tasks: "sinusoid_tasks", // uniform draws -> a meta-batch of sinusoid tasks
  heldout: "sinusoid_heldout_mse", // query MSE before and after one SGD step, mean over tasks
  mean: "window_mean", // the training curves: mean meta-loss of each window of iterations
};

/**
 * The recorded run (`article record-meta-train`, trainers/meta_train_recording.py): the same
 * graphs on the same seeds in Python's onnxruntime, the methods sharing a wall-clock budget.
 */
export const RECORDING = "models/meta_train_recording.json";
/** The settings a recording must share with the figure to be drawn with it. */
export const RECORDED_SETTINGS = ["methods", "init", "tasks", "support", "query", "seed", "chunk", "log_every",
  "eval_every", "step_size", "slice_ms", "heldout"];

/**
 * Defaults of the figure's params (content/figures.yaml may override any of them).
 *   init: the manifest model every method starts from (the untrained `demo` initialisation)
 *   tasks, support, query: the meta-batch (T tasks, K support and Q query points each)
 *   seed: of the uniform draws that make the training tasks; every method gets the same stream,
 *         so iteration i of every method sees the same tasks
 *   chunk: iterations whose tasks are made by one sinusoid_tasks call (fewer, larger calls)
 *   log_every: iterations per point of the training curves
 *   eval_every: iterations between held-out evaluations (also at 0 and whenever training pauses)
 *   heldout: the fixed held-out tasks: their seed, count, K support points (one SGD step of
 *            step_size on them) and the query points the MSE is measured on
 *   slice_ms: the worker's time slice per method; methods share its time equally
 */
export const DEFAULTS = {
  methods: METHODS.map((m) => m.name),
  init: "demo",
  tasks: 25,
  support: 10,
  query: 10,
  seed: 1,
  chunk: 20,
  log_every: 25,
  eval_every: 200,
  heldout: { seed: 2, tasks: 100, support: 5, query: 100 },
  step_size: 0.01,
  slice_ms: 25,
  finetune: { amplitude: 4, phase: 0, samples: [0.5, 1.25, 2, 2.75, 3.5], steps: 10 },
};
