"""The author's loop in a browser: `article serve` rebuilds on a save and the open page reloads
itself; a broken build shows its error in the page, and the next good save clears it."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import LOCAL_HOST, SUB_PATH, article_command

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "introduction"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL_HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`article serve` on a copy of the content (edited by the test), under the sub-path.
    ARTICLE_CONTENT_DIR=<folder> copies another content folder (while iterating on the test)."""
    content = tmp_path / "content"
    shutil.copytree(os.environ.get("ARTICLE_CONTENT_DIR") or ROOT / "content", content)
    port = _free_port()
    process = subprocess.Popen(
        [*article_command(), "serve", "--content", str(content), "--out", str(tmp_path / "_site"),
         "--host", LOCAL_HOST, "--port", str(port), "--base-path", SUB_PATH],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://{LOCAL_HOST}:{port}{SUB_PATH}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + f"{CHAPTER}/", timeout=2) as response:
                    if b"data-root" in response.read():
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.poll() is not None else ""
                pytest.fail(f"article serve did not come up:\n{output}")
            time.sleep(0.2)
        yield base, content / "chapters" / f"{CHAPTER}.md"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _save(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_save_reloads_the_page_and_errors_show_in_it(page, dev_server):
    base, chapter = dev_server
    original = chapter.read_text(encoding="utf-8")
    page.goto(base + f"{CHAPTER}/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # let the event stream connect

    marker = "Livereload marker paragraph"
    started = time.monotonic()
    _save(chapter, original + f"\n\n{marker}.\n")
    page.get_by_text(marker).wait_for(timeout=10_000)
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"the page showed the edit after {elapsed:.1f} s"

    # An unknown citation key fails the build: the page keeps the last good build and says why.
    _save(chapter, original + "\n\nA claim [@no-such-key-anywhere].\n")
    banner = page.locator(".build-error")
    banner.wait_for(timeout=10_000)
    assert "no-such-key-anywhere" in banner.inner_text()
    assert banner.get_attribute("role") == "alert"

    _save(chapter, original)
    page.wait_for_function("() => !document.querySelector('.build-error')", timeout=10_000)
    assert page.get_by_text(marker).count() == 0
