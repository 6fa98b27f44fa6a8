// Graph runs for the latest request only.
//
// A drag or a slider sweep asks for a new run on every event, faster than the graphs run. These
// runners run one job at a time (per key); while one is in flight, newer requests replace the
// waiting one, so stale work never queues and the figure always ends on the last request.
// request() and idle() return a promise that resolves once the queue is empty (tests and
// benchmarks await it).

/**
 * latestPerKey(job) -> {request(key, args) -> Promise, idle() -> Promise}
 * One waiting request per key (e.g. one per method of a figure): each key runs one job at a time,
 * `await job(key, args)`, and different keys run side by side. With the runtime in a worker, the
 * keys' graph runs then travel together instead of each waiting for the last one's reply.
 */
export function latestPerKey(job) {
  const wanted = new Map(); // key -> the newest args not yet started
  const running = new Map(); // key -> the promise of its loop
  function loop(key) {
    const done = (async () => {
      try {
        while (wanted.has(key)) {
          const args = wanted.get(key);
          wanted.delete(key);
          await job(key, args);
        }
      } finally {
        running.delete(key);
      }
    })();
    running.set(key, done);
    return done;
  }
  async function idle() {
    // A job may request more (for its own key or another): wait until nothing runs.
    while (running.size) await Promise.all(running.values());
  }
  return {
    request(key, args) {
      wanted.set(key, args);
      return running.get(key) ?? loop(key);
    },
    idle,
  };
}

/** latestOnly(job) -> {request(args) -> Promise, idle() -> Promise}: one key, `await job(args)`. */
export function latestOnly(job) {
  const runner = latestPerKey((_, args) => job(args));
  return { request: (args) => runner.request(null, args), idle: runner.idle };
}
