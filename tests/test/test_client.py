"""The in-process test clients against the sample project: every route, cookies, redirects, bodies."""

from __future__ import annotations

import io

import pytest

from duck.conf import settings
from duck.http.request import Request
from duck.http.response import HttpResponse, RedirectResponse, UpgradeResponse
from duck.test import AsyncClient, Client, TestResponse, TooManyRedirects, override_settings
from tests.apps.sample import views


@pytest.fixture
def client():
    with Client() as client:
        yield client


# -- views of every kind ---------------------------------------------------------------------------
def test_sync_function_view_returns_text(client):
    response = client.get("/hello")
    assert (response.status_code, response.reason_phrase) == (200, "OK")
    assert response["content-type"] == "text/plain; charset=utf-8"
    assert response["content-length"] == "12"
    assert response.text == "Hello, duck!"


def test_path_is_percent_decoded_as_utf8(client):
    assert client.get("/greet/caf%C3%A9").text == "Hello, café!"
    assert client.get("/greet/café").text == "Hello, café!"


def test_async_view_gets_converted_int_param(client):
    response = client.get("/items/42")
    assert response["content-type"] == "application/json"
    assert response.json() == {"id": 42, "type": "int"}


def test_int_converter_rejects_non_digits_with_404(client):
    assert client.get("/items/abc").status_code == 404


def test_class_based_view_get(client):
    assert client.get("/things").text == "all the things"


def test_class_based_view_post_with_urlencoded_form(client):
    response = client.post("/things", {"name": "Donald", "kind": ["duck", "cartoon"]})
    assert response.status_code == 201
    assert response.json() == {"created": {"name": "Donald", "kind": "cartoon"}}
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert response.request.POST.getlist("kind") == ["duck", "cartoon"]


def test_json_body_is_echoed(client):
    response = client.post("/echo-json", json={"name": "Daisy", "tags": ["é", 1]})
    assert response.status_code == 200
    assert response.json() == {"received": {"name": "Daisy", "tags": ["é", 1]}}
    assert response.request.headers["content-type"] == "application/json"


