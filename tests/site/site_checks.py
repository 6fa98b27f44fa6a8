"""Helpers for the site tests that break an input and expect a located BuildError."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from sitegen.project import Project
from sitegen.site import build


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def fails_and_keeps_site(project: Project, good_site: Path, tmp_path: Path) -> BuildError:
    """Build `project` over a copy of a good site: it must fail and leave that copy as it was."""
    out = tmp_path / "_site"
    shutil.copytree(good_site, out)
    before = tree_digest(out)
    with pytest.raises(BuildError) as err:
        build(project, out)
    assert tree_digest(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("_site.")]  # no temp folder
    return err.value


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
