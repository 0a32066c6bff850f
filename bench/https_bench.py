"""HTTPS requests per second: duck's server next to uvicorn + Starlette, both with the same certificate.

    python bench/https_bench.py [--duration 5] [--connections 64] [--rounds 1] [--only duck,uvicorn-h11]

The certificate is a fresh self-signed P-256 one (the command docs/deployment.md gives). Each server
runs pinned to CPU 0 and wrk to CPU 1 over keep-alive TLS connections (one handshake per connection,
as browsers reuse connections), for the plaintext and JSON views of bench/http_bench.py. uvicorn gets
the same files with ``--ssl-certfile/--ssl-keyfile``; both use the standard library's ssl module.
Prints req/s, p99 latency, server CPU per request and the ratio to uvicorn + Starlette (h11).

Needs wrk built with TLS (Debian's is), openssl and uvicorn + starlette. Nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BENCH, cpu_seconds, free_port, running
from http_bench import VIEWS, Result, ensure_tools, table, wrk

# docs/deployment.md's development certificate command.
CERTIFICATE_COMMAND = (
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=localhost" '
    '-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -keyout key.pem -out cert.pem'
)


def server_commands(port: int, cert: Path, key: Path) -> dict[str, list[str]]:
    uvicorn = [sys.executable, "-m", "uvicorn", "starlette_app:app", "--app-dir", str(BENCH), "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    return {
        "duck": [sys.executable, str(BENCH / "https_duck_app.py"), str(port), str(cert), str(key)],
        "uvicorn-h11": [*uvicorn, "--http", "h11", *quiet],
        "uvicorn-httptools": [*uvicorn, "--http", "httptools", *quiet],
    }


def run(servers: list[str], folder: Path, duration: float, connections: int, rounds: int) -> list[Result]:
    """Like http_bench.run, over https://: each pair's best req/s and least CPU per request."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    best: dict[tuple[str, str], Result] = {}
    for number in range(1, rounds + 1):
        for name in servers:
            port = free_port()
            print(f"round {number}/{rounds} {name} (TLS):", file=sys.stderr)
            with running(server_commands(port, cert, key)[name], port) as pid:
                for view in VIEWS:
                    url = f"https://127.0.0.1:{port}{view}"
                    wrk(url, 1, connections)  # warm-up: imports, caches, TLS sessions
                    before = cpu_seconds(pid)
                    rps, p99, total = wrk(url, duration, connections)
                    cpu_us = (cpu_seconds(pid) - before) / max(total, 1) * 1e6
                    print(f"  {view}: {rps:,.0f} req/s, p99 {p99:.2f} ms, {cpu_us:.0f} CPU us/req", file=sys.stderr)
                    key_ = (name, view)
                    previous = best.get(key_)
                    if previous is None or rps > previous.rps:
                        best[key_] = Result(name, view, rps, p99, cpu_us)
                    if previous is not None:
                        best[key_].cpu_us = min(cpu_us, previous.cpu_us)
    return [best[(name, view)] for name in servers for view in VIEWS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default: 5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default: 64)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best is kept (default: 1)")
    parser.add_argument("--only", default="duck,uvicorn-h11,uvicorn-httptools", help="comma-separated servers")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(servers) - {"duck", "uvicorn-h11", "uvicorn-httptools"}
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if shutil.which("openssl") is None:
        sys.exit("openssl is not installed: run `apt-get install openssl`.")
    ensure_tools(servers)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(shlex.split(CERTIFICATE_COMMAND), cwd=folder, check=True, capture_output=True, timeout=60)
        results = run(servers, Path(folder), args.duration, args.connections, max(1, args.rounds))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
