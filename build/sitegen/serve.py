"""`article serve`: build, serve the output folder, watch the sources, rebuild, reload the page.

Watching is mtime polling (no extra dependency). The open page learns about rebuilds through
Server-Sent Events at <base path>__reload, read by static/js/livereload.js, which the server
adds to every HTML page it serves (the files on disk stay exactly what `article build` makes, and
the script is a same-origin file, so the Content-Security-Policy holds). A failed build is printed,
sent to the page as an "error" event, and the last good site stays served.
"""
from __future__ import annotations

import http.server
import os
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BuildError
from .project import Project
from .site import Caches, build

POLL_SECONDS = 0.2
SETTLE_SECONDS = 0.05       # let an editor finish writing before rebuilding
KEEPALIVE_SECONDS = 15
MIME = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml",
    ".png": "image/png", ".woff2": "font/woff2", ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".onnx": "application/octet-stream",
    ".bin": "application/octet-stream", ".py": "text/plain; charset=utf-8",
}
ROOT_ATTR = re.compile(rb'<html[^>]*\sdata-root="([^"]*)"')


def snapshot(project: Project) -> dict[str, int]:
    """mtime of every watched source file: content, templates, static, trainers' Python."""
    stamps: dict[str, int] = {}
    for folder, suffixes in ((project.content, None), (project.templates, None),
                             (project.static, None), (project.trainers, (".py",))):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
            for name in filenames:
                if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    stamps[path] = os.stat(path).st_mtime_ns
                except FileNotFoundError:
                    pass
    return stamps


class BuildState:
    """The latest build's outcome; SSE handlers wait on it."""

    def __init__(self) -> None:
        self.generation = 0
        self.error: str | None = None
        self.changed = threading.Condition()

    def publish(self, error: str | None) -> None:
        with self.changed:
            self.generation += 1
            self.error = error
            self.changed.notify_all()


