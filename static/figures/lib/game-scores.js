// Running scores of the few-shot game, per mode, for the reader and the model.
//
// Kept under the storage key "few-shot-game" (static/js/storage.js adds the site's prefix), so
// they survive a reload where storage is allowed and last for the visit where it is not. The
// chapter "Meta-learning" reads the same record to place the reader's score on its chart.
//
// {"version": 1, "modes": {"5": {"reader": {"correct", "played"}, "model": {...}}, "20": ...}}

export const SCORES_KEY = "few-shot-game";
const VERSION = 1;

const emptyMode = () => ({ reader: { correct: 0, played: 0 }, model: { correct: 0, played: 0 } });

function valid(count) {
  return Number.isInteger(count?.correct) && Number.isInteger(count?.played) && count.correct >= 0 && count.correct <= count.played;
}

/** The stored scores, with every mode in `modes` present (a broken record counts as none). */
export function readScores(storage, modes) {
  let stored = null;
  try {
    stored = JSON.parse(storage.getItem(SCORES_KEY) ?? "null");
  } catch {
    stored = null;
  }
  const scores = { version: VERSION, modes: {} };
  for (const mode of modes) {
    const entry = stored?.version === VERSION ? stored.modes?.[mode] : null;
    scores.modes[mode] = entry && valid(entry.reader) && valid(entry.model) ? entry : emptyMode();
  }
  return scores;
}

/** Count one trial of `mode` for both players and store the result. */
export function recordTrial(storage, scores, mode, readerRight, modelRight) {
  const entry = scores.modes[mode];
  entry.reader.played += 1;
  entry.model.played += 1;
  if (readerRight) entry.reader.correct += 1;
  if (modelRight) entry.model.correct += 1;
  storage.setItem(SCORES_KEY, JSON.stringify(scores));
  return scores;
}

export function resetScores(storage, modes) {
  storage.removeItem(SCORES_KEY);
  return readScores(storage, modes);
}

/** "3 of 4 (75%)", or "no answers yet". */
export function describe(count) {
  if (count.played === 0) return "no answers yet";
  return `${count.correct} of ${count.played} (${Math.round((100 * count.correct) / count.played)}%)`;
}
