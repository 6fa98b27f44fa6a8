"""axe-core on every page of the built site, in light and dark, after every figure has mounted.

Ruleset: WCAG 2.1 A and AA plus Deque's best practices. Any violation fails the test; the message
names the rule, the page, the colour scheme and the elements (axe's target selector, a short piece
of their HTML and axe's reason). axe is injected from node_modules, so the page makes no request
it would not make for a reader. Figures are checked as mounted (every one must reach
data-state=ready), interactive controls included.

The pages run with Content-Security-Policy bypassed, only because the policy (script-src 'self')
rightly refuses the inline <script> that injects axe; test_pages.py checks the policy itself.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import page_url_path
from .figure_harness import mount_every_figure

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Runs in the page; returns only the violations, reduced to what the message needs.
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""


def _snippet(markup: str, limit: int = 140) -> str:
    flat = " ".join(markup.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _detail(summary: str) -> str:
    """axe's first concrete reason ("Element has insufficient color contrast of 4.2 …")."""
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith("Fix ")]
    return _snippet(reasons[0], 200) if reasons else ""


def format_violations(found: list[tuple[str, str, dict]], per_rule: int = 8) -> str:
    """One block per rule and page: the rule, then each element's target, HTML and reason
    (the first `per_rule` elements; the count says how many there are)."""
    out = []
    for path, scheme, violation in found:
        nodes = violation["nodes"]
        out.append(f"[{violation['id']}] ({violation['impact']}) {violation['help']}: "
                   f"{path}, {scheme} scheme, {len(nodes)} element(s)")
        for node in nodes[:per_rule]:
            out.append(f"    {node['target']}\n        {_snippet(node['html'])}")
            reason = _detail(node["summary"])
            if reason:
                out.append(f"        {reason}")
        if len(nodes) > per_rule:
            out.append(f"    ... and {len(nodes) - per_rule} more")
    return "\n".join(out)


def _settle_figures(page) -> None:
    """Mount every figure (axe must check the live figures, controls included), then go back
    to the top of the page."""
    mount_every_figure(page)
    page.evaluate("() => window.scrollTo(0, 0)")


@pytest.mark.skipif(not AXE.exists(), reason=f"{AXE} is absent (npm ci)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_any_page(new_page, server, html_pages, scheme):
    page = new_page(bypass_csp=True)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    assert any(p.startswith("source/") for p in html_pages), "no source pages were built"
    assert "404.html" in html_pages and "index.html" in html_pages, html_pages
    found = []
    for path in html_pages:
        page.goto(server.url(page_url_path(path)))
        _settle_figures(page)
        page.add_script_tag(path=str(AXE))
        for violation in page.evaluate(RUN_AXE, TAGS):
            found.append((path, scheme, violation))
    assert not found, (f"axe-core found violations in the {scheme} colour scheme "
                       f"({len(found)} rule(s) x page):\n" + format_violations(found))


# Every listing <pre> and display equation: focusable, a region, and its label.
REGIONS_JS = """() => [...document.querySelectorAll('.highlight pre, .katex-display')].map((el) => ({
  tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'),
  label: el.getAttribute('aria-label') || ''}))"""


def test_code_and_display_maths_are_keyboard_reachable_regions(new_page, server, pages_with):
    """What scrolls sideways can be reached with Tab, says what it is, shows a focus ring and
    scrolls with the arrow keys (on a phone-sized screen, where some equation or table is wider
    than it; code listings wrap their lines instead)."""
    chapters = [p for p in pages_with('class="katex-display') if p in pages_with('class="highlight"')]
    assert chapters, "no page has both a code listing and a display equation"
    page = new_page(viewport={"width": 390, "height": 844})
    page.emulate_media(reduced_motion="reduce")
    page.goto(server.url(page_url_path(chapters[0])))
    regions = page.evaluate(REGIONS_JS)
    assert regions and all(r["tabindex"] == "0" and r["role"] == "region" and r["label"]
                           for r in regions), regions
    labels = [r["label"] for r in regions]
    assert len(set(labels)) == len(labels), f"region labels repeat: {labels}"
    # Tab from the top until a region that scrolls has the focus.
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("""(() => { const el = document.activeElement;
            return el.matches('.highlight pre, .katex-display, .table-wrap')
              && el.scrollWidth > el.clientWidth; })()"""):
            break
    else:
        pytest.fail("Tab never reached a region that scrolls")
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")
    assert ring["style"] != "none" and ring["width"] >= 2, f"no visible focus ring: {ring}"
    page.keyboard.press("ArrowRight")
    # Polled from Python: wait_for_function would compile its predicate with eval in the page,
    # which the site's CSP (rightly) refuses whenever the first check is not already true.
    for _ in range(100):
        if page.evaluate("document.activeElement.scrollLeft > 0"):
            break
        page.wait_for_timeout(50)
    else:
        pytest.fail("ArrowRight did not scroll the focused region")
