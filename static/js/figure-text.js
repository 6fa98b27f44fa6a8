// Figure text in CSS px at any width.
//
// A figure's SVG has a fixed viewBox that CSS scales to the column, so a font size in user units
// would shrink on a phone (6-8 px) and swell on a desktop. The stylesheet sizes `.fig-text` as
// `calc(12px * var(--fig-unit))`; this module keeps --fig-unit on every outermost SVG of a figure
// equal to its user units per CSS px, for the static pictures and the live figures alike, through
// resizes and SVGs that figures add later.

/** Set --fig-unit, the user units per CSS px, of an outermost <svg> `width` px wide. */
function update(svg, width) {
  const viewBoxWidth = svg.viewBox?.baseVal?.width;
  if (viewBoxWidth && width) svg.style.setProperty("--fig-unit", (viewBoxWidth / width).toFixed(4));
}

/** The width a ResizeObserver entry reports, in CSS px (border box where the browser has it). */
const entryWidth = (entry) => entry.borderBoxSize?.[0]?.inlineSize ?? entry.contentRect.width;

/** The SVGs of `root` that are not nested in another SVG (nested ones inherit the unit). */
function outermostSvgs(root) {
  return [...root.querySelectorAll("svg[viewBox]")].filter((svg) => !svg.parentElement?.closest("svg"));
}

/** Keep --fig-unit right on every figure SVG under `root`, now and as figures redraw. */
export function setupFigureText(root = document) {
  if (!("ResizeObserver" in window)) return;
  const watched = new WeakSet();
  // The observer reports each SVG's width once after it is first laid out, then on every
  // resize: reading widths from its entries never forces a layout (measuring each SVG with
  // getBoundingClientRect did, once per SVG, and cost a phone hundreds of milliseconds).
  const resizes = new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target, entryWidth(entry));
  });
  const watch = (scope) => {
    for (const svg of outermostSvgs(scope)) {
      if (watched.has(svg)) continue;
      watched.add(svg);
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
