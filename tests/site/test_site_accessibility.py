"""What scrolls sideways (code, display maths) is a focusable, labelled region in the HTML.

The browser test tests/browser/test_accessibility.py runs axe-core on the built site; this checks
the markup the build emits for it, without a browser.
"""
from __future__ import annotations

import re

from sitegen.syntax.listings import source_page_html
from sitegen.project import REPO_ROOT

REGION = re.compile(r'<(pre|span) tabindex="0" role="region" aria-label="([^"]*)"')


def test_code_and_display_maths_are_labelled_focusable_regions(md):
    text = ("```python\nx = 1\n```\n\n```python\ny = 2\n```\n\n```\nplain\n```\n\n"
            "::: listing trainers/sinusoid_mlp.py forward\nThe network.\n:::\n\n"
            "$$ a $$ {#eq:first}\n\n$$\nb\n$$\n\n$$\nc\n$$ {#eq:second}\n\n$$ d $$\n")
    html, _ = md(text)
    assert REGION.findall(html) == [
        ("pre", "Code block: python"),
        ("pre", "Code block: python (2)"),   # labels differ on a page
        ("pre", "Code block"),
        ("pre", "Code listing: forward from trainers/sinusoid_mlp.py"),
        ("span", "Equation (1)"),
        ("span", "Unnumbered equation 1"),
        ("span", "Equation (2)"),
        ("span", "Unnumbered equation 2"),
    ]
    # Every scrolling box got it: no <pre> or .katex-display is left bare.
    assert html.count("<pre") == 4
    assert len(re.findall(r'class="katex-display', html)) == 4


def test_inline_maths_is_no_region(md):
    html, _ = md("Inline $x^2$ only.\n")
    assert 'role="region"' not in html and "tabindex" not in html


def test_source_page_is_a_labelled_focusable_region():
    html = source_page_html(REPO_ROOT, "trainers/sinusoid_mlp.py")
    assert REGION.findall(html) == [("pre", "Source file: trainers/sinusoid_mlp.py")]
