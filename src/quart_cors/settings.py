"""Settings: explicit arguments, inherited layers, app.config and defaults, into a policy."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from .errors import CORSConfigError
from .policy import DEFAULTS, FIELDS, Policy, build_policy, check_settings

CONFIG_KEYS: Mapping[str, str] = MappingProxyType(
    {name: f"QUART_CORS_{name.upper()}" for name in FIELDS}
)

# The explicitly given settings of one level (a route, a blueprint, the app): name -> value.
Layer = Mapping[str, object]


def explicit_layer(where: str, **arguments: object) -> Layer:
    """Keep the arguments that were given (None means "not set here"), validated now.

    Problems that the given values show on their own are raised at once, from the user's
    cors() / route_cors() line; the rest waits until the inherited values are known.
    """
    layer = {name: materialize(value) for name, value in arguments.items() if value is not None}
    _, _, problems = check_settings(layer)
    if problems:
        raise CORSConfigError(problems, where)
    return layer


def materialize(value: object) -> object:
    """A one-shot iterable (a generator, map()) as a tuple, so every compile sees its items."""
    if isinstance(value, (str, bytes, bytearray, re.Pattern, Mapping)) or callable(value):
        return value
    if isinstance(value, Iterable) and not isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return value


def read_config(config: Mapping[str, object]) -> dict[str, object]:
    """The QUART_CORS_* values of an app's config, read once (one-shot iterables kept)."""
    return {key: materialize(config[key]) for key in CONFIG_KEYS.values() if key in config}


# pick()'s answer when no layer sets a field.
FROM_CONFIG = -1
FROM_DEFAULT = -2


def pick(name: str, layers: Sequence[Layer], config: Mapping[str, object]) -> tuple[int, object]:
    """One field's value and where it came from: a layer's index, FROM_CONFIG or FROM_DEFAULT."""
    for index, layer in enumerate(layers):
        if name in layer:
            return index, layer[name]
    key = CONFIG_KEYS[name]
    if config.get(key) is not None:
        return FROM_CONFIG, config[key]
    return FROM_DEFAULT, DEFAULTS[name]


def resolve(
    layers: Sequence[Layer], config: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, str]]:
    """Pick each field from the most specific layer that sets it, then config, then default.

    Returns the values and, for each field, where it came from (for error messages).
    """
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        index, values[name] = pick(name, layers, config)
        sources[name] = CONFIG_KEYS[name] if index == FROM_CONFIG else name
    return values, sources


def field_sources(
    named_layers: Sequence[tuple[str, Layer]], config: Mapping[str, object]
) -> dict[str, str]:
    """For each field, the name of the layer that sets it, "config:KEY" or "default"."""
    layers = [layer for _, layer in named_layers]
    sources: dict[str, str] = {}
    for name in FIELDS:
        index, _ = pick(name, layers, config)
        if index == FROM_CONFIG:
            sources[name] = f"config:{CONFIG_KEYS[name]}"
        elif index == FROM_DEFAULT:
            sources[name] = "default"
        else:
            sources[name] = named_layers[index][0]
    return sources


def compile_policy(
    layers: Sequence[Layer],
    config: Mapping[str, object],
    where: str,
    overrides: Mapping[str, object] | None = None,
) -> Policy:
    """Build the policy for one endpoint or raise CORSConfigError with every problem."""
    values, sources = resolve(layers, config)
    if overrides:
        values.update(overrides)
    policy, problems = build_policy(values)
    if policy is None:
        raise CORSConfigError(
            [
                replace(problem, setting=sources.get(problem.setting, problem.setting))
                for problem in problems
            ],
            where,
        )
    return policy
