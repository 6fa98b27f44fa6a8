"""One static file server for the built site: `article serve`, the browser tests and the benchmarks.

A request's path is looked up under the site's folder below one of its base paths ("/maml/", or
"/" too). Files go out with the MIME type browsers insist on (module scripts and WebAssembly are
refused under a wrong one), and compressed when the request accepts it: the build's `.br`/`.gz`
siblings (compress.py) as they are, and HTML that a `transform` changes (the dev server's
live-reload tag) compressed as it is sent, so a page is served as a static host would serve it.
"""
from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .compress import ENCODINGS, encode

MIME = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml",
    ".png": "image/png", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
    ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".onnx": "application/octet-stream", ".bin": "application/octet-stream",
    ".py": "text/plain; charset=utf-8",
}
LOCAL_HOST = "127.0.0.1"


def accepted_encodings(header: str | None) -> set[str]:
    """The content codings an Accept-Encoding header allows (a q of 0 refuses one)."""
    accepted = set()
    for item in (header or "").split(","):
        name, _, params = item.partition(";")
        name, params = name.strip().lower(), params.strip()
        try:
            quality = float(params[2:]) if params.startswith("q=") else 1.0
        except ValueError:
            continue
        if name and quality > 0:
            accepted.add(name)
    return accepted


@dataclass(frozen=True)
class StaticSite:
    """How a built site is served.

    root:          the site's folder
    base_paths:    URL prefixes the site answers under, each ending in "/"
    cache_control: the Cache-Control header of every file ("no-store" while files change)
    compress:      send `.br`/`.gz` siblings (and compressed transformed HTML) when accepted
    transform:     applied to every HTML file before it is sent (the dev server's reload tag)
    """
    root: Path
    base_paths: tuple[str, ...] = ("/",)
    cache_control: str = "no-store"
    compress: bool = True
    transform: Callable[[bytes], bytes] | None = None

    def relative(self, url_path: str) -> str | None:
        """The path under the site root a URL path names, or None if no base path holds it."""
        for base in sorted(self.base_paths, key=len, reverse=True):
            if url_path.startswith(base):
                return url_path[len(base):]
        return None

    def respond(self, req: http.server.BaseHTTPRequestHandler, head: bool = False) -> None:
        """Answer a GET or HEAD for a file of the site (redirects, 403 and 404 included)."""
        path = unquote(urlsplit(req.path).path)
        if path + "/" in self.base_paths:
            return redirect(req, path + "/")
        rel = self.relative(path)
        if rel is None:
            return send(req, 404, "text/plain; charset=utf-8", b"Not found\n", head=head)
        root = self.root.resolve()
        target = (root / rel).resolve()
        if target != root and root not in target.parents:
            return send(req, 403, "text/plain; charset=utf-8", b"Forbidden\n", head=head)
        if target.is_dir():
            if not path.endswith("/"):
                return redirect(req, path + "/")
            target = target / "index.html"
        status = 200
        if not target.is_file():
            status, target = 404, root / "404.html"
            if not target.is_file():
                return send(req, 404, "text/plain; charset=utf-8", b"Not found\n", head=head)
        self.send_file(req, target, status, head)

    def send_file(self, req: http.server.BaseHTTPRequestHandler, target: Path, status: int,
                  head: bool) -> None:
        mime = MIME.get(target.suffix, "application/octet-stream")
        accepted = accepted_encodings(req.headers.get("Accept-Encoding")) if self.compress else set()
        headers = {"Cache-Control": self.cache_control}
        if self.compress:
            headers["Vary"] = "Accept-Encoding"
        if target.suffix == ".html" and self.transform is not None:
            body = self.transform(target.read_bytes())
            coding = next((name for name, _ in ENCODINGS if name in accepted), None)
            if coding is not None:
                body = encode(coding, body)
        else:
            body, coding = None, None
            for name, suffix in ENCODINGS:
                sibling = target.with_name(target.name + suffix)
                if name in accepted and sibling.is_file():
                    body, coding = sibling.read_bytes(), name
                    break
            if body is None:
                body = target.read_bytes()
        if coding is not None:
            headers["Content-Encoding"] = coding
        send(req, status, mime, body, headers, head)


def send(req: http.server.BaseHTTPRequestHandler, status: int, mime: str, body: bytes,
         headers: dict[str, str] | None = None, head: bool = False) -> None:
    req.send_response(status)
    req.send_header("Content-Type", mime)
    req.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {"Cache-Control": "no-store"}).items():
        req.send_header(name, value)
    req.end_headers()
    if not head:
        req.wfile.write(body)


def redirect(req: http.server.BaseHTTPRequestHandler, location: str) -> None:
    req.send_response(302)
    req.send_header("Location", location)
    req.send_header("Content-Length", "0")
    req.end_headers()


def handler_for(respond: Callable[[http.server.BaseHTTPRequestHandler, bool], None]) -> type:
    """A quiet request handler class that answers GET and HEAD with `respond(req, head)`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            pass

        def do_GET(self) -> None:
            respond(self, False)

        def do_HEAD(self) -> None:
            respond(self, True)

    return Handler


@contextlib.contextmanager
def serving(site: StaticSite, host: str = LOCAL_HOST, port: int = 0) -> Iterator[str]:
    """Serve `site` in a background thread until the block ends; yields "http://host:port"."""
    httpd = http.server.ThreadingHTTPServer((host, port), handler_for(site.respond))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
