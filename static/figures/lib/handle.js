// A draggable, focusable point: the one implementation behind every handle in every figure.
//
// Drawing and input are separate on purpose: a figure's static picture (built in Node) draws the
// point exactly as the page does, and only the page calls makeInteractive(). Pointer input is
// d3-drag (mouse, pen and touch alike, the drag continuing outside the circle); the keyboard is
// ours: the arrow keys move by one step, Shift+arrow by a big step, Home/End jump along x, Enter
// or Space "activates" and Delete or Backspace "removes" when the figure asks for those. Each
// interactive handle is a focusable <g> with an accessible name and a value text stating its
// coordinates, so a screen reader hears where the point is after each move.
//
// The handle keeps data coordinates; the figure decides what a move means via onMove, which may
// return adjusted coordinates (for example after snapping to a curve).

import { drag } from "d3-drag";
import { clampToDomain, fmt, seriesColor } from "./plot.js";

/**
 * createHandle(plot, parent, options) -> handle
 *   plot:    from plot.createPlot (scales, svg); parent: a d3 selection
 *   options: {x, y, label, series = 1, color (a CSS colour instead of the series'), radius = 7,
 *             step = [dx, dy] (data units per arrow key; Shift multiplies by `bigFactor` = 10),
 *             movable = true (false: a point that can be focused, activated, removed),
 *             format = (x, y) => "x = …, y = …" (aria-valuetext; for an immovable point,
 *             appended to its name with `hint`, e.g. "Delete removes it"),
 *             interactive = true (false: the static picture's point, with no input at all),
 *             onMove(x, y, source: "pointer" | "key") -> optional {x, y} (the position kept),
 *             onEnd(x, y) (drag or key move finished), onActivate(), onRemove()}
 *   handle:  {element, x, y, set(x, y), setLabel(text), focus(), destroy()}
 */
export function createHandle(plot, parent, options) {
  const { series = 1, radius = 7, movable = true, interactive = true } = options;
  const state = { x: options.x, y: options.y, label: options.label };
  const group = parent.append("g").attr("class", "fig-handle");
  // A bigger transparent circle makes the target comfortable for fingers.
  const hit = group.append("circle").attr("r", Math.max(radius * 2, 14)).attr("fill", "transparent");
  const ring = group.append("circle").attr("r", radius + 4).attr("fill", "none").attr("stroke-width", 2.5)
    .style("stroke", "var(--focus)").attr("visibility", "hidden");
  const dot = group.append("circle").attr("r", radius).attr("stroke-width", 2)
    .style("fill", options.color ?? seriesColor(series)).style("stroke", "var(--fig-bg)");

  const format = options.format ?? ((x, y) => `x = ${x.toFixed(2)}, y = ${y.toFixed(2)}`);
  function render() {
    const cx = fmt(plot.x(state.x));
    const cy = fmt(plot.y(state.y));
    for (const circle of [hit, ring, dot]) circle.attr("cx", cx).attr("cy", cy);
    if (!interactive) return;
    const text = format(state.x, state.y);
    if (movable) {
      group.attr("aria-label", state.label).attr("aria-valuetext", text)
        // aria-valuenow is required for role=slider; x is the primary coordinate, the text says both.
        .attr("aria-valuenow", Number(state.x.toFixed(4)));
    } else {
      // A button has no value attributes: its name carries the coordinates (and any hint).
      group.attr("aria-label", [state.label, text, options.hint].filter(Boolean).join(", "));
    }
  }

  const handle = {
    element: group.node(),
    get x() {
      return state.x;
    },
    get y() {
      return state.y;
    },
    /** Move without calling onMove (the figure already knows the new position). */
    set(x, y) {
      state.x = x;
      state.y = y;
      render();
    },
    setLabel(text) {
      state.label = text;
      render();
    },
    focus() {
      group.node().focus?.({ preventScroll: true });
    },
    destroy() {
      group.remove();
    },
  };
  if (interactive) makeInteractive(plot, group, { ring, state, render, movable, options });
  render();
  return handle;
}

/** Pointer (d3-drag) and keyboard input, focus ring and ARIA roles for a drawn handle. */
function makeInteractive(plot, group, { ring, state, render, movable, options }) {
  const { step = [0.01, 0.01], bigFactor = 10, onMove = () => {}, onEnd = () => {} } = options;
  const { onActivate = null, onRemove = null } = options;
  group.attr("tabindex", 0)
    .attr("role", movable ? "slider" : "button")
    .attr("aria-roledescription", movable ? "draggable point" : "point")
    .style("cursor", movable ? "grab" : "pointer")
    .style("outline", "none"); // replaced by the focus ring, which follows the point

  function moveTo(x, y, source) {
    const cx = clampToDomain(plot.x, x);
    const cy = clampToDomain(plot.y, y);
    const kept = onMove(cx, cy, source) ?? { x: cx, y: cy };
    state.x = kept.x;
    state.y = kept.y;
    render();
  }

  // ---- pointer: d3-drag tells a click (no movement) from a drag by its click distance ----
  const DRAG_THRESHOLD = 3; // user units; a press that moves less is a click, not a drag
  let moved = false;
  let start = null;
  const dragging = drag()
    .container(plot.svg) // event.x/y in the SVG's user units, whatever CSS scaling applies
    .clickDistance(DRAG_THRESHOLD)
    .on("start", (event) => {
      moved = false;
      start = [event.x, event.y];
      event.sourceEvent?.stopPropagation?.(); // the plot behind must not see a click on empty space
      group.node().focus({ preventScroll: true });
      if (movable) group.style("cursor", "grabbing");
    })
    .on("drag", (event) => {
      moved ||= Math.hypot(event.x - start[0], event.y - start[1]) >= DRAG_THRESHOLD;
      if (!moved) return;
      if (movable) moveTo(plot.x.invert(event.x), plot.y.invert(event.y), "pointer");
    })
    .on("end", () => {
      if (movable) group.style("cursor", "grab");
      if (moved && movable) onEnd(state.x, state.y);
    });
  group.call(dragging);
  // A click without movement activates the point; it is the handle's own, not the plot's.
  group.on("click", (event) => {
    event.stopPropagation();
    if (!moved && onActivate) onActivate();
  });

  // ---- keyboard ----
  group.on("keydown", (event) => {
    const factor = event.shiftKey ? bigFactor : 1;
    const [dx, dy] = step;
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (movable && event.key in moves) {
      const [mx, my] = moves[event.key];
      moveTo(state.x + mx * factor, state.y + my * factor, "key");
      onEnd(state.x, state.y);
    } else if (movable && (event.key === "Home" || event.key === "End")) {
      const [d0, d1] = plot.x.domain();
      moveTo(event.key === "Home" ? Math.min(d0, d1) : Math.max(d0, d1), state.y, "key");
      onEnd(state.x, state.y);
    } else if ((event.key === "Enter" || event.key === " ") && onActivate) {
      onActivate();
    } else if ((event.key === "Delete" || event.key === "Backspace") && onRemove) {
      onRemove();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // keys handled here must not also move a plot-level cursor
  });
  group.on("focus", () => ring.attr("visibility", "visible"));
  group.on("blur", () => ring.attr("visibility", "hidden"));
}
