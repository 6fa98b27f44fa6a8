"""What a reader sees in every figure, at a desktop and a phone width, light and dark.

Every page is opened at 1280 and 390 px with every figure mounted, and each figure is held to
the article's visual rules:
- no text below 11 CSS px (figure text is sized in CSS px, not in viewBox units);
- a key or legend never covers a data mark;
- an arrow ends inside its plot, unless it is drawn cut at the edge (data-clipped);
- a tap target under 24 x 24 px has room around it (WCAG 2.2, 2.5.8);
- a fine-tuning figure's first frame is at step 0;
- each method's marks take the one palette's colour (lib/palette.js, --method-* in site.css),
  in light and in dark, and a key entry naming a method says which one it is.
"""
from __future__ import annotations

import time

import pytest

from sitegen.gallery import MOUNT_ALL_FIGURES

from .conftest import page_url_path

WIDTHS = (1280, 390)
MIN_TEXT_PX = 11.0
MIN_TARGET_PX = 24.0
METHOD_NAMES = {"pretrained": "pretrained", "MAML": "maml", "first-order MAML": "fomaml", "Reptile": "reptile",
                "iMAML": "imaml"}

# One list of problems per figure; each problem a short sentence with the numbers.
CHECKS = """() => {
  const problems = [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    const style = getComputedStyle(e);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) !== 0;
  };
  const inside = (x, y, r, pad = 0) => x >= r.left - pad && x <= r.right + pad && y >= r.top - pad && y <= r.bottom + pad;
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const name = (e) => e.tagName.toLowerCase() + (e.getAttribute('class') ? '.' + e.getAttribute('class').split(' ')[0] : '');

  for (const figure of document.querySelectorAll('figure[data-module]')) {
    const mount = figure.querySelector('.figure-mount');
    if (!mount) continue;
    const say = (text) => problems.push(`${figure.id}: ${text}`);

    // Text: SVG text at its rendered size (font size in user units times the screen scale), and
    // HTML text at its computed size.
    for (const text of mount.querySelectorAll('svg text')) {
      if (!text.textContent.trim() || !visible(text)) continue;
      const m = text.getScreenCTM();
      const px = parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b); // rotation-proof
      if (px < 11 - 0.05) say(`text "${text.textContent.trim().slice(0, 30)}" is ${px.toFixed(1)} px`);
    }
    for (const element of mount.querySelectorAll('*')) {
      if (element.closest('svg') || !visible(element)) continue;
      const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const px = parseFloat(getComputedStyle(element).fontSize);
      if (px < 11 - 0.05) say(`text "${element.textContent.trim().slice(0, 30)}" is ${px.toFixed(1)} px`);
    }

    // Data marks: points sampled along every curve, line, arrow and dot that shows data.
    const marks = [...mount.querySelectorAll(
      'svg [data-method] , svg [data-role], svg [class*="fig-series-"], svg .fig-arrow')]
      .filter((e) => !e.closest('.fig-legend, .fig-key') && visible(e));
    const samples = [];
    for (const mark of marks) {
      const shapes = mark.matches('path, line, circle, polyline') ? [mark] : [...mark.querySelectorAll('path, line, circle, polyline')];
      for (const shape of shapes) {
        if (!visible(shape) || typeof shape.getTotalLength !== 'function') continue;
        const matrix = shape.getScreenCTM();
        let length = 0;
        try { length = shape.getTotalLength(); } catch { continue; }
        const count = Math.min(400, Math.max(2, Math.ceil(length * Math.abs(matrix.a) / 4)));
        for (let i = 0; i <= count; i++) {
          const p = shape.getPointAtLength((length * i) / count).matrixTransform(matrix);
          samples.push([p.x, p.y, name(mark)]);
        }
      }
    }
    for (const box of figure.querySelectorAll('.figure-mount .fig-legend, .figure-mount .fig-key')) {
      if (!visible(box)) continue;
      const r = box.getBoundingClientRect();
      const hit = samples.find(([x, y]) => inside(x, y, r, -1));
      if (hit) say(`the key "${box.textContent.trim().slice(0, 30)}" covers a data mark (${hit[2]})`);
    }

    // Arrows: both ends inside the frame of their plot, unless drawn cut at the edge.
    for (const arrow of mount.querySelectorAll('.fig-arrow')) {
      if (!visible(arrow) || arrow.dataset.clipped === 'true') continue;
      const svg = arrow.ownerSVGElement;
      let outer = svg;
      while (outer.parentElement?.closest('svg')) outer = outer.parentElement.closest('svg');
      const frame = outer.querySelector('.fig-axes .fig-axis') ?? outer.querySelector('[data-layer="map"]');
      if (!frame) continue;
      const r = frame.getBoundingClientRect();
      for (const shape of arrow.querySelectorAll('line, path')) {
        if (!visible(shape) || typeof shape.getTotalLength !== 'function') continue;
        const matrix = shape.getScreenCTM();
        const length = shape.getTotalLength();
        if (!length) continue;
        for (const t of [0, length]) {
          const p = shape.getPointAtLength(t).matrixTransform(matrix);
          if (!inside(p.x, p.y, r, 8)) {
            say(`an arrow (${arrow.getAttribute('class')}) ends outside its plot at (${p.x.toFixed(0)}, ${p.y.toFixed(0)})`);
            break;
          }
        }
      }
    }

    // Tap targets: an undersized one needs a 24 px circle around its centre free of others.
    const targets = [...figure.querySelectorAll(
      'button, input, select, a[href], [role="slider"], [role="button"], [tabindex="0"]')]
      .filter((e) => visible(e) && !e.closest('figcaption'));
    const boxes = targets.map((e) => e.getBoundingClientRect());
    targets.forEach((target, i) => {
      const r = boxes[i];
      if (r.width >= 24 && r.height >= 24) return;
      const [cx, cy] = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
      const crowded = boxes.some((other, j) => {
        if (j === i || targets[j].contains(target) || target.contains(targets[j])) return false;
        const nx = Math.max(other.left, Math.min(cx, other.right));
        const ny = Math.max(other.top, Math.min(cy, other.bottom));
        return Math.hypot(nx - cx, ny - cy) < 12;
      });
      if (crowded) say(`tap target ${name(target)} "${(target.getAttribute('aria-label') || target.textContent || '').trim().slice(0, 24)}" is ${r.width.toFixed(0)} x ${r.height.toFixed(0)} px and crowded`);
    });
  }
  return problems;
}"""

