"""The Redis hub: ``LocalHub`` plus wake-ups and typing notices shared between server processes (``KEFU_REDIS_URL``).

A process publishes ``"<node> w"`` (wake) to ``<prefix>:chat:<id>`` when it commits a change to a chat (a
message, or its state; the timer worker's too: ``kefu.chat.wakes``),
``"<node> w <chat id>"`` to ``<prefix>:agent:<id>`` when an agent got or lost that chat, and
``"<node> t <sender>"`` to the chat's channel for a typing notice. Each process pattern-subscribes to its
prefix's chat and agent channels and wakes the listeners it has for them (its own publications it already woke
locally). Every process thus hears every wake-up and drops those it has no listener for: cheap for the few
processes of one center; per-channel ``SUBSCRIBE`` would be the next step for many.

Redis carries no message: a woken socket reads the store. So nothing Redis does — a lost wake-up, a doubled one,
a restart — can lose, repeat or reorder a message. While Redis is away, publications are dropped (never waited
for), the subscription reconnects with a backoff and, once back, wakes every listener here; meanwhile the store
poll of ``LocalHub`` delivers, up to one poll interval late. Typing notices are the only thing lost then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from uuid import uuid4

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from kefu.chat.hub import LocalHub
from kefu.chat.wakes import Wakes

log = logging.getLogger(__name__)
OUTBOX = 10_000  # publications waiting for Redis; past that they are dropped (the poll delivers)
BATCH = 500
BACKOFF = (0.1, 2.0)


@dataclass(eq=False)
class _Link:
    """One event loop's connection to Redis (a test may run the app in two loops)."""

    client: aioredis.Redis
    outbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(OUTBOX))
    tasks: list[asyncio.Task] = field(default_factory=list)
    down: bool = False


class RedisHub(LocalHub):
    def __init__(self, factory: sessionmaker[Session], *, url: str, prefix: str = "kefu", **kwargs) -> None:
        super().__init__(factory, **kwargs)
        self.url, self.prefix = url, prefix
        self.client_name = f"kefu-hub-{prefix}-{self.node}"
        self.subscriptions = 0  # times subscribed: 1, then one more after each lost connection to Redis
        self.dropped = 0  # publications Redis did not take
        self._links: dict[asyncio.AbstractEventLoop, _Link] = {}

    def channel(self, kind: str, ident: int) -> str:
        return f"{self.prefix}:{kind}:{ident}"

    # -- out ----------------------------------------------------------------------------------------------------
    def committed(self, found: Wakes) -> None:
        super().committed(found)
        for suffix, body in messages(found):  # the other processes read the store
            self._out(f"{self.prefix}:{suffix}", body)

    async def typing(self, chat_id: int, sender: str) -> None:
        self._typing(chat_id, sender)
        self._out(self.channel("chat", chat_id), f"t {sender}")

    def _out(self, channel: str, body: str) -> None:
        link = self._links.get(asyncio.get_running_loop())
        if link is None:
            return
        try:
            link.outbox.put_nowait((channel, f"{self.node} {body}"))
        except asyncio.QueueFull:
            self.dropped += 1

    async def _send(self, link: _Link) -> None:
        """Publish what the sockets queued, in batches of one round trip; a sender never waits for Redis."""
        while True:
            batch = [await link.outbox.get()]
            while not link.outbox.empty() and len(batch) < BATCH:
                batch.append(link.outbox.get_nowait())
            try:
                async with link.client.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
                link.down = False
            except (RedisError, OSError) as exc:
                self.dropped += len(batch)
                if not link.down:
                    log.warning("chat hub: Redis does not take wake-ups (%s); the store poll delivers", exc)
                link.down = True
                await asyncio.sleep(BACKOFF[0])

    # -- in -----------------------------------------------------------------------------------------------------
    def _received(self, channel: bytes, data: bytes) -> None:
        node, _, body = data.decode().partition(" ")
        if node == self.node:
            return
        kind, _, ident = channel.decode()[len(self.prefix) + 1:].partition(":")
        if not ident.isdigit():
            return
        if kind == "chat" and body == "w":
            self._wake(int(ident))
        elif kind == "chat" and body.startswith("t "):
            self._typing(int(ident), body[2:])
        elif kind == "agent" and body.startswith("w ") and body[2:].isdigit():
            self._wake(int(body[2:]), int(ident))

    def _wake_everyone(self) -> None:
        for chat_id, group in self.chats.items():
            for listener in group:
                listener.touch(chat_id)
        for group in self.agents.values():
            for listener in group:
                listener.touch(discover=True)

    async def _listen(self, link: _Link) -> None:
        pause = BACKOFF[0]
        while True:
            pubsub = link.client.pubsub()
            try:
                await pubsub.psubscribe(f"{self.prefix}:chat:*", f"{self.prefix}:agent:*")
                self.subscriptions += 1
                if self.subscriptions > 1:
                    log.warning("chat hub: subscribed to Redis again")
                pause = BACKOFF[0]
                self._wake_everyone()  # whatever was published while we were not listening
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message["type"] == "pmessage":
                        self._received(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection to Redis is gone: the poll delivers meanwhile
                log.warning("chat hub: Redis subscription lost (%s); reconnecting", exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, BACKOFF[1])

    # -- life ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        super().start()
        loop = asyncio.get_running_loop()
        if loop in self._links:
            return
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5,
                                         health_check_interval=5, client_name=self.client_name)
        link = self._links[loop] = _Link(client)
        link.tasks = [loop.create_task(self._listen(link)), loop.create_task(self._send(link))]

    async def stop(self) -> None:
        await super().stop()
        link = self._links.pop(asyncio.get_running_loop(), None)
        if link is None:
            return
        for task in link.tasks:
            task.cancel()
        for task in link.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await link.client.aclose()


def messages(found: Wakes) -> list[tuple[str, str]]:
    """The (channel suffix, body) pairs that tell the hubs of every process about ``found``."""
    out = [(f"chat:{chat_id}", "w") for chat_id in sorted({m.chat_id for m in found.news}
                                                          | {chat_id for chat_id, _ in found.chats})]
    out += [(f"agent:{agent_id}", f"w {chat_id}") for chat_id, agent_id in sorted(found.chats, key=str)
            if agent_id is not None]
    return out


class Publisher:
    """Wake-ups from a process without sockets (``kefu worker``: the idle flow's messages, closings, requeues)
    to the hubs of the server processes, through Redis. Best effort, never waited for long: while Redis is away
    the store poll of each hub delivers (up to its interval late)."""

    def __init__(self, url: str, prefix: str = "kefu") -> None:
        import redis

        self.prefix, self.node = prefix, f"worker-{uuid4().hex[:12]}"
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.dropped = 0

    def __call__(self, found: Wakes) -> None:
        pairs = messages(found)
        if not pairs:
            return
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for suffix, body in pairs:
                    pipe.publish(f"{self.prefix}:{suffix}", f"{self.node} {body}")
                pipe.execute()
        except (RedisError, OSError) as exc:
            self.dropped += len(pairs)
            log.warning("timer worker: Redis does not take wake-ups (%s); the store poll delivers", exc)
