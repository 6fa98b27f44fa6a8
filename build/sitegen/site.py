"""The build pipeline, in one pass: read → parse → typeset → render → write → swap.

    read      article.yaml, chapters (front matter), references.bib, figures.yaml, manifest
    parse     every chapter with markdown-it (numbers, citations and all errors found here)
    typeset   all maths in one KaTeX run; figures' static pictures, drawn by their own modules
              in Node (started before parsing, so it runs while pages are parsed)
    render    page bodies, then Jinja templates
    write     into a temporary sibling of the output folder, then swap it in with renames

`Caches` outlives a build in `serve`, so a rebuild after an edit reuses typeset maths, the parsed
bibliography, highlighted code, figure pictures and the esbuild bundle.
"""
from __future__ import annotations

import dataclasses
import html
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import assets
from .chapters import Chapter, load_chapter
from .compress import Precompressor
from .config import Article, load_article
from .context import PageContext, SiteInputs
from .errors import BuildError
from .esbuild import Bundler
from .figure_params import check_figure_params
from .integrity import check_model_files
from .pages import CSP, Page, bibtex, date_text, navigation, root_for
from .pictures import PictureCache, figures_named_in
from .project import Project
from .social import FILE as SOCIAL_IMAGE, SIZE as SOCIAL_SIZE, write_social_image
from .syntax import create_parser, parse, render
from .syntax.citations import Bibliography, bibliography_html, load_bibliography
from .syntax.claims import checked_claims
from .syntax.figures import figure_open_html, load_registry
from .syntax.headings import toc_html
from .syntax.links import check_links
from .syntax.listings import Listing, source_page_html
from .syntax.manifest import Manifest
from .syntax.maths import KatexRenderer
from .syntax.xrefs import link_chapters
from .templating import render_template as _render_template
from .wordcount import prose_words

# The figure the index page opens with, when figures.yaml registers it.
HERO_FIGURE = "hero"
# Ids the templates use on every page; headings must not take them.
TEMPLATE_IDS = {"main", "toc-heading", "references-heading", "footnotes-heading",
                "appendix-heading", "cite-this-article", "how-to-rebuild", "hovercard"}


@dataclass
class Caches:
    """State kept between builds by `serve` (a cold `build` starts with an empty one)."""
    project: Project
    md: object = None
    katex: KatexRenderer | None = None
    bibliography: tuple[float, Bibliography] | None = None
    highlight: dict = field(default_factory=dict)
    pictures: PictureCache | None = None
    bundler: Bundler | None = None
    compressor: Precompressor | None = None
    jinja: jinja2.Environment | None = None

    def __post_init__(self) -> None:
        self.md = create_parser()
        self.katex = KatexRenderer(self.project.node_modules,
                                   cache_dir=self.project.root / ".cache" / "katex")
        self.bundler = Bundler(self.project, cache_dir=self.project.root / ".cache" / "bundle")
        self.pictures = PictureCache(self.project)
        self.compressor = Precompressor(self.project.root / ".cache" / "compressed")
        self.jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.project.templates),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True, auto_reload=True,
            trim_blocks=True, lstrip_blocks=True)

    def bib(self, file: Path) -> Bibliography:
        stamp = file.stat().st_mtime_ns if file.exists() else -1
        if self.bibliography is None or self.bibliography[0] != stamp:
            self.bibliography = (stamp, load_bibliography(file, self.project.display(file)))
        return self.bibliography[1]


@dataclass
class BuildResult:
    out: Path
    pages: list[str]
    seconds: float
    words: dict[str, int] = field(default_factory=dict)  # chapter slug -> prose words
    claims: int = 0  # `{{claim:...}}` conditions checked against the manifest (all held)


@dataclass
class _Parsed:
    chapter: Chapter
    tokens: list
    env: dict


def _write(out: Path, rel: str, text: str) -> None:
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")


