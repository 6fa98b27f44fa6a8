// Random sample positions for "Draw K random samples": reproducible input positions from the
// figures' one seeded generator (lib/random.js), not maths on the model.

/** `count` positions drawn uniformly from [low, high] with `random` (lib/random.js seededRandom). */
export function uniformPositions(random, count, [low, high]) {
  return Array.from({ length: count }, () => low + (high - low) * random());
}
