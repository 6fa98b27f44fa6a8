"""The fine-tuning figures (module finetune: "finetune-pretrained", "finetune-maml", and the
chapters' "finetune-fomaml", "finetune-reptile", "finetune-imaml") in a real browser.

Every control is driven the way a reader would (pointer and keyboard), and what the page computed
(parameters after fine-tuning, the MSE after each step, the samples' y) is compared with Python's
onnxruntime running the same graphs on the same inputs, to 1e-5. The figures open at step 0 on a
task where the pretrained model stays far off and MAML's one step fits it; the MSE chart draws the
model's mean evaluation curve from the manifest. The first-order, Reptile and iMAML figures take
the same samples and settings as finetune-maml and compare with the MAML model on them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from .figure_harness import (
    BLOCK_STORAGE,
    built_params,
    figure_params,
    inspect,
    open_figure,
    set_range,
    settled,
    wait_idle,
)
from .reference import fine_tune

ATOL = 1e-5
PARAM_NAMES = ("w1", "b1", "w2", "b2", "w3", "b3")


# ---- helpers -------------------------------------------------------------------------------


def key_text(mount, which: str) -> str:
    """The text of the curve plot's key ("curve") or the MSE chart's ("mse")."""
    return mount.locator(f".finetune-{which} .fig-key").inner_text()


def reference(site_dir: Path, model: str, st: dict, steps: int) -> dict:
    """Python onnxruntime on the page's own inputs (its samples' x, target and step size)."""
    return fine_tune(site_dir / "models", {
        "model": model, "amplitude": st["amplitude"], "phase": st["phase"],
        "samples": st["samples"]["x"], "steps": steps, "step_size": st["stepSize"],
    })


def assert_matches(st: dict, ref: dict, *, params_key="params", mse_key="mse") -> None:
    np.testing.assert_allclose(st["samples"]["y"], ref["sample_y"], rtol=0, atol=ATOL)
    # An MSE near 10 (the default task's, before fine-tuning) carries float32's relative error of
    # its 200-term mean, about 1e-6: compare it relatively as well.
    np.testing.assert_allclose(st[mse_key], ref["mse"], rtol=2e-6, atol=ATOL)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(np.asarray(st[params_key][name]),
                                   np.asarray(ref["params"][name]).reshape(-1), rtol=0, atol=ATOL,
                                   err_msg=name)


def fine_tune_now(page, mount, steps: int) -> dict:
    set_range(page, mount.get_by_label("Steps", exact=True), steps)
    mount.get_by_role("button", name="Fine-tune").click()
    st = settled(mount)
    assert st["step"] == steps
    return st


# ---- tests ---------------------------------------------------------------------------------


def test_fine_tuning_matches_python(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-pretrained")
    params = figure_params(figure)
    initial = inspect(mount)
    # The figure opens not fine-tuned yet (its first frame is its static picture).
    assert params["preview_steps"] == 0
    assert initial["model"] == params["model"] and initial["step"] == 0
    assert initial["samples"]["x"] == pytest.approx(params["samples"])
    assert_matches(initial, reference(site_dir, params["model"], initial, 0))
    assert "not fine-tuned yet" in key_text(mount, "curve")
    st = fine_tune_now(page, mount, 4)
    assert len(st["mse"]) == 5 and len(st["supportLoss"]) == 4
    assert_matches(st, reference(site_dir, params["model"], st, 4))
    readout = mount.locator(".figure-readout").inner_text()
    assert "Step 4 of 4" in readout and f"{st['mse'][4]:.4g}" in readout
    assert "Done" in mount.locator(".figure-status").inner_text()

    # Reset returns to the pretrained parameters (the pretrained model has no meta-initialisation).
    mount.get_by_role("button", name="Reset").click()
    wait_idle(mount)
    st = inspect(mount)
    assert st["step"] == 0 and len(st["mse"]) == 1
    assert_matches(st, reference(site_dir, params["model"], st, 0))
    status = mount.locator(".figure-status").inner_text()
    assert "pretrained parameters" in status and "meta-initialisation" not in status


def test_default_task_shows_pretraining_fail_and_maml_adapt(page, server, site_dir, pages_with):
    """The first frame's task: ten steps barely move the pretrained model, one step fits MAML's."""
    for figure_id, model in (("finetune-pretrained", "pretrained"), ("finetune-maml", "maml")):
        figure, mount = open_figure(page, server, pages_with, figure_id)
        st = fine_tune_now(page, mount, 10)
        assert_matches(st, reference(site_dir, model, st, 10))
        if model == "pretrained":
            assert min(st["mse"]) > 9, st["mse"]
        else:
            assert st["mse"][0] > 9 and st["mse"][1] < 0.25 * st["mse"][0], st["mse"]
        # The key lists what is drawn: before, after one step, after ten; and the mean curve.
        curve_key = key_text(mount, "curve")
        assert "before fine-tuning" in curve_key and "after 1 step" in curve_key and "after 10 steps" in curve_key
        assert mount.locator('.finetune-curve [data-layer="curves"] path[stroke-opacity]').get_attribute("d")
        manifest = json.loads((site_dir / "models" / "manifest.json").read_text(encoding="utf-8"))
        evaluation = manifest["models"][model]["evaluation"]
        assert f"mean over {evaluation['protocol']['tasks']} tasks, K = 5" in key_text(mount, "mse")
        # The mean curve: one faint point per step of the evaluation, at the manifest's values.
        mean_path = mount.locator(f'.finetune-mse [data-layer="series"] path[data-method="{model}"][stroke-opacity]')
        assert mean_path.count() == 1
        drawn = re.findall(r"-?[\d.]+", mean_path.get_attribute("d"))
        assert len(drawn) == 2 * len(evaluation["K5"]["mean"])
        assert st["meanMse"] == {"shots": 5, "mean": evaluation["K5"]["mean"]}


def test_target_sliders_move_the_true_curve(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-pretrained")
    model = figure_params(figure)["model"]
    set_range(page, mount.get_by_label("Amplitude A"), 4.0)
    wait_idle(mount)
    set_range(page, mount.get_by_label("Phase φ"), np.pi / 2)
    wait_idle(mount)
    st = inspect(mount)
    assert st["amplitude"] == pytest.approx(4.0)
    assert st["phase"] == pytest.approx(np.pi / 2)
    assert_matches(st, reference(site_dir, model, st, 0))  # samples' y and MSE for the new target
    st = fine_tune_now(page, mount, 2)
    assert_matches(st, reference(site_dir, model, st, 2))


def test_samples_by_pointer_keyboard_and_random(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-pretrained")
    model = figure_params(figure)["model"]
    mount.get_by_role("button", name="Remove all samples").click()
    wait_idle(mount)
    assert inspect(mount)["samples"]["x"] == []

    # Nothing to fine-tune on: the status line explains, nothing fails.
    mount.get_by_role("button", name="Fine-tune").click()
    status = mount.locator(".figure-status")
    assert "no samples" in status.inner_text()
    assert inspect(mount)["step"] == 0

    # A click on the plot adds a sample at that x (the plot spans x = -5 .. 5).
    surface = mount.locator('[data-layer="surface"] rect')
    box = surface.bounding_box()
    surface.click(position={"x": 0.75 * box["width"], "y": 0.3 * box["height"]})
    wait_idle(mount)
    xs = inspect(mount)["samples"]["x"]
    assert len(xs) == 1 and xs[0] == pytest.approx(2.5, abs=0.05)

    # Keyboard: the focused plot moves a cursor with the arrows and adds a sample with Enter.
    area = mount.get_by_role("slider", name="Position of a new sample")
    area.focus()
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowRight")  # -4
    page.keyboard.press("ArrowRight")  # -3.9
    assert area.get_attribute("aria-valuenow") == "-3.90"
    page.keyboard.press("Enter")
    wait_idle(mount)
    xs = inspect(mount)["samples"]["x"]
    assert len(xs) == 2 and xs[1] == pytest.approx(-3.9)

    # Remove a sample by keyboard: the point is focusable, Delete removes it, focus stays nearby.
    first = mount.get_by_role("button", name="Sample 1 of 2")
    first.focus()
    page.keyboard.press("Delete")
    wait_idle(mount)
    assert inspect(mount)["samples"]["x"] == [pytest.approx(-3.9)]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Sample 1 of 1")
    # ... and a click on a sample removes it too.
    mount.get_by_role("button", name="Sample 1 of 1").click()
    wait_idle(mount)
    assert inspect(mount)["samples"]["x"] == []

    # Random samples: K of them, x in [-5, 5], y from the graph.
    mount.get_by_label("K", exact=True).select_option("7")
    mount.get_by_role("button", name="Draw K random samples").click()
    wait_idle(mount)
    st = inspect(mount)
    assert len(st["samples"]["x"]) == 7 and all(-5 <= x <= 5 for x in st["samples"]["x"])
    assert mount.get_by_role("button", name="Sample 7 of 7").count() == 1
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, reference(site_dir, model, st, 3))


def test_compare_with_the_pretrained_model(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-maml")
    params = figure_params(figure)
    assert params["compare"], "the MAML figure compares with another model"
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, reference(site_dir, params["model"], st, 3))
    compare_line = mount.locator(f'[data-layer="curves"] path[data-method="{params["compare"]}"]').first
    assert not compare_line.get_attribute("d")

    # Switching the comparison on brings the other model to the same step on the same samples.
    mount.get_by_label("Compare with the").check()
    st = settled(mount)
    assert len(st["compareMse"]) == 4
    assert_matches(st, reference(site_dir, params["compare"], st, 3),
                   params_key="compareParams", mse_key="compareMse")
    assert compare_line.get_attribute("d")

    # Fine-tuning again runs both models side by side, step by step.
    st = fine_tune_now(page, mount, 2)
    assert_matches(st, reference(site_dir, params["model"], st, 2))
    assert_matches(st, reference(site_dir, params["compare"], st, 2),
                   params_key="compareParams", mse_key="compareMse")
    assert "pretrained model, same samples" in key_text(mount, "curve")
    assert "pretrained model" in key_text(mount, "mse")

    mount.get_by_label("Compare with the").uncheck()
    wait_idle(mount)
    assert not compare_line.get_attribute("d")
    assert "same samples" not in key_text(mount, "curve")  # the key lists only what is drawn


def test_works_with_storage_blocked_and_in_dark_mode(new_page, server, pages_with):
    page = new_page(color_scheme="dark")
    # A browser that refuses storage: every access throws, as with cookies blocked.
    page.add_init_script(BLOCK_STORAGE)
    figure, mount = open_figure(page, server, pages_with, "finetune-pretrained")
    # The model's curves take its palette colour, here the pretrained grey of dark mode.
    stroke = mount.locator('[data-layer="curves"] path[data-method="pretrained"]').first.evaluate(
        "e => getComputedStyle(e).stroke")
    palette = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--method-pretrained').trim()")
    assert palette == "#a3a7ae", "dark palette not in force"
    assert stroke == "rgb(163, 167, 174)", stroke
    fine_tune_now(page, mount, 1)


def test_fomaml_finetune_compares_with_maml_on_the_same_samples(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-fomaml")
    params = figure_params(figure)
    assert params["model"] == "fomaml" and params["compare"] == "maml"
    st = inspect(mount)
    # The first frame is the model before fine-tuning (the reader guesses first).
    assert st["model"] == "fomaml" and st["step"] == params["preview_steps"] == 0
    assert_matches(st, reference(site_dir, "fomaml", st, 0))
    # The same target, samples and settings as "Fine-tune the MAML model" (in How MAML works).
    maml_params = built_params(site_dir, "finetune-maml")
    for key in ("amplitude", "phase", "samples", "steps", "step_size", "max_samples", "seed", "preview_steps"):
        assert params[key] == maml_params[key], key
    # Switched on, the MAML model is brought to the same step on the same samples.
    mount.get_by_label("Compare with the MAML model").check()
    st = settled(mount)
    assert len(st["compareMse"]) == 1
    assert_matches(st, reference(site_dir, "maml", st, 0), params_key="compareParams", mse_key="compareMse")
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, reference(site_dir, "fomaml", st, 3))
    assert_matches(st, reference(site_dir, "maml", st, 3), params_key="compareParams", mse_key="compareMse")
    wait_idle(mount)


def test_finetune_reptile_matches_python_and_compares_with_maml(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-reptile")
    params = figure_params(figure)
    assert (params["model"], params["compare"]) == ("reptile", "maml")
    initial = inspect(mount)
    assert initial["model"] == "reptile" and initial["step"] == params["preview_steps"]
    assert_matches(initial, reference(site_dir, "reptile", initial, params["preview_steps"]))
    mount.get_by_label("Compare with the").check()
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, reference(site_dir, "reptile", st, 3))
    assert_matches(st, reference(site_dir, "maml", st, 3), params_key="compareParams",
                   mse_key="compareMse")


def test_finetune_imaml_matches_python_and_compares_with_maml(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-imaml")
    params = figure_params(figure)
    assert params["model"] == "imaml" and params["compare"] == "maml"
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, reference(site_dir, "imaml", st, 3))
    mount.get_by_label("Compare with the").check()
    st = settled(mount)
    assert len(st["compareMse"]) == 4
    assert_matches(st, reference(site_dir, "maml", st, 3), params_key="compareParams", mse_key="compareMse")
