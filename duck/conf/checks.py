"""Settings checked when they load: the type of every setting that has a default, and typos.

The expected type of a setting is read from ``global_settings.py`` itself (its annotation, else
the type of its default), so the check cannot drift from the defaults. Values that cannot be
right (``DEBUG = "False"``) are refused with :class:`ImproperlyConfigured`, one line naming the
setting, the value and what it must be; unknown names close to a known one (``ALLOWED_HOST``)
get a warning with the suggestion.
"""

from __future__ import annotations

import difflib
import logging
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from duck.conf import global_settings
from duck.exceptions import ImproperlyConfigured

__all__ = ["check_types", "describe", "expected_types", "looks_secret", "masked", "matches", "warn_unknown"]

logger = logging.getLogger("duck.conf")

# Parts of names whose values are never shown (settings, local variables, headers, query parameters).
SECRET_NAME_PARTS = (
    "KEY",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "TOKEN",
    "SIGNATURE",
    "CREDENTIAL",
    "AUTHORIZATION",
    "COOKIE",
)
# Settings whose names contain such a part but hold no secret (masking "sessionid" would mask it
# everywhere on the DEBUG page).
PUBLIC_NAMES = frozenset(
    {
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_AGE",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_PATH",
        "AUTH_TOKEN_MAX_AGE",
        "AUTH_PASSWORD_MIN_LENGTH",
    }
)
MASK = "********"
# How similar an unknown name must be to a known one to be reported as a probable typo (difflib ratio).
TYPO_CUTOFF = 0.85
_VALUE_SHOWN = 80  # characters of a refused value's repr shown in the message


def looks_secret(name: str) -> bool:
    """Whether a value named ``name`` must be masked: ``SECRET_KEY``, ``db_password``, ``X-Auth-Token``..."""
    upper = name.upper()
    return upper not in PUBLIC_NAMES and any(part in upper for part in SECRET_NAME_PARTS)


def masked(name: str, value: Any) -> Any:
    """``value``, or :data:`MASK` when ``name`` looks secret; dicts are masked key by key."""
    if looks_secret(name) and value not in (None, "", b""):
        return MASK
    if isinstance(value, Mapping):
        return {key: masked(str(key), item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(item, Mapping) for item in value):
        return type(value)(masked("", item) for item in value)
    return value


@cache
def expected_types() -> dict[str, Any]:
    """Setting name -> expected type, from global_settings' annotations, else the type of the default.

    A default of None without an annotation says nothing about the type: such a setting is left
    out (and a test insists there are none).
    """
    hints = typing.get_type_hints(global_settings)
    expected: dict[str, Any] = {}
    for name in dir(global_settings):
        if not name.isupper():
            continue
        if name in hints:
            expected[name] = hints[name]
        elif getattr(global_settings, name) is not None:
            expected[name] = type(getattr(global_settings, name))
    return expected


def matches(value: Any, expected: Any) -> bool:
    """Whether ``value`` is of the type ``expected`` (a class or a typing expression).

    Numbers follow the numeric tower (an int is a valid float, a bool is neither); a ``list[...]``
    setting also takes a tuple, as Django's do.
    """
    if expected is Any:
        return True
    if expected is None or expected is type(None):
        return value is None
    origin = get_origin(expected)
    args = get_args(expected)
    if origin is Union or origin is types.UnionType:
        return any(matches(value, arg) for arg in args)
    if origin is Literal:
        return any(value == arg and type(value) is type(arg) for arg in args)
    if origin is list:
        return isinstance(value, (list, tuple)) and (not args or all(matches(item, args[0]) for item in value))
    if origin is dict:
        if not isinstance(value, dict):
            return False
        return not args or all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())
    if origin is Callable:
        return callable(value)
    if origin is not None:  # os.PathLike[str] and other generics: check the class only
        expected = origin
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def describe(expected: Any) -> str:
    """``bool (True or False)``, ``list of str``, ``number of seconds or None``: the type in words."""
    origin = get_origin(expected)
    args = get_args(expected)
    if origin is Union or origin is types.UnionType:
        return " or ".join(describe(arg) for arg in args)
    if origin is Literal:
        return " or ".join(repr(arg) for arg in args)
    if origin is list:
        inner = describe(args[0]) if args else "values"
        return f"list of {inner if ' or ' not in inner else '(' + inner + ')'}"
    if origin is dict:
        return f"dict of {describe(args[0])} to {describe(args[1])}" if args and args[1] is not Any else "dict"
    if origin is Callable:
        return "callable"
    if origin is not None:
        expected = origin
    if expected is None or expected is type(None):
        return "None"
    if expected is Any:
        return "anything"
    names = {bool: "bool (True or False)", float: "number (int or float)", os.PathLike: "path"}
    return names.get(expected, getattr(expected, "__name__", str(expected)))


def check_types(values: Mapping[str, Any]) -> None:
    """Refuse the first setting whose value is not of its default's type.

    Raises:
        ImproperlyConfigured: ``Setting DEBUG = 'False' has type str, expected bool (True or False): ...``
    """
    for name, expected in expected_types().items():
        if name in values and not matches(values[name], expected):
            raise ImproperlyConfigured(_type_error(name, values[name], expected))


def _type_error(name: str, value: Any, expected: Any) -> str:
    shown = MASK if looks_secret(name) else repr(value)
    if len(shown) > _VALUE_SHOWN:
        shown = shown[: _VALUE_SHOWN - 3] + "..."
    expectation = f"has type {type(value).__name__}, expected {describe(expected)}"
    return f"Setting {name} = {shown} {expectation}{_hint(name, value, expected)}."


def _hint(name: str, value: Any, expected: Any) -> str:
    """A fix for the common mistakes: a quoted bool or number, a string where a list belongs."""
    if isinstance(value, str):
        word = value.strip()
        if word in ("True", "False") and matches(word == "True", expected):
            return f": write {name} = {word}, without quotes"
        if word.lstrip("-").isdigit() and matches(int(word), expected):
            return f": write {name} = {word}, without quotes"
        if matches([value], expected):
            return f": write [{value!r}]"
    return ""


def warn_unknown(names: Iterable[str], source: str) -> None:
    """Warn about each name that is not a setting but is very close to one (a probable typo).

    Other unknown names stay silent: projects keep their own settings (``BASE_DIR``...).
    """
    known = expected_types().keys() | {n for n in dir(global_settings) if n.isupper()}
    for name in sorted(names):
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF)
        if close:
            logger.warning("Unknown setting %s in %s: did you mean %s?", name, source, close[0])
