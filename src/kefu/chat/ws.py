"""The chat transport: WebSockets at ``/ws/chat/customer`` and ``/ws/chat/agent`` (protocol: docs/chat-protocol.md).

Each socket is one ``Feed``: a reader (this coroutine) that turns the client's frames into service calls, each in
a worker thread in its own committed transaction, and a pump task that, when the hub wakes it, reads from the
store what the socket has not been sent yet (messages with ``seq > cursor``, in order, only while contiguous)
and the chats' state (queue position, agent, end). The store is the only source of messages, so a client that
reconnects with ``after_seq`` gets exactly what it missed, then live messages, in order, nothing twice; a resent
``client_msg_id`` is stored once by the service and acknowledged with its stored ``seq``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import bindparam, func, or_, select
from starlette.concurrency import run_in_threadpool

from kefu.accounts.models import User
from kefu.chat import seats, service, workspace
from kefu.chat.hub import Listener, session_scope_run
from kefu.chat.models import OPEN_STATUSES, Chat, ChatMessage
from kefu.core.context import Actor
from kefu.core.db import session_scope
from kefu.core.deps import _from_request
from kefu.core.errors import DomainError, Forbidden, Invalid
from kefu.customers.models import Customer

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws/chat", tags=["chat"])
SERVING = {"trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "admin"}
OBSERVING = {"team_lead", "supervisor", "admin"}  # may follow any chat, read-only
BATCH = 200  # messages read per wake-up; more wakes the pump again


@dataclass
class Limits:
    """Per-socket limits on what a client sends: frame size, a token bucket of frames per second, and the time
    a new socket has to say hello before it is closed (4408)."""

    max_frame: int = 16 * 1024
    rate: float = 10.0
    burst: int = 30
    hello_seconds: float = 10.0


class ProtocolError(DomainError):
    pass


def _code(exc: DomainError) -> str:
    if isinstance(exc, service.MessageBlocked):
        return "blocked"
    return {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}.get(
        exc.status_code, "error")


# -- visitor tokens ----------------------------------------------------------------------------------------------
def _mac(secret: str, chat_id: int, customer_id: int) -> str:
    digest = hmac.new(secret.encode(), f"kefu-visitor:{chat_id}:{customer_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def visitor_token(secret: str, *, chat_id: int, customer_id: int) -> str:
    """What a customer's widget keeps to resume its chat: the chat and customer, signed with the secret key."""
    return f"{chat_id}.{customer_id}.{_mac(secret, chat_id, customer_id)}"


def read_visitor_token(secret: str, token: str) -> tuple[int, int] | None:
    try:
        chat_id, customer_id, mac = token.split(".", 2)
        pair = int(chat_id), int(customer_id)
    except (AttributeError, ValueError):
        return None
    return pair if hmac.compare_digest(mac, _mac(secret, *pair)) else None


# -- frames ------------------------------------------------------------------------------------------------------
def message_frame(m: ChatMessage, *, for_agent: bool) -> dict:
    frame = {"type": "message", "chat_id": m.chat_id, "seq": m.seq, "sender": m.sender, "kind": m.kind,
             "text": m.body, "at": m.created_at.isoformat(), "client_msg_id": m.client_msg_id}
    if m.args:
        frame["args"] = m.args
    if for_agent and m.violations:
        frame["violations"] = m.violations
    return frame


CHAT_STATE = select(Chat.id, Chat.status, Chat.agent_id, Chat.end_reason, Chat.customer_id, Chat.last_seq,
                    Chat.queue_id, Chat.front, Chat.waiting_since).where(Chat.id == bindparam("chat_id"))
NEWS = (select(ChatMessage.chat_id, ChatMessage.seq, ChatMessage.sender, ChatMessage.kind, ChatMessage.body,
               ChatMessage.created_at, ChatMessage.client_msg_id, ChatMessage.violations, ChatMessage.args)
        .where(ChatMessage.chat_id == bindparam("chat_id"), ChatMessage.seq > bindparam("cursor"))
        .order_by(ChatMessage.seq).limit(BATCH))


def queue_position(session, chat: Chat) -> int:
    """1 + the waiting customers served before this one: those sent back to the front, then the longer waiting."""
    earlier = or_(Chat.waiting_since < chat.waiting_since,
                  (Chat.waiting_since == chat.waiting_since) & (Chat.id < chat.id))
    same_rank = Chat.front.is_(bool(chat.front)) & earlier
    ahead = same_rank if chat.front else or_(Chat.front.is_(True), same_rank)
    return (session.scalar(select(func.count()).select_from(Chat).where(
        Chat.queue_id == chat.queue_id, Chat.status == "waiting", Chat.id != chat.id, ahead)) or 0) + 1


