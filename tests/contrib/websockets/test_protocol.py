"""The connection engine over duck's server: bytes in through ``data_received``, frames out on a fake transport."""

from __future__ import annotations

import asyncio
import logging
import zlib

import pytest
from websockets.frames import Opcode

from duck.conf import settings
from duck.contrib.websockets import CloseCode, OpCode, PreparedFrame
from duck.exceptions import ConnectionClosed
from duck.utils.asyncio.supervisor import supervisor
from tests.contrib.websockets.helpers import WAIT, Log, masked_frame, open_session, ws_request
from tests.contrib.websockets.views import (
    CodeOnClose,
    FailingOpen,
    Notifications,
    Ordered,
    Recorder,
    SendsAfterClose,
)


async def start(view_class=Recorder, *, compression: bool = False, **initkwargs):
    log = Log()
    view = view_class.as_view(log=log, **initkwargs)
    request, client = ws_request(compression=compression)
    session = await open_session(view, request, client)
    session.log = log
    log.transports.append(session.transport)
    await session.transport.wait_for(lambda: "open" in log or view_class is not Recorder)
    return session


async def wait_logged(session, event, timeout: float = WAIT) -> None:
    await session.transport.wait_for(lambda: event in session.log, timeout)


async def finish(session) -> None:
    """Drop whatever is left of the connection and let the handler end."""
    session.transport.lose()
    await wait_for_close(session)


async def wait_for_close(session) -> None:
    await session.transport.wait_for(
        lambda: any(isinstance(e, tuple) and e[0].startswith("close") for e in session.log)
    )


# -- messages ----------------------------------------------------------------------------------
async def test_text_echo_gives_on_receive_utf8_bytes_and_the_text_opcode():
    session = await start()
    session.send_text("héllo")
    assert await session.next_text() == "You sent héllo"
    assert ("receive", OpCode.TEXT, "héllo".encode()) in session.log
    await finish(session)


async def test_binary_echo():
    session = await start()
    session.send_binary(b"\x00\xff\x10")
    frame = await session.next_frame(Opcode.BINARY)
    assert frame.data == b"\x00\xff\x10"
    assert ("receive", OpCode.BINARY, b"\x00\xff\x10") in session.log
    await finish(session)


async def test_fragmented_text_is_assembled_even_across_a_split_utf8_character():
    """RFC 6455 §5.4: fragments form one message; a code point may span two fragments."""
    session = await start()
    payload = "añb€c".encode()
    session.client.send_text(payload[:2], fin=False)  # ends in the middle of "ñ"
    session.client.send_continuation(payload[2:6], fin=False)
    session.client.send_continuation(payload[6:], fin=True)
    session.flush_client()
    assert await session.next_text() == "You sent añb€c"
    await finish(session)


async def test_frames_fed_one_byte_at_a_time_and_two_in_one_chunk():
    session = await start()
    session.client.send_text(b"one")
    session.client.send_text(b"two")
    data = b"".join(session.client.data_to_send())
    for i in range(len(data)):
        session.feed(data[i : i + 1])
    assert [await session.next_text(), await session.next_text()] == ["You sent one", "You sent two"]
    session.client.send_binary(b"a")
    session.client.send_binary(b"b")
    session.flush_client()  # both frames in one data_received call
    assert [(await session.next_frame(Opcode.BINARY)).data for _ in range(2)] == [b"a", b"b"]
    await finish(session)


async def test_trailing_bytes_after_the_upgrade_request_are_not_lost():
    log = Log()
    request, client = ws_request()
    response = await Recorder.as_view(log=log)(request)
    protocol = response.upgrade.make_protocol()
    from tests.contrib.websockets.helpers import FakeTransport, Session

    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    client.receive_data(b"")  # nothing yet
    early = masked_frame(0x1, b"early")  # the server's data_received(trailing) right after connection_made
    protocol.data_received(early)
    session = Session(protocol, transport, client)
    session.log = log
    log.transports.append(transport)
    assert await session.next_text() == "You sent early"
    await finish(session)


