"""permessage-deflate with zlib contexts made on first use and released when idle (RFC 7692).

The client side is plain zlib driven as RFC 7692 §7.2.1 says (a raw DEFLATE stream, flushed with
Z_SYNC_FLUSH, the 0x00 0x00 0xff 0xff tail removed), with context takeover: one compressor and one
decompressor for the whole connection, exactly what a browser keeps.
"""

from __future__ import annotations

import asyncio
import random
import zlib

import pytest
from websockets.exceptions import ProtocolError
from websockets.frames import Frame, Opcode

from duck.conf import settings
from duck.contrib.websockets.deadlines import Deadlines
from duck.contrib.websockets.deflate import LazyDeflate, LazyDeflateFactory
from duck.contrib.websockets.options import ConnectionOptions
from duck.exceptions import ImproperlyConfigured
from tests.contrib.websockets.helpers import WAIT, Log, open_session, ws_request
from tests.contrib.websockets.views import Recorder

TAIL = b"\x00\x00\xff\xff"


class Client:
    """The peer: compresses with context takeover and inflates the server's messages with one inflater."""

    def __init__(self, window_bits: int = 12) -> None:
        self.compressor = zlib.compressobj(wbits=-window_bits)
        self.decompressor = zlib.decompressobj(wbits=-window_bits)

    def compressed(self, payload: bytes, opcode: Opcode = Opcode.TEXT, fin: bool = True) -> Frame:
        data = self.compressor.compress(payload) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        if fin:
            assert data.endswith(TAIL)
            data = data[:-4]
        return Frame(opcode, data, fin, rsv1=opcode is not Opcode.CONT)

    def inflate(self, frame: Frame) -> bytes:
        return self.decompressor.decompress(bytes(frame.data) + (TAIL if frame.fin else b""))


def negotiate(*offer: tuple[str, str | None], keep_history: bool = True) -> tuple[list, LazyDeflate]:
    factory = LazyDeflateFactory(
        keep_history=keep_history, server_max_window_bits=12, client_max_window_bits=12, compress_settings={}
    )
    response, extension = factory.process_request_params(list(offer), [])
    return response, extension


def negotiate_with_setting(bits: int, *offer: tuple[str, str | None]) -> tuple[list, LazyDeflate]:
    """What a route's options answer with WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS = bits."""
    with settings.override(WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS=bits):
        (factory,) = ConnectionOptions.from_settings().extensions
    response, extension = factory.process_request_params(list(offer), [])
    assert isinstance(extension, LazyDeflate)
    return response, extension


def browser_offer() -> LazyDeflate:
    return negotiate(("client_max_window_bits", None))[1]  # what Chromium and Firefox send


# -- negotiation and allocation -------------------------------------------------------------------
def test_negotiation_is_websockets_own_and_nothing_is_allocated_at_the_handshake():
    response, extension = negotiate(("client_max_window_bits", None))
    assert response == [("server_max_window_bits", "12"), ("client_max_window_bits", "12")]
    assert isinstance(extension, LazyDeflate)
    assert not extension.holding
    assert (extension.remote_max_window_bits, extension.local_max_window_bits) == (12, 12)


@pytest.mark.parametrize("bits", [9, 10, 12, 15])
def test_a_browsers_offer_without_a_value_gets_the_settings_window(bits: int):
    response, extension = negotiate_with_setting(bits, ("client_max_window_bits", None))
    assert response == [("server_max_window_bits", "12"), ("client_max_window_bits", str(bits))]
    assert (extension.remote_max_window_bits, extension.local_max_window_bits) == (bits, 12)


@pytest.mark.parametrize(("offered", "agreed"), [("15", 10), ("11", 10), ("10", 10), ("9", 9)])
def test_an_offered_window_is_lowered_to_the_setting_never_raised(offered: str, agreed: int):
    # RFC 7692 §7.1.2.2: the server may answer a smaller value than the client's, never a larger one.
    response, extension = negotiate_with_setting(10, ("client_max_window_bits", offered))
    assert ("client_max_window_bits", str(agreed)) in response
    assert extension.remote_max_window_bits == agreed


def test_a_client_that_did_not_offer_client_max_window_bits_is_not_sent_it():
    # §7.1.2.2: the server must not include it then; the client may use a 32 KiB window, all of it history.
    response, extension = negotiate_with_setting(9, ("server_max_window_bits", "10"))
    assert response == [("server_max_window_bits", "10")]
    assert extension.remote_max_window_bits == 15
    client = Client(window_bits=15)
    far = random.Random(3).randbytes(20_000)
    assert extension.decode(client.compressed(far)).data == far
    assert extension.release()
    assert extension.decode(client.compressed(far[:3000])).data == far[:3000]  # 20,000 bytes back


@pytest.mark.parametrize("bits", [8, 16])
def test_a_window_setting_outside_9_to_15_is_refused_at_start(bits: int):
    refused = pytest.raises(ImproperlyConfigured, match="WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS")
    with refused, settings.override(WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS=bits):
        pass


