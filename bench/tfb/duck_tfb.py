"""duck's TFB app: the ORM path as sync views and as async views, and the fast path (the driver through duck.db).

Run: ``DUCK_DATABASE_URL=postgresql://... python bench/tfb/duck_tfb.py PORT`` (run.py does it, pinned to one core).

/db, /queries, /fortunes, /updates          sync views, ``request.db`` (an ORM Session, psycopg 3)
/async/db, ...                              async views, ``request.async_db`` (an AsyncSession, asyncpg)
/fast/db, ...                               async views, ``duck.db.driver_connection()`` (asyncpg's own
                                            prepared statements, on a connection from duck's pool)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from common_tfb import EXTRA_FORTUNE, query_count, random_id  # noqa: E402
from sqlalchemy import String, select  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column  # noqa: E402

from duck.conf import settings  # noqa: E402
from duck.db import Model, driver_connection  # noqa: E402
from duck.http.response import JsonResponse  # noqa: E402
from duck.shortcuts import render  # noqa: E402
from duck.urls import path  # noqa: E402


class World(Model):
    __tablename__ = "world"
    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Model):
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


def _world(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


# -- ORM, sync views ---------------------------------------------------------------------------
def db(request):
    return JsonResponse(_world(request.db.get(World, random_id())))


def queries(request):
    session = request.db
    return JsonResponse(
        [_world(session.get(World, random_id())) for _ in range(query_count(request.GET.get("queries")))]
    )


def fortunes(request):
    rows = [(f.id, f.message) for f in request.db.scalars(select(Fortune))]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return render(request, "fortunes.html", {"fortunes": rows})


def updates(request):
    session = request.db
    worlds = [session.get(World, random_id()) for _ in range(query_count(request.GET.get("queries")))]
    for world in worlds:
        world.randomnumber = random_id()
    session.commit()
    return JsonResponse([_world(world) for world in worlds])


# -- ORM, async views --------------------------------------------------------------------------
async def async_db(request):
    return JsonResponse(_world(await request.async_db.get(World, random_id())))


async def async_queries(request):
    session = request.async_db
    count = query_count(request.GET.get("queries"))
    return JsonResponse([_world(await session.get(World, random_id())) for _ in range(count)])


async def async_fortunes(request):
    rows = [(f.id, f.message) for f in await request.async_db.scalars(select(Fortune))]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return render(request, "fortunes.html", {"fortunes": rows})


async def async_updates(request):
    session = request.async_db
    worlds = [await session.get(World, random_id()) for _ in range(query_count(request.GET.get("queries")))]
    for world in worlds:
        world.randomnumber = random_id()
    await session.commit()
    return JsonResponse([_world(world) for world in worlds])


# -- fast path: the driver through duck.db -----------------------------------------------------
WORLD_SQL = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE_SQL = "UPDATE world SET randomnumber = $2 WHERE id = $1"


async def fast_db(request):
    async with driver_connection() as connection:
        row = await connection.fetchrow(WORLD_SQL, random_id())
    return JsonResponse({"id": row[0], "randomNumber": row[1]})


async def fast_queries(request):
    count = query_count(request.GET.get("queries"))
    async with driver_connection() as connection:
        statement = await connection.prepare(WORLD_SQL)
        rows = [await statement.fetchrow(random_id()) for _ in range(count)]
    return JsonResponse([{"id": row[0], "randomNumber": row[1]} for row in rows])


async def fast_fortunes(request):
    async with driver_connection() as connection:
        rows = [tuple(row) for row in await connection.fetch("SELECT id, message FROM fortune")]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return render(request, "fortunes.html", {"fortunes": rows})


async def fast_updates(request):
    count = query_count(request.GET.get("queries"))
    async with driver_connection() as connection:
        statement = await connection.prepare(WORLD_SQL)
        ids = sorted(random_id() for _ in range(count))  # sorted: concurrent batches lock rows in one order
        worlds = [[(await statement.fetchrow(i))[0], random_id()] for i in ids]
        await connection.executemany(UPDATE_SQL, worlds)
    return JsonResponse([{"id": i, "randomNumber": n} for i, n in worlds])


urlpatterns = [
    path("/db", db),
    path("/queries", queries),
    path("/fortunes", fortunes),
    path("/updates", updates),
    path("/async/db", async_db),
    path("/async/queries", async_queries),
    path("/async/fortunes", async_fortunes),
    path("/async/updates", async_updates),
    path("/fast/db", fast_db),
    path("/fast/queries", fast_queries),
    path("/fast/fortunes", fast_fortunes),
    path("/fast/updates", fast_updates),
]


def main() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=urlpatterns,
        SERVER_ACCESS_LOG=False,
        DATABASES={"default": {"URL": os.environ["DUCK_DATABASE_URL"]}},
        # Every peer keeps up to 40 connections open (asyncpg's pool, Starlette's engine): so does duck.
        DATABASE_POOL_SIZE=40,
        DATABASE_MAX_OVERFLOW=0,
        TEMPLATES=[{"BACKEND": "duck.template.Jinja2", "DIRS": [HERE / "templates"], "OPTIONS": {}}],
    )
    from duck.server import run

    run("127.0.0.1", int(sys.argv[1]))


if __name__ == "__main__":
    main()