@pytest.mark.parametrize("how", ["eof", "shutdown"])
async def test_a_connection_ended_before_the_handshake_runs_no_handler(how, caplog):
    from tests.contrib.websockets.helpers import FakeTransport

    log = Log()
    request, _client = ws_request()
    protocol = (await Recorder.as_view(log=log)(request)).upgrade.make_protocol()
    transport = FakeTransport(protocol)
    with caplog.at_level(logging.ERROR):
        protocol.connection_made(transport)
        if how == "eof":
            assert protocol.eof_received() is False  # the server relays h11's "client closed"
        else:
            protocol.shutdown()
        await transport.wait_for(lambda: transport.closed)
        handlers = [t for t in supervisor.tasks_of(asyncio.get_running_loop()) if t.get_name() == "websocket /ws"]
        await asyncio.wait(handlers, timeout=WAIT)  # the handler runs and finds the connection closed
    assert log == [] and not transport.history
    assert not caplog.records


async def test_close_before_accept_refuses_the_handshake_with_403():
    """For faces that accept explicitly (Starlette/Ravyn style): close() first is a refusal."""
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.contrib.websockets.protocol import WebSocketProtocol
    from tests.contrib.websockets.helpers import FakeTransport

    async def handler(connection) -> None:
        await connection.close(1008)

    request, _client = ws_request()
    protocol = WebSocketProtocol(request, handler, ConnectionOptions())
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    await transport.wait_for(lambda: transport.eof_written)  # the response, then the server's FIN
    assert transport.history.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert protocol.closed
    protocol.data_received(b"\x81\x80junk")  # whatever still comes is dropped, nothing written
    assert protocol.eof_received() is False  # the client closes in turn
    await transport.wait_for(lambda: transport.closed)
    assert transport.history.endswith(b"WebSocket connection refused.\n")


async def test_accept_with_an_explicit_subprotocol_and_extra_headers():
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.contrib.websockets.protocol import WebSocketProtocol
    from tests.contrib.websockets.helpers import FakeTransport, Session

    async def handler(connection) -> None:
        await connection.accept("v2", headers=[("Set-Cookie", "seen=1")])
        message = await connection.receive()
        await connection.send_text(f"{connection.subprotocol}:{message.text}")

    request, client = ws_request(subprotocols=["v1", "v2"])
    protocol = WebSocketProtocol(request, handler, ConnectionOptions())
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    session = Session(protocol, transport, client)
    await transport.wait_for(lambda: b"\r\n\r\n" in transport.data)
    session.pump()
    assert session.response.headers["Set-Cookie"] == "seen=1" and client.subprotocol == "v2"
    session.send_text("hi")
    assert await session.next_text() == "v2:hi"
    assert await session.close_code() == 1000  # the handler returned: the connection closes normally
    session.answer_close()
    session.client_eof()
    await transport.wait_for(lambda: transport.closed)


async def test_messages_are_handled_in_order_one_at_a_time():
    session = await start(Ordered)
    for word in ("a", "b", "c"):
        session.client.send_text(word.encode())
    session.flush_client()
    await session.transport.wait_for(lambda: ("end", b"c") in session.log)
    steps = [e for e in session.log if isinstance(e, tuple) and e[0] in ("start", "end")]
    assert steps == [("start", b"a"), ("end", b"a"), ("start", b"b"), ("end", b"b"), ("start", b"c"), ("end", b"c")]
    await finish(session)


async def test_client_ping_gets_a_pong_with_the_same_payload():
    """RFC 6455 §5.5.2-5.5.3."""
    session = await start()
    session.client.send_ping(b"are you there")
    session.flush_client()
    pong = await session.next_frame(Opcode.PONG)
    assert pong.data == b"are you there"
    await finish(session)


async def test_server_ping_is_sent():
    session = await start()
    await session.protocol.ping(b"xyz")
    assert (await session.next_frame(Opcode.PING)).data == b"xyz"
    await finish(session)


# -- closing -----------------------------------------------------------------------------------
async def test_client_close_is_echoed_then_tcp_half_closed_and_on_close_runs_once():
    """RFC 6455 §5.5.1 (echo the code) and §7.1.1 (the server closes TCP first)."""
    session = await start()
    session.send_close(1000, "done")
    assert await session.close_code() == 1000
    await session.transport.wait_for(lambda: session.transport.eof_written)
    await wait_for_close(session)
    session.client_eof()  # the client closes its side too
    await session.transport.wait_for(lambda: session.transport.closed)
    assert not session.transport.aborted
    await asyncio.sleep(0)
    assert session.log.count(("close", 1000)) == 1
    assert session.protocol.close_code == 1000 and session.protocol.closed


