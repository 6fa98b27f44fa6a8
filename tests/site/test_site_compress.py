"""Precompressed copies: each .br/.gz is its file's bytes, small and incompressible files get none,
a warm build compresses nothing again, and the static server picks br, then gzip, by Accept-Encoding."""
from __future__ import annotations

import gzip
import os
import urllib.request
from pathlib import Path

import brotli
import pytest

from sitegen.compress import MIN_BYTES, Precompressor
from sitegen.static_server import StaticSite, accepted_encodings, serving


def decoded(path: Path) -> bytes:
    data = path.read_bytes()
    return brotli.decompress(data) if path.suffix == ".br" else gzip.decompress(data)


def test_every_copy_decompresses_to_its_file(built_site):
    copies = sorted(built_site.rglob("*.br")) + sorted(built_site.rglob("*.gz"))
    assert copies
    for copy in copies:
        assert decoded(copy) == copy.with_suffix("").read_bytes(), copy


def test_large_assets_have_both_copies(built_site):
    for rel in ("assets/vendor/ort/ort-wasm-simd-threaded.wasm", "index.html", "assets/site.css"):
        for suffix in (".br", ".gz"):
            copy = built_site / (rel + suffix)
            assert copy.is_file(), copy
            assert copy.stat().st_size < 0.9 * (built_site / rel).stat().st_size


def test_small_and_compressed_files_have_none(built_site):
    for path in built_site.rglob("*"):
        if not path.is_file() or path.suffix in (".br", ".gz"):
            continue
        has_copy = path.with_name(path.name + ".gz").exists() or path.with_name(path.name + ".br").exists()
        if path.stat().st_size < MIN_BYTES or path.suffix in (".png", ".woff2"):
            assert not has_copy, path


def test_copies_only_where_they_save_and_cached(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<p>A sentence that repeats.</p>\n" * 200)
    (site / "tiny.js").write_text("export const a = 1;\n")
    (site / "noise.bin").write_bytes(os.urandom(8192))  # random bytes do not compress
    compressor = Precompressor(tmp_path / "cache")
    written = compressor.write_beside(site)
    assert sorted(p.name for p in written) == ["page.html.br", "page.html.gz"]
    assert compressor.encoded == 4  # page.html twice, noise.bin twice (found not to save)

    # A second build of the same files (new inodes, as a build writes them) reads the cache.
    again = tmp_path / "again"
    again.mkdir()
    for name in ("page.html", "tiny.js", "noise.bin"):
        (again / name).write_bytes((site / name).read_bytes())
    fresh = Precompressor(tmp_path / "cache")
    assert len(fresh.write_beside(again)) == 2 and fresh.encoded == 0
    assert decoded(again / "page.html.br") == (again / "page.html").read_bytes()


@pytest.mark.parametrize("header, expected", [
    ("gzip, deflate, br", {"gzip", "deflate", "br"}),
    ("br;q=0, gzip;q=0.5", {"gzip"}),
    ("", set()),
    ("identity", {"identity"}),
])
def test_accept_encoding(header, expected):
    assert accepted_encodings(header) == expected


def fetch(url: str, accept: str | None, method: str = "GET"):
    request = urllib.request.Request(url, method=method)
    if accept is not None:
        request.add_header("Accept-Encoding", accept)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers, response.read()


@pytest.mark.parametrize("accept, coding", [
    ("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip"), (None, None)])
def test_server_sends_the_accepted_coding(built_site, accept, coding):
    rel = "assets/vendor/ort/ort-wasm-simd-threaded.wasm"
    with serving(StaticSite(built_site, ("/maml/",))) as url:
        headers, body = fetch(f"{url}/maml/{rel}", accept)
        head_headers, head_body = fetch(f"{url}/maml/{rel}", accept, "HEAD")
    assert headers["Content-Type"] == "application/wasm"
    assert headers["Vary"] == "Accept-Encoding"
    assert headers.get("Content-Encoding") == coding
    assert int(headers["Content-Length"]) == len(body)
    original = (built_site / rel).read_bytes()
    if coding is None:
        assert body == original
    else:
        assert decoded_bytes(coding, body) == original
    assert head_body == b"" and head_headers["Content-Length"] == headers["Content-Length"]


def decoded_bytes(coding: str, data: bytes) -> bytes:
    return brotli.decompress(data) if coding == "br" else gzip.decompress(data)


def test_server_transforms_html_then_compresses(built_site):
    site = StaticSite(built_site, ("/",), transform=lambda html: html.replace(b"</head>", b"<!--x--></head>"))
    with serving(site) as url:
        headers, body = fetch(f"{url}/index.html", "gzip")
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"].startswith("text/html")
    assert b"<!--x--></head>" in gzip.decompress(body)


def test_files_compressed_early_are_not_compressed_again(tmp_path):
    """start() fills the cache in the background; the site's hard link of the file then reads it."""
    source = tmp_path / "vendor.wasm"
    source.write_bytes(b"\0asm" + bytes(range(256)) * 64)
    compressor = Precompressor(tmp_path / "cache")
    compressor.start([source])
    compressor.wait()
    assert compressor.encoded == 2
    site = tmp_path / "site"
    site.mkdir()
    os.link(source, site / "vendor.wasm")
    assert len(compressor.write_beside(site)) == 2 and compressor.encoded == 2
    assert decoded(site / "vendor.wasm.gz") == source.read_bytes()


def test_a_new_level_compresses_anew(tmp_path, monkeypatch):
    """The cache names each copy by its level: a copy made at another level is never reused."""
    from sitegen import compress

    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<p>Words, and more words.</p>\n" * 300)
    Precompressor(tmp_path / "cache").write_beside(site)
    monkeypatch.setitem(compress.LEVELS, "gzip", 9)
    again = Precompressor(tmp_path / "cache")
    again.write_beside(site)
    assert again.encoded == 1  # the gzip copy; brotli's level did not change
    assert (site / "page.html.gz").read_bytes() == gzip.compress((site / "page.html").read_bytes(), 9, mtime=0)


def test_a_base_path_without_its_slash_redirects(built_site):
    """Served at "/" and "/maml/", "/maml" is the sub-path's root, not a file "maml" at "/"."""
    with serving(StaticSite(built_site, ("/", "/maml/"))) as url:
        with urllib.request.urlopen(f"{url}/maml", timeout=10) as response:
            assert response.url == f"{url}/maml/" and response.status == 200
