// Form controls for figures: labelled sliders, buttons, selects, checkboxes and status lines.
//
// Every control has a visible <label> tied to it (so its accessible name is the visible text) and
// is a native element, so mouse, touch and keyboard all work without extra code. Sliders show
// their value in an <output> next to them, formatted by the figure, and announce the same text
// through aria-valuetext.

let counter = 0;
function nextId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * element(tag, props, parent, style) -> a new element: `props` are attributes, except `text` (its
 * text) and `className`; `style` is applied inline; appended to `parent` when given.
 */
export function element(tag, props = {}, parent = null, style = {}) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, String(value));
  }
  Object.assign(node.style, style);
  if (parent) parent.append(node);
  return node;
}

/** A row of controls under (or above) a plot; its layout is the stylesheet's `.figure-controls`. */
export function controlRow(parent, { className = "figure-controls" } = {}) {
  const row = element("div", { className }, parent);
  if (!row.classList.contains("figure-controls")) row.classList.add("figure-controls");
  return row;
}

/**
 * slider(parent, {label, min, max, step, value, format = String, onInput, name})
 * -> {input, output, value (get/set), setDisabled(bool)}
 * onInput(value) runs on every change (dragging, arrow keys, Page Up/Down, Home/End).
 */
export function slider(parent, { label, min, max, step = 1, value, format = String, onInput = () => {}, name } = {}) {
  const id = nextId("fig-slider");
  const wrap = element("span", { className: "figure-slider" }, parent);
  element("label", { for: id, text: label }, wrap);
  const input = element("input", { id, type: "range", min, max, step, value, name }, wrap);
  const output = element("output", { for: id, className: "readout" }, wrap);
  const show = () => {
    const text = format(Number(input.value));
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  input.addEventListener("input", () => {
    show();
    onInput(Number(input.value));
  });
  show();
  return {
    input,
    output,
    get value() {
      return Number(input.value);
    },
    set value(v) {
      input.value = String(v);
      show();
    },
    setDisabled(disabled) {
      input.disabled = disabled;
    },
  };
}

/** button(parent, {label, onClick, title}) -> <button> (its text is its accessible name). */
export function button(parent, { label, onClick = () => {}, title, name } = {}) {
  const node = element("button", { type: "button", text: label, title, name }, parent);
  node.addEventListener("click", () => onClick());
  return node;
}

/**
 * select(parent, {label, options: [{value, label}], value, onChange})
 * -> {select, value (get/set)}; values are strings as in the DOM.
 */
export function select(parent, { label, options, value, onChange = () => {}, name } = {}) {
  const id = nextId("fig-select");
  const wrap = element("span", { className: "figure-select" }, parent);
  element("label", { for: id, text: label }, wrap);
  const node = element("select", { id, name }, wrap);
  for (const option of options) element("option", { value: option.value, text: option.label ?? option.value }, node);
  if (value !== undefined) node.value = String(value);
  node.addEventListener("change", () => onChange(node.value));
  return {
    select: node,
    get value() {
      return node.value;
    },
    set value(v) {
      node.value = String(v);
    },
  };
}

/** checkbox(parent, {label, checked, onChange}) -> {input, checked (get/set)}. */
export function checkbox(parent, { label, checked = false, onChange = () => {}, name } = {}) {
  const id = nextId("fig-check");
  const wrap = element("span", { className: "figure-checkbox" }, parent);
  const input = element("input", { id, type: "checkbox", name }, wrap);
  input.checked = checked;
  element("label", { for: id, text: label }, wrap);
  input.addEventListener("change", () => onChange(input.checked));
  return {
    input,
    get checked() {
      return input.checked;
    },
    set checked(v) {
      input.checked = Boolean(v);
    },
  };
}

/**
 * A polite live region: one line of text a screen reader announces when it changes (status of a
 * computation, why a button did nothing). With live = false (a static picture) it is plain text.
 */
export function statusLine(parent, { className = "figure-status", live = true } = {}) {
  const node = element("p", live ? { className, role: "status", "aria-live": "polite" } : { className }, parent);
  if (!node.classList.contains("figure-status")) node.classList.add("figure-status");
  return {
    element: node,
    set(text) {
      node.textContent = text;
    },
    get text() {
      return node.textContent;
    },
  };
}