async def test_client_close_without_a_code_reports_1005():
    session = await start()
    session.send_close(None)
    await wait_for_close(session)
    assert ("close", CloseCode.NO_STATUS_RCVD) in session.log
    await finish(session)


async def test_close_in_the_middle_of_a_fragmented_message_is_a_normal_close():
    """RFC 6455 §5.4 (control frames may interleave with fragments); Autobahn case 7.1.5."""
    session = await start()
    session.client.send_text(b"frag", fin=False)
    session.flush_client()
    session.feed(masked_frame(0x8, (1000).to_bytes(2, "big")))
    session.feed(masked_frame(0x0, b"ment"))  # after the close: discarded
    assert await session.close_code() == 1000
    await wait_for_close(session)
    assert ("close", 1000) in session.log
    assert not any(isinstance(e, tuple) and e[0] == "receive" for e in session.log)
    await finish(session)


async def test_server_close_sends_its_code_and_waits_for_the_client():
    session = await start()
    session.send_text("close-me")
    assert await session.close_code() == 4000
    assert not session.transport.eof_written  # waiting for the client's close frame
    session.flush_client()  # the client echoed the close frame: that completes the handshake
    await session.transport.wait_for(lambda: session.transport.eof_written)
    session.transport.lose()
    await wait_for_close(session)
    assert session.log.count(("close", 4000)) == 1


async def test_tcp_dropped_without_close_gives_1006_and_on_close_once():
    session = await start()
    session.transport.lose(ConnectionResetError())
    await wait_for_close(session)
    await asyncio.sleep(0.01)
    assert [e for e in session.log if isinstance(e, tuple) and e[0] == "close"] == [("close", 1006)]


async def test_a_lost_transport_is_closed_where_asyncio_leaves_it_open(monkeypatch):
    # Python 3.10's TLS transport is not marked closed when its connection is lost: unless the
    # protocol closes it, it warns that it was never closed (ResourceWarning) once collected.
    monkeypatch.setattr("duck.utils.flow._LOST_TLS_STAYS_OPEN", True)
    session = await start()
    session.transport.lose(ConnectionResetError())
    await wait_for_close(session)
    assert session.transport.closed


async def test_eof_without_close_frame_gives_1006():
    session = await start()
    assert session.protocol.eof_received() is False  # let the transport close
    await wait_for_close(session)
    assert ("close", 1006) in session.log
    await finish(session)


async def test_on_close_may_take_the_code_as_a_parameter():
    session = await start(CodeOnClose)
    await session.transport.wait_for(lambda: "open" in session.log)
    session.send_close(1001)
    await session.transport.wait_for(lambda: ("close-with-code", 1001) in session.log)
    await finish(session)


async def test_close_timeout_drops_a_client_that_never_answers():
    with settings.override(WEBSOCKET_CLOSE_TIMEOUT=0.05):
        session = await start()
        session.send_text("close-me")
        assert await session.close_code() == 4000
        await session.transport.wait_for(lambda: session.transport.aborted)
        await wait_for_close(session)


async def test_shutdown_closes_with_1001():
    session = await start()
    session.protocol.shutdown()
    assert await session.close_code() == CloseCode.GOING_AWAY
    await wait_for_close(session)
    assert ("close", 1001) in session.log
    await finish(session)


async def test_sending_after_close_raises_connection_closed():
    session = await start()
    session.send_close(1000)
    await wait_for_close(session)
    with pytest.raises(ConnectionClosed) as info:
        await session.protocol.send_text("too late")
    assert info.value.code == 1000
    with pytest.raises(ConnectionClosed):
        await session.protocol.receive()
    await finish(session)


async def test_close_refuses_codes_an_endpoint_may_not_send():
    session = await start()
    with pytest.raises(ValueError):
        await session.protocol.close(1006)
    with pytest.raises(ValueError):
        await session.protocol.close(1000, "x" * 124)
    await finish(session)


