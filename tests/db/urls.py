"""Views that use the per-request sessions, sync and async (ROOT_URLCONF of tests/db)."""

from __future__ import annotations

from sqlalchemy import func, select

from duck.db import driver_connection, get_session
from duck.exceptions import Http404
from duck.http.response import JsonResponse
from duck.urls import path
from tests.db.models import Note


def sync_add(request):
    request.db.add(Note(text=request.GET["text"]))
    if request.GET.get("commit"):
        request.db.commit()
    if request.GET.get("fail"):
        raise Http404("no")
    return JsonResponse({"ok": True})


async def async_add(request):
    request.async_db.add(Note(text=request.GET["text"]))
    if request.GET.get("commit"):
        await request.async_db.commit()
    if request.GET.get("fail"):
        raise Http404("no")
    return JsonResponse({"ok": True})


def sync_count(request):
    return JsonResponse({"count": request.db.scalar(select(func.count()).select_from(Note))})


async def async_count(request):
    return JsonResponse({"count": await request.async_db.scalar(select(func.count()).select_from(Note))})


def keep_request(request):
    KEPT.append(request)
    return JsonResponse({"open": request.db.is_active})


def uses_own_session(request):
    with get_session() as session:
        return JsonResponse({"count": session.scalar(select(func.count()).select_from(Note))})


async def fast_count(request):
    async with driver_connection() as connection:  # asyncpg on PostgreSQL, aiosqlite on SQLite
        if hasattr(connection, "fetchval"):
            count = await connection.fetchval("SELECT count(*) FROM test_note")
        else:
            cursor = await connection.execute("SELECT count(*) FROM test_note")
            count = (await cursor.fetchone())[0]
    return JsonResponse({"count": count})


KEPT: list = []

urlpatterns = [
    path("/sync/add", sync_add),
    path("/async/add", async_add),
    path("/sync/count", sync_count),
    path("/async/count", async_count),
    path("/fast/count", fast_count),
    path("/keep", keep_request),
    path("/own", uses_own_session),
]
