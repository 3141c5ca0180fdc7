"""Project configs: frozen dataclasses, presets, and `--set key=value` overrides.

A project declares its knobs as a frozen dataclass whose fields may carry a range in
their metadata, e.g. ``lr: float = field(default=1e-3, metadata=bounds(0.0, 1.0))``.
`resolve_config` starts from the dataclass defaults, applies a preset, then the user's
overrides, and validates every value; any mistake is a one-line `ConfigError`.
`config_to_dict` (for config.json) and `config_to_assignments` (the `--set`s that hand a
config to the processes of a multi-process run) write a config back out.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from jlr.errors import ConfigError


def bounds(low: float | None = None, high: float | None = None, *, low_open: bool = False):
    """Field metadata: the value must lie in [low, high] (or (low, high] with low_open)."""
    return {"low": low, "high": high, "low_open": low_open}


def choices(*allowed: str):
    """Field metadata: the value must be one of `allowed`."""
    return {"choices": allowed}


def _field_types(config_cls: type) -> dict[str, Any]:
    return typing.get_type_hints(config_cls)


def parse_value(text: str, kind: Any, key: str) -> Any:
    """Turn the string of `--set key=text` into a value of the field's type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):  # Optional[...]: "none" means None
        if text.lower() == "none":
            return None
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        origin = typing.get_origin(kind)
    if origin is tuple:
        (item_kind, *_rest) = typing.get_args(kind)
        parts = [part for part in text.split(",") if part.strip()]
        return tuple(parse_value(part.strip(), item_kind, key) for part in parts)
    if kind is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"--set {key}={text}: expected true or false")
    if kind in (int, float) and not text.isascii():
        # Python's int() and float() read any Unicode digits ("١٢" is 12, "１２" is 12); a
        # config should say the same thing to every reader, so only ASCII digits are taken.
        raise ConfigError(f"--set {key}={text}: write the number with ASCII digits 0-9")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"--set {key}={text}: expected an integer") from None
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"--set {key}={text}: expected a number") from None
        if not math.isfinite(value):
            raise ConfigError(f"--set {key}={text}: expected a finite number, e.g. 1e-3")
        return value
    return text


def validate(config: Any) -> None:
    """Check every field against its declared bounds or choices."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        meta = field.metadata
        if "choices" in meta and value not in meta["choices"]:
            allowed = ", ".join(meta["choices"])
            raise ConfigError(f"{field.name}={value!r} is not allowed; choose one of: {allowed}")
        low, high = meta.get("low"), meta.get("high")
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, bool) or not isinstance(item, int | float):
                continue
            if not math.isfinite(item):
                raise ConfigError(f"{field.name}={item!r} is not a finite number; give a number")
            too_low = low is not None and (item <= low if meta.get("low_open") else item < low)
            too_high = high is not None and item > high
            if too_low or too_high:
                left = "(" if meta.get("low_open") else "["
                allowed = (
                    f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}]"
                )
                raise ConfigError(
                    f"{field.name}={item!r} is out of range; allowed range is {allowed}"
                )
        if isinstance(value, tuple) and not value:
            raise ConfigError(f"{field.name} is empty; give at least one value")


def resolve_config(
    config_cls: type,
    preset: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    **explicit: Any,
) -> Any:
    """defaults <- preset <- `--set` overrides (strings) <- explicit values, then validate."""
    names = [field.name for field in dataclasses.fields(config_cls)]
    kinds = _field_types(config_cls)
    values: dict[str, Any] = dict(preset or {})
    for key, text in (overrides or {}).items():
        if key not in names:
            raise ConfigError(f"unknown setting {key!r}; valid keys: {', '.join(names)}")
        values[key] = parse_value(text, kinds[key], key)
    values.update({key: value for key, value in explicit.items() if value is not None})
    config = config_cls(**values)
    validate(config)
    return config


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """['lr=0.1', 'steps=10'] -> {'lr': '0.1', 'steps': '10'}."""
    parsed = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. --set steps=100")
        parsed[key.strip()] = value.strip()
    return parsed


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of the config (tuples become lists)."""
    return {
        key: list(v) if isinstance(v, tuple) else v for key, v in dataclasses.asdict(config).items()
    }


def format_value(value: Any) -> str:
    """The `--set` text that `parse_value` reads back as `value`: 0.002, 256,256, true, none."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(format_value(item) for item in value)
    return repr(value) if isinstance(value, float) else str(value)  # repr: every float digit


def config_to_assignments(config: Any) -> list[str]:
    """Every field as 'key=value', the inverse of `resolve_config(type(config), {}, ...)`.

    ['seed=0', 'hidden=128', 'lr=0.002', ...]: passed as `--set`s, they rebuild `config`
    exactly whatever the preset, which is how `jlr run --processes N` hands its settings to
    the N processes. Raises ConfigError for a value that text cannot carry.
    """
    assignments = [
        f"{field.name}={format_value(getattr(config, field.name))}"
        for field in dataclasses.fields(config)
    ]
    if resolve_config(type(config), None, parse_assignments(assignments)) != config:
        raise ConfigError(f"{config} does not survive --set key=value; pass simpler values")
    return assignments