# -- protocol errors -> close codes ------------------------------------------------------------
async def test_invalid_utf8_text_fails_with_1007():
    """RFC 6455 §8.1."""
    session = await start()
    session.client.send_text(b"\xff\xfe")
    session.flush_client()
    assert await session.close_code() == CloseCode.INVALID_PAYLOAD
    await wait_for_close(session)
    assert not any(isinstance(e, tuple) and e[0] == "receive" for e in session.log)
    await finish(session)


async def test_invalid_utf8_in_a_fragment_fails_before_the_message_ends():
    session = await start()
    session.client.send_text(b"ok", fin=False)
    session.client.send_continuation(b"\xc0\xaf", fin=False)  # an overlong encoding: never valid
    session.flush_client()
    assert await session.close_code() == CloseCode.INVALID_PAYLOAD
    await finish(session)


async def test_unmasked_client_frame_fails_with_1002():
    """RFC 6455 §5.1: a server must close on an unmasked frame."""
    session = await start()
    session.feed(masked_frame(0x1, b"hi", mask=False))
    assert await session.close_code() == CloseCode.PROTOCOL_ERROR
    await session.transport.wait_for(lambda: session.transport.eof_written)  # failing: no wait for the client
    await finish(session)


async def test_reserved_bit_without_extension_fails_with_1002():
    session = await start()
    session.feed(masked_frame(0x1, b"hi", rsv1=True))
    assert await session.close_code() == CloseCode.PROTOCOL_ERROR
    await finish(session)


async def test_frame_above_max_frame_size_fails_with_1009():
    session = await start(MAX_FRAME_SIZE=1000)
    session.send_binary(b"x" * 1001)
    assert await session.close_code() == CloseCode.MESSAGE_TOO_BIG
    await wait_for_close(session)
    assert ("close", 1009) in session.log
    await finish(session)


async def test_a_raised_max_frame_size_admits_a_single_frame_above_the_message_setting():
    """MAX_FRAME_SIZE = 16 MiB means it: an 8 MiB one-frame message passes the 4 MiB default message cap."""
    session = await start(MAX_FRAME_SIZE=16 * 1024 * 1024)
    session.send_binary(b"z" * (8 * 1024 * 1024))
    await session.transport.wait_for(lambda: any(e[0] == "receive" for e in session.log if isinstance(e, tuple)))
    assert session.protocol.close_code is None
    await finish(session)


async def test_max_message_size_knob_caps_a_view_below_the_setting():
    session = await start(MAX_FRAME_SIZE=1000, MAX_MESSAGE_SIZE=1500)
    session.client.send_binary(b"y" * 1000, fin=False)
    session.client.send_continuation(b"y" * 600, fin=True)
    session.flush_client()
    assert await session.close_code() == CloseCode.MESSAGE_TOO_BIG
    await finish(session)


async def test_fragmented_message_above_the_message_cap_fails_with_1009():
    with settings.override(WEBSOCKET_MAX_MESSAGE_SIZE=3000):
        session = await start(MAX_FRAME_SIZE=1000)
        for _ in range(3):  # each fragment is within MAX_FRAME_SIZE
            session.client.send_binary(b"y" * 1000, fin=False) if _ == 0 else session.client.send_continuation(
                b"y" * 1000, fin=False
            )
        session.client.send_continuation(b"y" * 10, fin=True)
        session.flush_client()
        assert await session.close_code() == CloseCode.MESSAGE_TOO_BIG
        await finish(session)


async def test_deflate_bomb_is_capped_at_max_frame_size_after_decompression():
    """RFC 7692: a small compressed frame that inflates past the cap fails with 1009."""
    session = await start(compression=True, MAX_FRAME_SIZE=64 * 1024)
    assert session.protocol._ws.extensions, "permessage-deflate should be negotiated"
    bomb = b"\x00" * (10 * 1024 * 1024)
    compressor = zlib.compressobj(wbits=-12)
    assert len(compressor.compress(bomb) + compressor.flush(zlib.Z_SYNC_FLUSH)) < 64 * 1024
    session.send_binary(bomb)  # the client's deflate extension compresses it
    assert await session.close_code() == CloseCode.MESSAGE_TOO_BIG
    await wait_for_close(session)
    assert not any(isinstance(e, tuple) and e[0] == "receive" for e in session.log)
    await finish(session)


async def test_compressed_messages_round_trip():
    session = await start(compression=True)
    session.send_text("compress me " * 50)
    assert await session.next_text() == "You sent " + "compress me " * 50
    await finish(session)


