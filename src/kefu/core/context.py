"""Who is acting, from where, and when: passed to every service function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.core.roles import Perm, Role, can


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    team_id: int | None
    now: datetime
    ip: str | None = None
    display_name: str = ""

    @classmethod
    def system(cls, now: datetime) -> Actor:
        return cls(user_id=None, username="system", role=Role.admin, team_id=None, now=now, display_name="系统")

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def can(self, perm: Perm) -> bool:
        return can(self.role, perm)
