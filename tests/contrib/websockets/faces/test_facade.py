"""``request.websocket`` without a network: both faces over a scripted connection.

The scripted connection tells the test when the reader task is waiting for the next message
(``idle``), so "what is queued now" is exact rather than timed.
"""

from __future__ import annotations

import asyncio

import pytest

from duck.conf import settings
from duck.contrib.websockets.connection import Message, WebSocketConnection
from duck.contrib.websockets.dwebsocket import AsyncWebSocket, SyncWebSocket, accept_websocket, require_websocket
from duck.contrib.websockets.dwebsocket.inbox import Inbox
from duck.contrib.websockets.dwebsocket.threads import reserve_slot, run_in_own_thread, running_threads
from duck.contrib.websockets.enums import OpCode
from duck.contrib.websockets.options import face_options
from duck.contrib.websockets.upgrade import upgrade_response
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.utils.asyncio import run_coroutine_from_sync

WAIT = 2.0
_CLOSE = object()


class ScriptedConnection(WebSocketConnection):
    """An open connection whose incoming messages the test pushes; sends are recorded."""

    def __init__(self) -> None:
        super().__init__(Request("GET", "/scripted"), face_options())
        self._mark_open()
        self.incoming: asyncio.Queue[object] = asyncio.Queue()
        self.sent: list[str | bytes] = []
        self.idle = asyncio.Event()  # set while receive() waits on an empty script

    def push(self, *items: str | bytes) -> None:
        for item in items:
            opcode = OpCode.TEXT if isinstance(item, str) else OpCode.BINARY
            self.incoming.put_nowait(Message(opcode, item))

    def client_closes(self, code: int = 1000) -> None:
        self.incoming.put_nowait((_CLOSE, code))

    async def _receive(self) -> Message:
        if self.closed:
            raise self._closed_error()
        if self.incoming.empty():
            self.idle.set()
        item = await self.incoming.get()
        self.idle.clear()
        if isinstance(item, tuple):
            self._mark_closed(item[1])
            raise self._closed_error()
        return item  # type: ignore[return-value]

    async def _send_text(self, data: str) -> None:
        self.sent.append(data)

    async def _send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        self.sent.append(bytes(data))

    async def _close(self, code: int, reason: str) -> None:
        self._mark_closed(code, reason)


def make(face: type, high_water: int = 4096) -> tuple[ScriptedConnection, Inbox, AsyncWebSocket | SyncWebSocket]:
    connection = ScriptedConnection()
    loop = asyncio.get_running_loop()
    inbox = Inbox(loop, high_water)
    inbox.start(connection)
    return connection, inbox, face(connection, inbox, loop)


async def settled(connection: ScriptedConnection) -> None:
    """Wait until the reader has pulled everything pushed so far and waits for more."""
    await asyncio.sleep(0)  # let the reader take what was pushed before looking at idle
    await asyncio.wait_for(connection.idle.wait(), WAIT)


def in_thread(func, *args):
    """Run a blocking facade call in a worker thread, bounded."""
    return asyncio.wait_for(asyncio.to_thread(func, *args), WAIT)


# --- the blocking face -------------------------------------------------------------------------------
async def test_count_has_and_read_follow_the_queue():
    connection, _inbox, ws = make(SyncWebSocket)
    await settled(connection)
    assert (ws.read(), ws.count_messages(), ws.has_messages()) == (None, 0, False)
    connection.push("a", b"b", "c")
    await settled(connection)
    assert (ws.count_messages(), ws.has_messages()) == (3, True)
    assert ws.read() == "a"
    assert ws.read() == b"b"  # binary frames arrive as bytes, text frames as str
    assert ws.count_messages() == 1
    assert await in_thread(ws.wait) == "c"
    assert (ws.read(), ws.count_messages(), ws.has_messages()) == (None, 0, False)


async def test_wait_returns_queued_messages_then_none_after_the_close():
    connection, _inbox, ws = make(SyncWebSocket)
    connection.push("last words")
    connection.client_closes()
    assert await in_thread(ws.wait) == "last words"
    assert await in_thread(ws.wait) is None
    assert await in_thread(ws.wait) is None  # and stays None
    assert ws.closed and ws.close_code == 1000


async def test_iteration_yields_every_message_and_ends_on_close():
    connection, _inbox, ws = make(SyncWebSocket)
    connection.push("one", b"two", "three")
    connection.client_closes()
    assert await in_thread(list, ws) == ["one", b"two", "three"]


async def test_wait_with_a_timeout_returns_none_while_still_open():
    connection, _inbox, ws = make(SyncWebSocket)
    assert await in_thread(ws.wait, 0.05) is None  # dwebsocket's answer to a timeout
    assert not ws.is_closed()
    connection.push("after")
    assert await in_thread(ws.wait, 1.0) == "after"


async def test_read_returns_the_fallback_when_nothing_is_queued():
    connection, _inbox, ws = make(SyncWebSocket)
    assert ws.read("nothing") == "nothing"
    connection.push("x")
    await settled(connection)
    assert ws.read("nothing") == "x"


async def test_send_from_a_thread_keeps_the_frame_type():
    connection, _inbox, ws = make(SyncWebSocket)
    await in_thread(ws.send, "text")
    await in_thread(ws.send, b"bytes")
    assert connection.sent == ["text", b"bytes"]


async def test_send_refuses_other_types_with_a_hint():
    _connection, _inbox, ws = make(SyncWebSocket)
    with pytest.raises(TypeError, match=r"json\.dumps"):
        await in_thread(ws.send, {"not": "text"})


