// Seeded uniform numbers for the figures: reproducible choices (a game's trials, sampled tasks,
// random support points), never maths on a model. mulberry32, a public-domain construction: a
// 32-bit state, plenty for scattering a few thousand draws.

/** A generator of uniform numbers in [0, 1), the same sequence for the same seed. */
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
