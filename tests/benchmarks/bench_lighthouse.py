"""Lighthouse benchmark: prints each page's mobile scores, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_lighthouse.py [--site DIR] [--reference DIR]
                                                         [--only SLUG ...] [--runs N]

Builds the site into a temporary folder (or takes --site / ARTICLE_SITE_DIR), serves it on
127.0.0.1 with the site's one static server, gzip-compressed from the build's compressed copies, as
static hosts serve it (uncompressed, the runtime's WebAssembly alone would dominate every score;
--coding br for brotli), and runs Lighthouse's default configuration (the mobile
preset: simulated slow 4G and a CPU four times slower) on the index and every chapter page, in
Debian's chromium. It prints one row per page: performance score, total blocking time, largest
contentful paint, and the bytes the page transferred (compressed, as they went over the wire).
With --runs N each page is measured N times and the median of each column is printed. With
--reference DIR (another build, e.g. of an older commit) each page is measured on both builds in
turn, so that both meet the same load on a shared machine, and each row shows both.

Lighthouse is pinned in package.json (12.2.3, the last line that runs on Node 20).
"""
from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sitegen.compress import Precompressor
from sitegen.static_server import StaticSite, accepted_encodings, serving

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "node_modules/.bin/lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic"]
PER_PAGE_TIMEOUT_S = 300


# ---- serving ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneCodingSite(StaticSite):
    """The site as a host that compresses with one content coding only serves it (whatever else
    the browser accepts): Lighthouse's chromium accepts brotli, many static hosts send gzip."""
    coding: str = "gzip"

    def respond(self, req: http.server.BaseHTTPRequestHandler, head: bool = False) -> None:
        offered = req.headers.get("Accept-Encoding", "")
        del req.headers["Accept-Encoding"]
        if self.coding in accepted_encodings(offered):
            req.headers["Accept-Encoding"] = self.coding
        super().respond(req, head)


def with_compressed_copies(site: Path, scratch: Path) -> Path:
    """`site` if the build wrote compressed copies beside its files, else a copy of it with them
    (a build from before the build compressed, such as an older commit's)."""
    if any(site.rglob("*.wasm.gz")):
        return site
    copy = scratch / site.name
    shutil.copytree(site, copy)
    Precompressor(scratch / "compressed").write_beside(copy)
    print(f"(compressed copies written for {site} into a copy of it)")
    return copy


# ---- measuring --------------------------------------------------------------------------------


@dataclass
class Row:
    page: str
    performance: float
    tbt_ms: float
    lcp_ms: float
    transfer_bytes: float

    def line(self) -> str:
        return (f"{self.page:<22} {self.performance:>5.0f} {self.tbt_ms:>9,.0f} {self.lcp_ms:>9,.0f}"
                f" {self.transfer_bytes / 1024:>12,.0f}")


HEADER = f"{'page':<22} {'perf':>5} {'TBT ms':>9} {'LCP ms':>9} {'transfer KiB':>12}"


def pages(site: Path, only: list[str]) -> list[str]:
    """The index and every chapter (a folder with an index.html), as paths under the site root."""
    slugs = sorted(p.parent.name for p in site.glob("*/index.html"))
    chosen = [""] + slugs
    if only:
        chosen = [s for s in chosen if (s or "index") in only]
    return [f"{slug}/" if slug else "" for slug in chosen]


def lighthouse(url: str) -> dict:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [str(LIGHTHOUSE), url, "--only-categories=performance", "--output=json",
               "--output-path=stdout", "--quiet", f"--chrome-flags={' '.join(CHROME_FLAGS)}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PER_PAGE_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def measure(url: str, name: str) -> Row:
    report = lighthouse(url)
    audits = report["audits"]
    score = report["categories"]["performance"]["score"]
    return Row(page=name, performance=100 * (score or 0),
               tbt_ms=audits["total-blocking-time"]["numericValue"],
               lcp_ms=audits["largest-contentful-paint"]["numericValue"],
               transfer_bytes=audits["total-byte-weight"]["numericValue"])


def median_row(rows: list[Row]) -> Row:
    return Row(page=rows[0].page,
               performance=statistics.median(r.performance for r in rows),
               tbt_ms=statistics.median(r.tbt_ms for r in rows),
               lcp_ms=statistics.median(r.lcp_ms for r in rows),
               transfer_bytes=statistics.median(r.transfer_bytes for r in rows))


def build_site(out: Path) -> None:
    subprocess.run([str(ROOT / ".venv/bin/article"), "build", "--out", str(out)], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=os.environ.get("ARTICLE_SITE_DIR"),
                        help="a built site (default: build one into a temporary folder)")
    parser.add_argument("--reference", type=Path, help="another built site, measured alongside")
    parser.add_argument("--only", nargs="*", default=[], help="page slugs ('index' for the index)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median is printed")
    parser.add_argument("--coding", choices=("gzip", "br"), default="gzip",
                        help="the content coding the server uses (default gzip)")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print("node_modules lacks lighthouse: run `npm ci`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp, contextlib.ExitStack() as stack:
        site = Path(args.site) if args.site else Path(tmp) / "site"
        if not args.site:
            build_site(site)
        sites = {"site": site} | ({"reference": args.reference} if args.reference else {})
        bases = {}
        for key, folder in sites.items():
            served = with_compressed_copies(Path(folder), Path(tmp) / key)
            bases[key] = stack.enter_context(serving(OneCodingSite(
                served, cache_control="max-age=3600", coding=args.coding))) + "/"
        print(f"Lighthouse mobile preset, {args.coding}-served, {args.runs} run(s) a page; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(HEADER + ("   | reference: " + HEADER[22:] if args.reference else ""))
        for path in pages(site, args.only):
            name = path.rstrip("/") or "index"
            rows: dict[str, list[Row]] = {key: [] for key in sites}
            for _ in range(args.runs):
                for key in sites:  # in turn, so that both builds meet the same load
                    rows[key].append(measure(bases[key] + path, name))
            line = median_row(rows["site"]).line()
            if args.reference:
                line += "   | " + median_row(rows["reference"]).line()[22:]
            print(line, flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
