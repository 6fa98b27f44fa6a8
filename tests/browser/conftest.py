"""Fixtures for the browser tests: a real build, a local server, Debian's chromium, watched pages.

The site is built once per session with `article build --out <tmp>` and served by the site's own
static server (sitegen.static_server) on 127.0.0.1 at a random port, both at the root and under the
sub-path /maml/ (the site must work from a sub-path, as on GitHub Pages). Every page a test opens
through `new_page` or `page` is watched: console errors, uncaught exceptions, failed requests,
HTTP errors, requests to any host but 127.0.0.1 and Content-Security-Policy violations make the
test fail after its body has run.

ARTICLE_SITE_DIR=<folder> reuses an existing build instead (quicker while iterating on a test).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitegen.static_server import StaticSite, serving

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SUB_PATH = "/maml/"
LOCAL_HOST = "127.0.0.1"

# Records CSP violations from the first moment of every document, before any script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "(inline)"}`);
});
"""

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test; skip them all, saying why, without chromium."""
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent (apt-get install chromium)")
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


# ---- the site -------------------------------------------------------------------------------


def article_command() -> list[str]:
    script = Path(sys.executable).with_name("article")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sitegen.cli"]


def build_site(out: Path, content: Path | None = None) -> Path:
    """`article build --out out [--content content]`; fails the test with the build's message."""
    extra = ["--content", str(content)] if content else []
    result = subprocess.run(
        [*article_command(), "build", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"article build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return out


def site_for_tests(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A fresh build of the committed content in a temporary folder `name`, or the build that
    ARTICLE_SITE_DIR names (to run many browser tests against one build while working)."""
    given = os.environ.get("ARTICLE_SITE_DIR")
    if given:
        return Path(given)
    return build_site(tmp_path_factory.mktemp(name) / "_site")


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_for_tests(tmp_path_factory, "site")


@dataclass
class Server:
    host: str
    port: int

    def url(self, path: str = "", *, sub_path: bool = True) -> str:
        """Absolute URL of `path` (relative to the site root), under SUB_PATH or at the root."""
        prefix = SUB_PATH if sub_path else "/"
        return f"http://{self.host}:{self.port}{prefix}{path.lstrip('/')}"


@contextlib.contextmanager
def serve(site: Path) -> Iterator[Server]:
    """Serve `site` on 127.0.0.1 at a random port, at "/" and under SUB_PATH, until the block ends:
    the site's own static server, which sends the build's compressed copies as a host would."""
    with serving(StaticSite(site, ("/", SUB_PATH)), LOCAL_HOST) as url:
        yield Server(LOCAL_HOST, int(url.rsplit(":", 1)[1]))


@pytest.fixture(scope="session")
def server(site_dir: Path) -> Iterator[Server]:
    with serve(site_dir) as running:
        yield running


@pytest.fixture(scope="session")
def html_pages(site_dir: Path) -> list[str]:
    """Every HTML page of the build, as paths relative to the site root ("index.html", ...)."""
    return sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html"))


# ---- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What went wrong on a page; a test may `expect()` a message it provokes on purpose."""

    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    pages: list[object] = field(default_factory=list)

    def add(self, problem: str) -> None:
        if not any(fragment in problem for fragment in self.expected):
            self.problems.append(problem)

    def expect(self, fragment: str) -> None:
        self.expected.append(fragment)

    def collect_csp(self) -> None:
        for page in self.pages:
            if page.is_closed():
                continue
            try:
                violations = page.evaluate("window.__cspViolations || []")
            except Exception:  # noqa: BLE001 - a page mid-navigation or without JS has none to give
                continue
            for violation in violations:
                self.add(f"CSP violation on {page.url}: {violation}")


def _watch(page, watch: PageWatch) -> None:
    watch.pages.append(page)

    def on_console(message) -> None:
        if message.type == "error":
            watch.add(f"console error on {page.url}: {message.text}")

    def on_response(response) -> None:
        if response.status >= 400:
            watch.add(f"HTTP {response.status} for {response.url}")

    def on_failed(request) -> None:
        # ERR_ABORTED is the browser cancelling a request itself, as when a test navigates on
        # before a page's last fetches finish; missing files show up as HTTP errors instead.
        if "ERR_ABORTED" in str(request.failure):
            return
        watch.add(f"request failed: {request.url} ({request.failure})")

    def on_request(request) -> None:
        # Recorded rather than intercepted: routing every request through Playwright would
        # slow each page down several times, and a foreign request fails the test either way.
        url = request.url
        if not url.startswith(("data:", "blob:")) and urlsplit(url).hostname != LOCAL_HOST:
            watch.add(f"request to a foreign host: {url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.add(f"uncaught exception on {page.url}: {error}"))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("request", on_request)


_WATCH = pytest.StashKey[PageWatch]()


@pytest.fixture
def page_watch(request: pytest.FixtureRequest) -> PageWatch:
    watch = PageWatch()
    request.node.stash[_WATCH] = watch
    return watch


@pytest.fixture
def new_page(browser, page_watch: PageWatch) -> Iterator[Callable[..., object]]:
    """Factory: a watched page in a fresh context (keyword arguments go to new_context)."""
    contexts = []

    def make(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.set_default_timeout(15_000)
        _watch(page, page_watch)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing test body, fail it if any of its pages had a problem."""
    result = yield
    watch = item.stash.get(_WATCH, None)
    if watch is not None:
        watch.collect_csp()
        if watch.problems:
            raise AssertionError("problems on the page:\n  " + "\n  ".join(watch.problems))
    return result


@pytest.fixture(scope="session")
def pages_with(site_dir: Path, html_pages: list[str]) -> Callable[[str], list[str]]:
    """Pages whose HTML source contains `fragment` (e.g. 'class="cite"')."""

    def find(fragment: str) -> list[str]:
        return [p for p in html_pages if fragment in (site_dir / p).read_text(encoding="utf-8")]

    return find


def page_url_path(page_path: str) -> str:
    """The URL path of a built page: "intro/index.html" is served as "intro/"."""
    return page_path[: -len("index.html")] if page_path.endswith("index.html") else page_path
