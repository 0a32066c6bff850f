"""Every URL test runs with settings configured and ROOT_URLCONF pointing at urlconf_root."""

from __future__ import annotations

import pytest

from duck.conf import settings

ROOT = "tests.urls.urlconf_root"


@pytest.fixture(autouse=True)
def url_settings():
    if not settings.configured:
        settings.configure(SECRET_KEY="url-tests")
    with settings.override(ROOT_URLCONF=ROOT):
        yield
