// The smoke test's steps, run inside the page by every engine's driver alike.
//
// The whole file is one expression, an async function of (step, options) whose result is plain
// JSON: each driver evaluates `(<this file>)("figures", {...})` and awaits the promise. Input is
// given with DOM events (a value and an "input" event for a range, a keydown for a handle, a click
// for a button), which every engine and every driver can send the same way; what is checked is
// that the figure's own code runs and redraws in that engine.
async (step, options = {}) => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const seconds = options.seconds ?? 30;
  /** Poll `condition` every 100 ms until it holds or `limit` seconds have passed; its last value. */
  const until = async (condition, limit = seconds) => {
    const deadline = performance.now() + 1000 * limit;
    let value = condition();
    while (!value && performance.now() < deadline) {
      await sleep(100);
      value = condition();
    }
    return value;
  };
  const figures = () => [...document.querySelectorAll("figure[data-module]")];
  const figure = () => figures()[options.index];
  const mount = () => figure().querySelector(".figure-mount");
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  // What the figure draws: its SVG markup, or its HTML where it draws no SVG.
  const drawing = () => {
    const svgs = [...mount().querySelectorAll("svg")];
    return svgs.length ? svgs.map((svg) => svg.outerHTML).join("") : mount().innerHTML;
  };
  const describe = (e) => {
    const name = e.getAttribute("aria-label") || e.labels?.[0]?.textContent || e.textContent || "";
    return `${e.tagName.toLowerCase()} "${name.trim().replace(/\s+/g, " ").slice(0, 40)}"`;
  };
  const key = (e, name) => {
    for (const type of ["keydown", "keyup"]) {
      e.dispatchEvent(new KeyboardEvent(type, { key: name, code: name, bubbles: true, cancelable: true }));
    }
  };
  const click = (e) => e.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, view: window }));

  // Generic inputs, the likeliest to redraw first; each is given one input by `act`.
  const INPUTS = [
    {
      kind: "range",
      selector: "input[type=range]:not(:disabled)",
      act: (e) => {
        const step = Number(e.step) || 1;
        const value = Number(e.value);
        e.value = String(value + step <= Number(e.max) ? value + step : value - step);
        e.dispatchEvent(new Event("input", { bubbles: true }));
        e.dispatchEvent(new Event("change", { bubbles: true }));
      },
    },
    { kind: "handle", selector: "[role=slider]", focus: true, act: (e) => key(e, "ArrowRight") },
    {
      kind: "select",
      selector: "select:not(:disabled)",
      act: (e) => {
        e.selectedIndex = (e.selectedIndex + 1) % e.options.length;
        e.dispatchEvent(new Event("input", { bubbles: true }));
        e.dispatchEvent(new Event("change", { bubbles: true }));
      },
    },
    { kind: "radio", selector: "input[type=radio]:not(:checked):not(:disabled)", act: (e) => e.click() },
    { kind: "checkbox", selector: "input[type=checkbox]:not(:disabled)", act: (e) => e.click() },
    { kind: "button", selector: "button:not(:disabled)", act: (e) => e.click() },
    { kind: "focusable", selector: "svg [tabindex='0']", focus: true, act: (e) => key(e, "ArrowRight") },
  ];

  const steps = {
    /** Every figure of the page, once the page has loaded. */
    async figures() {
      await until(() => document.readyState === "complete");
      return figures().map((f, index) => ({ index, id: f.id, module: f.dataset.module }));
    },

    /** Scroll the figure into view until it has mounted or failed, as a reader scrolls on while
     * figures above it grow; its state and, if it failed, the sentence it shows readers. */
    async ready() {
      const f = figure();
      const settled = () => ["ready", "failed"].includes(f.dataset.state);
      const deadline = performance.now() + 1000 * seconds;
      while (!settled() && performance.now() < deadline) {
        f.scrollIntoView({ block: "center", inline: "nearest", behavior: "instant" });
        await until(settled, 2);
      }
      // The loader warns "figure <id>: <error>" when a mount fails.
      const why = (window.__smokeWarnings ?? []).filter((w) => w.startsWith(`figure ${f.id}:`));
      return { state: f.dataset.state ?? "never started", why: why.join("; ") || f.querySelector(".fallback-note")?.textContent || "" };
    },

    /** One input to the first few controls that take one, until the drawing changes. */
    async respond() {
      const tried = [];
      for (const { kind, selector, focus, act } of INPUTS) {
        for (const control of [...mount().querySelectorAll(selector)].filter(visible).slice(0, 2)) {
          if (focus) control.focus();
          await sleep(50);
          const before = drawing();
          act(control);
          const changed = await until(() => drawing() !== before, options.perInput ?? 10);
          tried.push(`${kind} ${describe(control)}`);
          if (changed) return { changed: true, tried };
          if (tried.length >= 4) return { changed: false, tried };
        }
      }
      return { changed: false, tried };
    },

    /** The few-shot game: the reader picks a candidate, the model answers, the score moves. */
    async game() {
      const f = figure();
      const asking = await until(() => f.dataset.gamePhase === "asking");
      if (!asking) return { scored: false, why: `phase ${f.dataset.gamePhase} instead of asking` };
      const score = () => mount().querySelector(".game-score")?.textContent ?? "";
      const before = score();
      mount().querySelector(".game-candidate").click();
      const answered = await until(() => f.dataset.gamePhase === "answered" && score() !== before);
      return answered
        ? { scored: true, score: score() }
        : { scored: false, why: `phase ${f.dataset.gamePhase}, score "${score()}" (was "${before}")` };
    },

    /** Meta-train: Start, then some method's meta-iteration counter leaves 0; then Pause, so the
     * worker stops taking a core. */
    async metaTrain() {
      const buttons = [...mount().querySelectorAll("button")];
      const named = (word) => buttons.find((b) => b.textContent.trim().toLowerCase() === word);
      const counters = () => [...mount().querySelectorAll("tbody tr")].map((row) => Number(row.cells[1]?.textContent));
      const start = named("start");
      if (!start) return { moved: false, why: "no Start button" };
      const before = counters();
      start.click();
      const moved = await until(() => counters().some((n, i) => n > (before[i] || 0)));
      named("pause")?.click();
      return { moved: Boolean(moved), before, after: counters() };
    },
  };
  return steps[step]();
}