# -- timers ----------------------------------------------------------------------------------
async def test_receive_timeout_closes_with_1001_receive_timeout():
    session = await start(RECEIVE_TIMEOUT=0.05)
    frame = await session.next_frame(Opcode.CLOSE)
    assert frame.data[:2] == (1001).to_bytes(2, "big") and frame.data[2:] == b"receive timeout"
    await wait_for_close(session)
    assert ("close", 1001) in session.log
    await finish(session)


async def test_receive_timeout_is_reset_by_any_frame():
    session = await start(RECEIVE_TIMEOUT=0.15)
    for _ in range(4):
        await asyncio.sleep(0.06)
        session.client.send_ping(b"")
        session.flush_client()
    assert not session.protocol.closed  # 0.24 s > 0.15 s, but never silent for 0.15 s
    await finish(session)


async def test_keepalive_ping_answered_keeps_the_connection():
    session = await start(PING_INTERVAL=0.03, PING_TIMEOUT=0.05)
    for _ in range(3):
        ping = await session.next_frame(Opcode.PING)
        session.client.send_pong(ping.data)
        session.flush_client()
    assert not session.protocol.closed
    await finish(session)


async def test_keepalive_ping_unanswered_fails_with_1011():
    session = await start(PING_INTERVAL=0.02, PING_TIMEOUT=0.03)
    await session.next_frame(Opcode.PING)
    assert await session.close_code() == CloseCode.INTERNAL_ERROR
    await wait_for_close(session)
    assert ("close", 1011) in session.log
    await finish(session)


# -- handler errors ----------------------------------------------------------------------------
async def test_on_open_raising_closes_with_1011_logs_and_still_calls_on_close(caplog):
    log = Log()
    request, client = ws_request()
    with caplog.at_level(logging.ERROR, logger="duck.websockets"):
        session = await open_session(FailingOpen.as_view(log=log), request, client)
        session.log = log
        log.transports.append(session.transport)
        assert await session.close_code() == CloseCode.INTERNAL_ERROR
        session.answer_close()
        session.client_eof()
        await wait_for_close(session)
    assert log.count(("close", 1011)) == 1
    assert "on_open() raised" in caplog.text and "boom in on_open" in caplog.text
    await finish(session)


async def test_on_receive_raising_closes_with_1011_and_logs(caplog):
    session = await start()
    with caplog.at_level(logging.ERROR, logger="duck.websockets"):
        session.send_text("boom")
        assert await session.close_code() == CloseCode.INTERNAL_ERROR
        session.answer_close()
        session.client_eof()
        await wait_for_close(session)
    assert "on_receive() raised" in caplog.text and "RuntimeError: boom in on_receive" in caplog.text
    await finish(session)


# -- tasks owned by the connection -------------------------------------------------------------
async def test_create_task_in_a_handler_is_cancelled_when_the_client_leaves(caplog):
    with caplog.at_level(logging.DEBUG, logger="duck.tasks"):
        session = await start(Notifications)
        assert await session.next_text() == "Notification #1"
        assert await session.next_text() == "Notification #2"
        session.send_close(1001)
        await session.transport.wait_for(lambda: "push-cancelled" in session.log)
        await finish(session)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_connection_closed_in_an_owned_task_after_close_is_not_an_error(caplog):
    with caplog.at_level(logging.DEBUG, logger="duck.tasks"):
        session = await start(SendsAfterClose)
        await session.next_text()
        session.send_close(1000)
        await wait_for_close(session)
        await session.transport.wait_for(lambda: "stopped" in caplog.text)
        await finish(session)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- sending -----------------------------------------------------------------------------------
async def test_concurrent_sends_from_several_tasks_never_interleave():
    session = await start()
    payloads = {f"task{i}": [f"task{i}-{n}-" + "x" * (i * 3000) for n in range(20)] for i in range(5)}

    async def sender(messages: list[str]) -> None:
        for message in messages:
            await session.protocol.send_text(message)
            await asyncio.sleep(0)

    session.transport.buffering = True  # a slow reader: the writers must wait their turn
    session.transport.high = 20_000
    tasks = [asyncio.create_task(sender(messages)) for messages in payloads.values()]
    received: list[str] = []
    while len(received) < 100:
        await session.transport.wait_for(lambda: bool(session.transport.data))
        session.pump()
        received += [f.data.decode() for f in session.frames if f.opcode is Opcode.TEXT]
        session.frames.clear()
        session.transport.drain()
    await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    for name, messages in payloads.items():
        assert [m for m in received if m.startswith(name + "-")] == messages  # whole frames, in order
    await finish(session)


