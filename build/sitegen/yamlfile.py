"""YAML loading that remembers line numbers, so errors can point at the offending line.

PyYAML's plain `safe_load` forgets where things were. Composing the node tree first keeps the
marks; we keep the 1-based line of every mapping key and sequence item, addressed by a tuple path
such as ("chapters", 3) or ("sinusoid-demo", "fallback"). The loader is the trainers' own
(trainers/yamlloader.py): `1e-3` is a number, not text, and a key written twice in a mapping
stops the build at its second line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trainers.yamlloader import DuplicateKeyError, NumberLoader

from .errors import BuildError
from .textfiles import read_utf8

Lines = dict[tuple, int]


def _walk(node: yaml.Node, path: tuple, lines: Lines, base: int) -> None:
    lines.setdefault(path, node.start_mark.line + 1 + base)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (key.value,)
            lines[child] = key.start_mark.line + 1 + base
            _walk(value, child, lines, base)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, base)


def parse(text: str, file: Path, base_line: int = 0, hint: str | None = None) -> tuple[Any, Lines]:
    """Parse YAML `text` (found at `base_line` lines into `file`); return (data, lines)."""
    loader = None
    try:
        loader = NumberLoader(text)  # refuses characters YAML does not allow, such as \x1f
        # One pass: the node tree gives the lines, the same tree gives the data.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except DuplicateKeyError as exc:
        first = exc.first_mark.line + 1 + base_line
        raise BuildError(f"the key {exc.key!r} is defined twice: first on line {first}, again "
                         "here; the second would silently replace the first", file,
                         exc.problem_mark.line + 1 + base_line,
                         "keep one of the two (a figure id, a setting, a params key), or rename "
                         "one") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 + base_line
        raise BuildError(f"invalid YAML: the character {chr(exc.character)!r} "
                         f"(U+{exc.character:04X}) is not allowed", file, line,
                         "delete it; YAML files hold printable text only") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + base_line if mark is not None else base_line + 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise BuildError(f"invalid YAML: {problem}", file, line,
                         hint or "check indentation, colons and quoting on this line") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: Lines = {}
    if node is not None:
        _walk(node, (), lines, base_line)
    return data, lines


def load(file: Path, hint: str | None = None) -> tuple[Any, Lines]:
    return parse(read_utf8(file, missing_hint=hint), file, 0, hint)


def line_of(lines: Lines, *path: Any) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), None)
