"""Starlette + raw asyncpg (a pool made at startup): the peer for duck's fast path. Run with uvicorn."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from common_tfb import EXTRA_FORTUNE, query_count, random_id
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

WORLD_SQL = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE_SQL = "UPDATE world SET randomnumber = $2 WHERE id = $1"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
pool: asyncpg.Pool | None = None


@contextlib.asynccontextmanager
async def lifespan(app):
    global pool
    pool = await asyncpg.create_pool(os.environ["TFB_DATABASE_URL"], min_size=10, max_size=40)
    yield
    await pool.close()


async def db(request):
    async with pool.acquire() as connection:
        row = await connection.fetchrow(WORLD_SQL, random_id())
    return JSONResponse({"id": row[0], "randomNumber": row[1]})


async def queries(request):
    count = query_count(request.query_params.get("queries"))
    async with pool.acquire() as connection:
        statement = await connection.prepare(WORLD_SQL)
        rows = [await statement.fetchrow(random_id()) for _ in range(count)]
    return JSONResponse([{"id": row[0], "randomNumber": row[1]} for row in rows])


async def fortunes(request):
    async with pool.acquire() as connection:
        rows = [tuple(row) for row in await connection.fetch("SELECT id, message FROM fortune")]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


async def updates(request):
    count = query_count(request.query_params.get("queries"))
    async with pool.acquire() as connection:
        statement = await connection.prepare(WORLD_SQL)
        ids = sorted(random_id() for _ in range(count))
        worlds = [[(await statement.fetchrow(i))[0], random_id()] for i in ids]
        await connection.executemany(UPDATE_SQL, worlds)
    return JSONResponse([{"id": i, "randomNumber": n} for i, n in worlds])


app = Starlette(
    routes=[Route("/db", db), Route("/queries", queries), Route("/fortunes", fortunes), Route("/updates", updates)],
    lifespan=lifespan,
)
