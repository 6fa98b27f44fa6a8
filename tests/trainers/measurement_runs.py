"""Run a measurement command (`article cosine`, `article curvature`) on a copy of the shipped
MAML model, as a researcher would, and return what it wrote."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from types import ModuleType

from trainers import manifest as mf

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"


def measure_on_a_copy(command: ModuleType, name: str, folder: Path, *args: str) -> dict:
    """Run `command` over a copy of the manifest and the maml parameters in `folder`; return
    measurements[name] as written, checked to be what the manifest now holds too."""
    for file in (mf.MANIFEST, "maml.params.bin"):
        shutil.copy(MODELS / file, folder / file)
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.run(parser.parse_args(["--models", str(folder), *args])) == 0
    written = json.loads((folder / mf.MEASUREMENTS).read_text())[name]
    assert mf.load(folder)["measurements"][name] == written
    return written
