"""Helpers shared by the API tests: create tickets through the API, read notifications and audit rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

API = "/api/v1"


@dataclass
class Desk:
    """A thin driver over the API for the `world` center."""

    client: object
    world: object
    db: object

    def ticket(self, who: str = "agent", **fields) -> dict:
        body = {
            "subject": "外卖超时未送达,要求退款",
            "description": "顾客说等了两个小时还没送到",
            "customer_id": self.world.customers[0].id,
            "category_id": self.world.categories["delivery.late"].id,
            **fields,
        }
        r = self.client.post(f"{API}/tickets", headers=self.world.headers(who), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def post(self, who: str, path: str, **kw):
        return self.client.post(API + path, headers=self.world.headers(who), **kw)

    def patch(self, who: str, path: str, **kw):
        return self.client.patch(API + path, headers=self.world.headers(who), **kw)

    def get(self, who: str, path: str, **kw):
        return self.client.get(API + path, headers=self.world.headers(who), **kw)

    def escalate(self, ticket_id: int, who: str = "agent", reason: str = "顾客情绪激动,要求组长处理"):
        return self.post(who, f"/tickets/{ticket_id}/escalate", json={"reason": reason})

    def relogin(self) -> None:
        """Fresh tokens for everyone after the clock moved past their expiry."""
        from kefu.accounts.service import login
        from kefu.core.context import Actor

        from_ = self.client.app.state.clock.now()
        for name, user in self.world.users.items():
            self.world.tokens[name] = login(
                self.db, actor=Actor.system(from_), user=user, kind="api", ip="10.0.0.1", user_agent="pytest", hours=12
            ).token
        self.db.commit()

    def notifications(self, username: str, kind: str | None = None) -> list:
        from kefu.notifications.models import Notification

        stmt = select(Notification).where(Notification.user_id == self.world.users[username].id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(self.db.scalars(stmt.order_by(Notification.id)))

    def audit(self, action: str) -> list:
        from kefu.audit.models import AuditEntry

        return list(self.db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def desk(client, world, db) -> Desk:
    return Desk(client=client, world=world, db=db)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 with small parameters: the default costs ~0.4 s a hash, and the matrix signs in every role."""
    from argon2 import PasswordHasher

    from kefu.accounts import security

    saved = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = saved


@pytest.fixture(scope="session")
def shared_app(engine):
    """One app per backend: FastAPI builds each route's handler on its first request per app (~0.1 s a
    route), so a fresh app per test would spend most of the run doing that."""
    from kefu.app import create_app
    from kefu.core.clock import FrozenClock

    placeholder = FrozenClock(datetime(2000, 1, 1, tzinfo=UTC))
    return create_app(engine=engine, clock=placeholder, sessionmaker=lambda: None, run_worker=False)


@pytest.fixture
def app(shared_app, factory, clock):
    """The shared app pointed at this test's transaction and clock (routes read both from app.state)."""
    shared_app.state.sessionmaker, shared_app.state.clock = factory, clock
    yield shared_app
    shared_app.state.sessionmaker = shared_app.state.clock = None
