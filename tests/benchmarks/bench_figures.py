"""Figure benchmarks in Debian's chromium: prints each number next to its target, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_figures.py [--site DIR] [--only NAME ...]
                                                      [--reference COMMIT | --no-reference]
                                                      [--back-to-back]

Builds the site (or uses --site / ARTICLE_SITE_DIR), serves it on 127.0.0.1 under a sub-path with
ordinary HTTP caching (so a second visit finds the runtime and models cached, as a reader's
browser would), and runs every registered measurement. Each measurement also runs, in the same
browser and the same run, on a reference build of an older commit (default REFERENCE_COMMIT, the
last one whose figures were drawn a second time in Python), and each line prints both numbers
and their ratio.

Plug-ins: a measurement is a function `(bench: Bench) -> list[Result]` registered with
`@measurement("name")`, either in this file or in a sibling module `bench_figures_<name>.py`
(imported automatically; it does `from bench_figures import Bench, Result, measurement`).
`Bench` gives a warm browser page on a figure (`bench.open_figure(id)`), timing helpers, and the
Chrome DevTools session for heap measurements.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitegen.static_server import StaticSite, serving

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--enable-precise-memory-info"]
SUB_PATH = "/maml/"
# The site before "figures draw once" (Python fallback pictures, hand-written plotting).
REFERENCE_COMMIT = "09d780d"


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str  # e.g. "<= 1000 ms"
    ok: bool | None = None  # None: no target to meet (informative)

    def line(self, reference: "Result | None" = None) -> str:
        verdict = {True: "ok", False: "OVER", None: ""}[self.ok]
        text = f"  {self.name:<58} {self.value:>10.3f} {self.unit:<4} target {self.target:<12} {verdict:<4}"
        if reference is not None:
            ratio = self.value / reference.value if reference.value else float("nan")
            text += f"  reference {reference.value:>10.3f}  new/reference {ratio:5.2f}"
        return text


Measurement = Callable[["Bench"], list[Result]]
REGISTRY: dict[str, Measurement] = {}


def measurement(name: str) -> Callable[[Measurement], Measurement]:
    def register(function: Measurement) -> Measurement:
        REGISTRY[name] = function
        return function
    return register


# ---- serving ----------------------------------------------------------------------------------


def served(stack: contextlib.ExitStack, site: Path) -> str:
    """The URL of `site` under SUB_PATH, served until `stack` closes by the site's own static server
    (compressed as a host sends it), cacheable: the benchmark wants a reader's warm cache."""
    site_server = StaticSite(site, (SUB_PATH,), cache_control="max-age=3600")
    return stack.enter_context(serving(site_server)) + SUB_PATH


def build_site() -> Path:
    out = Path(tempfile.mkdtemp(prefix="bench-figures-")) / "_site"
    article = Path(sys.executable).with_name("article")
    subprocess.run([str(article), "build", "--out", str(out)], check=True, cwd=ROOT)
    return out


def build_reference(commit: str) -> Path:
    """The site as `commit` built it, from a detached git worktree of that commit (its own
    builder, run from the worktree; the npm packages are this checkout's, which are a superset)."""
    tree = Path(tempfile.mkdtemp(prefix="bench-reference-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), commit],
                   check=True, cwd=ROOT)
    try:
        (tree / "node_modules").symlink_to(ROOT / "node_modules")
        out = tree.parent / "_site"
        env = {**os.environ, "PYTHONPATH": f"{tree / 'build'}{os.pathsep}{tree}"}
        subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--out", str(out)],
                       check=True, cwd=tree, env=env)
        return out
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


# ---- the browser side ---------------------------------------------------------------------------

# Resolves with ms from scrolling the figure into view to its data-state=ready.
TIME_TO_INTERACTIVE = """async (id) => {
  const figure = document.getElementById(id);
  const ready = new Promise((resolve, reject) => {
    const check = () => {
      if (figure.dataset.state === 'ready') resolve(performance.now());
      else if (figure.dataset.state === 'failed') reject(new Error(id + ' failed to load'));
    };
    new MutationObserver(check).observe(figure, {attributes: true, attributeFilter: ['data-state']});
    check();
  });
  const start = performance.now();
  figure.scrollIntoView({block: 'center', behavior: 'instant'});
  return (await ready) - start;
}"""


# Times (ms since navigation) at which the figure with id %(id)s first took each data-state.
STATE_CLOCK = """window.__figureStates = {};
new MutationObserver(() => {
  const state = document.getElementById('%(id)s')?.dataset.state;
  if (state && !(state in window.__figureStates)) window.__figureStates[state] = performance.now();
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state']});"""


