"""The figures' runtime runs in a Web Worker: the page's main thread never loads onnxruntime-web,
and what figures ask of the runtime (sessions, parameters, runs, their errors) crosses to the worker
and back unchanged, with the page served from a sub-path."""
from __future__ import annotations

import pytest

from .conftest import page_url_path

pytestmark = pytest.mark.browser

# The runtime module the page imported (a chunk of the bundle, named after static/js/runtime.js).
RUNTIME_CHUNK = r"/\/assets\/js\/chunks\/runtime-[A-Z0-9]+\.js$/"
IMPORT_RUNTIME = f"""async () => {{
  const entry = performance.getEntriesByType('resource').find((e) => {RUNTIME_CHUNK}.test(e.name));
  if (!entry) throw new Error('the page has not imported the runtime');
  window.__runtime = (await import(entry.name)).runtime;
  return true;
}}"""


@pytest.fixture
def figure_page(new_page, server, pages_with):
    """A page with figures, its runtime warmed up and reachable as window.__runtime; the list of
    every request the page and its workers made."""
    pages = pages_with("data-module=")
    if not pages:
        pytest.skip("no page has a figure")
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url(page_url_path(pages[0])))
    page.wait_for_selector("html[data-runtime=ready]", state="attached", timeout=60_000)
    page.evaluate(IMPORT_RUNTIME)
    return page, requested


def test_the_main_thread_loads_no_onnxruntime(figure_page):
    """The WebAssembly and onnxruntime's modules are fetched, but not by the page: its own resource
    timeline (which a worker's fetches do not enter) lists none of them, and no global `ort`."""
    page, requested = figure_page
    assert any(url.endswith(".wasm") for url in requested), "the runtime fetched no WebAssembly"
    assert any("/assets/js/runtime-worker.js" in url for url in requested)
    on_page = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert not [url for url in on_page if "/vendor/ort/" in url or url.endswith(".wasm")], on_page
    assert page.evaluate("typeof globalThis.ort") == "undefined"
    assert page.evaluate("typeof window.__runtime.ort.Tensor") == "function"


def test_a_run_in_the_worker_matches_the_same_run_with_copied_parameters(figure_page):
    """sinusoid_predict fed the model's shared parameters (sent by name) and fed copies of them
    (sent as data) gives the same prediction; the figure's own input is still usable after."""
    page, _ = figure_page
    result = page.evaluate("""async () => {
      const runtime = window.__runtime;
      await runtime.loadOrt();
      const [session, weights] = await Promise.all([runtime.session('sinusoid_predict'), runtime.params('maml')]);
      const x = runtime.tensor([-2, 0, 1.5], [3, 1]);
      const copies = Object.fromEntries(Object.entries(weights).map(
        ([name, t]) => [name, runtime.tensor(Float32Array.from(t.data), t.dims)]));
      const shared = await runtime.run(session, { ...weights, x });
      const copied = await runtime.run(session, { ...copies, x });
      return {
        inputs: session.inputNames, outputs: session.outputNames,
        shared: Array.from(shared.y), copied: Array.from(copied.y),
        isFloat32: shared.y instanceof Float32Array,
        xAfter: Array.from(x.data), w1After: weights.w1.data.length,
      };
    }""")
    assert result["outputs"] == ["y"] and "x" in result["inputs"] and "w1" in result["inputs"]
    assert result["isFloat32"]
    assert len(result["shared"]) == 3 and result["shared"] == result["copied"]
    assert result["xAfter"] == [-2, 0, 1.5], "the run took the figure's input array away"
    assert result["w1After"] == 40


def test_runs_asked_for_together_are_answered_together(figure_page):
    """Three runs asked for in one turn (one good, one failing, one good) settle in the same task
    of the page, each with its own answer: the figure that asked draws them before the browser can
    render in between. Replies in separate messages would settle in separate tasks, and the third
    would still be pending one microtask after the first."""
    page, _ = figure_page
    result = page.evaluate("""async () => {
      const runtime = window.__runtime;
      await runtime.loadOrt();
      const [session, weights] = await Promise.all([runtime.session('sinusoid_predict'), runtime.params('maml')]);
      const feeds = (x) => ({ ...weights, x: runtime.tensor([x], [1, 1]) });
      const settled = [];
      const first = runtime.run(session, feeds(0));
      const failing = runtime.run(session, { x: runtime.tensor([1], [1, 1]) });
      const third = runtime.run(session, feeds(1));
      failing.catch(() => settled.push('failing'));
      third.then(() => settled.push('third'));
      const a = await first;
      await null;
      await null;
      const seenOneMicrotaskLater = [...settled];
      const b = await third;
      const single = await runtime.run(session, feeds(1));
      return { seenOneMicrotaskLater, first: a.y[0], third: b.y[0], single: single.y[0] };
    }""")
    assert sorted(result["seenOneMicrotaskLater"]) == ["failing", "third"], result
    assert result["third"] == result["single"] != result["first"]


