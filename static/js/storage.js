// localStorage that never throws.
//
// Storage can be blocked (privacy settings, sandboxed iframes, file:// in some browsers), in which
// case merely touching `window.localStorage` throws. Figures must keep working then, so values fall
// back to an in-memory map that lives as long as the page.

const PREFIX = "maml-article:";
const memory = new Map();

/** The real localStorage if it can be read and written, otherwise null (checked once). */
const backing = (() => {
  try {
    const store = window.localStorage;
    const probe = `${PREFIX}probe`;
    store.setItem(probe, probe);
    store.removeItem(probe);
    return store;
  } catch {
    return null;
  }
})();

/** True when values survive a reload (real storage is available). */
export const persistent = backing !== null;

export function getItem(key) {
  const full = PREFIX + key;
  // What this visit wrote wins: it is newer than storage, and storage may have refused it.
  if (memory.has(full)) return memory.get(full);
  if (backing) {
    try {
      return backing.getItem(full);
    } catch {
      /* revoked since the probe */
    }
  }
  return null;
}

export function setItem(key, value) {
  const full = PREFIX + key;
  const text = String(value);
  memory.set(full, text); // kept too, so a quota error loses nothing during this visit
  if (backing) {
    try {
      backing.setItem(full, text);
    } catch {
      /* quota exceeded or revoked: memory copy stands */
    }
  }
}

export function removeItem(key) {
  const full = PREFIX + key;
  memory.delete(full);
  if (backing) {
    try {
      backing.removeItem(full);
    } catch {
      /* nothing to undo */
    }
  }
}

/** Parsed JSON stored under `key`, or `fallback` when absent or unreadable. */
export function getJSON(key, fallback = null) {
  const text = getItem(key);
  if (text === null) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

export function setJSON(key, value) {
  setItem(key, JSON.stringify(value));
}
