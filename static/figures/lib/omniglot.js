// The few-shot game's data: sprite sheets of held-out Omniglot drawings, seeded trials, and the
// Omniglot classifier's answer from the exported graphs.
//
// A sheet (models/omniglot-sheet-<s>.png, written by trainers/omniglot/sprites.py) is a 1-bit PNG
// holding a few drawings of every held-out character: tile t = drawings-per-sheet * character +
// (drawing - first drawing of the sheet), at column t mod columns, row t div columns. Its layout
// is in the manifest's data entry. The classifier takes the 105 x 105 ink masks themselves
// (its downsampling is inside the graph), so nothing here computes anything about images beyond
// cutting tiles out.

import { decode } from "fast-png";
import { pngDataUrl } from "./png.js";

export const SHEET_PREFIX = "omniglot_sheet_";
const UNOPTIMISED = { graphOptimizationLevel: "disabled" };

/** Manifest names of the sprite sheets, in order (sheet 0 first: it alone serves any trial). */
export function sheetNames(manifest) {
  return Object.keys(manifest.data ?? {})
    .filter((name) => name.startsWith(SHEET_PREFIX))
    .sort((a, b) => Number(a.slice(SHEET_PREFIX.length)) - Number(b.slice(SHEET_PREFIX.length)));
}

/** Load and decode one sheet: {name, entry, bits (packed rows), rowBytes}. */
export async function loadSheet(runtime, manifest, name) {
  const entry = manifest.data?.[name];
  if (!entry) throw new Error(`models/manifest.json has no ${name} (run \`article export\`)`);
  const image = decode(new Uint8Array(await runtime.bytes(`models/${entry.file}`)));
  if (image.depth !== 1 || image.channels !== 1) throw new Error(`${entry.file}: expected a 1-bit greyscale PNG`);
  return { name, entry, bits: image.data, rowBytes: Math.ceil(image.width / 8) };
}

/** The ink mask (1 where the pen drew) of `character`'s `drawing`, as 105 * 105 floats. */
export function inkMask(sheet, character, drawing) {
  const { entry, bits, rowBytes } = sheet;
  const local = entry.drawings.indexOf(drawing);
  if (local < 0) throw new Error(`${sheet.name} does not hold drawing ${drawing}`);
  const tileIndex = character * entry.drawings.length + local;
  const left = (tileIndex % entry.columns) * entry.tile;
  const top = Math.floor(tileIndex / entry.columns) * entry.tile;
  const mask = new Float32Array(entry.tile * entry.tile);
  for (let y = 0; y < entry.tile; y++) {
    const row = (top + y) * rowBytes;
    for (let x = 0; x < entry.tile; x++) {
      const column = left + x;
      const white = (bits[row + (column >> 3)] >> (7 - (column & 7))) & 1; // PNG: 1 is white
      mask[y * entry.tile + x] = 1 - white;
    }
  }
  return mask;
}

/** A data: URL of a mask, dark ink on white paper (the same bytes in the page and the build). */
export function maskUrl(mask, side) {
  const grey = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) grey[i] = mask[i] > 0.5 ? 28 : 255;
  return pngDataUrl(grey, side, side, 1);
}

/**
 * One N-way 1-shot trial: N distinct characters, one support drawing of each, and a query that
 * is another drawing of the target's character. Drawings are picked among those the loaded
 * `sheets` hold. -> {ways, target, support: [{character, drawing}], query: {character, drawing}}
 */
export function drawTrial(random, ways, characters, sheets) {
  const drawings = sheets.flatMap((sheet) => sheet.entry.drawings);
  const pool = Array.from({ length: characters }, (_, i) => i);
  for (let i = 0; i < ways; i++) {
    const j = i + Math.floor(random() * (characters - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const pick = (exclude) => {
    const choices = drawings.filter((d) => d !== exclude);
    return choices[Math.floor(random() * choices.length)];
  };
  const support = pool.slice(0, ways).map((character) => ({ character, drawing: pick(-1) }));
  const target = Math.floor(random() * ways);
  const query = { character: support[target].character, drawing: pick(support[target].drawing) };
  return { ways, target, support, query };
}

/** The sheet holding `drawing`. */
export function sheetFor(sheets, drawing) {
  const sheet = sheets.find((s) => s.entry.drawings.includes(drawing));
  if (!sheet) throw new Error(`no loaded sheet holds drawing ${drawing}`);
  return sheet;
}

/**
 * The classifier's answer to a trial: it adapts on the N support masks (omniglot_adapt: the
 * trainers' inner loop from a zero output layer) and classifies the query (omniglot_predict).
 * -> {probabilities (Float32Array of N), choice, ms (the two runs, not the loading before them)}
 */
export async function classify(runtime, model, trial, masks) {
  await runtime.loadOrt();
  const [manifest, body, adaptSession, predictSession] = await Promise.all([
    runtime.manifest(),
    runtime.params(model),
    // Unoptimised sessions: created faster, and they run faster too (20-way adaptation in Node's
    // onnxruntime-web: 129 ms against 167 ms with the default optimisations).
    runtime.session("omniglot_adapt", UNOPTIMISED),
    runtime.session("omniglot_predict", UNOPTIMISED),
  ]);
  const started = performance.now();
  const { ways } = trial;
  const side = Math.sqrt(masks.query.length);
  const support = new Float32Array(ways * side * side);
  masks.support.forEach((mask, i) => support.set(mask, i * side * side));
  const labels = new Float32Array(ways * ways);
  for (let i = 0; i < ways; i++) labels[i * ways + i] = 1;
  const feeds = {
    ...body,
    support_x: runtime.tensor(support, [ways, side, side]),
    support_y: runtime.tensor(labels, [ways, ways]),
    step_size: runtime.tensor([manifest.models[model].config.inner_lr], []),
  };
  const adapted = await runtime.run(adaptSession, feeds);
  const features = body.conv4_w.dims[0] * 4; // 2 x 2 pixels per channel after four stride-2 blocks
  const next = {};
  for (const name of predictSession.inputNames) {
    if (name === "query_x") continue;
    const dims = name === "head_w" ? [ways, features] : name === "head_b" ? [ways] : body[name].dims;
    next[name] = runtime.tensor(adapted[`${name}_next`], dims);
  }
  const { probabilities } = await runtime.run(predictSession, { ...next, query_x: runtime.tensor(masks.query, [1, side, side]) });
  let choice = 0;
  for (let i = 1; i < ways; i++) if (probabilities[i] > probabilities[choice]) choice = i;
  return { probabilities, choice, ms: performance.now() - started };
}
