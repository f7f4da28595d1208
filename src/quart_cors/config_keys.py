"""Config keys that look meant for quart-cors but that nothing reads (E080).

``app.config.from_prefixed_env()`` strips "QUART_" from environment variables ("FLASK_" on
Quart 0.19, whose app.config is Flask's), so QUART_CORS_MAX_AGE lands in the key
CORS_MAX_AGE; other CORS extensions name their settings CORS_ORIGINS or CORS_ALLOWED_ORIGINS;
keys get misspelled. Each such key is refused with the key quart-cors reads and the variable
that sets it. Imported only when an app's config has a key that starts with QUART_CORS_ or
CORS_ and is not one that quart-cors reads.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import errors
from .errors import ConfigProblem
from .policy import DEFAULTS, FIELDS

# settings.CONFIG_KEYS, built here too: settings imports this module only on demand.
CONFIG_KEYS: Mapping[str, str] = MappingProxyType(
    {name: f"QUART_CORS_{name.upper()}" for name in FIELDS}
)


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


def misplaced_keys(suspects: Mapping[str, object]) -> tuple[MisplacedKey, ...]:
    """The keys among ``suspects`` (key: value) that look meant for quart-cors."""
    found = (_misplaced(key, value) for key, value in suspects.items())
    return tuple(key for key in found if key is not None)


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
    misplaced: Iterable[MisplacedKey], defaulted: Iterable[str], env_prefix: str = "QUART"
) -> list[ConfigProblem]:
    """E080 for each misplaced key: always in the QUART_CORS_ namespace, otherwise when the
    setting it names is left at its default (``defaulted``: those fields). ``env_prefix`` is
    what the app's ``config.from_prefixed_env()`` strips ("QUART", or "FLASK" on Quart 0.19)."""
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
                _misplaced_fix(found, env_prefix),
                source="in app.config",
            )
        )
    return problems


def _misplaced_fix(found: MisplacedKey, env_prefix: str) -> str:
    if found.field is None:
        return (
            "quart-cors reads no such key, so this setting goes nowhere; the keys it reads "
            f"are {', '.join(CONFIG_KEYS.values())}"
        )
    right = CONFIG_KEYS[found.field]
    example = found.value if isinstance(found.value, str) else _json_or_none(found.value)
    variable = f"{env_prefix}_{right}" + ("" if example is None else f"={shlex.quote(example)}")
    default = f"{found.field} stays at its default ({DEFAULTS[found.field]!r})"
    if found.stripped:
        return (
            f"quart-cors reads {right}, not this key, so {default}. "
            f"app.config.from_prefixed_env() strips the prefix {env_prefix}_ from environment "
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
