"""Whole builds of the fixture article: pages, links, head, assets, atomicity, reproducibility."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from site_checks import tree_digest
from sitegen.site import Caches, build

HREF = re.compile(r'(?:href|src)="([^"]+)"')



def test_every_page_exists(built_site):
    for rel in ["index.html", "404.html", "alpha/index.html", "beta/index.html",
                "gamma/index.html", "sitemap.xml", "robots.txt", "favicon.svg",
                "source/trainers/sinusoid_mlp.py.html",
                "models/manifest.json", "models/sinusoid_predict.onnx"]:
        assert (built_site / rel).is_file(), rel


def test_assets_layout(built_site):
    assets = built_site / "assets"
    for rel in ["site.css", "katex/katex.min.css",
                "katex/fonts/KaTeX_Main-Regular.woff2", "js/main.js",
                "vendor/ort/ort.wasm.min.mjs", "vendor/ort/ort-wasm-simd-threaded.mjs",
                "vendor/ort/ort-wasm-simd-threaded.wasm"]:
        assert (assets / rel).is_file(), rel
    katex_css = (assets / "katex/katex.min.css").read_text()
    assert ".woff2" in katex_css and ".ttf" not in katex_css and ".woff)" not in katex_css


def test_links_are_relative_and_resolve(built_site):
    for page in built_site.rglob("*.html"):
        if page.name == "404.html":
            continue
        for target in HREF.findall(page.read_text()):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            assert not target.startswith("/"), f"{page}: absolute link {target}"
            path = (page.parent / target.split("#")[0]).resolve()
            if target.endswith("/"):
                path = path / "index.html"
            assert path.exists(), f"{page.relative_to(built_site)} links to missing {target}"


def test_head_and_landmarks(built_site):
    html = (built_site / "alpha/index.html").read_text()
    assert '<html lang="en" data-root="../">' in html
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; " \
           "script-src 'self' 'wasm-unsafe-eval';" in html
    for needle in ['<meta name="description" content="A chapter that uses every directive.">',
                   '<meta property="og:title" content="Alpha: every feature">',
                   '<link rel="icon" href="../favicon.svg"', '<a class="skip-link" href="#main">',
                   '<header class="site-header">', '<nav class="site-nav"', '<main id="main"',
                   '<footer class="site-footer">', '<a href="../alpha/" aria-current="page">',
                   '<a href="../beta/" rel="next"', '<nav class="toc"', 'id="cite-this-article"',
                   "@misc{lovelace2025fixture,", '<script type="module" src="../assets/js/main.js">',
                   '<link rel="stylesheet" href="../assets/katex/katex.min.css">']:
        assert needle in html, needle
    assert "<script>" not in html and "<style" not in html  # nothing inline for the CSP


def test_text_page_skips_unneeded_stylesheets(built_site):
    html = (built_site / "gamma/index.html").read_text()
    assert "katex.min.css" not in html and "pygments.css" not in html  # no stray sheets
    assert '<a href="../beta/" rel="prev">' in html and 'rel="next"' not in html


def test_in_preparation_notice(built_site):
    html = (built_site / "beta/index.html").read_text()
    assert '<div class="in-preparation" role="note">' in html
    assert html.index("in-preparation") < html.index('id="first-planned-section"')
    menu = (built_site / "gamma/index.html").read_text()
    assert '<a href="../beta/">Beta: planned</a> <span class="muted">(in preparation)</span>' in menu


def test_title_page(built_site):
    html = (built_site / "index.html").read_text()
    assert 'data-root="./"' in html and "<h1>Fixture Article</h1>" in html
    assert '<nav class="contents"' in html and '<a href="./alpha/">Alpha: every feature</a>' in html
    assert "Three short chapters exercising every feature" in html


def test_no_raw_tex_left(built_site):
    html = (built_site / "alpha/index.html").read_text()
    body = re.sub(r'<annotation encoding="application/x-tex">.*?</annotation>', "", html, flags=re.S)
    assert "$" not in body.replace("$$", "") or "$$" not in body
    assert "\\mathcal" not in body and "$$" not in body


def test_sitemap_and_robots_relative_without_url(built_site):
    sitemap = (built_site / "sitemap.xml").read_text()
    assert "<loc>alpha/</loc>" in sitemap and "<loc>./</loc>" in sitemap
    assert "Sitemap:" not in (built_site / "robots.txt").read_text()


def test_base_url_makes_canonical_links(project, tmp_path):
    out = tmp_path / "_site"
    build(project, out, base_url="https://example.org/maml")
    html = (out / "alpha/index.html").read_text()
    assert '<link rel="canonical" href="https://example.org/maml/alpha/">' in html
    assert "<loc>https://example.org/maml/alpha/</loc>" in (out / "sitemap.xml").read_text()
    assert "Sitemap: https://example.org/maml/sitemap.xml" in (out / "robots.txt").read_text()
    assert '<base href="https://example.org/maml/">' in (out / "404.html").read_text()


def test_build_is_reproducible(project, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    build(project, first)
    build(project, second)  # a fresh cache: nothing carried over
    assert tree_digest(first) == tree_digest(second)


def test_failed_build_leaves_previous_site(project, tmp_path):
    out = tmp_path / "_site"
    build(project, out)
    before = tree_digest(out)
    chapter = project.content / "chapters/gamma.md"
    chapter.write_text(chapter.read_text() + "\nCites [@nobody2020].\n")
    with pytest.raises(BuildError, match="nobody2020"):
        build(project, out)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "content"]  # no temp folders


def test_rebuild_reuses_caches(project, tmp_path):
    caches = Caches(project)
    out = tmp_path / "_site"
    build(project, out, caches)
    runs = (caches.katex.node_runs, caches.bundler.runs)
    chapter = project.content / "chapters/gamma.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence.\n")
    build(project, out, caches)
    assert (caches.katex.node_runs, caches.bundler.runs) == runs
    assert "One more sentence." in (out / "gamma/index.html").read_text()


def _caching_in(project, folder: Path) -> Caches:
    """Caches as a new process has them, with the disk caches of maths and bundle in `folder`
    rather than the project's .cache/."""
    made = Caches(project)
    made.katex.cache_dir = folder / "katex"
    made.bundler.cache_dir = folder / "bundle"
    return made


