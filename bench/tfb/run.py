"""TechEmpower's database tests (db, queries, fortunes, updates) for duck and its peers, side by side.

    python bench/tfb/run.py [--duration 5] [--connections 32] [--queries 20] [--only duck,starlette-orm]

One run starts a PostgreSQL cluster of its own (temporary folder, free port; Debian's binaries,
as the tests do), fills World (10,000 rows) and Fortune, then serves each app pinned to CPU 0
while PostgreSQL and wrk share CPU 1. Apps:

duck             duck's own server, one process: three rows, /… (sync views, ORM Session over psycopg),
                 /async/… (async views, ORM AsyncSession over asyncpg), /fast/… (async views,
                 asyncpg through duck.db.driver_connection(): the documented fast path)
starlette-orm    uvicorn (uvloop, httptools) + Starlette + SQLAlchemy async ORM (asyncpg)
starlette-asyncpg  uvicorn + Starlette + an asyncpg pool
django           gunicorn (2 gthread workers x 4 threads) + Django ORM (psycopg)

Prints req/s per test and app with the ratio of duck's ORM rows to starlette-orm and of duck's
fast path to starlette-asyncpg. Nothing is asserted: the machine decides the numbers.
Needs wrk, uvicorn, starlette, gunicorn, django, asyncpg and psycopg (``pip install django``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]

from common import free_port, raise_open_files_limit, running  # noqa: E402
from common_tfb import create_schema  # noqa: E402
from http_bench import wrk  # noqa: E402

TESTS = ("db", "queries", "fortunes", "updates")
# app -> (server, URL prefix): the three duck rows share one server.
ROWS = {
    "duck-sync-orm": ("duck", "/"),
    "duck-async-orm": ("duck", "/async/"),
    "duck-fast": ("duck", "/fast/"),
    "starlette-orm": ("starlette-orm", "/"),
    "starlette-asyncpg": ("starlette-asyncpg", "/"),
    "django": ("django", "/"),
}
# rows compared: (row, reference row)
RATIOS = {
    "duck-sync-orm": "starlette-orm",
    "duck-async-orm": "starlette-orm",
    "duck-fast": "starlette-asyncpg",
}


def server_command(server: str, port: int) -> list[str]:
    uvicorn = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--port", str(port), "--loop", "uvloop"]
    quiet = ["--http", "httptools", "--log-level", "warning", "--no-access-log"]
    return {
        "duck": [sys.executable, str(HERE / "duck_tfb.py"), str(port)],
        "starlette-orm": [*uvicorn, *quiet, "starlette_orm:app"],
        "starlette-asyncpg": [*uvicorn, *quiet, "starlette_asyncpg:app"],
        "django": [
            *[sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-b", f"127.0.0.1:{port}"],
            *["-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning", "django_tfb.wsgi:application"],
        ],
    }[server]


def measure(rows: list[str], duration: float, connections: int, queries: int) -> dict[tuple[str, str], float]:
    results: dict[tuple[str, str], float] = {}
    servers = list(dict.fromkeys(ROWS[row][0] for row in rows))
    for server in servers:
        port = free_port()
        print(f"{server}:", file=sys.stderr)
        with running(server_command(server, port), port):
            for row in (r for r in rows if ROWS[r][0] == server):
                prefix = ROWS[row][1]
                for test in TESTS:
                    query = f"?queries={queries}" if test in ("queries", "updates") else ""
                    url = f"http://127.0.0.1:{port}{prefix}{test}{query}"
                    wrk(url, 1, connections)  # warm-up: connections opened, statements prepared
                    rps, p99, _ = wrk(url, duration, connections)
                    results[(row, test)] = rps
                    print(f"  {row} /{test}: {rps:,.0f} req/s (p99 {p99:.1f} ms)", file=sys.stderr)
    return results


def table(rows: list[str], results: dict[tuple[str, str], float], queries: int) -> str:
    names = {"queries": f"queries={queries}", "updates": f"updates={queries}"}
    header = f"{'app':<19}" + "".join(f"{names.get(t, t):>22}" for t in TESTS)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = []
        for test in TESTS:
            rps = results.get((row, test))
            reference = results.get((RATIOS.get(row, ""), test))
            ratio = f" ({rps / reference:.2f}x)" if rps and reference else ""
            cells.append(f"{rps:,.0f}{ratio}" if rps is not None else "-")
        lines.append(f"{row:<19}" + "".join(f"{cell:>22}" for cell in cells))
    lines.append("ratios: duck ORM rows vs starlette-orm, duck-fast vs starlette-asyncpg")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default: 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default: 32)")
    parser.add_argument("--queries", type=int, default=20, help="queries= for /queries and /updates (default: 20)")
    parser.add_argument("--only", default=",".join(ROWS), help="comma-separated apps (default: all)")
    args = parser.parse_args(argv)
    rows = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown app(s): {', '.join(sorted(unknown))}; choose from {', '.join(ROWS)}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install wrk`.")
    raise_open_files_limit()
    from tests.postgres import PostgresServer, _bin_dir

    bin_dir = _bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed: run `apt-get install postgresql`.")
    server = PostgresServer(bin_dir)
    try:
        server.init()
        pin = ("taskset", "-c", "1") if shutil.which("taskset") else ()
        server.start(prefix=pin)  # PostgreSQL shares CPU 1 with wrk; the app has CPU 0
        url = server.url(server.create_database("tfb"))
        create_schema(url)
        os.environ["TFB_DATABASE_URL"] = url
        os.environ["DUCK_DATABASE_URL"] = url
        print(table(rows, measure(rows, args.duration, args.connections, args.queries), args.queries))
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