async def test_send_waits_while_the_client_is_slow_to_read():
    session = await start()
    session.transport.buffering = True
    session.transport.high = settings.WEBSOCKET_WRITE_HIGH_WATER
    first = asyncio.create_task(session.protocol.send_bytes(b"a" * (settings.WEBSOCKET_WRITE_HIGH_WATER + 1)))
    second = asyncio.create_task(session.protocol.send_bytes(b"b"))
    await session.transport.wait_for(lambda: session.transport.paused)
    await asyncio.sleep(0.01)
    assert not first.done() and not second.done()  # both wait for the socket to drain
    session.transport.drain()
    await asyncio.wait_for(asyncio.gather(first, second), WAIT)
    await finish(session)


async def test_a_flood_of_messages_pauses_reading_until_the_handler_catches_up():
    with settings.override(WEBSOCKET_RECEIVE_HIGH_WATER=100):
        session = await start(Ordered)
    for i in range(100):
        session.client.send_text(str(i).encode())
    session.flush_client()
    assert not session.transport.reading  # queue above its high-water mark
    await session.transport.wait_for(lambda: ("end", b"99") in session.log)
    assert session.transport.reading
    await finish(session)


async def test_the_receive_queue_is_bounded_in_bytes_not_messages():
    """40 KiB messages fill a 64 KiB queue after two: reading pauses then, not after 32 messages."""
    with settings.override(WEBSOCKET_RECEIVE_HIGH_WATER=64 * 1024):
        session = await start(Ordered)
    for _ in range(3):  # fed in one go: the first goes to the waiting handler, two are queued
        session.client.send_binary(b"x" * 40 * 1024)
    session.flush_client()
    assert not session.transport.reading
    assert session.protocol._queue.size == 2 * 40 * 1024
    await session.transport.wait_for(lambda: session.transport.reading)  # the handler caught up
    await finish(session)


async def test_send_prepared_writes_the_same_frame_bytes_to_each_connection():
    from tests.contrib.websockets.views import Broadcast

    frame = PreparedFrame("to everyone")
    first = await start(Broadcast, frame=frame)
    second = await start(Broadcast, frame=frame)
    for session in (first, second):
        await session.transport.wait_for(lambda s=session: frame.frame in s.transport.history)
        assert await session.next_text() == "to everyone"
    compressed = await start(Broadcast, compression=True, frame=frame)
    assert await compressed.next_text() == "to everyone"
    assert frame.frame in compressed.transport.history  # uncompressed (RSV1 clear) is valid there too (RFC 7692 §6)
    for session in (first, second, compressed):
        await finish(session)


async def test_try_send_prepared_refuses_exactly_at_max_buffer_above_and_below_the_high_water_mark():
    """Unpaused, the buffer is under the 64 KiB high-water mark; the size is asked for only when it matters."""
    session = await start()
    transport, protocol = session.transport, session.protocol
    transport.buffering = True  # a reader that stopped reading
    frame = PreparedFrame("x" * 30_000)
    assert protocol.try_send_prepared(frame, 1024 * 1024)  # unpaused, far below 1 MiB
    assert not protocol.try_send_prepared(frame, 30_000)  # a cap below the high-water mark: asked, refused
    while not transport.paused:
        assert protocol.try_send_prepared(frame, 1024 * 1024)
    while transport.pending < 1024 * 1024:  # paused, but under the cap: still taken
        assert protocol.try_send_prepared(frame, 1024 * 1024)
    assert not protocol.try_send_prepared(frame, 1024 * 1024)  # at the cap: the overflow policy's turn
    transport.drain()
    assert protocol.try_send_prepared(frame, 1024 * 1024)
    await finish(session)


async def test_repr_names_the_path_and_state():
    session = await start()
    assert repr(session.protocol) == "<WebSocketProtocol /ws open>"
    await finish(session)
    assert "closed code=1006" in repr(session.protocol)
