"""Occupancy (占用率) = handle time / logged-in time, from the KPI rollups (handle seconds of answered contacts
per agent and interval) and the agent state log's rollup (logged-in seconds per agent and interval,
``kefu.wfm.state_store``), grouped like the KPI report: totals, per agent, team or time bucket.

Handle time is read from the rollups' interval × channel × agent grain (``GRAIN_AGENT_CHANNEL``) and counts at
the contact's offered interval, for agents with logged-in time in the period (an agent whose states kefu does
not receive would otherwise push occupancy past 1). It cannot be split by channel,
queue, category or business line (logged-in time is not): there it is null.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.reports import kpis
from kefu.reports.models import GRAIN_AGENT_CHANNEL, KpiRollup
from kefu.reports.queries import TIME_BUCKETS, Period, _bucket
from kefu.wfm import state_store

SPLITS = ("channel", "queue", "category", "business_line")  # dimensions logged-in time has not


def _agents(session: Session, filters: dict) -> list[int] | None:
    if filters.get("agent") is not None:
        return [filters["agent"]]
    if filters.get("team") is not None:
        return list(session.scalars(select(User.id).where(User.team_id == filters["team"])))
    return None


def _handle(session: Session, p: Period, agents: list[int], by_interval: bool) -> dict:
    R = KpiRollup
    key = R.interval_start if by_interval else R.agent_id
    stmt = (select(key, func.sum(R.handle_seconds)).where(
        R.grain == GRAIN_AGENT_CHANNEL, R.agent_id.in_(agents), R.interval_start >= p.start, R.interval_start < p.end)
        .group_by(key))
    return {k: float(v or 0) for k, v in session.execute(stmt)}


def occupancy(session: Session, p: Period, *, group_by: str | None, filters: dict,
              now: datetime) -> tuple[float | None, dict]:
    """``(total, {row key: occupancy})``; row keys as ``kefu.reports.queries.kpi_rows`` gives them (agent or
    team id, or a time bucket's ISO start); ``{}`` for dimensions occupancy has not."""
    if any(filters.get(k) is not None for k in SPLITS):
        return None, {}
    agents_in = _agents(session, filters)
    by_agent = state_store.logged_in(session, start=p.start, end=p.end, now=now, user_ids=agents_in)
    agents = [a for a, s in by_agent.items() if s > 0]
    if not agents:
        return None, {}
    handle = _handle(session, p, agents, by_interval=False)
    total = kpis.occupancy(sum(handle.values()), sum(by_agent[a] for a in agents))
    if group_by == "agent":
        return total, {a: kpis.occupancy(handle.get(a, 0.0), by_agent[a]) for a in agents}
    if group_by == "team":
        teams = dict(session.execute(select(User.id, User.team_id).where(User.id.in_(agents))).all())
        num, den = defaultdict(float), defaultdict(float)
        for a in agents:
            num[teams.get(a)] += handle.get(a, 0.0)
            den[teams.get(a)] += by_agent[a]
        return total, {t: kpis.occupancy(num[t], den[t]) for t in den}
    if group_by in TIME_BUCKETS:
        logged = state_store.logged_in(session, start=p.start, end=p.end, now=now, user_ids=agents, by="interval")
        handled = _handle(session, p, agents, by_interval=True)
        num, den = defaultdict(float), defaultdict(float)
        for slot, s in logged.items():
            den[_bucket(slot.astimezone(p.tz), group_by).isoformat()] += s
        for slot, s in handled.items():
            num[_bucket(slot.astimezone(p.tz), group_by).isoformat()] += s
        return total, {k: kpis.occupancy(num[k], den[k]) for k in den | num}
    return total, {}
