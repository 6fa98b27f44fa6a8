"""The figures' palette (static/css/site.css, named by static/figures/lib/palette.js) is legible.

Every method and task colour keeps at least 3:1 contrast with the page in both colour schemes,
and the five methods stay apart under simulated colour-vision deficiencies: protanopia,
deuteranopia and tritanopia (Machado, Oliveira and Fernandes 2009, severity 1), compared by
their CIE76 distance in CIELAB.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

SITE_CSS = Path(__file__).resolve().parents[2] / "static/css/site.css"
PALETTE_JS = Path(__file__).resolve().parents[2] / "static/figures/lib/palette.js"
METHODS = ("pretrained", "maml", "fomaml", "reptile", "imaml")
MARKS = tuple(f"method-{m}" for m in METHODS) + ("task-a", "task-b")
MIN_CONTRAST = 3.0
# Two colours this far apart in CIELAB are told apart at a glance in a line plot; side by side
# the just-noticeable difference is about 2.3.
MIN_DISTANCE = 10.0

# Linear-RGB matrices of Machado et al. (2009) for full dichromacy.
SIMULATIONS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _block(css: str, dark: bool) -> str:
    """The text of the :root block of the light scheme, or of the dark scheme's media query."""
    if not dark:
        return css[css.index(":root {"):css.index("@media (prefers-color-scheme: dark)")]
    start = css.index("@media (prefers-color-scheme: dark)")
    return css[start:css.index("\n}\n", start)]


def _colours(dark: bool) -> dict[str, str]:
    css = SITE_CSS.read_text(encoding="utf-8")
    light = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})\s*;", _block(css, False)))
    if not dark:
        return light
    return {**light, **dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})\s*;", _block(css, True)))}


def _srgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _luminance(hex_colour: str) -> float:
    return float(np.dot([0.2126, 0.7152, 0.0722], _linear(_srgb(hex_colour))))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear_rgb
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(hex_colour: str, deficiency: str | None) -> np.ndarray:
    """CIELAB of a colour as a viewer with `deficiency` (None: typical vision) sees it."""
    linear = _linear(_srgb(hex_colour))
    if deficiency is not None:
        linear = np.clip(np.array(SIMULATIONS[deficiency]) @ linear, 0, 1)
    return _lab(linear)


def test_the_simulation_sees_red_and_green_alike_without_red_cones():
    red, green = "#d62728", "#2ca02c"
    typical = np.linalg.norm(seen(red, None) - seen(green, None))
    protan = np.linalg.norm(seen(red, "protanopia") - seen(green, "protanopia"))
    assert typical > 80 and protan < typical / 2


def test_palette_js_names_every_method_colour_in_the_stylesheet():
    names = set(re.findall(r"var\(--(method-[a-z]+|task-[a-z]+)\)", PALETTE_JS.read_text(encoding="utf-8")))
    assert {f"method-{m}" for m in METHODS} <= names
    assert names <= set(_colours(dark=False)) | {"task-min"}


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_mark_has_3_to_1_against_the_page(dark):
    colours = _colours(dark)
    for name in MARKS:
        ratio = contrast(colours[name], colours["bg"])
        assert ratio >= MIN_CONTRAST, f"--{name} {colours[name]} on --bg {colours['bg']}: {ratio:.2f}:1"


@pytest.mark.parametrize("deficiency", [None, *SIMULATIONS])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_methods_stay_apart_under_colour_vision_deficiencies(dark, deficiency):
    colours = _colours(dark)
    for a, b in itertools.combinations(METHODS, 2):
        distance = float(np.linalg.norm(seen(colours[f"method-{a}"], deficiency) - seen(colours[f"method-{b}"], deficiency)))
        assert distance >= MIN_DISTANCE, f"{a} and {b} under {deficiency or 'typical vision'}: {distance:.1f}"
