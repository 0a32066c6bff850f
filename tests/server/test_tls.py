"""duck's server over TLS: https:// and wss:// to real clients, every limit, timeouts and graceful shutdown.

The certificate is self-signed, made by the command docs/deployment.md gives (the ``certificate``
fixture); clients trust exactly that certificate and check the host name, as browsers do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as WSConnectionClosed
from websockets.exceptions import InvalidStatus

from duck.conf import settings
from duck.contrib.websockets import WebSocketView
from duck.core.handler import Handler
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse, StreamingResponse
from duck.server import Server
from duck.urls import path
from tests.server.helpers import (
    LIMIT_CASES,
    LIMITS,
    TIMEOUT,
    Client,
    Echo,
    FuncHandler,
    listening_socket,
    request,
    running,
)
from tests.tls import Certificate


# -- the project served ------------------------------------------------------------------------------
def scheme_view(request: Request) -> HttpResponse:
    return JsonResponse({"scheme": request.scheme, "secure": request.is_secure(), "url": request.build_absolute_uri()})


class SchemeSocket(WebSocketView):
    """Tells the client what the handshake request looked like, then echoes."""

    async def on_open(self) -> None:
        await self.send_json({"scheme": self.request.scheme, "secure": self.request.is_secure()})

    async def on_receive(self, data: bytes, opcode: int) -> None:
        await self.send_text("echo " + data.decode())


URLS = [path("/scheme", scheme_view), path("/ws/scheme", SchemeSocket)]
PROJECT = {
    "ROOT_URLCONF": URLS,
    "MIDDLEWARE": [],
    "ALLOWED_HOSTS": ["localhost", "127.0.0.1"],
    "WEBSOCKET_PING_INTERVAL": None,
    "WEBSOCKET_CLOSE_TIMEOUT": 1.0,
}


@asynccontextmanager
async def tls_running(handler: Any, certificate: Certificate, **overrides: Any) -> AsyncIterator[Server]:
    files = {"SERVER_CERTFILE": str(certificate.certfile), "SERVER_KEYFILE": str(certificate.keyfile)}
    async with running(handler, **files, **overrides) as server:
        yield server


async def tls_client(server: Server, certificate: Certificate, context: ssl.SSLContext | None = None) -> Client:
    context = context or certificate.client_context()
    return await Client.connect(server.address[1], ssl=context, server_hostname="localhost")


# -- https:// ------------------------------------------------------------------------------------------
async def test_https_requests_are_secure_and_alpn_selects_http11(certificate: Certificate):
    async with tls_running(Handler(), certificate, **PROJECT) as server:
        port = server.address[1]
        assert server.url == f"https://127.0.0.1:{port}/"
        context = certificate.client_context()
        context.set_alpn_protocols(["h2", "http/1.1"])  # what browsers offer: duck must not pick h2
        client = await tls_client(server, certificate, context)
        try:
            tls = client.writer.get_extra_info("ssl_object")
            assert tls.selected_alpn_protocol() == "http/1.1"
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            for _ in range(2):  # keep-alive: two requests on one TLS connection
                await client.send(request("GET", "/scheme", {"Host": f"localhost:{port}"}))
                resp = await client.response()
                assert resp.status == 200
                assert json.loads(resp.body) == {
                    "scheme": "https",
                    "secure": True,
                    "url": f"https://localhost:{port}/scheme",
                }
        finally:
            await client.close()


async def test_minimum_tls_version_is_enforced(certificate: Certificate):
    async with tls_running(Echo(), certificate, SERVER_SSL_MIN_VERSION="TLSv1.3") as server:
        old = certificate.client_context()
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises((ssl.SSLError, ConnectionError)):  # an alert, or the handshake cut
            await tls_client(server, certificate, old)
        client = await tls_client(server, certificate)  # a TLS 1.3 client still gets in
        try:
            await client.send(request("GET", "/"))
            assert (await client.response()).status == 200
        finally:
            await client.close()


async def test_plain_http_to_the_tls_port_gets_no_response_and_server_keeps_serving(certificate: Certificate):
    async with tls_running(Echo(), certificate) as server:
        plain = await Client.connect(server.address[1])
        try:
            await plain.send(request("GET", "/"))
            assert await plain.is_closed_by_server()
        finally:
            await plain.close()
        client = await tls_client(server, certificate)
        try:
            await client.send(request("GET", "/after"))
            assert (await client.response()).status == 200
        finally:
            await client.close()


async def test_curl_gets_https_over_http11(certificate: Certificate):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed (scripts/test.sh installs it)")
    async with tls_running(Handler(), certificate, **PROJECT) as server:
        url = f"https://localhost:{server.address[1]}/scheme"
        process = await asyncio.create_subprocess_exec(
            curl, "--silent", "--show-error", "--http2", "--cacert", str(certificate.certfile),
            "--write-out", "\n%{http_version} %{response_code}", url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT * 2)
    assert process.returncode == 0, err
    body, status = out.decode().rsplit("\n", 1)
    assert status == "1.1 200"  # offered h2 and http/1.1; ALPN chose http/1.1
    assert json.loads(body) == {"scheme": "https", "secure": True, "url": url}


# -- limits and timeouts over TLS ---------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "status"), LIMIT_CASES)
async def test_limits_answer_and_close_over_tls(certificate: Certificate, raw: bytes, status: int):
    handler = Echo()
    async with tls_running(handler, certificate, **LIMITS) as server:
        client = await tls_client(server, certificate)
        try:
            await client.send(raw)
            resp = await client.response()
            assert (resp.status, resp.header(b"connection")) == (status, b"close")
            assert await client.is_closed_by_server()
        finally:
            await client.close()
    assert handler.requests == []


async def test_upload_over_the_limit_still_gets_413_while_the_client_keeps_sending(certificate: Certificate):
    """TLS cannot half-close, so the refusal is followed by close(): the client must still read the 413."""
    async with tls_running(Echo(), certificate, SERVER_MAX_BODY_SIZE=1000) as server:
        client = await tls_client(server, certificate)
        try:
            client.writer.write(request("POST", "/", {"Transfer-Encoding": "chunked"}))
            for _ in range(20):  # 1.3 MiB of chunks, far past the limit, without waiting for an answer
                client.writer.write(b"10000\r\n" + b"z" * 0x10000 + b"\r\n")
            with contextlib.suppress(ConnectionError):  # the server may stop reading while we still write
                await asyncio.wait_for(client.writer.drain(), TIMEOUT)
            resp = await client.response()
            assert (resp.status, resp.header(b"connection")) == (413, b"close")
        finally:
            await client.close()


async def test_head_timeout_over_tls(certificate: Certificate):
    async with tls_running(Echo(), certificate, SERVER_HEAD_TIMEOUT=0.3) as server:
        slow = await tls_client(server, certificate)
        try:
            started = time.monotonic()
            await slow.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head never ends
            assert (await slow.response()).status == 408
            assert await slow.is_closed_by_server()
            assert time.monotonic() - started < 2
        finally:
            await slow.close()


async def test_idle_keepalive_connection_is_closed_over_tls(certificate: Certificate):
    async with tls_running(Echo(), certificate, SERVER_KEEPALIVE_TIMEOUT=0.3) as server:
        idle = await tls_client(server, certificate)
        try:
            await idle.send(request("GET", "/"))
            assert (await idle.response()).status == 200
            started = time.monotonic()
            assert await idle.is_closed_by_server(timeout=3)
            assert time.monotonic() - started < 2
        finally:
            await idle.close()


async def test_a_client_that_never_finishes_its_handshake_is_dropped(certificate: Certificate):
    async with tls_running(Echo(), certificate, SERVER_SSL_HANDSHAKE_TIMEOUT=0.3) as server:
        silent = await Client.connect(server.address[1])  # TCP only: no ClientHello
        try:
            started = time.monotonic()
            assert await silent.is_closed_by_server(timeout=3)
            assert time.monotonic() - started < 2.5
        finally:
            await silent.close()


async def test_connection_beyond_max_connections_gets_503_over_tls(certificate: Certificate):
    answer = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await answer.wait()
        return PlainTextResponse("done")

    async with tls_running(FuncHandler(slow), certificate, SERVER_MAX_CONNECTIONS=1) as server:
        first = await tls_client(server, certificate)
        try:
            await first.send(request("GET", "/1"))
            while len(server.state.in_flight()) < 1:  # the only slot is answering: nothing to evict
                await asyncio.sleep(0.01)
            second = await tls_client(server, certificate)
            try:
                assert (await second.response()).status == 503
            finally:
                await second.close()
            answer.set()
            assert (await first.response()).status == 200
        finally:
            answer.set()
            await first.close()


async def test_streaming_to_a_slow_tls_reader_pauses_the_generator(certificate: Certificate):
    total, chunk = 400, b"x" * 65536  # 25 MiB
    produced = [0]

    async def stream(request: Request) -> HttpResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(total):
                produced[0] += 1
                yield chunk

        return StreamingResponse(chunks(), content_type="application/octet-stream")

    async with tls_running(FuncHandler(stream), certificate, SERVER_WRITE_HIGH_WATER=16384) as server:
        client = await tls_client(server, certificate)
        try:
            await client.send(request("GET", "/"))
            previous = -1
            for _ in range(100):  # until the producer stops advancing: parked on the drain waiter
                await asyncio.sleep(0.05)
                if produced[0] == previous:
                    break
                previous = produced[0]
            assert produced[0] < total // 2, produced[0]
            received, expected = 0, total * len(chunk)
            while received < expected:
                data = await asyncio.wait_for(client.reader.read(1 << 20), TIMEOUT)
                assert data
                received += len(data)
            assert produced[0] == total
        finally:
            await client.close()


# -- graceful shutdown ----------------------------------------------------------------------------------------
async def test_graceful_shutdown_over_tls_finishes_the_request_in_flight(certificate: Certificate):
    started = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        started.set()
        await asyncio.sleep(0.3)
        return PlainTextResponse("finished")

    async with tls_running(FuncHandler(slow), certificate, SERVER_SHUTDOWN_TIMEOUT=5) as server:
        busy = await tls_client(server, certificate)
        idle = await tls_client(server, certificate)
        try:
            await busy.send(request("GET", "/slow"))
            await asyncio.wait_for(started.wait(), TIMEOUT)
            server.stop()
            resp = await busy.response()
            assert (resp.status, resp.body, resp.header(b"connection")) == (200, b"finished", b"close")
            assert await idle.is_closed_by_server()
            assert await busy.is_closed_by_server()
        finally:
            await busy.close()
            await idle.close()


# -- wss:// ---------------------------------------------------------------------------------------------------
async def test_wss_with_the_websockets_client_and_shutdown_sends_1001(certificate: Certificate):
    async with tls_running(Handler(), certificate, **PROJECT) as server:
        port = server.address[1]
        url = f"wss://localhost:{port}/ws/scheme"
        async with connect(
            url, ssl=certificate.client_context(), origin=f"https://localhost:{port}", open_timeout=TIMEOUT
        ) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {"scheme": "https", "secure": True}
            await ws.send("over tls")
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "echo over tls"
            server.stop()
            with pytest.raises(WSConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001


async def test_wss_from_another_site_is_refused(certificate: Certificate):
    async with tls_running(Handler(), certificate, **PROJECT) as server:
        url = f"wss://localhost:{server.address[1]}/ws/scheme"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, ssl=certificate.client_context(), origin="https://evil.example", open_timeout=5):
                pass
        assert refused.value.response.status_code == 403


# -- configuration ----------------------------------------------------------------------------------------------
async def test_bad_certificate_fails_at_start_and_releases_the_socket(certificate: Certificate, tmp_path):
    sock = listening_socket()
    server = Server(Echo(), sock=sock)
    missing = tmp_path / "missing.pem"
    files = {"SERVER_CERTFILE": str(missing), "SERVER_KEYFILE": str(certificate.keyfile)}
    with settings.override(**files), pytest.raises(ImproperlyConfigured, match=r"missing\.pem does not exist"):
        await server.start()
    assert sock.fileno() == -1  # closed: nothing left listening


async def test_ssl_false_serves_plain_http_despite_the_settings(certificate: Certificate):
    files = {"SERVER_CERTFILE": str(certificate.certfile), "SERVER_KEYFILE": str(certificate.keyfile)}
    with settings.override(ALLOWED_HOSTS=["*"], SERVER_ACCESS_LOG=False, **files):
        server = Server(Echo(), sock=listening_socket(), ssl=False)
        await server.start()
        try:
            assert server.url.startswith("http://")
            client = await Client.connect(server.address[1])
            try:
                await client.send(request("GET", "/"))
                assert (await client.response()).status == 200
            finally:
                await client.close()
        finally:
            await server.shutdown()


def test_handshake_refuses_renegotiation_and_sslv3_by_default(certificate: Certificate):
    from duck.server.tls import TLSOptions, create_ssl_context

    context = create_ssl_context(TLSOptions(str(certificate.certfile), str(certificate.keyfile)))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_COMPRESSION  # CRIME
    if hasattr(ssl, "OP_NO_RENEGOTIATION"):
        assert context.options & ssl.OP_NO_RENEGOTIATION
    assert not context.check_hostname and context.verify_mode == ssl.CERT_NONE  # no client certificates asked
