"""Settings: explicit arguments, inherited layers, app.config and defaults, into a policy."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from . import errors
from .errors import ConfigProblem, CORSConfigError
from .origins import origin_list_fix
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


class ConfigValues(dict[str, object]):
    """The QUART_CORS_* values of an app's config, and the keys that look meant for quart-cors
    but that nothing reads (checked when each policy compiles: E080)."""

    misplaced: tuple[MisplacedKey, ...] = ()


@dataclass(frozen=True)
class MisplacedKey:
    """A config key that looks like a QUART_CORS_* key but is not one.

    ``field`` is the setting it was most likely meant for (None when no guess fits);
    ``stripped`` says whether it is a field's key without "QUART_" ("CORS_MAX_AGE", which
    ``app.config.from_prefixed_env()`` makes of the variable QUART_CORS_MAX_AGE). Keys in the
    QUART_CORS_ namespace are always refused; a CORS_* key only when the setting it names
    falls back to its default, since an app may read such a key itself and pass it on.
    """

    key: str
    value: object
    field: str | None
    ours: bool
    stripped: bool


# What other CORS extensions (flask-cors, django-cors-headers) and common guesses call a setting.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "ORIGIN": "allow_origin",
        "ORIGINS": "allow_origin",
        "ALLOWED_ORIGIN": "allow_origin",
        "ALLOWED_ORIGINS": "allow_origin",
        "ALLOW_ORIGINS": "allow_origin",
        "ALLOWED_ORIGIN_REGEXES": "allow_origin",
        "ORIGIN_WHITELIST": "allow_origin",
        "ALLOW_ALL_ORIGINS": "allow_origin",
        "CREDENTIALS": "allow_credentials",
        "SUPPORTS_CREDENTIALS": "allow_credentials",
        "ALLOW_CREDENTIAL": "allow_credentials",
        "METHODS": "allow_methods",
        "ALLOWED_METHODS": "allow_methods",
        "ALLOW_METHOD": "allow_methods",
        "HEADERS": "allow_headers",
        "ALLOWED_HEADERS": "allow_headers",
        "ALLOW_HEADER": "allow_headers",
        "EXPOSED_HEADERS": "expose_headers",
        "EXPOSE_HEADER": "expose_headers",
        "PREFLIGHT_MAX_AGE": "max_age",
        "MAXAGE": "max_age",
        "ALLOW_PRIVATE_NETWORK_ACCESS": "allow_private_network",
        "PRIVATE_NETWORK": "allow_private_network",
    }
)
_OURS = "QUART_CORS_"
_STRIPPED = "CORS_"


def read_config(config: Mapping[str, object]) -> ConfigValues:
    """The QUART_CORS_* values of an app's config, read once (one-shot iterables kept), and
    the keys that look like misplaced QUART_CORS_* keys."""
    values = ConfigValues(
        (key, materialize(config[key])) for key in CONFIG_KEYS.values() if key in config
    )
    values.misplaced = tuple(
        found
        for found in (_misplaced(key, config[key]) for key in config if isinstance(key, str))
        if found is not None
    )
    return values


def _misplaced(key: str, value: object) -> MisplacedKey | None:
    upper = key.upper()
    if key in CONFIG_KEYS.values():
        return None
    if upper.startswith(_OURS):
        rest, ours = upper[len(_OURS) :], True
    elif upper.startswith(_STRIPPED):
        rest, ours = upper[len(_STRIPPED) :], False
    else:
        return None
    field = rest.lower() if rest.lower() in CONFIG_KEYS else _ALIASES.get(rest)
    if field is None:
        from difflib import get_close_matches  # noqa: PLC0415 - only for a suspect key

        close = get_close_matches(rest.lower(), list(CONFIG_KEYS), n=1, cutoff=0.8)
        field = close[0] if close else None
    if field is None and not ours:
        return None  # CORS_SOMETHING of the app's own, naming no setting of ours
    stripped = not ours and upper == key and rest.lower() == field
    return MisplacedKey(key, value, field, ours, stripped)


def misplaced_problems(
    misplaced: Iterable[MisplacedKey], defaulted: Iterable[str]
) -> list[ConfigProblem]:
    """E080 for each misplaced key: always in the QUART_CORS_ namespace, otherwise when the
    setting it names is left at its default (``defaulted``: those fields)."""
    defaulted = set(defaulted)
    problems = []
    for found in misplaced:
        if not found.ours and found.field not in defaulted:
            continue
        problems.append(
            ConfigProblem(
                errors.CONFIG_KEY_MISPLACED,
                found.key,
                found.value,
                _misplaced_fix(found),
                source="in app.config",
            )
        )
    return problems


def _misplaced_fix(found: MisplacedKey) -> str:
    if found.field is None:
        return (
            "quart-cors reads no such key, so this setting goes nowhere; the keys it reads "
            f"are {', '.join(CONFIG_KEYS.values())}"
        )
    right = CONFIG_KEYS[found.field]
    example = found.value if isinstance(found.value, str) else _json_or_none(found.value)
    variable = f"QUART_{right}" + ("" if example is None else f"={shlex.quote(example)}")
    default = f"{found.field} stays at its default ({DEFAULTS[found.field]!r})"
    if found.stripped:
        return (
            f"quart-cors reads {right}, not this key, so {default}. "
            "app.config.from_prefixed_env() strips the prefix QUART_ from environment "
            f"variables: name the variable {variable}, or set app.config[{right!r}]"
        )
    return (
        f"quart-cors reads no such key, so this setting goes nowhere; did you mean {right} "
        f"({found.field})? Set app.config[{right!r}], or, in the environment for "
        f"app.config.from_prefixed_env(), {variable}"
    )


def _json_or_none(value: object) -> str | None:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


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
    misplaced = misplaced_problems(
        getattr(config, "misplaced", ()),
        (name for name, origin in origins.items() if origin == FROM_DEFAULT),
    )
    if policy is None or misplaced:
        raise CORSConfigError(
            [*(_sourced(problem, origins) for problem in problems), *misplaced], where
        )
    return policy


def _sourced(problem: ConfigProblem, origins: Mapping[str, int]) -> ConfigProblem:
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
        message = origin_list_fix(problem.value, key)
    return replace(problem, setting=key, source=source, message=message)
