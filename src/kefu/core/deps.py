"""Typed dependencies used in every route signature: SessionDep, ClockDep, CurrentUser, require(perm)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kefu.accounts.models import AuthSession, User
from kefu.accounts.security import same
from kefu.accounts.service import API_KEY_PREFIX, resolve_api_key, resolve_token
from kefu.chat.wakes import tell_on_commit
from kefu.core.clock import Clock
from kefu.core.context import Actor
from kefu.core.errors import DomainError, Forbidden
from kefu.core.roles import Perm, can

SESSION_COOKIE = "kefu_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotAuthenticated(DomainError):
    status_code = 401


class CsrfFailed(DomainError):
    status_code = 403


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's Session. Made on the event loop (no I/O until first used, in the endpoint's thread);
    a ``Router`` endpoint commits it in its own thread, so only work left over is committed here."""
    session = request.app.state.sessionmaker()
    hub = getattr(request.app.state, "chat_hub", None)
    if hub is not None:  # chats it changes reach the sockets when it commits (kefu.chat.wakes)
        tell_on_commit(session, hub)
    try:
        yield session
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():  # only if the rollback above was cancelled
            await run_in_threadpool(session.close)
        else:
            session.close()  # holds no connection: nothing to send


async def get_clock(request: Request) -> Clock:  # async: no thread hop for a dict lookup
    return request.app.state.clock


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]


@dataclass
class Principal:
    user: User
    auth: AuthSession | None
    actor: Actor
    via: str  # cookie | bearer | api_key

    def can(self, perm: Perm) -> bool:
        return can(self.user.role, perm)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _from_request(request: Request, session: Session, clock: Clock) -> Principal | None:
    now = clock.now()
    header = request.headers.get("authorization", "")
    auth: AuthSession | None = None
    user: User | None = None
    via = "cookie"
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if token.startswith(API_KEY_PREFIX):
            key = resolve_api_key(session, secret=token, now=now)
            user, via = (key.user if key else None), "api_key"
        else:
            auth = resolve_token(session, token=token, now=now)
            user, via = (auth.user if auth else None), "bearer"
    elif cookie := request.cookies.get(SESSION_COOKIE):
        auth = resolve_token(session, token=cookie, now=now)
        user = auth.user if auth and auth.kind == "ui" else None
    if user is None:
        return None
    actor = Actor(user_id=user.id, username=user.username, role=user.role, team_id=user.team_id, now=now,
                  ip=client_ip(request), display_name=user.display_name)
    return Principal(user=user, auth=auth, actor=actor, via=via)


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Cookie-authenticated writes must carry the session's CSRF token (header or form field)."""
    if principal.via != "cookie" or request.method not in UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not principal.auth or not sent or not same(sent, principal.auth.csrf_token):
        raise CsrfFailed("the form is stale or forged (CSRF check failed); reload the page")


def optional_principal(request: Request, session: SessionDep, clock: ClockDep) -> Principal | None:
    return _from_request(request, session, clock)


async def _form_csrf(request: Request) -> str | None:
    ctype = request.headers.get("content-type", "")
    if request.method in UNSAFE and ("form" in ctype):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def current_principal(request: Request, session: SessionDep, clock: ClockDep,
                      form_token: Annotated[str | None, Depends(_form_csrf)]) -> Principal:
    principal = _from_request(request, session, clock)
    if principal is None:
        raise NotAuthenticated("sign in first (bearer token, API key or session cookie)")
    check_csrf(request, principal, form_token)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(perm: Perm):
    """A dependency that lets through only roles holding ``perm``."""

    async def check(principal: CurrentUser) -> Principal:  # async: a role check needs no thread
        if not principal.can(perm):
            raise Forbidden(f"your role ({principal.user.role}) may not {perm.value}")
        return principal

    return Depends(check)
