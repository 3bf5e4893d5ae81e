"""The demo's reference data: business lines, categories, teams, staff, SLA calendars and policies, customers.

Written once, before the simulation, with as few flushes as the foreign keys allow; the rows stay
referenced from the returned ``Center`` so that the services' look-ups of them are identity-map hits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kefu.demo import people
from kefu.demo.catalog import BUSINESS_LINES, TREE, Leaf
from kefu.demo.people import DEMO_PASSWORD, STAFF, TEAMS

# 2026 public holidays (法定节假日) and the weekend days worked instead (调休上班), State Council notice
HOLIDAYS_2026 = (
    ["2026-01-01", "2026-01-02", "2026-01-03"]
    + [f"2026-02-{d:02d}" for d in range(15, 24)]
    + ["2026-04-04", "2026-04-05", "2026-04-06"]
    + [f"2026-05-0{d}" for d in range(1, 6)]
    + ["2026-06-19", "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27"]
    + [f"2026-10-0{d}" for d in range(1, 8)]
)
WORKDAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


@dataclass
class Center:
    """What the planner and the simulation need to know about the center being built."""

    lines: dict[str, Any] = field(default_factory=dict)  # code → BusinessLine
    categories: dict[str, Any] = field(default_factory=dict)  # code → Category
    leaves: list[tuple[Any, Leaf, str]] = field(default_factory=list)  # (Category, Leaf, line code)
    teams: list[Any] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)  # username → User
    actors: dict[str, Any] = field(default_factory=dict)  # username → Actor
    system: Any = None
    frontline: list[list[str]] = field(default_factory=list)  # per frontline team: agents and trainees
    specialists: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)  # Customer rows (kept so the session keeps them)
    customers_by_role: dict[str, list[people.Person]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def build(session: Session, *, now: datetime, tz: ZoneInfo) -> Center:
    """Business lines, categories, teams, staff and SLA rules."""
    center = Center()
    _catalog(session, center)
    _staff(session, center, now)
    policies = _sla(session, center, tz)
    center.counts.update(
        business_lines=len(center.lines),
        categories=len(center.categories),
        teams=len(center.teams),
        users=len(center.users),
        sla_calendars=2,
        sla_policies=policies,
    )
    return center


def _catalog(session: Session, center: Center) -> None:
    from kefu.catalog.models import BusinessLine, Category

    for code, name in BUSINESS_LINES:
        center.lines[code] = BusinessLine(code=code, name=name, is_active=True)
    session.add_all(center.lines.values())
    session.flush()

    def add(node, line_code: str, parent: Category | None, order: int) -> None:
        code, name, severity, body = node
        cat = Category(code=code, name=name, parent_id=parent.id if parent else None, severity_class=severity,
                       business_line_id=center.lines[line_code].id, sort_order=order, is_active=True)
        session.add(cat)
        session.flush()  # the children need its id
        center.categories[code] = cat
        if isinstance(body, Leaf):
            center.leaves.append((cat, body, line_code))
        else:
            for i, child in enumerate(body):
                add(child, line_code, cat, i)

    for line_code, roots in TREE:
        for i, root in enumerate(roots):
            add(root, line_code, None, i)


def _staff(session: Session, center: Center, now: datetime) -> None:
    from kefu.accounts.models import Team, User
    from kefu.accounts.security import hash_password
    from kefu.core.context import Actor

    created = now - timedelta(days=400)
    center.teams = [Team(name=name, kind=kind, created_at=created) for name, kind in TEAMS]
    session.add_all(center.teams)
    session.flush()
    pw = hash_password(DEMO_PASSWORD)  # argon2 is slow: once for everybody
    for username, display, role, team in STAFF:
        center.users[username] = User(
            username=username, display_name=display, password_hash=pw, role=role,
            team_id=center.teams[team].id if team is not None else None, email=f"{username}@kefu-demo.example",
            language="zh-CN", is_active=True, created_at=created,
        )
    session.add_all(center.users.values())
    session.flush()
    center.leads = ["lead1", "lead2", "lead3"]
    for team, lead in zip(center.teams, center.leads, strict=True):
        team.leader_id = center.users[lead].id
    center.actors = {
        u: Actor(user_id=x.id, username=u, role=x.role, team_id=x.team_id, now=now, display_name=x.display_name)
        for u, x in center.users.items()
    }
    center.system = Actor.system(now)
    center.frontline = [[u for u, _, r, t in STAFF if t == i and r in ("agent", "trainee")] for i in (0, 1)]
    center.specialists = [u for u, _, r, _ in STAFF if r == "complaint_specialist"]


def _sla(session: Session, center: Center, tz: ZoneInfo) -> int:
    from kefu.sla.models import SlaCalendar, SlaPolicy

    always = SlaCalendar(name="7×24小时", timezone=tz.key, always_open=True, hours={}, holidays=[],
                         extra_workdays=[])
    office = SlaCalendar(name="工作日 9:00-18:00", timezone=tz.key, always_open=False,
                         hours={str(d): [[540, 1080]] for d in range(5)}, holidays=list(HOLIDAYS_2026),
                         extra_workdays=list(WORKDAYS_2026))
    session.add_all([always, office])
    session.flush()
    h = 3600
    account = center.categories["waimai.account"].id
    policies = [
        SlaPolicy(name="默认:72小时解决", first_response_seconds=4 * h, resolution_seconds=72 * h,
                  calendar_id=always.id, rank=0),
        SlaPolicy(name="外部投诉(12315/工商)", complaint_type="external", first_response_seconds=1 * h,
                  resolution_seconds=24 * h, calendar_id=always.id, rank=10),
        SlaPolicy(name="紧急工单", priority="urgent", first_response_seconds=15 * 60, resolution_seconds=8 * h,
                  calendar_id=always.id, rank=6),
        SlaPolicy(name="内部投诉(工作时间)", complaint_type="internal", first_response_seconds=4 * h,
                  resolution_seconds=48 * h, calendar_id=office.id, rank=5),
        SlaPolicy(name="账号安全", category_id=account, first_response_seconds=30 * 60, resolution_seconds=24 * h,
                  calendar_id=always.id, rank=3),
    ]
    session.add_all(policies)
    session.flush()
    return len(policies)


def add_customers(session: Session, center: Center, *, rng: random.Random, n: int, now: datetime) -> None:
    """``n`` customers in one batched INSERT."""
    from kefu.customers.models import Customer

    made = people.customers(rng, n, now)
    center.customers = [Customer(**row) for row, _ in made]
    session.add_all(center.customers)
    session.flush()
    center.customers_by_role = {r: [] for r in people.CUSTOMER_ROLE_WEIGHTS}
    for row, (_, person) in zip(center.customers, made, strict=True):
        person.id = row.id
        center.customers_by_role[person.role].append(person)
    center.counts["customers"] = n
