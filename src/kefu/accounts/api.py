"""/auth, /users, /teams, /api-keys, /session-flags."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import func, select

from kefu.accounts import service
from kefu.accounts.models import ApiKey, SessionFlag, Team, User
from kefu.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    SessionFlagPublic,
    TeamCreate,
    TeamPublic,
    Token,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from kefu.core.context import Actor
from kefu.core.deps import ClockDep, CurrentUser, Principal, SessionDep, client_ip, require
from kefu.core.errors import Invalid, NotFound
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page
from kefu.core.settings import get_settings

auth = Router(prefix="/auth", tags=["auth"])
users = Router(prefix="/users", tags=["users"])
teams = Router(prefix="/teams", tags=["users"])
keys = Router(prefix="/api-keys", tags=["users"])
flags = Router(prefix="/session-flags", tags=["users"])


@auth.post("/token", response_model=Token)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          clock: ClockDep) -> Token:
    """OAuth2 password flow: a bearer token for the API."""
    user = service.authenticate(session, username=form.username, password=form.password)
    if user is None:
        raise HTTPException(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    result = service.login(session, actor=Actor.system(clock.now()), user=user, kind="api", ip=client_ip(request),
                           user_agent=request.headers.get("user-agent"), hours=get_settings().session_hours)
    return Token(access_token=result.token, expires_at=result.auth.expires_at)


@auth.post("/logout", status_code=204)
def logout(principal: CurrentUser, session: SessionDep, clock: ClockDep) -> None:
    if principal.auth is not None:
        service.logout(session, auth=principal.auth, now=clock.now())


@auth.get("/me", response_model=UserPublic)
def me(principal: CurrentUser) -> User:
    return principal.user


@users.get("", response_model=Page[UserPublic])
def list_users(session: SessionDep, _: Annotated[Principal, require(Perm.users_read)], role: str | None = None,
               team_id: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if team_id:
        stmt = stmt.where(User.team_id == team_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(User.id).limit(min(limit, 500)).offset(offset)).all()
    return {"data": rows, "count": count}


@users.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, session: SessionDep, principal: Annotated[Principal, require(Perm.users_write)]):
    return service.create_user(session, actor=principal.actor, username=body.username, password=body.password,
                               role=body.role.value, display_name=body.display_name, team_id=body.team_id,
                               email=body.email)


def _user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


@users.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: int, session: SessionDep, _: Annotated[Principal, require(Perm.users_read)]):
    return _user(session, user_id)


@users.patch("/{user_id}", response_model=UserPublic)
def update_user(user_id: int, body: UserUpdate, session: SessionDep,
                principal: Annotated[Principal, require(Perm.users_write)]):
    changes = body.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] is not None:
        changes["role"] = changes["role"].value
    return service.update_user(session, actor=principal.actor, user=_user(session, user_id), changes=changes)


@teams.get("", response_model=Page[TeamPublic])
def list_teams(session: SessionDep, _: CurrentUser) -> dict:
    rows = session.scalars(select(Team).order_by(Team.id)).all()
    return {"data": rows, "count": len(rows)}


@teams.post("", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, session: SessionDep, principal: Annotated[Principal, require(Perm.users_write)]):
    return service.create_team(session, actor=principal.actor, name=body.name, kind=body.kind,
                               leader_id=body.leader_id)


@keys.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyCreate, session: SessionDep, principal: Annotated[Principal, require(Perm.users_write)]):
    user = session.get(User, body.user_id)
    if user is None:
        raise Invalid(f"no user with id {body.user_id}", field="user_id")
    secret, key = service.create_api_key(session, actor=principal.actor, name=body.name, user=user)
    return ApiKeyCreated.model_validate({**ApiKeyPublic.model_validate(key).model_dump(), "secret": secret})


@keys.get("", response_model=Page[ApiKeyPublic])
def list_keys(session: SessionDep, _: Annotated[Principal, require(Perm.users_write)]) -> dict:
    rows = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
    return {"data": rows, "count": len(rows)}


@keys.delete("/{key_id}", response_model=ApiKeyPublic)
def revoke_key(key_id: int, session: SessionDep, principal: Annotated[Principal, require(Perm.users_write)]):
    return service.revoke_api_key(session, actor=principal.actor, key_id=key_id)


@flags.get("", response_model=Page[SessionFlagPublic])
def list_flags(session: SessionDep, _: Annotated[Principal, require(Perm.sessions_flags)],
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    rows = session.scalars(select(SessionFlag).order_by(SessionFlag.id.desc()).limit(min(limit, 500))).all()
    return {"data": rows, "count": session.scalar(select(func.count(SessionFlag.id)))}
