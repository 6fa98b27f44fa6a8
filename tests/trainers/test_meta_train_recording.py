"""The recorded run of "Meta-train in your browser" (`article record-meta-train`).

The recording must be what the page's worker computes: its random numbers are the page's
mulberry32 stream, and its iterations, training curve and held-out evaluations agree to 1e-5
with the independent replay in tests/browser/meta_train_reference.py, which the browser test
checks against the worker itself. The committed file must have been recorded with the figure's
own settings, and its first points must be those of that replay.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sitegen.cli import main
from tests.browser.meta_train_reference import mulberry32, replay
from trainers import meta_train_recording as rec

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "static" / "models"
FIGURES = ROOT / "content" / "figures.yaml"
ATOL = 1e-5
ITERATIONS = 30


@pytest.fixture(scope="module")
def settings() -> dict:
    return rec.figure_settings(FIGURES)


def test_the_page_random_numbers_in_blocks_of_any_size():
    reference = mulberry32(12345)
    want = np.array([reference() for _ in range(2000)])
    stream = rec.Mulberry32(12345)
    got = np.concatenate([stream.draw(n) for n in (1, 999, 500, 500)])
    np.testing.assert_array_equal(got, want)


def test_first_iterations_of_every_method_match_the_worker_replay(settings):
    runs = rec.start_runs(rec.Graphs(MODELS), settings)
    rec.share_time(runs, seconds=600, iterations=ITERATIONS)
    for run in runs:
        want = replay(MODELS, settings, run.name, ITERATIONS)
        assert run.iteration == ITERATIONS, run.name
        for name, value in want.params.items():
            np.testing.assert_allclose(run.params[name], value, rtol=0, atol=ATOL, err_msg=f"{run.name} {name}")
        for name, value in want.state.items():
            np.testing.assert_allclose(run.state[name], value, rtol=0, atol=ATOL, err_msg=f"{run.name} {name}")
        np.testing.assert_allclose(run.meta_losses, want.meta_losses, rtol=0, atol=ATOL)
        assert [p[0] for p in run.losses] == [x for x, _ in want.losses]
        np.testing.assert_allclose([p[2] for p in run.losses], [y for _, y in want.losses], rtol=0, atol=ATOL)
        assert [e[0] for e in run.evals] == [e[0] for e in want.evals]
        np.testing.assert_allclose([e[2:] for e in run.evals], [e[1:] for e in want.evals], rtol=0, atol=ATOL)
        # Each point carries the method's own training time so far, which only grows.
        seconds = [p[1] for p in run.losses]
        assert seconds == sorted(seconds) and seconds[0] > 0 and run.evals[0][1] == 0


def test_the_committed_recording_is_the_figures_run(settings):
    data = json.loads((MODELS / rec.OUT).read_text(encoding="utf-8"))
    assert data["settings"] == settings, "recorded with other settings: run `article record-meta-train`"
    assert list(data["methods"]) == settings["methods"]
    first = {name: replay(MODELS, settings, name, settings["log_every"]) for name in settings["methods"]}
    for name, method in data["methods"].items():
        losses, evals = method["losses"], method["evals"]
        assert 0 < len(losses) <= rec.POINTS and 0 < len(evals) <= rec.POINTS
        assert method["iterations"] >= losses[-1][0] and evals[-1][0] == method["iterations"]
        # Its first points are the replay's, to the digits the file keeps.
        want = first[name]
        assert losses[0][0] == want.losses[0][0]
        assert losses[0][2] == pytest.approx(want.losses[0][1], rel=10 ** (1 - rec.DIGITS))
        assert evals[0][0] == 0 and evals[0][1] == 0
        assert evals[0][2:] == pytest.approx(list(want.evals[0][1:]), rel=10 ** (1 - rec.DIGITS))
    # Small enough to load before the figure's first frame.
    assert (MODELS / rec.OUT).stat().st_size < 16_000


def test_thin_keeps_the_ends_and_at_most_its_count():
    points = [(i, float(i), float(i) / 3) for i in range(1000)]
    thinned = rec.thin(points, 40)
    assert len(thinned) == 40 and thinned[0][0] == 0 and thinned[-1][0] == 999
    assert thinned[1][2] == pytest.approx(thinned[1][0] / 3, rel=1e-4)
    assert rec.thin(points[:5], 40) == [[p[0], p[1], pytest.approx(p[2], rel=1e-4)] for p in points[:5]]


def test_the_command_writes_a_recording(tmp_path, capsys):
    out = tmp_path / "recording.json"
    assert main(["record-meta-train", "--seconds", "0.5", "--out", str(out),
                 "--models", str(MODELS), "--figures", str(FIGURES)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["run"]["seconds"] == 0.5
    assert all(m["evals"] for m in data["methods"].values())
    assert "wrote" in capsys.readouterr().out


def test_the_command_refuses_a_bad_budget(capsys):
    assert main(["record-meta-train", "--seconds", "0"]) == 2
    assert "--seconds" in capsys.readouterr().err
