"""Groups across worker processes and machines, over Redis pub/sub (redis-py's asyncio client).

One Redis channel per group (``GROUPS_REDIS_PREFIX`` + name). Per process (per event loop):

- **one subscriber connection**, read by one task: ``SUBSCRIBE`` when a group gets its first
  local member, ``UNSUBSCRIBE`` when its last one leaves; every message received is fanned
  out to the local members (:meth:`LocalGroups.fan_out`), so a message crosses the network
  once per process, not once per client;
- **a small pool of publishing connections** (a subscribed connection can do nothing but
  subscribe): :meth:`RedisBackend.send` is one ``PUBLISH``, and the sender's own process gets
  the message back through its subscription like every other process (one path, one order).

A message on the wire is ``kind + excluded-id + "\\n" + payload``: kind ``t`` (text) or ``b``
(binary), and the id of the connection to skip, ``"<process id>:<id(connection)>"``, empty
for none. The process id is unique per backend instance (pid + random), so ``exclude`` works
across processes and forked workers never share one.

Redis pub/sub keeps nothing for a subscriber that is away. When the subscriber connection
drops (Redis restarted, network), the task reconnects with exponential backoff (capped by
``GROUPS_REDIS_BACKOFF_MAX``), subscribes to every current group again and logs a warning
saying how long it was away: messages published meanwhile were lost for this process. While
publishing fails, :meth:`send` still reaches the members in its own process and logs once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from duck.conf import settings
from duck.contrib.websockets.connection import PreparedFrame, WebSocketConnection
from duck.contrib.websockets.enums import OpCode
from duck.contrib.websockets.groups.base import Backend
from duck.exceptions import ImproperlyConfigured
from duck.utils.asyncio.supervisor import spawn
from duck.utils.redis_client import redis_url

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.connection import AbstractConnection

__all__ = ["RedisBackend", "decode_message", "encode_message"]

logger = logging.getLogger("duck.websockets.groups")

# First reconnection delay; it doubles per failed attempt up to GROUPS_REDIS_BACKOFF_MAX.
_FIRST_BACKOFF = 0.1
# Publishing connections per process: concurrent sends share these instead of opening one each.
_PUBLISH_CONNECTIONS = 8
# TCP keepalive probes on Redis connections: first after this many idle seconds, then every
# _KEEPALIVE_INTERVAL seconds; three unanswered probes drop the connection (then we reconnect).
_KEEPALIVE_IDLE = 30
_KEEPALIVE_INTERVAL = 10
_KINDS = {OpCode.TEXT: b"t", OpCode.BINARY: b"b"}
_OPCODES = {b"t": OpCode.TEXT, b"b": OpCode.BINARY}


def encode_message(frame: PreparedFrame, exclude_id: str) -> bytes:
    """The bytes published for ``frame`` (see the module docstring)."""
    return b"".join((_KINDS[frame.opcode], exclude_id.encode("ascii"), b"\n", frame.payload))


def decode_message(data: bytes) -> tuple[OpCode, str, bytes]:
    """``(opcode, excluded id, payload)`` from published bytes.

    Raises:
        ValueError: not a message duck published.
    """
    opcode = _OPCODES.get(data[:1])
    newline = data.find(b"\n", 1)
    if opcode is None or newline < 0:
        raise ValueError("not a duck groups message")
    return opcode, data[1:newline].decode("ascii"), data[newline + 1 :]


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    # OSError: socket errors redis-py lets through; TimeoutError: our own bounds on its calls.
    return (RedisError, OSError, asyncio.TimeoutError)


def _keepalive() -> dict[str, Any]:
    """TCP keepalive that notices a vanished Redis host (no FIN, no RST) in about a minute.

    The subscriber waits for messages without a read timeout (a quiet group is normal), so
    without keepalive a dead network path would leave it waiting for hours (the kernel's default).
    """
    names = ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT")
    if not all(hasattr(socket, name) for name in names):
        return {"socket_keepalive": True}
    probes = {socket.TCP_KEEPIDLE: _KEEPALIVE_IDLE, socket.TCP_KEEPINTVL: _KEEPALIVE_INTERVAL, socket.TCP_KEEPCNT: 3}
    return {"socket_keepalive": True, "socket_keepalive_options": probes}


def _why(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shown(url: str) -> str:
    """``url`` without its password, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or parts.path or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path if parts.hostname else ''}"


