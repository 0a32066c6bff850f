"""template_problems(): route names in templates' url() calls that no route has, found by parsing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from duck.conf import settings
from duck.template.checks import template_problems
from duck.urls import include, path
from tests.template.conftest import templates_setting
from tests.urls.views import home, item

ROUTES = [
    path("/", home, name="home"),
    path("/items/<int:id>", item, name="item"),
    path("/api/", include([path("/items/<int:id>", item, name="item")], namespace="api")),
]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # files are shown relative to the current folder, as `duck check` runs
    (tmp_path / "templates").mkdir()
    return tmp_path / "templates"


def problems_in(folder: Path, **options: object) -> list[str]:
    with settings.override(TEMPLATES=templates_setting(folder, **options), ROOT_URLCONF=ROUTES):
        return [str(problem) for problem in template_problems()]


def test_an_unknown_name_is_reported_with_its_file_line_and_the_closest_route_name(folder):
    (folder / "page.html").write_text(
        '<a href="{{ url("home") }}">home</a>\n'
        "{% for i in [1, 2] %}\n"
        "  <a href=\"{{ url('itme', id=i) }}\">{{ i }}</a>\n"
        "{% endfor %}\n"
        "{{ url('nothing_like_any_route') }}\n"
    )
    assert problems_in(folder) == [
        "templates/page.html:3: url('itme') names no route: did you mean 'item'?",
        "templates/page.html:5: url('nothing_like_any_route') names no route.",
    ]


def test_namespaced_names_and_names_known_only_at_render_time_pass(folder):
    (folder / "ok.html").write_text(
        "{{ url('api:item', id=1) }} {{ url('item', 2) }}\n"
        "{% set name = 'nope' %}{{ url(name) }} {{ url('no' ~ 'pe') }}\n"
        "{% macro link(to) %}{{ url(to) }}{% endmacro %}\n"
    )
    assert problems_in(folder) == []


def test_text_that_only_looks_like_a_call_is_not_one(folder):
    """Jinja's parser, not a regex: raw blocks, comments and plain text hold no calls."""
    (folder / "text.html").write_text(
        "{% raw %}{{ url('nope') }}{% endraw %}\n{# url('nope') #}\nurl('nope') in prose\n"
        "{% if false %}{{ url('nope', 1) }}{% endif %}\n"
    )
    assert problems_in(folder) == ["templates/text.html:4: url('nope') names no route."]


def test_the_engines_own_syntax_is_used(folder):
    (folder / "custom.html").write_text("<< url('hom') >> {{ url('nope') }}\n")
    found = problems_in(folder, variable_start_string="<<", variable_end_string=">>")
    assert found == ["templates/custom.html:1: url('hom') names no route: did you mean 'home'?"]


def test_subfolders_are_searched_and_templates_that_do_not_parse_are_reported(folder):
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.html").write_text("\n\n{{ url('homme') }}\n")
    (folder / "broken.html").write_text("fine\n{% if %}\n")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")
    assert problems_in(folder) == [
        "templates/broken.html:2: the template does not parse: Expected an expression, got 'end of statement block'",
        "templates/sub/deep.html:3: url('homme') names no route: did you mean 'home'?",
    ]


def test_an_engine_whose_url_is_the_projects_own_is_not_checked(folder):
    (folder / "page.html").write_text("{{ url('anything') }}\n")
    assert problems_in(folder, globals={"url": "tests.template.helpers.shout"}) == []


def test_a_file_outside_the_current_folder_is_shown_with_its_full_path(folder, monkeypatch, tmp_path):
    (folder / "page.html").write_text("{{ url('itme') }}\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with settings.override(TEMPLATES=templates_setting(folder), ROOT_URLCONF=ROUTES):
        [problem] = template_problems()
    assert (problem.filename, problem.line) == (str(folder / "page.html"), 1)
