"""Groups on the Redis backend against a real redis-server: in-process, across processes and machines.

"Two machines" are two ``duck runserver`` processes on different ports sharing one Redis; the
in-process server (on the test's loop) is a third process when a test needs to look inside.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import pytest

from duck.contrib.websockets import groups
from duck.contrib.websockets.groups.redis_backend import RedisBackend
from tests.contrib.websockets.faces.servers import duck_in_process
from tests.contrib.websockets.groups.conftest import (
    SETTINGS,
    WAIT,
    command,
    member,
    new_prefix,
    nothing_more,
    recv,
    redis_overrides,
    start_runserver,
)

pytestmark = pytest.mark.interop


async def test_send_reaches_members_and_skips_exclude_through_redis(redis_server):
    async with (
        duck_in_process(SETTINGS, **redis_overrides(redis_server)) as base,
        member(base) as (ann, _),
        member(base) as (bob, _),
        member(base) as (cid, _),
    ):
        backend = groups.get_backend()
        assert isinstance(backend, RedisBackend) and backend.connected
        await command(ann, op="say", text="via redis", exclude_self=True)
        assert await recv(bob) == "via redis"
        assert await recv(cid) == "via redis"
        await nothing_more(ann, bob, bob, cid)
        await command(bob, op="send", group="lobby", value={"json": True})
        for ws in (ann, bob, cid):
            assert json.loads(await recv(ws)) == {"json": True}


async def test_one_subscription_per_process_subscribed_while_a_group_has_local_members(redis_server):
    async with duck_in_process(SETTINGS, **redis_overrides(redis_server)) as base:
        backend = groups.get_backend()
        async with member(base) as (ann, _), member(base):
            await command(ann, op="join", group="blue")
            assert json.loads(await recv(ann)) == {"joined": "blue"}
            assert backend._confirmed == {backend._channel("lobby"), backend._channel("blue")}
            await command(ann, op="leave", group="blue")
            assert json.loads(await recv(ann)) == {"left": "blue"}
            assert backend._sent == {backend._channel("lobby")}  # UNSUBSCRIBE on the last local member
        await _wait_until(lambda: not backend._sent)  # the close callbacks emptied the lobby: unsubscribed


async def test_a_broadcast_reaches_clients_of_another_machine_and_exclude_crosses_too(redis_server):
    prefix = new_prefix()
    first, first_base = start_runserver(redis_server, prefix)
    second, second_base = start_runserver(redis_server, prefix)
    try:
        async with (
            member(first_base) as (ann, ann_hello),
            member(first_base) as (bob, _),
            member(second_base) as (cid, cid_hello),
            member(second_base) as (dan, _),
        ):
            assert ann_hello["pid"] != cid_hello["pid"]  # two processes
            await command(ann, op="say", text="from machine 1", exclude_self=True)
            for ws in (bob, cid, dan):
                assert await recv(ws) == "from machine 1"
            await command(dan, op="say", text="from machine 2", exclude_self=True)
            for ws in (ann, bob, cid):
                assert await recv(ws) == "from machine 2"
            await nothing_more(ann, bob, bob, cid, dan)  # ann never got her own message
            await nothing_more(dan, bob, ann, bob, cid)  # nor dan his
    finally:
        first.stop()
        second.stop()
    for process in (first, second):
        assert "Traceback" not in process.text, process.text


async def test_a_broadcast_from_one_worker_reaches_clients_of_every_worker(redis_server):
    server, base = start_runserver(redis_server, new_prefix(), workers=2)
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients: list = []
            pids: set[int] = set()
            for _attempt in range(60):  # the kernel hands each connection to either worker
                ws, hello = await stack.enter_async_context(member(base))
                clients.append(ws)
                pids.add(hello["pid"])
                if len(pids) == 2 and len(clients) >= 4:
                    break
            assert len(pids) == 2, "every connection landed on the same worker"
            sender, *others = clients
            await command(sender, op="say", text="to every worker", exclude_self=True)
            for ws in others:
                assert await recv(ws) == "to every worker"
            await nothing_more(sender, others[0], *others)
    finally:
        server.stop()
    assert "Traceback" not in server.text, server.text


async def test_delivery_resumes_after_redis_restarts(own_redis_server, caplog):
    """Stop redis-server and start it again on the same port: both processes reconnect and
    subscribe again, and say that what was published meanwhile is lost."""
    prefix = new_prefix()
    remote, remote_base = start_runserver(own_redis_server, prefix)
    try:
        with caplog.at_level(logging.WARNING, logger="duck.websockets.groups"):
            async with (
                duck_in_process(SETTINGS, **redis_overrides(own_redis_server, prefix)) as base,
                member(base) as (ann, _),
                member(remote_base) as (bob, _),
            ):
                await command(ann, op="say", text="before", exclude_self=True)
                assert await recv(bob) == "before"
                own_redis_server.stop()
                await _wait_until(lambda: "Lost the connection to Redis" in caplog.text)
                await groups.send("lobby", "while down")  # published nowhere: this process only
                assert await recv(ann) == "while down"
                own_redis_server.start()
                await _wait_until(lambda: "were lost" in caplog.text)
                await _until_delivered(ann, bob, "to the remote machine")
                await _until_delivered(bob, ann, "back from it")
        assert "Cannot publish to Redis" in caplog.text
        assert "in that time were lost" in caplog.text
        await asyncio.to_thread(remote.wait_for, rb"again after \d+\.\d s, .*were lost", WAIT)
    finally:
        remote.stop()
    assert "Traceback" not in remote.text, remote.text


async def test_uvicorn_and_duck_runserver_share_groups_through_redis(redis_server, monkeypatch):
    """The ASGI connection (its outbox and writer task) next to duck's server, one group."""
    from tests.contrib.websockets.faces.servers import start_uvicorn
    from tests.contrib.websockets.groups.conftest import ASGI_APP, REDIS_SETTINGS

    pytest.importorskip("uvicorn")
    prefix = new_prefix()
    monkeypatch.setenv("DUCK_REDIS_URL", redis_server.url)
    monkeypatch.setenv("GROUPS_TEST_PREFIX", prefix)
    uvicorn, uvicorn_base = start_uvicorn(ASGI_APP, REDIS_SETTINGS)
    duck, duck_base = start_runserver(redis_server, prefix)
    try:
        async with member(uvicorn_base) as (ann, _), member(uvicorn_base) as (bob, _), member(duck_base) as (cid, _):
            await command(cid, op="say", text="duck to uvicorn", exclude_self=True)
            assert await recv(ann) == "duck to uvicorn"
            assert await recv(bob) == "duck to uvicorn"
            for i in range(50):  # a burst: queued in each ASGI connection's outbox, in order
                await command(ann, op="send", group="lobby", value=f"burst {i}")
            for ws in (ann, bob, cid):
                assert [await recv(ws) for _ in range(50)] == [f"burst {i}" for i in range(50)]
    finally:
        uvicorn.stop()
        duck.stop()
    assert "Traceback" not in uvicorn.text + duck.text, uvicorn.text + duck.text


# -- helpers ------------------------------------------------------------------------------------------
async def _wait_until(predicate, timeout: float = 10.0) -> None:
    """Poll ``predicate`` (a log line, a backend's state: nothing to await) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _until_delivered(sender, receiver, text: str, timeout: float = 10.0) -> None:
    """Send ``text`` to the lobby from ``sender`` until ``receiver`` gets it (subscriptions come back
    asynchronously after a restart; nothing tells a client when)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    attempt = 0
    while True:
        attempt += 1
        await command(sender, op="say", text=f"{text} #{attempt}", exclude_self=True)
        with contextlib.suppress(asyncio.TimeoutError):
            while True:
                received = await recv(receiver, timeout=0.2)
                if received.startswith(text):
                    return
        assert loop.time() < deadline, f"{text!r} never arrived"
