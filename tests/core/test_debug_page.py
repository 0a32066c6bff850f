"""The DEBUG 500 and 404 pages: what they show, the secrets they never show, and never with DEBUG off."""

from __future__ import annotations

import os
import re

import pytest

from duck.conf.checks import MASK
from duck.http import HttpResponse
from duck.test import Client, override_settings
from duck.urls import path

SETTINGS_SECRET = "settings-secret-key-1234567890"
REDIS_PASSWORD = "redis-pass-5544"
COOKIE_VALUE = "cookie-session-abcdef"
BEARER = "bearer-token-998877"
QUERY_TOKEN = "query-token-665544"
LOCAL_PASSWORD = "local-password-332211"
SECRETS = (SETTINGS_SECRET, REDIS_PASSWORD, COOKIE_VALUE, BEARER, QUERY_TOKEN, LOCAL_PASSWORD)


def compute_total(items: list[dict[str, float]], discount: int) -> float:
    subtotal = sum(item["price"] for item in items)
    return subtotal / discount


def checkout(request, order_id):
    api_token = request.headers["authorization"].partition(" ")[2]  # a local whose name looks secret
    customer = {"name": "Ann", "password": request.GET["pw"]}  # a secret inside a dict
    items = [{"price": 12.5}, {"price": 3.0}]
    discount = int(request.GET.get("discount", "0"))
    total = compute_total(items, discount)
    return HttpResponse(f"{total} {customer} {api_token}")


def chained(request):
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError("could not load the basket") from exc


urlpatterns = [
    path("/orders/<int:order_id>/checkout", checkout, name="checkout"),
    path("/chained", chained, name="chained"),
]

SETTINGS = {
    "ROOT_URLCONF": __name__,
    "SECRET_KEY": SETTINGS_SECRET,
    "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0",
}
URL = f"/orders/42/checkout?discount=0&token={QUERY_TOKEN}&pw={LOCAL_PASSWORD}"
HEADERS = {"cookie": f"sessionid={COOKIE_VALUE}", "authorization": f"Bearer {BEARER}"}


def get(url: str, debug: bool, headers: dict[str, str] | None = None):
    with override_settings(DEBUG=debug, **SETTINGS), Client() as client:
        return client.get(url, headers=headers or HEADERS)


@pytest.fixture(scope="module")
def page() -> str:
    response = get(URL, debug=True)
    assert response.status_code == 500
    assert response["content-type"] == "text/html; charset=utf-8"
    return response.text


def test_exception_and_message_come_first(page):
    header = page.split("</header>")[0]
    assert "ZeroDivisionError" in header
    assert "division by zero" in header
    assert "test_debug_page.py" in header and "compute_total" in header


def test_the_users_own_frame_is_shown_first_highlighted_with_source_and_locals(page):
    where = page.split('id="where"')[1].split("</section>")[0]
    assert '<details class="frame culprit" open>' in where
    assert "compute_total" in where
    assert "return subtotal / discount" in where  # the failing line
    assert '<div class="current">' in where
    assert "<th>subtotal</th>" in where and "15.5" in where  # local variables
    assert "<th>discount</th>" in where


def test_framework_frames_are_collapsed_and_own_frames_open(page):
    traceback_section = page.split("Traceback (most recent call last)")[1].split("</section>")[0]
    assert '<details class="libs">' in traceback_section  # duck's frames: closed
    assert "frames of duck, Python or packages" in traceback_section
    assert '<details class="frame own" open><summary><span class="file">' in traceback_section
    assert "in <b>checkout</b>" in traceback_section


def test_request_route_and_settings_are_shown(page):
    assert "<th>Method</th><td><code>GET</code>" in page
    assert "<th>Route</th><td><code>/orders/&lt;int:order_id&gt;/checkout</code>" in page
    assert "<th>Name</th><td><code>checkout</code>" in page
    assert "<th>ALLOWED_HOSTS</th>" in page and "<th>SECRET_KEY</th>" in page


def test_secrets_are_masked_everywhere_on_the_page(page):
    for secret in SECRETS:
        assert secret not in page, secret
    assert f"<th>SECRET_KEY</th><td><code>{MASK}</code>" in page
    assert f"redis://:{MASK}@127.0.0.1" in page
    assert f"<th>cookie</th><td><code>{MASK}</code>" in page
    assert f"<th>authorization</th><td><code>{MASK}</code>" in page
    assert f"<th>sessionid</th><td><code>{MASK}</code>" in page
    assert f"<th>token</th><td><code>{MASK}</code>" in page
    assert f"<th>api_token</th><td><code>{MASK}</code>" in page
    assert "&#x27;password&#x27;: &#x27;********&#x27;" in page  # inside the customer dict


def test_long_reprs_are_truncated():
    from duck.core.debug import REPR_LIMIT, shown_value

    text = shown_value("big", "x" * 10_000)
    assert len(text) < REPR_LIMIT + 50 and text.endswith("more characters)")


def test_chained_exceptions_are_all_shown():
    page = get("/chained", debug=True).text
    assert "RuntimeError" in page and "could not load the basket" in page
    assert "The above was raised from this exception: KeyError" in page


def test_nothing_of_it_with_debug_off():
    response = get(URL, debug=False)
    assert response.status_code == 500
    assert "Traceback" not in response.text and "compute_total" not in response.text
    assert "ZeroDivisionError" not in response.text and "SECRET_KEY" not in response.text
    for secret in SECRETS:
        assert secret not in response.text
    assert '<p class="status">500</p>' in response.text  # duck's plain page (tests/core/test_error_pages.py)
    assert len(response.text) < 2000


def test_404_page_lists_the_routes_tried_with_debug_on_only():
    page = get("/orders/42", debug=True).text
    assert "No route matches <code>/orders/42</code>" in page
    assert re.search(r"<li><code>/orders/&lt;int:order_id&gt;/checkout</code></li>\s*<li><code>/chained</code>", page)
    plain = get("/orders/42", debug=False)
    assert plain.status_code == 404
    assert "/chained" not in plain.text and "route" not in plain.text.lower()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


@pytest.mark.interop
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)")
@pytest.mark.parametrize("url", [URL, "/orders/42"], ids=["500", "404"])
def test_pages_fit_a_1200px_window_without_horizontal_scrolling(url):
    playwright = pytest.importorskip("playwright.sync_api")
    html = get(url, debug=True).text
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            view = browser.new_page(viewport={"width": 1200, "height": 900})
            view.set_content(html, timeout=10_000)
            width = view.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()
    assert width <= 1200