def test_a_fresh_build_reuses_the_bundle_of_the_last_one(project, tmp_path):
    """esbuild's output is kept on disk by the content of its inputs: a new process bundles
    nothing and ships the same assets; an edited script is bundled anew."""
    runs = []
    for out in ("a", "b"):  # a first build, then a new process's
        caches = _caching_in(project, tmp_path)
        build(project, tmp_path / out, caches)
        runs.append(caches.bundler.runs)
    assert runs == [1, 0]
    again = caches
    assert tree_digest(tmp_path / "a" / "assets") == tree_digest(tmp_path / "b" / "assets")
    again.bundler._key = None  # as if static/ had changed: the content key still finds it
    build(project, tmp_path / "c", again)
    assert again.bundler.runs == 0
    # The key follows the inputs' bytes: one script edited, another bundle.
    bundler, inputs = again.bundler, again.bundler._inputs()
    command = bundler._command("out")
    script = tmp_path / "edited.js"
    script.write_text("export const a = 1;\n")
    before = bundler._content_key([*inputs, script], command)
    script.write_text("export const a = 2;\n")
    assert bundler._content_key([*inputs, script], command) != before
    assert bundler._content_key(inputs, command) == bundler._content_key(inputs, bundler._command("elsewhere"))


def test_a_fresh_build_reuses_the_maths_of_the_last_one(project, tmp_path):
    """KaTeX's output is kept on disk (.cache/katex/): a new process (new Caches) renders no formula
    in Node and writes the same pages; other macros, or a damaged cache file, render anew."""
    first = _caching_in(project, tmp_path)
    build(project, tmp_path / "a", first)
    assert first.katex.node_runs == 1
    again = _caching_in(project, tmp_path)
    build(project, tmp_path / "b", again)
    assert again.katex.node_runs == 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    for file in (tmp_path / "katex").glob("*.json"):
        file.write_text("[not json")
    damaged = _caching_in(project, tmp_path)
    build(project, tmp_path / "c", damaged)
    assert damaged.katex.node_runs == 1
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "c")
    article = project.content / "article.yaml"
    article.write_text(article.read_text() + 'macros:\n  "\\\\unused": "x"\n')
    other = _caching_in(project, tmp_path)
    build(project, tmp_path / "d", other)
    assert other.katex.node_runs == 1


@pytest.mark.parametrize("edit, words", [
    (("chapters/gamma.md", "---\ntitle", "---\ntitle: [\ntitle"), "invalid YAML"),
    (("article.yaml", "  - gamma", "  - gamma\n  - delta"), "unknown chapter"),
    (("chapters/gamma.md", "Plain text", "::: figure nope\n:::\n\nPlain text"), "unknown figure"),
    (("chapters/gamma.md", "Plain text", "[@nope] Plain text"), "unknown citation key"),
    (("chapters/gamma.md", "Plain text", "$\\frac{$ Plain text"), "bad LaTeX"),
    (("chapters/gamma.md", "Plain text", "::: listing trainers/sinusoid_mlp.py nope\n:::\n\nPlain text"),
     "defines no function"),
])
def test_bad_input_stops_the_build_with_location(project, tmp_path, edit, words):
    rel, old, new = edit
    path = project.content / rel
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(BuildError) as err:
        build(project, tmp_path / "_site")
    assert words in err.value.message
    assert err.value.file is not None and err.value.line
    assert err.value.hint
    assert not (tmp_path / "_site").exists()