class DevServer:
    def __init__(self, project: Project, out: Path, host: str = "127.0.0.1", port: int = 8000,
                 base_path: str = "/", log=print) -> None:
        self.project, self.out = project, out.resolve()
        self.base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self.caches = Caches(project)
        self.state = BuildState()
        self.log = log
        self._stop = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{self.base_path}"

    def rebuild(self) -> bool:
        started = time.perf_counter()
        try:
            build(self.project, self.out, self.caches)
        except BuildError as exc:
            self.log(f"build failed:\n{exc}")
            self.state.publish(str(exc))
            return False
        except Exception as exc:  # a bug, not bad input: keep serving and show it
            self.log(f"build crashed: {type(exc).__name__}: {exc}")
            self.state.publish(f"{type(exc).__name__}: {exc}")
            return False
        self.log(f"rebuilt in {(time.perf_counter() - started) * 1000:.0f} ms")
        self.state.publish(None)
        return True

    def watch(self, seen: dict[str, int]) -> None:
        """Rebuild whenever the watched files differ from `seen`, the state last built."""
        while not self._stop.wait(POLL_SECONDS):
            current = snapshot(self.project)
            if current != seen:
                time.sleep(SETTLE_SECONDS)
                seen = snapshot(self.project)
                self.rebuild()

    def start(self) -> "DevServer":
        # The baseline is taken before the first build, here rather than in the watcher thread:
        # an edit saved during that build, or before the thread got going, is then still seen.
        seen = snapshot(self.project)
        self.rebuild()
        threading.Thread(target=self.watch, args=(seen,), name="sitegen-watch", daemon=True).start()
        threading.Thread(target=self.httpd.serve_forever, name="sitegen-http", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self.state.changed:
            self.state.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- HTTP ------------------------------------------------------------------------------

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: the build log is what matters
                pass

            def do_GET(self) -> None:
                server.handle(self)

            def do_HEAD(self) -> None:
                server.handle(self, head=True)

        return Handler

    def handle(self, req, head: bool = False) -> None:
        path = unquote(urlsplit(req.path).path)
        if path == self.base_path + "__reload":
            return self._events(req)
        if not path.startswith(self.base_path):
            if path.rstrip("/") == self.base_path.rstrip("/") or path == "/":
                return self._redirect(req, self.base_path)
            return self._send(req, 404, "text/plain; charset=utf-8",
                              f"Not found: the site is served under {self.base_path}\n".encode(), head)
        rel = path[len(self.base_path):]
        target = (self.out / rel).resolve()
        if self.out != target and self.out not in target.parents:
            return self._send(req, 403, "text/plain", b"Forbidden\n", head)
        if target.is_dir():
            if not path.endswith("/"):
                return self._redirect(req, path + "/")
            target = target / "index.html"
        if not self.out.exists():
            return self._no_site(req, head)
        status = 200
        if not target.is_file():
            status, target = 404, self.out / "404.html"
            if not target.is_file():
                return self._send(req, 404, "text/plain", b"Not found\n", head)
        body = target.read_bytes()
        mime = MIME.get(target.suffix, "application/octet-stream")
        if target.suffix == ".html":
            body = inject_reload(body)
        self._send(req, status, mime, body, head)

    def _send(self, req, status: int, mime: str, body: bytes, head: bool = False) -> None:
        req.send_response(status)
        req.send_header("Content-Type", mime)
        req.send_header("Content-Length", str(len(body)))
        req.send_header("Cache-Control", "no-store")
        req.end_headers()
        if not head:
            req.wfile.write(body)

    def _redirect(self, req, location: str) -> None:
        req.send_response(302)
        req.send_header("Location", location)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def _no_site(self, req, head: bool) -> None:
        import html
        message = html.escape(self.state.error or "building…")
        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f'<meta http-equiv="refresh" content="1"><title>Build failed</title></head>'
                f'<body><h1>The site has not been built yet</h1><pre class="build-error">'
                f'{message}</pre><p>This page retries every second.</p></body></html>')
        self._send(req, 503, "text/html; charset=utf-8", page.encode(), head)

    def _events(self, req) -> None:
        """Server-Sent Events: "reload" after each good build, "error" with the message."""
        req.send_response(200)
        req.send_header("Content-Type", "text/event-stream")
        req.send_header("Cache-Control", "no-store")
        req.end_headers()
        state = self.state
        try:
            with state.changed:
                seen = state.generation
                if state.error:
                    req.wfile.write(sse_error(state.error))
                    req.wfile.flush()
            while not self._stop.is_set():
                with state.changed:
                    state.changed.wait_for(lambda: state.generation != seen or self._stop.is_set(),
                                           timeout=KEEPALIVE_SECONDS)
                    generation, error = state.generation, state.error
                if generation == seen:
                    req.wfile.write(b": keep-alive\n\n")
                else:
                    seen = generation
                    req.wfile.write(sse_error(error) if error else b"data: reload\n\n")
                req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def sse_error(message: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in message.splitlines() or [""])
    return f"event: error\n{lines}\n".encode()


def inject_reload(html_bytes: bytes) -> bytes:
    """Add the live-reload client (a same-origin module file) before </head>."""
    match = ROOT_ATTR.search(html_bytes)
    root = match.group(1).decode() if match else "./"
    tag = f'<script type="module" src="{root}assets/js/livereload.js"></script>\n'.encode()
    return html_bytes.replace(b"</head>", tag + b"</head>", 1)


def serve(project: Project, out: Path, host: str = "127.0.0.1", port: int = 8000,
          base_path: str = "/") -> int:
    try:
        server = DevServer(project, out, host, port, base_path,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
    except OSError as exc:
        raise BuildError(f"cannot listen on {host}:{port}: {exc.strerror}",
                         hint="pick another --port, or stop the other server") from None
    server.start()
    print(f"serving {out} at {server.url} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0
