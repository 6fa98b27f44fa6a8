"""The project's one YAML loader: numbers as people write them, and no key written twice.

Used by the trainers' configs (trainers/config.py) and by the site builder (sitegen/yamlfile.py),
which is why it lives here: the site builder may read the trainers' code, never the reverse.
It imports only PyYAML, so `article build` still needs no PyTorch.

Numbers: PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent: `1e-3`, `1e3`
and `2.5e4` come out as strings, so a learning rate in a training config, or a number in a
figure's params, written so would be read as text. `NumberLoader` reads YAML 1.2's exponents (no
dot needed, sign optional).

Keys: PyYAML keeps the last of two equal keys in a mapping without a word, so a figure id or a
config key written twice silently replaced the first. `NumberLoader` refuses it, at the line of
the second, naming the first.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

FLOAT_TAG = "tag:yaml.org,2002:float"
MERGE_TAG = "tag:yaml.org,2002:merge"
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


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice; `problem_mark` is the second, `first_mark` the first."""

    def __init__(self, key: Any, mapping: yaml.Node, first: yaml.Node, second: yaml.Node) -> None:
        super().__init__("while reading a mapping", mapping.start_mark,
                         f"the key {key!r} is defined twice (first on line {first.start_mark.line + 1}); "
                         "the second would silently replace the first", second.start_mark)
        self.key = key
        self.first_mark = first.start_mark


class NumberLoader(yaml.SafeLoader):
    """yaml.SafeLoader that reads scientific notation as numbers and refuses repeated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        _refuse_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A well-formed scalar that cannot be built (the date 2025-13-45) raises a bare
        # ValueError in PyYAML, with no line: give it the node's.
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {getattr(node, 'value', '')!r}: {exc}; quote it to keep "
                "it as text", node.start_mark) from None


def _refuse_repeated_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    # Only the keys written in this mapping: a key that overrides one merged in with `<<` is
    # what merging is for.
    first_nodes: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        try:
            first = first_nodes.get(key)
        except TypeError:  # an unhashable key; SafeLoader reports it itself
            continue
        if first is not None:
            raise DuplicateKeyError(key, node, first, key_node)
        first_nodes[key] = key_node


# Swap the float resolver in place rather than append one: the resolvers are tried in order per
# first character, and float's place (before int) is what keeps `1_000` an int and `1.5` a float.
NumberLoader.yaml_implicit_resolvers = {
    first: [(tag, FLOAT_PATTERN if tag == FLOAT_TAG else pattern) for tag, pattern in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Parse YAML text safely, with scientific notation as numbers and no repeated key."""
    return yaml.load(text, Loader=NumberLoader)  # noqa: S506 (NumberLoader is a SafeLoader)
