"""Find and check the project a command runs in (``runserver``, ``collectstatic``).

``duck startproject`` makes a flat folder (``settings.py``, ``urls.py``, ``views.py`` side by
side), so inside it the settings module is ``"settings"`` and the folder must be on
``sys.path``: that is what :func:`configure_settings` arranges.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from duck.conf import ENVIRONMENT_VARIABLE
from duck.exceptions import DuckError, ImproperlyConfigured

# The settings module of a folder made by `duck startproject` when run from inside it.
PROJECT_SETTINGS_MODULE = "settings"


def configure_settings(module: str | None) -> str:
    """Point ``DUCK_SETTINGS_MODULE`` at the project's settings and return the module name.

    Order: ``--settings``, then an already set ``DUCK_SETTINGS_MODULE``, then a ``settings.py``
    in the current folder. The current folder goes on ``sys.path`` so that ``settings``, ``urls``
    and ``views`` import (the reloader's child runs the same command in the same folder, and
    forked workers inherit ``sys.path``, so both find them too). ``--settings mysite.settings``
    from the folder above a project made by ``startproject`` puts ``mysite/`` there as well, so
    its ``urls`` and ``views`` import as they do from inside it.

    Raises:
        ImproperlyConfigured: none of the three applies, or ``--settings`` names the project
            folder from inside it.
    """
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    if module:
        _add_flat_project_folder(module, Path(cwd))
        os.environ[ENVIRONMENT_VARIABLE] = module
        return module
    existing = os.environ.get(ENVIRONMENT_VARIABLE)
    if existing:
        return existing
    if Path(cwd, f"{PROJECT_SETTINGS_MODULE}.py").is_file():
        os.environ[ENVIRONMENT_VARIABLE] = PROJECT_SETTINGS_MODULE
        return PROJECT_SETTINGS_MODULE
    raise ImproperlyConfigured(
        f"No settings found in {cwd}: run this inside a folder made by 'duck startproject' (it has "
        f"settings.py), or pass --settings MODULE, or set {ENVIRONMENT_VARIABLE}.{_cd_hint(Path(cwd))}"
    )


def _add_flat_project_folder(module: str, cwd: Path) -> None:
    """``mysite.settings`` with ``mysite/`` a startproject folder (no ``__init__.py``): import from it too.

    Raises:
        ImproperlyConfigured: the module names the current folder itself (``--settings mysite.settings``
            run inside ``mysite/``), which Python cannot import from here.
    """
    *folders, name = module.split(".")
    if not folders:
        return
    folder = cwd.joinpath(*folders)
    if folder.is_dir() and (folder / f"{name}.py").is_file() and not (folder / "__init__.py").exists():
        if str(folder) not in sys.path:
            sys.path.insert(1, str(folder))
    elif folders == [cwd.name] and (cwd / f"{name}.py").is_file():
        raise ImproperlyConfigured(
            f"--settings {module} names this folder from inside it: here the settings module is {name!r}, "
            f"so run 'duck runserver --settings {name}' (or leave --settings out for settings.py)."
        )


def _cd_hint(cwd: Path) -> str:
    """`` 'mysite' here is a duck project: cd mysite ...`` when project folders sit in ``cwd``."""
    try:
        projects = sorted(
            entry.name
            for entry in cwd.iterdir()
            if entry.is_dir() and (entry / f"{PROJECT_SETTINGS_MODULE}.py").is_file()
        )
    except OSError:
        return ""
    if len(projects) == 1:
        return f" {projects[0]!r} here is a project: cd {projects[0]}, then run the command again."
    if projects:
        return f" Projects here: {', '.join(projects)}; cd into one of them, then run the command again."
    return ""


def check_project() -> None:
    """Load the settings and the URL conf now, so a broken project fails before serving.

    Raises:
        ImproperlyConfigured: either fails; the message is one line naming the cause.
    """
    from duck.conf import settings
    from duck.core.project import load_project

    settings.SETTINGS_MODULE  # noqa: B018 - the first read imports and validates the settings module
    try:
        load_project()  # imports the URL conf (and views), compiles every route, builds every view class
    except DuckError:
        raise
    except Exception as exc:
        raise ImproperlyConfigured(
            f"The URL conf {settings.ROOT_URLCONF!r} failed to load: {describe_exception(exc)}"
        ) from exc


def describe_exception(exc: BaseException) -> str:
    """``"NameError: name 'x' is not defined (views.py, line 4)"``: the error and where it happened."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        return text  # str(SyntaxError) already names the file and line
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        frame = frames[-1]
        text += f" ({frame.filename}, line {frame.lineno})"
    return text
