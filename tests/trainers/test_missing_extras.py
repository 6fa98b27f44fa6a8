"""`article train` (and the other training commands) on an install without the training extras:
a message that says how to install them, exit status 2, no traceback."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Runs `article <argv>` in a fresh interpreter in which importing `missing` fails, as it does where
# the package is not installed.
WITHOUT = textwrap.dedent(
    """
    import sys

    class Missing:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == {missing!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Missing())
    from sitegen.cli import main
    sys.exit(main({argv!r}))
    """
)


def _article_without(missing: str, argv: list[str]) -> subprocess.CompletedProcess:
    script = WITHOUT.format(missing=missing, argv=argv)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("missing, argv", [("tqdm", ["train", "maml"]), ("torch", ["export"])])
def test_a_training_command_without_its_extras_says_how_to_install_them(missing, argv):
    result = _article_without(missing, argv)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"needs the package {missing}" in result.stderr
    assert "pip install -e '.[train]'" in result.stderr and "make setup-test" in result.stderr


def test_a_missing_module_of_the_project_itself_is_not_blamed_on_the_extras():
    result = _article_without("trainers", ["train", "maml"])
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr and "extras" not in result.stderr