def _swap(tmp: Path, out: Path) -> None:
    """Replace `out` with `tmp` by renames, so readers see the old or the new site, never half."""
    old = out.with_name(f"{out.name}.old-{uuid.uuid4().hex[:8]}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def read_inputs(project: Project, caches: Caches) -> tuple[Article, list[Chapter], SiteInputs]:
    """The article, its chapters and what pages are made from. Node starts on the figures'
    pictures, the longest part of a cold build, as soon as the figures are known: the rest (the
    bibliography most of all) is read while it draws."""
    article = load_article(project)
    chapters = [load_chapter(project.content, slug) for slug in article.chapters]
    figures_file = project.content / "figures.yaml"
    figures = load_registry(figures_file, project.display(figures_file), project.static / "figures")
    hero = [HERO_FIGURE] if HERO_FIGURE in figures else []
    caches.pictures.start(figures, figures_named_in([c.body for c in chapters]) + hero)
    caches.katex.set_macros(article.macros)
    inputs = SiteInputs(
        project=project,
        bibliography=caches.bib(project.content / "references.bib"),
        figures=figures,
        manifest=Manifest(project.models / "manifest.json"),
        katex=caches.katex,
        highlight_cache=caches.highlight,
    )
    return article, chapters, inputs


def build(project: Project, out: Path, caches: Caches | None = None,
          base_url: str | None = None) -> BuildResult:
    """Build the whole site into `out` atomically; raise BuildError on any bad input.

    `base_url` overrides article.yaml's `url` (canonical links, Open Graph, sitemap)."""
    started = time.perf_counter()
    caches = caches or Caches(project)
    out = out.resolve()
    caches.bundler.start()  # esbuild runs in the background while pages are parsed
    caches.compressor.start(assets.shipped_unchanged(project))  # and compression, in a thread
    try:
        article, chapters, inputs = read_inputs(project, caches)
        if base_url is not None:
            article = dataclasses.replace(article, url=base_url.rstrip("/") + "/" if base_url else "")
        hero = [HERO_FIGURE] if HERO_FIGURE in inputs.figures else []
        # After Node has started on the pictures (read_inputs), which take longest; a param a
        # module does not declare still stops the build before any page is written.
        check_figure_params(inputs.figures, project)
        parsed = [_parse(caches, inputs, chapter) for chapter in chapters]
        link_chapters([(p.chapter, p.env["page"]) for p in parsed])
        check_links([(p.chapter, p.env["page"]) for p in parsed])
        # After parsing, so that a figure's missing model file is reported at the figure.
        check_model_files(inputs.manifest, project.display)
        caches.katex.render_pending()
        used = sorted({fid for p in parsed for fid in p.env["page"].figures} | set(hero))
        inputs.figure_pictures.update(caches.pictures.pictures(inputs.figures, used))
        titles = _chapter_titles(parsed)
        pages = _render_pages(caches, article, parsed, titles, inputs)
        tmp = out.with_name(f"{out.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            tmp.mkdir(parents=True)
            caches.bundler.finish(tmp)
            social = write_social_image(project, inputs.figure_pictures.get(HERO_FIGURE), tmp)
            _write_site(caches, project, article, pages, parsed, titles, tmp, social)
            caches.compressor.write_beside(tmp)  # .br and .gz copies, for hosts that send them
            _swap(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except BuildError as error:
        raise error.shown_with(project.display)
    finally:
        caches.bundler.cancel()
        caches.pictures.cancel()
    words = {p.path.split("/")[0]: prose_words(p.body) for p in pages if p.kind == "chapter"}
    claims = sum(checked_claims(p.env) for p in parsed)
    return BuildResult(out, [p.path for p in pages], time.perf_counter() - started, words, claims)


def _parse(caches: Caches, inputs: SiteInputs, chapter: Chapter) -> _Parsed:
    ctx = PageContext(file=chapter.file, line_offset=chapter.body_line, site=inputs,
                      root="../", ids=set(TEMPLATE_IDS))
    tokens, env = parse(caches.md, chapter.body, ctx)
    return _Parsed(chapter, tokens, env)


def _stylesheets(body: str) -> list[str]:
    sheets = ["assets/site.css"]
    if 'class="katex' in body:
        sheets.append("assets/katex/katex.min.css")
    return sheets


def _chapter_titles(parsed: list[_Parsed]) -> dict[str, tuple[str, str, bool]]:
    """Each chapter's title, description and draft flag, by slug: what navigation() lists."""
    return {p.chapter.slug: (p.chapter.title, p.chapter.description, p.chapter.in_preparation)
            for p in parsed}


def _render_pages(caches: Caches, article: Article, parsed: list[_Parsed], titles,
                  inputs: SiteInputs) -> list[Page]:
    pages = []
    for index, item in enumerate(parsed):
        chapter, ctx = item.chapter, item.env["page"]
        body = render(caches.md, item.tokens, item.env)
        nav = navigation(article, titles, "../", chapter.slug)
        page = Page(kind="chapter", path=f"{chapter.slug}/index.html", title=chapter.title,
                    full_title=f"{chapter.title} · {article.title}",
                    description=chapter.description, root="../", body=body,
                    toc=toc_html(ctx.toc), bibliography=bibliography_html(ctx.citations,
                                                                       inputs.bibliography),
                    number=index + 1, in_preparation=chapter.in_preparation,
                    prev=nav[index - 1] if index > 0 else None,
                    next=nav[index + 1] if index + 1 < len(nav) else None)
        page.stylesheets = _stylesheets(body + page.bibliography)
        pages.append(page)
    pages.append(Page(kind="index", path="index.html", title=article.title,
                      full_title=article.title, description=article.description, root="./",
                      body=_hero_html(article, inputs), stylesheets=["assets/site.css"]))
    pages.append(Page(kind="404", path="404.html", title="Page not found",
                      full_title=f"Page not found · {article.title}",
                      description=article.description, root="./", base=article.url,
                      stylesheets=["assets/site.css"]))
    for page in pages:
        if article.url and page.kind in ("index", "chapter"):
            page.canonical = article.url + page.url_path
    return pages


def _hero_html(article: Article, inputs: SiteInputs) -> str:
    """The index page's figure: figures.yaml's `hero`, with article.yaml's `hero_caption`."""
    if HERO_FIGURE not in inputs.figures:
        return ""
    spec = inputs.figures.specs[HERO_FIGURE]
    picture = inputs.figure_pictures.get(HERO_FIGURE, "")
    return (figure_open_html(spec, None, picture) + html.escape(article.hero_caption)
            + "</figcaption>\n</figure>\n")


def _hero_alt(article: Article) -> str:
    """What the social preview image shows, for link previews' alt text."""
    return f"{article.title}: {article.hero_caption.split('. ')[0]}" if article.hero_caption else article.title


def _context(article: Article, page: Page, titles, has_js: bool, social: bool) -> dict:
    # Bodies, TOC and bibliography are HTML we generated (Markdown allows raw HTML by design):
    # the template gets a copy marked safe; the page itself stays plain text for word counts.
    page = dataclasses.replace(page, body=Markup(page.body), toc=Markup(page.toc),
                               bibliography=Markup(page.bibliography))
    return {"article": _ArticleView(article), "page": page, "csp": Markup(CSP),
            "bibtex": bibtex(article),
            "chapters": navigation(article, titles, page.root,
                                   page.path.split("/")[0] if page.kind == "chapter" else None),
            "assets": {"main_js": has_js},
            "social": {"image": SOCIAL_IMAGE, "width": SOCIAL_SIZE[0], "height": SOCIAL_SIZE[1],
                       "alt": _hero_alt(article)} if social else None}


class _ArticleView:
    """Article plus presentation-only fields for the templates."""

    def __init__(self, article: Article) -> None:
        self._article = article
        self.date_text = date_text(article.date)

    def __getattr__(self, name: str):
        return getattr(self._article, name)


def _write_site(caches: Caches, project: Project, article: Article, pages: list[Page],
                parsed: list[_Parsed], titles, out: Path, social: bool = False) -> None:
    has_js = caches.bundler.has("js/main.js")
    jinja = caches.jinja
    for page in pages:
        template = {"chapter": "chapter.html", "index": "index.html", "404": "404.html"}[page.kind]
        _write(out, page.path, _render_template(jinja, template,
                                                _context(article, page, titles, has_js, social)))
    listings: dict[str, Listing] = {}
    for item in parsed:
        for listing in item.env["page"].listings:
            listings.setdefault(listing.path, listing)
    for rel in sorted(listings):
        path = f"source/{rel}.html"
        root = root_for(path)
        page = Page(kind="source", path=path, title=rel, full_title=f"{rel} · {article.title}",
                    description=f"Source of {rel}, from which the article's listings are cut.",
                    root=root, body=source_page_html(project.root, rel, caches.highlight),
                    stylesheets=["assets/site.css"])
        _write(out, path, _render_template(jinja, "source.html",
                                           _context(article, page, titles, has_js, social)))
    sitemap_paths = [p.url_path or ("" if article.url else "./")
                     for p in pages if p.kind in ("index", "chapter")]
    _write(out, "sitemap.xml", _render_template(jinja, "sitemap.xml", {
        "article": article, "paths": sorted(sitemap_paths)}))
    _write(out, "robots.txt", _render_template(jinja, "robots.txt", {"article": article}))
    assets.copy_static(project, out)
    assets.vendor(project, out)
