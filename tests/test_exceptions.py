"""The exception tree is closed: every public exception of duck is in duck/exceptions.py, drawn in its docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import duck
from duck import exceptions
from duck.exceptions import DuckError, HttpError

# Lines of the drawing: "    │   ├── BadRequest                          400".
_LINE = re.compile(r"^    (?P<indent>(?:[│ ]   )*)[├└]── (?P<name>\w+)(?P<note>.*)$")
_ROOT = re.compile(r"^    (?P<name>DuckError)$")


def tree_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(exceptions).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == exceptions.__name__
    }


def drawing() -> dict[str, tuple[str | None, str]]:
    """``name -> (parent name, note)`` read from the module docstring."""
    drawn: dict[str, tuple[str | None, str]] = {}
    parents: list[str] = []
    for line in (exceptions.__doc__ or "").splitlines():
        if _ROOT.match(line):
            drawn["DuckError"] = (None, "")
            parents = ["DuckError"]
            continue
        found = _LINE.match(line)
        if found is None:
            continue
        depth = len(found["indent"]) // 4 + 1
        parents = [*parents[:depth], found["name"]]
        drawn[found["name"]] = (parents[depth - 1], found["note"])
    return drawn


def test_the_drawing_shows_every_exception_under_its_real_parent():
    drawn = drawing()
    classes = tree_classes()
    assert set(drawn) == set(classes), "draw every class of duck/exceptions.py in its docstring, and only those"
    for name, (parent, _note) in drawn.items():
        if parent is not None:
            assert classes[name].__bases__ == (classes[parent],), f"{name} is drawn under {parent}"


def test_every_http_error_is_drawn_with_its_status():
    for name, (_parent, note) in drawing().items():
        cls = tree_classes()[name]
        if issubclass(cls, HttpError) and cls is not HttpError:
            assert 400 <= cls.status_code <= 599
            assert note.split()[0].rstrip(",") == str(cls.status_code), f"{name}: {note!r}"


def test_every_exception_is_a_duck_error():
    assert all(issubclass(cls, DuckError) for cls in tree_classes().values())


def _duck_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(duck.__path__, "duck."):
        if ".project_template" in info.name or info.name == "duck.__main__":  # __main__ runs the CLI
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("module_name", _duck_modules())
def test_no_other_module_defines_a_public_exception(module_name):
    """The test client's errors are a client's, not duck's: they stay in duck.test."""
    module = importlib.import_module(module_name)
    if module_name.startswith("duck.test") or module is exceptions:
        return
    defined = [
        name
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module_name
        and not name.startswith("_")
    ]
    assert not defined, f"{module_name} defines {defined}: put them in duck/exceptions.py (and its drawing)"


def test_private_exceptions_have_one_name_each():
    seen: dict[str, str] = {}
    for module_name in _duck_modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module_name:
                assert name not in seen or seen[name] == module_name, f"{name} in {seen[name]} and {module_name}"
                seen[name] = module_name


def test_invalid_handshake_and_range_not_satisfiable_carry_their_answer():
    refused = exceptions.InvalidHandshake("Missing Sec-WebSocket-Key header.")
    assert (refused.status_code, refused.message) == (400, "Missing Sec-WebSocket-Key header.")
    unsatisfiable = exceptions.RangeNotSatisfiable(10)
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers == [("Content-Range", "bytes */10")]