async def test_send_after_the_close_does_nothing_as_in_dwebsocket():
    connection, _inbox, ws = make(SyncWebSocket)
    connection.client_closes(1001)
    assert await in_thread(ws.wait) is None
    await in_thread(ws.send, "too late")
    await in_thread(ws.send, None)  # echo_once's send(wait()) after the client left
    assert connection.sent == []
    assert ws.is_closed() and ws.close_code == 1001


async def test_the_blocking_face_refuses_to_block_the_event_loop():
    _connection, _inbox, ws = make(SyncWebSocket)
    with pytest.raises(RuntimeError, match="event loop"):
        ws.send("from the loop")
    with pytest.raises(RuntimeError, match="event loop"):
        ws.wait()


async def test_close_from_a_thread_closes_the_connection():
    connection, _inbox, ws = make(SyncWebSocket)
    await in_thread(ws.close, 4000, "bye")
    assert (connection.close_code, connection.close_reason) == (4000, "bye")
    assert await in_thread(ws.wait) is None


async def test_a_view_slower_than_its_client_stops_the_reader_at_the_high_mark():
    connection, inbox, ws = make(SyncWebSocket, high_water=64)  # bytes: eight 8-byte messages
    connection.push(*(f"m{i:07d}" for i in range(12)))
    for _ in range(100):  # let the reader run as far as it will; it must stop at 64 bytes
        await asyncio.sleep(0)
    assert (ws.count_messages(), connection.incoming.qsize()) == (8, 4)
    for i in range(6):
        assert ws.read() == f"m{i:07d}"
    await settled(connection)  # down to the low mark (16 bytes): the reader took the rest
    assert ws.count_messages() == 6
    assert repr(inbox) == "<Inbox 6 queued>"


# --- the awaitable face ---------------------------------------------------------------------------------
async def test_the_async_face_awaits_the_same_methods():
    connection, _inbox, ws = make(AsyncWebSocket)
    assert await ws.read() is None
    connection.push("x", b"y")
    await settled(connection)
    assert (ws.count_messages(), ws.has_messages()) == (2, True)
    assert await ws.read() == "x"
    assert await ws.wait() == b"y"
    await ws.send("out")
    assert connection.sent == ["out"]
    assert await ws.wait(timeout=0.01) is None
    assert await ws.read("fallback") == "fallback"
    await ws.close()
    await ws.send("dropped")
    assert connection.sent == ["out"]
    assert ws.is_closed() and ws.close_code == 1000


async def test_async_for_ends_on_close_and_plain_for_is_refused():
    connection, _inbox, ws = make(AsyncWebSocket)
    connection.push("a", "b")
    connection.client_closes()
    assert [message async for message in ws] == ["a", "b"]
    assert await ws.wait() is None
    with pytest.raises(TypeError, match="async for"):
        iter(ws)


# --- decorators and the thread bound --------------------------------------------------------------------
def test_decorators_mark_the_view_as_dwebsocket_does():
    def view(request):  # pragma: no cover - never called
        pass

    accepted, required = accept_websocket(view), require_websocket(view)
    assert (accepted.accept_websocket, accepted.require_websocket) == (True, False)
    assert (required.accept_websocket, required.require_websocket) == (True, True)
    assert accepted.__wrapped__ is view and accepted.__name__ == "view"
    assert require_websocket(accepted).__wrapped__ is view  # re-decorating wraps the view, not the wrapper


def test_decorating_a_class_says_what_to_do():
    class SomeView:
        pass

    with pytest.raises(ImproperlyConfigured, match="as_view"):
        accept_websocket(SomeView)


def test_slots_are_bounded_by_websocket_sync_threads_and_released_once():
    with settings.override(WEBSOCKET_SYNC_THREADS=running_threads() + 1):
        slot = reserve_slot()
        assert slot is not None
        assert reserve_slot() is None
        slot.release()
        slot.release()  # idempotent: counted once
        again = reserve_slot()
        assert again is not None
        again.release()


def test_an_upgrade_that_never_starts_gives_its_slot_back_when_discarded():
    async def handler(connection):  # pragma: no cover - never called
        pass

    with settings.override(WEBSOCKET_SYNC_THREADS=running_threads() + 1):
        slot = reserve_slot()
        response = upgrade_response(Request("GET", "/"), handler, face_options(), slot.release)
        response.close()  # what a front door does with a response it did not use
        assert slot.released


async def test_a_sync_view_thread_reaches_its_loop_and_frees_its_slot():
    def view(value):
        # The thread knows the loop that started it, so duck's sync-to-async helpers work there.
        return run_coroutine_from_sync(asyncio.sleep(0, result=value), timeout=WAIT)

    with settings.override(WEBSOCKET_SYNC_THREADS=running_threads() + 1):
        slot = reserve_slot()
        assert await asyncio.wait_for(run_in_own_thread(slot, view, "from the loop"), WAIT) == "from the loop"
        assert slot.released


async def test_a_sync_view_thread_hands_its_exception_to_the_handler():
    def view():
        raise ValueError("in the thread")

    with settings.override(WEBSOCKET_SYNC_THREADS=running_threads() + 1):
        slot = reserve_slot()
        with pytest.raises(ValueError, match="in the thread"):
            await asyncio.wait_for(run_in_own_thread(slot, view), WAIT)
        assert slot.released
