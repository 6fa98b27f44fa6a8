"""How long each chapter reads: prose words without maths and code, printed by `article build`."""
from __future__ import annotations

import re
from pathlib import Path

from sitegen.cli import main
from sitegen.wordcount import _Prose, prose_blocks, prose_words, without_formulas, word_report


def test_prose_words_leave_out_maths_code_and_pictures(md):
    html, _ = md(
        "The step $\\phi = \\theta - \\alpha g$ moves *meta*-learning forward.\n\n"
        "$$\n\\theta \\leftarrow \\theta - \\beta \\sum_i g_i\n$$\n\n"
        "```python\nfor task in batch:\n    step(task)\n```\n\n"
        "Call `sgd_step` twice.\n"
    )
    # "The step moves meta-learning forward." and "Call twice.": maths and code are not prose.
    assert prose_words(html) == 5 + 2


def test_words_are_what_the_reader_reads():
    html = ('<p>One <em>first</em>-order step.</p><p>MAML\u2019s 0.38</p>'
            '<figure class="figure"><div class="figure-fallback"><svg><text>tick 0.5</text></svg>'
            '</div><figcaption>Caption words here.</figcaption></figure>'
            '<table><tr><td>98.7 ± 0.4</td><td>Reptile</td></tr></table>')
    # One, first-order, step | MAML's | Caption, words, here | Reptile
    assert prose_words(html) == 3 + 1 + 3 + 1


def test_formulas_cut_out_before_parsing_change_no_block(built_site: Path, md):
    """The fast path (KaTeX's formulas cut out before the parser) gives the blocks the parser gives
    on the whole page, on every page of the built fixture article and on text hugging formulas."""
    def parsed(html: str) -> list[str]:
        parser = _Prose(frozenset(), False)
        parser.feed(html)
        parser.close()
        parser.end_block()
        return parser.blocks

    hugging, _ = md("Before$x^2$after, and *$y$*ly done.\n\n$$\n\\sum_i g_i\n$$\n")
    pages = [page.read_text(encoding="utf-8") for page in sorted(built_site.rglob("*.html"))]
    assert any('class="katex' in page for page in pages)
    for html in [hugging, *pages]:
        assert 'class="katex"' not in without_formulas(html)
        assert prose_blocks(html) == parsed(html)


def test_report_lists_each_chapter_and_the_total():
    report = word_report({"intro": 1200, "reptile": 34})
    assert re.search(r"intro\s+1,200\n", report) and re.search(r"reptile\s+34\n", report)
    assert re.search(r"total\s+1,234$", report)


def test_build_prints_the_words_of_every_chapter(content: Path, tmp_path: Path, capsys):
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "_site")]) == 0
    out = capsys.readouterr().out
    counts = {name: int(n.replace(",", "")) for name, n in re.findall(r"^\s+(\S+)\s+([\d,]+)$", out, re.M)}
    assert set(counts) == {"alpha", "beta", "gamma", "total"}
    assert all(counts[c] > 0 for c in ("alpha", "beta", "gamma"))
    assert counts["total"] == counts["alpha"] + counts["beta"] + counts["gamma"]
