"""Settings for the server tests: the sample project's when the suite names it, a minimal set otherwise."""

from __future__ import annotations

import os

import pytest

from duck.conf import ENVIRONMENT_VARIABLE, settings

if not settings.configured and not os.environ.get(ENVIRONMENT_VARIABLE):
    settings.configure(DEBUG=False, SECRET_KEY="server-tests", ALLOWED_HOSTS=["*"], SERVER_ACCESS_LOG=False)


@pytest.fixture(params=["httptools", "h11"], autouse=True)
def http_parser(request: pytest.FixtureRequest):
    """Every server test runs with both parsers: they must be exactly as strict (SERVER_HTTP_PARSER)."""
    from tests.server import helpers

    helpers.HTTP_PARSER = request.param
    with settings.override(SERVER_HTTP_PARSER=request.param):
        yield request.param
    helpers.HTTP_PARSER = "httptools"