def test_malformed_json_body_is_400(client):
    response = client.post("/echo-json", b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "Malformed JSON" in response.text


def test_multipart_upload_reports_name_size_and_field(client):
    response = client.post("/upload", {"title": "A duck"}, files={"file": ("duck.txt", b"quack quack")})
    assert response.status_code == 200
    assert response.json() == {
        "name": "duck.txt",
        "size": 11,
        "content_type": "text/plain",
        "title": "A duck",
        "sha": b"quack qu".hex(),
    }
    assert response.request.headers["content-type"].startswith("multipart/form-data; boundary=")


def test_multipart_upload_from_file_object_and_explicit_content_type(client):
    photo = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    photo.name = "/tmp/photos/duck.png"
    response = client.post("/upload", files={"file": photo})
    assert response.json()["name"] == "duck.png"
    assert response.json()["size"] == 264
    assert response.json()["content_type"] == "image/png"
    typed = client.post("/upload", files={"file": ("data.bin", b"\x00\x01", "application/x-duck")})
    assert typed.json()["content_type"] == "application/x-duck"


def test_multipart_field_names_with_quotes_survive_the_round_trip(client):
    response = client.post("/upload", {"title": 'say "quack"\r\n'}, files={"file": ('we"ird.txt', "ü")})
    assert response.json()["name"] == "we%22ird.txt"  # quotes are escaped as browsers do (WHATWG)
    assert response.json()["title"] == 'say "quack"\r\n'
    assert response.json()["size"] == 2


def test_http404_becomes_404_with_its_message(client):
    response = client.get("/missing")
    assert response.status_code == 404
    assert "No such duck." in response.text


def test_unknown_path_is_404(client):
    assert client.get("/nowhere").status_code == 404


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/only-get")
    assert response.status_code == 405
    assert response["allow"] == "GET, HEAD"


def test_head_has_headers_but_no_body(client):
    response = client.head("/only-get")
    assert response.status_code == 200
    assert response["content-length"] == "8"
    assert response.content == b""


def test_view_error_is_500_without_internals(client):
    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


@override_settings(DEBUG=True)
def test_view_error_shows_the_traceback_with_debug(client):
    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" in response.text


def test_streaming_response_is_collected_chunk_by_chunk(client):
    response = client.get("/stream")
    assert response.streaming is True  # read through to the original response
    assert response.chunks == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert response.text == "chunk 0\nchunk 1\nchunk 2\n"
    assert "content-length" not in response


def test_async_streaming_response_runs_to_its_end(client):
    before = len(views.TICKS_FINISHED)
    response = client.get("/ticks", query_params={"limit": 3})
    assert response.text == "tick 0\ntick 1\ntick 2\n"
    assert views.TICKS_FINISHED[before:] == [3]


def test_options_lists_the_class_based_view_methods(client):
    response = client.options("/things")
    assert set(response["allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_verb_reaches_the_view(client, method):
    response = getattr(client, method)("/echo", b"payload", headers={"content-type": "text/plain"})
    assert response.json()["method"] == method.upper()
    assert response.json()["body"] == "payload"


# -- query strings, headers, hosts ----------------------------------------------------------------
def test_query_from_path_data_and_query_params_is_merged(client):
    response = client.get("/echo?a=1", {"b": "2"}, query_params={"c": "é"})
    assert response.json()["query"] == {"a": "1", "b": "2", "c": "é"}
    assert response.request.query_string == "a=1&b=2&c=%C3%A9"


def test_absolute_url_is_accepted(client):
    response = client.get("https://testserver/echo")
    assert response.json()["scheme"] == "https"
    assert response.request.is_secure()


def test_default_host_is_testserver_and_other_hosts_are_refused(client):
    assert client.get("/hello").request.host == "testserver"
    assert client.get("/hello", headers={"host": "evil.example"}).status_code == 400


def test_client_default_headers_are_sent_and_request_headers_win():
    with Client(headers={"x-team": "ducks", "accept": "text/plain"}) as client:
        request = client.get("/hello", headers={"accept": "application/json"}).request
    assert request.headers["x-team"] == "ducks"
    assert request.headers["accept"] == "application/json"
    assert request.client == ("127.0.0.1", 50000)


# -- cookies ------------------------------------------------------------------------------------
def test_cookies_persist_across_requests_and_max_age_zero_deletes(client):
    set_response = client.get("/cookies/set")
    set_cookie = set_response["set-cookie"]
    assert set_cookie.startswith("flavour=mallard; Expires=")  # from Max-Age, for clients that ignore it
    assert set_cookie.endswith("; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax")
    assert client.cookies["flavour"] == "mallard"
    assert client.get("/cookies").json() == {"flavour": "mallard"}
    client.get("/cookies/clear")
    assert "flavour" not in client.cookies
    assert client.get("/cookies").json() == {}


def test_cookies_set_by_hand_are_sent(client):
    client.cookies["session"] = "abc"
    assert client.get("/cookies").json() == {"session": "abc"}


def test_cookie_jar_honours_expires_and_max_age_precedence():
    from duck.test import CookieJar

    jar = CookieJar()
    jar.update_from_headers(["a=1", "b=2; Expires=Thu, 01 Jan 2099 00:00:00 GMT", "c=3"])
    jar.update_from_headers(
        ["a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "c=4; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60"]
    )
    assert dict(jar) == {"b": "2", "c": "4"}
    assert jar.header() == "b=2; c=4"


# -- redirects ----------------------------------------------------------------------------------
def test_redirect_is_not_followed_by_default(client):
    response = client.get("/old")
    assert response.status_code == 302
    assert response["location"] == "/hello"
    assert response.url == "/hello"  # RedirectResponse.url, read through to the original response
    assert response.redirect_chain == []


def test_follow_records_the_chain(client):
    response = client.get("/old", follow=True)
    assert response.text == "Hello, duck!"
    assert response.redirect_chain == [("/hello", 302)]


@pytest.mark.parametrize("status", [307, 308])
def test_307_and_308_keep_method_and_body(client, status):
    response = client.post(f"/go/{status}", {"x": "1"}, follow=True)
    assert response.json() == {
        "method": "POST",
        "path": "/echo",
        "query": {"via": "go"},
        "body": "x=1",
        "content_type": "application/x-www-form-urlencoded",
        "scheme": "http",
    }
    assert response.redirect_chain == [("/echo?via=go", status)]


@pytest.mark.parametrize("status", [301, 302, 303])
def test_301_302_303_turn_post_into_get_without_body(client, status):
    data = client.post(f"/go/{status}", {"x": "1"}, follow=True).json()
    assert (data["method"], data["body"], data["content_type"]) == ("GET", "", "")


def test_303_turns_put_into_get_but_301_keeps_it(client):
    assert client.put("/go/303", b"x", follow=True).json()["method"] == "GET"
    assert client.put("/go/301", b"x", follow=True).json() == {
        "method": "PUT",
        "path": "/echo",
        "query": {"via": "go"},
        "body": "x",
        "content_type": "",
        "scheme": "http",
    }


class LoopingHandler:
    """A stand-in dispatcher that redirects every request to itself."""

    async def handle(self, request: Request) -> HttpResponse:
        return RedirectResponse(request.path)


def test_redirect_loop_stops_after_20():
    with Client(handler=LoopingHandler()) as client, pytest.raises(TooManyRedirects) as caught:
        client.get("/again", follow=True)
    assert len(caught.value.chain) == 21


# -- WebSocket routes ---------------------------------------------------------------------------
def test_websocket_route_without_upgrade_is_426(client):
    assert client.get("/ws/plain").status_code == 426


def test_websocket_upgrade_returns_the_upgrade_response_untouched(client):
    response = client.get("/ws/hello", headers={"upgrade": "websocket", "connection": "Upgrade"})
    assert response.status_code == 101
    assert isinstance(response.response, UpgradeResponse)
    assert response.content == b""


# -- the clients themselves ---------------------------------------------------------------------
async def test_async_client_does_what_the_sync_one_does():
    client = AsyncClient()
    assert (await client.get("/items/7")).json() == {"id": 7, "type": "int"}
    assert (await client.post("/echo-json", json=[1, 2])).json() == {"received": [1, 2]}
    assert (await client.head("/hello")).content == b""
    assert (await client.options("/things")).status_code == 200
    for method in ("put", "patch", "delete"):
        assert (await getattr(client, method)("/echo")).json()["method"] == method.upper()
    await client.get("/cookies/set")
    followed = await client.get("/old", follow=True)
    assert (followed.text, followed.redirect_chain) == ("Hello, duck!", [("/hello", 302)])
    assert (await client.get("/cookies")).json() == {"flavour": "mallard"}


async def test_sync_client_refuses_to_run_inside_an_event_loop():
    with Client() as client, pytest.raises(RuntimeError, match="AsyncClient"):
        client.get("/hello")


def test_sync_client_closes_its_loop_and_reopens_on_demand():
    client = Client()
    client.get("/hello")
    loop = client._loop
    client.close()
    assert loop is not None and loop.is_closed()
    assert client.get("/hello").status_code == 200
    client.close()


def test_test_response_repr_and_request(client):
    response = client.get("/hello?x=1")
    assert isinstance(response, TestResponse)
    assert isinstance(response.response, HttpResponse)
    assert repr(response) == "<TestResponse 200 GET '/hello?x=1'>"
    assert response.request.path == "/hello"


# -- override_settings ------------------------------------------------------------------------------
def test_override_settings_as_context_manager():
    before = settings.SERVER_MAX_BODY_SIZE
    with override_settings(SERVER_MAX_BODY_SIZE=10):
        assert settings.SERVER_MAX_BODY_SIZE == 10
    assert before == settings.SERVER_MAX_BODY_SIZE


@override_settings(APPEND_SLASH=False)
async def test_override_settings_decorates_async_tests():
    assert settings.APPEND_SLASH is False


@override_settings(DEBUG=True)
class TestOverrideOnAClass:
    def test_methods_see_the_override(self):
        assert settings.DEBUG is True

    async def test_async_methods_see_it_too(self):
        assert settings.DEBUG is True

    def helper(self):
        """Not a test: left undecorated."""


def test_override_settings_is_undone_after_a_decorated_class():
    assert settings.DEBUG is False
    assert TestOverrideOnAClass.helper.__qualname__ == "TestOverrideOnAClass.helper"


def test_testserver_is_allowed_under_test_whatever_allowed_hosts_says():
    """duck's pytest plugin calls setup_test_environment(); teardown takes the allowance away."""
    from duck.test import setup_test_environment, teardown_test_environment

    with override_settings(ALLOWED_HOSTS=["example.com"], DEBUG=False), Client() as client:
        assert client.get("/hello").status_code == 200
        assert client.get("/hello", headers={"host": "other.example"}).status_code == 400
        teardown_test_environment()
        try:
            assert client.get("/hello").status_code == 400
        finally:
            setup_test_environment()
        assert client.get("/hello").status_code == 200
    assert "example.com" not in settings.ALLOWED_HOSTS


def test_body_above_server_max_body_size_is_413_as_from_a_real_server(client):
    with override_settings(SERVER_MAX_BODY_SIZE=4):
        response = client.post("/echo", b"12345")
        assert response.status_code == 413
        assert "SERVER_MAX_BODY_SIZE" in response.text
        assert client.post("/echo", b"1234").json()["body"] == "1234"
