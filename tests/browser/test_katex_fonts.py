"""Chromium's own report of the fonts behind every piece of KaTeX output, on every page.

The site ships KaTeX fonts cut down to the glyphs its formulas use (sitegen.fontsubset). A glyph
missing from the subset its face needs shows up here as a system font (Liberation Serif, ...).
"""
from __future__ import annotations

from pathlib import Path


def test_chromium_draws_every_formula_with_katex_fonts_only(browser, server, site_dir: Path):
    problems, checked = [], 0
    for path in sorted(site_dir.glob("*/index.html")):
        if 'class="katex' not in path.read_text():
            continue
        page = browser.new_page()
        page.on("response", lambda r: r.status >= 400 and problems.append(r.url))
        page.goto(server.url(path.relative_to(site_dir).as_posix()))
        page.evaluate("document.fonts.ready.then(() => true)")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        selector = {"nodeId": root, "selector": ".katex-html *"}
        for node in cdp.send("DOM.querySelectorAll", selector)["nodeIds"]:
            children = cdp.send("DOM.describeNode", {"nodeId": node, "depth": 1})["node"].get("children", [])
            text = "".join(c.get("nodeValue", "") for c in children if c.get("nodeType") == 3)
            if not text.replace("\u200b", ""):
                continue
            checked += 1
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                if not font["familyName"].startswith("KaTeX_"):
                    problems.append(f"{path.parent.name}: {text!r} in {font['familyName']}")
        page.close()
    assert checked and not problems, problems[:20]
