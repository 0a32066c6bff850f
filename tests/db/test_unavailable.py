"""A database that is down, or a pool with no free connection: 503 with a short message, then recovery."""

from __future__ import annotations

import logging
import threading

import pytest

from duck.db import get_engine
from duck.test import Client, override_settings

pytestmark = pytest.mark.interop


@pytest.fixture
def restartable_postgres(postgres_server):
    """The session's server, always running again after the test (even a failed one)."""
    yield postgres_server
    if not postgres_server.is_running():
        postgres_server.start()


@pytest.mark.parametrize("kind", ["sync", "async", "fast"])
def test_database_down_gives_503_then_recovers(restartable_postgres, kind, caplog):
    server = restartable_postgres
    url = server.url(server.create_database())
    from sqlalchemy import create_engine

    from duck.db import Model
    from tests.db import models  # noqa: F401

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    Model.metadata.create_all(engine)
    engine.dispose()
    with override_settings(DATABASES={"default": {"URL": url}}, ROOT_URLCONF="tests.db.urls"):
        client = Client()
        assert client.get(f"/{kind}/count").status_code == 200
        server.stop()
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="duck"):
            down = client.get(f"/{kind}/count")
        assert down.status_code == 503
        assert b"database is unavailable" in down.content
        assert b"Traceback" not in down.content
        errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert len(errors) == 1, [record.getMessage() for record in errors]
        assert errors[0].exc_info is None  # one line, no traceback: the cause is named in it
        assert "DatabaseUnavailable" not in errors[0].getMessage()
        # The pool dropped its connections: now connecting itself is refused, which is 503 as well.
        refused = client.get(f"/{kind}/count")
        assert refused.status_code == 503, refused.content
        server.start()
        # The pool dropped its dead connections when the failure was seen: the next request reconnects.
        assert client.get(f"/{kind}/count").status_code == 200
        client.close()


def test_pool_exhaustion_waits_pool_timeout_then_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'pool.sqlite3'}"
    settings = {
        "DATABASES": {"default": {"URL": url}},
        "ROOT_URLCONF": "tests.db.urls",
        "DATABASE_POOL_SIZE": 1,
        "DATABASE_MAX_OVERFLOW": 0,
        "DATABASE_POOL_TIMEOUT": 0.2,
    }
    from duck.db import Model
    from tests.db import models  # noqa: F401

    with override_settings(**settings):
        Model.metadata.create_all(get_engine())
        held = get_engine().connect()  # the only connection of the pool
        try:
            client = Client()
            response = client.get("/sync/count")
            assert response.status_code == 503
            assert b"database is busy" in response.content
        finally:
            held.close()
        assert client.get("/sync/count").status_code == 200
        client.close()


def test_connect_timeout_bounds_an_unanswering_server():
    """A server that accepts TCP but never answers: the request fails within DATABASE_CONNECT_TIMEOUT."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"postgresql://nobody@127.0.0.1:{port}/none"
        with override_settings(
            DATABASES={"default": {"URL": url}}, ROOT_URLCONF="tests.db.urls", DATABASE_CONNECT_TIMEOUT=1
        ):
            client = Client()
            started = time.monotonic()
            assert client.get("/sync/count").status_code == 503
            assert time.monotonic() - started < 10
            client.close()
    finally:
        stop.set()
        thread.join(5)
        for sock in accepted:
            sock.close()
        listener.close()