class RedisBackend(Backend):
    """Groups whose messages go through Redis pub/sub, so that they reach every process.

    Args:
        url: the Redis URL (``redis://``, ``rediss://`` or ``unix://``).
        prefix: prepended to group names to make channel names.
        timeout: seconds any single Redis operation may take (connect, publish, a subscription
            being confirmed).
        backoff_max: longest wait between two reconnection attempts, in seconds.
    """

    name = "redis"

    def __init__(self, url: str, *, prefix: str = "duck:groups:", timeout: float = 5.0, backoff_max: float = 5.0):
        super().__init__()
        try:
            import redis.asyncio  # noqa: F401 - checked here so that a missing package says how to fix it
        except ImportError:
            raise ImproperlyConfigured(
                "GROUPS_BACKEND = 'redis' needs the redis package: pip install 'duckweb[redis]' (or redis>=5)."
            ) from None
        self.url = url
        self.prefix = prefix.encode()
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.process_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._errors = _redis_errors()
        self._publisher: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscriber: AbstractConnection | None = None  # set while connected and subscribed
        self._down = False  # True after a failed connection attempt, until the next success
        self._publish_failing = False
        self._lock = asyncio.Lock()  # one writer of SUBSCRIBE/UNSUBSCRIBE at a time
        self._wanted: set[bytes] = set()  # channels of groups with local members
        self._sent: set[bytes] = set()  # channels SUBSCRIBEd on the current connection
        self._confirmed: set[bytes] = set()  # ... and confirmed by Redis
        self._unconfirmed: dict[bytes, int] = {}  # SUBSCRIBE commands awaiting their confirmation
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._sync_scheduled = False

    @classmethod
    def from_settings(cls) -> RedisBackend:
        """A backend configured by ``DUCK_REDIS_URL``/``REDIS_URL`` and the ``GROUPS_REDIS_*`` settings."""
        return cls(
            redis_url(),
            prefix=settings.GROUPS_REDIS_PREFIX,
            timeout=settings.GROUPS_REDIS_TIMEOUT,
            backoff_max=settings.GROUPS_REDIS_BACKOFF_MAX,
        )

    def __repr__(self) -> str:
        state = "closed" if self.closed else "down" if self._down else "up"
        return f"<RedisBackend {_shown(self.url)} {state} groups={len(self.local)}>"

    @property
    def connected(self) -> bool:
        """True while the subscriber connection is up."""
        return self._subscriber is not None

    def _channel(self, group: str) -> bytes:
        return self.prefix + group.encode()

    # -- the API -----------------------------------------------------------------------------------
    async def add(self, group: str, connection: WebSocketConnection) -> None:
        if connection.closed:
            return
        self._start()
        channel = self._channel(group)
        if self.local.add(group, connection):
            self._wanted.add(channel)
            await self._sync_subscriptions()
        if channel not in self._confirmed and not self._down:
            await self._wait_confirmed(channel)  # from here on, no message published to it is missed

    async def discard(self, group: str, connection: WebSocketConnection) -> None:
        if self.local.discard(group, connection):
            self._wanted.discard(self._channel(group))
            await self._sync_subscriptions()

    async def send(self, group: str, frame: PreparedFrame, exclude: WebSocketConnection | None) -> None:
        self._start()
        publisher = self._publisher
        if publisher is None:  # closed (server shutting down): the local members only
            self.deliver(group, frame, exclude)
            return
        exclude_id = "" if exclude is None else f"{self.process_id}:{id(exclude)}"
        message = encode_message(frame, exclude_id)
        try:
            # Bounded without a wait_for task per message: the pool waits at most `timeout` for a
            # free connection, and connecting, writing and reading have the same socket timeouts.
            await publisher.publish(self._channel(group), message)
        except self._errors as exc:
            self._publishing_failed(group, exc)
            self.deliver(group, frame, exclude)  # the members in this process, at least
            return
        if self._publish_failing:
            self._publish_failing = False
            logger.warning("Publishing group messages to Redis at %s works again.", _shown(self.url))

    def _publishing_failed(self, group: str, exc: BaseException) -> None:
        if not self._publish_failing:  # once per outage, not once per message
            self._publish_failing = True
            logger.warning(
                "Cannot publish to Redis at %s (%s): group messages (first: %r) reach only this process's "
                "members until it is back.",
                _shown(self.url),
                _why(exc),
                group,
            )

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=self.timeout)
        else:
            await self._release()

    # -- subscriptions -----------------------------------------------------------------------------
    def _group_emptied(self, group: str) -> None:
        """A close callback emptied ``group``: unsubscribe soon (callbacks cannot await)."""
        self._wanted.discard(self._channel(group))
        if self._subscriber is not None and not self._sync_scheduled and not self.closed:
            self._sync_scheduled = True  # one task for a burst of closes (server shutdown, say)
            spawn(self._deferred_sync(), name="duck groups: redis unsubscribe", context=contextvars.Context())

    async def _deferred_sync(self) -> None:
        self._sync_scheduled = False
        await self._sync_subscriptions()

    async def _sync_subscriptions(self) -> None:
        """Bring the subscriber connection's channels in line with the groups that have local members."""
        async with self._lock:
            subscriber = self._subscriber
            if subscriber is None:
                return  # the listener subscribes to everything wanted when it (re)connects
            try:
                await self._send_subscriptions(subscriber)
            except self._errors as exc:
                # The listener's read fails on the same broken connection and reconnects.
                logger.debug("Updating Redis subscriptions failed: %r", exc)
                await subscriber.disconnect()

    async def _send_subscriptions(self, subscriber: AbstractConnection) -> None:
        subscribe = self._wanted - self._sent
        unsubscribe = self._sent - self._wanted
        if subscribe:
            for channel in subscribe:
                self._unconfirmed[channel] = self._unconfirmed.get(channel, 0) + 1
            self._sent |= subscribe
            self._confirmed -= subscribe
            await asyncio.wait_for(subscriber.send_command("SUBSCRIBE", *subscribe, check_health=False), self.timeout)
        if unsubscribe:
            self._sent -= unsubscribe
            self._confirmed -= unsubscribe
            await asyncio.wait_for(
                subscriber.send_command("UNSUBSCRIBE", *unsubscribe, check_health=False), self.timeout
            )

    async def _wait_confirmed(self, channel: bytes) -> None:
        waiter = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(channel, [])
        waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, self.timeout)
        except asyncio.TimeoutError:
            logger.warning(
                "Redis at %s did not confirm the subscription to %r within %g s (GROUPS_REDIS_TIMEOUT); "
                "messages may be missed until it does.",
                _shown(self.url),
                channel.decode(errors="replace"),
                self.timeout,
            )
        finally:
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters and self._waiters.get(channel) is waiters:
                del self._waiters[channel]

    def _on_subscribed(self, channel: bytes) -> None:
        left = self._unconfirmed.get(channel, 0) - 1
        if left > 0:
            self._unconfirmed[channel] = left  # an older SUBSCRIBE's answer: wait for the latest
            return
        self._unconfirmed.pop(channel, None)
        if channel in self._sent:
            self._confirmed.add(channel)
        self._wake(self._waiters.pop(channel, ()))

    def _wake_all(self) -> None:
        """Release every add() waiting for a confirmation (Redis is unreachable: do not hold joins)."""
        waiters, self._waiters = self._waiters, {}
        for futures in waiters.values():
            self._wake(futures)

    @staticmethod
    def _wake(futures: Any) -> None:
        for future in futures:
            if not future.done():
                future.set_result(None)

    # -- the subscriber task -----------------------------------------------------------------------
    def _start(self) -> None:
        """Create the publisher and start the subscriber task, once (lazily, on first use)."""
        if self._task is not None or self.closed:
            return
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.asyncio.connection import parse_url
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        options = {
            "socket_connect_timeout": self.timeout,
            "socket_timeout": self.timeout,
            "retry": Retry(NoBackoff(), 1),  # one immediate retry: a pooled connection may predate a restart
            **_keepalive(),
            **parse_url(self.url),
            # RESP2 whatever the URL says: subscription confirmations and messages then come back as
            # plain replies (RESP3 makes them push messages, which read_response() does not return).
            "protocol": 2,
        }
        pool = BlockingConnectionPool(
            max_connections=_PUBLISH_CONNECTIONS,
            timeout=self.timeout,  # waiting for a free publishing connection
            **options,
        )
        self._publisher = Redis.from_pool(pool)
        # A fresh context: the task belongs to the server (stopped by shutdown_tasks), never to
        # the connection whose join happened to start it.
        self._task = spawn(self._run(), name="duck groups: redis subscriber", context=contextvars.Context())

    def _new_subscriber(self) -> AbstractConnection:
        assert self._publisher is not None
        pool = self._publisher.connection_pool
        # No read timeout: a quiet channel is not an error; writes are bounded in _send_subscriptions.
        options = {**pool.connection_kwargs, "socket_timeout": None}
        return pool.connection_class(**options)

    async def _run(self) -> None:
        backoff = _FIRST_BACKOFF
        lost_at: float | None = None  # when the subscription was lost (or the first attempt failed)
        try:
            while True:
                subscriber = self._new_subscriber()
                try:
                    await self._connect(subscriber)
                except self._errors as exc:
                    await self._disconnected(subscriber)
                    if lost_at is None:
                        lost_at = time.monotonic()
                        logger.warning("Cannot connect to Redis at %s (%s); retrying.", _shown(self.url), _why(exc))
                    await asyncio.sleep(backoff)  # backoff between attempts: there is no event to wait for
                    backoff = min(backoff * 2, self.backoff_max)
                    continue
                backoff = _FIRST_BACKOFF
                if lost_at is not None:
                    self._log_resumed(time.monotonic() - lost_at)
                    lost_at = None
                try:
                    await self._listen(subscriber)
                except self._errors as exc:
                    lost_at = time.monotonic()
                    logger.warning(
                        "Lost the connection to Redis at %s (%s); reconnecting. Group messages published "
                        "by other processes are lost until then.",
                        _shown(self.url),
                        _why(exc),
                    )
                finally:
                    await self._disconnected(subscriber)
        finally:
            await self._release()

    async def _connect(self, subscriber: AbstractConnection) -> None:
        try:
            await asyncio.wait_for(subscriber.connect(), self.timeout)  # type: ignore[no-untyped-call]
        except self._errors:
            self._down = True
            self._wake_all()
            raise
        async with self._lock:
            self._sent.clear()
            self._confirmed.clear()
            self._unconfirmed.clear()
            self._subscriber = subscriber
            self._down = False
            await self._send_subscriptions(subscriber)  # every group with a local member, again

    def _log_resumed(self, away: float) -> None:
        logger.warning(
            "Connected to Redis at %s again after %.1f s, subscribing to %d group(s) again; group messages "
            "published by other processes in that time were lost (Redis pub/sub does not keep them).",
            _shown(self.url),
            away,
            len(self._wanted),
        )

    async def _listen(self, subscriber: AbstractConnection) -> None:
        """Read replies and messages until the connection fails (raises a Redis/OS error)."""
        prefix_length = len(self.prefix)
        while True:
            reply = await subscriber.read_response(timeout=None)
            if not isinstance(reply, list) or not reply:
                continue
            kind = reply[0]
            if kind == b"message":
                self._on_message(reply[1][prefix_length:].decode(errors="replace"), reply[2])
            elif kind == b"subscribe":
                self._on_subscribed(reply[1])

    def _on_message(self, group: str, data: bytes) -> None:
        try:
            opcode, exclude_id, payload = decode_message(data)
        except ValueError:
            logger.warning("Ignored a message on group %r that duck did not publish (%d bytes).", group, len(data))
            return
        if opcode is OpCode.TEXT:
            try:
                payload.decode()  # RFC 6455 §8.1: never send invalid UTF-8 as text, whoever published it
            except UnicodeDecodeError:
                logger.warning("Ignored a text message on group %r that is not UTF-8.", group)
                return
        excluded: int | None = None
        process, _, ident = exclude_id.rpartition(":")
        if process == self.process_id:
            excluded = int(ident)
        try:
            self.deliver(group, PreparedFrame.from_payload(opcode, payload), excluded)
        except Exception:  # a bug must not end the subscription of the whole process
            logger.exception("Delivering a message of group %r failed", group)

    async def _disconnected(self, subscriber: AbstractConnection) -> None:
        async with self._lock:
            if self._subscriber is subscriber:
                self._subscriber = None
            self._down = True
            self._sent.clear()
            self._confirmed.clear()
        self._wake_all()
        await subscriber.disconnect()

    async def _release(self) -> None:
        """Close the publisher's pool and release waiters; the backend is closed from now on."""
        self.closed = True
        self._wake_all()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose()
