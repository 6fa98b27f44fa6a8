"""The development server: MIME types, sub-path, reload events, build errors shown, keeps running."""
from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import pytest

from sitegen.serve import DevServer, inject_reload, sse_error


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
    assert seconds < 1.5  # budget 1 s (poll 0.2 s + rebuild); slack for a loaded shared machine
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
