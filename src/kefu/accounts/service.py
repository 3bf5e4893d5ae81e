"""Accounts: creating users, signing in, tokens, API keys, one-account-per-person flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.accounts.models import ApiKey, AuthSession, SessionFlag, Skill, Team, User
from kefu.accounts.security import hash_password, new_token, token_digest, verify_password
from kefu.audit.service import record
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.core.roles import Role
from kefu.notifications.service import notify, user_ids_with_roles

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must be at least {MIN_PASSWORD} characters", field="password")


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    team_name: str | None = None,
    team_id: int | None = None,
    email: str | None = None,
) -> User:
    if not USERNAME_RE.match(username):
        raise Invalid("username may use letters, digits, '_', '.', '-' (2–64)", field="username")
    if role not in Role.__members__:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(Role)}", field="role")
    validate_password(password)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username!r} is taken", field="username")
    if team_name is not None:
        team = session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            raise Invalid(f"no team named {team_name!r}", field="team")
        team_id = team.id
    elif team_id is not None and session.get(Team, team_id) is None:
        raise Invalid(f"no team with id {team_id}", field="team_id")
    user = User(
        username=username, display_name=display_name or username, password_hash=hash_password(password),
        role=role, team_id=team_id, email=email, is_active=True, created_at=actor.now,
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", target_type="user", target_id=user.id,
           detail={"username": username, "role": role, "team_id": team_id})
    return user


def update_user(session: Session, *, actor: Actor, user: User, changes: dict) -> User:
    if "role" in changes and changes["role"] not in Role.__members__:
        raise Invalid(f"unknown role {changes['role']!r}", field="role")
    if "team_id" in changes and changes["team_id"] is not None and session.get(Team, changes["team_id"]) is None:
        raise Invalid(f"no team with id {changes['team_id']}", field="team_id")
    password = changes.pop("password", None)
    before = {k: getattr(user, k) for k in changes}
    for key, value in changes.items():
        setattr(user, key, value)
    if password:
        validate_password(password)
        user.password_hash = hash_password(password)
        revoke_all_sessions(session, user=user, now=actor.now)
    record(session, actor=actor, action="user.update", target_type="user", target_id=user.id,
           detail={"before": before, "after": changes, "password_changed": bool(password)})
    return user


def create_team(session: Session, *, actor: Actor, name: str, kind: str = "frontline",
                leader_id: int | None = None) -> Team:
    if kind not in ("frontline", "complaints"):
        raise Invalid("team kind is frontline or complaints", field="kind")
    if session.scalar(select(Team.id).where(Team.name == name)):
        raise Conflict(f"team {name!r} exists", field="name")
    if leader_id is not None and session.get(User, leader_id) is None:
        raise Invalid(f"no user with id {leader_id}", field="leader_id")
    team = Team(name=name, kind=kind, leader_id=leader_id, created_at=actor.now)
    session.add(team)
    session.flush()
    record(session, actor=actor, action="team.create", target_type="team", target_id=team.id, detail={"name": name})
    return team


def ensure_skill(session: Session, *, code: str, name: str) -> Skill:
    skill = session.scalar(select(Skill).where(Skill.code == code))
    if skill is None:
        skill = Skill(code=code, name=name)
        session.add(skill)
        session.flush()
    return skill


@dataclass
class LoginResult:
    token: str
    auth: AuthSession
    flagged: bool


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        hash_password(password)  # same work whether or not the user exists
        return None
    return user if verify_password(user.password_hash, password) else None


def login(
    session: Session, *, actor: Actor, user: User, kind: str, ip: str | None, user_agent: str | None,
    hours: int,
) -> LoginResult:
    """Open a fresh session (a new token every login) and flag a second place."""
    now = actor.now
    others = session.scalars(
        select(AuthSession).where(
            AuthSession.user_id == user.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    ).all()
    elsewhere = [s for s in others if s.ip and ip and s.ip != ip]
    token = new_token()
    auth = AuthSession(
        user_id=user.id, kind=kind, token_hash=token_digest(token), csrf_token=new_token(24), ip=ip,
        user_agent=(user_agent or "")[:300], created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours),
    )
    session.add(auth)
    session.flush()
    me = Actor(user_id=user.id, username=user.username, role=user.role, team_id=user.team_id, now=now, ip=ip)
    record(session, actor=me, action="auth.login", target_type="user", target_id=user.id, detail={"kind": kind})
    if elsewhere:
        _flag_concurrent(session, actor=me, user=user, first_ip=elsewhere[0].ip, second_ip=ip, auth_id=auth.id)
    return LoginResult(token=token, auth=auth, flagged=bool(elsewhere))


def _flag_concurrent(session: Session, *, actor: Actor, user: User, first_ip: str | None,
                     second_ip: str | None, auth_id: int) -> None:
    detail = f"账号 {user.username} 同时在 {first_ip} 和 {second_ip} 登录"
    session.add(SessionFlag(user_id=user.id, at=actor.now, first_ip=first_ip, second_ip=second_ip, detail=detail))
    record(session, actor=actor, action="auth.concurrent_login", target_type="user", target_id=user.id,
           detail={"first_ip": first_ip, "second_ip": second_ip})
    notify(session, actor=actor, user_ids=user_ids_with_roles(session, [Role.supervisor, Role.admin]),
           kind="session.concurrent", title=f"一号多用:{user.display_name}", body=detail,
           dedupe=f"concurrent:{auth_id}")


def resolve_token(session: Session, *, token: str, now, touch: bool = True) -> AuthSession | None:
    auth = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_digest(token)))
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now or not auth.user.is_active:
        return None
    if touch and (now - auth.last_seen_at).total_seconds() > 60:
        auth.last_seen_at = now
    return auth


def logout(session: Session, *, auth: AuthSession, now) -> None:
    auth.revoked_at = now


def revoke_all_sessions(session: Session, *, user: User, now) -> None:
    for auth in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ):
        auth.revoked_at = now


API_KEY_PREFIX = "kefu_"


def create_api_key(session: Session, *, actor: Actor, name: str, user: User) -> tuple[str, ApiKey]:
    secret = API_KEY_PREFIX + new_token(30)
    key = ApiKey(name=name, prefix=secret[:12], key_hash=token_digest(secret), user_id=user.id, created_at=actor.now)
    session.add(key)
    session.flush()
    record(session, actor=actor, action="apikey.create", target_type="api_key", target_id=key.id,
           detail={"name": name, "user_id": user.id})
    return secret, key


def resolve_api_key(session: Session, *, secret: str, now) -> ApiKey | None:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == token_digest(secret)))
    if key is None or key.revoked_at is not None or not key.user.is_active:
        return None
    key.last_used_at = now
    key.use_count += 1
    return key


def revoke_api_key(session: Session, *, actor: Actor, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    key.revoked_at = actor.now
    record(session, actor=actor, action="apikey.revoke", target_type="api_key", target_id=key.id)
    return key
