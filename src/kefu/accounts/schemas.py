from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kefu.core.roles import Role
from kefu.core.schemas import Out, not_null


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None


class TeamPublic(Out):
    id: int
    name: str
    kind: str
    leader_id: int | None


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field("frontline", pattern="^(frontline|complaints)$")
    leader_id: int | None = None


class UserPublic(Out):
    id: int
    username: str
    display_name: str
    role: Role
    team_id: int | None
    is_active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    display_name: str | None = Field(None, max_length=100)
    team_id: int | None = None
    email: str | None = None


class UserUpdate(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None
    team_id: int | None = None
    is_active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=200)
    language: str | None = Field(None, pattern="^(zh-CN|en)$")

    no_nulls = not_null("display_name", "role", "is_active", "password")


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    user_id: int


class ApiKeyPublic(Out):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    secret: str


class SessionFlagPublic(Out):
    id: int
    user_id: int
    at: datetime
    first_ip: str | None
    second_ip: str | None
    detail: str
