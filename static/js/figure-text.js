// Figure text in CSS px at any width.
//
// A figure's SVG has a fixed viewBox that CSS scales to the column, so a font size in user units
// would shrink on a phone (6-8 px) and swell on a desktop. The stylesheet sizes `.fig-text` as
// `calc(12px * var(--fig-unit))`; this module keeps --fig-unit on every outermost SVG of a figure
// equal to its user units per CSS px, for the static pictures and the live figures alike, through
// resizes and SVGs that figures add later.

/** User units per CSS px of an outermost <svg> with a viewBox, or null before it has a width. */
function unitsPerPixel(svg) {
  const viewBoxWidth = svg.viewBox?.baseVal?.width;
  const width = svg.getBoundingClientRect().width;
  if (!viewBoxWidth || !width) return null;
  return viewBoxWidth / width;
}

function update(svg) {
  const unit = unitsPerPixel(svg);
  if (unit !== null) svg.style.setProperty("--fig-unit", unit.toFixed(4));
}

/** The SVGs of `root` that are not nested in another SVG (nested ones inherit the unit). */
function outermostSvgs(root) {
  return [...root.querySelectorAll("svg[viewBox]")].filter((svg) => !svg.parentElement?.closest("svg"));
}

/** Keep --fig-unit right on every figure SVG under `root`, now and as figures redraw. */
export function setupFigureText(root = document) {
  if (!("ResizeObserver" in window)) return;
  const watched = new WeakSet();
  const resizes = new ResizeObserver((entries) => entries.forEach((entry) => update(entry.target)));
  const watch = (scope) => {
    for (const svg of outermostSvgs(scope)) {
      if (watched.has(svg)) continue;
      watched.add(svg);
      update(svg);
      resizes.observe(svg);
    }
  };
  const figures = [...root.querySelectorAll("figure.figure")];
  figures.forEach(watch);
  // Figures mount (and some redraw) their SVGs after load: watch what they add.
  // Most mutations are marks inside a plot: only an added <svg>, or an element holding one, counts.
  const bringsSvg = (node) => node.nodeName === "svg" || Boolean(node.querySelector?.("svg"));
  const additions = new MutationObserver((records) => {
    for (const record of records) {
      if ([...record.addedNodes].some(bringsSvg)) watch(record.target);
    }
  });
  figures.forEach((figure) => additions.observe(figure, { childList: true, subtree: true }));
}
