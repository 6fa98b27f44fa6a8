// Where the site's root is, seen from the current page.
//
// Every page carries `<html data-root="../">`: the relative path from the page to the site root.
// Resolving it against the page's own URL gives an absolute URL, so everything built on it works
// the same whether the site is served at "/" or from a sub-path such as "/maml/".

/** Absolute URL of the site root, always ending in "/". */
export const siteRoot = new URL(document.documentElement.dataset.root || "./", location.href);

/** Absolute URL of `path` (relative to the site root, e.g. "models/manifest.json"). */
export function siteUrl(path) {
  return new URL(path, siteRoot);
}
