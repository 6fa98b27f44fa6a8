// A draggable, focusable point: the one implementation behind every handle in every figure.
//
// Pointer input uses pointer events (mouse, pen and touch alike) with pointer capture, so a drag
// continues outside the circle. Keyboard: the arrow keys move by one step, Shift+arrow by a big
// step, Home/End jump along x; Enter or Space "activates" and Delete or Backspace "removes" when
// the figure asks for those. Each handle is a focusable <g> with an accessible name and a value
// text that states its coordinates, so a screen reader hears where the point is after each move.
//
// The handle keeps data coordinates; the figure decides what a move means via onMove, which may
// return adjusted coordinates (for example after snapping to a curve).

import { clientToUser, el, fmt, seriesColor } from "./svg.js";

const DRAG_THRESHOLD = 3; // user units; below this a press-and-release counts as a click

/**
 * createHandle(plot, parent, options) -> handle
 *   plot:    from svg.createPlot (scales, svg)
 *   options: {x, y, label, series = 1, radius = 7,
 *             step = [dx, dy] (data units per arrow key; Shift multiplies by `bigFactor` = 10),
 *             movable = true (false: a point that can be focused, activated, removed),
 *             format = (x, y) => "x = …, y = …" (aria-valuetext; for an immovable point,
 *             appended to its name with `hint`, e.g. "Delete removes it"),
 *             onMove(x, y, source: "pointer" | "key") -> optional {x, y} (the position kept),
 *             onEnd(x, y) (drag or key move finished), onActivate(), onRemove()}
 *   handle:  {element, x, y, set(x, y), focus(), destroy()}
 */
export function createHandle(plot, parent, options) {
  const {
    label,
    series = 1,
    radius = 7,
    step = [0.01, 0.01],
    bigFactor = 10,
    movable = true,
    format = (x, y) => `x = ${x.toFixed(2)}, y = ${y.toFixed(2)}`,
    onMove = () => {},
    onEnd = () => {},
    onActivate = null,
    onRemove = null,
    hint = "",
  } = options;
  const state = { x: options.x, y: options.y };
  let currentLabel = label;

  const group = el("g", {
    class: "fig-handle",
    tabindex: 0,
    role: movable ? "slider" : "button",
    "aria-roledescription": movable ? "draggable point" : "point",
    "aria-label": label,
  }, parent);
  group.style.cursor = movable ? "grab" : "pointer";
  group.style.touchAction = "none"; // the page must not scroll while a finger drags the point
  group.style.outline = "none"; // replaced by the focus ring below, which follows the point
  // A bigger transparent circle makes the target comfortable for fingers.
  const hit = el("circle", { r: Math.max(radius * 2, 14), fill: "transparent" }, group);
  const ring = el("circle", {
    r: radius + 4,
    fill: "none",
    "stroke-width": 2.5,
    style: { stroke: "var(--focus)" },
    visibility: "hidden",
  }, group);
  const dot = el("circle", {
    r: radius,
    "stroke-width": 2,
    style: { fill: seriesColor(series), stroke: "var(--fig-bg)" },
  }, group);

  function render() {
    const cx = fmt(plot.x(state.x));
    const cy = fmt(plot.y(state.y));
    for (const c of [hit, ring, dot]) {
      c.setAttribute("cx", cx);
      c.setAttribute("cy", cy);
    }
    const text = format(state.x, state.y);
    if (movable) {
      group.setAttribute("aria-valuetext", text);
      // aria-valuenow is required for role=slider; x is the primary coordinate, the text says both.
      group.setAttribute("aria-valuenow", Number(state.x.toFixed(4)));
    } else {
      // A button has no value attributes: its name carries the coordinates (and any hint).
      group.setAttribute("aria-label", [currentLabel, text, hint].filter(Boolean).join(", "));
    }
  }

  function moveTo(x, y, source) {
    const kept = onMove(plot.x.clamp(x), plot.y.clamp(y), source) ?? {
      x: plot.x.clamp(x),
      y: plot.y.clamp(y),
    };
    state.x = kept.x;
    state.y = kept.y;
    render();
  }

  // ---- pointer ----
  let press = null; // {id, startX, startY, moved}
  group.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation(); // the plot behind must not treat this as a click on empty space
    group.focus({ preventScroll: true });
    const p = clientToUser(plot.svg, event.clientX, event.clientY);
    press = { id: event.pointerId, startX: p.x, startY: p.y, moved: false };
    group.setPointerCapture?.(event.pointerId);
    if (movable) group.style.cursor = "grabbing";
  });
  group.addEventListener("pointermove", (event) => {
    if (!press || event.pointerId !== press.id) return;
    const p = clientToUser(plot.svg, event.clientX, event.clientY);
    if (!press.moved && Math.hypot(p.x - press.startX, p.y - press.startY) < DRAG_THRESHOLD) return;
    press.moved = true;
    if (movable) moveTo(plot.x.invert(p.x), plot.y.invert(p.y), "pointer");
  });
  const release = (event) => {
    if (!press || event.pointerId !== press.id) return;
    const wasClick = !press.moved && event.type === "pointerup";
    press = null;
    if (movable) group.style.cursor = "grab";
    if (wasClick && onActivate) onActivate();
    else if (!wasClick && movable) onEnd(state.x, state.y);
  };
  group.addEventListener("pointerup", release);
  group.addEventListener("pointercancel", release);
  // The plot may listen for clicks to add points; a click on a handle is the handle's own.
  group.addEventListener("click", (event) => event.stopPropagation());

  // ---- keyboard ----
  group.addEventListener("keydown", (event) => {
    const factor = event.shiftKey ? bigFactor : 1;
    const [dx, dy] = step;
    const moves = {
      ArrowLeft: [-dx, 0],
      ArrowRight: [dx, 0],
      ArrowUp: [0, dy],
      ArrowDown: [0, -dy],
    };
    if (movable && event.key in moves) {
      const [mx, my] = moves[event.key];
      moveTo(state.x + mx * factor, state.y + my * factor, "key");
      onEnd(state.x, state.y);
    } else if (movable && (event.key === "Home" || event.key === "End")) {
      const [d0, d1] = plot.x.domain;
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
  group.addEventListener("focus", () => ring.setAttribute("visibility", "visible"));
  group.addEventListener("blur", () => ring.setAttribute("visibility", "hidden"));

  render();
  return {
    element: group,
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
      currentLabel = text;
      if (movable) group.setAttribute("aria-label", text);
      else render();
    },
    focus() {
      group.focus({ preventScroll: true });
    },
    destroy() {
      group.remove();
    },
  };
}
