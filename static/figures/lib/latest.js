// Graph runs for the latest request only.
//
// A drag or a slider sweep asks for a new run on every event, faster than the graphs run. These
// runners run one job at a time; while one is in flight, newer requests replace the waiting one,
// so stale work never queues and the figure always ends on the last request. request() and
// idle() return a promise that resolves once the queue is empty (tests and benchmarks await it).

/**
 * latestPerKey(job) -> {request(key, args) -> Promise, idle() -> Promise}
 * One waiting request per key (e.g. one per method of a figure), run one at a time in the order
 * the keys were first asked for: `await job(key, args)`.
 */
export function latestPerKey(job) {
  const wanted = new Map();
  let running = null;
  async function drain() {
    try {
      while (wanted.size) {
        const [key, args] = wanted.entries().next().value;
        wanted.delete(key);
        await job(key, args);
      }
    } finally {
      running = null;
    }
  }
  return {
    request(key, args) {
      wanted.set(key, args);
      running ??= drain();
      return running;
    },
    idle: () => running ?? Promise.resolve(),
  };
}

/** latestOnly(job) -> {request(args) -> Promise, idle() -> Promise}: one key, `await job(args)`. */
export function latestOnly(job) {
  const runner = latestPerKey((_, args) => job(args));
  return { request: (args) => runner.request(null, args), idle: runner.idle };
}