def test_a_small_window_keeps_only_its_history_and_takes_it_across_a_release():
    extension = negotiate_with_setting(9, ("client_max_window_bits", None))[1]
    client = Client(window_bits=9)
    rng = random.Random(11)
    older, recent = rng.randbytes(600), rng.randbytes(100)
    for message in (older, recent):
        assert extension.decode(client.compressed(message)).data == message
    assert extension._history == (older + recent)[-512:]  # 512 bytes kept, not 700
    assert extension.release()
    # 200 bytes back, into both messages (zlib reaches at most 512 - 262 bytes back with 9 bits)
    reference = older[-100:] + recent
    frame = client.compressed(reference)
    assert len(frame.data) < 20
    assert extension.decode(frame).data == reference


def test_a_release_reports_about_what_zlib_held():
    extension = negotiate_with_setting(10, ("client_max_window_bits", None))[1]
    freed: list[int] = []
    extension.on_release = freed.append
    assert extension.release() and freed == []  # nothing was held
    extension.decode(Client(window_bits=10).compressed(b"hello"))
    assert extension.release()
    extension.encode(Frame(Opcode.TEXT, b"hello back"))
    assert extension.release()
    # zlib.h: inflate 1 << windowBits plus ~7 KiB; deflate (1 << (windowBits + 2)) + (1 << (memLevel + 9)) plus ~6 KiB.
    assert freed == [7168 + 1024, 6144 + (1 << 14) + (1 << 14)]


def test_client_no_context_takeover_is_accepted_when_offered():
    response, extension = negotiate(("client_no_context_takeover", None), ("client_max_window_bits", None))
    assert ("client_no_context_takeover", None) in response
    client = Client()
    for text in (b"first message", b"first message again"):
        client.compressor = zlib.compressobj(wbits=-12)  # the client starts each message afresh
        assert extension.decode(client.compressed(text)).data == text
        assert not extension.holding  # nothing is kept between messages


def test_contexts_are_made_on_first_use_and_announced_once():
    extension = browser_offer()
    allocated = []
    extension.on_allocate = lambda: allocated.append(extension.holding)
    client = Client()
    assert extension.decode(client.compressed(b"hello")).data == b"hello"
    assert extension.holding and extension.used
    extension.encode(Frame(Opcode.TEXT, b"hello back"))  # the compressor comes while the decoder is held
    assert allocated == [False]  # called once, before anything was held
    assert extension.release() and not extension.holding and extension.releases == 1
    extension.encode(Frame(Opcode.TEXT, b"again"))
    assert allocated == [False, False]


def test_uncompressed_messages_pass_through_without_allocating():
    extension = browser_offer()
    frame = Frame(Opcode.TEXT, b"plain")
    assert extension.decode(frame) is frame
    ping = Frame(Opcode.PING, b"")
    assert extension.encode(ping) is ping
    assert not extension.holding


# -- context takeover across a release ------------------------------------------------------------
def test_a_released_decompressor_still_reads_the_clients_context_takeover_message():
    extension = browser_offer()
    client = Client()
    first = b'{"user": "ann", "text": "the quick brown duck jumps over the lazy dog"}' * 4
    assert extension.decode(client.compressed(first)).data == first
    assert extension.release()
    again = client.compressed(first)
    assert len(again.data) < 12  # the client refers back into the previous message: context takeover
    assert extension.decode(again).data == first


def test_the_history_kept_is_the_last_window_of_several_messages():
    extension = browser_offer()
    client = Client()
    rng = random.Random(7)
    older = bytes(rng.randrange(256) for _ in range(3000))
    recent = bytes(rng.randrange(256) for _ in range(3000))  # random bytes: only back-references compress
    for message in (older, recent):
        assert extension.decode(client.compressed(message)).data == message
    assert extension.release()
    # 6000 bytes went by: the window (4096) holds the end of `older` and all of `recent`. zlib's
    # compressor reaches 4096 - 262 bytes back; this refers 3500 bytes back, into both messages.
    reference = older[-500:] + recent[:1500]
    frame = client.compressed(reference)
    assert len(frame.data) < 100
    assert extension.decode(frame).data == reference


def test_a_released_compressor_is_read_by_a_client_that_keeps_its_window():
    extension = browser_offer()
    client = Client()
    text = b"the quick brown duck jumps over the lazy dog " * 10
    assert client.inflate(extension.encode(Frame(Opcode.TEXT, text))) == text
    chained = extension.encode(Frame(Opcode.TEXT, text))
    assert len(chained.data) < 12  # context takeover while the compressor lives
    assert client.inflate(chained) == text
    assert extension.release()
    fresh = extension.encode(Frame(Opcode.TEXT, text))  # an empty window: RFC 7692 lets the server do this
    assert fresh.rsv1 and len(fresh.data) > len(chained.data)
    assert client.inflate(fresh) == text