def test_a_chain_of_runs_in_one_request_equals_the_runs_one_by_one(figure_page):
    """runSteps: three SGD steps of sinusoid_finetune_step in one request, each fed the last one's
    new parameters, give the same numbers as three run() calls chained by hand; an output name
    that the graph lacks is refused."""
    page, _ = figure_page
    result = page.evaluate("""async () => {
      const runtime = window.__runtime;
      await runtime.loadOrt();
      const [session, weights] = await Promise.all([runtime.session('sinusoid_finetune_step'), runtime.params('maml')]);
      const names = Object.keys(weights);
      const fixed = {
        support_x: runtime.tensor([-3, -1, 0.5, 2, 4], [5, 1]), support_y: runtime.tensor([0.2, -1, 0.7, 1.4, -0.3], [5, 1]),
        x: runtime.tensor([-4, 0, 4], [3, 1]), step_size: runtime.tensor([0.01], []),
        amplitude: runtime.tensor([1.5], []), phase: runtime.tensor([0.3], []),
      };
      const carry = Object.fromEntries(names.map((n) => [`${n}_next`, n]));
      const chained = await runtime.runSteps(session, { ...weights, ...fixed }, { steps: 3, carry });
      const byHand = [];
      let params = weights;
      for (let step = 0; step < 3; step++) {
        const out = await runtime.run(session, { ...params, ...fixed });
        byHand.push(out);
        params = Object.fromEntries(names.map((n) => [n, runtime.tensor(out[`${n}_next`], weights[n].dims)]));
      }
      const rows = (runs) => runs.map((out) => [...out.loss, ...out.mse, ...out.prediction, ...out.w1_next.slice(0, 4)]);
      const refused = await runtime.runSteps(session, { ...weights, ...fixed }, { steps: 2, carry: { no_such_output: 'w1' } })
        .then(() => 'resolved', (e) => e.message);
      return { chained: rows(chained), byHand: rows(byHand), refused };
    }""")
    assert len(result["chained"]) == 3
    assert result["chained"] == result["byHand"]
    assert result["chained"][0] != result["chained"][2], "the steps did not move the parameters"
    assert "no_such_output" in result["refused"]


def test_a_session_sized_by_dims_gives_the_same_numbers_and_checks_its_sizes(figure_page):
    """`dims` (the sizes of a graph's named dimensions) make a session of their own that computes
    what the unsized one does; a name the graph lacks is refused with the names it has, and the
    sized session refuses feeds of another size."""
    page, _ = figure_page
    result = page.evaluate("""async () => {
      const runtime = window.__runtime;
      await runtime.loadOrt();
      const reason = (promise) => promise.then(() => 'resolved', (e) => e.message);
      const [plain, sized, weights] = await Promise.all([
        runtime.session('sinusoid_predict'), runtime.session('sinusoid_predict', { dims: { N: 3 } }), runtime.params('maml')]);
      const x = runtime.tensor([-2, 0, 1.5], [3, 1]);
      const a = await runtime.run(plain, { ...weights, x });
      const b = await runtime.run(sized, { ...weights, x });
      const unknown = await reason(runtime.session('sinusoid_predict', { dims: { T: 3 } }));
      const notWhole = await reason(runtime.session('sinusoid_predict', { dims: { N: 2.5 } }));
      const otherSize = await reason(runtime.run(sized, { ...weights, x: runtime.tensor([1, 2], [2, 1]) }));
      return { same: Array.from(a.y).join() === Array.from(b.y).join(), distinct: plain !== sized,
               unknown, notWhole, otherSize };
    }""")
    assert result["same"] and result["distinct"]
    assert result["unknown"] == 'graph "sinusoid_predict" has no dimension "T" (its named dimensions: N)'
    assert "positive whole number" in result["notWhole"]
    assert result["otherSize"] != "resolved"


def test_errors_in_the_worker_reach_the_figure_as_rejections(figure_page):
    """A graph the manifest lacks and a run with an input missing reject with the worker's message;
    the runtime keeps working afterwards."""
    page, _ = figure_page
    result = page.evaluate("""async () => {
      const runtime = window.__runtime;
      const reason = (promise) => promise.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
      const missing = await reason(runtime.session('no_such_graph'));
      const session = await runtime.session('sinusoid_predict');
      const badInput = await reason(runtime.run(session, { x: runtime.tensor([1], [1, 1]) }));
      const weights = await runtime.params('maml');
      const after = await runtime.run(session, { ...weights, x: runtime.tensor([0], [1, 1]) });
      return { missing, badInput, after: after.y.length };
    }""")
    assert result["missing"] == 'Error: graph "no_such_graph" is not in models/manifest.json'
    assert result["badInput"].startswith("Error: ") and "w1" in result["badInput"], result["badInput"]
    assert result["after"] == 1


def test_a_reason_for_readers_raised_in_the_worker_reaches_the_figure(new_page, page_watch, server, pages_with):
    """A worker without WebAssembly (the page still has it) throws FigureUnavailable there; the
    figure keeps its picture and shows that sentence, not the generic one."""
    pages = pages_with("data-module=")
    if not pages:
        pytest.skip("no page has a figure")
    page = new_page()
    # A figure that asks for several sessions at once awaits the first failure only; the others
    # surface as unhandled rejections, with the same sentence (as they did on the main thread).
    page_watch.expect("WebAssembly is unavailable in this browser")

    def worker_without_webassembly(route):
        body = route.fetch().text()
        route.fulfill(status=200, content_type="text/javascript", body="delete globalThis.WebAssembly;\n" + body)

    page.route("**/assets/js/runtime-worker.js", worker_without_webassembly)
    page.goto(server.url(page_url_path(pages[0])))
    # The element's own scrollIntoView, at once (a figure far down its page loads only near view).
    page.locator("figure[data-module]").first.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    page.wait_for_selector("figure[data-module][data-state=failed]", state="attached", timeout=60_000)
    failed = page.locator("figure[data-module][data-state=failed]").first
    note = failed.locator(".fallback-note").inner_text()
    assert "WebAssembly" in note and note.count(".") == 1, note
    assert failed.locator(".figure-fallback .figure-picture").is_visible()
