"""Settings: explicit arguments, inherited layers, app.config and defaults, into a policy."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import errors
from .errors import ConfigProblem, CORSConfigError
from .origins import origin_list_fix
from .policy import DEFAULTS, FIELDS, Policy, build_policy, check_settings

if TYPE_CHECKING:
    from .config_keys import MisplacedKey

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
        raise CORSConfigError(
            [replace(problem, source=problem.source or "from an argument") for problem in problems],
            where,
        )
    return layer


def materialize(value: object) -> object:
    """A one-shot iterable (a generator, map()) as a tuple, so every compile sees its items."""
    if isinstance(value, (str, bytes, bytearray, re.Pattern, Mapping)) or callable(value):
        return value
    if isinstance(value, Iterable) and not isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return value


# A config key that starts so may be meant for quart-cors (config_keys.py decides).
LOOK_ALIKE_PREFIXES = ("QUART_CORS_", "CORS_")


class ConfigValues(dict[str, object]):
    """The QUART_CORS_* values of an app's config, and the keys that look meant for quart-cors
    but that nothing reads (checked when each policy compiles: E080)."""

    misplaced: tuple[MisplacedKey, ...] = ()
    # What the app's config.from_prefixed_env() strips from environment variables.
    env_prefix: str = "QUART"


def env_prefix(config: object) -> str:
    """The prefix ``config.from_prefixed_env()`` reads by default: "QUART", or "FLASK" where
    app.config is Flask's Config (Quart 0.19), or "QUART" when there is no such method."""
    method = getattr(type(config), "from_prefixed_env", None)
    try:
        default = inspect.signature(method).parameters["prefix"].default  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError):
        return "QUART"
    return default if isinstance(default, str) else "QUART"


def read_config(config: Mapping[str, object]) -> ConfigValues:
    """The QUART_CORS_* values of an app's config, read once (one-shot iterables kept), and
    the keys that look like misplaced QUART_CORS_* keys."""
    values = ConfigValues(
        (key, materialize(config[key])) for key in CONFIG_KEYS.values() if key in config
    )
    values.env_prefix = env_prefix(config)
    suspects = {
        key: config[key]
        for key in config
        if isinstance(key, str)
        and key.upper().startswith(LOOK_ALIKE_PREFIXES)
        and key not in CONFIG_KEYS.values()
    }
    if suspects:
        from .config_keys import misplaced_keys  # noqa: PLC0415 - only for a suspect key

        values.misplaced = misplaced_keys(suspects)
    return values


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
) -> tuple[dict[str, object], dict[str, int]]:
    """Pick each field from the most specific layer that sets it, then config, then default.

    Returns the values and, for each field, where it came from: the index of the layer that
    sets it, FROM_CONFIG or FROM_DEFAULT.
    """
    values: dict[str, object] = {}
    origins: dict[str, int] = {}
    for name in FIELDS:
        origins[name], values[name] = pick(name, layers, config)
    return values, origins


def value_source(name: str, origin: int) -> str:
    """Where a field's value came from, as a message says it after the value."""
    if origin == FROM_CONFIG:
        return "from app.config"
    if origin == FROM_DEFAULT:
        return f"the default, since no argument and no {CONFIG_KEYS[name]} sets {name}"
    return "from an argument"


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
    """Build the policy for one endpoint or raise CORSConfigError with every problem.

    Each problem names its value's source: an argument, a config key, or the default.
    """
    values, origins = resolve(layers, config)
    if overrides:
        values.update(overrides)
    credentials = "allow_credentials=True"
    if origins["allow_credentials"] == FROM_CONFIG:
        credentials = f"{CONFIG_KEYS['allow_credentials']}=True (in app.config)"
    policy, problems = build_policy(values, credentials)
    prefix = getattr(config, "env_prefix", "QUART")
    misplaced: list[ConfigProblem] = []
    if getattr(config, "misplaced", ()):
        from .config_keys import misplaced_problems  # noqa: PLC0415

        defaulted = [name for name, origin in origins.items() if origin == FROM_DEFAULT]
        misplaced = misplaced_problems(getattr(config, "misplaced", ()), defaulted, prefix)
    if policy is None or misplaced:
        raise CORSConfigError(
            [*(_sourced(problem, origins, prefix) for problem in problems), *misplaced], where
        )
    return policy


def _sourced(problem: ConfigProblem, origins: Mapping[str, int], prefix: str) -> ConfigProblem:
    """A problem of a resolved field, named by its config key when it came from there, with
    its source; E017's fix for a config value is the JSON an environment variable holds."""
    origin = origins.get(problem.setting)
    if origin is None or problem.source:
        return problem
    source = value_source(problem.setting, origin)
    if origin != FROM_CONFIG:
        return replace(problem, source=source)
    key = CONFIG_KEYS[problem.setting]
    message = problem.message
    if problem.code == errors.ORIGIN_LIST_IN_STRING and isinstance(problem.value, str):
        message = origin_list_fix(problem.value, key, prefix)
    return replace(problem, setting=key, source=source, message=message)
