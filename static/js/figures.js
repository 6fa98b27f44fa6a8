// Lazy figure loader.
//
// A figure's module (static/figures/<module>.js), the runtime and the models are fetched only as
// the figure comes near the viewport, so text and maths are never held up by figure code. Until a
// module's mount() has resolved, the static fallback picture stays visible; if anything fails it
// stays for good, with one sentence underneath saying why.
//
// Markup (emitted by the site build):
//   <figure class="figure" data-module="M" data-params='{json}'>
//     <div class="figure-mount"></div>
//     <div class="figure-fallback"><img …><p class="fallback-note">…</p></div>
//     <figcaption>…</figcaption>
//   </figure>
// mount(element, params, runtime) receives the .figure-mount element, the parsed data-params and
// the shared runtime (runtime.js). The loader records its progress on the figure as
// data-state = loading | ready | failed (styles and tests read it).

/** Start loading this far before the figure scrolls into view. */
const ROOT_MARGIN = "800px 0px";

/** Module names are file names under static/figures/; refuse anything else before importing. */
const MODULE_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/**
 * Import static/figures/<name>.js. The template literal lets esbuild see every possible target (a
 * glob over static/figures/*.js) and emit each figure module as its own lazily loaded chunk.
 */
function importFigure(name) {
  return import(`../figures/${name}.js`);
}

/** One sentence for the reader about why the interactive version is not shown. */
function reasonFor(error) {
  // Figures signal a reason meant for readers with runtime.FigureUnavailable.
  if (error?.name === "FigureUnavailable") return error.message;
  return "The interactive version of this figure could not be loaded, so it shows its static picture.";
}

async function load(figure) {
  figure.dataset.state = "loading";
  const mountPoint = figure.querySelector(".figure-mount");
  const fallback = figure.querySelector(".figure-fallback");
  try {
    // Shared by all figures; imported here so it stays out of the entry chunk.
    const { runtime } = await import("./runtime.js");
    const name = figure.dataset.module || "";
    if (!MODULE_NAME.test(name)) throw new Error(`bad figure module name "${name}"`);
    if (!mountPoint) throw new Error("figure has no .figure-mount");
    const params = JSON.parse(figure.dataset.params || "{}");
    const module = await importFigure(name);
    await module.mount(mountPoint, params, runtime);
    if (fallback) fallback.hidden = true;
    figure.dataset.state = "ready";
  } catch (error) {
    console.warn(`figure ${figure.id || "(no id)"}:`, error);
    mountPoint?.replaceChildren(); // drop whatever a half-finished mount drew
    figure.dataset.state = "failed";
    const note = fallback?.querySelector(".fallback-note");
    if (note) note.textContent = reasonFor(error);
  }
}

/**
 * Once the page is idle, get the shared runtime going: text and maths come first, and the runtime
 * is usually ready before the reader reaches a figure. A failure here is left for the figure to
 * report.
 */
function warmUpWhenIdle() {
  if (navigator.connection?.saveData) return; // the reader asked for fewer bytes: wait for a figure
  const whenIdle = window.requestIdleCallback ?? ((callback) => setTimeout(callback, 200));
  whenIdle(() => {
    import("./runtime.js").then(({ runtime }) => runtime.warmUp()).catch(() => {});
  }, { timeout: 2000 });
}

/** Watch every figure with a module and load each one as it nears the viewport. */
export function setupFigures(root = document) {
  const figures = [...root.querySelectorAll("figure[data-module]")];
  if (figures.length === 0) return;
  warmUpWhenIdle();
  if (!("IntersectionObserver" in window)) {
    figures.forEach(load);
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        load(entry.target);
      }
    },
    { rootMargin: ROOT_MARGIN },
  );
  figures.forEach((figure) => observer.observe(figure));
}
