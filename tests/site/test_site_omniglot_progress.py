"""The data of the figure "omniglot-progress": every published point, and the human line, cites a
key of content/references.bib, names the table its number comes from, and gives numbers a plot
can draw. The data module is read by Node, as the figure imports it."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "static/figures/omniglot-progress/results.js"
MODES = {"5", "20"}


@pytest.fixture(scope="module")
def data() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = ("import(process.argv[1]).then((m) => console.log(JSON.stringify("
              "{results: m.RESULTS, human: m.HUMAN, families: m.FAMILIES})))")
    out = subprocess.run([node, "--input-type=module", "-e", script, DATA.as_uri()],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def bibkeys() -> set[str]:
    text = (ROOT / "content/references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.M))


def test_every_point_cites_a_bibliography_entry(data, bibkeys):
    assert data["results"], "no published points"
    for point in data["results"]:
        assert point["bibkey"] in bibkeys, point["id"]
    assert data["human"]["bibkey"] in bibkeys


def test_every_number_names_its_table_and_parses(data):
    ids = [p["id"] for p in data["results"]]
    assert len(ids) == len(set(ids))
    for point in data["results"]:
        assert point["family"] in data["families"], point["id"]
        assert 2010 <= point["year"] <= 2026, point["id"]
        assert point["ways"] and set(point["ways"]) <= MODES, point["id"]
        for ways, at in point["ways"].items():
            # As printed in the paper: a string of digits, a percentage below 100.
            assert re.fullmatch(r"\d{2}\.\d{1,2}", at["accuracy"]), (point["id"], ways)
            assert 0 < float(at["accuracy"]) < 100
            assert at["ci95"] is None or re.fullmatch(r"\d\.\d{1,2}", at["ci95"]), (point["id"], ways)
            assert at["table"].strip(), (point["id"], ways)
    assert data["human"]["ways"]["20"]["accuracy"] == "95.5"


def test_the_papers_numbers_the_chapter_quotes(data):
    """MAML's own Table 1 (Finn et al. 2017), as the chapter's brief states it."""
    maml = next(p for p in data["results"] if p["id"] == "maml")
    assert maml["ways"]["5"] == {"accuracy": "98.7", "ci95": "0.4", "table": "Table 1"}
    assert maml["ways"]["20"] == {"accuracy": "95.8", "ci95": "0.3", "table": "Table 1"}