class Bench:
    """What a measurement gets: the served site and a browser with a warm cache."""

    def __init__(self, browser, base_url: str, site: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.site = site
        self.context = browser.new_context(viewport={"width": 1000, "height": 800})
        self.errors: list[str] = []
        self.loaded_early: set[str] = set()  # figures the page started before the scroll reached them

    def page_of(self, figure_id: str) -> str:
        for page in sorted(self.site.rglob("*.html")):
            if f'data-figure="{figure_id}"' in page.read_text(encoding="utf-8"):
                rel = page.relative_to(self.site).as_posix()
                return rel[: -len("index.html")] if rel.endswith("index.html") else rel
        raise LookupError(f"no page holds figure {figure_id}")

    def has(self, figure_id: str) -> bool:
        """Whether the build holds the figure (a reference build may be older than it)."""
        try:
            self.page_of(figure_id)
        except LookupError:
            return False
        return True

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def warm_cache(self, figure_id: str) -> None:
        """Visit the figure once so the runtime, wasm and models are in the HTTP cache."""
        page = self.new_page()
        page.goto(self.base_url + self.page_of(figure_id))
        page.evaluate(TIME_TO_INTERACTIVE, f"fig-{figure_id}")
        page.close()

    def time_to_interactive(self, figure_id: str, *, idle: bool = False) -> tuple[object, float]:
        """A fresh page (cache warm) scrolled to the top, then to the figure: ms until ready.

        The page starts the runtime once it is idle (figures.js). By default the scroll comes
        0.2 s after the load event, with that warm-up still running; with `idle`, once it is done,
        as for a reader who reads a few seconds before reaching the figure.
        """
        page = self.new_page()
        page.goto(self.base_url + self.page_of(figure_id))
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # let the page settle; the figure is far below, not loading yet
        if idle:
            page.wait_for_selector("html[data-runtime=ready]", state="attached", timeout=30_000)
        state = page.evaluate(f"document.getElementById('fig-{figure_id}').dataset.state || ''")
        if state:
            print(f"  (note: fig-{figure_id} started loading before the scroll: {state})")
            self.loaded_early.add(figure_id)
        return page, page.evaluate(TIME_TO_INTERACTIVE, f"fig-{figure_id}")

    def loader_to_ready(self, figure_id: str, runs: int = 5) -> list[float]:
        """ms from the lazy loader starting the figure (data-state "loading") to "ready", on fresh
        pages with a warm cache: the time to interactive of a figure near the top of its page,
        which starts loading with the page, before any scroll."""
        self.warm_cache(figure_id)
        times = []
        for _ in range(runs):
            page = self.new_page()
            page.add_init_script(STATE_CLOCK % {"id": f"fig-{figure_id}"})
            page.goto(self.base_url + self.page_of(figure_id))
            page.wait_for_selector(f"#fig-{figure_id}[data-state=ready]", timeout=30_000)
            states = page.evaluate("window.__figureStates")
            times.append(states["ready"] - states["loading"])
            page.close()
        return times

    def time_to_interactive_results(self, figure_id: str, runs: int = 3) -> list[Result]:
        """Median time to interactive, scrolled soon after load and scrolled once idle."""
        self.warm_cache(figure_id)
        results = []
        for idle, when in ((False, "scrolled 0.2 s after load"), (True, "scrolled once the page is idle")):
            times = []
            for _ in range(runs):
                page, ms = self.time_to_interactive(figure_id, idle=idle)
                times.append(ms)
                page.close()
            results.append(check(f"{figure_id}: viewport to interactive, {when} (median of {runs})",
                                 statistics.median(times), "ms", 1000))
        if figure_id in self.loaded_early:  # the scroll found it ready: time it from its start
            results.append(check(f"{figure_id}: loader start to interactive, warm cache (median of 5)",
                                 statistics.median(self.loader_to_ready(figure_id)), "ms", 1000))
        return results

    def open_figure(self, figure_id: str):
        """A page with the figure mounted (cache warm); returns (page, handle of its mount)."""
        page, _ = self.time_to_interactive(figure_id)
        return page, page.locator(f"#fig-{figure_id} .figure-mount").element_handle()

    @staticmethod
    def heap_bytes(page) -> float:
        """JS heap in use after a full garbage collection (Chrome DevTools Protocol)."""
        cdp = page.context.new_cdp_session(page)
        cdp.send("HeapProfiler.enable")
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("HeapProfiler.collectGarbage")
        used = cdp.send("Runtime.getHeapUsage")["usedSize"]
        cdp.detach()
        return float(used)


def check(name: str, value: float, unit: str, limit: float) -> Result:
    return Result(name, value, unit, f"<= {limit:g} {unit}", value <= limit)


# ---- figures 1 and 4: fine-tuning (static/figures/finetune.js) ---------------------------------

FINETUNE_FIGURES = ("finetune-pretrained", "finetune-maml")


@measurement("finetune")
def finetune(bench: Bench) -> list[Result]:
    results = []
    for figure_id in FINETUNE_FIGURES:
        results += bench.time_to_interactive_results(figure_id)

    # One fine-tuning step: one sinusoid_finetune_step call (the SGD step, then the prediction and
    # its MSE on 1,000 points) and the redraw, timed over 20-step runs without animation.
    page, mount = bench.open_figure("finetune-pretrained")
    per_step = page.evaluate("""async (f) => {
      const fig = f.figureTest, runs = [];
      await fig.fineTune({animate: false, steps: 20});  // warm-up
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        await fig.fineTune({animate: false, steps: 20});
        runs.push((performance.now() - t) / 20);
      }
      runs.sort((a, b) => a - b);
      return runs[5];
    }""", mount)
    results.append(check("finetune: one fine-tuning step incl. MSE and redraw (median)", per_step, "ms", 2))

    # Heap: 1,000 fine-tuning runs (default number of steps) against the first 10.
    run_many = """async ([f, n]) => {
      for (let i = 0; i < n; i++) await f.figureTest.fineTune({animate: false});
    }"""
    page.evaluate(run_many, [mount, 10])
    after_10 = bench.heap_bytes(page)
    page.evaluate(run_many, [mount, 990])
    after_1000 = bench.heap_bytes(page)
    growth = 100 * (after_1000 - after_10) / after_10
    results.append(Result("finetune: JS heap after 10 runs", after_10 / 2**20, "MiB", "(reference)"))
    results.append(check("finetune: JS heap growth, 1,000 runs vs 10", growth, "%", 10))
    page.close()
    return results


# ---- main ----------------------------------------------------------------------------------------


def load_plugins() -> None:
    # Plug-ins import this module by name; make that the running module, not a second copy.
    sys.modules.setdefault("bench_figures", sys.modules[__name__])
    for path in sorted(HERE.glob("bench_figures_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def reference_results(function: Measurement, bench: "Bench") -> dict[str, Result]:
    """The reference's results by name; none where its older figures lack what a measurement
    drives (a test hook, a control), so that this build's lines still print."""
    try:
        return {r.name: r for r in function(bench)}
    except Exception as error:  # noqa: BLE001 - any failure of the old build's page
        print(f"  (the reference could not be measured here: {str(error).splitlines()[0][:160]})")
        return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=os.environ.get("ARTICLE_SITE_DIR"),
                        help="an existing build (default: build one)")
    parser.add_argument("--only", nargs="*", help="run only these measurements")
    parser.add_argument("--reference", default=REFERENCE_COMMIT,
                        help=f"commit to compare with (default {REFERENCE_COMMIT})")
    parser.add_argument("--reference-site", type=Path, help="a build of the reference, already made")
    parser.add_argument("--no-reference", action="store_true", help="measure this build only")
    parser.add_argument("--back-to-back", action="store_true",
                        help="fire each input as soon as the last is drawn, not a frame later")
    args = parser.parse_args()
    load_plugins()
    import figure_events  # after the plug-ins, which import it (it imports this module)
    figure_events.PACING["frame_apart"] = not args.back_to_back
    site = Path(args.site) if args.site else build_site()
    reference = None if args.no_reference else (args.reference_site or build_reference(args.reference))
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack, sync_playwright() as playwright:
        urls = [served(stack, folder) for folder in (site, reference) if folder]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        benches = [Bench(browser, url, folder) for url, folder in zip(urls, [site, reference])]
        if reference:
            print(f"each line: this build, then the reference build of {args.reference}")
        for name, function in REGISTRY.items():
            if args.only and name not in args.only:
                continue
            print(f"{name}:", flush=True)
            results = function(benches[0])
            old = reference_results(function, benches[1]) if reference else {}
            for result in results:
                print(result.line(old.get(result.name)), flush=True)
        for bench in benches:
            if bench.errors:
                print(f"console errors ({bench.site}):\n  " + "\n  ".join(bench.errors))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
