// Entry point of the site's JavaScript (bundled by esbuild, loaded as a module on every page).
//
// Only cheap set-up happens here: event listeners for hover cards and an IntersectionObserver for
// figures. Figure code, onnxruntime-web and models arrive later, as figures near the viewport.

import { setupHovercards } from "./hovercards.js";
import { setupFigures } from "./figures.js";
import { setupFigureText } from "./figure-text.js";

function start() {
  setupHovercards();
  setupFigureText();
  setupFigures();
}

// Module scripts run after parsing anyway; the check covers the bundle being loaded otherwise.
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
