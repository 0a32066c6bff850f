"""What users are told to install names the distribution that exists: ``duckweb``, never ``duck``.

The name ``duck`` on the Python Package Index belongs to an unrelated project, so
``pip install 'duck[postgres]'`` installs the wrong thing (or fails). Docs, the README, the files
startproject writes and duck's own messages must say ``duckweb[...]``, with extras pyproject.toml
defines. A local path with extras (``'/path/to/duck[redis]'``, the README's clone install) is fine.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Text that users read or copy: docs, README, the project template, duck's sources and templates.
SOURCES = ["README.md", "docs", "project_template", "duck"]
TEXT_SUFFIXES = {".md", ".py", ".py-tpl", ".toml-tpl", ".html", ".txt", ".tpl", ".cfg", ".toml", ".ini"}
# A requirement with extras: a bare name (not the end of a path or of a longer name) and its [extras].
REQUIREMENT = re.compile(r"(?<![\w/.\\-])(?P<name>duck|duckweb)\[(?P<extras>[a-z0-9_, -]+)\]")
# Looser, for the wrong name: also an f-string's computed extra (duck[{name}]).
DUCK_EXTRAS = re.compile(r"(?<![\w/.\\-])duck\[[\w{]")


def text_files() -> list[Path]:
    files: list[Path] = []
    for source in SOURCES:
        path = ROOT / source
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [p for p in candidates if p.is_file() and (p.suffix in TEXT_SUFFIXES or p.name.endswith("-tpl"))]
    return files


def lines() -> list[tuple[str, str]]:
    found = []
    for path in text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found.append((f"{path.relative_to(ROOT)}:{number}", line))
    return found


def requirements() -> list[tuple[str, str, list[str]]]:
    found = []
    for place, line in lines():
        for match in REQUIREMENT.finditer(line):
            extras = [extra.strip() for extra in match["extras"].split(",")]
            found.append((place, match["name"], extras))
    return found


def defined_extras() -> set[str]:
    """The keys of pyproject.toml's [project.optional-dependencies] (tomllib is 3.11+, duck runs on 3.10)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]\n", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+) = \[", section, flags=re.M))


def test_the_scan_sees_the_files_that_name_extras():
    where = {place.split(":")[0] for place, _, _ in requirements()}
    assert {"docs/database.md", "docs/compression.md", "duck/db/config.py", "duck/http/compression.py"} <= where


def test_extras_are_installed_from_duckweb_never_duck():
    wrong = [f"{place}: {line.strip()}" for place, line in lines() if DUCK_EXTRAS.search(line)]
    assert not wrong, "the distribution is duckweb: write duckweb[...] in " + "; ".join(wrong)


def test_every_extra_named_exists_in_pyproject():
    defined = defined_extras()
    unknown = [f"{place}: {extra}" for place, _, extras in requirements() for extra in extras if extra not in defined]
    assert not unknown, f"extras pyproject.toml does not define ({sorted(defined)}): " + "; ".join(unknown)
