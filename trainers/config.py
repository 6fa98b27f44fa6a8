"""Training configurations: YAML files validated against one schema per method.

A config is a flat dict. `trainers/configs/<method>.yaml` holds each method's defaults; a file
given with --config replaces it, and --set key=value / --iterations / --seed override single keys.
Every key is checked: an unknown key or a bad value raises UserError naming the key and what is
allowed, before any training starts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from trainers.errors import UserError
from trainers.methods import METHODS, HyperParams

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


def allowed_keys(method: str) -> dict[str, Key]:
    return {**COMMON_KEYS, **{name: METHOD_KEYS[name] for name in METHODS[method].keys}}


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
    keys = allowed_keys(method)
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
        data = yaml.safe_load(path.read_text())
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
        return name.strip(), yaml.safe_load(raw)
    except yaml.YAMLError:
        raise UserError(f"--set {name}: cannot read the value {raw!r}") from None


def load_config(
    method: str, path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Config:
    """The method's default config (or the file at `path`), with overrides, validated."""
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; allowed: " + ", ".join(METHODS))
    config = read_yaml(Path(path) if path else CONFIG_DIR / f"{method}.yaml")
    if config.get("method", method) != method:
        raise UserError(f"config file {path} is for method {config['method']!r}, not {method!r}")
    config = {"method": method, **config, **(overrides or {})}
    return validate(config)


def hyperparams(config: Config) -> HyperParams:
    """The HyperParams of a validated config (keys a method does not read keep their defaults)."""
    fields = HyperParams.__dataclass_fields__
    return HyperParams(**{name: value for name, value in config.items() if name in fields})
