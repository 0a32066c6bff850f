"""TemplateResponse renders lazily; the render() and redirect() shortcuts."""

from __future__ import annotations

import pytest

from duck.exceptions import NoReverseMatch
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.shortcuts import redirect, render
from duck.template import TemplateResponse
from duck.test import AsyncClient


def test_template_response_is_not_rendered_until_needed():
    response = TemplateResponse(Request("GET", "/"), "hello.html", {"name": "A"})
    assert not response.is_rendered
    response.context_data["name"] = "changed by middleware"
    assert response.content == b"<p>Hello changed by middleware!</p>"
    assert response.is_rendered


def test_template_response_renders_once():
    response = TemplateResponse(None, "hello.html", {"name": "A"})
    response.render()
    response.context_data["name"] = "B"
    assert response.render().content == b"<p>Hello A!</p>"


def test_setting_content_replaces_the_rendering():
    response = TemplateResponse(None, "hello.html", {"name": "A"})
    response.content = "replaced"
    assert response.is_rendered
    assert response.content == b"replaced"


def test_header_list_renders_first_so_content_length_is_right():
    response = TemplateResponse(None, "hello.html", {"name": "A"}, status=201, headers={"x-a": "1"})
    headers = dict(response.header_list())
    assert headers[b"content-length"] == str(len(b"<p>Hello A!</p>")).encode()
    assert headers[b"x-a"] == b"1"
    assert response.status_code == 201


async def test_iterating_renders_for_streaming_front_doors():
    sync_chunks = list(TemplateResponse(None, "hello.html", {"name": "S"}).iter_sync())
    async_chunks = [chunk async for chunk in TemplateResponse(None, "hello.html", {"name": "S"}).iter_async()]
    assert sync_chunks == async_chunks == [b"<p>Hello S!</p>"]


def test_template_response_is_an_http_response_with_html_type():
    response = TemplateResponse(None, "hello.html")
    assert isinstance(response, HttpResponse)
    assert response["content-type"] == "text/html; charset=utf-8"


async def test_view_returning_template_response_is_served_by_the_dispatcher():
    response = await AsyncClient().get("/lazy")
    assert response.status_code == 200
    assert response.content == b"<p>Hello lazy!</p>"


def test_render_shortcut_returns_a_rendered_response():
    request = Request("GET", "/")
    response = render(request, "hello.html", {"name": "R"}, status=202, content_type="text/plain; charset=utf-8")
    assert response.status_code == 202
    assert response.content == b"<p>Hello R!</p>"
    assert response["content-type"] == "text/plain; charset=utf-8"


def test_render_shortcut_passes_the_request():
    assert render(Request("GET", "/here"), "request.html").content == b"GET /here"


@pytest.mark.parametrize(
    ("args", "kwargs", "location"),
    [
        (("/login",), {}, "/login"),
        (("https://example.com/a",), {}, "https://example.com/a"),
        (("item",), {"id": 4}, "/items/4"),
        (("item", 5), {}, "/items/5"),
        (("../up",), {}, "../up"),
        (("page.html",), {}, "page.html"),
    ],
)
def test_redirect_goes_to_urls_and_named_routes(args, kwargs, location):
    response = redirect(*args, **kwargs)
    assert response.status_code == 302
    assert response["location"] == location


def test_redirect_accepts_route_parameters_called_to_and_name():
    assert redirect("greet", name="ada", to="bob")["location"] == "/greet/ada/bob"


def test_redirect_permanent_is_301():
    assert redirect("item", id=1, permanent=True).status_code == 301


def test_redirect_to_object_uses_get_absolute_url():
    class Thing:
        def get_absolute_url(self) -> str:
            return "/things/1"

    assert redirect(Thing())["location"] == "/things/1"


def test_redirect_to_unknown_name_raises_no_reverse_match():
    with pytest.raises(NoReverseMatch):
        redirect("no-such-route")
