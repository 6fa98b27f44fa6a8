"""YAML numbers as people write them, for every YAML file the project reads.

PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent: `1e-3`, `1e3` and `2.5e4`
come out as strings, so a learning rate in a training config, or a number in a figure's params,
written so would be read as text. `NumberLoader` is yaml.SafeLoader with YAML 1.2's exponents (no
dot needed, sign optional). Used by the trainers' configs (trainers/config.py) and the site
builder's files (yamlfile.py).
"""
from __future__ import annotations

import re
from typing import Any

import yaml

FLOAT_TAG = "tag:yaml.org,2002:float"
# YAML 1.1's float pattern with YAML 1.2's exponents (no dot needed, sign optional). Quoted
# scalars are never resolved, so "1.10" in quotes stays a string.
FLOAT_PATTERN = re.compile(
    r"""^(?:
        [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?    # 1.5, 1., 1.5e-3
      | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+                  # 1e-3, 1E3
      | [-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?                # .5, -.5e-3
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*       # sexagesimal, as YAML 1.1 has it
      | [-+]?\.(?:inf|Inf|INF)
      | \.(?:nan|NaN|NAN)
    )$""",
    re.VERBOSE,
)


class NumberLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose float resolver also reads scientific notation."""


# Swap the float resolver in place rather than append one: the resolvers are tried in order per
# first character, and float's place (before int) is what keeps `1_000` an int and `1.5` a float.
NumberLoader.yaml_implicit_resolvers = {
    first: [(tag, FLOAT_PATTERN if tag == FLOAT_TAG else pattern) for tag, pattern in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Parse YAML text safely, with scientific notation as numbers."""
    return yaml.load(text, Loader=NumberLoader)  # noqa: S506 (NumberLoader is a SafeLoader)
