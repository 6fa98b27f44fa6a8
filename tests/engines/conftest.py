"""Fixtures for the smoke test in three engines: a build, a server that watches it, the engines.

The site's own static server serves the build at the root, records every HTTP error it answers
and puts recorder.js first in every page's <head>: the one way to watch a page from its first
moment that works in every engine alike. `engine` is parametrised over Chromium, Firefox and
WebKit; an engine whose programs are absent is skipped, saying which (`make setup-test`
installs them).

ARTICLE_SITE_DIR=<folder> reuses an existing build instead of building one.
"""
from __future__ import annotations

import contextlib
import http.server
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from browser.conftest import site_for_tests
from sitegen.static_server import LOCAL_HOST, MIME, StaticSite, handler_for, send

from .drivers import Engine, PuppeteerEngine, WebDriverEngine

HERE = Path(__file__).parent
RECORDER_PATH = "/__smoke__/recorder.js"
RECORDER_TAG = f'<script src="{RECORDER_PATH}"></script>'.encode()

CHROMIUM = Path("/usr/bin/chromium")
FIREFOX = Path("/usr/bin/firefox-esr")
WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
XVFB = Path("/usr/bin/Xvfb")


@dataclass(frozen=True)
class EngineKind:
    name: str
    needs: tuple[str, ...]  # programs, by absolute path or as found on PATH
    apt: str  # the Debian packages that bring them
    start: Callable[[], Engine]

    def missing(self) -> list[str]:
        return [p for p in self.needs if not (Path(p).exists() if p.startswith("/") else shutil.which(p))]


ENGINES = {
    kind.name: kind
    for kind in (
        EngineKind("chromium", (str(CHROMIUM), "node"), "chromium nodejs",
                   lambda: PuppeteerEngine("chromium", "chrome", CHROMIUM)),
        EngineKind("firefox", (str(FIREFOX), "node"), "firefox-esr nodejs",
                   lambda: PuppeteerEngine("firefox", "firefox", FIREFOX)),
        EngineKind("webkit", (str(WEBKIT_DRIVER), str(XVFB)), "webkit2gtk-driver xvfb",
                   lambda: WebDriverEngine("webkit", WEBKIT_DRIVER, XVFB)),
    )
}


# ---- the site -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def engines_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_for_tests(tmp_path_factory, "engines-site")


@pytest.fixture(scope="session")
def site_pages(engines_site: Path) -> list[str]:
    """Every HTML page of the build, as the URL paths a reader opens ("", "imaml/", ...)."""
    pages = []
    for page in sorted(engines_site.rglob("*.html")):
        path = page.relative_to(engines_site).as_posix()
        pages.append(path.removesuffix("index.html"))
    return pages


@dataclass
class WatchedServer:
    base_url: str = ""
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def take_errors(self) -> list[str]:
        taken, self.errors[:] = list(self.errors), []
        return taken


def with_recorder(html: bytes) -> bytes:
    """The page with recorder.js as the first thing in its <head>, before any script of its own."""
    return html.replace(b"<head>", b"<head>" + RECORDER_TAG, 1)


@contextlib.contextmanager
def watched_server(site: Path) -> Iterator[WatchedServer]:
    """The site's own static server (compressed as a host serves it), with the recorder in every
    page and a note of every HTTP error it answers."""
    watched = WatchedServer()
    static = StaticSite(site, transform=with_recorder)
    recorder = HERE.joinpath("recorder.js").read_bytes()

    def respond(req: http.server.BaseHTTPRequestHandler, head: bool) -> None:
        if req.path == RECORDER_PATH:
            send(req, 200, MIME[".js"], recorder, head=head)
        else:
            static.respond(req, head)

    class Handler(handler_for(respond)):
        def send_response(self, code: int, message: str | None = None) -> None:
            if code >= 400:
                watched.errors.append(f"HTTP {code} for {self.path}")
            super().send_response(code, message)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            # A browser leaving a page drops its unfinished downloads: no error of the site.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    httpd = Server((LOCAL_HOST, 0), Handler)
    watched.base_url = f"http://{LOCAL_HOST}:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, name="engines-site", daemon=True)
    thread.start()
    try:
        yield watched
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def site_server(engines_site: Path) -> Iterator[WatchedServer]:
    with watched_server(engines_site) as running:
        yield running


# ---- the engines ----------------------------------------------------------------------------


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    kind = ENGINES[request.param]
    missing = kind.missing()
    if missing:
        pytest.skip(f"{kind.name}: {', '.join(missing)} absent (apt-get install {kind.apt})")
    started = kind.start()
    try:
        yield started
    finally:
        started.close()