def _name(user: User | None) -> str | None:
    return (user.display_name or user.username) if user else None


class Feed:
    """One socket (see the module docstring). ``agent``: the staff member on an agent socket, else a customer."""

    def __init__(self, ws: WebSocket, *, agent: User | None = None) -> None:
        app = ws.app
        self.ws, self.agent = ws, agent
        self.factory, self.clock, self.hub = app.state.sessionmaker, app.state.clock, app.state.chat_hub
        self.limits: Limits = app.state.chat_limits
        self.listener = Listener(agent_id=agent.id if agent else None, socket_id=uuid4().hex if agent else None)
        self.cursors: dict[int, int] = {}
        self.shown: dict[int, Any] = {}  # per chat: the last state frame sent
        self.names: dict[tuple[type, int], str | None] = {}  # agents' and customers' names, read once
        self.observed: set[int] = set()
        self.lock = asyncio.Lock()
        self.greeted = asyncio.Event()  # nothing is delivered before the client's hello set the cursors
        self.tokens, self.filled = float(self.limits.burst), time.monotonic()

    # -- plumbing -----------------------------------------------------------------------------------------------
    async def db(self, fn: Callable[..., Any], *, write: bool = True, light: bool = False) -> Any:
        """``fn(session, now)`` in a worker thread, committed; then the hub hears of the chats and agents the
        service noted as changed and the messages it stored (``kefu.chat.wakes``). On SQLite the writes of this
        process's sockets go in groups, one writer at a time (``kefu.chat.hub.GroupWriter``); a ``light`` one (a
        message) on the event loop when the write lock is free."""
        writer = self.hub.writer if write else None
        if writer is not None:
            result, changed = await writer.run(fn, light=light)
        else:
            result, changed = await run_in_threadpool(session_scope_run, self.factory, self.clock, fn)
        if changed:
            self.hub.committed(changed)
        return result

    async def send(self, frame: dict) -> None:
        async with self.lock:
            try:
                await self.ws.send_text(json.dumps(frame, ensure_ascii=False))
            except (RuntimeError, OSError) as exc:  # the client is gone (starlette raises RuntimeError kinds)
                raise WebSocketDisconnect(code=1006) from exc

    async def error(self, code: str, message: str, **extra) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    async def receive(self) -> dict:
        raw = await self.ws.receive_text()
        now = time.monotonic()
        self.tokens = min(self.limits.burst, self.tokens + (now - self.filled) * self.limits.rate)
        self.filled = now
        if len(raw.encode()) > self.limits.max_frame:
            raise ProtocolError(f"a frame has at most {self.limits.max_frame} bytes", field="too_large")
        if self.tokens < 1:
            raise ProtocolError("too many frames; slow down", field="rate_limited")
        self.tokens -= 1
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise ProtocolError("a frame is a JSON object with a type", field="bad_frame")
        return frame

    def follow(self, chat_id: int, after_seq: int = 0) -> None:
        if chat_id in self.cursors:  # already being delivered: its cursor only moves forward, by sending
            return
        self.cursors[chat_id] = max(0, int(after_seq))
        self.hub.follow(self.listener, chat_id)
        self.listener.touch(chat_id)

    def drop(self, chat_id: int) -> None:
        self.cursors.pop(chat_id, None)
        self.shown.pop(chat_id, None)
        self.observed.discard(chat_id)
        self.hub.unfollow(self.listener, chat_id)

    # -- the pump -----------------------------------------------------------------------------------------------
    async def pump(self) -> None:
        try:
            await self.greeted.wait()
            while True:
                await self.listener.wake.wait()
                self.listener.wake.clear()
                await self.deliver()
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception:  # the client reconnects and resumes from its last seq: nothing is lost
            log.exception("chat socket pump failed")
            with contextlib.suppress(Exception):
                await self.ws.close(code=1011)

    async def deliver(self) -> None:
        typing, self.listener.typing[:] = list(self.listener.typing), []
        for chat_id, sender in typing:
            if sender != ("agent" if self.agent else "customer") and chat_id in self.cursors:
                await self.send({"type": "typing", "chat_id": chat_id, "sender": sender})
        listener = self.listener
        dirty, listener.dirty = listener.dirty, set()
        news, listener.news = listener.news, {}
        discover, listener.discover = listener.discover and self.agent is not None, False
        for chat_id, messages in news.items():
            if chat_id not in dirty and chat_id in self.cursors and not await self.told(chat_id, messages):
                dirty.add(chat_id)
        cursors = {chat_id: cursor for chat_id, cursor in self.cursors.items() if chat_id in dirty}
        if not cursors and not discover:
            return
        states, mine, again = await self.db(lambda s, now: self.read(s, cursors, discover), write=False)
        for chat_id in sorted(mine - set(self.cursors)):  # newly assigned to this agent
            self.follow(chat_id)
        for chat_id, (state, snapshot, messages) in states.items():
            for m in messages:
                if self.cursors.get(chat_id) != m["seq"] - 1:  # dropped or moved on meanwhile
                    break
                await self.send(m)
                self.cursors[chat_id] = m["seq"]
            await self.state_changed(chat_id, state, mine)
            if chat_id not in again:
                self.hub.saw(chat_id, snapshot)
        if again:  # more than a batch, or a number still committing: read those again shortly
            if any(again.values()):
                await asyncio.sleep(0.01)
            for chat_id in again:
                listener.touch(chat_id)

    async def told(self, chat_id: int, messages: list) -> bool:
        """Send messages this process committed (``kefu.chat.hub.Listener.told``) without reading the store, when
        they follow the cursor and the chat's agent and status are those this socket last showed; False: read."""
        shown = self.shown.get(chat_id)
        for m in sorted(messages, key=lambda m: m.seq):
            cursor = self.cursors.get(chat_id)
            if cursor is None or m.seq <= cursor:
                continue
            if m.seq != cursor + 1 or shown is None or (shown[0], shown[1]) != (m.status, m.agent_id):
                return False
            await self.send(message_frame(m, for_agent=self.agent is not None))
            self.cursors[chat_id] = m.seq
        return True

    def read(self, session, cursors: dict[int, int], discover: bool) -> tuple[dict, set[int], dict[int, bool]]:
        """The state of each chat to read, then its messages after the cursor (state first: a message stored
        with an end is then never missed); for an agent looking for new chats, the ids of their active chats.
        ``again``: chats to read once more (more than a batch: False; a gap in the numbers: True)."""
        mine: set[int] = set()
        if discover:
            mine = set(session.scalars(select(Chat.id).where(Chat.agent_id == self.agent.id,
                                                             Chat.status == "active")))
        states, again = {}, {}
        conn = session.connection()  # plain rows, no ORM identity map: this runs for every delivered message
        for chat_id, cursor in cursors.items():
            chat = conn.execute(CHAT_STATE, {"chat_id": chat_id}).one()
            state = (chat.status, chat.agent_id, self.name(session, User, chat.agent_id),
                     queue_position(session, chat) if chat.status == "waiting" else None, chat.end_reason,
                     self.name(session, Customer, chat.customer_id))
            frames, expected = [], cursor + 1
            news = conn.execute(NEWS, {"chat_id": chat_id, "cursor": cursor}) if chat.last_seq > cursor else ()
            for m in news:
                if m.seq != expected:  # not yet visible: an earlier number still committing; next wake-up
                    again[chat_id] = True
                    break
                frames.append(message_frame(m, for_agent=self.agent is not None))
                expected += 1
            if len(frames) == BATCH:
                again.setdefault(chat_id, False)
            states[chat_id] = (state, (chat.agent_id, chat.last_seq, chat.status), frames)
        return states, mine, again

    def name(self, session, model: type, ident: int | None) -> str | None:
        """An agent's (display) or customer's name, read once per socket."""
        if ident is None:
            return None
        if (model, ident) not in self.names:
            row = session.get(model, ident)
            self.names[model, ident] = _name(row) if model is User else row.name
        return self.names[model, ident]

    async def state_changed(self, chat_id: int, state: tuple, mine: set[int]) -> None:
        status, agent_id, agent_name, position, reason, customer_name = state
        before, self.shown[chat_id] = self.shown.get(chat_id), state
        if before == state:
            return
        if self.agent is None:
            if status == "waiting" and (before is None or before[3] != position):
                await self.send({"type": "queue", "chat_id": chat_id, "position": position})
            elif status == "active" and (before is None or before[1] != agent_id):
                await self.send({"type": "assigned", "chat_id": chat_id, "agent_name": agent_name})
            elif status not in OPEN_STATUSES and (before is None or before[0] != status):
                await self.send({"type": "ended", "chat_id": chat_id, "status": status, "reason": reason})
            return
        if before is None or before[1] != agent_id:
            if agent_id == self.agent.id:
                await self.send({"type": "assigned", "chat_id": chat_id, "customer_name": customer_name})
            elif chat_id not in self.observed:
                await self.send({"type": "released", "chat_id": chat_id})
                self.drop(chat_id)
                return
        if status not in OPEN_STATUSES:
            await self.send({"type": "ended", "chat_id": chat_id, "status": status, "reason": reason})
            self.drop(chat_id)

    # -- writes -------------------------------------------------------------------------------------------------
    async def post(self, chat_id: int, frame: dict) -> None:
        client_msg_id = frame.get("client_msg_id")
        if not isinstance(client_msg_id, str) or not 0 < len(client_msg_id) <= 64:
            raise Invalid("a message needs a client_msg_id (1–64 characters)", field="client_msg_id")
        text = frame.get("text")
        if not isinstance(text, str):
            raise Invalid("a message needs a text", field="text")

        def write(session, now):
            chat = service.chat_state(session, chat_id)  # a plain row: no ORM on a message's way
            if self.agent is None:
                return service.customer_message(session, chat=chat, body=text, now=now,
                                                client_msg_id=client_msg_id).seq, []
            m, violations = service.agent_message(session, chat=chat, agent=self.agent, body=text, now=now,
                                                  client_msg_id=client_msg_id)
            return m.seq, [v.as_dict() for v in violations]

        try:
            seq, warnings = await self.db(write, light=True)  # the hub hears of the message (``kefu.chat.wakes``)
        except service.MessageBlocked as exc:
            await self.send({"type": "blocked", "chat_id": chat_id, "client_msg_id": client_msg_id,
                             "violations": [v.as_dict() for v in exc.violations]})
            return
        await self.send({"type": "ack", "chat_id": chat_id, "client_msg_id": client_msg_id, "seq": seq})
        if warnings:
            await self.send({"type": "warning", "chat_id": chat_id, "client_msg_id": client_msg_id, "seq": seq,
                             "violations": warnings})

    async def next_frame(self, deadline: float) -> dict:
        """The client's next frame; before its hello, only until ``deadline`` (then the socket is closed)."""
        if self.greeted.is_set():
            return await self.receive()
        try:
            return await asyncio.wait_for(self.receive(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.ws.close(code=4408, reason="say hello first")
            raise WebSocketDisconnect(code=4408) from None

    async def run(self, handle: Callable[[dict], Any]) -> None:
        """Read frames until the client goes; each frame's domain error is answered, not fatal."""
        pump = asyncio.get_running_loop().create_task(self.pump())
        self.hub.join(self.listener)
        deadline = time.monotonic() + self.limits.hello_seconds
        try:
            while True:
                try:
                    await handle(await self.next_frame(deadline))
                except DomainError as exc:
                    await self.error(exc.field if isinstance(exc, ProtocolError) else _code(exc), exc.message,
                                     **({"field": exc.field} if exc.field and not isinstance(exc, ProtocolError)
                                        else {}))
                except (WebSocketDisconnect, asyncio.CancelledError):
                    raise
                except Exception:  # nothing was committed (the unit of work rolled back): say so, keep going
                    log.exception("chat socket frame failed")
                    await self.error("server_error", "the server could not handle this frame; try again")
        except WebSocketDisconnect:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            self.hub.leave(self.listener)


def _chat_id(frame: dict, feed: Feed) -> int:
    chat_id = frame.get("chat_id")
    if not isinstance(chat_id, int) or chat_id not in feed.cursors:
        raise Forbidden("not one of your chats", field="chat_id")
    return chat_id


# -- the customer's socket ---------------------------------------------------------------------------------------
@router.websocket("/customer")
async def customer_socket(ws: WebSocket) -> None:
    await ws.accept()
    feed = Feed(ws)
    secret = ws.app.state.settings.secret_key
    chat_id: int | None = None

    async def hello(frame: dict) -> None:
        nonlocal chat_id
        resume, start = frame.get("resume"), frame.get("start")
        if isinstance(resume, dict):
            pair = read_visitor_token(secret, str(frame.get("token") or ""))
            if pair is None or pair[0] != resume.get("chat_id"):
                raise Forbidden("the visitor token does not open this chat", field="token")
            after_seq = resume.get("after_seq") or 0
            if not isinstance(after_seq, int):
                raise Invalid("after_seq is an integer", field="after_seq")
            chat_id = pair[0]
            feed.follow(chat_id, after_seq)
            await feed.send({"type": "welcome", "chat_id": chat_id})
            feed.greeted.set()
            return
        if not isinstance(start, dict):
            raise Invalid("hello resumes a chat (token, resume) or starts one (start)", field="start")

        def begin(session, now):
            newest = session.scalar(select(func.max(Chat.id))) or 0
            chat = service.start_chat(session, now=now, queue_code=str(start.get("queue") or ""),
                                      name=start.get("name"), phone=start.get("phone"), openid=start.get("openid"))
            return chat.id, chat.customer_id, chat.id > newest

        new_id, customer_id, created = await feed.db(begin)
        if not created:  # an open chat of that phone/openid: only its visitor token resumes it
            raise service.Conflict("this customer already has an open chat; resume it with its token",
                                   field="start")
        chat_id = new_id
        feed.follow(chat_id)
        await ws.app.state.chat_hub.publish(chat_id)
        await feed.send({"type": "welcome", "chat_id": chat_id,
                         "token": visitor_token(secret, chat_id=chat_id, customer_id=customer_id)})
        feed.greeted.set()

    async def handle(frame: dict) -> None:
        kind = frame["type"]
        if kind == "hello":
            if chat_id is not None:
                raise Invalid("already said hello", field="type")
            await hello(frame)
            return
        if chat_id is None:
            raise Invalid("say hello first", field="type")
        if kind == "message":
            await feed.post(chat_id, frame)
        elif kind == "typing":
            await feed.hub.typing(chat_id, "customer")
        elif kind == "rate":
            if not isinstance(frame.get("score"), int):
                raise Invalid("a rating is 1 (非常不满意) to 5 (非常满意)", field="score")
            await feed.db(lambda s, now: service.rate(s, chat=service.get_chat(s, chat_id), now=now,
                                                      rating=frame.get("score")))
            await feed.send({"type": "rated", "chat_id": chat_id, "score": frame.get("score")})
        elif kind == "leave_message":
            ticket_id = await feed.db(lambda s, now: service.leave_message(
                s, chat=service.get_chat(s, chat_id), body=str(frame.get("text") or ""), now=now,
                phone=frame.get("phone"), preferred_time=frame.get("preferred_time")).id)
            await feed.send({"type": "left_message", "chat_id": chat_id, "ticket_id": ticket_id})
            await feed.hub.publish(chat_id)
        elif kind == "end":
            await feed.db(lambda s, now: service.end_chat(s, chat=service.get_chat(s, chat_id), now=now,
                                                          reason="customer"))
            await feed.hub.publish(chat_id)
        else:
            raise Invalid(f"unknown frame type {kind!r}", field="type")

    await feed.run(handle)


# -- the agent's socket ------------------------------------------------------------------------------------------
def _staff(ws: WebSocket) -> User | None:
    with session_scope(ws.app.state.sessionmaker) as session:
        principal = _from_request(ws, session, ws.app.state.clock)  # the API's bearer token or session cookie
        if principal is None or principal.user.role not in SERVING:
            return None
        session.expunge(principal.user)
        return principal.user


def _cross_origin(ws: WebSocket) -> bool:
    """A browser page of another origin opening the agent socket: the session cookie would go with it (a same-site
    page, e.g. another port, gets SameSite=Lax cookies too), so it is refused. Clients without an Origin header
    (scripts, tests with a bearer token) are not browsers and pass."""
    origin, host = ws.headers.get("origin"), ws.headers.get("host")
    return origin is not None and origin.split("://", 1)[-1] != host


@router.websocket("/agent")
async def agent_socket(ws: WebSocket) -> None:
    if _cross_origin(ws):
        await ws.close(code=4403, reason="the agent socket is opened from kefu's own pages only")
        return
    user = await run_in_threadpool(_staff, ws)
    if user is None:
        await ws.close(code=4401, reason="sign in first (session cookie or bearer token) as front-line staff")
        return
    await ws.accept()
    feed = Feed(ws, agent=user)
    hub = ws.app.state.chat_hub
    socket_id = feed.listener.socket_id
    await feed.db(lambda s, now: seats.opened(s, socket_id=socket_id, user_id=user.id, node=hub.node, now=now))

    def may_follow(session, now, chat_id: int) -> bool:
        chat = service.get_chat(session, chat_id)
        return chat.agent_id == user.id or user.role in OBSERVING

    async def follow(chat_id: Any, after_seq: Any = 0, *, observe: bool = False) -> None:
        if not isinstance(chat_id, int) or not isinstance(after_seq, int):
            raise Invalid("chat_id and after_seq are integers", field="chat_id")
        if not await feed.db(lambda s, now: may_follow(s, now, chat_id), write=False):
            raise Forbidden("you may only follow your own chats", field="chat_id")
        feed.follow(chat_id, after_seq)
        if observe or user.role in OBSERVING:
            feed.observed.add(chat_id)

    async def handle(frame: dict) -> None:
        kind = frame["type"]
        if kind == "hello":
            for item in frame.get("resume") or []:
                try:
                    await follow(item.get("chat_id") if isinstance(item, dict) else None,
                                 item.get("after_seq", 0) if isinstance(item, dict) else 0)
                except DomainError as exc:  # e.g. requeued after the grace: refused, and the rest still resumed
                    await feed.error(_code(exc), exc.message, **({"field": exc.field} if exc.field else {}))
            seat = await feed.db(lambda s, now: workspace.seat_state(s, user_id=user.id), write=False)
            await feed.send({"type": "welcome", "agent_name": _name(user), **seat})
            feed.greeted.set()
            feed.listener.touch(discover=True)
        elif kind == "observe":
            if user.role not in OBSERVING:
                raise Forbidden("only team leads and supervisors observe chats", field="chat_id")
            await follow(frame.get("chat_id"), frame.get("after_seq", 0), observe=True)
        elif kind == "message":
            await feed.post(_chat_id(frame, feed), frame)
        elif kind == "typing":
            await hub.typing(_chat_id(frame, feed), "agent")
        elif kind in ("ready", "away"):
            concurrency = frame.get("concurrency")
            await feed.db(lambda s, now: (service.set_ready(s, user=s.get(User, user.id), now=now,
                                                            concurrency=concurrency) if kind == "ready"
                                          else service.set_away(s, user=s.get(User, user.id), now=now)))
            await feed.send({"type": "presence", "status": kind})
            feed.listener.touch(discover=True)
        elif kind == "end":
            await feed.db(lambda s, now: _end(s, now, user, _chat_id(frame, feed)))
            await hub.publish(frame["chat_id"])
        elif kind == "transfer":
            if not all(isinstance(frame.get(k), int | None) for k in ("to_agent_id", "to_team_id")):
                raise Invalid("to_agent_id and to_team_id are integers", field="to_agent_id")
            await feed.db(lambda s, now: service.transfer(
                s, chat=service.get_chat(s, _chat_id(frame, feed)), now=now, actor=_actor(user, now),
                to_agent_id=frame.get("to_agent_id"), to_team_id=frame.get("to_team_id")))
            await hub.publish(frame["chat_id"], agent_id=frame.get("to_agent_id"))
        else:
            raise Invalid(f"unknown frame type {kind!r}", field="type")

    try:
        await feed.run(handle)
    finally:  # the agent's last socket in any process: the disconnect grace starts
        await feed.db(lambda s, now: seats.closed(s, socket_id=socket_id, user_id=user.id, now=now))


def _actor(user: User, now) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, team_id=user.team_id, now=now,
                 display_name=user.display_name or "")


def _end(session, now, user: User, chat_id: int) -> None:
    chat = service.get_chat(session, chat_id)
    if chat.agent_id != user.id and user.role not in OBSERVING:
        raise Forbidden("only the chat's agent or a lead ends it", field="chat_id")
    service.end_chat(session, chat=chat, now=now, reason="agent")


class Shortcut:
    """Pure ASGI middleware, outermost: a chat socket goes straight to its endpoint. A WebSocket lives as long as
    its chat, and every layer between the server and the endpoint (the body-limit, header, CORS and exception
    middlewares, the router, FastAPI's dependency scope) stays suspended with it, each a coroutine with its
    closures: about 40 % of a socket's objects, which the garbage collector walks while it holds the event loop
    (``kefu.core.gc``). None of those layers does anything for these sockets; the endpoints check their own
    origin, sign-in and frames."""

    def __init__(self, app) -> None:
        self.app = app
        self.endpoints = {route.path: route.endpoint for route in router.routes}

    async def __call__(self, scope, receive, send):
        endpoint = self.endpoints.get(scope.get("path")) if scope["type"] == "websocket" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        with contextlib.suppress(WebSocketDisconnect):
            await endpoint(WebSocket(scope, receive, send))

