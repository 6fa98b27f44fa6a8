"""The development server: MIME types, sub-path, reload events, build errors shown, keeps running,
watches the sources only, misses no early edit, and stops cleanly."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
import watchfiles

from sitegen import serve as serve_module
from sitegen.project import Project
from sitegen.serve import DevServer, SourceFilter, inject_reload, serve, sse_error


@pytest.fixture
def server(project, tmp_path):
    dev = DevServer(project, tmp_path / "_site", port=0, base_path="/sub/", log=lambda m: None)
    dev.start()
    yield dev
    dev.stop()


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), exc.read()


def test_mime_types_and_sub_path(server):
    base = server.url
    assert base.endswith("/sub/")
    status, mime, body = get(base + "alpha/")
    assert status == 200 and mime.startswith("text/html")
    assert b'<script type="module" src="../assets/js/livereload.js"></script>\n</head>' in body
    assert get(base + "assets/vendor/ort/ort-wasm-simd-threaded.wasm")[1] == "application/wasm"
    assert get(base + "assets/vendor/ort/ort.wasm.min.mjs")[1].startswith("text/javascript")
    assert get(base + "assets/js/main.js")[1].startswith("text/javascript")
    assert get(base + "no/such/page")[0] == 404
    assert get(base.replace("/sub/", "/elsewhere"))[0] == 404
    assert get(base + "alpha")[0] == 200  # redirected to alpha/


def read_event(url: str, after) -> str:
    """Open the event stream, run `after()`, and return the first event that arrives."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET /sub/__reload HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        sock.settimeout(10)
        data = b""
        while b"text/event-stream" not in data:
            data += sock.recv(4096)
        started = time.monotonic()
        after()
        data = data.split(b"\r\n\r\n", 1)[1]
        while b"\n\n" not in data.replace(b": keep-alive\n\n", b""):
            data += sock.recv(4096)
        return data.replace(b": keep-alive\n\n", b"").decode(), time.monotonic() - started


def test_edit_triggers_reload_within_a_second(server, project):
    chapter = project.content / "chapters/gamma.md"
    event, seconds = read_event(server.url, lambda: chapter.write_text(
        chapter.read_text() + "\nFresh words.\n"))
    assert event.startswith("data: reload")
    assert seconds < 1.5  # budget 1 s (50 ms of quiet + rebuild); slack for a loaded shared machine
    assert b"Fresh words." in get(server.url + "gamma/")[2]


def test_build_error_is_sent_and_server_keeps_serving(server, project):
    chapter = project.content / "chapters/gamma.md"
    event, _ = read_event(server.url, lambda: chapter.write_text(
        chapter.read_text() + "\nBad [@nobody].\n"))
    assert event.startswith("event: error\n") and "gamma.md" in event and "@nobody" in event
    assert get(server.url + "gamma/")[0] == 200  # the last good site is still there
    assert server.state.error


def test_helpers():
    assert sse_error("a\nb") == b"event: error\ndata: a\ndata: b\n\n"
    html = b'<html lang="en" data-root="../../"><head></head>'
    assert b'src="../../assets/js/livereload.js"' in inject_reload(html)


def test_an_edit_saved_during_the_first_build_is_rebuilt(project, tmp_path, monkeypatch):
    chapter = project.content / "chapters/gamma.md"
    real_build, builds = serve_module.build, []

    def build_then_save(*args) -> None:
        real_build(*args)
        if not builds:  # saved after the first build read the chapter, before it returned
            chapter.write_text(chapter.read_text() + "\nSaved during the first build.\n")
        builds.append(1)

    monkeypatch.setattr(serve_module, "build", build_then_save)
    dev = DevServer(project, tmp_path / "_site", port=0, log=lambda m: None).start()
    try:
        deadline = time.monotonic() + 10
        while b"Saved during the first build." not in get(dev.url + "gamma/")[2]:
            assert time.monotonic() < deadline, "the edit saved during the first build was missed"
            time.sleep(0.1)
    finally:
        dev.stop()


def test_the_watcher_keeps_sources_and_drops_the_rest(tmp_path):
    project = Project.at(root=tmp_path / ".hidden" / "repo")  # a checkout in a hidden folder
    keep, changed = SourceFilter(project), watchfiles.Change.modified
    for source in (project.content / "chapters/gamma.md", project.templates / "page.html",
                   project.static / "css/site.css", project.trainers / "methods/maml.py"):
        assert keep(changed, str(source)), source
    for other in (project.content / "chapters/.gamma.md.swp", project.content / "chapters/gamma.md~",
                  project.static / ".cache/x.json", project.trainers / "configs/maml.yaml",
                  project.trainers / "__pycache__/maml.cpython-311.pyc", project.root / "_site/index.html"):
        assert not keep(changed, str(other)), other


def test_stop_ends_streams_threads_and_the_socket(project, tmp_path):
    DevServer(project, tmp_path / "never", port=0, log=lambda m: None).stop()  # stopped unstarted: no hang
    dev = DevServer(project, tmp_path / "_site", port=0, base_path="/sub/", log=lambda m: None).start()
    host, port = dev.httpd.server_address[:2]
    stream = socket.create_connection((host, port), timeout=5)
    stream.sendall(f"GET /sub/__reload HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert b"text/event-stream" in stream.recv(4096)
    started = time.monotonic()
    dev.stop()
    assert time.monotonic() - started < 3
    while chunk := stream.recv(4096):  # the event stream is ended, not left hanging (else: timeout)
        assert chunk == b": keep-alive\n\n"
    stream.close()
    assert not dev._watcher.is_alive() and not dev._serving.is_alive()
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(project, tmp_path, signum):
    out = tmp_path / "_site"

    def interrupt_once_built() -> None:
        deadline = time.monotonic() + 60
        while not (out / "index.html").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signum)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=interrupt_once_built, daemon=True).start()
    assert serve(project, out, port=0) == 0
    assert (out / "index.html").is_file()
    assert signal.getsignal(signal.SIGTERM) is before
    assert not [t for t in threading.enumerate() if t.name in ("sitegen-watch", "sitegen-http")]


def test_compressed_when_accepted_with_the_reload_tag(server):
    """HTML is compressed after the reload tag goes in; other files come from the build's copies."""
    import gzip

    import brotli

    def fetch(rel: str, accept: str):
        request = urllib.request.Request(server.url + rel, headers={"Accept-Encoding": accept})
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.headers, response.read()

    headers, body = fetch("alpha/", "gzip, br")
    assert headers["Content-Encoding"] == "br" and headers["Vary"] == "Accept-Encoding"
    assert b'src="../assets/js/livereload.js"></script>\n</head>' in brotli.decompress(body)
    headers, body = fetch("assets/vendor/ort/ort-wasm-simd-threaded.wasm", "gzip")
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"] == "application/wasm"
    assert int(headers["Content-Length"]) == len(body)
    assert gzip.decompress(body) == (server.out / "assets/vendor/ort/ort-wasm-simd-threaded.wasm").read_bytes()