# Marks tagged with a method, and key entries: their colour against the palette's custom property.
PALETTE = """(names) => {
  const problems = [];
  const probe = document.createElement('div');
  document.body.append(probe);
  const resolved = (value) => { probe.style.color = value; return getComputedStyle(probe).color; };
  for (const element of document.querySelectorAll('.figure-mount svg [data-method], .figure-mount .fig-key li[data-method]')) {
    const method = element.dataset.method;
    const want = resolved(`var(--method-${method})`);
    // The shapes that paint: a stroke that is drawn, and a fill where the shape has an inside.
    const shapes = [element, ...element.querySelectorAll('*')].filter((e) => e.matches('path, line, polyline, circle, rect, polygon, ellipse, text'));
    const colours = shapes.flatMap((e) => {
      const style = getComputedStyle(e);
      if (style.visibility === 'hidden' || style.display === 'none') return []; // e.g. a focus ring
      const paints = [];
      if (style.stroke !== 'none' && parseFloat(style.strokeWidth) > 0) paints.push(style.stroke);
      if (!e.matches('line, polyline') && style.fill !== 'none') paints.push(style.fill);
      return paints.filter((c) => !c.startsWith('rgba(0, 0, 0, 0)'));
    });
    const background = resolved('var(--fig-bg)');
    const own = colours.filter((c) => c !== background);
    if (own.some((c) => c !== want)) {
      problems.push(`${element.closest('figure').id}: a ${method} mark is ${[...new Set(own)].join(', ')}, not ${want}`);
    }
  }
  for (const item of document.querySelectorAll('.figure-mount .fig-key li')) {
    const label = item.textContent.trim();
    for (const [words, method] of Object.entries(names)) {
      const exact = label === words || label.startsWith(words + ' ') || label.startsWith(words + ',');
      if (exact && item.dataset.method !== method && !(words === 'MAML' && label.startsWith('MAML') && item.dataset.method)) {
        problems.push(`${item.closest('figure').id}: key entry "${label}" names ${method} but is not tagged as it`);
      }
    }
  }
  probe.remove();
  return problems;
}"""

# A fine-tuning figure's first frame: its readout says it is at step 0.
FINETUNE_STEP = """() => [...document.querySelectorAll('figure[data-module="finetune"] .figure-mount')].flatMap((mount) => {
  const match = mount.textContent.match(/step (\\d+) of (\\d+)/i);
  return match && match[1] !== '0' ? [`${mount.closest('figure').id}: opens at step ${match[1]} of ${match[2]}`] : [];
})"""


def _figure_pages(site_dir) -> list[str]:
    pages = []
    for page in sorted(site_dir.rglob("*.html")):
        if "data-module=" in page.read_text(encoding="utf-8"):
            pages.append(page_url_path(str(page.relative_to(site_dir))))
    return pages


@pytest.mark.parametrize("width", WIDTHS)
def test_every_figure_is_legible_and_in_the_palette(new_page, server, site_dir, width):
    problems: list[str] = []
    for path in _figure_pages(site_dir):
        page = new_page(viewport={"width": width, "height": 900})
        page.emulate_media(color_scheme="light")
        page.goto(server.url(path))
        started = time.perf_counter()
        states = page.evaluate(MOUNT_ALL_FIGURES)
        print(f"{path} at {width} px: {len(states)} figures mounted in {time.perf_counter() - started:.1f} s")
        problems += [f"{path}: {figure} is {state}" for figure, state in states if state != "ready"]
        problems += [f"{path} at {width} px: {p}" for p in page.evaluate(CHECKS)]
        problems += [f"{path}: {p}" for p in page.evaluate(FINETUNE_STEP)]
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            problems += [f"{path} ({scheme}): {p}" for p in page.evaluate(PALETTE, METHOD_NAMES)]
        page.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
