"""Training configurations: YAML files validated against one schema per method.

A config is a flat dict. `trainers/configs/<method>.yaml` holds each method's defaults; a file
given with --config replaces it, and --set key=value / --iterations / --seed override single keys.
Every key is checked: an unknown key or a bad value raises UserError naming the key and what is
allowed, before any training starts. Files and --set values are read by the project's one YAML
loader (trainers/yamlloader.py), which reads scientific notation (1e-3) as a number and
refuses a key written twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from trainers.errors import UserError
from trainers.families import FAMILIES
from trainers.methods import METHODS, HyperParams
from trainers.yamlloader import load_yaml

CONFIG_DIR = Path(__file__).parent / "configs"
Config = dict[str, Any]


@dataclass(frozen=True)
class Key:
    kind: type  # int, float or str
    check: Callable[[Any], bool]
    allowed: str  # what the error message says is allowed
    choices: tuple[str, ...] = ()


def _positive_int() -> Key:
    return Key(int, lambda v: v >= 1, "an integer >= 1")


def _positive_float() -> Key:
    return Key(float, lambda v: v > 0, "a number > 0")


COMMON_KEYS: dict[str, Key] = {
    "method": Key(str, lambda v: v in METHODS, "one of " + ", ".join(METHODS), tuple(METHODS)),
    "seed": Key(int, lambda v: v >= 0, "an integer >= 0"),
    "iterations": _positive_int(),
    "meta_batch": _positive_int(),
    "k_support": _positive_int(),
    "k_query": _positive_int(),
    "outer_lr": _positive_float(),
    "checkpoint_every": _positive_int(),
    "log_every": _positive_int(),
}

# Method-specific keys; each method's `keys` (trainers.methods.METHODS) says which it reads.
METHOD_KEYS: dict[str, Key] = {
    "inner_lr": _positive_float(),
    "inner_steps": _positive_int(),
    "anneal": Key(str, lambda v: v in ("none", "linear"), "one of none, linear", ("none", "linear")),
    "lam": _positive_float(),
    "cg_steps": _positive_int(),
    "cg_tol": _positive_float(),
    "cg_damping": Key(float, lambda v: v >= 0, "a number >= 0"),
    "stability": Key(float, lambda v: v >= 0, "a number >= 0"),
}


# Keys of a task family other than the sinusoids (trainers.families); a config without `task`
# is a sinusoid config, and has none of them.
FAMILY_KEYS: dict[str, Key] = {
    "task": Key(str, lambda v: v in FAMILIES, "one of " + ", ".join(FAMILIES), tuple(FAMILIES)),
    "ways": Key(int, lambda v: v >= 2, "an integer >= 2 (classes per task)"),
    "channels": _positive_int(),
}


def allowed_keys(method: str, task: str = "sinusoid") -> dict[str, Key]:
    return {
        **COMMON_KEYS,
        **{name: FAMILY_KEYS[name] for name in FAMILIES[task].keys},
        **{name: METHOD_KEYS[name] for name in METHODS[method].keys},
    }


def _coerce(name: str, value: Any, key: Key) -> Any:
    """The value as the key's type (ints are accepted for floats), or UserError."""
    ok_type = isinstance(value, key.kind) and not isinstance(value, bool)
    if key.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok_type = float(value), True
    if not ok_type or not key.check(value):
        raise UserError(f"config key '{name}': got {value!r}, expected {key.allowed}")
    return value


def validate(config: Config) -> Config:
    """Check every key and value; return the config with numbers coerced to their types."""
    if "method" not in config:
        raise UserError("config key 'method' is missing; allowed: " + ", ".join(METHODS))
    method = _coerce("method", config["method"], COMMON_KEYS["method"])
    config = dict(config)
    if config.get("task") == "sinusoid":
        del config["task"]  # the default, written out
    task = _coerce("task", config.get("task", "sinusoid"), FAMILY_KEYS["task"])
    if method not in FAMILIES[task].methods:
        raise UserError(
            f"config key 'method': {method} cannot train the {task} task; allowed: " + ", ".join(FAMILIES[task].methods)
        )
    keys = allowed_keys(method, task)
    unknown = sorted(set(config) - set(keys))
    if unknown:
        raise UserError(
            f"unknown config key '{unknown[0]}' for method {method}; allowed keys: " + ", ".join(keys)
        )
    missing = [name for name in keys if name not in config]
    if missing:
        raise UserError(f"config key '{missing[0]}' is missing for method {method}")
    return {name: _coerce(name, config[name], keys[name]) for name in keys}


def read_yaml(path: Path) -> Config:
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    try:
        data = load_yaml(path.read_text())
    except yaml.YAMLError as error:
        raise UserError(f"config file {path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a mapping of keys to values")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """'key=value' with the value read as YAML (so numbers become numbers)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise UserError(f"--set expects key=value, got {text!r}")
    try:
        return name.strip(), load_yaml(raw)
    except yaml.YAMLError:
        raise UserError(f"--set {name}: cannot read the value {raw!r}") from None


def config_names() -> list[str]:
    """The article's models: one per file of trainers/configs/, the methods first in registry
    order, then variants such as maml5 (MAML with five inner steps) alphabetically."""
    names = [file.stem for file in CONFIG_DIR.glob("*.yaml")]
    rank = {name: i for i, name in enumerate(METHODS)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def method_of(name: str) -> str:
    """The method a model name trains: a method's own name, or the `method` key of
    trainers/configs/<name>.yaml for a variant (maml5 -> maml)."""
    if name in METHODS:
        return name
    if name in config_names():
        method = read_yaml(CONFIG_DIR / f"{name}.yaml").get("method")
        if method in METHODS:
            return method
        raise UserError(f"config file {CONFIG_DIR / name}.yaml: 'method' must be one of " + ", ".join(METHODS))
    raise UserError(f"unknown method {name!r} (and no such config in trainers/configs/); allowed: " + ", ".join(config_names()))


def load_config(
    name: str, path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Config:
    """The config of a method or of a named variant (trainers/configs/<name>.yaml), or the file
    at `path`, with overrides, validated."""
    method = method_of(name)
    config = read_yaml(Path(path) if path else CONFIG_DIR / f"{name}.yaml")
    if config.get("method", method) != method:
        raise UserError(f"config file {path} is for method {config['method']!r}, not {method!r}")
    config = {"method": method, **config, **(overrides or {})}
    return validate(config)


def hyperparams(config: Config) -> HyperParams:
    """The HyperParams of a validated config (keys a method does not read keep their defaults)."""
    fields = HyperParams.__dataclass_fields__
    return HyperParams(**{name: value for name, value in config.items() if name in fields})
