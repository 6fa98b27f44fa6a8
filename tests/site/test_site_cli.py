"""The `article` command: help for all five commands, errors without tracebacks, no torch."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitegen.cli import main

CONTENT = Path(__file__).parent / "fixtures" / "content"  # as in conftest.py


def test_help_lists_all_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for command in ("build", "serve", "train", "evaluate", "export"):
        assert command in out


def test_build_and_serve_have_help(capsys):
    for command, option in (("build", "--base-url"), ("serve", "--base-path")):
        try:
            main([command, "--help"])
        except SystemExit as exc:
            assert exc.code == 0
        assert option in capsys.readouterr().out


def test_build_error_exits_2_with_message(tmp_path, capsys):
    import shutil
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "chapters/gamma.md").write_text("no front matter\n")
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "_site")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "gamma.md:1: missing front matter" in err
    assert "Traceback" not in err


def test_site_commands_do_not_import_torch():
    code = ("import sys, sitegen.cli, sitegen.site, sitegen.serve, sitegen.pictures;"
            "sys.exit('torch' in sys.modules or 'trainers.train' in sys.modules"
            " or 'onnxruntime' in sys.modules or 'numpy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
