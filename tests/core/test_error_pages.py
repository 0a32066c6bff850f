"""The pages visitors get for errors with DEBUG off: duck's own styled page, or the project's ``<status>.html``."""

from __future__ import annotations

import logging
import re

import pytest

from duck.exceptions import PermissionDenied
from duck.http import HttpResponse
from duck.test import Client, override_settings
from duck.urls import path

SECRET = "settings-secret-key-0987654321"


def broken(request):
    database_password = "local-secret-4455"  # noqa: F841 - a local the page must never show
    raise RuntimeError("internal detail: /srv/app/orders.py failed")


def forbidden(request):
    raise PermissionDenied("Only the <b>owner</b> may edit this order.")


def fine(request):
    return HttpResponse("ok")


urlpatterns = [path("/broken", broken), path("/forbidden", forbidden), path("/fine", fine)]


def get(url: str, debug: bool = False, **settings):
    with override_settings(DEBUG=debug, ROOT_URLCONF=__name__, SECRET_KEY=SECRET, **settings), Client() as client:
        return client.get(url)


@pytest.fixture
def templates(tmp_path):
    """A project templates folder; the test writes the error templates it needs into it."""
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder


def with_templates(folder) -> dict:
    return {"TEMPLATES": [{"BACKEND": "duck.template.Jinja2", "DIRS": [folder], "OPTIONS": {}}]}


@pytest.mark.parametrize(("url", "status"), [("/nowhere", 404), ("/broken", 500)])
def test_builtin_pages_are_styled_self_contained_and_show_nothing_internal(url, status):
    response = get(url)
    assert response.status_code == status
    assert response["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!doctype html>") and "<style>" in page and '<meta name="viewport"' in page
    assert f'<p class="status">{status}</p>' in page
    assert not re.search(r"<link|<script|src=|url\(|https?://", page), "nothing is loaded from elsewhere"
    for internal in ("RuntimeError", "internal detail", "orders.py", "Traceback", "local-secret", SECRET, "route"):
        assert internal not in page
    assert "/nowhere" not in page  # not even the path asked for


def test_a_safe_message_is_shown_escaped_on_the_builtin_page():
    response = get("/forbidden")
    assert response.status_code == 403
    assert '<p class="message">Only the &lt;b&gt;owner&lt;/b&gt; may edit this order.</p>' in response.text
    assert "<title>403 Forbidden</title>" in response.text


def test_the_projects_404_and_500_templates_replace_duck_s_pages(templates):
    (templates / "404.html").write_text("<h1>Lost at {{ request.path }}</h1><p>{{ status }} {{ reason }}</p>")
    (templates / "500.html").write_text("<h1>Our fault</h1><a href=\"{{ url('fine') if false else '/' }}\">home</a>")
    missing = get("/nowhere", **with_templates(templates))
    assert missing.status_code == 404
    assert missing.text == "<h1>Lost at /nowhere</h1><p>404 Not Found</p>"
    broken_page = get("/broken", **with_templates(templates))
    assert broken_page.status_code == 500
    assert broken_page.text == '<h1>Our fault</h1><a href="/">home</a>'


def test_any_error_status_can_have_its_template_and_sees_the_message(templates):
    (templates / "403.html").write_text("<p>{{ message }}</p>")
    response = get("/forbidden", **with_templates(templates))
    assert response.status_code == 403
    assert response.text == "<p>Only the &lt;b&gt;owner&lt;/b&gt; may edit this order.</p>"  # autoescaped


def test_a_template_that_fails_to_render_gives_duck_s_page_and_is_logged(templates, caplog):
    (templates / "500.html").write_text("{{ request.no_such_attribute.deeper }}")
    (templates / "404.html").write_text("{% if %}")  # a syntax error
    with caplog.at_level(logging.ERROR, logger="duck.request"):
        broken_page = get("/broken", **with_templates(templates))
        missing = get("/nowhere", **with_templates(templates))
    assert broken_page.status_code == 500 and '<p class="status">500</p>' in broken_page.text
    assert missing.status_code == 404 and '<p class="status">404</p>' in missing.text
    logged = [record.getMessage() for record in caplog.records]
    assert "The template 500.html failed to render; sending duck's built-in 500 page" in logged
    assert "Loading the template 404.html failed; sending duck's built-in 404 page" in logged


def test_with_debug_on_the_technical_404_still_wins_over_the_template(templates):
    (templates / "404.html").write_text("custom")
    response = get("/nowhere", debug=True, **with_templates(templates))
    assert response.status_code == 404 and "No route matches" in response.text


def test_pages_made_without_a_request_use_the_template_too(templates):
    (templates / "413.html").write_text("too big: {{ message }}{{ request is defined }}")
    with override_settings(SERVER_MAX_BODY_SIZE=10, **with_templates(templates)), Client() as client:
        response = client.post("/fine", data=b"x" * 11, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.text == "too big: Request body exceeds SERVER_MAX_BODY_SIZE (10 bytes).False"
