"""Starlette + SQLAlchemy async ORM (asyncpg): the peer for duck's ORM path. Run with uvicorn (run.py does)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_tfb import EXTRA_FORTUNE, query_count, random_id
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

engine = create_async_engine(
    os.environ["TFB_DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://"), pool_size=40, max_overflow=0
)
Session = async_sessionmaker(engine, expire_on_commit=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


class Base(DeclarativeBase):
    pass


class World(Base):
    __tablename__ = "world"
    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Base):
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


async def db(request):
    async with Session() as session:
        world = await session.get(World, random_id())
    return JSONResponse({"id": world.id, "randomNumber": world.randomnumber})


async def queries(request):
    async with Session() as session:
        count = query_count(request.query_params.get("queries"))
        worlds = [await session.get(World, random_id()) for _ in range(count)]
    return JSONResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


async def fortunes(request):
    async with Session() as session:
        rows = [(f.id, f.message) for f in await session.scalars(select(Fortune))]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


async def updates(request):
    async with Session() as session:
        count = query_count(request.query_params.get("queries"))
        worlds = [await session.get(World, random_id()) for _ in range(count)]
        for world in worlds:
            world.randomnumber = random_id()
        await session.commit()
    return JSONResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


app = Starlette(
    routes=[Route("/db", db), Route("/queries", queries), Route("/fortunes", fortunes), Route("/updates", updates)]
)
