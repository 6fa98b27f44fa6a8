// The two-parameter toy problems' data, as the trainers wrote them to models/toys.json, turned
// into the tensors the exported line-fitting graphs take.
//
// toys.json is the one source of the toy data: the trainers drew it once from fixed seeds; the
// live figures, their static pictures (drawn at build time) and the tests all read that file.
// Nothing is redrawn here.

/** models/toys.json, read once per page (the runtime memoises it). */
export function loadToys(runtime) {
  return runtime.json("models/toys.json");
}

/**
 * One line-fitting data set by name ("maml", "reptile", "comparison"):
 *   {tasks: [{a, b}], plane: {a: [lo, hi], b: [lo, hi]}, T, N,
 *    arrays: {x_train, y_train, x_test, y_test} as row-major Float32Array (T × N)}
 */
export async function lineDataset(runtime, name) {
  const toys = await loadToys(runtime);
  const data = toys.line?.datasets?.[name];
  if (!data) throw new Error(`line data set "${name}" is not in models/toys.json`);
  const T = data.tasks.length;
  const N = data.n;
  const arrays = {};
  for (const key of ["x_train", "y_train", "x_test", "y_test"]) {
    arrays[key] = Float32Array.from(data[key].flat());
    if (arrays[key].length !== T * N) throw new Error(`toys.json: ${name}.${key} is not ${T} × ${N}`);
  }
  return { tasks: data.tasks, plane: toys.line.plane, T, N, arrays };
}

/**
 * Tensors of the data set's samples, keyed by graph input name. `split` "train"/"test" gives
 * {x, y} for line_landscape; "both" gives {x_train, y_train, x_test, y_test}. The caller owns the
 * tensors and disposes them with disposeAll() when the figure goes away.
 */
export function sampleTensors(runtime, dataset, split) {
  const { T, N, arrays } = dataset;
  const make = (key) => runtime.tensor(arrays[key], [T, N]);
  if (split === "both") {
    return Object.fromEntries(["x_train", "y_train", "x_test", "y_test"].map((k) => [k, make(k)]));
  }
  return { x: make(`x_${split}`), y: make(`y_${split}`) };
}

/**
 * The evaluation grid over the parameter plane: n × n points (a, b), a along x and b along y,
 * point k = j * n + i at (a_i, b_j), a_i = lo + i (hi - lo) / (n - 1). Row j of any per-grid
 * result is therefore one value of b, bottom row first. The tests build the same grid in Python
 * (tests/reference.py, plane_grid).
 */
export function planeGrid(plane, n) {
  const [a0, a1] = plane.a;
  const [b0, b1] = plane.b;
  const grid = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const k = j * n + i;
      grid[2 * k] = a0 + (i * (a1 - a0)) / (n - 1);
      grid[2 * k + 1] = b0 + (j * (b1 - b0)) / (n - 1);
    }
  }
  return grid;
}

/** Dispose every tensor in an object of tensors (ort's dispose() is a no-op for some). */
export function disposeAll(tensors) {
  for (const tensor of Object.values(tensors)) tensor?.dispose?.();
}
