"""`article serve`: build, serve the output folder, watch the sources, rebuild, reload the page.

Watching is watchfiles (the operating system's file notifications, not polling): every change under
content/, templates/, static/ and trainers/*.py rebuilds, one change batch at a time, in the
watcher's thread. The open page learns about rebuilds through
Server-Sent Events at <base path>__reload, read by static/js/livereload.js, which the server
adds to every HTML page it serves (the files on disk stay exactly what `article build` makes, and
the script is a same-origin file, so the Content-Security-Policy holds). A failed build is printed,
sent to the page as an "error" event, and the last good site stays served. Files are sent by
static_server.py, compressed as a static host sends them when the browser accepts it.
"""
from __future__ import annotations

import http.server
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from urllib.parse import unquote, urlsplit

import watchfiles

from .errors import BuildError
from .project import Project
from .site import Caches, build
from .static_server import StaticSite, handler_for, redirect, send

QUIET_MS = 50               # a batch of changes ends after this long without one (an editor's save)
STOP_SECONDS = 10           # how long stop() waits for a rebuild under way to finish
KEEPALIVE_SECONDS = 15
ROOT_ATTR = re.compile(rb'<html[^>]*\sdata-root="([^"]*)"')


def source_folders(project: Project) -> tuple[Path, ...]:
    """What a build reads and an author edits (trainers' Python is shown in code listings)."""
    return project.content, project.templates, project.static, project.trainers


class SourceFilter(watchfiles.DefaultFilter):
    """Anything in content, templates and static, and trainers' Python, but nothing hidden.

    DefaultFilter already drops editors' swap and backup files, __pycache__ and the like. Hidden
    names are checked below the source folder only: the project may itself sit in a hidden folder."""

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.folders = source_folders(project)
        self.trainers = project.trainers

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        file = Path(path)
        folder = next((folder for folder in self.folders if file.is_relative_to(folder)), None)
        if folder is None or not super().__call__(change, path):
            return False
        if any(part.startswith(".") for part in file.relative_to(folder).parts):
            return False
        return folder != self.trainers or file.suffix == ".py"


class _StopAndWatching:
    """The stop event handed to watchfiles, which also tells when watching has begun.

    watchfiles registers its watches before it first asks the stop event whether to stop, and asks
    again every QUIET_MS. So the first `is_set()` call means every change from then on will be seen,
    which is what lets start() build only after the watches are in place (an edit saved during the
    first build was once missed)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.watching = threading.Event()

    def is_set(self) -> bool:
        self.watching.set()
        return self.stop.is_set()


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
        self._stop = _StopAndWatching()
        self._building = threading.Lock()  # the first build (start's thread) and the watcher's
        self._watcher: threading.Thread | None = None
        self._serving: threading.Thread | None = None
        # HTML gets the live-reload tag as it is sent, and is then compressed.
        self.site = StaticSite(self.out, (self.base_path,), transform=inject_reload)
        self.httpd = http.server.ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{self.base_path}"

    def rebuild(self) -> bool:
        with self._building:
            return self._build()

    def _build(self) -> bool:
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

    def watch(self) -> None:
        """Rebuild after every batch of changes to the sources, until stop()."""
        try:
            folders = [folder for folder in source_folders(self.project) if folder.is_dir()]
            for _changes in watchfiles.watch(*folders, watch_filter=SourceFilter(self.project),
                                             step=QUIET_MS, stop_event=self._stop, raise_interrupt=False):
                self.rebuild()
        except Exception as exc:  # e.g. the system's limit on watched folders: serve on, say so
            self.log(f"watching the sources failed ({type(exc).__name__}: {exc}); saves no longer rebuild")
        finally:
            self._stop.watching.set()  # never leave start() waiting

    def start(self) -> "DevServer":
        # Watch first, build second: a save during the first build is then seen and rebuilt.
        self._watcher = threading.Thread(target=self.watch, name="sitegen-watch", daemon=True)
        self._watcher.start()
        self._stop.watching.wait()
        self.rebuild()
        self._serving = threading.Thread(target=self.httpd.serve_forever, name="sitegen-http", daemon=True)
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop watching, end the event streams, stop serving; safe at any point of start()."""
        self._stop.stop.set()
        with self.state.changed:
            self.state.changed.notify_all()
        if self._serving is not None:  # shutdown() waits for serve_forever, so only once it runs
            self.httpd.shutdown()
            self._serving.join(STOP_SECONDS)
        self.httpd.server_close()
        if self._watcher is not None:
            self._watcher.join(STOP_SECONDS)

    # --- HTTP ------------------------------------------------------------------------------

    def _handler(self):
        return handler_for(self.handle)

    def handle(self, req, head: bool = False) -> None:
        path = unquote(urlsplit(req.path).path)
        if path == self.base_path + "__reload":
            return self._events(req)
        if not path.startswith(self.base_path):
            if path.rstrip("/") == self.base_path.rstrip("/") or path == "/":
                return redirect(req, self.base_path)
            return send(req, 404, "text/plain; charset=utf-8",
                        f"Not found: the site is served under {self.base_path}\n".encode(), head=head)
        if not self.out.exists():
            return self._no_site(req, head)
        self.site.respond(req, head)

    def _no_site(self, req, head: bool) -> None:
        import html
        message = html.escape(self.state.error or "building…")
        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f'<meta http-equiv="refresh" content="1"><title>Build failed</title></head>'
                f'<body><h1>The site has not been built yet</h1><pre class="build-error">'
                f'{message}</pre><p>This page retries every second.</p></body></html>')
        send(req, 503, "text/html; charset=utf-8", page.encode(), head=head)

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
            while not self._stop.stop.is_set():
                with state.changed:
                    state.changed.wait_for(lambda: state.generation != seen or self._stop.stop.is_set(),
                                           timeout=KEEPALIVE_SECONDS)
                    generation, error = state.generation, state.error
                if self._stop.stop.is_set():
                    break
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
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as Ctrl+C does
    try:
        server.start()
        print(f"serving {out} at {server.url} (Ctrl+C to stop)", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
