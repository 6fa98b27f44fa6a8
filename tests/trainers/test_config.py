"""Reading configs: numbers in scientific notation are numbers, in --set values and in files alike."""
from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.cli import main as article
from trainers import checkpoint
from trainers.config import load_config, load_yaml, parse_override
from trainers.errors import UserError
from trainers.train import FINAL

SCIENTIFIC = [("1e-3", 1e-3), ("1E-3", 1e-3), ("2.5e+4", 2.5e4), ("-1e-3", -1e-3), ("1e3", 1e3),
              ("1.5e3", 1.5e3), ("-.5e-3", -0.5e-3)]


@pytest.mark.parametrize("text, number", SCIENTIFIC)
def test_scientific_notation_is_a_float(text, number):
    value = load_yaml(text)
    assert isinstance(value, float) and value == number


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"1.10"', "1.10"),      # a version in quotes stays a string
        ("'1e-3'", "1e-3"),      # so does a quoted exponent
        ("1.2.3", "1.2.3"),
        ("1e", "1e"),
        ("e3", "e3"),
        ("1e-3x", "1e-3x"),
        ("1_000", 1000),         # YAML 1.1's other numbers are unchanged
        ("0x1e3", 0x1E3),
        ("0.01", 0.01),
        (".inf", float("inf")),
    ],
)
def test_other_scalars_read_as_before(text, expected):
    value = load_yaml(text)
    assert value == expected and type(value) is type(expected)


def test_set_accepts_scientific_notation():
    assert parse_override("inner_lr=1e-3") == ("inner_lr", 1e-3)
    config = load_config("maml", overrides=dict([parse_override("inner_lr=1e-3"), parse_override("outer_lr=5E-4")]))
    assert config["inner_lr"] == 1e-3 and config["outer_lr"] == 5e-4


def test_config_file_accepts_scientific_notation(tmp_path: Path):
    path = tmp_path / "maml.yaml"
    shipped = (Path(__file__).parents[2] / "trainers/configs/maml.yaml").read_text()
    path.write_text(shipped.replace("inner_lr: 0.01", "inner_lr: 1e-2").replace("outer_lr: 0.001", "outer_lr: 1e-3"))
    assert "1e-2" in path.read_text() and "1e-3" in path.read_text()
    config = load_config("maml", path)
    assert config["inner_lr"] == 0.01 and config["outer_lr"] == 0.001


def test_a_quoted_number_stays_a_string_and_is_rejected():
    with pytest.raises(UserError, match="got '1e-3', expected a number > 0"):
        load_config("maml", overrides=dict([parse_override("inner_lr='1e-3'")]))


def test_command_line_set_with_scientific_notation_trains(tmp_path: Path):
    out = tmp_path / "run"
    assert article(["train", "maml", "--set", "inner_lr=1e-3", "--set", "log_every=1", "--iterations", "2",
                    "--out", str(out), "--no-compile", "--quiet"]) == 0
    assert checkpoint.load(out / FINAL)["config"]["inner_lr"] == 1e-3
