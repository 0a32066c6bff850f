"""Rendering with the Jinja2 backend: lookup, autoescaping, the url()/static() globals, OPTIONS."""

from __future__ import annotations

import jinja2
import pytest

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured, NoReverseMatch
from duck.http.request import Request
from duck.template import get_engines, get_template, render_to_string, static
from tests.template.conftest import OTHER_DIR, TEMPLATE_DIR, templates_setting


def test_render_to_string_fills_the_context():
    assert render_to_string("hello.html", {"name": "Ada"}) == "<p>Hello Ada!</p>"


def test_templates_in_subfolders_are_found_by_relative_name():
    assert render_to_string("sub/inner.html", {"name": "x"}) == "inner x"


def test_html_templates_escape_variables():
    rendered = render_to_string("escape.html", {"value": "<b>&'\""})
    assert rendered == "&lt;b&gt;&amp;&#39;&#34;|<b>&'\""


def test_other_extensions_escape_by_default():
    # Forgetting to escape is the costly mistake, so even .txt templates escape unless told not to.
    assert render_to_string("notes.txt", {"value": "<i>"}) == "&lt;i&gt;"


def test_from_string_templates_escape():
    template = get_engines()[0].from_string("{{ v }}")
    assert template.render(v="<x>") == "&lt;x&gt;"


def test_autoescape_can_be_turned_off_in_options():
    with settings.override(TEMPLATES=templates_setting(TEMPLATE_DIR, autoescape=False)):
        assert render_to_string("notes.txt", {"value": "<i>"}) == "<i>"


def test_request_is_in_the_context_when_given():
    request = Request("GET", "/some/where")
    assert render_to_string("request.html", request=request) == "GET /some/where"


def test_context_request_wins_over_the_argument():
    shown = Request("POST", "/shown")
    assert render_to_string("request.html", {"request": shown}, request=Request("GET", "/hidden")) == "POST /shown"


def test_missing_template_raises_template_not_found_naming_the_folders():
    with pytest.raises(jinja2.TemplateNotFound) as info:
        get_template("nope.html")
    assert "nope.html" in str(info.value)
    assert str(TEMPLATE_DIR) in info.value.message


def test_a_list_of_names_renders_the_first_that_exists():
    assert get_template(["missing.html", "hello.html"]).render(name="B") == "<p>Hello B!</p>"


def test_dirs_are_searched_in_order():
    with settings.override(TEMPLATES=templates_setting(OTHER_DIR, TEMPLATE_DIR)):
        assert render_to_string("hello.html", {"name": "C"}) == "<p>Other hello C</p>"
        assert render_to_string("sub/inner.html", {"name": "D"}) == "inner D"


def test_environment_is_cached_and_rebuilt_when_settings_change():
    first = get_engines()
    assert get_engines() is first
    with settings.override(TEMPLATES=templates_setting(OTHER_DIR)):
        assert get_engines() is not first
        assert render_to_string("hello.html", {"name": "E"}) == "<p>Other hello E</p>"
    assert render_to_string("hello.html", {"name": "F"}) == "<p>Hello F!</p>"


def test_options_globals_and_filters_accept_dotted_paths():
    options = {
        "filters": {"shout": "tests.template.helpers.shout"},
        "globals": {"greeting": "tests.template.helpers.greeting"},
    }
    with settings.override(TEMPLATES=templates_setting(TEMPLATE_DIR, **options)):
        assert render_to_string("shout.html", {"name": "duck"}) == "DUCK! hi"


def test_environment_factory_option_builds_the_environment():
    options = {"environment": "jinja2.sandbox.SandboxedEnvironment"}
    with settings.override(TEMPLATES=templates_setting(TEMPLATE_DIR, **options)):
        assert type(get_engines()[0].env).__name__ == "SandboxedEnvironment"


@pytest.mark.parametrize(
    ("templates", "fragment"),
    [
        ([], "non-empty list"),
        ("duck.template.Jinja2", "expected list of dict"),  # refused as the settings load
        ([{"DIRS": []}], "'BACKEND'"),
        ([{"BACKEND": "duck.template.Nope"}], "has no attribute 'Nope'"),
        ([{"BACKEND": "duck.template.Jinja2", "DIRS": "templates"}], "must be a list"),
    ],
)
def test_malformed_templates_setting_is_improperly_configured(templates, fragment):
    with pytest.raises(ImproperlyConfigured, match=fragment), settings.override(TEMPLATES=templates):
        get_engines()


def test_url_global_reverses_named_routes_with_kwargs_and_args():
    assert render_to_string("links.html") == "/items/7 /items/8 /static/css/site.css"


def test_url_global_accepts_a_route_parameter_called_name():
    template = get_engines()[0].from_string("{{ url('greet', name='ada', to='bob') }}")
    assert template.render() == "/greet/ada/bob"


def test_url_global_raises_for_unknown_names():
    template = get_engines()[0].from_string("{{ url('nope') }}")
    with pytest.raises(NoReverseMatch) as caught:
        template.render()
    assert "Did you mean" not in str(caught.value)  # nothing like 'nope' among the routes


def test_a_mistyped_name_in_url_gets_a_did_you_mean():
    template = get_engines()[0].from_string("{{ url('itme', id=1) }}")
    with pytest.raises(NoReverseMatch, match="Did you mean 'item'\\?"):
        template.render()


@pytest.mark.parametrize(
    ("static_url", "path", "expected"),
    [
        ("/static/", "css/site.css", "/static/css/site.css"),
        ("/static/", "/css/site.css", "/static/css/site.css"),
        ("/assets", "app.js", "/assets/app.js"),
        ("https://cdn.example.com/s/", "img/a b.png", "https://cdn.example.com/s/img/a%20b.png"),
        ("/static/", "https://example.com/x.css", "https://example.com/x.css"),
    ],
)
def test_static_joins_static_url_and_encodes_the_path(static_url, path, expected):
    with settings.override(STATIC_URL=static_url):
        assert static(path) == expected
