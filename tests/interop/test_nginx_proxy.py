"""Behind a real nginx (Debian's), terminating TLS in front of ``duck runserver``.

nginx listens for https on 127.0.0.1 and passes requests on with the X-Forwarded-* headers that
docs/deployment.md sets; the client connects from 127.0.0.2 (loopback's other addresses), so the
client's address and nginx's differ. With ``TRUSTED_PROXIES = ["127.0.0.1"]`` duck sees the client,
https, a Secure session cookie, and a same-origin https form; without it, nginx's address and http,
whatever the client forges.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contrib.websockets.faces.servers import ServerProcess, start_runserver
from tests.interop.helpers import free_port, wait_for_port

pytestmark = pytest.mark.interop

CLIENT_ADDRESS = "127.0.0.2"
NGINX_CONF = """
worker_processes 1;
{user}
pid {root}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certfile};
        ssl_certificate_key {keyfile};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $http_connection;
        }}
    }}
}}
"""


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        pytest.skip("nginx is not installed (bash scripts/test.sh installs Debian's nginx)")
    return found


def start_nginx(root: Path, upstream: int, certificate) -> tuple[ServerProcess, int]:
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""  # as root, workers would switch to nobody otherwise
    config = NGINX_CONF.format(
        user=user, root=root, port=port, upstream=upstream, certfile=certificate.certfile, keyfile=certificate.keyfile
    )
    (root / "nginx.conf").write_text(textwrap.dedent(config))
    command = [_nginx(), "-p", str(root), "-c", str(root / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"]
    server = ServerProcess(command, env=dict(os.environ))
    try:
        wait_for_port(port, server.proc, timeout=20)
    except BaseException:
        server.stop()
        raise RuntimeError(f"nginx did not start:\n{server.text}") from None
    return server, port


@pytest.fixture(params=["trusted", "untrusted"])
def behind_nginx(request, tmp_path, certificate) -> Iterator[tuple[str, int, ServerProcess]]:
    settings_module = (
        "tests.auth.project.settings_proxied" if request.param == "trusted" else "tests.auth.project.settings"
    )
    duck, base = start_runserver(settings_module)
    try:
        nginx, port = start_nginx(tmp_path, int(base.rsplit(":", 1)[1]), certificate)
        try:
            yield request.param, port, duck
        finally:
            nginx.stop()
    finally:
        duck.stop()


def fetch(port: int, certificate, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""):
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, source_address=(CLIENT_ADDRESS, 0), context=certificate.client_context(), timeout=10
    )
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def test_scheme_client_and_host_behind_nginx(behind_nginx, certificate):
    mode, port, duck = behind_nginx
    forged = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
    status, _, body = fetch(port, certificate, "GET", "/whoami", forged)
    assert status == 200, body
    seen = json.loads(body)
    if mode == "trusted":
        assert seen["client"][0] == CLIENT_ADDRESS  # the forged 6.6.6.6 sits left of it: never reached
        assert seen["scheme"] == "https" and seen["secure"] is True
        assert seen["host"] == f"127.0.0.1:{port}"
        duck.wait_for(rf'{CLIENT_ADDRESS}:0 - "GET /whoami HTTP/1\.1" 200'.encode(), timeout=10)  # access log too
    else:
        assert seen["client"][0] == "127.0.0.1"  # nginx
        assert seen["scheme"] == "http" and seen["secure"] is False


def test_secure_cookies_and_the_csrf_origin_check_behind_nginx(behind_nginx, certificate):
    mode, port, _ = behind_nginx
    status, headers, page = fetch(port, certificate, "GET", "/note")
    assert status == 200
    cookie = next(value for name, value in headers if name.lower() == "set-cookie")
    assert ("; Secure" in cookie) is (mode == "trusted")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {
        "Cookie": cookie.split(";")[0],
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://127.0.0.1:{port}",  # what a browser on the page sends
    }
    status, _, body = fetch(port, certificate, "POST", "/note", form, f"text=hi&csrfmiddlewaretoken={token}")
    if mode == "trusted":
        assert (status, body) == (200, "noted: hi")
    else:
        assert status == 403 and "is not this site" in body  # duck thinks it is served over http
