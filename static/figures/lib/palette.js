// The article's visual language, in one place: which colour and line style each thing has in
// every figure. Colours are CSS custom properties of static/css/site.css (light and dark values
// there); figures never name a colour of their own for these things, so a method is the same
// colour wherever it appears, and tests can find its marks by their data-method attribute.

/** The methods, in the article's order, with the names figures print. */
export const METHODS = {
  pretrained: { label: "pretrained", long: "pretrained (not meta-learned)", color: "var(--method-pretrained)" },
  maml: { label: "MAML", long: "MAML (exact meta-gradient)", color: "var(--method-maml)" },
  fomaml: { label: "first-order MAML", long: "first-order MAML", color: "var(--method-fomaml)" },
  reptile: { label: "Reptile", long: "Reptile", color: "var(--method-reptile)" },
  imaml: { label: "iMAML", long: "iMAML (implicit meta-gradient)", color: "var(--method-imaml)" },
};

/** Things that are not methods but look the same in every figure. */
export const ROLES = {
  trueCurve: { label: "true curve", color: "var(--true-curve)", dash: "dashed" },
  taskA: { label: "task A", color: "var(--task-a)" },
  taskB: { label: "task B", color: "var(--task-b)" },
  taskSample: { label: "sampled task", color: "var(--task-sample)" },
  taskMinimum: { label: "a task's minimum", color: "var(--task-min)" },
  support: { label: "support points", color: "var(--fig-fg)" },
};

/**
 * Line styles, one meaning each: an exact (meta-)gradient is solid, a first-order one dashed, an
 * inner step thin, a reference (mean over tasks, a recorded run, "after one step") faint.
 */
export const STROKES = {
  exact: { width: 2.5, dash: null, opacity: 1 },
  firstOrder: { width: 2.5, dash: "6 4", opacity: 1 },
  inner: { width: 1.25, dash: null, opacity: 1 },
  reference: { width: 2, dash: "2 3", opacity: 0.55 },
  dashed: { width: 2, dash: "5 4", opacity: 1 },
};

/** The colour of a method or role name ("maml", "taskA", ...); an unknown name is a bug. */
export function colorOf(name) {
  const entry = METHODS[name] ?? ROLES[name];
  if (!entry) throw new Error(`no palette entry "${name}"`);
  return entry.color;
}

/** True for the names of METHODS. */
export function isMethod(name) {
  return Object.hasOwn(METHODS, name);
}
