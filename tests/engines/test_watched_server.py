"""The smoke test's server, without a browser: it watches pages from their first moment (the
recorder comes before the page's own scripts) and notes every HTTP error it answers."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from .conftest import RECORDER_PATH, RECORDER_TAG, watched_server


def fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_pages_carry_the_recorder_first_and_errors_are_noted(tmp_path):
    (tmp_path / "chapter").mkdir()
    (tmp_path / "chapter" / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="main.js"></script></head><body></body></html>'
    )
    with watched_server(tmp_path) as server:
        page = fetch(server.url("chapter/"))
        assert page.index(RECORDER_TAG) < page.index(b"main.js")
        assert b"window.__smokeProblems" in fetch(server.url(RECORDER_PATH.lstrip("/")))
        assert server.take_errors() == []
        with pytest.raises(urllib.error.HTTPError):
            fetch(server.url("chapter/missing.js"))
        assert server.take_errors() == ["HTTP 404 for /chapter/missing.js"]
        assert server.take_errors() == []
