"""The dispatcher hook: maybe_serve_static() decides whether a request is a static file's."""

from __future__ import annotations

import pytest

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.staticfiles import maybe_serve_static, should_serve_static
from tests.staticfiles.conftest import body_of, make_request


@pytest.mark.parametrize(
    ("debug", "serve_static", "expected"),
    [(True, None, True), (False, None, False), (False, True, True), (True, False, False)],
)
def test_serve_static_defaults_to_debug(debug, serve_static, expected):
    with settings.override(DEBUG=debug, SERVE_STATIC=serve_static):
        assert should_serve_static(make_request("/static/x")) is expected


def test_static_path_is_served():
    response = maybe_serve_static(make_request("/static/css/site.css"))
    assert response is not None
    assert response.status_code == 200
    assert body_of(response) == b"body { color: red; }"


@pytest.mark.parametrize("path", ["/", "/css/site.css", "/staticfoo/css/site.css", "/static"])
def test_paths_outside_static_url_are_not_the_hooks(path):
    assert maybe_serve_static(make_request(path)) is None


def test_nothing_is_served_when_serving_is_off():
    with settings.override(DEBUG=False):
        assert maybe_serve_static(make_request("/static/css/site.css")) is None


def test_serving_can_be_forced_on_without_debug():
    with settings.override(DEBUG=False, SERVE_STATIC=True):
        response = maybe_serve_static(make_request("/static/css/site.css"))
        assert response is not None
        assert body_of(response) == b"body { color: red; }"


def test_static_url_on_another_host_is_not_served_here():
    with settings.override(STATIC_URL="https://cdn.example.com/static/"):
        assert maybe_serve_static(make_request("/static/css/site.css")) is None


def test_static_url_without_trailing_slash_still_matches_folders_only():
    with settings.override(STATIC_URL="/assets"):
        response = maybe_serve_static(make_request("/assets/css/site.css"))
        assert response is not None
        body_of(response)
        assert maybe_serve_static(make_request("/assetsx/css/site.css")) is None


@pytest.mark.parametrize("static_url", ["/", "static/"])
def test_static_url_that_would_hide_routes_is_refused(static_url):
    with settings.override(STATIC_URL=static_url), pytest.raises(ImproperlyConfigured, match="STATIC_URL"):
        maybe_serve_static(make_request("/static/css/site.css"))


@pytest.mark.parametrize("path", ["/static/missing.css", "/static/../secret.txt", "/static/%2e%2e/secret.txt"])
def test_missing_and_unsafe_files_come_back_as_404_responses(path):
    response = maybe_serve_static(make_request(path))
    assert response is not None
    assert response.status_code == 404


def test_wrong_method_comes_back_as_405_with_allow():
    response = maybe_serve_static(make_request("/static/css/site.css", "POST"))
    assert response is not None
    assert response.status_code == 405
    assert response["allow"] == "GET, HEAD"


def test_websocket_requests_are_left_to_the_dispatcher():
    request = make_request("/static/css/site.css", upgrade="websocket", connection="Upgrade")
    assert maybe_serve_static(request) is None