@pytest.mark.parametrize("seed", range(6))
def test_random_conversations_with_releases_anywhere_round_trip(seed: int):
    """Messages of any size, fragmented or not, some uncompressed, releases at random message boundaries."""
    rng = random.Random(seed)
    extension = browser_offer()
    client = Client()
    alphabet = b"abcdefgh {}:,"  # a small alphabet: plenty of back-references, far and near
    for _ in range(60):
        payload = bytes(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 50, 700, 3000, 5000])))
        if rng.random() < 0.15:  # an uncompressed message (RSV1 clear) is allowed, and is not history
            frame = Frame(Opcode.BINARY, payload)
            assert extension.decode(frame).data == payload
        else:
            pieces = [payload[: len(payload) // 3], payload[len(payload) // 3 :]] if rng.random() < 0.3 else [payload]
            received = b""
            for index, piece in enumerate(pieces):
                opcode = Opcode.TEXT if index == 0 else Opcode.CONT
                frame = client.compressed(piece, opcode, fin=index == len(pieces) - 1)
                received += extension.decode(frame).data
            assert received == payload
        reply = bytes(rng.choice(alphabet) for _ in range(rng.choice([0, 10, 900, 6000])))
        assert client.inflate(extension.encode(Frame(Opcode.TEXT, reply))) == reply
        if rng.random() < 0.4:
            assert extension.release()


def test_release_waits_for_the_end_of_a_fragmented_message():
    extension = browser_offer()
    client = Client()
    assert extension.decode(client.compressed(b"first half, ", Opcode.TEXT, fin=False)).data == b"first half, "
    assert not extension.release() and extension.holding
    assert extension.decode(client.compressed(b"second half", Opcode.CONT)).data == b"second half"
    assert extension.release() and not extension.holding


def test_rsv1_on_a_continuation_frame_is_a_protocol_error():
    extension = browser_offer()
    client = Client()
    extension.decode(client.compressed(b"start", Opcode.TEXT, fin=False))
    with pytest.raises(ProtocolError):
        extension.decode(Frame(Opcode.CONT, b"\x00", True, rsv1=True))


# -- when to release: the deadlines --------------------------------------------------------------
def test_deadlines_check_held_contexts_once_per_period():
    deadlines = Deadlines(100.0, compression_idle=10.0)
    assert deadlines.next_deadline() is None
    deadlines.compression_held(101.0)
    assert deadlines.next_deadline() == 111.0
    assert not deadlines.compression_check_due(110.9)
    assert deadlines.compression_check_due(111.0)
    deadlines.compression_released()
    assert deadlines.next_deadline() is None and not deadlines.compression_check_due(200.0)


def test_deadlines_without_release_never_check_and_closing_stops_checks():
    never = Deadlines(100.0, compression_idle=None)
    never.compression_held(100.0)
    assert never.next_deadline() is None
    closing = Deadlines(100.0, compression_idle=1.0)
    closing.compression_held(100.0)
    closing.closing(100.5)
    assert not closing.compression_check_due(200.0)
    assert closing.next_deadline() == 105.5


def test_options_follow_the_setting():
    assert ConnectionOptions(compression=True, compression_idle_release=5.0).compression_idle_release == 5.0
    assert ConnectionOptions(compression=True, compression_idle_release=0).compression_idle_release is None
    assert ConnectionOptions(compression=False, compression_idle_release=5.0).compression_idle_release is None


# -- over duck's server (fake transport, websockets' sans-I/O client with context takeover) ------
async def start(**overrides):
    with settings.override(**overrides):
        log = Log()
        view = Recorder.as_view(log=log)
        request, client = ws_request(compression=True)
        session = await open_session(view, request, client)
    session.log = log
    log.transports.append(session.transport)
    await session.transport.wait_for(lambda: "open" in log)
    return session


async def released(extension: LazyDeflate, count: int) -> None:
    """Wait for the idle timer to free the contexts (a timer, not an event: bounded polling)."""

    async def poll() -> None:
        while extension.releases < count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)  # not asyncio.timeout(): Python 3.11+


async def test_an_idle_connection_frees_its_contexts_and_still_reads_context_takeover_messages():
    session = await start(WEBSOCKET_COMPRESSION_IDLE_RELEASE=0.05)
    extension = session.protocol._deflate
    assert isinstance(extension, LazyDeflate) and not extension.holding
    text = "a message the client will refer back to " * 8
    session.send_text(text)
    assert await session.next_text() == "You sent " + text
    assert extension.holding
    await released(extension, 1)
    assert not extension.holding
    session.send_text(text)  # websockets' client compresses it against the previous message
    assert await session.next_text() == "You sent " + text
    await released(extension, 2)
    session.transport.lose()
    assert session.protocol._deflate is None and extension.on_allocate is None  # no cycle left behind


async def test_without_idle_release_the_contexts_stay_and_no_history_is_copied():
    session = await start(WEBSOCKET_COMPRESSION_IDLE_RELEASE=None)
    assert session.protocol._deflate is None
    extension = session.protocol._ws.extensions[0]
    assert isinstance(extension, LazyDeflate) and not extension.holding
    session.send_text("hello")
    assert await session.next_text() == "You sent hello"
    assert extension.holding and extension._history == b""
    session.transport.lose()
