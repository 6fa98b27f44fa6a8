// A small seeded generator for "random samples": reproducible input positions, not maths on the
// model. mulberry32 (public-domain construction): 32-bit state, good enough to scatter points.

export function seededRandom(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` positions drawn uniformly from [low, high]. */
export function uniformPositions(random, count, [low, high]) {
  return Array.from({ length: count }, () => low + (high - low) * random());
}
