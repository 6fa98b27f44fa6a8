"""`article gallery`: a PNG of every figure at a desktop and a phone width, light and dark.

For authors: one look at every figure as readers see it, after a change to the figures or the
palette. It serves a built site from a local port, opens each page that has figures in Debian's
chromium (Playwright, from the test extras), brings every figure into view until it is mounted,
and writes `<figure-id>-<width>-<scheme>.png` per figure and an index.html that shows them side by
side.
"""
from __future__ import annotations

import argparse
import functools
import html
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError

WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]

# Brings each figure into view in turn (they load lazily) and waits until each is mounted or has
# failed; returns [[id, state], ...]. The browser tests use the same script.
MOUNT_ALL_FIGURES = """async () => {
  const figures = [...document.querySelectorAll('figure[data-module]')];
  for (const figure of figures) {
    figure.scrollIntoView({ block: 'center' });
    const start = performance.now();
    while (figure.dataset.state !== 'ready' && figure.dataset.state !== 'failed') {
      if (performance.now() - start > 60000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return figures.map((f) => [f.id, f.dataset.state]);
}"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("_site"),
                        help="a built site (default: _site; run `article build` first)")
    parser.add_argument("--out", type=Path, default=Path("gallery"), help="where the PNGs go (default: gallery/)")
    parser.add_argument("--only", nargs="*", default=None, metavar="FIGURE", help="figure ids (default: all)")


@contextmanager
def _served(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def _pages_with_figures(site: Path, only: list[str] | None) -> list[str]:
    """Pages (relative URLs) that hold a figure, or one of the figures `only` names."""
    def wanted(text: str) -> bool:
        return "data-module=" in text and (not only or any(f'id="fig-{name}"' in text for name in only))
    return sorted(str(page.relative_to(site).parent) + "/" for page in site.rglob("index.html")
                  if wanted(page.read_text(encoding="utf-8")))


def run(args: argparse.Namespace) -> int:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BuildError("the gallery needs Playwright: run `make setup-test` "
                         "(or `.venv/bin/pip install -e '.[test]'`)") from None
    site: Path = args.site
    if not (site / "index.html").is_file():
        raise BuildError(f"{site}/ holds no built site: run `article build` first")
    args.out.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[str, int, str, str]] = []
    with _served(site) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            for scheme in SCHEMES:
                for path in _pages_with_figures(site, args.only):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
                    page.goto(root + ("" if path == "./" else path))
                    for figure_id, state in page.evaluate(MOUNT_ALL_FIGURES):
                        name = figure_id.removeprefix("fig-")
                        if args.only and name not in args.only:
                            continue
                        file = f"{name}-{width}-{scheme}.png"
                        page.locator(f"#{figure_id}").screenshot(path=args.out / file)
                        shots.append((name, width, scheme, file))
                        print(f"{file}{'' if state == 'ready' else f' ({state})'}")
                    page.close()
        browser.close()
    _write_index(args.out, shots)
    print(f"{len(shots)} pictures in {args.out}/ (open {args.out}/index.html)")
    return 0


def _write_index(out: Path, shots: list[tuple[str, int, str, str]]) -> None:
    rows = []
    for name in dict.fromkeys(shot[0] for shot in shots):
        cells = "".join(f'<td><img src="{html.escape(file)}" alt="{html.escape(name)} at {width} px, {scheme}" '
                        f'width="{min(width, 640)}"></td>'
                        for shot_name, width, scheme, file in shots if shot_name == name)
        rows.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    (out / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Figure gallery</title>"
        "<style>td{vertical-align:top}img{border:1px solid #ccc}</style>"
        f"<table>{''.join(rows)}</table>\n", encoding="utf-8")
